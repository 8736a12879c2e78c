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

"""The one results writer and reader, and statistics over seeds.

Every results file is a CSV with a fixed set of columns (those of its first
row), written whole and atomically by `write_rows` and read back by
`read_rows` as one array per column. The acme-style worker logs under
`<run_dir>/logs/<label>/logs.csv` are read by `read_log` with the same
reader.

Per-seed metrics are dicts of [seeds, intervals] arrays, one value per
logged interval of `interval_steps` environment steps ('reward' the mean
reward per step); `metrics_to_rows` and `read_metrics` turn them into rows
(label, seed, step, every metric) and back, so runs made separately can be
summarised and plotted together.

Imports neither acme nor matplotlib: fused runs on an accelerator image use
it too.
"""

import csv
import os
import tempfile
from typing import (Any, Dict, Iterable, List, Mapping, Optional, Sequence,
                    Tuple, Union)

import numpy as np

Row = Mapping[str, Any]
Columns = Dict[str, np.ndarray]
Metrics = Mapping[str, np.ndarray]

# Columns that `metrics_to_rows` adds before the metrics.
LABEL_COLUMN = 'agent'
SEED_COLUMN = 'seed'
STEP_COLUMN = 'step'


def check_columns(row: Row, columns: Sequence[str], where: str) -> None:
  """Raises ValueError naming the keys of `row` that are not `columns`.

  Both CSV writers (`write_rows` and the worker logs of
  `experiments.loggers`) fix a file's columns and check every row here.
  """
  unknown = [k for k in row if k not in columns]
  if unknown:
    raise ValueError(
        f'{where}: keys {unknown} are not columns {list(columns)}; log the '
        'same keys in every row.')


def write_atomically(path: str, write, mode: str = 'w', **open_kwargs
                     ) -> None:
  """`write(file)` into a temporary file beside `path`, then moved into place:
  a reader never sees half a file, and an interrupted write leaves the old
  one intact. Missing directories are created."""
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  handle, temporary = tempfile.mkstemp(
      dir=directory, prefix=f'.{os.path.basename(path)}.', suffix='.partial')
  try:
    # mkstemp's file is private (0o600); results are read by others.
    os.chmod(temporary, os.stat(path).st_mode if os.path.isfile(path)
             else 0o644)
    with os.fdopen(handle, mode, **open_kwargs) as f:
      write(f)
    os.replace(temporary, path)
  except BaseException:
    os.remove(temporary)
    raise


# Columns whose divergence ends a run: a loss or a gradient norm that is
# infinite, or NaN after it has held a finite value (the worker logs' check
# and the fused sweeps' `diverged_seeds`).
WATCHED_SUFFIXES = ('loss', 'grad_norm')


def write_rows(path: str, rows: Iterable[Row], overwrite: bool = False,
               columns: Optional[Sequence[str]] = None) -> str:
  """Writes rows to the CSV `path` with fixed columns; returns `path`.

  The columns are `columns` if given, else the keys of the first row; a
  row may omit a column (its cell stays blank and reads back as NaN) but a
  key that is not a column raises. The file is written atomically
  (`write_atomically`).

  Args:
    path: the CSV to write; missing directories are created.
    rows: dicts of column -> value (numbers, strings, NaN).
    overwrite: replace a file that already holds rows; without it such a
      file raises, so two runs never mix or silently replace each other.
    columns: the header, e.g. the union of the keys of agents that log
      different metrics into one file.

  Raises:
    ValueError: no rows to write, or a row with a key outside the columns
      (named).
    FileExistsError: `path` holds rows and `overwrite` is not set.
  """
  rows = list(rows)
  if os.path.isfile(path) and os.path.getsize(path) > 0 and not overwrite:
    raise FileExistsError(
        f'{path} already holds rows; pass overwrite=True to replace them.')
  if columns is not None:
    columns = list(columns)
  elif rows:
    columns = list(rows[0])
  else:
    raise ValueError(f'write_rows: no rows to write to {path}.')
  for i, row in enumerate(rows):
    check_columns(row, columns, f'row {i} for {path}')
  def write(f):
    writer = csv.DictWriter(f, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
  write_atomically(path, write, newline='')
  return path


def read_rows(path: str) -> Columns:
  """{column: values} of a CSV, in file order.

  A column whose cells all parse as numbers (blanks allowed) is a float
  array with NaN for the blanks; any other column (an agent label) keeps its
  cells as a string array.

  Raises:
    FileNotFoundError: naming `path`, when it is missing or empty (a run
      that has not logged yet).
    ValueError: a row with more cells than the header.
  """
  if not os.path.isfile(path) or not os.path.getsize(path):
    raise FileNotFoundError(f'no rows at {path} (missing or empty file)')
  with open(path, newline='') as f:
    reader = csv.DictReader(f)
    rows = list(reader)
    columns = list(reader.fieldnames or ())
  for i, row in enumerate(rows):
    if None in row:
      raise ValueError(f'{path}: row {i + 1} has more cells than the header '
                       f'{columns}.')
  return {k: _column([row[k] for row in rows]) for k in columns}


def _column(cells: Sequence[Optional[str]]) -> np.ndarray:
  """Floats (NaN for blanks) if every non-blank cell is a number, else str."""
  try:
    return np.array([float(c) if c not in (None, '') else np.nan
                     for c in cells], dtype=float)
  except ValueError:
    return np.array(['' if c is None else c for c in cells], dtype=str)


def log_path(run_dir: str, label: str) -> str:
  """An acme-style worker log: `<run_dir>/logs/<label>/logs.csv`."""
  return os.path.join(run_dir, 'logs', label, 'logs.csv')


def read_log(run_dir: str, label: str = 'actor') -> Columns:
  """`read_rows` of the log that worker `label` of a run wrote.

  Raises:
    FileNotFoundError: naming the file, when the worker has not logged yet.
  """
  return read_rows(log_path(run_dir, label))


def columns_to_rows(columns: Mapping[str, np.ndarray]) -> List[Dict]:
  """The rows of `read_rows`' columns (e.g. to rewrite a file)."""
  names = list(columns)
  values = [np.asarray(columns[k]).tolist() for k in names]
  return [dict(zip(names, cells)) for cells in zip(*values)]


# Per-seed metrics.


def metrics_to_rows(label: str, metrics: Metrics, interval_steps: int,
                    seeds: Optional[Sequence[int]] = None) -> List[Dict]:
  """One row per (seed, interval): label, seed, step, every metric.

  Args:
    label: the agent or setting, e.g. 'bmg_L7'.
    metrics: name -> [seeds, intervals] values, all of one shape.
    interval_steps: environment steps per interval; row t has step
      (t + 1) * interval_steps.
    seeds: the seeds' numbers (default 0, 1, ...).
  """
  shapes = {k: np.shape(v) for k, v in metrics.items()}
  if len(set(shapes.values())) != 1 or len(next(iter(shapes.values()))) != 2:
    raise ValueError(f'metrics must all be [seeds, intervals]: {shapes}')
  num_seeds, num_intervals = next(iter(shapes.values()))
  seeds = list(range(num_seeds)) if seeds is None else list(seeds)
  if len(seeds) != num_seeds:
    raise ValueError(f'{len(seeds)} seed numbers for {num_seeds} seeds.')
  values = {k: np.asarray(v, dtype=float) for k, v in metrics.items()}
  rows = []
  for s in range(num_seeds):
    for t in range(num_intervals):
      row = {LABEL_COLUMN: label, SEED_COLUMN: int(seeds[s]),
             STEP_COLUMN: (t + 1) * interval_steps}
      row.update({k: float(v[s, t]) for k, v in values.items()})
      rows.append(row)
  return rows


def metrics_from_columns(
    columns: Mapping[str, np.ndarray]) -> Dict[str, Tuple[Dict, int]]:
  """Inverse of `metrics_to_rows`: {label: (metrics, interval_steps)}.

  Labels and seeds keep their file order; metrics are [seeds, intervals].
  """
  labels = np.asarray(columns[LABEL_COLUMN]).astype(str)
  seeds = np.asarray(columns[SEED_COLUMN])
  steps = np.asarray(columns[STEP_COLUMN])
  names = [k for k in columns
           if k not in (LABEL_COLUMN, SEED_COLUMN, STEP_COLUMN)]
  out = {}
  for label in dict.fromkeys(labels):
    in_label = labels == label
    by_seed = [in_label & (seeds == s) for s in dict.fromkeys(seeds[in_label])]
    metrics = {k: np.stack([np.asarray(columns[k], dtype=float)[rows]
                            for rows in by_seed]) for k in names}
    out[str(label)] = (metrics, int(steps[by_seed[0]][0]))
  return out


def read_metrics(path: str) -> Dict[str, Tuple[Dict, int]]:
  """{label: (metrics, interval_steps)} of a file of `metrics_to_rows`."""
  return metrics_from_columns(read_rows(path))


def total_reward(metrics: Metrics, interval_steps: int) -> np.ndarray:
  """[seeds] total reward of each seed over the run."""
  return np.sum(np.asarray(metrics['reward'], dtype=float), axis=1) * (
      interval_steps)


# Fig. 9's "3333 steps after the agent observes a new" reward function.
CYCLE_EARLY_STEPS = 3333


def cycle_ranges(values: np.ndarray, interval_steps: int, flip_period: int,
                 early_steps: int = CYCLE_EARLY_STEPS) -> np.ndarray:
  """[seeds, cycles] value `early_steps` into each reward cycle minus its end.

  The quantity of Fig. 9 (policy entropy) and Fig. 10 (entropy weight): how
  far a schedule moves within a cycle. Only whole cycles are reported.

  Args:
    values: [seeds, intervals] a metric logged every `interval_steps`.
    interval_steps: environment steps per interval.
    flip_period: steps per reward cycle.
    early_steps: steps after a flip at which to read the early value.
  """
  values = np.asarray(values, dtype=float)
  last = values.shape[1] - 1
  num_cycles = values.shape[1] * interval_steps // flip_period
  out = np.zeros((values.shape[0], num_cycles))
  for c in range(num_cycles):
    early = min((c * flip_period + early_steps) // interval_steps, last)
    end = min(((c + 1) * flip_period) // interval_steps - 1, last)
    out[:, c] = values[:, early] - values[:, end]
  return out


def summary(results: Mapping[str, Metrics],
            interval_steps: Union[int, Mapping[str, int]]) -> List[str]:
  """Lines 'label: total reward mean ± s.e. (n=N seeds)'.

  Args:
    results: label -> metrics.
    interval_steps: one number, or one per label.
  """
  intervals = per_label(interval_steps, results)
  lines = []
  for label, metrics in results.items():
    lines.append(total_line(label, total_reward(metrics, intervals[label])))
  return lines


def total_line(label: str, totals: np.ndarray) -> str:
  """'label: total reward mean ± s.e. (n=N seeds)' of [seeds] totals."""
  totals = np.asarray(totals, dtype=float)[:, None]
  mean, stderr = mean_and_stderr(totals)
  return (f'{label}: total reward {mean[0]:,.0f} ± {stderr[0]:,.0f} '
          f'(s.e., n={num_seeds(totals)} seeds)')


def per_label(value: Union[int, Mapping[str, int]],
              labels: Iterable[str]) -> Dict[str, int]:
  """`value` for every label: one number for all, or a mapping kept as is."""
  if isinstance(value, Mapping):
    return dict(value)
  return {label: value for label in labels}


# Statistics over seeds.


def mean_and_stderr(curves: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
  """Per-column mean and standard error over the rows (seeds) of [S, N].

  Non-finite values (a missing bin, a diverged seed) are left out of their
  column; a column with one finite value has standard error 0, one with none
  has NaN mean and standard error.
  """
  curves = np.atleast_2d(np.asarray(curves, dtype=float))
  finite = np.isfinite(curves)
  n = finite.sum(axis=0)
  values = np.where(finite, curves, 0.)
  with np.errstate(invalid='ignore', divide='ignore'):
    mean = np.where(n > 0, values.sum(axis=0) / n, np.nan)
    deviations = np.where(finite, curves - mean, 0.)
    variance = np.sum(deviations**2, axis=0) / np.maximum(n - 1, 1)
    stderr = np.where(n > 0, np.sqrt(variance / np.maximum(n, 1)), np.nan)
  return mean, stderr


def num_seeds(curves: np.ndarray) -> int:
  """Rows (seeds) of [S, N] with at least one finite value."""
  curves = np.atleast_2d(np.asarray(curves, dtype=float))
  return int(np.sum(np.any(np.isfinite(curves), axis=1)))


def binned_mean(x: np.ndarray, y: np.ndarray,
                edges: Sequence[float]) -> np.ndarray:
  """Mean of y over the x in each [edges[i], edges[i + 1]); NaN if empty."""
  x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
  index = np.digitize(x, edges) - 1
  return np.array([np.mean(y[index == i]) if np.any(index == i) else np.nan
                   for i in range(len(edges) - 1)])
