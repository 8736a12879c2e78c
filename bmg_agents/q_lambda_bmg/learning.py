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

"""Pure online learner of Peng's Q(λ) with BMG ε (App. B.3).

No acme, Launchpad, Reverb or TensorFlow here (nor in what this imports).
"""

from typing import Any, Callable, Dict, NamedTuple, Tuple

import chex
import jax
import jax.numpy as jnp
import optax

from bmg_agents.core import diagnostics
from bmg_agents.core import meta_gradient
from bmg_agents.q_lambda_bmg import acting
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import losses
from bmg_agents.q_lambda_bmg import networks as networks_lib

Array = chex.Array
Metrics = Dict[str, Array]

# K = 0: no inner update is differentiated (App. B.3), so `core.bmg_loss`
# unrolls over an empty batch axis.
_NO_INNER_BATCHES = jnp.zeros((0,), jnp.float32)


class Transition(NamedTuple):
  """One environment step as the learner consumes it (unbatched).

  Attributes:
    observation: s_t, shape [*O].
    action: a_t, int32 scalar.
    reward: r_{t+1}, scalar.
    discount: d_{t+1}, 0 at a terminal s_{t+1}, else 1 (a time limit keeps
      1); the learner bootstraps on γ·d_{t+1}, scalar.
    next_observation: s_{t+1}, shape [*O].
    reward_history: the last H rewards before s_t, the ε-network input t_t
      the action was chosen with, shape [H].
  """
  observation: Array
  action: Array
  reward: Array
  discount: Array
  next_observation: Array
  reward_history: Array


class Window(NamedTuple):
  """The last n transitions for the truncated λ-return, oldest first."""
  observations: Array  # [n + 1, *O]
  actions: Array  # [n]
  rewards: Array  # [n]
  discounts: Array  # [n]


class MetaBuffer(NamedTuple):
  """Ring buffer of the last L acting steps awaiting their target x̃.

  Step t lives in slot t mod L. Entry t is matched once the Q-network has
  taken L more updates, so only what x_t produced is kept (s_t, t_t,
  q_{x_t}(s_t)), never x_t itself; cost per step is independent of L.
  """
  observations: Array  # [L, *O]
  reward_histories: Array  # [L, H]
  q_values: Array  # [L, A]


class TrainingState(NamedTuple):
  """Everything the online learner carries from one step to the next.

  For the fixed-ε baseline `meta_params` is the constant ε (a float scalar)
  and `meta_opt_state` is empty, so a sweep over ε is a vmap over states.
  """
  params: Any
  opt_state: Any
  meta_params: Any
  meta_opt_state: Any
  meta_grads: Any  # The last meta-gradient (diagnostics), () if fixed ε.
  window: Window
  meta_buffer: MetaBuffer
  steps: Array  # int32, transitions consumed so far.


class AgentFunctions(NamedTuple):
  """The agent as pure functions, shared by every way of running it.

  Attributes:
    init: (key, observation [*O], epsilon=None) -> TrainingState; `epsilon`
      overrides the fixed agent's ε (ignored by 'bmg').
    epsilon: (meta_params, reward_history [H]) -> ε scalar.
    act: (params, meta_params, observation, reward_history, key) ->
      (action, ε); `acting.make_select_action`.
    update: (TrainingState, Transition) -> (TrainingState, metrics).
    networks: the QLambdaNetworks.
  """
  init: Callable[..., TrainingState]
  epsilon: acting.EpsilonFn
  act: acting.SelectActionFn
  update: Callable[[TrainingState, Transition],
                   Tuple[TrainingState, Metrics]]
  networks: networks_lib.QLambdaNetworks


def make_optimizer(learning_rate: float, eps: float, b1: float, b2: float,
                   grad_ema: float) -> optax.GradientTransformation:
  """Adam on an exponential moving average of the gradient (Table 1)."""
  return optax.chain(
      optax.ema(grad_ema, debias=False),
      optax.scale_by_adam(b1=b1, b2=b2, eps=eps),
      optax.scale(-learning_rate))


def metric_names(config: config_lib.QLambdaConfig) -> Tuple[str, ...]:
  """The keys of `update`'s metrics (the same at every step)."""
  names = ('q_loss', 'td_error', 'epsilon')
  if config.meta_objective == 'bmg':
    names += ('matching_loss', diagnostics.META_GRAD_NORM,
              diagnostics.META_GRAD_COSINE, 'target_agrees')
  return names


def _shift_in(buffer: Array, value: Array) -> Array:
  """Drops the oldest (first) entry and appends `value` at the end."""
  return jnp.concatenate([buffer[1:], value[None].astype(buffer.dtype)])


def _repeat(x: Array, num: int) -> Array:
  return jnp.broadcast_to(x[None], (num,) + x.shape)


def _select(pred: Array, on_true, on_false):
  return jax.tree_util.tree_map(
      lambda a, b: jnp.where(pred, a, b), on_true, on_false)


def _identity_update(params, opt_state, meta_params, batch):
  """The (empty) differentiable part of the update: w is not in it."""
  del meta_params, batch
  return params, opt_state, {}


def _precomputed_target(params, opt_state, meta_params, q_target):
  """x̃ comes from the agent's own update L steps later (App. B.3)."""
  del params, opt_state, meta_params
  return q_target


def make_agent_functions(networks: networks_lib.QLambdaNetworks,
                         config: config_lib.QLambdaConfig) -> AgentFunctions:
  """Builds the pure functions of Peng's Q(λ) with fixed or BMG ε.

  Each `update` consumes one transition (no batching, App. B.3):
  1. Peng's Q(λ) step on the transition n − 1 steps back, whose truncated
     λ-return now covers n rewards, bootstrapping on γ·d (no bootstrap past
     a terminal); Adam on the gradient EMA.
  2. BMG (K = 0, `core.bmg_loss`): the acting step L − 1 steps back was
     taken by x_{t−L+1}; the Q-network just became x̃ = x_{t+1}, L updates
     later. Its greedy policy is the target and μ(x̃, x) is minimised in w
     through ε_w only.

  Metrics before the first update (Q(λ): n − 1 steps, 0) and before the
  first meta-update (BMG: L − 1 steps, NaN) keep their keys
  (`metric_names`).

  Args:
    networks: Q-network and ε-network.
    config: the agent's hyper-parameters.

  Returns:
    The AgentFunctions.
  """
  is_bmg = config.meta_objective == 'bmg'
  n = config.trace_length
  num_l = config.L
  epsilon_fn = acting.make_epsilon_fn(networks, is_bmg)
  matching_fn = losses.make_greedy_matching_fn(
      config.matching, networks.epsilon_apply, config.temperature)
  optimizer = make_optimizer(config.learning_rate, config.adam_eps,
                             config.adam_b1, config.adam_b2, config.grad_ema)
  meta_optimizer = make_optimizer(
      config.meta_learning_rate, config.meta_adam_eps, config.adam_b1,
      config.adam_b2, config.meta_grad_ema)

  def init(key, observation, epsilon=None):
    q_key, eps_key = jax.random.split(key)
    observation = jnp.asarray(observation, jnp.float32)
    params = networks.q_init(q_key, observation)
    history = jnp.zeros((config.reward_history,), jnp.float32)
    if is_bmg:
      meta_params = networks.epsilon_init(eps_key, history)
      meta_opt_state = meta_optimizer.init(meta_params)
      meta_grads = jax.tree_util.tree_map(jnp.zeros_like, meta_params)
    else:
      meta_params = jnp.asarray(
          config.epsilon if epsilon is None else epsilon, jnp.float32)
      meta_opt_state = meta_grads = ()
    num_actions = networks.num_actions
    window = Window(
        observations=_repeat(observation, n + 1),
        actions=jnp.zeros((n,), jnp.int32),
        rewards=jnp.zeros((n,), jnp.float32),
        discounts=jnp.zeros((n,), jnp.float32))
    meta_buffer = MetaBuffer(
        observations=_repeat(observation, num_l),
        reward_histories=jnp.zeros((num_l, config.reward_history),
                                   jnp.float32),
        q_values=jnp.zeros((num_l, num_actions), jnp.float32))
    return TrainingState(params, optimizer.init(params), meta_params,
                         meta_opt_state, meta_grads, window, meta_buffer,
                         jnp.zeros((), jnp.int32))

  def q_loss(params, window):
    # Only the oldest transition is updated, so only q(s_0) needs gradient;
    # the bootstrap values q(s_1..s_n) are forward-only (targets are stopped
    # inside rlax anyway). Same numbers as one q_apply over the window.
    q_0 = networks.q_apply(params, window.observations[0])
    q_rest = jax.lax.stop_gradient(
        networks.q_apply(params, window.observations[1:]))
    q_tm1 = jnp.concatenate([q_0[None], q_rest[:-1]])
    td = losses.peng_q_lambda_td(q_tm1, window.actions, window.rewards,
                                 config.discount * window.discounts, q_rest,
                                 config.lambda_)
    return 0.5 * jnp.square(td[0]), td[0]

  def meta_gradient_fn(meta_params, q_target, oldest):
    return meta_gradient.bmg_meta_gradient(
        meta_params, oldest.q_values, (), _NO_INNER_BATCHES, q_target,
        oldest.reward_histories, update_fn=_identity_update,
        target_fn=_precomputed_target, matching_fn=matching_fn)

  def update(state, transition):
    t = transition
    q_behaviour = networks.q_apply(state.params, t.observation)
    # 1. Peng's Q(λ) on the oldest transition of the window. Slot -2 holds
    # s_t (after a terminal the previous transition's s_{t+1} is replaced
    # by the new episode's s_0, which its d = 0 never bootstraps on).
    w = state.window
    observations = _shift_in(w.observations, t.next_observation)
    observations = observations.at[-2].set(t.observation)
    window = Window(observations, _shift_in(w.actions, t.action),
                    _shift_in(w.rewards, t.reward),
                    _shift_in(w.discounts, t.discount))
    (loss, td), grads = jax.value_and_grad(q_loss, has_aux=True)(
        state.params, window)
    updates, opt_state = optimizer.update(grads, state.opt_state)
    params = optax.apply_updates(state.params, updates)
    q_ready = state.steps + 1 >= n
    params, opt_state = _select(q_ready, (params, opt_state),
                                (state.params, state.opt_state))
    # 2. BMG meta-update against x̃ = the parameters just produced.
    slot = state.steps % num_l
    buffer = jax.tree_util.tree_map(
        lambda buf, x: buf.at[slot].set(x.astype(buf.dtype)),
        state.meta_buffer,
        MetaBuffer(t.observation, t.reward_history, q_behaviour))
    # The oldest entry, t − L + 1, sits in the slot written next.
    oldest = jax.tree_util.tree_map(lambda buf: buf[(slot + 1) % num_l],
                                    buffer)
    metrics = dict(q_loss=loss * q_ready, td_error=td * q_ready,
                   epsilon=epsilon_fn(state.meta_params, t.reward_history))
    meta_params, meta_opt_state = state.meta_params, state.meta_opt_state
    meta_grads = state.meta_grads
    if is_bmg:
      q_target = networks.q_apply(params, oldest.observations)
      meta_grads, out = meta_gradient_fn(state.meta_params, q_target,
                                         oldest)
      meta_updates, new_meta_opt_state = meta_optimizer.update(
          meta_grads, state.meta_opt_state)
      new_meta_params = optax.apply_updates(state.meta_params, meta_updates)
      meta_ready = state.steps + 1 >= num_l
      meta_metrics = dict(
          matching_loss=out.loss,
          **diagnostics.meta_gradient_metrics(meta_grads, state.meta_grads),
          target_agrees=(jnp.argmax(q_target) ==
                         jnp.argmax(oldest.q_values)).astype(jnp.float32))
      metrics.update({k: jnp.where(meta_ready, v, jnp.nan)
                      for k, v in meta_metrics.items()})
      meta_params, meta_opt_state, meta_grads = _select(
          meta_ready, (new_meta_params, new_meta_opt_state, meta_grads),
          (meta_params, meta_opt_state, state.meta_grads))
    new_state = TrainingState(params, opt_state, meta_params, meta_opt_state,
                              meta_grads, window, buffer, state.steps + 1)
    return new_state, metrics

  return AgentFunctions(init=init, epsilon=epsilon_fn,
                        act=acting.make_select_action(networks, is_bmg),
                        update=update, networks=networks)
