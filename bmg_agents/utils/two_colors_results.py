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

"""Two-colours results: per-seed CSV rows, summaries and Fig. 2-style plots.

Agent-neutral: every function takes metrics as a dict of [seeds, intervals]
arrays (one value per logged interval of `interval_steps` environment
steps), with 'reward' the mean reward per step; any other keys (an entropy
weight, an epsilon, a policy entropy) are carried along.
"""

import csv
import os
from typing import (Dict, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import numpy as np

Metrics = Mapping[str, np.ndarray]


def to_rows(label: str, metrics: Metrics, interval_steps: int,
            seeds: Optional[Sequence[int]] = None) -> List[Dict]:
  """One row per (seed, interval): label, seed, step, and every metric."""
  num_seeds, num_intervals = np.shape(metrics['reward'])
  seeds = list(range(num_seeds)) if seeds is None else list(seeds)
  rows = []
  for s in range(num_seeds):
    for t in range(num_intervals):
      row = dict(agent=label, seed=seeds[s], step=(t + 1) * interval_steps)
      row.update({k: float(np.asarray(v)[s, t]) for k, v in metrics.items()})
      rows.append(row)
  return rows


def write_csv(path: str, rows: Iterable[Dict]) -> str:
  """Writes rows (union of their keys as columns) to `path`; returns it."""
  rows = list(rows)
  columns = []
  for row in rows:
    columns += [k for k in row if k not in columns]
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  with open(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
  return path


def read_csv(path: str) -> Dict[str, Tuple[Dict[str, np.ndarray], int]]:
  """Inverse of `to_rows` + `write_csv`: {label: (metrics, interval_steps)}.

  Metrics come back as [seeds, intervals] arrays (seeds in file order), so
  runs made separately can be summarised and plotted together.
  """
  with open(path, newline='') as f:
    rows = list(csv.DictReader(f))
  by_label = {}  # label -> seed -> rows, in file order.
  for row in rows:
    by_label.setdefault(row['agent'], {}).setdefault(row['seed'], []).append(
        row)
  out = {}
  for label, by_seed in by_label.items():
    first = next(iter(by_seed.values()))[0]
    keys = [k for k in first if k not in ('agent', 'seed', 'step')]
    metrics = {k: np.array([[float(r[k]) for r in seed_rows]
                            for seed_rows in by_seed.values()]) for k in keys}
    out[label] = (metrics, int(first['step']))
  return out


def total_reward(metrics: Metrics, interval_steps: int) -> np.ndarray:
  """[seeds] total reward collected over the run."""
  return np.sum(np.asarray(metrics['reward']), axis=1) * interval_steps


def cycle_ranges(values: np.ndarray, interval_steps: int, flip_period: int,
                 early_steps: int = 3333) -> np.ndarray:
  """[seeds, cycles] value `early_steps` into each reward cycle minus its end.

  The quantity of Fig. 9 (policy entropy) and Fig. 10 (entropy weight): how
  far a schedule moves within a cycle. Only whole cycles are reported.

  Args:
    values: [seeds, intervals] a metric logged every `interval_steps`.
    interval_steps: environment steps per interval.
    flip_period: steps per reward cycle.
    early_steps: steps after a flip at which to read the early value.
  """
  values = np.asarray(values)
  num_cycles = values.shape[1] * interval_steps // flip_period
  out = np.zeros((values.shape[0], num_cycles))
  for c in range(num_cycles):
    early = min((c * flip_period + early_steps) // interval_steps,
                values.shape[1] - 1)
    end = min(((c + 1) * flip_period) // interval_steps - 1,
              values.shape[1] - 1)
    out[:, c] = values[:, early] - values[:, end]
  return out


def _per_label(interval_steps, results) -> Dict[str, int]:
  if isinstance(interval_steps, int):
    return {label: interval_steps for label in results}
  return dict(interval_steps)


def summary(results: Mapping[str, Metrics],
            interval_steps: Union[int, Mapping[str, int]]) -> List[str]:
  """Lines 'label: total reward mean +- std over N seeds'."""
  interval_steps = _per_label(interval_steps, results)
  lines = []
  for label, metrics in results.items():
    totals = total_reward(metrics, interval_steps[label])
    lines.append(f'{label}: total reward {totals.mean():,.0f} '
                 f'+- {totals.std():,.0f} over {len(totals)} seeds')
  return lines


def plot(path: str, results: Mapping[str, Metrics],
         interval_steps: Union[int, Mapping[str, int]],
         flip_period: int, schedule_key: str = 'entropy_weight',
         schedule_label: str = 'entropy weight') -> str:
  """A Fig. 2-style figure: cumulative reward and the learned schedule.

  Left: cumulative reward over steps (mean and one standard deviation over
  seeds) for each label. Right: the mean `schedule_key` over steps, with
  dotted lines at the reward flips. `interval_steps` is one number or one
  per label (agents whose cycles differ in length log at different steps).

  Returns:
    `path`.
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  interval_steps = _per_label(interval_steps, results)
  fig, (ax_r, ax_s) = plt.subplots(1, 2, figsize=(11, 4))
  for label, metrics in results.items():
    reward = np.asarray(metrics['reward'])
    steps = np.arange(1, reward.shape[1] + 1) * interval_steps[label]
    cumulative = np.cumsum(reward, axis=1) * interval_steps[label]
    mean, std = cumulative.mean(0), cumulative.std(0)
    line, = ax_r.plot(steps, mean, label=label)
    ax_r.fill_between(steps, mean - std, mean + std, alpha=.2,
                      color=line.get_color())
    if schedule_key in metrics:
      ax_s.plot(steps, np.nanmean(np.asarray(metrics[schedule_key]), 0),
                label=label, color=line.get_color())
  last = max(np.shape(m['reward'])[1] * interval_steps[label]
             for label, m in results.items())
  for flip in range(flip_period, last, flip_period):
    ax_s.axvline(flip, color='grey', linestyle=':', linewidth=.8)
    ax_r.axvline(flip, color='grey', linestyle=':', linewidth=.8)
  ax_r.set(xlabel='environment steps', ylabel='cumulative reward',
           title='Two-colours: total reward (mean +- std over seeds)')
  ax_s.set(xlabel='environment steps', ylabel=schedule_label,
           title=f'{schedule_label} (mean over finite seeds); flips dotted')
  ax_r.legend(fontsize=8)
  ax_s.legend(fontsize=8)
  fig.tight_layout()
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path
