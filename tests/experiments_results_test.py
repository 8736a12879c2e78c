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

"""Tests of the results writer/reader, seed statistics and the plots."""

import os

from acme.utils.loggers import csv as csv_logger
import numpy as np
import pytest

from bmg_agents.experiments import plotting
from bmg_agents.experiments import results


def _metrics(seed, num_seeds=3, num_intervals=6):
  rng = np.random.RandomState(seed)
  return {'reward': rng.randn(num_seeds, num_intervals),
          'entropy_weight': rng.rand(num_seeds, num_intervals)}


def test_write_rows_round_trips_nan_blanks_and_labels(tmp_path):
  path = os.path.join(tmp_path, 'deep', 'r.csv')
  results.write_rows(path, [
      {'agent': 'bmg', 'step': 1, 'loss': float('nan'), 'norm': .5},
      {'agent': 'mg', 'step': 2, 'loss': 2.},  # 'norm' left blank.
  ])
  got = results.read_rows(path)
  assert list(got) == ['agent', 'step', 'loss', 'norm']
  assert got['agent'].tolist() == ['bmg', 'mg']
  np.testing.assert_array_equal(got['step'], [1., 2.])
  np.testing.assert_array_equal(got['loss'], [np.nan, 2.])
  np.testing.assert_array_equal(got['norm'], [.5, np.nan])
  assert os.listdir(os.path.dirname(path)) == ['r.csv']  # No temp files.
  assert os.stat(path).st_mode & 0o777 == 0o644


class _Unprintable:

  def __str__(self):
    raise RuntimeError('no text')


def test_write_rows_refuses_unknown_keys_and_overwrites(tmp_path):
  path = os.path.join(tmp_path, 'r.csv')
  with pytest.raises(ValueError, match='meta_grad_norm'):
    results.write_rows(path, [{'step': 1}, {'step': 2, 'meta_grad_norm': 1.}])
  assert not os.path.exists(path)  # Nothing half-written.
  with pytest.raises(ValueError, match='no rows'):
    results.write_rows(path, [])
  results.write_rows(path, [{'step': 1}])
  with pytest.raises(FileExistsError, match='r.csv'):
    results.write_rows(path, [{'step': 2}])
  np.testing.assert_array_equal(results.read_rows(path)['step'], [1.])
  results.write_rows(path, [{'step': 3}], overwrite=True)
  np.testing.assert_array_equal(results.read_rows(path)['step'], [3.])
  with pytest.raises(RuntimeError):  # A write that fails half-way...
    results.write_rows(path, [{'step': 4}, {'step': _Unprintable()}],
                       overwrite=True)
  np.testing.assert_array_equal(results.read_rows(path)['step'], [3.])
  assert os.listdir(tmp_path) == ['r.csv']  # ...leaves the old file alone.
  # Explicit columns: agents with different metrics share one file.
  both = os.path.join(tmp_path, 'both.csv')
  results.write_rows(both, [{'step': 1}, {'step': 2, 'meta_loss': 3.}],
                     columns=['step', 'meta_loss'])
  np.testing.assert_array_equal(results.read_rows(both)['meta_loss'],
                                [np.nan, 3.])
  fresh = os.path.join(tmp_path, 'fresh.csv')
  results.write_rows(fresh, [{'a': 1}])
  assert results.columns_to_rows(results.read_rows(fresh)) == [{'a': 1.}]


def test_read_rows_names_missing_and_empty_files(tmp_path):
  path = os.path.join(tmp_path, 'none.csv')
  with pytest.raises(FileNotFoundError, match='none.csv'):
    results.read_rows(path)
  open(path, 'w').close()
  with pytest.raises(FileNotFoundError, match='none.csv'):
    results.read_rows(path)


def test_read_log_of_an_acme_csv_logger_and_binned_returns(tmp_path):
  logger = csv_logger.CSVLogger(str(tmp_path), label='actor', add_uid=False)
  for steps, ret in [(5, 1.), (9, 3.), (12, 10.), (31, -2.)]:
    logger.write({'actor_steps': steps, 'episode_return': ret})
  logger.close()
  assert results.log_path(str(tmp_path), 'actor') == os.path.join(
      str(tmp_path), 'logs', 'actor', 'logs.csv')
  log = results.read_log(str(tmp_path))
  np.testing.assert_array_equal(log['actor_steps'], [5, 9, 12, 31])
  curve = results.binned_mean(log['actor_steps'], log['episode_return'],
                              [0, 10, 20, 30, 40])
  np.testing.assert_array_equal(curve, [2., 10., np.nan, -2.])
  with pytest.raises(FileNotFoundError, match='learner'):
    results.read_log(str(tmp_path), 'learner')


def test_mean_and_stderr_against_hand_values():
  # Column 0: 1, 2, 6 -> mean 3, sample var ((4 + 1 + 9) / 2) = 7.
  mean, stderr = results.mean_and_stderr(
      [[1., 2., np.nan, np.nan], [2., 2., 5., np.nan], [6., 2., np.inf,
                                                        np.nan]])
  np.testing.assert_allclose(mean, [3., 2., 5., np.nan])
  np.testing.assert_allclose(stderr, [np.sqrt(7. / 3.), 0., 0., np.nan])
  assert results.num_seeds([[np.nan, np.nan], [1., np.nan]]) == 1


def test_metrics_rows_round_trip_keeps_labels_seeds_and_intervals(tmp_path):
  a, b = _metrics(0), _metrics(1, num_intervals=4)
  rows = (results.metrics_to_rows('fixed', a, 2000, seeds=[5, 6, 7])
          + results.metrics_to_rows('bmg', b, 2016))
  path = results.write_rows(os.path.join(tmp_path, 'r.csv'), rows)
  read = results.read_metrics(path)
  assert list(read) == ['fixed', 'bmg']
  for label, want, interval in (('fixed', a, 2000), ('bmg', b, 2016)):
    got, got_interval = read[label]
    assert got_interval == interval
    for key in want:
      np.testing.assert_allclose(got[key], want[key], rtol=1e-12)
  with pytest.raises(ValueError, match='seeds, intervals'):
    results.metrics_to_rows('x', {'reward': np.zeros(3)}, 1)


def test_totals_cycle_ranges_and_summary():
  metrics = {'reward': np.full((2, 10), .5),
             'entropy_weight': np.tile(np.linspace(1., .1, 5), (2, 2))}
  np.testing.assert_allclose(results.total_reward(metrics, 100), 500.)
  # Two cycles of 500 steps: the value 100 steps in minus the value at the end.
  ranges = results.cycle_ranges(metrics['entropy_weight'], 100, 500, 100)
  np.testing.assert_allclose(ranges, np.full((2, 2), .775 - .1))
  assert results.summary({'a': metrics}, {'a': 100}) == [
      'a: total reward 500 ± 0 (s.e., n=2 seeds)']
  metrics['reward'][1] = 1.  # Totals 500 and 1000: s.e. 250.
  assert results.summary({'a': metrics}, 100) == [
      'a: total reward 750 ± 250 (s.e., n=2 seeds)']
  assert results.summary({'a': metrics}, 100) == results.summary(
      {'a': metrics}, {'a': 100})


def _legends(fig):
  return [[t.get_text() for t in ax.get_legend().get_texts()]
          if ax.get_legend() else [] for ax in fig.axes]


def test_plot_curves_writes_a_png_with_seed_counts(tmp_path):
  path = os.path.join(tmp_path, 'figs', 'p.png')
  x = np.arange(5.)
  fig = plotting.plot_curves(path, [
      plotting.Panel('Reward rate', 'steps', 'reward', [
          plotting.Curve('BMG L=7', x, np.random.RandomState(0).rand(10, 5)),
          ('one run', x, x ** 2)], vlines=[2.],
                      hlines=[(.4, 'random policy')]),
      ('Accuracy', 'meta-steps', 'accuracy (%)', [
          plotting.Curve('maml_seed0', x, 50 + x, yerr=np.ones(5),
                         error_name='95% CI')])])
  assert os.path.getsize(path) > 1000
  with open(path, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  assert _legends(fig) == [['BMG L=7 (n=10 seeds)', 'one run (n=1 seed)',
                            'random policy'],
                           ['maml_seed0 (n=1 seed; 95% CI)']]
  assert [ax.get_title() for ax in fig.axes] == ['Reward rate', 'Accuracy']
  with pytest.raises(ValueError, match="'bad'"):
    plotting.plot_curves(path, [('t', 'x', 'y', [('bad', x, np.ones(4))])])


def test_plot_curves_wraps_a_long_title_inside_a_one_panel_figure(tmp_path):
  x = np.arange(5.)
  title = ', '.join(f'setting_{i}=value_{i}' for i in range(12))
  fig = plotting.plot_curves(os.path.join(tmp_path, 'p.png'),
                             [('t', 'x', 'y', [('a', x, x)])], title=title)
  text = fig._suptitle  # pylint: disable=protected-access
  assert text.get_text().count('\n') >= 2
  assert ' '.join(text.get_text().split()) == title
  box = text.get_window_extent(fig.canvas.get_renderer())
  assert 0 <= box.x0 and box.x1 <= fig.bbox.width


def test_two_colors_panels_with_per_agent_intervals(tmp_path):
  metrics = {'reward': np.full((2, 10), .5),
             'entropy_weight': np.tile(np.linspace(1., .1, 5), (2, 2))}
  no_schedule = {'reward': _metrics(2)['reward'],
                 'entropy_weight': np.full((3, 6), np.nan)}  # Not logged.
  panels = plotting.two_colors_panels({'a': metrics, 'b': no_schedule},
                                      {'a': 100, 'b': 160}, 500)
  np.testing.assert_allclose(panels[0].curves[0].y[:, -1], 500.)
  assert list(panels[0].vlines) == [500]
  assert [c.label for c in panels[2].curves] == ['a']
  fig = plotting.plot_curves(os.path.join(tmp_path, 'p.png'), panels)
  assert _legends(fig)[1] == ['a (n=2 seeds)', 'b (n=3 seeds)']


def test_plot_sweep_adds_a_cycle_range_figure_per_stored_metric(tmp_path):
  def result(cycle_ranges):
    return {'curve_steps': 50, 'cycle_ranges': cycle_ranges,
            'curves': {'reward': np.full((2, 8), .1).tolist(),
                       'entropy_weight': np.full((2, 8), .05).tolist()}}

  bmg = result({'entropy_weight': [[.1, -.1, .2], [.3, -.1, .4]],
                'policy_entropy': [[.2, .0, .1], [.4, .2, .3]]})
  fixed = result({'entropy_weight': np.zeros((2, 3)).tolist(),
                  'policy_entropy': [[.1, .1, .1], [.3, .3, .3]]})
  path = os.path.join(tmp_path, 'sweep.png')
  written = plotting.plot_sweep({'bmg': bmg, 'fixed': fixed}, path, 200,
                                'entropy_weight', title='t')
  assert written == [path, os.path.join(tmp_path, 'sweep_cycle_ranges.png')]
  assert all(os.path.getsize(p) > 0 for p in written)
  names = {'entropy_weight': 'entropy weight',
           'policy_entropy': 'policy entropy', 'epsilon': 'epsilon'}
  panels = plotting.cycle_range_panels(
      {'bmg': bmg['cycle_ranges'], 'fixed': fixed['cycle_ranges']}, names)
  assert [p.title for p in panels] == [
      "Entropy weight, first colour's cycles",
      "Entropy weight, second colour's cycles",
      "Policy entropy, first colour's cycles",
      "Policy entropy, second colour's cycles"]
  assert all([c.label for c in p.curves] == ['bmg', 'fixed'] for p in panels)
  first, second = panels[0].curves[0], panels[1].curves[0]
  np.testing.assert_array_equal(first.x, [1, 3])
  np.testing.assert_array_equal(first.y, [[.1, .2], [.3, .4]])
  np.testing.assert_array_equal(second.x, [2])
  np.testing.assert_array_equal(second.y, [[-.1], [-.1]])
  # A schedule that never moved (fixed settings only) has no panels; results
  # without ranges (no flips) draw the curves alone.
  assert [p.title for p in plotting.cycle_range_panels(
      {'fixed': fixed['cycle_ranges']}, names)][0].startswith('Policy')
  assert plotting.plot_sweep({'fixed': result({})}, path, 200,
                             'entropy_weight') == [path]
