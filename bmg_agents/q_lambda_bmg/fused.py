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

"""Fused (Anakin) and per-step-loop runners of Q(λ)-BMG on two-colours."""

import dataclasses
import functools
from typing import Any, Callable, Dict, NamedTuple, Optional, Sequence, Tuple

import chex
from dm_env import specs
import jax
import jax.numpy as jnp
import numpy as np

from bmg_agents import anakin
from bmg_agents.environments import two_colors
from bmg_agents.experiments import sweep
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import learning
from bmg_agents.q_lambda_bmg import networks as networks_lib


class EnvironmentSpec(NamedTuple):
  """The two fields of an acme EnvironmentSpec that `make_networks` reads."""
  observations: specs.Array
  actions: specs.DiscreteArray


def environment_spec(size: int = two_colors.DEFAULT_SIZE) -> EnvironmentSpec:
  """Two-colours' observation and action specs, for `make_networks`."""
  return EnvironmentSpec(
      observations=specs.Array((two_colors.observation_size(size),),
                               np.float32, name='observation'),
      actions=specs.DiscreteArray(two_colors.NUM_ACTIONS, name='action'))


class RunState(NamedTuple):
  """One seed's agent, environment and acting state (App. B.1 step order)."""
  learner: learning.TrainingState
  env: two_colors.TwoColorsState
  observation: chex.Array  # s_t, [D].
  reward_history: chex.Array  # t_t: the last H rewards, oldest first.
  key: chex.PRNGKey


def init_states(agent: learning.AgentFunctions, key: chex.PRNGKey,
                num_seeds: int, reward_history: int,
                epsilons: Optional[Sequence[float]] = None,
                size: int = two_colors.DEFAULT_SIZE) -> RunState:
  """RunStates with a leading axis of `num_seeds` from one key.

  Args:
    agent: the pure agent.
    key: the run's key (from --seed).
    num_seeds: number of independent seeds S.
    reward_history: H, the ε-network's input length.
    epsilons: optional [S] fixed ε per seed (a sweep in one run); only used
      by the fixed-ε agent.
    size: grid side.

  Returns:
    A RunState whose leaves have a leading axis S.
  """
  def init_one(key, epsilon=None):
    env_key, agent_key, run_key = jax.random.split(key, 3)
    env = two_colors.reset(env_key, size)
    obs = two_colors.observation(env, size)
    learner = agent.init(agent_key, obs, epsilon)
    return RunState(learner, env, obs,
                    jnp.zeros((reward_history,), jnp.float32), run_key)

  keys = jax.random.split(key, num_seeds)
  if epsilons is None:
    return jax.jit(jax.vmap(init_one))(keys)
  if len(epsilons) != num_seeds:
    raise ValueError(f'epsilons must have one value per seed ({num_seeds}), '
                     f'got {len(epsilons)}.')
  return jax.jit(jax.vmap(init_one))(keys,
                                     jnp.asarray(epsilons, jnp.float32))


def make_step_fn(agent: learning.AgentFunctions,
                 size: int = two_colors.DEFAULT_SIZE,
                 flip_period: int = two_colors.DEFAULT_FLIP_PERIOD
                 ) -> Callable[[RunState], Tuple[RunState, Dict[str, Any]]]:
  """One seed's step: act on s_t, environment to s_{t+1}, one update.

  The learner sees every transition exactly once and in order, as the Acme
  learner does through its Reverb queue; γ is applied by the learner.
  """

  def step_fn(state):
    key, act_key = jax.random.split(state.key)
    learner = state.learner
    action, epsilon = agent.act(learner.params, learner.meta_params,
                                state.observation, state.reward_history,
                                act_key)
    env, reward = two_colors.step(state.env, action, size, flip_period)
    observation = two_colors.observation(env, size)
    transition = learning.Transition(
        observation=state.observation, action=action, reward=reward,
        discount=jnp.ones((), jnp.float32), next_observation=observation,
        reward_history=state.reward_history)
    learner, metrics = agent.update(learner, transition)
    history = jnp.concatenate([state.reward_history[1:], reward[None]])
    metrics = dict(metrics, reward=reward, epsilon=epsilon)
    return RunState(learner, env, observation, history, key), metrics

  return step_fn


def run_fused(step_fn, states: RunState, num_steps: int, chunk_size: int,
              callback=None, max_seeds_per_group: Optional[int] = None
              ) -> Tuple[RunState, Dict[str, np.ndarray]]:
  """anakin.run: scan `chunk_size` steps per call, vmap over seeds.

  `max_seeds_per_group`: see `anakin.run` (same results, cache use).

  Returns:
    (final states, metrics [num_steps // chunk_size, S] averaged per chunk).
  """
  return anakin.run(step_fn, states, num_steps, chunk_size,
                    callback=callback,
                    max_seeds_per_group=max_seeds_per_group)


def run_python_loop(step_fn, states: RunState, num_steps: int
                    ) -> Tuple[RunState, Dict[str, np.ndarray]]:
  """The same steps, one jitted call (vmapped over seeds) per step.

  The per-step Python loop that the fused runner is measured against, and
  the step-by-step reference for the agreement test.

  Returns:
    (final states, metrics [num_steps, S]).
  """
  step = jax.jit(jax.vmap(step_fn))
  out = []
  for _ in range(num_steps):
    states, metrics = step(states)
    out.append(metrics)
  out = jax.device_get(out)
  return states, jax.tree_util.tree_map(lambda *x: np.stack(x), *out)


def make_job(config: config_lib.QLambdaConfig, num_seeds: int,
             num_steps: int, chunk_size: int, flip_period: int, seed: int,
             epsilons: Optional[Sequence[float]] = None,
             max_seeds_per_group: Optional[int] = 5) -> sweep.FusedJob:
  """`num_seeds` seeds of one config as a fused job (see `run_seeds`)."""
  if chunk_size < 1 or num_steps % chunk_size:
    raise ValueError(f'num_steps ({num_steps}) must be a positive multiple '
                     f'of the chunk size ({chunk_size}).')
  networks = networks_lib.make_networks(environment_spec(), config)
  agent = learning.make_agent_functions(networks, config)
  init = jax.jit(lambda key: init_states(agent, key, num_seeds,
                                         config.reward_history, epsilons))
  return sweep.FusedJob(
      step_fn=make_step_fn(agent, flip_period=flip_period),
      init=functools.partial(init, jax.random.PRNGKey(seed)),
      steps_per_call=1, calls_per_row=chunk_size,
      num_rows=num_steps // chunk_size, schedule_keys=('epsilon',),
      flip_period=flip_period, max_seeds_per_group=max_seeds_per_group)


def run_seeds(config: config_lib.QLambdaConfig, num_seeds: int,
              num_steps: int, chunk_size: int, flip_period: int, seed: int,
              epsilons: Optional[Sequence[float]] = None,
              progress: Optional[anakin.Callback] = None,
              max_seeds_per_group: Optional[int] = 5, **checkpointing
              ) -> Optional[Dict[str, np.ndarray]]:
  """A fused run of `num_seeds` seeds; metrics of shape [seeds, chunks].

  Seeds run in groups of at most `max_seeds_per_group` per device (see
  `anakin.run`): the same numbers, 1.2-2.5x faster here than one vmap over
  all of a device's seeds (benchmarks/q_lambda_throughput.py).

  Args:
    config: the agent's config.
    num_seeds: seeds, all from `jax.random.PRNGKey(seed)`.
    num_steps: environment steps per seed (a multiple of chunk_size).
    chunk_size: steps per metrics row (per-chunk means).
    flip_period: steps between reward flips.
    seed: the run's seed.
    epsilons: optional [num_seeds] ε of a fixed-ε sweep.
    progress: optional anakin callback, called with environment steps.
    max_seeds_per_group: see `anakin.run`.
    **checkpointing: `sweep.run_job`'s checkpoint, save_every, resume and
      stop (then None is returned when stopped).
  """
  job = make_job(config, num_seeds, num_steps, chunk_size, flip_period, seed,
                 epsilons, max_seeds_per_group)
  return sweep.run_job(job, dataclasses.asdict(config), progress=progress,
                       **checkpointing)
