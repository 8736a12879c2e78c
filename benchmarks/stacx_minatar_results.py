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

"""MinAtar learning curves: STACX vs BMG (KL & V, L = 1) vs BMG (L = 4).

Runs `launchers/run_stacx.py` once per agent and seed (single process,
`--parallel` at a time; a finished run, one with its `stacx.png`, is not run
again), then prints each agent's mean episode return over the first and last
bins of frames (mean +- s.e. over seeds), its median meta-gradient norm and
final main-head meta-parameters, and writes `minatar_<game>.png`.

  python benchmarks/stacx_minatar_results.py --game=breakout --seeds=0,1,2 \
      --num_frames=300000 --results_dir=results/minatar
  python benchmarks/stacx_minatar_results.py --plot_only ...   # summarise
"""

import os
import subprocess
import sys
import time

from absl import app
from absl import flags
import numpy as np

from bmg_agents.experiments import plotting
from bmg_agents.experiments import results

AGENTS = {
    'stacx': ['--meta_objective=mg'],
    'bmg_kl_v_L1': ['--meta_objective=bmg', '--matching=kl_v', '--L=1'],
    'bmg_kl_v_L4': ['--meta_objective=bmg', '--matching=kl_v', '--L=4',
                    '--max_gradient_norm=.2'],
}
_META_PARAMETERS = ('discount_0', 'lambda_0', 'alpha_0', 'entropy_cost_0',
                    'pg_cost_0', 'td_cost_0')
_GAME = flags.DEFINE_string('game', 'breakout', 'MinAtar game.')
_AGENTS = flags.DEFINE_list('agents', list(AGENTS), f'From {list(AGENTS)}.')
_SEEDS = flags.DEFINE_list('seeds', ['0', '1', '2'], 'Seeds.')
_NUM_FRAMES = flags.DEFINE_integer('num_frames', 300_000, 'Frames per run.')
_PARALLEL = flags.DEFINE_integer('parallel', 1, 'Runs at a time.')
_BINS = flags.DEFINE_integer('bins', 10, 'Frame bins of the curves.')
_RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/minatar',
                                   'One sub-directory per agent and seed.')
_PLOT_ONLY = flags.DEFINE_bool('plot_only', False, 'Only summarise.')
_SUMMARY_FRAMES = flags.DEFINE_integer(
    'summary_frames', None, 'Summarise the first N frames of every run '
    '(default --num_frames), e.g. to compare unfinished runs.')
_EXTRA = flags.DEFINE_list('extra_flags', [],
                           'More run_stacx.py flags for every run.')


def _run_dir(agent, seed):
  return os.path.join(_RESULTS_DIR.value, _GAME.value, agent, str(seed))


def _run_all(runs):
  launcher = os.path.join(os.path.dirname(__file__), '..', 'launchers',
                          'run_stacx.py')
  pending, running = list(runs), []
  while pending or running:
    while pending and len(running) < _PARALLEL.value:
      agent, seed = pending.pop(0)
      run_dir = _run_dir(agent, seed)
      os.makedirs(os.path.dirname(run_dir), exist_ok=True)
      # MinAtar takes one frame per step. A run without its figure did not
      # finish: it starts again (--overwrite).
      command = [sys.executable, launcher, f'--env=minatar:{_GAME.value}',
                 '--runner=single_process', f'--seed={seed}',
                 f'--num_steps={_NUM_FRAMES.value}', '--overwrite',
                 f'--results_dir={run_dir}', *AGENTS[agent],
                 *[f'--{f}' for f in _EXTRA.value]]
      print('running', agent, 'seed', seed, '->', run_dir, flush=True)
      log = open(run_dir + '.stdout.txt', 'w')
      running.append((agent, seed, subprocess.Popen(
          command, stdout=log, stderr=subprocess.STDOUT), log))
    time.sleep(1)
    for run in [r for r in running if r[2].poll() is not None]:
      agent, seed, process, log = run
      log.close()
      running.remove(run)
      if process.returncode:
        raise RuntimeError(f'{agent} seed {seed} failed: see {log.name}')


def main(argv):
  del argv
  for agent in _AGENTS.value:
    if agent not in AGENTS:
      raise app.UsageError(f'--agents: {agent!r} is not one of {list(AGENTS)}')
  if not _PLOT_ONLY.value:
    todo = [(a, s) for a in _AGENTS.value for s in _SEEDS.value
            if not os.path.exists(os.path.join(_run_dir(a, s), 'stacx.png'))]
    _run_all(todo)
  frames = _SUMMARY_FRAMES.value or _NUM_FRAMES.value
  edges = np.linspace(0, frames, _BINS.value + 1)
  centres = (edges[:-1] + edges[1:]) / 2
  curves_to_plot = []
  print(f'MinAtar {_GAME.value}, first {frames:,} of {_NUM_FRAMES.value:,} '
        'frames, mean episode return (mean +- s.e. over seeds) in the first '
        f'and last {frames // _BINS.value:,} frames:')
  for agent in _AGENTS.value:
    curves, learner_logs = [], []
    for seed in _SEEDS.value:
      try:
        log = results.read_log(_run_dir(agent, seed))
        learner_logs.append(results.read_log(_run_dir(agent, seed),
                                             'learner'))
      except FileNotFoundError as e:
        print(f'  {agent} seed {seed}: {e}')
        continue
      curves.append(results.binned_mean(
          log['actor_steps'], log['episode_return'], edges))
    if not curves:
      continue
    mean, stderr = results.mean_and_stderr(np.stack(curves))
    print(f'  {agent:12s} ({len(curves)} seeds): first {mean[0]:.2f} +- '
          f'{stderr[0]:.2f}, last {mean[-1]:.2f} +- {stderr[-1]:.2f}; '
          'seeds last: ' + ', '.join(f'{c[-1]:.2f}' for c in curves))
    final = {name: np.mean([l[name][-1] for l in learner_logs])
             for name in _META_PARAMETERS}
    norm = np.median(np.concatenate([l['meta_grad_norm']
                                     for l in learner_logs]))
    print(f'  {"":12s} median meta-gradient norm {norm:.1e}; final main-head '
          + ', '.join(f'{k} {v:.4f}' for k, v in final.items()))
    curves_to_plot.append(plotting.Curve(agent, centres, np.stack(curves)))
  path = os.path.join(_RESULTS_DIR.value, f'minatar_{_GAME.value}.png')
  plotting.plot_curves(path, [plotting.Panel(
      f'MinAtar {_GAME.value}: STACX vs BMG', 'frames',
      'episode return (mean ± s.e.)', curves_to_plot)])
  print('wrote', path)


if __name__ == '__main__':
  app.run(main)
