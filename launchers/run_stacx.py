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
  python launchers/run_stacx.py --env=minatar:breakout --runner=fused \
      --num_seeds=3 --num_steps=1000000 --save_every=50   # gymnax, one jit

--num_learner_hosts=H runs the learner as H JAX processes sharing one
pmapped update (a TPU pod's hosts; here: --learner_cpu_devices=2), see
docs/multihost.md.

Atari takes 4 emulator frames per agent step. Without --torso_channels,
MinAtar uses the 1x ResNet (16,32,32,16), Atari Table 2's 4x.
"""

import functools
import os

from absl import app
from absl import flags

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


def build_config() -> impala_bmg.STACXConfig:
  """The config from flags, with MinAtar's torso and the run's lr decay."""
  overrides = {}
  try:
    suite, _ = registry.parse_name(ENV.value)
    if suite == 'two_colors':
      raise ValueError('env: STACX runs on atari:<Game> or minatar:<game>.')
  except ValueError as e:
    raise app.UsageError(str(e)) from None
  if FLAGS.runner == 'fused' and suite != 'minatar':
    raise app.UsageError('--env: the fused runner runs minatar:<game> only '
                         f'(gymnax), got {ENV.value!r}.')
  for name in ('online_batch_size', 'replay_batch_size'):  # Host shards.
    if FLAGS[name].value % FLAGS.num_learner_hosts:
      raise app.UsageError(f'num_learner_hosts: {FLAGS.num_learner_hosts} '
                           f'must divide --{name}={FLAGS[name].value}.')
  if not FLAGS['torso_channels'].present:
    overrides['torso_channels'] = stacx_config.TORSO_WIDTHS[
        4 if suite == 'atari' else 1]
  if not FLAGS['learning_rate_decay_steps'].present:  # Decay over the run.
    steps_per_update = FLAGS.online_batch_size * FLAGS.unroll_length
    overrides['learning_rate_decay_steps'] = max(
        1, FLAGS.num_steps // max(1, steps_per_update))
  return config_flags.from_flags(impala_bmg.STACXConfig, **overrides)


def run_fused(config, argv):
  """All seeds in one compiled program: metrics.csv, params.npz, a PNG."""
  from bmg_agents.impala_bmg import fused  # pylint: disable=g-import-not-at-top
  seeds = list(range(FLAGS.seed, FLAGS.seed + FLAGS.num_seeds))
  try:
    job = fused.make_job(config, registry.parse_name(ENV.value)[1], seeds,
                         FLAGS.num_steps, LOG_EVERY.value)
  except ValueError as e:
    raise app.UsageError(f'--{e}') from None
  results_dir = cli.prepare_results_dir(argv)  # --resume: the same run.
  if FLAGS.resume and not os.path.exists(fused.checkpoint_path(
      results_dir)) and os.path.exists(os.path.join(results_dir,
                                                    'params.npz')):
    print(f'{results_dir} holds the finished run.')
    return
  spec = sweep.make_spec(config, env=ENV.value, seeds=seeds,
                         num_steps=FLAGS.num_steps, log_every=LOG_EVERY.value)
  fused.run(job, spec, f'stacx_{config.meta_objective}', seeds, results_dir,
            FLAGS.save_every, FLAGS.resume, title=ENV.value)


def main(argv):
  config = build_config()
  if FLAGS.runner == 'fused':
    return run_fused(config, argv)
  results_dir = cli.prepare_results_dir(argv)
  print(f'STACX {config.meta_objective} ({config.matching}, K={config.K}, '
        f'L={config.L}) on {ENV.value} for {FLAGS.num_steps} steps '
        f'({FLAGS.num_steps * registry.frames_per_step(ENV.value)} frames) '
        f'-> {results_dir}')
  builder = impala_bmg.STACXBuilder(config)
  counts = cli.run(cli.make_experiment(
      builder, functools.partial(registry.make_environment, ENV.value),
      functools.partial(impala_bmg.make_networks, config=config), results_dir,
      observers=[atari.RawReturnObserver()]), 'stacx')
  if counts:
    print('final counts:', counts)
  path = os.path.join(results_dir, 'stacx.png')
  plotting.plot_run_log(
      path, results_dir, [f'{k}_0' for k in ('discount', 'lambda', 'alpha',
                                             'entropy_cost')],
      title=f'STACX {config.meta_objective} on {ENV.value}')
  print('wrote', path)


if __name__ == '__main__':
  app.run(main)
