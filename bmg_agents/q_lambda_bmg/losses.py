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

import chex
import distrax
import jax
import jax.numpy as jnp
import rlax

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


def greedy_policy_matching(q_target: Array, q_behaviour: Array,
                           epsilon: Numeric) -> Array:
  """μ_π(x̃, x) = KL(π_x̃ ‖ π_x), π_x̃ greedy in q_x̃ (App. B.3).

  With a greedy target this is −log π_x(argmax q_x̃ | s): minimised by ε = 0
  when the two argmaxes agree and decreasing in ε when they differ. Only
  `epsilon` carries gradient; both action-value vectors are stopped.

  Args:
    q_target: q_x̃(s, ·) of the bootstrapped target, shape [A].
    q_behaviour: q_x(s, ·) that the agent acted on, shape [A].
    epsilon: ε_w(t), a scalar.

  Returns:
    The KL divergence, a scalar.
  """
  chex.assert_rank([q_target, q_behaviour, epsilon], [1, 1, 0])
  target = distrax.Greedy(jax.lax.stop_gradient(q_target)).probs
  behaviour = epsilon_greedy_probs(jax.lax.stop_gradient(q_behaviour),
                                   epsilon)
  # Written out so that actions with zero target mass contribute exactly 0
  # (and no NaN gradient) even where π_x is 0 at ε = 0.
  support = target > 0
  safe_target = jnp.where(support, target, 1.)
  safe_behaviour = jnp.where(support, behaviour, 1.)
  return jnp.sum(jnp.where(
      support, target * (jnp.log(safe_target) - jnp.log(safe_behaviour)),
      0.))


def greedy_value_matching(q_target: Array, q_behaviour: Array,
                          epsilon: Numeric) -> Array:
  """μ_u(x̃, x) = (u_x̃(s) − u_x(s; t, w))², u_x = Σ_a π_x(a|s) q_x(s, a).

  The 'value' matching of App. B.3: u_x̃ takes the expectation of q_x̃ under
  the greedy target policy, i.e. max_a q_x̃(s, a); u_x under the ε-greedy
  behaviour policy. Only `epsilon` carries gradient.

  Args:
    q_target: q_x̃(s, ·), shape [A].
    q_behaviour: q_x(s, ·), shape [A].
    epsilon: ε_w(t), a scalar.

  Returns:
    The squared difference, a scalar.
  """
  chex.assert_rank([q_target, q_behaviour, epsilon], [1, 1, 0])
  q_target = jax.lax.stop_gradient(q_target)
  q_behaviour = jax.lax.stop_gradient(q_behaviour)
  u_target = jnp.sum(distrax.Greedy(q_target).probs * q_target)
  u_behaviour = jnp.sum(epsilon_greedy_probs(q_behaviour, epsilon)
                        * q_behaviour)
  return jnp.square(u_target - u_behaviour)


def greedy_matching(q_target: Array, q_behaviour: Array, epsilon: Numeric,
                    policy_weight: Numeric, value_weight: Numeric) -> Array:
  """Weighted sum of the policy and 'value' matching losses above."""
  return (policy_weight * greedy_policy_matching(q_target, q_behaviour,
                                                 epsilon)
          + value_weight * greedy_value_matching(q_target, q_behaviour,
                                                 epsilon))
