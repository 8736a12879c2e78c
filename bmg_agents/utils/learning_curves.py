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

"""Learning curves from acme CSV logs: episode returns binned by frames."""

import csv
import os
from typing import Dict, Sequence, Tuple

import numpy as np


def read_log(run_dir: str, label: str = 'actor') -> Dict[str, np.ndarray]:
  """Columns of `run_dir/logs/<label>/logs.csv` (acme's CSVLogger) as floats.

  Raises:
    FileNotFoundError: naming the file, when the run has not logged yet.
  """
  path = os.path.join(run_dir, 'logs', label, 'logs.csv')
  if not os.path.exists(path) or not os.path.getsize(path):
    raise FileNotFoundError(f'no {label} log at {path}')
  with open(path) as f:
    rows = list(csv.DictReader(f))
  return {k: np.array([float(r[k]) if r[k] else np.nan for r in rows])
          for k in rows[0]}


def binned_mean(x: np.ndarray, y: np.ndarray,
                edges: Sequence[float]) -> np.ndarray:
  """Mean of y over the x in each [edges[i], edges[i + 1]); NaN if empty."""
  x, y = np.asarray(x, float), np.asarray(y, float)
  index = np.digitize(x, edges) - 1
  return np.array([np.mean(y[index == i]) if np.any(index == i) else np.nan
                   for i in range(len(edges) - 1)])


def mean_and_stderr(curves: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
  """Per-column mean and standard error over the rows (seeds) of [S, N]."""
  curves = np.asarray(curves, float)
  n = np.sum(np.isfinite(curves), axis=0)
  mean = np.nanmean(curves, axis=0)
  deviations = np.where(np.isfinite(curves), curves - mean, 0.)
  variance = np.sum(deviations**2, axis=0) / np.maximum(n - 1, 1)
  return mean, np.sqrt(variance / np.maximum(n, 1))
