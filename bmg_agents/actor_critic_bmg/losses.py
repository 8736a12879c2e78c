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

"""Actor-critic loss (Eq. 4) and BMG matching functions for the agent."""

from typing import NamedTuple, Tuple

import chex
import jax
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


def policy_matching(target_logits: chex.Array, logits: chex.Array,
                    kind: str) -> chex.Array:
  """Matching function mu between a target policy and pi_x(K), [N, A] each.

  'kl' is KL(pi_target || pi) (the paper's, mode covering), 'reverse_kl' is
  KL(pi || pi_target), 'symmetric_kl' their sum. The target is not
  differentiated.

  Args:
    target_logits: [N, A] logits of the target policy.
    logits: [N, A] logits of the policy being meta-learned.
    kind: one of the names above.

  Returns:
    [] mean divergence over the N states.
  """
  chex.assert_equal_shape([target_logits, logits])
  target_logits = jax.lax.stop_gradient(target_logits)
  forward = rlax.categorical_kl_divergence(target_logits, logits)
  reverse = rlax.categorical_kl_divergence(logits, target_logits)
  if kind == 'kl':
    return jnp.mean(forward)
  if kind == 'reverse_kl':
    return jnp.mean(reverse)
  if kind == 'symmetric_kl':
    return jnp.mean(forward + reverse)
  raise ValueError(f'Unknown policy matching {kind!r}.')


def parameter_matching(target_params, params) -> chex.Array:
  """Squared L2 distance ||target - params||^2; target not differentiated."""
  target_params = jax.lax.stop_gradient(target_params)
  sq = jax.tree_util.tree_map(lambda a, b: jnp.sum((a - b) ** 2),
                              target_params, params)
  return sum(jax.tree_util.tree_leaves(sq))
