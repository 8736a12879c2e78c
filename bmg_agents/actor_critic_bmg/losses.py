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

"""The actor-critic loss of Eq. 4 on an on-policy rollout."""

from typing import NamedTuple, Optional, Tuple

import chex
import jax.numpy as jnp
import rlax


class Rollout(NamedTuple):
  """N on-policy steps (Alg. 1); rewards[t] follows actions[t].

  Episodes may end inside a rollout. acme's `SequenceAdder` (which does not
  break sequences at episode ends) stores a terminal observation s_T as a
  step of its own, with a placeholder action, reward 0 and discount 0,
  followed by the next episode's first step: `masks` marks that placeholder
  transition (s_T -> s'_0) as not real.

  Attributes:
    observations: [N + 1, *O] observations s_0 ... s_N.
    actions: [N] int32 actions a_0 ... a_{N-1}.
    rewards: [N] float32 rewards r_1 ... r_N.
    discounts: [N] float32 environment discounts d_1 ... d_N (0 where
      s_{t+1} is terminal), or None for a continuing task (all 1).
    masks: [N] float32, 1 for a real transition s_t -> s_{t+1}, 0 for the
      placeholder transition from a terminal observation to the next
      episode's first one; None for a continuing task (all 1).

  (None rather than arrays of ones keeps the fused two-colours run exactly
  as before: XLA folds the constants, whereas ones as data reorder the
  meta-gradient's arithmetic by an ulp.)
  """
  observations: chex.Array
  actions: chex.Array
  rewards: chex.Array
  discounts: Optional[chex.Array] = None
  masks: Optional[chex.Array] = None


class LossTerms(NamedTuple):
  """The three terms of Eq. 4, each averaged over the rollout."""
  pg: chex.Array
  entropy: chex.Array
  td: chex.Array


def n_step_returns(rewards: chex.Array, discounts: chex.Array,
                   next_values: chex.Array, masks: chex.Array,
                   discount: float) -> chex.Array:
  """[N] n-step returns that stop at episode ends.

  G_t = r_{t+1} + gamma d_{t+1} G_{t+1}, truncated at the end of the rollout
  by G_N = v_zbar(s_N) (the on-policy n-step return of App. B.2); a terminal
  s_{t+1} (d_{t+1} = 0) ends the sum. Where the transition after s_{t+1} is
  the adder's placeholder (masks[t + 1] = 0, the next step starts a new
  episode), G_t bootstraps from v(s_{t+1}) instead of G_{t+1}, so nothing of
  the next episode leaks in (and a truncated episode, d = 1, bootstraps from
  its last observation). Values are not differentiated.

  Args:
    rewards: [N] rewards r_1 ... r_N.
    discounts: [N] environment discounts d_1 ... d_N.
    next_values: [N] critic values v(s_1) ... v(s_N).
    masks: [N] 1 for real transitions (see `Rollout.masks`).
    discount: gamma.

  Returns:
    [N] returns.
  """
  chex.assert_rank([rewards, discounts, next_values, masks], 1)
  chex.assert_equal_shape([rewards, discounts, next_values, masks])
  # lambda_t = masks[t + 1] (the last one is unused: G_N = v(s_N)).
  lambdas = jnp.concatenate([masks[1:], jnp.ones_like(masks[:1])])
  return rlax.lambda_returns(rewards, discount * discounts, next_values,
                             lambda_=lambdas, stop_target_gradients=True)


def policy_terms(logits: chex.Array, actions: chex.Array,
                 advantages: chex.Array, masks: chex.Array
                 ) -> Tuple[chex.Array, chex.Array]:
  """(l_PG, l_EN) of Eq. 4, averaged over time, advantages not differentiated.

  Args:
    logits: [N, A] policy logits.
    actions: [N] actions taken.
    advantages: [N] G_t - v(s_t).
    masks: [N] weights of the time steps (0 drops a placeholder step).

  Returns:
    l_PG = -mean m_t log pi(a_t|s_t) A_t and l_EN = mean m_t sum_a pi log pi.
  """
  chex.assert_rank([logits, actions, advantages, masks], [2, 1, 1, 1])
  pg = rlax.policy_gradient_loss(logits, actions, advantages, masks,
                                 use_stop_gradient=True)
  return pg, rlax.entropy_loss(logits, masks)


def actor_critic_terms(logits: chex.Array, values: chex.Array,
                       rollout: Rollout, discount: float) -> LossTerms:
  """The terms of Eq. 4 for one rollout.

  Args:
    logits: [N, A] policy logits at s_0 ... s_{N-1}.
    values: [N + 1] critic values at s_0 ... s_N.
    rollout: the rollout.
    discount: gamma.

  Returns:
    LossTerms with l_TD = mean m_t 1/2 (G_t - v(s_t))^2.
  """
  chex.assert_rank([logits, values], [2, 1])
  discounts, masks = continuing_defaults(rollout)
  returns = n_step_returns(rollout.rewards, discounts, values[1:], masks,
                           discount)
  td_errors = returns - values[:-1]
  pg, entropy = policy_terms(logits, rollout.actions, td_errors, masks)
  return LossTerms(pg=pg, entropy=entropy,
                   td=jnp.mean(rlax.l2_loss(td_errors) * masks))


def continuing_defaults(rollout: Rollout) -> Tuple[chex.Array, chex.Array]:
  """(discounts, masks) of a rollout, ones where it has None."""
  ones = lambda: jnp.ones_like(rollout.rewards, jnp.float32)
  discounts = ones() if rollout.discounts is None else rollout.discounts
  masks = ones() if rollout.masks is None else rollout.masks
  return discounts, masks
