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

"""Acme runners: one process (Reverb + LocalLayout) and a Launchpad program."""

import functools
import os
import time
from typing import Optional

from acme import specs
from acme.jax.layouts import local_layout
from acme.utils import counting
from acme.utils import loggers
from acme.utils import signals
import launchpad as lp

from bmg_agents import launching
from bmg_agents.actor_critic_bmg import acting
from bmg_agents.actor_critic_bmg import builder as ac_builder
from bmg_agents.actor_critic_bmg import config as ac_config
from bmg_agents.actor_critic_bmg import networks as ac_networks
from bmg_agents.environments import two_colors
from bmg_agents.utils import continuing_loop


def make_environment(seed: int, size: int = two_colors.DEFAULT_SIZE,
                     flip_period: int = two_colors.DEFAULT_FLIP_PERIOD
                     ) -> two_colors.TwoColors:
  """An environment factory (picklable through functools.partial)."""
  return two_colors.TwoColors(size=size, flip_period=flip_period,
                              seed=int(seed))


def _csv_logger(directory: Optional[str], label: str) -> loggers.Logger:
  terminal = loggers.TerminalLogger(label, time_delta=10.)
  if directory is None:
    return terminal
  csv = loggers.CSVLogger(directory, label=label, add_uid=False)
  return loggers.Dispatcher([terminal, csv])


class _LoggingBuilder(ac_builder.ActorCriticBMGBuilder):
  """The builder with a learner logger; takes acme 0.4.0's make_learner order.

  acme 0.4.0's DistributedLayout calls make_learner(random_key, networks,
  dataset, replay_client, counter) positionally.
  """

  def __init__(self, config, logger_fn, **kwargs):
    super().__init__(config, **kwargs)
    self._logger_fn = logger_fn

  def make_learner(self, random_key, networks, dataset, replay_client=None,
                   counter=None):
    return super().make_learner(random_key, networks, dataset,
                                logger_fn=self._logger_fn,
                                replay_client=replay_client, counter=counter)


def run_local(config: ac_config.ActorCriticBMGConfig, seed: int,
              num_steps: int, size: int = two_colors.DEFAULT_SIZE,
              flip_period: int = two_colors.DEFAULT_FLIP_PERIOD,
              workdir: Optional[str] = None, log_every: int = 1000):
  """Runs the agent in one process: env loop, Reverb queue, actor, learner.

  Args:
    config: the agent's config.
    seed: seeds the environment, the actor and the learner.
    num_steps: environment steps.
    size: grid side.
    flip_period: steps between reward flips.
    workdir: where CSV logs (and checkpoints) go; None: terminal only.
    log_every: environment steps between actor log rows.

  Returns:
    (the acme agent (LocalLayout), its learner's TrainingState).
  """
  environment = make_environment(seed, size, flip_period)
  spec = specs.make_environment_spec(environment)
  networks = ac_networks.make_networks(spec, config)
  builder = _LoggingBuilder(
      config, logger_fn=lambda: _csv_logger(workdir, 'learner'))
  counter = counting.Counter()
  agent = local_layout.LocalLayout(
      seed=seed, environment_spec=spec, builder=builder, networks=networks,
      policy_network=builder.make_policy(networks), workdir=workdir,
      min_replay_size=1,
      batch_size=1, samples_per_insert=1., counter=counter,
      checkpoint=workdir is not None)
  loop = continuing_loop.ContinuingLoop(
      environment, agent, counting.Counter(counter, 'actor'),
      _csv_logger(workdir, 'actor'), log_every=log_every)
  loop.run(num_steps)
  return agent, agent._learner.state  # pylint: disable=protected-access


class ActorCriticBMGProgram(launching.DistributedLayout):
  """Replay, counter, learner and actor nodes for the agent (Launchpad).

  Actors run `ContinuingLoop` (the task has no episodes) and stop the whole
  program once the actors' global step count reaches `max_actor_steps`.
  """

  def __init__(self, config: ac_config.ActorCriticBMGConfig, seed: int,
               max_actor_steps: int, num_actors: int = 1,
               size: int = two_colors.DEFAULT_SIZE,
               flip_period: int = two_colors.DEFAULT_FLIP_PERIOD,
               workdir: Optional[str] = None, log_every: int = 1000):
    self._max_actor_steps = max_actor_steps
    self._workdir = workdir
    self._log_every = log_every
    checkpointing = None
    if workdir is not None:
      checkpointing = launching.CheckpointingConfig(
          directory=os.path.join(workdir, 'checkpoints'), add_uid=False)
    super().__init__(
        seed=seed,
        environment_factory=functools.partial(
            make_environment, size=size, flip_period=flip_period),
        network_factory=functools.partial(
            ac_networks.make_networks, config=config),
        builder=_LoggingBuilder(
            config, logger_fn=functools.partial(_csv_logger, workdir,
                                                'learner'),
            variable_update_period=config.rollout_length),
        policy_network=acting.make_select_action,
        num_actors=num_actors,
        actor_logger_fn=functools.partial(_actor_logger, workdir),
        max_number_of_steps=None,
        checkpointing_config=checkpointing)

  def learner(self, random_key, replay, counter):
    return _BudgetedLearner(super().learner(random_key, replay, counter),
                            counter, self._max_actor_steps)

  def actor(self, random_key, replay, variable_source, counter, actor_id):
    loop = super().actor(random_key, replay, variable_source, counter,
                         actor_id)
    # Same environment, actor, counter and logger, on a continuing loop.
    # pylint: disable=protected-access
    actor_counter = loop._counter
    return _IdleWhenDone(continuing_loop.ContinuingLoop(
        loop._environment, loop._actor, actor_counter, loop._logger,
        log_every=self._log_every,
        should_stop=functools.partial(_budget_reached, actor_counter,
                                      self._max_actor_steps)))


class _IdleWhenDone:
  """An actor node: acts until the budget, then waits for the learner's stop.

  A node that returns would make Launchpad stop the program at once, taking
  the replay server away from a learner that may be waiting on it.
  """

  def __init__(self, loop: continuing_loop.ContinuingLoop):
    self._loop = loop

  def run(self):
    with signals.runtime_terminator():  # Raises SystemExit here on stop.
      self._loop.run()
      _wait_for_stop()


class _BudgetedLearner:
  """The learner node: learns until the actors' budget, then stops all.

  The learner, not an actor, stops the program: it is the node that could be
  waiting inside Reverb, and a stop it calls itself after a final checkpoint
  cannot catch it there.
  """

  def __init__(self, runner, counter: counting.Counter, budget: int,
               check_every_secs: float = 1.):
    self._runner = runner
    self._counter = counter
    self._budget = budget
    self._check_every = check_every_secs

  def run(self):
    with signals.runtime_terminator():  # Raises SystemExit here on stop.
      last = time.time()
      while True:
        self._runner.step()
        if time.time() - last > self._check_every:
          last = time.time()
          if _budget_reached(self._counter, self._budget):
            break
      # A final checkpoint (CheckpointingRunner.checkpoint() then sleeps).
      # pylint: disable-next=protected-access
      self._runner._checkpointer.save(force=True)
      lp.stop()
      _wait_for_stop()

  def get_variables(self, names):
    return self._runner.get_variables(names)

  def save(self):
    return self._runner.save()

  def restore(self, state):
    return self._runner.restore(state)


def _wait_for_stop():
  while True:
    time.sleep(.5)  # Short sleeps: the stop handler's SystemExit lands here.


def _budget_reached(counter: counting.Counter, budget: int) -> bool:
  return counter.get_counts().get('actor_steps', 0) >= budget


def _actor_logger(workdir: Optional[str], actor_id) -> loggers.Logger:
  return _csv_logger(workdir, f'actor_{actor_id}')


def make_program(config: ac_config.ActorCriticBMGConfig, seed: int,
                 num_steps: int, **kwargs) -> lp.Program:
  """The Launchpad program; launch it with `launching.launch_and_wait`."""
  return ActorCriticBMGProgram(config, seed, num_steps, **kwargs).build(
      name='actor_critic_bmg')


