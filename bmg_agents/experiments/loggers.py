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

"""The one logger factory: terminal every few seconds, every row to CSV.

A CSV's columns are fixed by its first row (as in acme's `CSVLogger`), so a
worker must write the same keys in every row; a row with a key the header
lacks raises instead of shifting every later cell. Rows are flushed as they
are written, so a stopped run keeps all of them, and a file that already
holds rows is appended to only by the same run resumed (`resume=True`, after
`truncate_logs` dropped the rows its checkpoint does not cover): two runs
never mix in one file.

Every logger checks its rows for divergence: a loss or gradient norm (a
column named '*loss' or '*grad_norm') that is infinite, or NaN after it has
held a finite value, raises `NonFiniteError` once the row is written. NaN
before a column's first finite value marks a quantity not measured yet (a
meta-gradient before the first meta-update, or none for a fixed
hyper-parameter); other columns may be NaN on steps that do not measure
them (e.g. a meta-gradient variance every N steps).
"""

import csv
import os
from typing import Any, Mapping, Optional

from acme.utils import loggers
from acme.utils.loggers import aggregators
from acme.utils.loggers import filters
from acme.utils.loggers import terminal
import numpy as np

from bmg_agents.experiments import results

log_path = results.log_path


class CSVLogger(loggers.Logger):
  """Writes every row to `log_path(directory, label)` with fixed columns.

  With `resume`, an existing file is continued under its own header.
  """

  def __init__(self, directory: str, label: str, resume: bool = False):
    self._path = results.log_path(directory, label)
    self._label = label
    self._resume = resume
    self._file = None
    self._writer = None

  @property
  def path(self) -> str:
    return self._path

  def write(self, data: Mapping[str, Any]) -> None:
    row = {k: _scalar(v) for k, v in data.items()}
    if self._writer is None:
      os.makedirs(os.path.dirname(self._path), exist_ok=True)
      header = _header(self._path) if self._resume else None
      if header:
        self._file = open(self._path, 'a', newline='')
        self._writer = csv.DictWriter(self._file, fieldnames=header)
      else:
        try:
          self._file = open(self._path, 'x', newline='')
        except FileExistsError:
          raise FileExistsError(
              f'{self._path} already holds another run\'s rows; use a new '
              'results directory.') from None
        self._writer = csv.DictWriter(self._file, fieldnames=list(row))
        self._writer.writeheader()
    results.check_columns(row, self._writer.fieldnames,
                          f'logger {self._label!r} ({self._path})')
    self._writer.writerow(row)
    self._file.flush()

  def close(self) -> None:
    if self._file is not None:
      self._file.close()
      self._file = None
      self._writer = None


def _header(path: str) -> Optional[list]:
  """The columns of an existing CSV, or None."""
  if not os.path.isfile(path) or not os.path.getsize(path):
    return None
  with open(path, newline='') as f:
    return next(csv.reader(f), None)


def truncate_logs(directory: str, counts: Mapping[str, float]) -> None:
  """Drops the log rows a resumed run will write again.

  A run resumed from a checkpoint continues from the counts saved with it;
  rows logged after that checkpoint (before a crash) are removed, so every
  step column ('actor_steps', 'learner_steps', ...) stays increasing. A
  count the checkpoint lacks is 0: a run resumed without a checkpoint (it
  died before its first) starts its logs anew.

  Args:
    directory: the run's results directory.
    counts: the counts restored with the checkpoint ({}: none).
  """
  logs = os.path.join(directory, 'logs')
  if not os.path.isdir(logs):
    return
  for label in sorted(os.listdir(logs)):
    path = results.log_path(directory, label)
    if _header(path) is None:
      continue
    with open(path, newline='') as f:
      header, *rows = list(csv.reader(f))
    steps = [i for i, key in enumerate(header) if key.endswith('_steps')]
    kept = [row for row in rows
            if all(float(row[i]) <= counts.get(header[i], 0) for i in steps)]
    if len(kept) < len(rows):  # The kept cells are rewritten as they were.
      results.write_atomically(
          path, lambda f, rows=kept: csv.writer(f).writerows([header] + rows),
          newline='')


class NonFiniteError(FloatingPointError):
  """A logged quantity became NaN or infinite."""


class _FiniteCheck(loggers.Logger):
  """Passes rows on, then raises `NonFiniteError` for a diverged value."""

  def __init__(self, logger: loggers.Logger, label: str,
               steps_key: Optional[str]):
    self._logger = logger
    self._label = label
    self._steps_key = steps_key
    self._measured = set()

  def write(self, data: Mapping[str, Any]) -> None:
    self._logger.write(data)
    for key, value in data.items():
      if not key.endswith(results.WATCHED_SUFFIXES):
        continue
      value = np.asarray(value, dtype=np.float64)
      if np.isinf(value).any() or (key in self._measured and
                                   np.isnan(value).any()):
        where = (f' at {self._steps_key}={_scalar(data[self._steps_key])}'
                 if self._steps_key in data else '')
        raise NonFiniteError(f'{self._label}{where}: {key} is '
                             f'{_scalar(value)}.')
      if np.isfinite(value).all():
        self._measured.add(key)

  def close(self) -> None:
    self._logger.close()


def _scalar(value: Any) -> Any:
  value = np.asarray(value)
  return value.item() if value.size == 1 else value.tolist()


def make_logger(label: str, directory: Optional[str] = None,
                steps_key: Optional[str] = None,
                time_delta: float = 10., resume: bool = False
                ) -> loggers.Logger:
  """Terminal every `time_delta` s and, with a directory, every row to CSV.

  Rows are checked for divergence (see `NonFiniteError`).

  Args:
    label: the worker, e.g. 'learner' or 'actor'.
    directory: the run's results directory; None: terminal only.
    steps_key: the count a divergence error names.
    time_delta: seconds between terminal lines.
    resume: continue an existing CSV (a resumed run), see `CSVLogger`.
  """
  outputs = [filters.TimeFilter(
      terminal.TerminalLogger(label=label, print_fn=print), time_delta)]
  if directory is not None:
    outputs.append(CSVLogger(directory, label, resume))
  return _FiniteCheck(
      filters.NoneFilter(aggregators.Dispatcher(outputs, loggers.to_numpy)),
      label, steps_key)


class LoggerFactory:
  """(label, steps_key, instance) -> logger; picklable into Launchpad nodes.

  Worker instance 0 (or None) writes CSV; the other actors of a Launchpad
  program only print, as in acme's layouts.
  """

  def __init__(self, directory: Optional[str], time_delta: float = 10.,
               resume: bool = False):
    self._directory = directory
    self._time_delta = time_delta
    self.resume = resume

  def __call__(self, label: str, steps_key: Optional[str] = None,
               instance: Optional[int] = None) -> loggers.Logger:
    directory = self._directory if not instance else None
    return make_logger(label, directory, steps_key, self._time_delta,
                       self.resume)

  def continue_from(self, counts: Mapping[str, float]) -> None:
    """A resumed run restored `counts`: drops the CSV rows past them."""
    if self._directory is not None:
      truncate_logs(self._directory, counts)


def make_logger_factory(directory: Optional[str], time_delta: float = 10.,
                        resume: bool = False) -> LoggerFactory:
  """The experiment's logger factory: CSVs under `directory` (or none);
  `resume` continues a resumed run's CSVs."""
  return LoggerFactory(directory, time_delta, resume)
