# Copyright 2026 The bmg_agents Authors. All Rights Reserved.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Losses of Peng's Q(λ) with BMG ε-greedy matching (paper App. B.3)."""

from typing import Any, Callable, Mapping, Union

import chex
import distrax
import jax
import jax.numpy as jnp
import rlax

from bmg_agents.core import matching

Array = chex.Array
Numeric = chex.Numeric


def epsilon_greedy_probs(q_values: Array, epsilon: Numeric) -> Array:
  """π_x(a|s) = 1 − ε + ε/|A| on argmax_b q(s, b), ε/|A| elsewhere.

  The ε-greedy behaviour policy of App. B.3; ties share the greedy mass.
  Differentiable in `epsilon`.

  Args:
    q_values: action values q_x(s, ·), shape [A].
    epsilon: ε in [0, 1], a scalar.

  Returns:
    Action probabilities, shape [A].
  """
  chex.assert_rank([q_values, epsilon], [1, 0])
  return distrax.EpsilonGreedy(q_values, epsilon).probs


def peng_q_lambda_td(q_tm1: Array, a_tm1: Array, r_t: Array,
                     discount_t: Array, q_t: Array,
                     lambda_: Numeric) -> Array:
  """TD errors of Peng's Q(λ) (Peng & Williams, 1994) on a trajectory.

  rlax.q_lambda with a *scalar* λ is Peng's Q(λ): the λ-return bootstraps on
  max_a q(s_t, a) at every step and is never cut after exploratory actions
  (a per-step λ_t = λ·1[a_t greedy] would give Watkins' Q(λ)). Targets are
  truncated at the end of the window and carry no gradient.

  Args:
    q_tm1: q(s_{t-1}, ·) for t = 1..T, shape [T, A].
    a_tm1: actions a_{t-1}, shape [T].
    r_t: rewards r_t, shape [T].
    discount_t: γ·(1 − done_t), shape [T].
    q_t: q(s_t, ·) for t = 1..T, shape [T, A].
    lambda_: λ, a scalar.

  Returns:
    G^λ_{t-1} − q(s_{t-1}, a_{t-1}), shape [T].
  """
  chex.assert_rank([q_tm1, a_tm1, r_t, discount_t, q_t], [2, 1, 1, 1, 2])
  return rlax.q_lambda(q_tm1, a_tm1, r_t, discount_t, q_t,
                       jnp.asarray(lambda_, dtype=r_t.dtype),
                       stop_target_gradients=True)


def greedy_target_outputs(q_target: Array) -> matching.Outputs:
  """Outputs of the greedy target policy π_x̃ of q_x̃ (App. B.3).

  Args:
    q_target: q_x̃(s, ·), shape [A]; treated as a constant.

  Returns:
    Outputs with logits log π_x̃ (−inf off the argmax) and values
    u_x̃(s) = Σ_a π_x̃(a|s) q_x̃(s, a) = max_a q_x̃(s, a).
  """
  q_target = jax.lax.stop_gradient(q_target)
  probs = distrax.Greedy(q_target).probs
  return matching.Outputs(logits=jnp.log(probs),
                          values=jnp.sum(probs * q_target))


def epsilon_greedy_outputs(q_behaviour: Array,
                           epsilon: Numeric) -> matching.Outputs:
  """Outputs of the ε-greedy behaviour policy π_x (App. B.3).

  Only `epsilon` carries gradient: q_x is stopped, so the meta-loss reaches
  the meta-parameters w through ε_w alone and never the Q-network.

  Args:
    q_behaviour: q_x(s, ·) that the agent acted on, shape [A].
    epsilon: ε_w(t), a scalar.

  Returns:
    Outputs with logits log π_x and values u_x(s) = Σ_a π_x(a|s) q_x(s, a).
  """
  q_behaviour = jax.lax.stop_gradient(q_behaviour)
  probs = epsilon_greedy_probs(q_behaviour, epsilon)
  return matching.Outputs(logits=jnp.log(probs),
                          values=jnp.sum(probs * q_behaviour))


def greedy_policy_matching(q_target: Array, q_behaviour: Array,
                           epsilon: Numeric) -> Array:
  """μ_π(x̃, x) = KL(π_x̃ ‖ π_x), π_x̃ greedy in q_x̃ (App. B.3).

  With a greedy target this is −log π_x(argmax q_x̃ | s): minimised by ε = 0
  when the two argmaxes agree and decreasing in ε when they differ.

  Args:
    q_target: q_x̃(s, ·) of the bootstrapped target, shape [A].
    q_behaviour: q_x(s, ·) that the agent acted on, shape [A].
    epsilon: ε_w(t), a scalar.

  Returns:
    The KL divergence, a scalar.
  """
  chex.assert_rank([q_target, q_behaviour, epsilon], [1, 1, 0])
  return matching.kl(greedy_target_outputs(q_target).logits,
                     epsilon_greedy_outputs(q_behaviour, epsilon).logits)


def greedy_value_matching(q_target: Array, q_behaviour: Array,
                          epsilon: Numeric) -> Array:
  """μ_u(x̃, x) = (u_x̃(s) − u_x(s; t, w))², u_x = Σ_a π_x(a|s) q_x(s, a).

  The 'value' matching of App. B.3; u_x̃ is the expectation of q_x̃ under the
  greedy target policy, i.e. max_a q_x̃(s, a).

  Args:
    q_target: q_x̃(s, ·), shape [A].
    q_behaviour: q_x(s, ·), shape [A].
    epsilon: ε_w(t), a scalar.

  Returns:
    The squared difference, a scalar.
  """
  chex.assert_rank([q_target, q_behaviour, epsilon], [1, 1, 0])
  return matching.value_matching(
      greedy_target_outputs(q_target).values,
      epsilon_greedy_outputs(q_behaviour, epsilon).values)


def greedy_matching(matching_fn: matching.MatchingFn, q_target: Array,
                    q_behaviour: Array, epsilon: Numeric) -> Array:
  """μ(x̃, x) of a `core.matching` function on the two policies above."""
  return matching_fn(greedy_target_outputs(q_target),
                     epsilon_greedy_outputs(q_behaviour, epsilon))


def make_greedy_matching_fn(
    spec: Union[str, Mapping[str, float]],
    epsilon_fn: Callable[[Any, Array], Array], temperature: float = 1.
) -> Callable[[Array, Array, Any, Array], Array]:
  """μ in the form `core.bmg_loss` takes, for the greedy target of App. B.3.

  Returns (q_x̃(s) [A], q_x(s) [A], w, t [H]) -> μ(π_x̃, π_x(·|s, t, w)):
  Q-values stand for the parameters (μ only needs what x̃ and x output at
  s, and K = 0 never updates x). `core.matching.make_bmg_matching_fn` does
  not fit: it maps target and learner through the same outputs function,
  while here the target policy is greedy and the learner's is ε_w-greedy.

  Args:
    spec: a `core.matching` spec over 'kl' and 'value'.
    epsilon_fn: (w, t) -> ε, the meta-learned ε.
    temperature: temperature on the target policy (no effect on a greedy
      target, whose logits are 0 or −inf).
  """
  matching_fn = matching.make_matching_fn(spec, temperature)

  def bmg_matching_fn(q_target, q_behaviour, meta_params, reward_history):
    return greedy_matching(matching_fn, q_target, q_behaviour,
                           epsilon_fn(meta_params, reward_history))

  return bmg_matching_fn
