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

"""The one plotting module: panels of curves over seeds, to a PNG.

A figure is a row of panels, each answering one question (title, x label,
y label); a curve is (legend label, x [N], y [S, N] over S seeds), drawn as
the mean over seeds with a band of one standard error, its legend naming the
seed count: "BMG L=7 (n=10 seeds)". A single run (S = 1) is a plain line;
a curve with its own error (`yerr`, e.g. a 95% interval over tasks) is
drawn with error bars instead. Vertical lines mark events such as reward
flips.

    plotting.plot_curves('fig.png', [
        plotting.Panel('Reward rate', 'steps', 'reward per step', [
            plotting.Curve('BMG L=7', steps, reward)],  # reward: [S, N].
                       vlines=flips)])

Drawn on matplotlib's Agg canvas directly: no pyplot, no global backend.
"""

import dataclasses
import os
import textwrap
from typing import Mapping, Optional, Sequence, Tuple, Union

from matplotlib import figure as figure_lib
from matplotlib.backends import backend_agg
import numpy as np

from bmg_agents.experiments import results as results_lib


@dataclasses.dataclass
class Curve:
  """One legend entry of a panel.

  Attributes:
    label: the legend text; the seed count is appended.
    x: [N] positions (steps, frames, seconds).
    y: [S, N] values of S seeds (or [N]: one run); non-finite values of a
      seed are left out of the mean at their position.
    yerr: [N] an error to draw as bars instead of the standard error over
      seeds (e.g. a 95% interval over evaluation tasks).
    error_name: what the band or bars show, added to the legend when given
      (e.g. '95% CI').
    marker: a matplotlib marker for the points ('' for none).
  """
  label: str
  x: np.ndarray
  y: np.ndarray
  yerr: Optional[np.ndarray] = None
  error_name: str = ''
  marker: str = ''


@dataclasses.dataclass
class Panel:
  """One axes: a question, its curves and optional vertical lines.

  Attributes:
    title: the question the panel answers.
    xlabel: the x axis' label.
    ylabel: the y axis' label.
    curves: `Curve`s (or tuples of its fields in order).
    vlines: x positions of dotted vertical lines (reward flips).
    hlines: (y, legend label) of dashed horizontal reference lines (a
      random policy's level).
  """
  title: str
  xlabel: str
  ylabel: str
  curves: Sequence[Union[Curve, Tuple]] = ()
  vlines: Sequence[float] = ()
  hlines: Sequence[Tuple[float, str]] = ()


_TITLE_CHARS_PER_INCH = 10  # Of the default 12-point suptitle, with margin.


def plot_curves(path: str, panels: Sequence[Union[Panel, Tuple]],
                title: str = '', panel_size: Tuple[float, float] = (5.5, 4.),
                dpi: int = 110) -> figure_lib.Figure:
  """Draws the panels side by side and writes the PNG `path`.

  Args:
    path: the PNG to write; missing directories are created.
    panels: `Panel`s (or tuples of its fields in order), left to right.
    title: the figure's title, if any, wrapped to the figure's width.
    panel_size: (width, height) in inches of each panel.
    dpi: resolution of the PNG.

  Returns:
    The figure (its axes' legends hold the labels as drawn).
  """
  panels = [p if isinstance(p, Panel) else Panel(*p) for p in panels]
  if not panels:
    raise ValueError('plot_curves needs at least one panel.')
  fig = figure_lib.Figure(
      figsize=(panel_size[0] * len(panels), panel_size[1]))
  backend_agg.FigureCanvasAgg(fig)
  axes = fig.subplots(1, len(panels), squeeze=False)[0]
  for ax, panel in zip(axes, panels):
    for curve in panel.curves:
      _draw(ax, curve if isinstance(curve, Curve) else Curve(*curve))
    for x in panel.vlines:
      ax.axvline(x, color='grey', linestyle=':', linewidth=.8)
    for y, label in panel.hlines:
      ax.axhline(y, color='black', linestyle='--', linewidth=.8, label=label)
    ax.set(title=panel.title, xlabel=panel.xlabel, ylabel=panel.ylabel)
    ax.grid(alpha=.3)
    if panel.curves or panel.hlines:
      ax.legend(fontsize=8)
  if title:  # A one-panel figure is narrow: the title wraps.
    fig.suptitle(textwrap.fill(title, int(_TITLE_CHARS_PER_INCH *
                                          fig.get_figwidth())))
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path, dpi=dpi)
  return fig


def legend_label(curve: Curve) -> str:
  """'label (n=S seeds)', with the error's name when the curve gives one."""
  n = results_lib.num_seeds(curve.y)
  text = f'{curve.label} (n={n} seed{"" if n == 1 else "s"}'
  return text + (f'; {curve.error_name})' if curve.error_name else ')')


def _draw(ax, curve: Curve) -> None:
  x = np.asarray(curve.x, dtype=float)
  y = np.atleast_2d(np.asarray(curve.y, dtype=float))
  if y.shape[1] != x.shape[0]:
    raise ValueError(f'curve {curve.label!r}: y {y.shape} is not [S, '
                     f'{x.shape[0]}] for x of {x.shape[0]} points.')
  mean, stderr = results_lib.mean_and_stderr(y)
  label = legend_label(curve)
  if curve.yerr is not None:
    ax.errorbar(x, mean, yerr=np.asarray(curve.yerr, dtype=float),
                label=label, marker=curve.marker or 'o', markersize=3,
                capsize=2)
    return
  line, = ax.plot(x, mean, label=label, marker=curve.marker or None,
                  markersize=3)
  if y.shape[0] > 1:
    ax.fill_between(x, mean - stderr, mean + stderr, alpha=.2,
                    color=line.get_color(), linewidth=0)


def _capitalised(text: str) -> str:
  """`text` with its first letter upper-case (str.capitalize lowers the rest)."""
  return text[:1].upper() + text[1:]


def two_colors_panels(results: Mapping[str, results_lib.Metrics],
                      interval_steps: Union[int, Mapping[str, int]],
                      flip_period: int,
                      schedule_key: str = 'entropy_weight',
                      schedule_label: Optional[str] = None
                      ) -> Sequence[Panel]:
  """Fig. 2 / Fig. 12-style panels of two-colours runs, flips dotted.

  Cumulative reward, reward per step and the meta-learned schedule (the
  entropy weight of the actor-critic, the ε of Q(λ)) against environment
  steps, each mean ± s.e. over seeds.

  Args:
    results: label -> metrics of [seeds, intervals] arrays ('reward' the
      mean reward per step; labels without a finite `schedule_key` are left
      out of the schedule panel).
    interval_steps: steps per interval: one number, or one per label.
    flip_period: steps between reward flips.
    schedule_key: the metric of the schedule panel.
    schedule_label: its y label (None: `schedule_key`, spaced).
  """
  schedule_label = schedule_label or schedule_key.replace('_', ' ')
  intervals = results_lib.per_label(interval_steps, results)
  cumulative, rate, schedule = [], [], []
  last = 0
  for label, metrics in results.items():
    reward = np.asarray(metrics['reward'], dtype=float)
    steps = np.arange(1, reward.shape[1] + 1) * intervals[label]
    last = max(last, steps[-1])
    cumulative.append(Curve(label, steps,
                            np.cumsum(reward, axis=1) * intervals[label]))
    rate.append(Curve(label, steps, reward))
    if (schedule_key in metrics
        and results_lib.num_seeds(metrics[schedule_key])):
      schedule.append(Curve(label, steps, metrics[schedule_key]))
  flips = list(range(flip_period, last, flip_period))
  return [
      Panel('Two-colours: total reward', 'environment steps',
            'cumulative reward (mean ± s.e.)', cumulative, flips),
      Panel('Reward rate across reward flips', 'environment steps',
            'reward per step (mean ± s.e.)', rate, flips),
      Panel(f'{_capitalised(schedule_label)} across flips',
            'environment steps', f'{schedule_label} (mean ± s.e.)', schedule,
            flips)]


def cycle_range_panels(ranges: Mapping[str, Mapping[str, np.ndarray]],
                       names: Mapping[str, str]) -> Sequence[Panel]:
  """Fig. 9 / Fig. 10-style panels: how far a schedule moves in each cycle.

  Two panels per metric: the first colour's cycles (1, 3, ...) and the
  second's (2, 4, ...), since a schedule can move one way after a flip to
  the colour the agent knows and the other way after a flip to the one it
  does not.

  Args:
    ranges: setting label -> {metric: [seeds, cycles]} the metric's value
      `results.CYCLE_EARLY_STEPS` into each reward cycle minus its value at
      the cycle's end (`results.cycle_ranges`).
    names: metric -> its name in the panels, in this order. The panels hold
      the settings that stored the metric; a metric that none stored, or
      that never moved (fixed schedules only), has no panels.
  """
  panels = []
  for key, name in names.items():
    stored = {label: np.asarray(r[key], dtype=float)
              for label, r in ranges.items() if np.size(r.get(key, []))}
    if not any(np.any(y != 0) for y in stored.values()):
      continue
    for colour, first in (('first', 0), ('second', 1)):
      curves = [Curve(label, np.arange(1, y.shape[1] + 1)[first::2],
                      y[:, first::2]) for label, y in stored.items()]
      panels.append(Panel(
          f'{_capitalised(name)}, {colour} colour\'s cycles',
          'reward cycle', f'range: {results_lib.CYCLE_EARLY_STEPS:,} steps in '
          '− end (mean ± s.e.)', curves,
          hlines=((0., 'no change within the cycle'),)))
  return panels


def plot_sweep(done: Mapping[str, Mapping], path: str, flip_period: int,
               schedule_key: str, title: str = '') -> Sequence[str]:
  """Draws a sweep's figures from its results; returns the PNGs written.

  `path`: cumulative reward, reward rate and the schedule over steps
  (Fig. 2 / 12); `<path without .png>_cycle_ranges.png`: the schedule's and
  the policy entropy's within-cycle range per reward cycle (Fig. 10 / 9),
  when the results hold them.

  Args:
    done: setting name -> its results (`sweep.read_result`).
    path: the first PNG.
    flip_period: steps between reward flips.
    schedule_key: the meta-learned schedule ('entropy_weight', 'epsilon').
    title: both figures' title.
  """
  each = lambda key: {k: r[key] for k, r in done.items()}
  plot_curves(path, two_colors_panels(
      each('curves'), each('curve_steps'), flip_period, schedule_key),
              title=title)
  panels = cycle_range_panels(each('cycle_ranges'), {
      schedule_key: schedule_key.replace('_', ' '),
      'policy_entropy': 'policy entropy'})
  if not panels:
    return [path]
  ranges_path = path[:-len('.png')] + '_cycle_ranges.png'
  plot_curves(ranges_path, panels, title=title)
  return [path, ranges_path]


def plot_accuracy(path: str, runs: Mapping[str, Sequence[Mapping]],
                  split: str = 'test') -> figure_lib.Figure:
  """Fig. 6-style few-shot accuracy vs meta-steps and vs meta-training time.

  Args:
    path: the PNG to write.
    runs: {run label: evaluation rows}, rows with 'learner_steps',
      'walltime', '<split>_accuracy' and '<split>_accuracy_ci95' (the rows of
      `experiments.run_offline_experiment`, or `results.read_log(run_dir,
      'evaluator')` columns turned into rows).
    split: the evaluator whose accuracy is drawn.
  """
  def panel(x, xlabel):
    curves = []
    for label, rows in runs.items():
      column = {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}
      curves.append(Curve(
          label, column[x], 100 * column[f'{split}_accuracy'],
          yerr=100 * column[f'{split}_accuracy_ci95'], error_name='95% CI',
          marker='o'))
    return Panel(f'Meta-{split} accuracy', xlabel, 'accuracy (%)', curves)

  return plot_curves(path, [panel('learner_steps', 'meta-training steps'),
                            panel('walltime', 'meta-training time (s)')])


def plot_run_log(path: str, run_dir: str, learner_keys: Sequence[str],
                 title: str = '', num_bins: int = 20) -> figure_lib.Figure:
  """One acme-path run: actor 0's episode returns and learner quantities.

  Args:
    path: the PNG to write.
    run_dir: the run's results directory (logs/actor, logs/learner).
    learner_keys: learner log columns to draw against learner steps (e.g.
      STACX's main-head meta-parameters); absent ones are skipped.
    title: the figure's title.
    num_bins: episode returns are averaged in this many bins of steps.
  """
  def read(label):
    try:
      return results_lib.read_log(run_dir, label)
    except FileNotFoundError:
      return None

  returns, learned = [], []
  actor, learner = read('actor'), read('learner')
  if actor is not None and 'episode_return' in actor:
    edges = np.linspace(0, actor['actor_steps'][-1] + 1, num_bins + 1)
    returns = [Curve('actor 0', (edges[:-1] + edges[1:]) / 2,
                     results_lib.binned_mean(actor['actor_steps'],
                                             actor['episode_return'], edges))]
  if learner is not None:
    learned = [Curve(k, learner['learner_steps'], learner[k])
               for k in learner_keys if k in learner]
  return plot_curves(path, [
      Panel('Episode returns', 'actor steps',
            f'episode return (mean per {1 / num_bins:.0%} of the run)',
            returns),
      Panel('Learner', 'learner steps', 'value', learned)], title=title)
