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

"""Q(λ) on two-colours: BMG-ε vs a fixed-ε sweep, L, matching (App. B.3).

Runs, from the same --seed and in one process: fixed ε ∈ EPSILONS (one fused
run, the sweep vmapped with the seeds), then BMG with policy matching at a
small and a large L, and 'value' and policy + 'value' matching at the large
L (--only picks a subset). Prints total reward per seed (mean ± standard
error), the reward rate over the last cycle, and how ε moves within reward
cycles (first vs last tenth of each cycle). Writes one CSV per agent (a row
per seed and chunk, `results.read_metrics` reads it back) and a PNG to
--results_dir.

  PYTHONPATH=. .venv/bin/python benchmarks/q_lambda_results.py
"""

import os
import time

from absl import app
from absl import flags
import numpy as np

from bmg_agents import anakin
from bmg_agents.experiments import plotting
from bmg_agents.experiments import results
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import fused

NUM_SEEDS = flags.DEFINE_integer('num_seeds', 10, 'Seeds per agent.')
FLIP_PERIOD = flags.DEFINE_integer('flip_period', 20_000,
                                   'Steps between reward flips.')
NUM_FLIPS = flags.DEFINE_integer('num_flips', 6, 'Reward cycles per run.')
CHUNK = flags.DEFINE_integer('chunk_size', 1000, 'Steps per CSV row.')
HIDDEN = flags.DEFINE_list('hidden_sizes', ['64', '64'], 'Q-network MLP.')
LEARNING_RATE = flags.DEFINE_float('learning_rate', 1e-4, 'Q-network lr.')
EPSILONS = flags.DEFINE_list('epsilons', ['0.3', '0.1', '0.03', '0.01'],
                             'Fixed-ε sweep.')
L_SMALL = flags.DEFINE_integer('l_small', 1, 'Small bootstrap length L.')
L_LARGE = flags.DEFINE_integer('l_large', 256, 'Large bootstrap length L.')
ONLY = flags.DEFINE_list('only', [], 'Subset of runs (names below).')
RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/q_lambda_bench',
                                  'Output directory.')
SEED = flags.DEFINE_integer('seed', 0, 'Seed of every run.')


def _cycle_epsilon(epsilon, chunk, flip_period):
  """Mean ε over the first and the last tenth of every cycle.

  Args:
    epsilon: [seeds, chunks] ε of each seed, one value per chunk.
    chunk: steps per chunk.
    flip_period: steps per reward cycle.
  """
  steps = np.arange(1, epsilon.shape[1] + 1) * chunk
  eps = epsilon.mean(axis=0)
  phase = ((steps - 1) % flip_period) / flip_period
  return eps[phase < .1].mean(), eps[phase >= .9].mean()


def _summary(name, metrics, chunk, flip_period, elapsed):
  """Prints the run's line; `metrics` are [seeds, chunks]."""
  totals = results.total_reward(metrics, chunk)  # [seeds]
  cycle_chunks = flip_period // chunk
  last = metrics['reward'][:, -cycle_chunks:].mean()
  early, late = _cycle_epsilon(metrics['epsilon'], chunk, flip_period)
  _, se = results.mean_and_stderr(totals[:, None])
  print(f'{name:24s} total {totals.mean():8.1f} ± {se[0]:6.1f}   last-cycle '
        f'rate {last:+.4f}   ε first/last tenth of cycles {early:.3f}/'
        f'{late:.3f}   ({elapsed:.0f}s)', flush=True)


def _write(name, metrics, chunk):
  # A benchmark regenerates its own files: a rerun replaces them.
  results.write_rows(os.path.join(RESULTS_DIR.value, f'{name}.csv'),
                     results.metrics_to_rows(name, metrics, chunk),
                     overwrite=True)


def main(argv):
  del argv
  anakin.force_host_devices(2)  # Seeds split over both cores.
  os.makedirs(RESULTS_DIR.value, exist_ok=True)
  seeds, chunk, flip = NUM_SEEDS.value, CHUNK.value, FLIP_PERIOD.value
  num_steps = flip * NUM_FLIPS.value
  common = dict(hidden_sizes=tuple(int(h) for h in HIDDEN.value),
                learning_rate=LEARNING_RATE.value)
  epsilons = [float(e) for e in EPSILONS.value]
  print(f'{seeds} seeds, {num_steps:,} steps, flip every {flip:,}, '
        f'Q-network {common["hidden_sizes"]}, lr {LEARNING_RATE.value}')
  runs = {'fixed': None,
          f'bmg_policy_L{L_SMALL.value}': ('kl', L_SMALL.value),
          f'bmg_policy_L{L_LARGE.value}': ('kl', L_LARGE.value),
          f'bmg_value_L{L_LARGE.value}': ('value', L_LARGE.value),
          f'bmg_both_L{L_LARGE.value}': ('kl+value', L_LARGE.value)}
  curves = {}
  for name, spec in runs.items():
    if ONLY.value and name not in ONLY.value:
      continue
    start = time.time()
    if spec is None:
      config = config_lib.QLambdaConfig(meta_objective='none', **common)
      metrics = fused.run_seeds(
          config, seeds * len(epsilons), num_steps, chunk, flip, SEED.value,
          epsilons=np.repeat(epsilons, seeds),
          progress=anakin.Progress(num_steps, seeds * len(epsilons), name))
      for i, eps in enumerate(epsilons):
        part = {k: v[i * seeds:(i + 1) * seeds] for k, v in metrics.items()}
        label = f'fixed_eps{eps}'
        _summary(label, part, chunk, flip, time.time() - start)
        _write(label, part, chunk)
        curves[f'ε = {eps}'] = part
      continue
    matching, num_l = spec
    config = config_lib.QLambdaConfig(meta_objective='bmg',
                                      matching=matching, L=num_l, **common)
    metrics = fused.run_seeds(config, seeds, num_steps, chunk, flip,
                              SEED.value,
                              progress=anakin.Progress(num_steps, seeds, name))
    _summary(name, metrics, chunk, flip, time.time() - start)
    _write(name, metrics, chunk)
    curves[f'BMG {matching} L={num_l}'] = metrics
  plotting.plot_curves(
      os.path.join(RESULTS_DIR.value, 'q_lambda_results.png'),
      plotting.two_colors_panels(curves, chunk, flip, 'epsilon', 'ε'))


if __name__ == '__main__':
  app.run(main)
