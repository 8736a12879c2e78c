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

"""The agent as pure functions: update, meta-update (none, MG, BMG)."""

from typing import Any, Callable, Dict, NamedTuple, Tuple

import chex
import jax
import jax.numpy as jnp
import optax

from bmg_agents import core
from bmg_agents.actor_critic_bmg import acting
from bmg_agents.actor_critic_bmg import config as ac_config
from bmg_agents.actor_critic_bmg import losses
from bmg_agents.actor_critic_bmg import networks as ac_networks

Metrics = Dict[str, chex.Array]

# What `meta_update` reports, for every meta-objective (NaN for 'none').
META_LOSS = 'meta_loss'
META_METRICS = (META_LOSS, core.diagnostics.META_GRAD_NORM,
                core.diagnostics.META_GRAD_COSINE)


class AgentParams(NamedTuple):
  """The learner's parameters u = (x, z): policy and critic."""
  policy: Any
  critic: Any


class Batch(NamedTuple):
  """The data of one agent update: a rollout and the meta-learner's input."""
  rollout: losses.Rollout
  stats: chex.Array


class Window(NamedTuple):
  """What a meta-update needs from the last T agent updates.

  Attributes:
    params: u at the start of the window, before its first update.
    opt_state: the inner optimiser's state there.
    batches: the T updates' batches, stacked on a leading axis.
  """
  params: AgentParams
  opt_state: Any
  batches: Batch


class TrainingState(NamedTuple):
  """Learner state (params, meta-params, optimisers, window, counter).

  Attributes:
    params: u = (x, z).
    opt_state: the inner optimiser's state.
    meta_params: w.
    meta_opt_state: the meta-optimiser's state.
    reward_history: [reward_history] recent rollouts' average rewards, the
      meta-learner's input.
    window: what the next meta-update needs.
    steps: agent updates so far.
    meta_grad: the last meta-gradient (zeros before the first), for the
      cosine between consecutive meta-gradients (Table 6).
  """
  params: AgentParams
  opt_state: Any
  meta_params: Any
  meta_opt_state: Any
  reward_history: chex.Array
  window: Window
  steps: chex.Array
  meta_grad: Any


class AgentFunctions(NamedTuple):
  """The agent as pure functions, shared by every runner.

  Attributes:
    init: (key, observation [O]) -> TrainingState.
    update: (state, rollout) -> (state, metrics); one agent update under the
      current (meta-learned or fixed) entropy weight (Alg. 2, one step).
    meta_update: state -> (state, metrics); call it after every `window`
      updates (MG: K, BMG: K + L - 1); the identity for 'none'. Its metrics
      always hold the keys `META_METRICS` (NaN for 'none').
    select_action: (policy params, key, observation) -> action.
    meta_loss: (meta params, state) -> (loss, aux): the MG meta-objective or
      the BMG matching loss whose w-gradient `meta_update` follows.
    window: T, the number of updates per meta-update.
  """
  init: Callable[..., TrainingState]
  update: Callable[..., Tuple[TrainingState, Metrics]]
  meta_update: Callable[..., Tuple[TrainingState, Metrics]]
  select_action: Callable[..., chex.Array]
  meta_loss: Callable[..., Any]
  window: int


def make_agent_functions(
    networks: ac_networks.ActorCriticNetworks,
    config: ac_config.ActorCriticBMGConfig,
    continuing: bool = False,
    meta_grad_cosine: bool = True) -> AgentFunctions:
  """Builds the agent's pure functions (App. B.2, Alg. 2-3) on `core`.

  Agent update phi (Eq. 4, SGD): u <- u - alpha grad(eps_PG l_PG + eps l_EN +
  eps_TD l_TD) with eps = eps_w(t), t the average rewards of the last
  `reward_history` rollouts. Every T updates, a meta-update recomputes the
  window's first K updates differentiably in w (`core.unroll`) from the
  stored start parameters and batches (the data is not differentiated,
  exactly as when acting; w has not changed within the window), then:

  * MG: grad_w 1/K sum_k [l_PG + eps_meta l_EN](x^(k)(w), tau_k).
  * BMG (`core.bmg_loss`): the target x~ takes the agent's own L - 1 updates
    x^(K) -> x^(T) (cost constant in L) and one final step on tau_T: a policy
    gradient step with entropy weight eps_meta (`core.sgd_step`), or, as an
    ablation, a step under phi; mu(x~, x^(K)(w)) on the states of tau_T.

  w then takes an Adam step.

  Args:
    networks: the agent's networks.
    config: hyper-parameters.
    continuing: the rollouts come without discounts and masks (None: a
      continuing task with discount 1, as the fused two-colours runner's);
      False: every rollout carries them (acme data).
    meta_grad_cosine: keep the last meta-gradient in the state and report
      the cosine between consecutive ones (Table 6); False reports NaN and
      leaves the meta-update's arithmetic exactly as without diagnostics
      (outputting the gradient changes XLA's fusion by an ulp).

  Returns:
    AgentFunctions.
  """
  objective, K = config.meta_objective, config.K
  window = config.window
  inner_optimizer = optax.sgd(config.learning_rate)
  meta_optimizer = optax.adam(config.meta_learning_rate, b1=0.9, b2=0.999,
                              eps=config.meta_adam_eps)
  select_action = acting.make_select_action(networks)

  def entropy_weight(meta_params, stats):
    if objective == 'none':
      return jnp.full(stats.shape[:-1], config.entropy, jnp.float32)
    return networks.meta_apply(meta_params, stats)

  def forward(params, rollout):
    logits = networks.policy_apply(params.policy, rollout.observations[:-1])
    values = networks.critic_apply(params.critic, rollout.observations)
    return losses.actor_critic_terms(logits, values, rollout, config.discount)

  def loss_fn(params, meta_params, batch):
    """Eq. 4 with the meta-learned entropy weight; differentiable in w."""
    eps = entropy_weight(meta_params, batch.stats)
    terms = forward(params, batch.rollout)
    loss = (config.pg_weight * terms.pg + eps * terms.entropy
            + config.td_weight * terms.td)
    return loss, dict(entropy_weight=eps, policy_entropy=-terms.entropy,
                      pg_loss=terms.pg, td_loss=terms.td)

  update_fn = core.gradient_update(loss_fn, inner_optimizer)

  def init(key, observation):
    policy_key, critic_key, meta_key = jax.random.split(key, 3)
    stats = ac_networks.dummy_stats(config)
    params = AgentParams(
        policy=networks.policy_init(policy_key, observation),
        critic=networks.critic_init(critic_key, observation))
    meta_params = networks.meta_init(meta_key, stats)
    opt_state = inner_optimizer.init(params)
    n = config.rollout_length
    batches = Batch(
        rollout=losses.Rollout(
            observations=jnp.zeros((window, n + 1) + observation.shape,
                                   jnp.float32),
            actions=jnp.zeros((window, n), jnp.int32),
            rewards=jnp.zeros((window, n), jnp.float32),
            discounts=None if continuing else jnp.ones((window, n),
                                                       jnp.float32),
            masks=None if continuing else jnp.ones((window, n),
                                                   jnp.float32)),
        stats=jnp.zeros((window,) + stats.shape, jnp.float32))
    return TrainingState(
        params=params, opt_state=opt_state, meta_params=meta_params,
        meta_opt_state=meta_optimizer.init(meta_params),
        reward_history=stats,
        window=Window(params=params, opt_state=opt_state, batches=batches),
        steps=jnp.zeros((), jnp.int32),
        meta_grad=jax.tree_util.tree_map(jnp.zeros_like, meta_params))

  def mean_reward(rollout):
    """The rollout's average reward over real transitions."""
    if rollout.masks is None:
      return jnp.mean(rollout.rewards)
    return (jnp.sum(rollout.rewards * rollout.masks) /
            jnp.maximum(jnp.sum(rollout.masks), 1.))

  def update(state, rollout):
    reward = mean_reward(rollout)
    history = jnp.concatenate([state.reward_history[1:], reward[None]])
    batch = Batch(rollout=rollout, stats=history)
    params, opt_state, metrics = update_fn(
        state.params, state.opt_state, state.meta_params, batch)
    win = state.window
    if objective != 'none':  # Write slot steps % T with a select (no scatter).
      slot = jnp.arange(window) == state.steps % window
      put = lambda buf, x: jnp.where(
          slot.reshape((-1,) + (1,) * x.ndim), x[None], buf)
      win = win._replace(batches=jax.tree_util.tree_map(put, win.batches,
                                                        batch))
    new_state = state._replace(params=params, opt_state=opt_state,
                               reward_history=history, window=win,
                               steps=state.steps + 1)
    return new_state, dict(metrics, reward=reward)

  def pg_objective(params, batch):
    terms = forward(params, batch.rollout)
    return terms.pg + config.meta_entropy * terms.entropy

  if config.final_step == 'objective':
    final_step = core.sgd_step(pg_objective, config.target_learning_rate)
  else:  # Ablation: the final target step under the meta-learned rule.
    final_step = None

  def target_fn(params_k, opt_state_k, meta_params, state):
    """x~ from the agent's own x^(T) (App. B.2): only the final step is new."""
    del params_k, opt_state_k
    last = jax.tree_util.tree_map(lambda b: b[-1], state.window.batches)
    return core.target_bootstrap(
        state.params, state.opt_state, meta_params,
        core.TargetData(batches=None, final_batch=last),
        update_fn=update_fn, final_step=final_step)

  def matching_outputs(params, meta_params, rollout):
    """mu's inputs on tau_T's states: the policy and its parameters."""
    del meta_params  # The policy does not depend on w directly.
    return core.Outputs(
        logits=networks.policy_apply(params.policy,
                                     rollout.observations[:-1]),
        params=params.policy, mask=rollout.masks)

  matching = core.matching.make_bmg_matching_fn(
      config.matching, matching_outputs, config.temperature,
      reduction=config.matching_reduction)

  def with_objective(params, opt_state, meta_params, batch):
    """phi followed by the MG meta-objective term of x^(k)(w) under tau_k."""
    params, opt_state, metrics = update_fn(params, opt_state, meta_params,
                                           batch)
    return params, opt_state, dict(
        metrics, meta_objective=pg_objective(params, batch))

  def meta_loss(meta_params, state):
    win = state.window
    first_k = jax.tree_util.tree_map(lambda b: b[:K], win.batches)
    if objective == 'mg':
      params_k, _, metrics = core.unroll(with_objective, meta_params,
                                         win.params, win.opt_state, first_k)
      return jnp.mean(metrics['meta_objective']), dict(
          policy_k=params_k.policy)
    last_rollout = jax.tree_util.tree_map(lambda b: b[-1],
                                          win.batches.rollout)
    loss, output = core.bmg_loss(
        meta_params, win.params, win.opt_state, first_k, state,
        last_rollout, update_fn=update_fn, target_fn=target_fn,
        matching_fn=matching)
    return loss, dict(policy_k=output.params.policy,
                      target=output.target.policy)

  def meta_update(state):
    if objective == 'none':
      return state, {k: jnp.full((), jnp.nan, jnp.float32)
                     for k in META_METRICS}
    (loss, _), grads = jax.value_and_grad(meta_loss, has_aux=True)(
        state.meta_params, state)
    updates, meta_opt_state = meta_optimizer.update(
        grads, state.meta_opt_state, state.meta_params)
    meta_params = optax.apply_updates(state.meta_params, updates)
    metrics = {META_LOSS: loss, **core.diagnostics.meta_gradient_metrics(
        grads, state.meta_grad)}
    if not meta_grad_cosine:
      metrics[core.diagnostics.META_GRAD_COSINE] = jnp.full((), jnp.nan,
                                                            jnp.float32)
    # The next window starts from here (the contract: one meta-update after
    # every `window` updates), so `update` never copies parameters.
    next_window = state.window._replace(params=state.params,
                                        opt_state=state.opt_state)
    return state._replace(meta_params=meta_params,
                          meta_opt_state=meta_opt_state,
                          window=next_window,
                          meta_grad=grads if meta_grad_cosine
                          else state.meta_grad), metrics

  return AgentFunctions(init=init, update=update, meta_update=meta_update,
                        select_action=select_action, meta_loss=meta_loss,
                        window=window)
