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

"""Two-colours actor-critic: fixed entropy vs MG vs BMG (Fig. 2, App. B.2).

  python launchers/run_two_colors.py                      # the demo
  python launchers/run_two_colors.py --agent=bmg --K=1 --L=7 \
      --num_seeds=10 --num_steps=2000000 --flip_period=100000
  python launchers/run_two_colors.py --runner=launchpad --agent=bmg
"""

import os
import time

import importlib

from absl import app
from absl import flags
import numpy as np

from bmg_agents import actor_critic_bmg as ac
from bmg_agents import anakin
from bmg_agents.actor_critic_bmg import fused
from bmg_agents.utils import two_colors_results as results_lib

AGENTS = ('fixed', 'mg', 'bmg')
RUNNERS = ('fused', 'acme', 'launchpad')
# --agent label -> ActorCriticBMGConfig.meta_objective.
_OBJECTIVES = {'fixed': 'none', 'mg': 'mg', 'bmg': 'bmg'}
_AGENT = flags.DEFINE_list('agent', list(AGENTS),
                           f'Agents to run, from {AGENTS}.')
_K = flags.DEFINE_integer('K', 1, 'Differentiable updates per meta-update.')
_L = flags.DEFINE_integer('L', 7, 'BMG target bootstrap length.')
_ENTROPY = flags.DEFINE_float('entropy', 0.1,
                               "'fixed' weight (best of the README sweep).")
_META_ENTROPY = flags.DEFINE_float('meta_entropy', 0.,
                                   'epsilon_meta (MG objective, BMG target).')
_META_LR = flags.DEFINE_float('meta_learning_rate', 3e-4,
                               'Meta Adam lr (Table 1 sweeps 3e-6..3e-4).')
_MATCHING = flags.DEFINE_string('matching', 'kl', 'BMG matching function.')
_INITIAL = flags.DEFINE_float('initial_entropy', 0.5,
                              'MG/BMG entropy weight at initialisation.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 3, 'Seeds per agent (fused).')
_NUM_STEPS = flags.DEFINE_integer('num_steps', 100_000,
                                  'Environment steps per seed.')
_FLIP = flags.DEFINE_integer('flip_period', 50_000,
                             'Steps between reward flips (paper: 100000).')
_LOG_EVERY = flags.DEFINE_integer('log_every', 2000, 'Steps per CSV row.')
_SEED = flags.DEFINE_integer('seed', 0, 'First seed.')
_GROUP = flags.DEFINE_integer(
    'max_seeds_per_group', 5,
    'Fused runner: seeds vmapped together per device, groups run one after '
    'another (same results; 5 keeps a group in cache on this machine).')
_RUNNER = flags.DEFINE_enum('runner', 'fused', RUNNERS, 'How to run.')
_LP_TYPE = flags.DEFINE_enum('lp_launch_type', 'local_mp',
                             ['local_mp', 'local_mt'], 'Launchpad launch.')
_RESULTS = flags.DEFINE_string('results_dir', './results/two_colors',
                               'Where CSV and PNG files go.')

flags.register_validator('agent', lambda v: v and set(v) <= set(AGENTS),
                         f'--agent must be a comma list from {AGENTS}.')
for _name in ('K', 'L', 'num_seeds', 'num_steps', 'flip_period', 'log_every',
              'max_seeds_per_group'):
  flags.register_validator(_name, lambda v: v >= 1, f'--{_name} must be >= 1.')
flags.register_validator('seed', lambda v: v >= 0, '--seed must be >= 0.')


def _config(agent):
  try:
    return ac.ActorCriticBMGConfig(
        meta_objective=_OBJECTIVES[agent], K=_K.value, L=_L.value,
        entropy=_ENTROPY.value,
        meta_entropy=_META_ENTROPY.value, matching=_MATCHING.value,
        meta_learning_rate=_META_LR.value,
        initial_entropy=_INITIAL.value)
  except ValueError as e:
    raise app.UsageError(str(e)) from e


def _run_fused(configs):
  seeds = np.arange(_SEED.value, _SEED.value + _NUM_SEEDS.value)
  results, rows, intervals = {}, [], {}
  for agent, config in configs.items():
    start = time.time()
    metrics, interval = fused.run_seeds(
        config, seeds, _NUM_STEPS.value, log_every=_LOG_EVERY.value,
        flip_period=_FLIP.value,
        progress=anakin.Progress(_NUM_STEPS.value, len(seeds), label=agent),
        max_seeds_per_group=_GROUP.value)
    steps = metrics['reward'].shape[1] * interval * len(seeds)
    print(f'{agent}: {steps:,} steps in {time.time() - start:.0f}s '
          f'({steps / (time.time() - start):,.0f} steps/s incl. compile)')
    results[agent], intervals[agent] = metrics, interval
    rows += results_lib.to_rows(agent, metrics, interval, seeds)
  csv_path = results_lib.write_csv(
      os.path.join(_RESULTS.value, 'metrics.csv'), rows)
  png_path = results_lib.plot(
      os.path.join(_RESULTS.value, 'two_colors.png'), results, intervals,
      _FLIP.value)
  print('\n'.join(results_lib.summary(results, intervals)))
  print(f'Wrote {csv_path} and {png_path}')


def _run_acme(configs):
  # Imported here: acme, Reverb and TensorFlow take seconds to import.
  launching = importlib.import_module('bmg_agents.launching')
  runners = importlib.import_module('bmg_agents.actor_critic_bmg.runners')
  for agent, config in configs.items():
    workdir = os.path.abspath(os.path.join(_RESULTS.value, _RUNNER.value,
                                           agent))
    kwargs = dict(flip_period=_FLIP.value, workdir=workdir,
                  log_every=_LOG_EVERY.value)
    if _RUNNER.value == 'acme':
      runners.run_local(config, _SEED.value, _NUM_STEPS.value, **kwargs)
    else:
      program = runners.make_program(config, _SEED.value, _NUM_STEPS.value,
                                     **kwargs)
      launching.launch_and_wait(program, _LP_TYPE.value)
    print(f'{agent}: done; CSV logs under {workdir}/logs')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  if _RUNNER.value == 'fused':
    anakin.force_host_devices(2)
  configs = {agent: _config(agent) for agent in _AGENT.value}
  if _RUNNER.value == 'fused':
    _run_fused(configs)
  else:
    _run_acme(configs)


if __name__ == '__main__':
  app.run(main)
