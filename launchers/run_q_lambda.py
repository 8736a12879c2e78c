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

"""Q(λ) with fixed or BMG-meta-learned ε-greedy on two-colours (App. B.3).

  python launchers/run_q_lambda.py --hidden_sizes=64,64 --learning_rate=3e-4
  python launchers/run_q_lambda.py --meta_objective=none --epsilon=0.1
  python launchers/run_q_lambda.py --runner=single_process --num_steps=2000
  python launchers/run_q_lambda.py --runner=launchpad --num_steps=2000
"""

import functools

from absl import app
from absl import flags

from bmg_agents import anakin
from bmg_agents import q_lambda_bmg
from bmg_agents.environments import registry
from bmg_agents.experiments import cli
from bmg_agents.experiments import config_flags
from bmg_agents.experiments import stopping
from bmg_agents.q_lambda_bmg import fused

config_flags.define_flags(q_lambda_bmg.QLambdaConfig)
cli.define_run_flags(cli.RUNNERS, num_steps=40_000,
                     results_dir='results/q_lambda', num_seeds=10)
FLIP_PERIOD = flags.DEFINE_integer(
    'flip_period', 10_000, 'Steps between reward flips (paper: 100000).',
    lower_bound=1)
LOG_EVERY = flags.DEFINE_integer('log_every', 500, 'Steps per CSV row (fused:'
                                 ' per compiled call).', lower_bound=1)
FLAGS = flags.FLAGS


def main(argv):
  config = config_flags.from_flags(q_lambda_bmg.QLambdaConfig)
  if FLAGS.runner == 'fused' and FLAGS.num_steps % LOG_EVERY.value:
    raise app.UsageError(f'--num_steps={FLAGS.num_steps} must be a multiple '
                         f'of --log_every={LOG_EVERY.value}.')
  results_dir = cli.prepare_results_dir(argv)
  name = (f'ε = {config.epsilon}' if config.meta_objective == 'none' else
          f'BMG {config.matching} L={config.L}')
  if FLAGS.runner == 'fused':
    anakin.force_host_devices(2)  # Seeds split over both cores.
    with stopping.StopOnSignal() as stop:  # Checkpoint, exit 130 / 143.
      metrics = fused.run_seeds(
          config, FLAGS.num_seeds, FLAGS.num_steps, LOG_EVERY.value,
          FLIP_PERIOD.value, FLAGS.seed,
          progress=anakin.Progress(FLAGS.num_steps, FLAGS.num_seeds, name),
          **cli.fused_checkpointing(results_dir, 'q_lambda', stop))
      if metrics is None:
        print(f'{name}: stopped; --resume continues it.')
        return
    cli.report_two_colors(results_dir, {name: metrics}, LOG_EVERY.value,
                          FLIP_PERIOD.value, 'epsilon', 'ε')
    return
  cli.run(cli.make_experiment(
      q_lambda_bmg.QLambdaBuilder(config),
      functools.partial(registry.make_environment, 'two_colors',
                        flip_period=FLIP_PERIOD.value),
      functools.partial(q_lambda_bmg.make_networks, config=config),
      results_dir, log_every_steps=LOG_EVERY.value), 'q_lambda_bmg')
  print(f'{name}: logs under {results_dir}/logs')


if __name__ == '__main__':
  app.run(main)
