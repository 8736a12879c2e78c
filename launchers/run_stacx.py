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

"""Runs STACX (MG) or STACX-BMG on Atari or MinAtar (paper §5.2, App. C).

  python launchers/run_stacx.py --env=minatar:breakout --meta_objective=bmg \
      --matching=kl_v --num_steps=200000 --runner=launchpad --num_actors=2
  python launchers/run_stacx.py --runner=fused --num_seeds=3   # gymnax
  python launchers/run_stacx.py --runner=launchpad --num_learner_hosts=2 \
      --learner_cpu_devices=2 [--learner_host_id=i]  # docs/multihost.md
"""

import functools
import os

from absl import app
from absl import flags

from bmg_agents import anakin
from bmg_agents import impala_bmg
from bmg_agents.environments import atari
from bmg_agents.environments import registry
from bmg_agents.experiments import cli
from bmg_agents.experiments import config_flags
from bmg_agents.experiments import plotting
from bmg_agents.experiments import sweep
from bmg_agents.impala_bmg import config as stacx_config

config_flags.define_flags(impala_bmg.STACXConfig)
cli.define_run_flags(('launchpad', 'single_process', 'fused'),
                     num_steps=200_000, results_dir='results/stacx',
                     num_seeds=1, learner_hosts=True)
ENV = flags.DEFINE_string('env', 'minatar:breakout',
                          "'atari:<Game>' or 'minatar:<game>'.")
LOG_EVERY = flags.DEFINE_integer('log_every', 12_000, 'Fused: steps per '
                                 'CSV row.', lower_bound=1)
FLAGS = flags.FLAGS


def build_config():
  """(config, game): the suite's torso and an lr decay over the run."""
  suites = ('minatar',) if FLAGS.runner == 'fused' else ('atari', 'minatar')
  try:
    suite, game = registry.parse_name(ENV.value, suites)
  except ValueError as e:
    raise app.UsageError(f'--{e}') from None
  cli.check_learner_hosts_divide('online_batch_size', 'replay_batch_size')
  defaults = stacx_config.run_defaults(
      suite, FLAGS.num_steps, FLAGS.online_batch_size, FLAGS.unroll_length)
  return config_flags.from_flags(impala_bmg.STACXConfig, **{
      k: v for k, v in defaults.items() if not FLAGS[k].present}), game


def main(argv):
  config, game = build_config()
  if FLAGS.runner == 'fused':  # All seeds in one compiled program.
    from bmg_agents.impala_bmg import fused  # pylint: disable=g-import-not-at-top
    anakin.use_classic_cpu_runtime()  # 4-5x faster scans on XLA:CPU.
    seeds = list(range(FLAGS.seed, FLAGS.seed + FLAGS.num_seeds))
    try:
      job = fused.make_job(config, game, seeds, FLAGS.num_steps,
                           LOG_EVERY.value)
    except ValueError as e:
      raise app.UsageError(f'--{e}') from None
    spec = sweep.make_spec(config, env=ENV.value, seeds=seeds,
                           num_steps=FLAGS.num_steps, log_every=LOG_EVERY.value)
    fused.run(job, spec, f'stacx_{config.meta_objective}', seeds,
              cli.prepare_results_dir(argv), FLAGS.save_every, FLAGS.resume,
              title=ENV.value)
    return
  results_dir = cli.prepare_results_dir(argv)
  print(f'STACX {config.meta_objective} ({config.matching}, K={config.K}, '
        f'L={config.L}) on {ENV.value} for {FLAGS.num_steps} steps '
        f'({FLAGS.num_steps * registry.frames_per_step(ENV.value)} frames) '
        f'-> {results_dir}')
  cli.run(cli.make_experiment(
      impala_bmg.STACXBuilder(config), functools.partial(registry.make_environment, ENV.value),
      functools.partial(impala_bmg.make_networks, config=config), results_dir,
      observers=[atari.RawReturnObserver()]), 'stacx')
  path = os.path.join(results_dir, 'stacx.png')
  keys = [f'{k}_0' for k in ('discount', 'lambda', 'alpha', 'entropy_cost')]
  plotting.plot_run_log(path, results_dir, keys,
                        title=f'STACX {config.meta_objective} on {ENV.value}')
  print('wrote', path)


if __name__ == '__main__':
  app.run(main)
