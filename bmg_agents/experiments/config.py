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

"""What an experiment is: one config shared by every way of running it.

The shape of acme's later `acme.jax.experiments.ExperimentConfig` (absent in
the pinned acme 0.4.0), written for this package's builders: the same object
drives `run_experiment` (one process) and `make_distributed_experiment`
(a Launchpad program).
"""

import dataclasses
from typing import Any, Callable, Mapping, Optional, Sequence

from bmg_agents.core import config as config_lib

# (label, steps_key, instance) -> an acme Logger; see `loggers.LoggerFactory`.
LoggerFactory = Callable[..., Any]
# (seed) -> dm_env.Environment.
EnvironmentFactory = Callable[[int], Any]
# (environment spec) -> the agent's networks.
NetworkFactory = Callable[[Any], Any]


@dataclasses.dataclass(frozen=True)
class CheckpointingConfig:
  """Where and how often the learner's state is saved.

  Attributes:
    directory: checkpoints go to `directory/checkpoints/learner` (acme's
      TF checkpointer); usually the run's results directory.
    time_delta_minutes: minutes between periodic saves; a final save is made
      when a run stops at its budget or by a signal.
    every_learner_steps: also save every this many learner steps (of this
      process); None: by time only.
    max_to_keep: checkpoints kept.
  """
  directory: str
  time_delta_minutes: float = 30.
  every_learner_steps: Optional[int] = None
  max_to_keep: int = 1

  def __post_init__(self):
    config_lib.check_range('time_delta_minutes', self.time_delta_minutes, 0.,
                           low_inclusive=False)
    if self.every_learner_steps is not None:
      config_lib.check_int('every_learner_steps', self.every_learner_steps, 1)
    config_lib.check_int('max_to_keep', self.max_to_keep, 1)


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
  """An RL experiment: a builder, its factories, a seed and a step budget.

  Attributes:
    builder: the agent's acme `ActorLearnerBuilder` (one of this package's,
      or any builder with `make_policy` and `learner_ready`, see
      `run_experiment`).
    environment_factory: seed -> dm_env environment.
    network_factory: environment spec -> networks (the agents'
      `make_networks(spec, config)` with the config bound).
    seed: seeds the environments, the learner and the actors.
    max_num_actor_steps: environment steps of all actors together; runs stop
      there (single process: exactly; Launchpad: within one logging interval
      or episode per actor).
    logger_factory: makes each worker's logger, see
      `loggers.make_logger_factory` (terminal only by default).
    log_every_steps: None: actors log a row per episode (acme's loop); N:
      a row every N steps, for continuing tasks without episodes.
    checkpointing: where learner checkpoints go; None: no checkpoints.
    observers: acme `EnvLoopObserver`s whose metrics join the actor rows.
    evaluator_factories: acme evaluator factories (random_key,
      variable_source, counter, make_actor) -> worker; Launchpad only.
    environment_spec: the spec, if building an environment to read it is
      expensive; None: read from `environment_factory(seed)`.
  """
  builder: Any
  environment_factory: EnvironmentFactory
  network_factory: NetworkFactory
  seed: int
  max_num_actor_steps: int
  logger_factory: Optional[LoggerFactory] = None
  log_every_steps: Optional[int] = None
  checkpointing: Optional[CheckpointingConfig] = None
  observers: Sequence[Any] = ()
  evaluator_factories: Sequence[Any] = ()
  environment_spec: Optional[Any] = None

  def __post_init__(self):
    config_lib.check_int('seed', self.seed, 0)
    config_lib.check_int('max_num_actor_steps', self.max_num_actor_steps, 1)
    if self.log_every_steps is not None:
      config_lib.check_int('log_every_steps', self.log_every_steps, 1)
    for name in ('environment_factory', 'network_factory'):
      if not callable(getattr(self, name)):
        raise ValueError(f'{name} must be callable, got '
                         f'{getattr(self, name)!r}.')

  def make_logger(self, label: str, steps_key: Optional[str] = None,
                  instance: Optional[int] = None):
    """The logger of one worker, from `logger_factory` (or the default)."""
    # Imported here: loggers imports acme, this module must not.
    from bmg_agents.experiments import loggers  # pylint: disable=g-import-not-at-top
    factory = self.logger_factory or loggers.make_logger_factory(None)
    return factory(label, steps_key, instance)


@dataclasses.dataclass(frozen=True)
class OfflineExperimentConfig:
  """A learner-only experiment: a dataset instead of an environment.

  The shape of acme's later `OfflineExperimentConfig`; here it runs the
  few-shot meta-learner, whose experience is sampled tasks.

  Attributes:
    builder: makes the learner with `make_learner(random_key, networks,
      dataset, logger_fn=..., counter=...)`.
    network_factory: () -> networks.
    dataset_factory: random_key -> the learner's data iterator.
    evaluator_factories: {name: networks -> evaluate}, `evaluate(params)`
      returning {metric: value}; each evaluation row holds 'name_metric'.
    seed: seeds the learner and the dataset.
    max_num_learner_steps: learner steps of the run.
    eval_every: learner steps between evaluations (and a last one at the
      end of the run).
    logger_factory: as in `ExperimentConfig`; evaluations are logged under
      the label 'evaluator'.
    checkpointing: where learner checkpoints go (saved at every
      evaluation); None: no checkpoints.
  """
  builder: Any
  network_factory: Callable[[], Any]
  dataset_factory: Callable[[Any], Any]
  evaluator_factories: Mapping[str, Callable[[Any], Any]]
  seed: int
  max_num_learner_steps: int
  eval_every: int
  logger_factory: Optional[LoggerFactory] = None
  checkpointing: Optional[CheckpointingConfig] = None

  def __post_init__(self):
    config_lib.check_int('seed', self.seed, 0)
    config_lib.check_int('max_num_learner_steps', self.max_num_learner_steps,
                         1)
    config_lib.check_int('eval_every', self.eval_every, 1)

  make_logger = ExperimentConfig.make_logger
