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

"""Update, meta-update (fixed, MG, BMG) and the Acme learner of the agent."""

from typing import Any, Callable, Dict, NamedTuple, Tuple

import chex
import jax
import jax.numpy as jnp
import optax

from bmg_agents.actor_critic_bmg import config as ac_config
from bmg_agents.actor_critic_bmg import losses
from bmg_agents.actor_critic_bmg import networks as ac_networks

Metrics = Dict[str, chex.Array]


class AgentParams(NamedTuple):
  """The learner's parameters u = (x, z): policy and critic."""
  policy: Any
  critic: Any


class Window(NamedTuple):
  """What a meta-update needs from the last T agent updates.

  Attributes:
    start: u at the start of the window, before its first update.
    rollouts: the T rollouts, stacked on a leading axis.
    stats: [T, H] meta-learner inputs used by each update.
  """
  start: AgentParams
  rollouts: losses.Rollout
  stats: chex.Array


class TrainingState(NamedTuple):
  """Learner state (params, meta-params, meta-optimiser, window, counters)."""
  params: AgentParams
  meta_params: Any
  meta_opt_state: Any
  reward_history: chex.Array
  window: Window
  steps: chex.Array


class AgentFunctions(NamedTuple):
  """The agent as pure functions, shared by every runner.

  Attributes:
    init: (key, observation [O]) -> TrainingState.
    update: (state, rollout) -> (state, metrics); one agent update under the
      current (meta-learned or fixed) entropy weight (Alg. 2, one step).
    meta_update: state -> (state, metrics); call it after every `window`
      updates (MG: K, BMG: K + L - 1); the identity for the fixed agent.
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


def _global_norm(tree) -> chex.Array:
  return optax.global_norm(tree)


def make_agent_functions(
    networks: ac_networks.ActorCriticNetworks,
    config: ac_config.ActorCriticBMGConfig) -> AgentFunctions:
  """Builds the agent's pure functions (App. B.2, Alg. 2-3).

  Agent update (Eq. 4, SGD): u <- u - alpha grad(eps_PG l_PG + eps l_EN +
  eps_TD l_TD) with eps = eps_w(t), t the average rewards of the last
  `reward_history` rollouts. Every T updates, a meta-update recomputes the
  window's first K updates differentiably in w from the stored start
  parameters and rollouts (the data is not differentiated, exactly as when
  acting), then:

  * MG: w <- w - beta grad_w 1/K sum_k [l_PG + eps_meta l_EN](x^(k)(w), tau_k).
  * BMG: the target x~ = x^(T) - beta' grad [l_PG + eps_meta l_EN](x^(T),
    tau_T) takes the agent's own L - 1 updates x^(K) -> x^(T) and one policy
    gradient step (cost constant in L); w <- w - beta grad_w mu(x~, x^(K)(w))
    on the states of tau_T.

  Args:
    networks: the agent's networks.
    config: hyper-parameters.

  Returns:
    AgentFunctions.
  """
  agent, K = config.agent, config.K
  window = config.window
  inner_optimizer = optax.sgd(config.learning_rate)
  meta_optimizer = optax.adam(config.meta_learning_rate, b1=0.9, b2=0.999,
                              eps=config.meta_adam_eps)

  def entropy_weight(meta_params, stats):
    if agent == 'fixed':
      return jnp.full(stats.shape[:-1], config.entropy, jnp.float32)
    return networks.meta_apply(meta_params, stats)

  def forward(params, rollout):
    logits = networks.policy_apply(params.policy, rollout.observations[:-1])
    values = networks.critic_apply(params.critic, rollout.observations)
    return losses.actor_critic_terms(logits, values, rollout, config.discount)

  def inner_step(params, eps, rollout):
    """One SGD step on Eq. 4; differentiable in eps."""
    def loss_fn(p):
      terms = forward(p, rollout)
      loss = (config.pg_weight * terms.pg + eps * terms.entropy
              + config.td_weight * terms.td)
      return loss, terms
    grads, terms = jax.grad(loss_fn, has_aux=True)(params)
    updates, _ = inner_optimizer.update(grads, inner_optimizer.init(params))
    return optax.apply_updates(params, updates), terms

  def init(key, observation):
    policy_key, critic_key, meta_key = jax.random.split(key, 3)
    stats = ac_networks.dummy_stats(config)
    params = AgentParams(
        policy=networks.policy_init(policy_key, observation),
        critic=networks.critic_init(critic_key, observation))
    meta_params = networks.meta_init(meta_key, stats)
    n = config.rollout_length
    rollout = losses.Rollout(
        observations=jnp.zeros((window, n + 1) + observation.shape,
                               jnp.float32),
        actions=jnp.zeros((window, n), jnp.int32),
        rewards=jnp.zeros((window, n), jnp.float32))
    return TrainingState(
        params=params, meta_params=meta_params,
        meta_opt_state=meta_optimizer.init(meta_params),
        reward_history=stats,
        window=Window(start=params, rollouts=rollout,
                      stats=jnp.zeros((window,) + stats.shape, jnp.float32)),
        steps=jnp.zeros((), jnp.int32))

  def update(state, rollout):
    history = jnp.concatenate(
        [state.reward_history[1:], jnp.mean(rollout.rewards)[None]])
    eps = entropy_weight(state.meta_params, history)
    params, terms = inner_step(state.params, eps, rollout)
    win = state.window
    if agent != 'fixed':
      i = state.steps % window
      start = jax.tree_util.tree_map(
          lambda new, old: jnp.where(i == 0, new, old), state.params,
          win.start)
      put = lambda buf, x: jax.lax.dynamic_update_index_in_dim(buf, x, i, 0)
      win = Window(start=start,
                   rollouts=jax.tree_util.tree_map(put, win.rollouts, rollout),
                   stats=put(win.stats, history))
    new_state = state._replace(params=params, reward_history=history,
                               window=win, steps=state.steps + 1)
    metrics = dict(reward=jnp.mean(rollout.rewards), entropy_weight=eps,
                   policy_entropy=-terms.entropy, pg_loss=terms.pg,
                   td_loss=terms.td)
    return new_state, metrics

  def target_policy(state, meta_params):
    """x~: one step from x^(T) on tau_T with a fixed objective (or ablation)."""
    last = jax.tree_util.tree_map(lambda b: b[-1], state.window.rollouts)
    if config.target_step == 'pg':
      eps = config.meta_entropy
    else:  # Ablation: the final step under the meta-learned rule.
      eps = entropy_weight(meta_params, state.window.stats[-1])
    def loss_fn(policy):
      terms = forward(state.params._replace(policy=policy), last)
      return terms.pg + eps * terms.entropy
    grads = jax.grad(loss_fn)(state.params.policy)
    target = jax.tree_util.tree_map(
        lambda p, g: p - config.target_learning_rate * g,
        state.params.policy, grads)
    return jax.lax.stop_gradient(target), last

  def meta_loss(meta_params, state):
    win = state.window
    first_k = jax.tree_util.tree_map(lambda b: b[:K], win.rollouts)
    eps_k = entropy_weight(meta_params, win.stats[:K])

    def body(params, inputs):
      eps, rollout = inputs
      params, _ = inner_step(params, eps, rollout)
      if agent == 'mg':  # Meta-objective term of x^(k)(w) under tau_k.
        terms = forward(params, rollout)
        return params, terms.pg + config.meta_entropy * terms.entropy
      return params, jnp.zeros(())

    params_k, mg_terms = jax.lax.scan(body, win.start, (eps_k, first_k))
    aux = dict(policy_k=params_k.policy)
    if agent == 'mg':
      return jnp.mean(mg_terms), aux
    target, last = target_policy(state, jax.lax.stop_gradient(meta_params))
    if config.matching == 'l2':
      mu = losses.parameter_matching(target, params_k.policy)
    else:
      obs = last.observations[:-1]
      mu = losses.policy_matching(
          networks.policy_apply(target, obs),
          networks.policy_apply(params_k.policy, obs), config.matching)
    return mu, dict(aux, target=target)

  def meta_update(state):
    if agent == 'fixed':
      return state, {}
    (loss, _), grads = jax.value_and_grad(meta_loss, has_aux=True)(
        state.meta_params, state)
    updates, meta_opt_state = meta_optimizer.update(
        grads, state.meta_opt_state, state.meta_params)
    meta_params = optax.apply_updates(state.meta_params, updates)
    metrics = dict(meta_loss=loss, meta_grad_norm=_global_norm(grads))
    return state._replace(meta_params=meta_params,
                          meta_opt_state=meta_opt_state), metrics

  def select_action(policy_params, key, observation):
    logits = networks.policy_apply(policy_params, observation)
    return jax.random.categorical(key, logits).astype(jnp.int32)

  return AgentFunctions(init=init, update=update, meta_update=meta_update,
                        select_action=select_action, meta_loss=meta_loss,
                        window=window)

