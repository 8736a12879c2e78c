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

"""Acme single-process and Launchpad runs of the Q(λ)-BMG agent.

Everything a Launchpad child process unpickles (environment, network and
policy factories) is a module-level function of this bmg_agents module, so
importing it imports `bmg_agents.compat` before acme.
"""

import functools
import os
from typing import Optional

import acme
from acme import specs
from acme import wrappers
from acme.jax.layouts import local_layout
from acme.utils import counting
from acme.utils import loggers
import dm_env

from bmg_agents import launching
from bmg_agents.environments import two_colors
from bmg_agents.q_lambda_bmg import builder as builder_lib
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import networks as networks_lib


def make_environment(seed: int, episode_length: int,
                     flip_period: int = two_colors.DEFAULT_FLIP_PERIOD
                     ) -> dm_env.Environment:
  """Two-colours cut into episodes of `episode_length` steps.

  The task is non-episodic, but Acme's loops count steps per episode, so a
  run is one long episode (a reset would also restart the reward flips).
  """
  env = two_colors.TwoColors(flip_period=flip_period, seed=seed)
  return wrappers.StepLimitWrapper(wrappers.SinglePrecisionWrapper(env),
                                   episode_length)


class _Builder(builder_lib.QLambdaBuilder):
  """QLambdaBuilder as acme 0.4.0's layouts call it, with a learner logger.

  Those layouts pass (random_key, networks, dataset, replay_client, counter)
  to `make_learner`, positionally in DistributedLayout, and no logger_fn.
  """

  def __init__(self, config, logger_fn, **kwargs):
    super().__init__(config, **kwargs)
    self._logger_fn = logger_fn

  def make_learner(self, random_key, networks, dataset, replay_client=None,
                   counter=None):
    return super().make_learner(random_key, networks, dataset,
                                logger_fn=self._logger_fn,
                                replay_client=replay_client, counter=counter)


def _make_policy(networks, config):
  return builder_lib.QLambdaBuilder(config).make_policy(networks)


def _make_logger(results_dir: Optional[str], label: str,
                 time_delta: float) -> loggers.Logger:
  outputs = [loggers.TerminalLogger(label=label, time_delta=time_delta)]
  if results_dir:
    outputs.append(loggers.CSVLogger(results_dir, label=label, add_uid=False,
                                     time_delta=time_delta, flush_every=1))
  return loggers.Dispatcher(outputs)


def run_acme(config: config_lib.QLambdaConfig, num_steps: int, seed: int,
             flip_period: int = two_colors.DEFAULT_FLIP_PERIOD,
             results_dir: Optional[str] = None,
             log_every_secs: float = 10.) -> counting.Counter:
  """One seed in one process: EnvironmentLoop, Reverb queue, per-step learner.

  Returns:
    The counter ('actor_steps', 'learner_steps', ...).
  """
  environment = make_environment(seed, num_steps, flip_period)
  spec = specs.make_environment_spec(environment)
  networks = networks_lib.make_networks(spec, config)
  builder = _Builder(config, logger_fn=lambda: _make_logger(
      results_dir, 'learner', log_every_secs))
  counter = counting.Counter()
  layout = local_layout.LocalLayout(
      seed=seed, environment_spec=spec, builder=builder, networks=networks,
      policy_network=builder.make_policy(networks), workdir=results_dir,
      batch_size=1,
      min_replay_size=1, samples_per_insert=1., prefetch_size=0,
      counter=counting.Counter(counter, 'learner', time_delta=0.),
      checkpoint=results_dir is not None)
  loop = acme.EnvironmentLoop(
      environment, layout,
      counter=counting.Counter(counter, 'actor', time_delta=0.),
      logger=_make_logger(results_dir, 'actor', log_every_secs))
  loop.run(num_episodes=1)
  return counter


def make_program(config: config_lib.QLambdaConfig, num_steps: int,
                 seed: int, flip_period: int = two_colors.DEFAULT_FLIP_PERIOD,
                 results_dir: Optional[str] = None, num_actors: int = 1,
                 max_queue_size: int = 10_000):
  """The Launchpad program: replay, counter, learner, actors, step limiter.

  Each actor runs one episode of num_steps / num_actors steps; the program
  stops once the actors have taken `num_steps` steps in total. Actors block
  while the Reverb queue holds `max_queue_size` unconsumed transitions.
  """
  episode_length = max(1, num_steps // num_actors)
  env_factory = functools.partial(make_environment,
                                  episode_length=episode_length,
                                  flip_period=flip_period)
  spec = specs.make_environment_spec(env_factory(seed))
  results_dir = os.path.abspath(results_dir or 'results/q_lambda_lp')
  builder = _Builder(
      config, logger_fn=functools.partial(
          _make_logger, results_dir, 'learner', 10.),
      max_queue_size=max_queue_size)
  layout = launching.DistributedLayout(
      seed=seed, environment_factory=env_factory,
      network_factory=functools.partial(networks_lib.make_networks,
                                        config=config),
      builder=builder,
      policy_network=functools.partial(_make_policy, config=config),
      num_actors=num_actors,
      environment_spec=spec, prefetch_size=0,
      max_number_of_steps=num_steps,
      checkpointing_config=launching.CheckpointingConfig(
          directory=os.path.join(results_dir, 'checkpoints'), add_uid=False))
  return layout.build(name='q_lambda_bmg')
