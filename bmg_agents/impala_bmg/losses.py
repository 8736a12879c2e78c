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

"""STACX losses: per-head actor-critic with leaky V-trace (Eq. 4, App. C).

See "Bootstrapped Meta-Learning" by Flennerhag et al.
(https://arxiv.org/abs/2109.04504), App. C, and "Self-Tuning Deep
Reinforcement Learning" by Zahavy et al. (https://arxiv.org/abs/2002.12928).
"""

from typing import Callable, Dict, NamedTuple, Optional, Tuple

import chex
import distrax
import jax
import jax.numpy as jnp
import rlax

Array = chex.Array

# Sigmoid-squashed meta-parameters start here when p is at the boundary 1.
_MAX_INIT = .995


class Trajectories(NamedTuple):
  """A batch of trajectories, leading dims [B, T + 1] (acme sequence layout).

  Step t holds observation o_t, the action a_t taken there with the
  behaviour policy's logits, and the reward r_t and discount d_t that
  followed it; the last step only bootstraps.

  Attributes:
    observation: [B, T + 1, ...].
    action: int [B, T + 1].
    reward: [B, T + 1].
    discount: [B, T + 1] environment discount (0 at termination and on loss
      of life).
    behaviour_logits: [B, T + 1, A] logits of the acting (main) policy.
    is_replay: bool [B]; the LASER filter only applies to replayed data.
    valid: optional [B, T] weights of real transitions: 0 for the step from
      an episode's final observation into the next episode, which acme's
      sequence adders store with a zero-padded action, reward and discount.
  """
  observation: Array
  action: Array
  reward: Array
  discount: Array
  behaviour_logits: Array
  is_replay: Array
  valid: Optional[Array] = None


class Hypers(NamedTuple):
  """Hyper-parameters of one actor-critic loss (one head's w_i, or p).

  Leaves are scalars for one head, or [N] for N heads.
  """
  discount: Array
  lambda_: Array
  alpha: Array
  pg_cost: Array
  entropy_cost: Array
  td_cost: Array


def actor_critic_loss(logits: Array, values: Array, behaviour_logits: Array,
                      actions: Array, rewards: Array, discounts: Array,
                      mask: Array, hypers: Hypers, *, rho_bar: float,
                      max_entropy_fraction: float
                      ) -> Tuple[Array, Dict[str, Array]]:
  """One head's loss f(u_i; w_i) on one trajectory (Eq. 4, leaky V-trace).

  f = ε_PG ℓ_PG + ε_EN ℓ_EN + ε_TD ℓ_TD, averaged over the T transitions,
  with leaky V-trace targets and advantages (App. C) from rlax. Gradients
  w.r.t. the network stop at the targets, advantages and importance weights
  (as in IMPALA), but they flow w.r.t. the hyper-parameters γ, λ, α inside
  them: the meta-gradient of STACX needs ∂(∇_u f)/∂w. That is why this
  function stops gradients on the network outputs itself and calls rlax with
  `stop_target_gradients=False`. The entropy term rewards entropy only up to
  `max_entropy_fraction` of its maximum log|A| ("max entropy loss value",
  Table 2; our reading).

  Args:
    logits: [T + 1, A] this head's policy logits.
    values: [T + 1] this head's values.
    behaviour_logits: [T + 1, A] logits of the behaviour policy.
    actions: int [T + 1] actions taken.
    rewards: [T + 1] rewards following each action.
    discounts: [T + 1] environment discounts following each action.
    mask: [T] weights of the T transitions (LASER filter).
    hypers: scalar `Hypers`.
    rho_bar: ρ̄, the importance-weight clip (c̄ = 1 inside rlax).
    max_entropy_fraction: entropy cap as a fraction of log|A|.

  Returns:
    (scalar loss, metrics).
  """
  chex.assert_rank([logits, values, behaviour_logits, actions, mask],
                   [2, 1, 2, 1, 1])
  chex.assert_equal_shape([logits, behaviour_logits])
  sg_logits = jax.lax.stop_gradient(logits)
  sg_values = jax.lax.stop_gradient(values)
  rhos = distrax.importance_sampling_ratios(
      distrax.Softmax(sg_logits[:-1]), distrax.Softmax(behaviour_logits[:-1]),
      actions[:-1])
  vtrace = rlax.leaky_vtrace_td_error_and_advantage(
      v_tm1=sg_values[:-1],
      v_t=sg_values[1:],
      r_t=rewards[:-1],
      discount_t=discounts[:-1] * hypers.discount,
      rho_tm1=rhos,
      alpha=hypers.alpha,
      lambda_=hypers.lambda_,
      clip_rho_threshold=rho_bar,
      clip_pg_rho_threshold=rho_bar,
      # Network outputs are already constants; w must keep its gradient.
      stop_target_gradients=False)
  targets = vtrace.errors + sg_values[:-1]
  td_loss = .5 * jnp.mean(mask * jnp.square(targets - values[:-1]))
  pg_loss = rlax.policy_gradient_loss(
      logits[:-1], actions[:-1], vtrace.pg_advantage, mask,
      use_stop_gradient=False)  # The advantage only depends on w.
  max_entropy = max_entropy_fraction * jnp.log(logits.shape[-1])
  entropy = distrax.Softmax(logits[:-1]).entropy()
  entropy_loss = -jnp.mean(mask * jnp.minimum(entropy, max_entropy))
  loss = (hypers.pg_cost * pg_loss + hypers.entropy_cost * entropy_loss +
          hypers.td_cost * td_loss)
  metrics = {
      'pg_loss': pg_loss,
      'td_loss': td_loss,
      'entropy': jnp.mean(entropy),
      'mean_rho': jnp.mean(rhos),
  }
  return loss, metrics


def laser_mask(logits: Array, behaviour_logits: Array, is_replay: Array,
               threshold: float) -> Array:
  """LASER filter (Schmitt et al., 2020): [B, T] weights of transitions.

  A replayed transition is kept iff KL(μ ‖ π) <= threshold, with μ the
  behaviour policy and π the current main policy; online data is always kept.

  Args:
    logits: [B, T + 1, A] current main-head logits.
    behaviour_logits: [B, T + 1, A].
    is_replay: bool [B].
    threshold: the KL threshold (Table 2: 2).
  """
  kl = distrax.Softmax(behaviour_logits[:, :-1]).kl_divergence(
      distrax.Softmax(jax.lax.stop_gradient(logits[:, :-1])))
  keep = jnp.logical_or(kl <= threshold, ~is_replay[:, None])
  return keep.astype(jnp.float32)


def make_stacx_loss(apply_fn: Callable[..., Tuple[Array, Array]], *,
                    rho_bar: float, max_entropy_fraction: float,
                    laser_kl_threshold: float):
  """Builds the agent loss Σ_i f_τ(u_i; w_i) and the main-head loss.

  Args:
    apply_fn: (params, observations [..., H, W, C]) -> (logits [..., N, A],
      values [..., N]).
    rho_bar: ρ̄.
    max_entropy_fraction: see `actor_critic_loss`.
    laser_kl_threshold: see `laser_mask`.

  Returns:
    (heads_loss, main_loss): heads_loss(params, hypers [N], data) sums over
    heads the batch-mean loss of every head under its own hyper-parameters;
    main_loss(params, hypers (scalars), data) is f_τ(u_0; hypers) of the main
    head only (the meta-objective of STACX, and the target's objective). Both
    return (scalar, metrics).
  """
  per_trajectory = jax.vmap(  # Over the batch.
      jax.vmap(  # Over heads: logits [T+1, N, A] -> axis 1.
          lambda l, v, b, a, r, d, m, h: actor_critic_loss(
              l, v, b, a, r, d, m, h, rho_bar=rho_bar,
              max_entropy_fraction=max_entropy_fraction),
          in_axes=(1, 1, None, None, None, None, None, 0)),
      in_axes=(0, 0, 0, 0, 0, 0, 0, None))

  def _losses(logits, values, hypers, data: Trajectories):
    mask = laser_mask(logits[:, :, 0], data.behaviour_logits,
                      data.is_replay, laser_kl_threshold)
    if data.valid is not None:
      mask = mask * data.valid
    losses, metrics = per_trajectory(
        logits, values, data.behaviour_logits, data.action, data.reward,
        data.discount, mask, hypers)  # [B, N].
    # Report the main head's statistics.
    metrics = jax.tree_util.tree_map(lambda x: jnp.mean(x[:, 0]), metrics)
    metrics['laser_kept'] = jnp.mean(mask)
    return jnp.mean(losses, axis=0), metrics

  def heads_loss(params, hypers: Hypers, data: Trajectories):
    logits, values = apply_fn(params, data.observation)
    losses, metrics = _losses(logits, values, hypers, data)
    return jnp.sum(losses), metrics

  def main_loss(params, hypers: Hypers, data: Trajectories):
    logits, values = apply_fn(params, data.observation)
    hypers = jax.tree_util.tree_map(lambda x: jnp.asarray(x)[None], hypers)
    losses, metrics = _losses(logits[:, :, :1], values[:, :, :1], hypers,
                              data)
    return losses[0], metrics

  return heads_loss, main_loss


# Meta-parameters: unconstrained reals, one per head, squashed to valid ranges.
# γ, λ, α ∈ (0, 1) by a sigmoid; each loss weight ε ∈ (0, 2 p_ε) by
# 2 p_ε sigmoid(·), starting at p_ε. The paper gives no ranges; this keeps
# every value valid and starts every head at the IMPALA values p of Table 2.
_UNIT_FIELDS = ('discount', 'lambda_', 'alpha')
_COST_FIELDS = ('pg_cost', 'entropy_cost', 'td_cost')


def init_meta_params(p: Hypers, num_heads: int) -> Hypers:
  """Unconstrained meta-parameters w whose squashed values are p per head.

  γ, λ, α equal to 1 start at .995 (a sigmoid never reaches 1).
  """
  def unit(x):
    x = jnp.clip(jnp.asarray(x, jnp.float32), 1. - _MAX_INIT, _MAX_INIT)
    return jnp.full((num_heads,), jnp.log(x) - jnp.log1p(-x))
  fields = {f: unit(getattr(p, f)) for f in _UNIT_FIELDS}
  fields.update({f: jnp.zeros((num_heads,)) for f in _COST_FIELDS})
  return Hypers(**fields)


def squash(meta_params: Hypers, p: Hypers) -> Hypers:
  """Maps unconstrained w to valid hyper-parameters (see above)."""
  fields = {f: jax.nn.sigmoid(getattr(meta_params, f)) for f in _UNIT_FIELDS}
  fields.update({
      f: 2. * getattr(p, f) * jax.nn.sigmoid(getattr(meta_params, f))
      for f in _COST_FIELDS})
  return Hypers(**fields)
