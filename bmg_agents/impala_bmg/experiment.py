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

"""Runs STACX-BMG: environments by name, one process, or a Launchpad program.

Everything a Launchpad node unpickles lives here (or in other bmg_agents
modules), so child processes import `bmg_agents` (and its acme/jax
compatibility layer) before acme.
"""

import functools
import os
from typing import Dict, Optional, Tuple

from acme import environment_loop
from acme import specs
from acme.jax import utils as acme_utils
from acme.jax.layouts import local_layout
from acme.utils import counting
from acme.utils import loggers
from acme.utils.loggers import aggregators
from acme.utils.loggers import csv as csv_logger
from acme.utils.loggers import filters
from acme.utils.loggers import terminal
import dm_env
import jax
import launchpad as lp

from bmg_agents import launching
from bmg_agents.environments import atari
from bmg_agents.environments import minatar
from bmg_agents.impala_bmg import builder as builder_lib
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import networks as networks_lib

SUITES = ('atari', 'minatar')


def parse_environment_name(name: str) -> Tuple[str, str]:
  """'atari:Pong' -> ('atari', 'Pong'); raises ValueError naming the flag."""
  suite, _, game = name.partition(':')
  if suite not in SUITES or not game:
    raise ValueError(f"env must look like 'atari:Pong' or 'minatar:breakout'"
                     f' (suites: {", ".join(SUITES)}), got {name!r}.')
  if suite == 'minatar' and game not in minatar.GAMES:
    raise ValueError(f'MinAtar games are {", ".join(minatar.GAMES)}, '
                     f'got {game!r}.')
  return suite, game


def frames_per_step(name: str) -> int:
  """Emulator frames per agent step (Atari's action repeats)."""
  suite, _ = parse_environment_name(name)
  return atari.ACTION_REPEATS if suite == 'atari' else 1


def make_environment(name: str, seed: int) -> dm_env.Environment:
  """An environment by name: Table 2 Atari or MinAtar (seeded)."""
  suite, game = parse_environment_name(name)
  if suite == 'atari':
    return atari.AtariEnvironment(game, seed=int(seed))
  return minatar.MinAtarEnvironment(game, seed=int(seed))


def make_logger(results_dir: Optional[str], label: str,
                time_delta: float = 10.) -> loggers.Logger:
  """Terminal every `time_delta` s; every record to CSV at
  results_dir/logs/<label>/logs.csv (so learning curves see each episode)."""
  writers = [filters.TimeFilter(terminal.TerminalLogger(label=label,
                                                        print_fn=print),
                                time_delta)]
  if results_dir:
    writers.append(csv_logger.CSVLogger(results_dir, label=label,
                                        add_uid=False))
  return filters.NoneFilter(
      aggregators.Dispatcher(writers, loggers.to_numpy))


class _LoggingBuilder(builder_lib.STACXBuilder):
  """`STACXBuilder` whose learners log to `make_logger(results_dir, ...)`.

  acme 0.4.0's layouts call `make_learner(key, networks, dataset,
  replay_client, counter)` (DistributedLayout positionally) and pass no
  logger_fn; this stopgap supplies it until the shared runtime does.
  """

  def __init__(self, config: config_lib.STACXConfig,
               results_dir: Optional[str]):
    super().__init__(config)
    self._results_dir = results_dir

  def make_learner(self, random_key, networks, dataset, replay_client=None,
                   counter=None):
    return super().make_learner(
        random_key, networks, dataset,
        logger_fn=functools.partial(make_logger, self._results_dir,
                                    'learner'),
        replay_client=replay_client, counter=counter)


def make_builder(config: config_lib.STACXConfig,
                 results_dir: Optional[str]) -> builder_lib.STACXBuilder:
  return _LoggingBuilder(config, results_dir)


def run_single_process(config: config_lib.STACXConfig, env_name: str,
                       num_frames: int, seed: int,
                       results_dir: Optional[str] = None,
                       log_every: float = 10.) -> Dict[str, float]:
  """Acts and learns in one process (Reverb in-process) until num_frames.

  The learner steps whenever the online queue holds a full batch, so each
  online trajectory is used once, as in the distributed program.

  With a results_dir, acme's LocalLayout checkpoints the learner's state
  (and its counter) to results_dir/checkpoints/learner when acting starts,
  every 30 minutes, and at the end; a run in a directory that holds a
  checkpoint starts from it (replay, counts and frame budget start afresh).

  Returns:
    The final counts ('actor_steps', 'learner_steps', ...).
  """
  environment = make_environment(env_name, seed)
  spec = specs.make_environment_spec(environment)
  networks = networks_lib.make_networks(spec, config)
  counter = counting.Counter()
  builder = make_builder(config, results_dir)
  agent = local_layout.LocalLayout(
      seed=seed, environment_spec=spec,
      builder=builder, networks=networks,
      policy_network=builder.make_policy(networks),
      workdir=results_dir, batch_size=config.online_batch_size,
      prefetch_size=0,
      counter=counting.Counter(counter, 'learner', time_delta=0.),
      checkpoint=results_dir is not None)
  loop = environment_loop.EnvironmentLoop(
      environment, agent,
      counter=counting.Counter(counter, 'actor', time_delta=0.),
      logger=make_logger(results_dir, 'actor', log_every),
      observers=[RawReturnObserver()])
  loop.run(num_steps=-(-num_frames // frames_per_step(env_name)))
  agent.save()  # The final learner state (a no-op without results_dir).
  return counter.get_counts()


class RawReturnObserver:
  """Logs Atari game scores (`raw_episode_return`; rewards are clipped)."""

  def __init__(self):
    self._score = None

  def observe_first(self, env, timestep):
    del env, timestep
    self._score = None

  def observe(self, env, timestep, action):
    del timestep, action
    self._score = getattr(env, 'raw_episode_return', None)

  def get_metrics(self) -> Dict[str, float]:
    if self._score is None:
      return {}
    return {'raw_episode_return': self._score}


class EvaluatorFactory:
  """Builds an evaluator node: the acting policy without an adder."""

  def __init__(self, env_name: str, config: config_lib.STACXConfig,
               results_dir: Optional[str]):
    self._env_name = env_name
    self._config = config
    self._results_dir = results_dir

  def __call__(self, random_key, variable_source, counter, make_actor):
    environment_key, actor_key = jax.random.split(random_key)
    environment = make_environment(
        self._env_name, acme_utils.sample_uint32(environment_key))
    networks = networks_lib.make_networks(
        specs.make_environment_spec(environment), self._config)
    # Sampling from π_0, as the actors do (not the greedy evaluation policy).
    policy = builder_lib.STACXBuilder(self._config).make_policy(networks)
    actor = make_actor(actor_key, policy, variable_source)
    return environment_loop.EnvironmentLoop(
        environment, actor, counting.Counter(counter, 'evaluator'),
        make_logger(self._results_dir, 'evaluator'),
        observers=[RawReturnObserver()])


class ActorLoggerFactory:
  """Actor 0 logs episode returns (terminal + CSV); the others print."""

  def __init__(self, results_dir: Optional[str]):
    self._results_dir = results_dir

  def __call__(self, actor_id: int) -> loggers.Logger:
    return make_logger(self._results_dir if actor_id == 0 else None,
                       'actor')


def make_program(config: config_lib.STACXConfig, env_name: str, *,
                 num_actors: int, num_frames: int, seed: int,
                 results_dir: str, num_evaluators: int = 1) -> lp.Program:
  """The distributed agent (Alg. 4-6): replay, counter + steps limiter,
  learner, `num_actors` actors and evaluators, stopping at num_frames."""
  parse_environment_name(env_name)
  builder = make_builder(config, results_dir)
  layout = launching.DistributedLayout(
      seed=seed,
      environment_factory=functools.partial(make_environment, env_name),
      network_factory=functools.partial(networks_lib.make_networks,
                                        config=config),
      builder=builder,
      policy_network=builder.make_policy,
      num_actors=num_actors,
      actor_logger_fn=ActorLoggerFactory(results_dir),
      evaluator_factories=[EvaluatorFactory(env_name, config, results_dir)
                           for _ in range(num_evaluators)],
      prefetch_size=0,
      observers=[RawReturnObserver()],
      max_number_of_steps=-(-num_frames // frames_per_step(env_name)),
      checkpointing_config=launching.CheckpointingConfig(
          directory=os.path.join(results_dir, 'checkpoints'),
          add_uid=False))
  return layout.build(name='stacx')

