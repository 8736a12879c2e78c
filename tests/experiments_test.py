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

"""The shared runtime's parts: CSV logs, the environment loop, config flags."""

import csv
import dataclasses
from typing import Tuple

from absl import app
from absl import flags
from acme import specs
from acme.testing import fakes
from acme.utils import counting
from acme.utils.loggers import dataframe
import numpy as np
import pytest

from bmg_agents import experiments
from bmg_agents.experiments import config_flags
from bmg_agents.experiments import environment_loop
from bmg_agents.experiments import loggers


def _rows(path):
  with open(path, newline='') as f:
    return list(csv.DictReader(f))


def test_csv_logger_fixes_columns_flushes_rows_and_refuses_a_second_run(
    tmp_path):
  logger = loggers.CSVLogger(str(tmp_path), 'learner')
  logger.write({'steps': 1, 'loss': np.float32(.5), 'meta_grad_norm': np.nan})
  logger.write({'steps': 2, 'loss': .25})  # A missing key is a blank cell.
  rows = _rows(logger.path)  # Readable before close: flushed per row.
  assert [r['steps'] for r in rows] == ['1', '2']
  assert rows[1]['meta_grad_norm'] == ''
  with pytest.raises(ValueError, match=r"keys \['new'\] are not columns"):
    logger.write({'steps': 3, 'new': 1.})
  logger.close()
  with pytest.raises(FileExistsError, match='another run'):
    loggers.CSVLogger(str(tmp_path), 'learner').write({'steps': 1})


def test_a_resumed_run_continues_its_logs_from_the_checkpoint_counts(
    tmp_path):
  for label, key in (('actor', 'actor_steps'), ('learner', 'learner_steps')):
    logger = loggers.CSVLogger(str(tmp_path), label)
    for step in (10, 20, 30, 40):
      logger.write({key: step, 'loss': step / 10.})
    logger.close()
  # The checkpoint was saved at 25 actor / 30 learner steps, then it crashed.
  factory = experiments.make_logger_factory(str(tmp_path), resume=True)
  factory.continue_from({'actor_steps': 25, 'learner_steps': 30,
                         'actor_episodes': 0})
  factory('actor', 'actor_steps').write({'actor_steps': 35, 'loss': 9.})
  actor = _rows(loggers.log_path(str(tmp_path), 'actor'))
  assert [(r['actor_steps'], r['loss']) for r in actor] == [
      ('10', '1.0'), ('20', '2.0'), ('35', '9.0')]
  assert [r['learner_steps'] for r in _rows(
      loggers.log_path(str(tmp_path), 'learner'))] == ['10', '20', '30']
  # The continued file keeps its header: a new key still raises.
  with pytest.raises(ValueError, match='are not columns'):
    factory('learner', 'learner_steps').write({'learner_steps': 50, 'x': 1})
  # Resumed without a checkpoint (it died before the first): logs anew.
  factory.continue_from({})
  assert _rows(loggers.log_path(str(tmp_path), 'actor')) == []


def test_logger_factory_writes_csv_for_instance_0_only(tmp_path):
  factory = experiments.make_logger_factory(str(tmp_path))
  factory('actor', 'actor_steps', 0).write({'x': 1})
  factory('actor', 'actor_steps', 1).write({'x': 2})
  assert [r['x'] for r in _rows(loggers.log_path(str(tmp_path), 'actor'))] == [
      '1']


def test_logger_raises_once_a_measured_quantity_diverges(tmp_path):
  logger = experiments.make_logger('learner', str(tmp_path), 'learner_steps')
  # NaN before a quantity's first value is "not measured yet".
  # Other columns may be NaN on steps that do not measure them.
  logger.write({'learner_steps': 1, 'loss': 1., 'meta_grad_norm': np.nan,
                'variance': 1.})
  logger.write({'learner_steps': 2, 'loss': .5, 'meta_grad_norm': 1e-3,
                'variance': np.nan})
  with pytest.raises(loggers.NonFiniteError,
                     match=r'^learner at learner_steps=3: meta_grad_norm is '
                           r'nan\.$'):
    logger.write({'learner_steps': 3, 'loss': .4, 'meta_grad_norm': np.nan,
                  'variance': 1.})
  # The row is written first: the CSV shows where it diverged.
  assert [r['learner_steps'] for r in _rows(
      loggers.log_path(str(tmp_path), 'learner'))] == ['1', '2', '3']
  with pytest.raises(loggers.NonFiniteError, match='loss is -inf'):
    experiments.make_logger('actor').write({'loss': np.float32(-np.inf)})


def _fake(episode_length=10):
  environment = fakes.DiscreteEnvironment(
      num_actions=3, num_observations=4, obs_shape=(2,),
      obs_dtype=np.float32, episode_length=episode_length)
  return environment, fakes.Actor(specs.make_environment_spec(environment))


def test_loop_stops_exactly_at_the_budget_inside_an_episode():
  environment, actor = _fake(episode_length=10)
  parent, logger = counting.Counter(time_delta=0.), dataframe.InMemoryLogger()
  loop = environment_loop.EnvironmentLoop(
      environment, actor, counting.Counter(parent, 'actor', time_delta=0.),
      logger)
  assert loop.run(25) == 25
  assert parent.get_counts() == {'actor_steps': 25, 'actor_episodes': 2}
  assert [r['episode_length'] for r in logger.data] == [10, 10]
  assert {'actor_steps', 'episode_return', 'steps_per_second'} <= set(
      logger.data[0])


def test_loop_logs_every_n_steps_on_a_continuing_task():
  environment, actor = _fake(episode_length=7)
  parent, logger = counting.Counter(time_delta=0.), dataframe.InMemoryLogger()
  loop = environment_loop.EnvironmentLoop(
      environment, actor, counting.Counter(parent, 'actor', time_delta=0.),
      logger, log_every_steps=10)
  loop.run(25)
  assert [r['actor_steps'] for r in logger.data] == [10, 20, 25]
  assert logger.data[-1]['actor_episodes'] == 3  # Resets at episode ends.
  assert all(set(r) == set(logger.data[0]) for r in logger.data)


def test_loop_stops_when_told():
  environment, actor = _fake()
  calls = []
  loop = environment_loop.EnvironmentLoop(
      environment, actor, logger=dataframe.InMemoryLogger(),
      should_stop=lambda: calls.append(1) or len(calls) >= 2, poll_secs=0.)
  assert loop.run() == 2


def test_a_loop_of_whole_episodes_stops_at_the_end_of_the_first_one():
  environment, actor = _fake(episode_length=7)
  logger = dataframe.InMemoryLogger()
  loop = environment_loop.EnvironmentLoop(
      environment, actor, logger=logger, should_stop=lambda: True,
      poll_secs=0., whole_episodes=True)
  assert loop.run() == 7
  assert [r['episode_length'] for r in logger.data] == [7]


@dataclasses.dataclass
class _Inner:
  """Inner.

  Attributes:
    K: inner steps, a long
      description on two lines.
  """
  K: int = 1


@dataclasses.dataclass
class _Config:
  """Outer.

  Attributes:
    lr: learning rate.
    hidden: layer sizes.
    matching: the matching spec.
    meta: meta settings.
  """
  lr: float = .1
  hidden: Tuple[int, ...] = (8, 8)
  matching: str = 'kl'
  meta: _Inner = dataclasses.field(default_factory=_Inner)

  def __post_init__(self):
    if self.lr <= 0:
      raise ValueError(f'lr must be > 0, got {self.lr}.')


def test_config_flags_from_the_dataclass():
  values = flags.FlagValues()
  config_flags.define_flags(_Config, flag_values=values)
  assert values['lr'].help == 'learning rate.'
  assert values['K'].help == 'inner steps, a long description on two lines.'
  values(['prog', '--hidden=4,2', '--K=3'])
  config = config_flags.from_flags(_Config, flag_values=values)
  assert config == _Config(hidden=(4, 2), meta=_Inner(K=3))
  values['lr'].value = -1.
  with pytest.raises(app.UsageError, match='lr must be > 0, got -1.0.'):
    config_flags.from_flags(_Config, flag_values=values)


def test_experiment_config_checks_its_fields():
  with pytest.raises(ValueError, match='max_num_actor_steps must be an'):
    experiments.ExperimentConfig(
        builder=None, environment_factory=lambda s: None,
        network_factory=lambda s: None, seed=0, max_num_actor_steps=0)
