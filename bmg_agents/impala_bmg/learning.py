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

"""STACX / STACX-BMG update (App. C, Alg. 6) as pure JAX functions.

No acme, Reverb, Launchpad or TensorFlow here: `learner.STACXLearner` is the
acme learner that pmaps `make_learner_fns(...).update`. The meta-gradient is
built from `bmg_agents.core`: the update rule φ is `core.updates.
gradient_update` (its first K - 1 steps `core.updates.unroll`), the target ξ
`core.bootstrap.make_target_fn` with a `core.updates.optimizer_step` /
`sgd_step` final step, μ `core.matching.make_bmg_matching_fn`, and the
diagnostics `core.diagnostics.meta_gradient_metrics`; the meta-losses are
`core.meta_gradient`'s, composed here (see `meta_loss` for why).
"""

from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from bmg_agents.core import bootstrap as bootstrap_lib
from bmg_agents.core import diagnostics
from bmg_agents.core import matching as matching_lib
from bmg_agents.core import updates as updates_lib
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import losses
from bmg_agents.impala_bmg import networks as networks_lib

PMAP_AXIS_NAME = 'data'
_HYPER_NAMES = losses.Hypers._fields
META_LOSS = 'meta_loss'


class TrainingState(NamedTuple):
  """Learner state: agent (u, h_u), meta (w, h_w), and diagnostics state."""
  params: networks_lib.Params
  opt_state: optax.OptState
  meta_params: losses.Hypers
  meta_opt_state: optax.OptState
  prev_meta_grad: losses.Hypers
  steps: jnp.ndarray


class LearnerBatch(NamedTuple):
  """One update's data.

  Attributes:
    trajectories: τ, [B = online + replay, T + 1, ...]: the agent update, the
      meta-objective, the target's final step and the matching all use it.
    replay: [E, B_replay, T + 1, ...] replay-only batches, one per extra
      step: the first K - 1 for the inner loop, the next L - 1 for the target
      bootstrap (App. C, C.3); None when E = 0.
  """
  trajectories: losses.Trajectories
  replay: Optional[losses.Trajectories]


def fixed_hypers(config: config_lib.STACXConfig) -> losses.Hypers:
  """The IMPALA hyper-parameters p of Table 2 ("Meta-Optimisation")."""
  return losses.Hypers(
      discount=config.discount, lambda_=config.lambda_, alpha=config.alpha,
      pg_cost=config.pg_cost, entropy_cost=config.entropy_cost,
      td_cost=config.td_cost)


def _clip_by_global_norm(max_norm: float) -> optax.GradientTransformation:
  """`optax.clip_by_global_norm` with a finite derivative at a zero gradient.

  optax's ‖g‖ = sqrt(Σ g²) has an infinite derivative at g = 0, so a
  meta-gradient through an agent update whose gradient is exactly zero (e.g.
  on acme's fake environment: zero observations and rewards, and Haiku's
  zero biases) is NaN and the agent never recovers. This is the same
  function (same numbers for g ≠ 0, same empty state) with the norm's
  square root guarded where Σ g² = 0.
  """

  def update_fn(updates, state, params=None):
    del params
    squared_norm = optax.tree.norm(updates, squared=True)
    positive = squared_norm > 0
    g_norm = jnp.where(positive,
                       jnp.sqrt(jnp.where(positive, squared_norm, 1.)), 0.)
    trigger = jnp.squeeze(g_norm < max_norm)
    safe_norm = jnp.where(positive, g_norm, 1.)

    def clip_fn(t):
      return jax.lax.select(trigger, t,
                            (t / safe_norm.astype(t.dtype)) * max_norm)

    return jax.tree_util.tree_map(clip_fn, updates), state

  return optax.GradientTransformation(optax.init_empty_state, update_fn)


def make_optimizer(config: config_lib.STACXConfig
                   ) -> optax.GradientTransformation:
  """RMSProp of Table 2: clip .3, decay .99, eps 1e-4 in the sqrt, lr linear
  decay from 1e-4 to 0; written as an optax chain so it is differentiable."""
  schedule = optax.linear_schedule(
      config.learning_rate, 0., config.learning_rate_decay_steps)
  return optax.chain(
      _clip_by_global_norm(config.max_gradient_norm),
      optax.scale_by_rms(decay=config.rmsprop_decay, eps=config.rmsprop_eps,
                         eps_in_sqrt=True),
      optax.scale_by_schedule(lambda count: -schedule(count)))


def make_meta_optimizer(config: config_lib.STACXConfig
                        ) -> optax.GradientTransformation:
  """Adam of Table 2 ("Meta-Optimisation") with global-norm clipping."""
  return optax.chain(
      optax.clip_by_global_norm(config.meta_max_gradient_norm),
      optax.adam(config.meta_learning_rate, b1=config.meta_b1,
                 b2=config.meta_b2, eps=config.meta_eps))


def make_initial_state(key, networks: networks_lib.STACXNetworks,
                       config: config_lib.STACXConfig) -> TrainingState:
  """Random agent parameters; meta-parameters squashing to p on every head."""
  params = networks.init(key)
  meta_params = losses.init_meta_params(fixed_hypers(config),
                                        networks.num_heads)
  return TrainingState(
      params=params,
      opt_state=make_optimizer(config).init(params),
      meta_params=meta_params,
      meta_opt_state=make_meta_optimizer(config).init(meta_params),
      prev_meta_grad=jax.tree_util.tree_map(jnp.zeros_like, meta_params),
      steps=jnp.zeros((), jnp.int32))


class LearnerFns(NamedTuple):
  """Pure learner functions (see `make_learner_fns`).

  Attributes:
    update: (state, batch) -> (state, metrics), one learner step.
    meta_gradient: (state, batch) -> (g_w, (u(K), h(K), metrics)), the
      meta-gradient before averaging over devices and the meta-optimiser.
    agent_update: the update rule φ(u, h, w, τ) -> (u', h', metrics).
  """
  update: Callable[[TrainingState, LearnerBatch],
                   Tuple[TrainingState, Dict[str, Any]]]
  meta_gradient: Callable[[TrainingState, LearnerBatch], Any]
  agent_update: updates_lib.UpdateFn


def _device_mean_gradient(axis_name: str) -> Callable[[Any], Any]:
  """The identity on parameters, whose gradient is the mean over devices.

  Applied to the parameters inside a loss, `jax.grad` of that loss is the
  data-parallel gradient (what IMPALA's learner pmeans before its optimiser),
  so core's update and final-step builders work unchanged under pmap; the
  meta-gradient differentiates through the (linear) mean.
  """

  @jax.custom_vjp
  def identity(params):
    return params

  def forward(params):
    return params, None

  def backward(residuals, gradient):
    del residuals
    return (jax.lax.pmean(gradient, axis_name),)

  identity.defvjp(forward, backward)
  return identity


def make_update_fn(networks, config, axis_name=None):
  """`make_learner_fns(...).update`."""
  return make_learner_fns(networks, config, axis_name).update


def make_learner_fns(networks: networks_lib.STACXNetworks,
                   config: config_lib.STACXConfig,
                   axis_name: Optional[str] = None) -> LearnerFns:
  """Builds the pure learner update (Alg. 6 with the STACX agent, App. C).

  One call: K agent updates u -> u(K)(w) under the meta-learned losses
  Σ_i f(u_i; w_i) (RMSProp), the first K - 1 on replay-only batches and the
  last on τ; then the meta-gradient g_w and an Adam step on w:
    * 'mg' (STACX): g_w = ∇_w f_τ(u_0(K)(w); p).
    * 'bmg': g_w = ∇_w μ_τ(ũ_0, u_0(K)(w)), ũ = L - 1 further steps under the
      meta-learned rule, each on its own replay-only batch, then one step on
      f_τ(·; p) with RMSProp (continuing the agent's state) or SGD
      (`final_step='meta'`: under the meta-learned rule instead).
    * 'none': IMPALA with the auxiliary heads, all under p; w is not used.
  The agent continues from u(K) (Alg. 6); for K = 1 this is the STACX update
  on τ with the current w, simultaneous with the meta-update.
  With `config.meta_grad_variance_every` = N > 0, the steps whose state has
  steps % N == 0 also log Table 3's 'meta_grad_variance' and
  'meta_grad_norm_to_variance' over the meta-gradients of τ's trajectories
  on their own (NaN on the other steps).
  Every step's metrics have the same keys: the main head's losses, the
  meta-loss and `core.diagnostics`' 'meta_grad_norm' / 'meta_grad_cosine'
  (NaN under 'none'), and every head's hyper-parameters ('discount_0', ...).

  Args:
    networks: the STACX networks.
    config: the agent's configuration.
    axis_name: the pmap axis to average gradients over, or None.

  Returns:
    `LearnerFns`; update's metrics are identical on all devices.
  """
  p = fixed_hypers(config)
  optimizer = make_optimizer(config)
  meta_optimizer = make_meta_optimizer(config)
  heads_loss, main_loss = losses.make_stacx_loss(
      networks.apply, rho_bar=config.rho_bar,
      max_entropy_fraction=config.max_entropy_fraction,
      laser_kl_threshold=config.laser_kl_threshold)
  num_heads = networks.num_heads
  k = config.K
  meta_learning = config.meta_objective != 'none'
  variance_every = config.meta_grad_variance_every
  if axis_name is None:
    device_mean_gradient = lambda params: params
  else:
    device_mean_gradient = _device_mean_gradient(axis_name)

  def pmean(tree):
    if axis_name is None:
      return tree
    return jax.lax.pmean(tree, axis_name)

  def hypers_fn(meta_params):
    if meta_learning:
      return losses.squash(meta_params, p)
    return jax.tree_util.tree_map(
        lambda x: jnp.full((num_heads,), x, jnp.float32), p)

  def agent_loss(params, meta_params, data):
    """Σ_i f_τ(u_i; w_i); its gradient is averaged over devices."""
    return heads_loss(device_mean_gradient(params), hypers_fn(meta_params),
                      data)

  def objective(params, data):
    """f_τ(u_0; p): the IMPALA objective of the main head alone."""
    return main_loss(params, p, data)[0]

  # φ(u, h, w; τ): one RMSProp step on Σ_i f_τ(u_i; w_i), a core UpdateFn.
  agent_update = updates_lib.gradient_update(agent_loss, optimizer)

  # The target's last step, on f_τ(·; p) (gradient averaged over devices):
  # RMSProp continuing the agent's state, or SGD; or under φ ('meta').
  def target_objective(params, data):
    return objective(device_mean_gradient(params), data)

  if config.final_step == 'meta':
    final_step = None
  elif config.target_optimizer == 'sgd':
    final_step = updates_lib.sgd_step(target_objective,
                                      config.sgd_target_step)
  else:
    final_step = updates_lib.optimizer_step(target_objective, optimizer,
                                            reuse_state=True)
  target_fn = bootstrap_lib.make_target_fn(agent_update, final_step)

  def outputs_fn(params, meta_params, data):
    """The main head's policy and value on τ, and u_0 for L2 matching."""
    del meta_params  # μ compares the main task's outputs only.
    logits, values = networks.apply(params, data.observation)
    return matching_lib.Outputs(
        logits=logits[:, :, networks_lib.MAIN_HEAD],
        values=values[:, :, networks_lib.MAIN_HEAD],
        params=networks_lib.main_task_params(params))

  matching_fn = matching_lib.make_bmg_matching_fn(
      config.matching, outputs_fn, config.temperature)

  def mg_objective(params, meta_params, data):
    del meta_params  # STACX's meta-objective is the fixed f_τ(·; p).
    return objective(params, data)

  def replay_only_steps(meta_params, params, opt_state, batch):
    """u(K - 1)(w): the first K - 1 agent updates, on replay-only batches."""
    if k > 1:
      inner = jax.tree_util.tree_map(lambda x: x[:k - 1], batch.replay)
      params, opt_state, _ = updates_lib.unroll(
          agent_update, meta_params, params, opt_state, inner)
    return params, opt_state

  def inner_loop(meta_params, params, opt_state, batch):
    """u(K)(w): K - 1 steps on replay-only batches, then one on τ."""
    params, opt_state = replay_only_steps(meta_params, params, opt_state,
                                          batch)
    return agent_update(params, opt_state, meta_params, batch.trajectories)

  def meta_loss(meta_params, params, opt_state, batch):
    """f(u(K)(w)) (MG, Eq. 1) or μ(ũ, u(K)(w)) (BMG, Eq. 2), and u(K), h(K).

    This is `core.meta_gradient.mg_loss` / `bmg_loss` written out with the
    same core pieces (φ, ξ = `target_fn`, μ = `matching_fn`), not called:
    those unroll the K steps with `lax.scan`, which cannot hold τ (online +
    replay) and the smaller replay-only batches in one scan, and even a
    scan of length 1 made this learner step 2-3x slower on CPU (1x torso,
    12x12x12 input: MG 613 vs 273 ms, BMG 720 vs 350 ms), as XLA does not
    optimise across the loop. Same numbers either way.
    """
    params_k, opt_state_k, metrics = inner_loop(meta_params, params,
                                                opt_state, batch)
    tau = batch.trajectories
    if config.meta_objective == 'mg':
      loss = mg_objective(params_k, meta_params, tau)
    else:
      target_batches = None
      if config.L > 1:
        target_batches = jax.tree_util.tree_map(
            lambda x: x[k - 1:], batch.replay)
      # ξ sees constants only (as in core.bmg_loss); the target is one too.
      target = target_fn(
          *jax.lax.stop_gradient((params_k, opt_state_k, meta_params)),
          bootstrap_lib.TargetData(target_batches, tau))
      loss = matching_fn(target, params_k, meta_params, tau)
    metrics[META_LOSS] = loss
    return loss, jax.lax.stop_gradient((params_k, opt_state_k, metrics))

  def meta_gradient(state: TrainingState, batch: LearnerBatch):
    return jax.grad(meta_loss, has_aux=True)(
        state.meta_params, state.params, state.opt_state, batch)

  def per_trajectory_statistics(state: TrainingState, batch: LearnerBatch):
    """Table 3's per-batch variance of the meta-gradients of τ's trajectories.

    Trajectory i's meta-gradient is `meta_gradient` on τ_i alone (with all
    replay-only batches), computed without averaging over devices: each
    device takes its share of τ, with the replay batches of all devices, and
    the per-trajectory meta-gradients are gathered, so the statistics are
    those of the whole batch on any number of devices.
    """
    local_meta_gradient, replay = meta_gradient, batch.replay
    if axis_name is not None:
      local_meta_gradient = make_learner_fns(  # No cross-device mean.
          networks, config, axis_name=None).meta_gradient
      if replay is not None:
        replay = jax.lax.all_gather(replay, axis_name, axis=1, tiled=True)

    def one(trajectory):
      tau_i = jax.tree_util.tree_map(lambda x: x[None], trajectory)
      return local_meta_gradient(state, LearnerBatch(tau_i, replay))[0]

    # Sequential: memory of one meta-gradient, not B.
    grads = jax.lax.map(one, batch.trajectories)
    if axis_name is not None:
      grads = jax.lax.all_gather(grads, axis_name, tiled=True)
    stats = diagnostics.batch_statistics(grads)
    return {'meta_grad_variance': stats['variance'],
            'meta_grad_norm_to_variance': stats['norm_to_variance']}

  def skip_statistics(state, batch):
    del state, batch
    nan = jnp.full((), jnp.nan, jnp.float32)
    return {'meta_grad_variance': nan, 'meta_grad_norm_to_variance': nan}

  def update(state: TrainingState, batch: LearnerBatch):
    if meta_learning:
      meta_grad, (params, opt_state, metrics) = meta_gradient(state, batch)
      meta_grad = pmean(meta_grad)
      meta_updates, meta_opt_state = meta_optimizer.update(
          meta_grad, state.meta_opt_state, state.meta_params)
      meta_params = optax.apply_updates(state.meta_params, meta_updates)
      metrics.update(diagnostics.meta_gradient_metrics(
          meta_grad, state.prev_meta_grad))
    else:
      params, opt_state, metrics = inner_loop(
          state.meta_params, state.params, state.opt_state, batch)
      meta_params, meta_opt_state = state.meta_params, state.meta_opt_state
      meta_grad = state.prev_meta_grad
      # The same keys as the meta-learning objectives log.
      nan = jnp.full((), jnp.nan, jnp.float32)
      metrics.update({META_LOSS: nan, diagnostics.META_GRAD_NORM: nan,
                      diagnostics.META_GRAD_COSINE: nan})
    metrics = pmean(metrics)
    if meta_learning and variance_every:
      # NaN on the steps in between; a Python branch when off: no cost.
      metrics.update(jax.lax.cond(
          state.steps % variance_every == 0, per_trajectory_statistics,
          skip_statistics, state, batch))
    for name, values in zip(_HYPER_NAMES, hypers_fn(meta_params)):
      for i in range(num_heads):
        metrics[f'{name.rstrip("_")}_{i}'] = values[i]
    new_state = TrainingState(
        params=params, opt_state=opt_state, meta_params=meta_params,
        meta_opt_state=meta_opt_state, prev_meta_grad=meta_grad,
        steps=state.steps + 1)
    return new_state, metrics

  return LearnerFns(update, meta_gradient, agent_update)


def shard(batch: LearnerBatch, num_devices: int) -> LearnerBatch:
  """Splits the batch axes into [num_devices, B / num_devices] (pmap input)."""
  def split(x, axis):
    if x.shape[axis] % num_devices:
      raise ValueError(f'batch axis of size {x.shape[axis]} is not divisible '
                       f'by the {num_devices} learner devices.')
    x = np.asarray(x)
    shape = x.shape[:axis] + (num_devices, -1) + x.shape[axis + 1:]
    return np.moveaxis(x.reshape(shape), axis, 0)
  replay = None
  if batch.replay is not None:
    replay = jax.tree_util.tree_map(lambda x: split(x, 1), batch.replay)
  return LearnerBatch(
      jax.tree_util.tree_map(lambda x: split(x, 0), batch.trajectories),
      replay)
