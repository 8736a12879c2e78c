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

"""Two-colours results at CPU scale: fixed entropy sweep vs MG vs BMG.

For each setting: total reward (mean +- std over seeds) and, per reward
cycle, the range of the entropy weight (Fig. 10) and of the policy entropy
(Fig. 9): its value 3333 steps into the cycle minus its value at the cycle's
end, averaged over the first and over the last cycles.

  python benchmarks/actor_critic_bmg_results.py --settings=<name> \
      --num_seeds=4 --num_steps=400000              # the README's runs
  python benchmarks/actor_critic_bmg_results.py --num_seeds=10 \
      --settings=fixed_0.01,fixed_0.05,fixed_0.1,mg_meta0,mg_meta0.1,bmg_L1,\
bmg_L7 --num_steps=2000000 --flip_period=100000 \
      --meta_learning_rate=1e-4                     # the issue's scale
  python benchmarks/actor_critic_bmg_results.py \
      --plot_csvs=runs/bmg/results.csv=bmg,runs/mg/results.csv=mg  # combine
"""

import os

from absl import app
from absl import flags
import numpy as np

from bmg_agents import actor_critic_bmg as ac
from bmg_agents import anakin
from bmg_agents.actor_critic_bmg import fused
from bmg_agents.experiments import plotting
from bmg_agents.experiments import results as results_lib

SETTINGS = {
    'fixed_0.01': dict(meta_objective='none', entropy=0.01),
    'fixed_0.05': dict(meta_objective='none', entropy=0.05),
    'fixed_0.1': dict(meta_objective='none', entropy=0.1),
    'mg_meta0': dict(meta_objective='mg', meta_entropy=0.),
    'mg_meta0.1': dict(meta_objective='mg', meta_entropy=0.1),
    'bmg_L1': dict(meta_objective='bmg', L=1),
    'bmg_L7': dict(meta_objective='bmg', L=7),
}
# Defaults: a few minutes on 2 busy cores (what `make bench` runs).
_SETTINGS = flags.DEFINE_list('settings', ['fixed_0.1', 'mg_meta0', 'bmg_L7'],
                              f'From {list(SETTINGS)}.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 4, 'Seeds per setting.')
_NUM_STEPS = flags.DEFINE_integer('num_steps', 200_000, 'Steps per seed.')
_FLIP = flags.DEFINE_integer('flip_period', 50_000, 'Steps per cycle.')
_META_LR = flags.DEFINE_float('meta_learning_rate', 3e-4, 'Meta Adam lr.')
_INITIAL = flags.DEFINE_float('initial_entropy', 0.5,
                              'MG/BMG entropy weight at initialisation.')
_LOG_EVERY = flags.DEFINE_integer('log_every', 2000, 'Steps per interval.')
_GROUP = flags.DEFINE_integer('max_seeds_per_group', 5,
                              'Seeds vmapped together per device.')
_PLOT_CSVS = flags.DEFINE_list(
    'plot_csvs', [],
    'Only summarise and plot earlier runs: results.csv paths, each optionally '
    '"path=label" (e.g. to tell runs of the same setting apart).')
_RESULTS = flags.DEFINE_string('results_dir', './results/two_colors_bench',
                               'Where the CSV goes.')


def _summary_line(name, metrics, interval, flip_period):
  """Total reward, NaN seeds, Fig. 9/10 ranges and the mean entropy weight."""
  totals = results_lib.total_reward(metrics, interval)
  diverged = int(np.sum(~np.isfinite(metrics['policy_entropy'][:, -1])))
  line = (f'{name}: total reward {totals.mean():,.1f} +- {totals.std():,.1f} '
          f'(s.e. {totals.std(ddof=1) / np.sqrt(len(totals)):,.0f}; '
          f'{len(totals)} seeds, {diverged} ended with NaN parameters)')
  early = max(1, min(3333, flip_period // 3))
  for key in ('entropy_weight', 'policy_entropy'):
    ranges = np.nanmean(results_lib.cycle_ranges(
        metrics[key], interval, flip_period, early), axis=0)
    if len(ranges) >= 2:
      quarter = max(1, len(ranges) // 4)
      line += (f'; {key} range first/last {quarter} cycles '
               f'{ranges[:quarter].mean():+.3f}/'
               f'{ranges[-quarter:].mean():+.3f}')
  return line + (f'; mean entropy weight '
                 f'{np.nanmean(metrics["entropy_weight"]):.3f}')


def _plot_csvs(specs):
  """Summarises and plots CSVs of earlier runs: 'path[=label]' each."""
  results, intervals = {}, {}
  for spec in specs:
    path, _, label = spec.partition('=')
    for name, (metrics, interval) in results_lib.read_metrics(path).items():
      results[label or name], intervals[label or name] = metrics, interval
  for name, metrics in results.items():
    print(_summary_line(name, metrics, intervals[name], _FLIP.value))
  path = os.path.join(_RESULTS.value, 'two_colors_results.png')
  plotting.plot_curves(path, plotting.two_colors_panels(results, intervals,
                                                        _FLIP.value))
  print(f'Wrote {path}')


def main(argv):
  del argv
  if _PLOT_CSVS.value:
    _plot_csvs(_PLOT_CSVS.value)
    return
  anakin.force_host_devices(2)
  seeds = np.arange(_NUM_SEEDS.value)
  rows, results, intervals = [], {}, {}
  for name in _SETTINGS.value:
    config = ac.ActorCriticBMGConfig(
        K=1, meta_learning_rate=_META_LR.value,
        initial_entropy=_INITIAL.value, **SETTINGS[name])
    metrics, interval = fused.run_seeds(
        config, seeds, _NUM_STEPS.value, log_every=_LOG_EVERY.value,
        flip_period=_FLIP.value,
        progress=anakin.Progress(_NUM_STEPS.value, len(seeds), label=name,
                                 every_secs=30.),
        max_seeds_per_group=_GROUP.value)
    rows += results_lib.metrics_to_rows(name, metrics, interval, seeds)
    results[name], intervals[name] = metrics, interval
    print(_summary_line(name, metrics, interval, _FLIP.value), flush=True)
  # A benchmark regenerates its own files: a rerun replaces them. Settings
  # log different metrics (MG/BMG add meta-gradient ones): a blank cell for
  # a metric a setting does not log.
  path = results_lib.write_rows(
      os.path.join(_RESULTS.value, 'results.csv'), rows, overwrite=True,
      columns=list(dict.fromkeys(k for row in rows for k in row)))
  png = os.path.join(_RESULTS.value, 'two_colors_results.png')
  plotting.plot_curves(png, plotting.two_colors_panels(results, intervals,
                                                       _FLIP.value))
  print(f'Wrote {path} and {png}')


if __name__ == '__main__':
  app.run(main)
