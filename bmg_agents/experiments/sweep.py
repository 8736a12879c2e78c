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

"""Resumable sweeps of fused runs: settings x seeds, a small file per setting.

A sweep is a mapping {setting name: (spec, job factory)}. Each setting is
one fused run of all its seeds (`FusedJob`); when it finishes, its results
file `<results_dir>/<name>.json` holds the spec and what the figures and
tables need (per-seed totals, binned curves, per-cycle ranges of the
meta-learned schedule, the seeds that diverged): a few tens of KB, meant to
be committed, so a sweep can be carried over several machines and days.

While a setting runs, a checkpoint of its state and metrics is saved every
`save_every` metric rows under `<results_dir>/checkpoints/` (ignored by
git). A rerun skips every finished setting whose stored spec is the
requested one, refuses one whose spec differs (naming the fields), and
continues a half-finished setting from its checkpoint only when asked to
(`resume=True`): the result is the same, bit for bit, as an uninterrupted
run's, because the chunks and their compiled program are the same.

Imports neither acme nor matplotlib.
"""

import dataclasses
import functools
import itertools
import json
import math
import os
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from absl import app
import jax
import numpy as np

from bmg_agents import anakin
from bmg_agents.experiments import config_flags
from bmg_agents.experiments import results

# Version of the results and checkpoint files; bump when either changes.
FORMAT = 1
CHECKPOINTS = 'checkpoints'
# Points per stored curve (bins of whole metric rows).
MAX_CURVE_POINTS = 200


@dataclasses.dataclass(frozen=True)
class FusedJob:
  """One setting's fused run, all of its seeds at once.

  Attributes:
    step_fn: one seed's step, state -> (state, metrics); see `anakin.run`.
    init: () -> the initial state, leaves with a leading axis of seeds.
    steps_per_call: environment steps per `step_fn` call.
    calls_per_row: `step_fn` calls per metrics row (metrics are averaged
      over a row; one compiled call runs one row).
    num_rows: metric rows of the whole run.
    schedule_keys: metrics whose per-reward-cycle range is stored (the
      meta-learned schedule, the policy entropy).
    flip_period: environment steps per reward cycle (None: no cycles, e.g.
      MinAtar; no per-cycle ranges are stored).
    max_seeds_per_group: see `anakin.run`.
  """
  step_fn: anakin.StepFn
  init: Callable[[], Any]
  steps_per_call: int
  calls_per_row: int
  num_rows: int
  schedule_keys: Sequence[str]
  flip_period: Optional[int]
  max_seeds_per_group: Optional[int] = None

  @property
  def row_steps(self) -> int:
    """Environment steps per metrics row."""
    return self.steps_per_call * self.calls_per_row


def differences(stored: Mapping[str, Any], wanted: Mapping[str, Any]
                ) -> List[str]:
  """'key: stored X, requested Y' for every key whose values differ."""
  keys = sorted(set(stored) | set(wanted))
  return [f'{k}: stored {stored.get(k)!r}, requested {wanted.get(k)!r}'
          for k in keys if stored.get(k) != wanted.get(k)]


def _check_spec(stored: Mapping[str, Any], wanted: Mapping[str, Any],
                path: str) -> None:
  diffs = differences(stored, json.loads(json.dumps(dict(wanted))))
  if diffs:
    raise ValueError(f'{path} holds a different setting ({"; ".join(diffs)})'
                     '; use another results_dir or remove the file.')


def save_checkpoint(path: str, spec: Mapping[str, Any], rows_done: int,
                    state: Any, metrics: Mapping[str, np.ndarray],
                    seconds: float = 0.) -> None:
  """Writes a setting's state, its metric rows so far and the seconds they
  took (over every run that continued it), atomically."""
  leaves = jax.tree_util.tree_leaves(state)
  arrays = {f'state_{i}': np.asarray(x) for i, x in enumerate(leaves)}
  arrays.update({f'metric_{k}': np.asarray(v) for k, v in metrics.items()})
  header = json.dumps({'format': FORMAT, 'spec': dict(spec),
                       'rows_done': rows_done, 'seconds': seconds})
  results.write_atomically(
      path, lambda f: np.savez(f, header=np.array(header), **arrays), 'wb')


def _checked_header(data, spec: Mapping[str, Any], path: str
                    ) -> Dict[str, Any]:
  """A checkpoint's header, refused if another format or spec made it."""
  header = json.loads(str(data['header']))
  if header.get('format') != FORMAT:
    raise ValueError(f'{path} has format {header.get("format")}, this '
                     f'version reads {FORMAT}.')
  _check_spec(header['spec'], spec, path)
  return header


def load_checkpoint(path: str, spec: Mapping[str, Any], like: Any
                    ) -> Tuple[int, Any, Dict[str, np.ndarray]]:
  """(rows done, state shaped like `like`, metrics) of a checkpoint.

  Raises:
    ValueError: if it was made by another format or another setting.
  """
  with np.load(path) as data:
    header = _checked_header(data, spec, path)
    treedef = jax.tree_util.tree_structure(like)
    state = jax.tree_util.tree_unflatten(
        treedef, [data[f'state_{i}'] for i in range(treedef.num_leaves)])
    metrics = {k[len('metric_'):]: data[k] for k in data.files
               if k.startswith('metric_')}
  return header['rows_done'], state, metrics


def checkpoint_seconds(path: str) -> float:
  """The seconds the rows of a checkpoint took (0 if it holds none)."""
  with np.load(path) as data:
    return float(json.loads(str(data['header'])).get('seconds', 0.))


def _refuse_unless(resume: bool, checkpoint: str) -> None:
  if not resume:
    raise FileExistsError(f'{checkpoint} holds a half-finished run of this '
                          'setting; pass --resume to continue it.')


def run_job(job: FusedJob, spec: Mapping[str, Any],
            checkpoint: Optional[str] = None, save_every: int = 0,
            resume: bool = False,
            progress: Optional[anakin.Callback] = None,
            stop: Optional[Callable[[], bool]] = None,
            final_state: Optional[Callable[[Any], None]] = None
            ) -> Optional[Dict[str, np.ndarray]]:
  """Runs `job` to its end; metrics as [seeds, rows] arrays.

  Args:
    job: the fused run.
    spec: what identifies the setting (JSON-able); stored in checkpoints.
    checkpoint: the checkpoint's path; None: no checkpoints.
    save_every: metric rows between checkpoints (0: none but at a stop);
      the last row is always saved, so a resumed finished job returns at
      once.
    resume: continue from `checkpoint` if it exists (else it is refused).
    progress: an anakin callback (chunks, environment steps, metrics).
    stop: polled after every row; when it says so, the run saves a
      checkpoint and returns None (e.g. a `stopping.StopOnSignal`).
    final_state: called with the finished run's state [S, ...] on the host
      (e.g. to save the final parameters).

  Raises:
    FileExistsError: a checkpoint exists and `resume` is False.
  """
  state = job.init()
  rows_done, done, seconds_before, start = 0, {}, 0., time.time()
  if checkpoint and os.path.exists(checkpoint):
    _refuse_unless(resume, checkpoint)
    rows_done, state, done = load_checkpoint(checkpoint, spec, state)
    seconds_before = checkpoint_seconds(checkpoint)
  chunks = []

  class _Stopped(Exception):
    pass

  def keep(i, steps, metrics):  # [S, ...] metrics of one row.
    del steps
    chunks.append({k: np.asarray(v)[None] for k, v in metrics.items()})
    if progress is not None:
      progress(rows_done + i, (rows_done + i) * job.row_steps, metrics)

  def after_row(i, get_state):
    stopping = stop is not None and stop()
    last = rows_done + i == job.num_rows
    if checkpoint and (last or stopping or (
        save_every and (rows_done + i) % save_every == 0)):
      save_checkpoint(checkpoint, spec, rows_done + i, get_state(),
                      _concatenate(([done] if done else []) + chunks),
                      seconds_before + time.time() - start)
    if stopping and not last:
      raise _Stopped

  remaining = job.num_rows - rows_done
  if remaining > 0:
    try:
      state, _ = anakin.run(
          job.step_fn, state, remaining * job.calls_per_row,
          job.calls_per_row, callback=keep,
          max_seeds_per_group=job.max_seeds_per_group,
          state_callback=after_row)
    except _Stopped:
      return None
  if final_state is not None:
    final_state(jax.device_get(state))
  metrics = _concatenate(([done] if done else []) + chunks)
  # [rows, S] -> [S, rows].
  return {k: np.swapaxes(v, 0, 1) for k, v in metrics.items()}


def _concatenate(parts: Sequence[Mapping[str, np.ndarray]]
                 ) -> Dict[str, np.ndarray]:
  if not parts:
    return {}
  return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def diverged_seeds(metrics: Mapping[str, np.ndarray]) -> List[int]:
  """Seeds whose loss or gradient norm became NaN after a finite value, or
  was ever infinite (the rule of the worker logs' check)."""
  out = set()
  for key, values in metrics.items():
    if not key.endswith(results.WATCHED_SUFFIXES):
      continue
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    measured = np.cumsum(finite, axis=1) > 0
    # NaN after the first finite value, or any inf.
    bad = (np.isnan(values) & np.roll(measured, 1, axis=1)) | np.isinf(values)
    bad[:, 0] = np.isinf(values[:, 0])
    out.update(np.flatnonzero(bad.any(axis=1)).tolist())
  return sorted(out)


def _bin(values: np.ndarray, factor: int) -> np.ndarray:
  """Means of `factor` consecutive rows (a last partial bin is dropped)."""
  values = np.asarray(values, dtype=float)
  n = values.shape[1] // factor
  return values[:, :n * factor].reshape(values.shape[0], n, factor).mean(2)


def summarize(job: FusedJob, spec: Mapping[str, Any],
              metrics: Mapping[str, np.ndarray], seconds: float
              ) -> Dict[str, Any]:
  """The results file's contents (JSON-able) of a finished setting."""
  factor = max(1, math.ceil(job.num_rows / MAX_CURVE_POINTS))
  curve_keys = ['reward'] + [k for k in job.schedule_keys if k in metrics]
  return {
      'format': FORMAT,
      'spec': dict(spec),
      'seconds': round(seconds, 1),
      'row_steps': job.row_steps,
      'totals': results.total_reward(metrics, job.row_steps).tolist(),
      'diverged_seeds': diverged_seeds(metrics),
      'curve_steps': job.row_steps * factor,
      'curves': {k: _bin(metrics[k], factor).tolist() for k in curve_keys},
      'cycle_ranges': {
          k: results.cycle_ranges(metrics[k], job.row_steps,
                                  job.flip_period).tolist()
          for k in job.schedule_keys
          if k in metrics and job.flip_period is not None},
  }


def _cycle_bins(result: Mapping[str, Any]) -> List[Tuple[int, int, int]]:
  """[(cycle, first bin, last bin)] of the curve bins wholly inside each
  reward cycle that has one."""
  flip_period, width = result['spec']['flip_period'], result['curve_steps']
  num_bins = len(result['curves']['reward'][0])
  cycles = []
  for c in range(num_bins * width // flip_period):
    first = -(-c * flip_period // width)
    last = (c + 1) * flip_period // width - 1
    if last >= first:
      cycles.append((c, first, last))
  return cycles


def _by_colour(values: Sequence[Tuple[int, float]]) -> Tuple[float, float]:
  """Means over (cycle, value) pairs of the first colour's cycles (0, 2,
  ...) and of the second's."""
  return tuple(float(np.mean([v for c, v in values if c % 2 == colour]))
               for colour in (0, 1))


_TABLE_HEADER = (
    '| setting | total reward (mean ± s.e.) | {0} at the end (range over '
    'seeds) | reward/step at cycle ends: first, second colour | {0}\'s '
    'within-cycle range, first → last 5 cycles | {0} over the last half '
    'of the cycles: first, second colour | seconds |\n'
    '|---|---|---|---|---|---|---|')


def table(done: Mapping[str, Mapping[str, Any]], schedule_key: str
          ) -> List[str]:
  """A markdown table of finished settings (`run_sweep`'s results).

  Columns: total reward over the run (mean ± s.e. over seeds, diverged
  seeds counted); the schedule (`schedule_key`) at the end; the reward per
  step at the end of the cycles of the first colour (1, 3, ...) and of the
  second, from the last curve bin inside each cycle (with 10k-step bins:
  the last 10k steps); `cycle_ranges` (Fig. 9/10's quantity) averaged
  over seeds and the first and the last 5 cycles; and the schedule's mean
  (over seeds and the bins inside a cycle) in the cycles of each colour in
  the last half of the run's cycles.
  """
  lines = _TABLE_HEADER.format(schedule_key.replace('_', ' ')).split('\n')
  for name, r in done.items():
    totals = np.asarray(r['totals'], dtype=float)
    mean, stderr = results.mean_and_stderr(totals[:, None])
    diverged = len(r['diverged_seeds'])
    total = f'{mean[0]:,.0f} ± {stderr[0]:,.0f} ({len(totals)} seeds' + (
        f', {diverged} diverged)' if diverged else ')')
    schedule = np.asarray(r['curves'][schedule_key], dtype=float)
    reward = np.asarray(r['curves']['reward'], dtype=float)
    cycles = _cycle_bins(r)
    ends = _by_colour([(c, np.nanmean(reward[:, last]))
                       for c, _, last in cycles])
    late = _by_colour([(c, np.nanmean(schedule[:, first:last + 1]))
                       for c, first, last in cycles
                       if c >= len(cycles) // 2])
    ranges = np.asarray(r['cycle_ranges'][schedule_key], dtype=float)
    lines.append(
        f'| {name} | {total} | {np.nanmin(schedule[:, -1]):.3f}-'
        f'{np.nanmax(schedule[:, -1]):.3f} | {ends[0]:.3f}, {ends[1]:.3f} | '
        f'{np.nanmean(ranges[:, :5]):+.3f} → {np.nanmean(ranges[:, -5:]):+.3f}'
        f' | {late[0]:.3f}, {late[1]:.3f} | {r["seconds"]:.0f} |')
  return lines


def grid(axes: Mapping[str, Sequence[Any]],
         paired: bool = False) -> Dict[str, Dict[str, Any]]:
  """{'a=1,b=x': {'a': 1, 'b': 'x'}} for every combination of the axes'
  values ({'base': {}} without axes); `paired`: the axes' i-th values
  together, for each i (axes of one length; a UsageError naming --sweep
  otherwise)."""
  if paired and len({len(v) for v in axes.values()}) > 1:
    raise app.UsageError('--sweep: paired axes need as many values each, got '
                     + ', '.join(f'{k}: {len(v)}' for k, v in axes.items()))
  out = {}
  for values in (zip(*axes.values()) if paired else
                 itertools.product(*axes.values())):
    chosen = dict(zip(axes, values))
    out[','.join(f'{k}={v}' for k, v in chosen.items()) or 'base'] = chosen
  return out


def make_spec(config: Any, **run: Any) -> Dict[str, Any]:
  """A setting's spec: every config field (as 'config.<field>') and the
  run's other choices, as they read back from JSON."""
  return json.loads(json.dumps(
      {**{f'config.{k}': v for k, v in vars(config).items()}, **run},
      default=str))


def parse_pairs(values: Sequence[str], flag: str) -> Dict[str, str]:
  """{field: value} of 'field=value' strings; else a UsageError naming the
  flag."""
  pairs = [v.partition('=') for v in values]
  if not all(k and sep for k, sep, _ in pairs):
    raise app.UsageError(f'--{flag}: expected field=value, got {values}.')
  return {k: v for k, _, v in pairs}


def check_figure(name: str) -> None:
  """A UsageError naming --figure unless `name` is a PNG's file name (the
  figure a command draws in its results directory)."""
  if not name.endswith('.png'):
    raise app.UsageError(f'--figure: a file name ending in .png, got '
                         f'{name!r}.')


def make_settings(cls, fields: Sequence[str], axes: Sequence[str],
                  make_job: Callable[[Any], FusedJob], paired: bool = False,
                  **run: Any):
  """{name: (spec, job factory)} of every combination of the axes' values
  (`paired`: of their i-th values, see `grid`).

  Args:
    cls: the agent's config class; a setting's config is `fields` and its
      axes' values (parsed by `config_flags.from_strings`).
    fields: 'field=value' strings shared by every setting (--config).
    axes: 'field=v1,v2,...' strings, one per axis of the grid (--sweep).
    make_job: config -> the setting's `FusedJob`.
    paired: pair the axes' values instead of crossing them.
    **run: the run's other choices (seeds, budget, ...), part of the spec.
  """
  fields = parse_pairs(fields, 'config')
  axes = {k: v.split(',') for k, v in parse_pairs(axes, 'sweep').items()}
  settings = {}
  for name, chosen in grid(axes, paired).items():
    config = config_flags.from_strings(cls, {**fields, **chosen})
    settings[name] = (make_spec(config, **run),
                      functools.partial(make_job, config))
  return settings


def result_path(results_dir: str, name: str) -> str:
  return os.path.join(results_dir, f'{name}.json')


def read_result(path: str) -> Dict[str, Any]:
  with open(path) as f:
    return json.load(f)


def run_sweep(settings: Mapping[str, Tuple[Mapping[str, Any],
                                           Callable[[], FusedJob]]],
              results_dir: str, save_every: int = 0, resume: bool = False,
              progress: Optional[Callable[[str, FusedJob],
                                          anakin.Callback]] = None,
              stop: Optional[Callable[[], bool]] = None,
              print_fn=print) -> Dict[str, Dict[str, Any]]:
  """Runs every setting not finished yet; returns {name: results}.

  Args:
    settings: {name: (spec, () -> FusedJob)}; the name is the results
      file's, the spec what must match for a stored result to be reused.
    results_dir: where results files and checkpoints go.
    save_every: metric rows between a running setting's checkpoints.
    resume: continue half-finished settings from their checkpoints.
    progress: (name, job) -> an anakin callback.
    stop: polled after every row (see `run_job`); once it says so, the
      running setting saves a checkpoint and the sweep returns the settings
      finished so far.
    print_fn: where progress lines go.

  Raises (before any work starts):
    ValueError: a stored result or checkpoint was made by another spec.
    FileExistsError: a checkpoint exists and `resume` is False.
    OSError: `results_dir` cannot be written.
  """
  probe = os.path.join(results_dir, '.writable')
  results.write_atomically(probe, lambda f: None)
  os.remove(probe)
  out = {}
  # Every stored result is checked before any work starts.
  for name, (spec, _) in settings.items():
    path = result_path(results_dir, name)
    if os.path.exists(path):
      stored = read_result(path)
      _check_spec(stored['spec'], spec, path)
      out[name] = stored
  checkpoints = os.path.join(results_dir, CHECKPOINTS)
  for name, (spec, _) in settings.items():
    path = os.path.join(checkpoints, f'{name}.npz')
    if name not in out and os.path.exists(path):
      _refuse_unless(resume, path)
      with np.load(path) as data:
        _checked_header(data, spec, path)
  for name, (spec, make_job) in settings.items():
    if name in out:
      print_fn(f'{name}: done earlier ({result_path(results_dir, name)}).')
      continue
    job = make_job()
    checkpoint = os.path.join(checkpoints, f'{name}.npz')
    # A continued setting's seconds: its earlier runs' and this one's.
    start = time.time() - (checkpoint_seconds(checkpoint) if resume and
                           os.path.exists(checkpoint) else 0.)
    metrics = run_job(job, spec, checkpoint,
                      save_every, resume,
                      progress(name, job) if progress else None, stop)
    if metrics is None:
      print_fn(f'{name}: stopped; its checkpoint is under {checkpoints}.')
      return out
    out[name] = summarize(job, spec, metrics, time.time() - start)
    path = result_path(results_dir, name)
    results.write_atomically(path, lambda f, r=out[name]: json.dump(r, f))
    if os.path.exists(checkpoint):
      os.remove(checkpoint)
    print_fn(f'{name}: {time.time() - start:.0f} s; wrote {path}.')
  return out
