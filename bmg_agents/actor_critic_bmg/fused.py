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

"""Fused runner: environment, acting, learning and meta-learning in one scan."""

import dataclasses
import types
from typing import Dict, NamedTuple, Optional, Tuple

from dm_env import specs
import jax
import jax.numpy as jnp
import numpy as np

from bmg_agents import anakin
from bmg_agents.actor_critic_bmg import acting
from bmg_agents.actor_critic_bmg import config as ac_config
from bmg_agents.actor_critic_bmg import learning
from bmg_agents.actor_critic_bmg import losses
from bmg_agents.actor_critic_bmg import networks as ac_networks
from bmg_agents.environments import two_colors
from bmg_agents.experiments import sweep


class RunnerState(NamedTuple):
  """Everything one seed carries from one scan step to the next."""
  learner: learning.TrainingState
  actor: acting.ActorState


class FusedRunner(NamedTuple):
  """Pure functions of one seed; vmap/pmap them over seeds.

  Attributes:
    init: key -> RunnerState.
    cycle: RunnerState -> (RunnerState, metrics): T agent updates (each after
      an N-step rollout) then one meta-update (Alg. 3).
    run: (RunnerState, num_intervals, cycles_per_interval) -> (RunnerState,
      metrics [num_intervals]); metrics averaged over each interval.
    steps_per_cycle: environment steps per cycle, N * T.
    agent: the agent's pure functions.
  """
  init: object
  cycle: object
  run: object
  steps_per_cycle: int
  agent: learning.AgentFunctions


def environment_spec(size: int = two_colors.DEFAULT_SIZE
                     ) -> types.SimpleNamespace:
  """The spec fields `make_networks` reads, for the pure two-colours task."""
  return types.SimpleNamespace(
      observations=specs.Array((two_colors.observation_size(size),),
                               np.float32, name='observation'),
      actions=specs.DiscreteArray(two_colors.NUM_ACTIONS, name='action'))


def make_fused_runner(config: ac_config.ActorCriticBMGConfig,
                      size: int = two_colors.DEFAULT_SIZE,
                      flip_period: int = two_colors.DEFAULT_FLIP_PERIOD
                      ) -> FusedRunner:
  """Builds the single-seed fused runner from the agent's pure functions."""
  networks = ac_networks.make_networks(environment_spec(size), config)
  # Continuing rollouts (two-colours has no episodes); no cosine, which
  # would move w by an ulp (see `make_agent_functions`): the fused run is
  # the one behind the published results, kept bit-for-bit.
  agent = learning.make_agent_functions(networks, config, continuing=True,
                                        meta_grad_cosine=False)
  rollout_fn = acting.make_rollout(agent.select_action, config.rollout_length,
                                   size, flip_period)
  window = agent.window

  def init(key):
    learner_key, actor_key = jax.random.split(key)
    obs = jnp.zeros((two_colors.observation_size(size),), jnp.float32)
    return RunnerState(learner=agent.init(learner_key, obs),
                       actor=acting.init_actor(actor_key, size))

  def agent_step(state: RunnerState, _):
    actor, rollout = rollout_fn(state.learner.params.policy, state.actor)
    learner, metrics = agent.update(state.learner, rollout)
    return RunnerState(learner=learner, actor=actor), metrics

  def cycle(state: RunnerState):
    state, metrics = jax.lax.scan(agent_step, state, None, length=window)
    metrics = jax.tree_util.tree_map(jnp.mean, metrics)
    learner, meta_metrics = agent.meta_update(state.learner)
    metrics.update(meta_metrics)
    return state._replace(learner=learner), metrics

  def run(state: RunnerState, num_intervals: int, cycles_per_interval: int):
    def interval(state, _):
      state, metrics = jax.lax.scan(lambda s, _: cycle(s), state, None,
                                    length=cycles_per_interval)
      return state, jax.tree_util.tree_map(jnp.mean, metrics)
    return jax.lax.scan(interval, state, None, length=num_intervals)

  return FusedRunner(init=init, cycle=cycle, run=run,
                     steps_per_cycle=config.rollout_length * window,
                     agent=agent)


def plan(config: ac_config.ActorCriticBMGConfig, num_steps: int,
         log_every: int) -> Tuple[int, int]:
  """(num_intervals, cycles_per_interval) covering about num_steps steps."""
  steps_per_cycle = config.rollout_length * config.window
  cycles_per_interval = max(1, round(log_every / steps_per_cycle))
  interval = cycles_per_interval * steps_per_cycle
  return max(1, round(num_steps / interval)), cycles_per_interval


def make_job(config: ac_config.ActorCriticBMGConfig, seeds: np.ndarray,
             num_steps: int, log_every: int = 3200,
             size: int = two_colors.DEFAULT_SIZE,
             flip_period: int = two_colors.DEFAULT_FLIP_PERIOD,
             max_seeds_per_group: Optional[int] = None) -> sweep.FusedJob:
  """One config on many seeds as a fused job (see `run_seeds`)."""
  runner = make_fused_runner(config, size, flip_period)
  num_intervals, cycles = plan(config, num_steps, log_every)
  keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(np.asarray(seeds)))
  init = jax.jit(jax.vmap(runner.init))
  return sweep.FusedJob(
      step_fn=runner.cycle, init=lambda: init(keys),
      steps_per_call=runner.steps_per_cycle, calls_per_row=cycles,
      num_rows=num_intervals,
      schedule_keys=('entropy_weight', 'policy_entropy'),
      flip_period=flip_period, max_seeds_per_group=max_seeds_per_group)


def label(config: ac_config.ActorCriticBMGConfig) -> str:
  """The agent's name in CSVs and legends, its settings spelled out."""
  if config.meta_objective == 'none':
    return f'fixed entropy weight {config.entropy}'
  horizon = f'K={config.K}' + (f' L={config.L} {config.matching}'
                               if config.meta_objective == 'bmg' else '')
  return (f'{config.meta_objective.upper()} {horizon}, from '
          f'{config.initial_entropy}, meta lr {config.meta_learning_rate:g}')


def run_seeds(config: ac_config.ActorCriticBMGConfig, seeds: np.ndarray,
              num_steps: int, log_every: int = 3200,
              size: int = two_colors.DEFAULT_SIZE,
              flip_period: int = two_colors.DEFAULT_FLIP_PERIOD,
              progress: Optional[anakin.Callback] = None,
              max_seeds_per_group: Optional[int] = None,
              **checkpointing) -> Tuple[Optional[Dict[str, np.ndarray]], int]:
  """Runs one config on many seeds with `anakin.run` (vmap, scan, pmap).

  Args:
    config: the agent's config.
    seeds: [S] int seeds; seed s starts from jax.random.PRNGKey(s).
    num_steps: environment steps per seed (rounded to whole intervals).
    log_every: environment steps per logged interval (rounded to cycles).
    size: grid side.
    flip_period: steps between reward flips.
    progress: optional anakin callback, called with environment steps.
    max_seeds_per_group: see `anakin.run` (same results, better cache use).
    **checkpointing: `sweep.run_job`'s checkpoint, save_every, resume and
      stop.

  Returns:
    (metrics dict of [S, num_intervals] arrays, or None when stopped; steps
    per interval).
  """
  job = make_job(config, seeds, num_steps, log_every, size, flip_period,
                 max_seeds_per_group)
  return sweep.run_job(job, dataclasses.asdict(config), progress=progress,
                       **checkpointing), job.row_steps


def run_python_loop(config: ac_config.ActorCriticBMGConfig, seed: int,
                    num_cycles: int,
                    size: int = two_colors.DEFAULT_SIZE,
                    flip_period: int = two_colors.DEFAULT_FLIP_PERIOD
                    ) -> Tuple[RunnerState, Dict[str, np.ndarray]]:
  """The same agent stepped from Python, one environment step per call.

  The reference for the fused runner: the same pure functions (jitted one at
  a time) and the same keys, so the results agree with `make_fused_runner`.

  Args:
    config: the agent's config.
    seed: the seed (as in `run_seeds`).
    num_cycles: number of cycles (T updates and one meta-update each).
    size: grid side.
    flip_period: steps between reward flips.

  Returns:
    (final RunnerState, per-cycle metrics as [num_cycles] arrays).
  """
  runner = make_fused_runner(config, size, flip_period)
  agent = runner.agent
  env_step = jax.jit(acting.make_env_step(agent.select_action, size,
                                          flip_period))
  update = jax.jit(agent.update)
  meta_update = jax.jit(agent.meta_update)
  state = jax.jit(runner.init)(jax.random.PRNGKey(seed))
  learner, actor = state.learner, state.actor
  history = []
  for _ in range(num_cycles):
    cycle_metrics = []
    for _ in range(agent.window):
      transitions = []
      for _ in range(config.rollout_length):
        actor, transition = env_step(learner.params.policy, actor)
        transitions.append(transition)
      obs, actions, rewards = (jnp.stack(x) for x in zip(*transitions))
      rollout = losses.Rollout(
          jnp.concatenate([obs, actor.observation[None]]), actions, rewards)
      learner, metrics = update(learner, rollout)
      cycle_metrics.append(metrics)
    metrics = {k: np.mean([m[k] for m in cycle_metrics])
               for k in cycle_metrics[0]}
    learner, meta_metrics = meta_update(learner)
    metrics.update({k: np.asarray(v) for k, v in meta_metrics.items()})
    history.append(metrics)
  stacked = {k: np.asarray([m[k] for m in history]) for k in history[0]}
  return RunnerState(learner=learner, actor=actor), stacked
