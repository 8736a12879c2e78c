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

"""Two-colours results files: CSV round trip, totals, ranges, plots."""

import os

import numpy as np

from bmg_agents.utils import two_colors_results as results_lib


def _metrics(seed, num_seeds=3, num_intervals=6):
  rng = np.random.RandomState(seed)
  return {'reward': rng.randn(num_seeds, num_intervals),
          'entropy_weight': rng.rand(num_seeds, num_intervals)}


def test_csv_round_trip_keeps_labels_seeds_and_intervals(tmp_path):
  a, b = _metrics(0), _metrics(1, num_intervals=4)
  rows = (results_lib.to_rows('fixed', a, 2000, seeds=[5, 6, 7])
          + results_lib.to_rows('bmg', b, 2016))
  path = results_lib.write_csv(os.path.join(tmp_path, 'r.csv'), rows)
  read = results_lib.read_csv(path)
  assert list(read) == ['fixed', 'bmg']
  for label, want, interval in (('fixed', a, 2000), ('bmg', b, 2016)):
    got, got_interval = read[label]
    assert got_interval == interval
    for key in want:
      np.testing.assert_allclose(got[key], want[key], rtol=1e-12)


def test_totals_ranges_and_a_plot_with_per_agent_intervals(tmp_path):
  metrics = {'reward': np.full((2, 10), .5),
             'entropy_weight': np.tile(np.linspace(1., .1, 5), (2, 2))}
  np.testing.assert_allclose(results_lib.total_reward(metrics, 100), 500.)
  # Two cycles of 500 steps: the value 100 steps in minus the value at the end.
  ranges = results_lib.cycle_ranges(metrics['entropy_weight'], 100, 500, 100)
  np.testing.assert_allclose(ranges, np.full((2, 2), .775 - .1))
  path = results_lib.plot(os.path.join(tmp_path, 'p.png'),
                          {'a': metrics, 'b': _metrics(2)},
                          {'a': 100, 'b': 160}, 500)
  assert os.path.getsize(path) > 1000
  assert results_lib.summary({'a': metrics}, {'a': 100}) == [
      'a: total reward 500 +- 0 over 2 seeds']
