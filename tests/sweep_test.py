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

"""Sweeps of fused runs: skip finished settings, resume exactly, refuse."""

import json
import os

from absl import app
import numpy as np
import pytest

from bmg_agents import actor_critic_bmg as ac
from bmg_agents.actor_critic_bmg import fused as ac_fused
from bmg_agents.experiments import sweep
from bmg_agents.q_lambda_bmg import config as q_config
from bmg_agents.q_lambda_bmg import fused as q_fused


def _ac_job(objective='bmg'):
  config = ac.ActorCriticBMGConfig(
      meta_objective=objective, K=1, L=2, rollout_length=4,
      policy_hidden=(8,), critic_hidden=(8,), meta_hidden=(4,),
      meta_learning_rate=1e-2)
  # 8 steps per cycle, 2 cycles per row, 5 rows, a flip every 32 steps.
  return ac_fused.make_job(config, np.arange(2), num_steps=80, log_every=16,
                           flip_period=32)


def _q_job():
  config = q_config.QLambdaConfig(hidden_sizes=(8,), meta_hidden_size=4, L=2)
  return q_fused.make_job(config, num_seeds=2, num_steps=50, chunk_size=10,
                          flip_period=20, seed=3)


class _Interrupt(Exception):
  pass


def _stop_after(rows):
  def progress(row, steps, metrics):
    del steps, metrics
    if row == rows:
      raise _Interrupt
  return progress


@pytest.mark.parametrize('make_job', [_ac_job, _q_job], ids=['ac', 'q'])
def test_interrupted_and_resumed_equals_uninterrupted(make_job, tmp_path):
  job, spec = make_job(), {'setting': 1}
  whole = sweep.run_job(job, spec)
  assert whole['reward'].shape == (2, job.num_rows)
  checkpoint = str(tmp_path / 'setting.npz')
  with pytest.raises(_Interrupt):  # Saved after rows 2 and 4; stopped at 3.
    sweep.run_job(job, spec, checkpoint, save_every=2,
                  progress=_stop_after(3))
  with pytest.raises(FileExistsError, match='--resume'):
    sweep.run_job(job, spec, checkpoint, save_every=2)
  with pytest.raises(ValueError, match="setting: stored 1, requested 2"):
    sweep.run_job(job, {'setting': 2}, checkpoint, save_every=2, resume=True)
  # A stop (a signal) after row 4 of the resumed run saves at row 4.
  rows = []
  stopped = sweep.run_job(job, spec, checkpoint, save_every=3, resume=True,
                          progress=lambda row, *_: rows.append(row),
                          stop=lambda: rows[-1] == 4)
  assert stopped is None and rows == [3, 4]  # Rows 1-2 not rerun.
  seconds_at_4 = sweep.checkpoint_seconds(checkpoint)
  rows = []
  resumed = sweep.run_job(job, spec, checkpoint, save_every=2, resume=True,
                          progress=lambda row, *_: rows.append(row))
  assert rows == list(range(5, job.num_rows + 1))
  # The seconds add up over the runs that continued it.
  assert sweep.checkpoint_seconds(checkpoint) > seconds_at_4 > 0
  assert set(resumed) == set(whole)
  for key in whole:  # Bit for bit.
    np.testing.assert_array_equal(resumed[key], whole[key], err_msg=key)
  # The last row was saved too: resuming the finished job runs nothing.
  rows = []
  again = sweep.run_job(job, spec, checkpoint, resume=True,
                        progress=lambda row, *_: rows.append(row))
  assert rows == []
  for key in whole:
    np.testing.assert_array_equal(again[key], whole[key], err_msg=key)


def test_sweep_skips_finished_settings_and_refuses_other_specs(tmp_path):
  made = []

  def settings(num_steps):
    def make(objective):
      made.append(objective)
      return _ac_job(objective)
    return {f'meta_objective={o}': ({'meta_objective': o,
                                     'num_steps': num_steps},
                                    lambda o=o: make(o))
            for o in ('none', 'bmg')}

  first = sweep.run_sweep(settings(80), str(tmp_path), save_every=1,
                          print_fn=lambda _: 0)
  assert made == ['none', 'bmg']
  stored = sweep.read_result(str(tmp_path / 'meta_objective=bmg.json'))
  assert stored == json.loads(json.dumps(first['meta_objective=bmg']))
  assert len(stored['totals']) == 2 and stored['diverged_seeds'] == []
  np.testing.assert_allclose(  # Binned curves keep the totals.
      np.sum(stored['curves']['reward'], axis=1) * stored['curve_steps'],
      stored['totals'])
  # 80 steps / 32 per cycle: 2 whole cycles.
  assert np.shape(stored['cycle_ranges']['entropy_weight']) == (2, 2)
  assert not os.listdir(tmp_path / 'checkpoints')
  again = sweep.run_sweep(settings(80), str(tmp_path), print_fn=lambda _: 0)
  assert made == ['none', 'bmg'] and again == first
  with pytest.raises(ValueError, match='num_steps: stored 80, requested 96'):
    sweep.run_sweep(settings(96), str(tmp_path), print_fn=lambda _: 0)
  assert made == ['none', 'bmg']  # Refused before any work.


def test_diverged_seeds_follow_the_worker_logs_rule():
  nan, inf = np.nan, np.inf
  metrics = {
      'loss': np.array([[1., 2., 3.], [1., nan, 2.], [nan, 1., 1.]]),
      'meta_grad_norm': np.array([[nan, nan, 1.], [1., 1., 1.],
                                  [1., 1., 1.]]),
      'grad_norm_ratio': np.array([[inf, 1., 1.]] * 3),  # Not watched.
      'variance': np.array([[1., nan, 1.]] * 3),  # Not watched.
  }
  assert sweep.diverged_seeds(metrics) == [1]
  metrics['meta_grad_norm'][2, 0] = -inf
  assert sweep.diverged_seeds(metrics) == [1, 2]


def test_the_table_reads_cycle_ends_from_the_last_bin_inside_each_cycle():
  # 4 cycles of 100 steps in bins of 30: cycle c's last whole bin is
  # (100 (c + 1)) // 30 - 1, i.e. bins 2, 5, 9 and 12.
  reward = np.zeros((2, 14))
  reward[:, [2, 9]] = .3  # First colour (cycles 1 and 3).
  reward[:, [5, 12]] = -.04
  reward[1, 12] = np.nan  # A diverged seed is left out of that mean.
  weight = np.linspace(.1, .2, 14)[None].repeat(2, 0)
  weight[1, -1] = np.nan
  result = {'totals': [10., 30.], 'diverged_seeds': [1], 'seconds': 12.3,
            'spec': {'flip_period': 100}, 'curve_steps': 30,
            'curves': {'reward': reward.tolist(),
                       'entropy_weight': weight.tolist()},
            'cycle_ranges': {'entropy_weight': [[.01] * 4, [.03] * 4]}}
  header, rule, row = sweep.table({'bmg': result}, 'entropy_weight')
  assert 'entropy weight at the end' in header and rule.startswith('|---')
  # The last half of the cycles (3 and 4): the weight's bins 7-9 and 10-12
  # (bin 6 straddles cycles 2 and 3, bin 13 runs past cycle 4).
  third, fourth = weight[:, 7:10].mean(), weight[:, 10:13].mean()
  assert row == ('| bmg | 20 ± 10 (2 seeds, 1 diverged) | 0.200-0.200 | '
                 '0.300, -0.040 | +0.020 → +0.020 | '
                 f'{third:.3f}, {fourth:.3f} | 12 |')
  assert 'over the last half of the cycles' in header


def test_paired_axes_make_the_settings_a_grid_of_one_value_each_would():
  axes = {'meta_objective': ['mg', 'bmg'], 'meta_learning_rate': ['1e-5',
                                                                  '3e-5']}
  paired = sweep.grid(axes, paired=True)
  assert list(paired) == ['meta_objective=mg,meta_learning_rate=1e-5',
                          'meta_objective=bmg,meta_learning_rate=3e-5']
  for name, chosen in paired.items():  # The names a rerun finds.
    assert sweep.grid({k: [v] for k, v in chosen.items()}) == {name: chosen}
  assert len(sweep.grid(axes)) == 4
  with pytest.raises(app.UsageError, match='--sweep: paired axes'):
    sweep.grid({'a': [1, 2], 'b': [1]}, paired=True)

