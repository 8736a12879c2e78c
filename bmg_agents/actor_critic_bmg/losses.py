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

from typing import NamedTuple, Tuple

import chex
import jax.numpy as jnp
import rlax


class Rollout(NamedTuple):
  """N on-policy steps (Alg. 1); rewards[t] follows actions[t].

  Attributes:
    observations: [N + 1, O] observations s_0 ... s_N.
    actions: [N] int32 actions a_0 ... a_{N-1}.
    rewards: [N] float32 rewards r_1 ... r_N.
  """
  observations: chex.Array
  actions: chex.Array
  rewards: chex.Array


class LossTerms(NamedTuple):
  """The three terms of Eq. 4, each averaged over the rollout."""
  pg: chex.Array
  entropy: chex.Array
  td: chex.Array


def n_step_returns(rewards: chex.Array, bootstrap: chex.Array,
                   discount: float) -> chex.Array:
  """[N] returns G_t = sum_i gamma^i r_{t+i+1} + gamma^(N-t) v_zbar(s_N).

  The on-policy n-step return of App. B.2, truncated at the end of the
  rollout and bootstrapped from a fixed (stop-gradient) critic value.

  Args:
    rewards: [N] rewards.
    bootstrap: [] critic value of the last observation.
    discount: gamma.

  Returns:
    [N] returns.
  """
  chex.assert_rank([rewards, bootstrap], [1, 0])
  v_t = jnp.full_like(rewards, bootstrap)  # lambda = 1 uses v_t[-1] only.
  return rlax.lambda_returns(rewards, jnp.full_like(rewards, discount), v_t,
                             lambda_=1., stop_target_gradients=True)


def policy_terms(logits: chex.Array, actions: chex.Array,
                 advantages: chex.Array) -> Tuple[chex.Array, chex.Array]:
  """(l_PG, l_EN) of Eq. 4, averaged over time, advantages not differentiated.

  Args:
    logits: [N, A] policy logits.
    actions: [N] actions taken.
    advantages: [N] G_t - v(s_t).

  Returns:
    l_PG = -mean log pi(a_t|s_t) A_t and l_EN = mean sum_a pi log pi.
  """
  chex.assert_rank([logits, actions, advantages], [2, 1, 1])
  weights = jnp.ones_like(advantages)
  pg = rlax.policy_gradient_loss(logits, actions, advantages, weights,
                                 use_stop_gradient=True)
  return pg, rlax.entropy_loss(logits, weights)


def actor_critic_terms(logits: chex.Array, values: chex.Array,
                       rollout: Rollout, discount: float) -> LossTerms:
  """The terms of Eq. 4 for one rollout.

  Args:
    logits: [N, A] policy logits at s_0 ... s_{N-1}.
    values: [N + 1] critic values at s_0 ... s_N.
    rollout: the rollout.
    discount: gamma.

  Returns:
    LossTerms with l_TD = mean 1/2 (G_t - v(s_t))^2.
  """
  chex.assert_rank([logits, values], [2, 1])
  returns = n_step_returns(rollout.rewards, values[-1], discount)
  td_errors = returns - values[:-1]
  pg, entropy = policy_terms(logits, rollout.actions, td_errors)
  return LossTerms(pg=pg, entropy=entropy,
                   td=jnp.mean(rlax.l2_loss(td_errors)))
