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

"""Runs an experiment in one process: Reverb, learner and actor in one loop.

acme's later `run_experiment`, written on acme 0.4.0 parts. The actor and
the learner alternate in one thread: after every actor step the learner
steps while `builder.learner_ready(replay_client)` says one step's data is
queued, so a learner never blocks on data that only this thread can make
(acme's `LocalLayout` instead needs per-agent batch sizes to avoid that).
"""

import dataclasses
import functools
import gc
import os
import pickle
import time
from typing import Dict, List, Mapping, Optional

from acme import core
from acme import specs
from acme.tf import savers
from acme.utils import counting
from acme.utils import loggers as acme_loggers
import jax
import reverb

from bmg_agents.experiments import config as config_lib
from bmg_agents.experiments import environment_loop
from bmg_agents.experiments import loggers
from bmg_agents.experiments import multihost
from bmg_agents.experiments import stopping


class _LearningActor(core.Actor):
  """The actor, stepping the learner whenever a learner step's data is in."""

  def __init__(self, actor, learner, builder, replay_client, checkpointer):
    self._actor = actor
    self._learner = learner
    self._builder = builder
    self._replay_client = replay_client
    self._checkpointer = checkpointer

  def select_action(self, observation):
    return self._actor.select_action(observation)

  def observe_first(self, timestep):
    self._actor.observe_first(timestep)

  def observe(self, action, next_timestep):
    self._actor.observe(action, next_timestep)

  def update(self, wait: bool = False):
    del wait
    stepped = False
    while self._builder.learner_ready(self._replay_client):
      self._learner.step()
      stepped = True
      if self._checkpointer is not None:
        self._checkpointer.after_learner_step()
    if stepped:
      self._actor.update(wait=True)  # Act on the newest parameters.


def make_learner(experiment, random_key, networks, dataset,
                 counter: counting.Counter, **kwargs):
  """The builder's learner, logging as 'learner', counting in `counter`.

  `kwargs` go to the builder's `make_learner` (environment_spec,
  replay_client).
  """
  return experiment.builder.make_learner(
      random_key, networks, dataset,
      logger_fn=functools.partial(experiment.make_logger, 'learner',
                                  'learner_steps'),
      counter=environment_loop.OwnCounter(counter, 'learner'), **kwargs)


# Where `Checkpointer` saves, under `CheckpointingConfig.directory`, and the
# counter's state in its checkpoints (acme's `SaveableAdapter`).
_SUBDIRECTORY = 'learner'
_COUNTS_KEY = 'counter/.ATTRIBUTES/py_state'


class Checkpointer:
  """acme's checkpointer of a learner (and a counter), saving by time and,
  if configured, every N learner steps; restores the last save on creation.

  The counter may be another node's (a Launchpad program's counter): its
  counts are then saved with the learner's state but not restored here;
  the resumed program starts its counter node from them (`saved_counts`).
  """

  def __init__(self, checkpointing: config_lib.CheckpointingConfig, learner,
               counter: Optional[counting.Counter] = None,
               remote_counter=None):
    objects = {'learner': learner}
    if counter is not None:
      objects['counter'] = counter
    elif remote_counter is not None:
      objects['counter'] = _CountsOf(remote_counter)
    self._saver = savers.Checkpointer(
        objects,
        directory=checkpointing.directory, subdirectory=_SUBDIRECTORY,
        time_delta_minutes=checkpointing.time_delta_minutes,
        max_to_keep=checkpointing.max_to_keep, add_uid=False)
    self._every = checkpointing.every_learner_steps
    self._steps = 0

  def after_learner_step(self) -> None:
    self._steps += 1
    self.save(force=bool(self._every) and self._steps % self._every == 0)

  def save(self, force: bool = False) -> None:
    self._saver.save(force=force)


class _CountsOf(core.Saveable):
  """Saves a remote counter's counts in the counter's format; restores
  nothing (they are restored into the counter node, `saved_counts`)."""

  def __init__(self, counter):
    self._counter = counter

  def save(self):
    return {'counts': dict(self._counter.get_counts()), 'cache': {}}

  def restore(self, state):
    del state


def make_checkpointer(checkpointing: Optional[config_lib.CheckpointingConfig],
                      learner, counter: Optional[counting.Counter] = None,
                      remote_counter=None) -> Optional[Checkpointer]:
  """The checkpointer of the learner and a local `counter` (or the counts
  of a `remote_counter`, another node's), or None."""
  if checkpointing is None:
    return None
  return Checkpointer(checkpointing, learner, counter, remote_counter)


def saved_counts(checkpointing: Optional[config_lib.CheckpointingConfig]
                 ) -> Dict[str, float]:
  """The counts saved with the latest checkpoint ({} if there is none),
  read without building a learner."""
  if checkpointing is None:
    return {}
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  path = tf.train.latest_checkpoint(os.path.join(
      checkpointing.directory, 'checkpoints', _SUBDIRECTORY))
  if path is None:
    return {}
  reader = tf.train.load_checkpoint(path)
  if not reader.has_tensor(_COUNTS_KEY):
    return {}
  return dict(pickle.loads(reader.get_tensor(_COUNTS_KEY))['counts'])


def continue_logs(experiment, counts: Mapping[str, float]) -> None:
  """On a resumed run (its logger factory's `resume`), drops the log rows
  past the restored `counts`: all of them without a checkpoint."""
  factory = experiment.logger_factory
  if isinstance(factory, loggers.LoggerFactory) and factory.resume:
    factory.continue_from(counts)


def run_experiment(experiment: config_lib.ExperimentConfig
                   ) -> Dict[str, float]:
  """Acts and learns in one process until `max_num_actor_steps`.

  SIGINT or SIGTERM stops the run after the current step: it checkpoints,
  closes its logs and exits with status 128 + signal number. A run whose
  directory holds a checkpoint (a resumed run) continues from it: learner
  state and counts restored, the budget's remaining steps, log rows after
  the checkpoint dropped.

  Returns:
    The final counts ('actor_steps', 'actor_episodes', 'learner_steps', ...).
  """
  builder = experiment.builder
  environment = experiment.environment_factory(experiment.seed)
  spec = (experiment.environment_spec or
          specs.make_environment_spec(environment))
  networks = experiment.network_factory(spec)
  learner_key, actor_key = jax.random.split(
      jax.random.PRNGKey(experiment.seed))

  replay_server = reverb.Server(builder.make_replay_tables(spec), port=None)
  replay_client = reverb.Client(f'localhost:{replay_server.port}')
  counter = counting.Counter(time_delta=0.)
  learner = make_learner(
      experiment, learner_key, networks,
      builder.make_dataset_iterator(replay_client), counter,
      environment_spec=spec, replay_client=replay_client)
  adder = builder.make_adder(replay_client)
  actor = builder.make_actor(actor_key, builder.make_policy(networks, spec),
                             adder, variable_source=learner)
  checkpointer = make_checkpointer(experiment.checkpointing, learner, counter)
  counts = counter.get_counts()
  continue_logs(experiment, counts)
  remaining = experiment.max_num_actor_steps - int(counts.get('actor_steps',
                                                              0))
  logger = experiment.make_logger('actor', 'actor_steps')
  with stopping.StopOnSignal() as stop:
    loop = environment_loop.EnvironmentLoop(
        environment,
        _LearningActor(actor, learner, builder, replay_client, checkpointer),
        counter=environment_loop.OwnCounter(counter, 'actor'),
        logger=logger, observers=experiment.observers,
        log_every_steps=experiment.log_every_steps, should_stop=stop)
    try:
      if remaining > 0:
        loop.run(remaining)
      if checkpointer is not None:
        checkpointer.save(force=True)
    finally:
      logger.close()
      # The adder's writer flushes when deleted: while the server is up,
      # that takes no time (after a stop, it waits 10 s for an answer).
      del loop, actor, adder
      gc.collect()
      replay_server.stop()
  return counter.get_counts()


def run_offline_experiment(experiment: config_lib.OfflineExperimentConfig
                           ) -> List[Dict[str, float]]:
  """Steps a learner for its budget, evaluating every `eval_every` steps.

  Each evaluation is a row of the 'evaluator' log: learner steps, the
  learner's own time ('walltime', from its counter) and every evaluator's
  metrics; a checkpoint follows it. SIGINT / SIGTERM stop the run as in
  `run_experiment`.

  Several learner hosts (JAX processes joined by `jax.distributed`, each
  running this with its own experiment; the learner splits each batch over
  all of them): host 0 alone evaluates and logs, and its experiment alone
  should checkpoint; it restores a checkpoint and hands every host its
  state and step. A signal to any host stops all at the same step, each
  exiting with that signal's status, and each prints its final state hash.

  Returns:
    The evaluation rows (none on hosts other than 0).
  """
  host, multi = jax.process_index(), jax.process_count() > 1
  if host:  # Host 0 logs.
    experiment = dataclasses.replace(
        experiment, logger_factory=lambda *args: acme_loggers.NoOpLogger())
  learner_key, dataset_key = jax.random.split(
      jax.random.PRNGKey(experiment.seed))
  networks = experiment.network_factory()
  counter = counting.Counter(time_delta=0.)
  learner = make_learner(experiment, learner_key, networks,
                         experiment.dataset_factory(dataset_key), counter)
  evaluators = {name: factory(networks)
                for name, factory in experiment.evaluator_factories.items()
                if host == 0}
  checkpointer = make_checkpointer(experiment.checkpointing, learner, counter)
  counts = counter.get_counts()
  continue_logs(experiment, counts)
  first = int(counts.get('learner_steps', 0)) + 1
  if multi:
    multihost.broadcast_state(learner)
    first = multihost.agree_int(first)
  logger = experiment.make_logger('evaluator', 'learner_steps')
  rows, start, signum = [], time.time(), 0
  with stopping.StopOnSignal() as stop:
    try:
      for step in range(first, experiment.max_num_learner_steps + 1):
        learner.step()
        if checkpointer is not None:
          checkpointer.after_learner_step()
        signum = (multihost.first_nonzero(stop.signum or 0) if multi
                  else stop.signum)
        last = step == experiment.max_num_learner_steps or bool(signum)
        if (step % experiment.eval_every and not last) or host:
          if last:
            break
          continue
        counts = counter.get_counts()
        row = {'learner_steps': step,
               'walltime': counts.get('learner_walltime', time.time() - start)}
        params = learner.get_variables(['policy'])[0]
        for name, evaluate in evaluators.items():
          for key, value in evaluate(params).items():
            row[f'{name}_{key}'] = value
        logger.write(row)
        rows.append(row)
        if checkpointer is not None:
          checkpointer.save(force=True)
        if last:
          break
    finally:
      logger.close()
    if multi:
      print(f'Learner host {host} of {jax.process_count()}: final state hash '
            f'{multihost.state_hash(learner.save())}', flush=True)
      if signum and not stop():  # Another host's signal.
        raise SystemExit(128 + signum)
  return rows
