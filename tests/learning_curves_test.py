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

"""Tests of the learning-curve helpers on a real acme CSV log."""

from acme.utils.loggers import csv as csv_logger
import numpy as np
import pytest

from bmg_agents.utils import learning_curves


def test_read_log_and_bin_episode_returns(tmp_path):
  logger = csv_logger.CSVLogger(str(tmp_path), label='actor', add_uid=False)
  for steps, ret in [(5, 1.), (9, 3.), (12, 10.), (31, -2.)]:
    logger.write({'actor_steps': steps, 'episode_return': ret})
  logger.close()
  log = learning_curves.read_log(str(tmp_path))
  np.testing.assert_array_equal(log['actor_steps'], [5, 9, 12, 31])
  curve = learning_curves.binned_mean(log['actor_steps'],
                                      log['episode_return'], [0, 10, 20, 30,
                                                              40])
  np.testing.assert_array_equal(curve, [2., 10., np.nan, -2.])
  with pytest.raises(FileNotFoundError, match='learner'):
    learning_curves.read_log(str(tmp_path), 'learner')


def test_mean_and_stderr_over_seeds_ignores_missing_bins():
  mean, stderr = learning_curves.mean_and_stderr(
      [[1., 2., np.nan], [3., 2., 5.]])
  np.testing.assert_allclose(mean, [2., 2., 5.])
  np.testing.assert_allclose(stderr, [1., 0., 0.])  # One seed: no spread.
