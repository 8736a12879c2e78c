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

  python launchers/run_two_colors.py                      # fixed, MG, BMG
  python launchers/run_two_colors.py --meta_objective=bmg --K=1 --L=7 \
      --num_seeds=10 --num_steps=2000000 --flip_period=100000
  python launchers/run_two_colors.py --runner=launchpad --meta_objective=bmg
"""

import functools
import os
import time

from absl import app
from absl import flags
import numpy as np

from bmg_agents import actor_critic_bmg as ac
from bmg_agents import anakin
from bmg_agents.actor_critic_bmg import fused
from bmg_agents.environments import registry
from bmg_agents.experiments import cli
from bmg_agents.experiments import config_flags
from bmg_agents.experiments import stopping

config_flags.define_flags(ac.ActorCriticBMGConfig, exclude=['meta_objective'])
cli.define_run_flags(cli.RUNNERS, num_steps=100_000,
                     results_dir='results/two_colors', num_seeds=3)
OBJECTIVES = flags.DEFINE_list(
    'meta_objective', ['none', 'mg', 'bmg'], 'Agents to run, one after '
    'another: none (fixed entropy weight), mg and/or bmg.')
FLIP_PERIOD = flags.DEFINE_integer(
    'flip_period', 50_000, 'Steps between reward flips (paper: 100000).',
    lower_bound=1)
LOG_EVERY = flags.DEFINE_integer('log_every', 2000, 'Steps per CSV row.',
                                 lower_bound=1)
GROUP = flags.DEFINE_integer(
    'max_seeds_per_group', 5, 'Fused: seeds vmapped together per device '
    '(same results; 5 keep a group in cache here).', lower_bound=1)
FLAGS = flags.FLAGS


def run_fused(configs, results_dir):
  seeds = np.arange(FLAGS.seed, FLAGS.seed + FLAGS.num_seeds)
  runs, intervals = {}, {}
  with stopping.StopOnSignal() as stop:  # Checkpoint, then exit 130 / 143.
    for objective, config in configs.items():
      name = fused.label(config)
      start = time.time()
      runs[name], intervals[name] = fused.run_seeds(
          config, seeds, FLAGS.num_steps, log_every=LOG_EVERY.value,
          flip_period=FLIP_PERIOD.value, max_seeds_per_group=GROUP.value,
          progress=anakin.Progress(FLAGS.num_steps, len(seeds), label=name),
          **cli.fused_checkpointing(results_dir, objective, stop))
      if runs[name] is None:
        print(f'{name}: stopped; --resume continues it.')
        return
      print(f'{name}: {time.time() - start:.0f} s incl. compilation')
  cli.report_two_colors(results_dir, runs, intervals, FLIP_PERIOD.value,
                        'entropy_weight', 'entropy weight')


def main(argv):
  configs = {objective: config_flags.from_flags(
      ac.ActorCriticBMGConfig, meta_objective=objective)
             for objective in OBJECTIVES.value}
  results_dir = cli.prepare_results_dir(argv)
  if FLAGS.runner == 'fused':
    anakin.force_host_devices(2)  # Seeds split over both cores.
    return run_fused(configs, results_dir)
  for name, config in configs.items():
    run_dir = os.path.join(results_dir, name)
    builder = ac.ActorCriticBMGBuilder(config, variable_update_period=(
        config.rollout_length if FLAGS.runner == 'launchpad' else 1))
    cli.run(cli.make_experiment(
        builder, functools.partial(registry.make_environment, 'two_colors',
                                   flip_period=FLIP_PERIOD.value),
        functools.partial(ac.make_networks, config=config), run_dir,
        log_every_steps=LOG_EVERY.value), f'actor_critic_{name}')
    print(f'{name}: logs under {run_dir}/logs')


if __name__ == '__main__':
  app.run(main)
