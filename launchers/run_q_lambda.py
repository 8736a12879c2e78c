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

  python launchers/run_q_lambda.py                      # fused, BMG, ~2 min
  python launchers/run_q_lambda.py --meta_objective=none --epsilon=0.1
  python launchers/run_q_lambda.py --runner=acme --num_steps=2000
  python launchers/run_q_lambda.py --runner=launchpad --num_steps=2000
"""

import os

from absl import app
from absl import flags
# Defines --lp_launch_type ('local_mp' or 'local_mt' here).
import launchpad as lp  # pylint: disable=unused-import

from bmg_agents import anakin
from bmg_agents import launching
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import reporting
from bmg_agents.q_lambda_bmg import running

META_OBJECTIVE = flags.DEFINE_enum(
    'meta_objective', 'bmg', config_lib.META_OBJECTIVES,
    "ε meta-learned with BMG, or 'none' (fixed ε).")
MATCHING = flags.DEFINE_string(
    'matching', 'kl', "BMG matching (App. B.3): 'kl', 'value', 'kl+value'.")
L = flags.DEFINE_integer('L', 16, 'Bootstrap length L.', lower_bound=1)
EPSILON = flags.DEFINE_float('epsilon', 0.1, 'ε of the fixed agent.',
                             lower_bound=0., upper_bound=1.)
NUM_SEEDS = flags.DEFINE_integer('num_seeds', 10, 'Seeds (fused runner).',
                                 lower_bound=1)
NUM_STEPS = flags.DEFINE_integer('num_steps', 40_000,
                                 'Environment steps per seed.', lower_bound=1)
FLIP_PERIOD = flags.DEFINE_integer(
    'flip_period', 10_000, 'Steps between reward flips (paper: 100000).',
    lower_bound=1)
SEED = flags.DEFINE_integer('seed', 0, 'Random seed of the whole run.')
RUNNER = flags.DEFINE_enum('runner', 'fused', ('fused', 'acme', 'launchpad'),
                           'Fused jit+scan+vmap, Acme single process, or '
                           'Launchpad program.')
RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/q_lambda',
                                  'Where CSV, PNG and logs go.')
HIDDEN = flags.DEFINE_list('hidden_sizes', ['64', '64'],
                           'Q-network MLP layers (paper: 256,256).')
flags.register_validator(
    'hidden_sizes', lambda v: all(h.isdigit() and int(h) > 0 for h in v),
    'must be comma-separated positive integers, e.g. 256,256')
LEARNING_RATE = flags.DEFINE_float('learning_rate', 3e-4,
                                   'Q-network Adam learning rate '
                                   '(paper: 3e-5).', lower_bound=0.)
META_LEARNING_RATE = flags.DEFINE_float('meta_learning_rate', 1e-4,
                                        'ε-network Adam learning rate.',
                                        lower_bound=0.)
CHUNK = flags.DEFINE_integer('chunk_size', 500,
                             'Fused steps per compiled call = CSV row.',
                             lower_bound=1)


def build_config() -> config_lib.QLambdaConfig:
  """The agent config from flags; a bad value is a one-line usage error."""
  try:
    hidden = tuple(int(h) for h in HIDDEN.value)
    return config_lib.QLambdaConfig(
        meta_objective=META_OBJECTIVE.value, epsilon=EPSILON.value,
        matching=MATCHING.value,
        L=L.value, hidden_sizes=hidden, learning_rate=LEARNING_RATE.value,
        meta_learning_rate=META_LEARNING_RATE.value)
  except ValueError as e:
    raise app.UsageError(f'Error: {e}') from None


def main(argv):
  del argv
  config = build_config()
  os.makedirs(RESULTS_DIR.value, exist_ok=True)
  if RUNNER.value == 'fused':
    anakin.force_host_devices(2)  # Seeds split over both cores.
    if NUM_STEPS.value % CHUNK.value:
      raise app.UsageError(f'num_steps ({NUM_STEPS.value}) must be a '
                           f'multiple of chunk_size ({CHUNK.value}).')
    rows = reporting.run_and_report(
        config, NUM_SEEDS.value, NUM_STEPS.value, CHUNK.value,
        FLIP_PERIOD.value, SEED.value, RESULTS_DIR.value)
    print(f'final reward rate {rows[-1]["reward_rate"]:.4f}, total reward '
          f'per seed {rows[-1]["total_reward"]:.1f}; results in '
          f'{RESULTS_DIR.value}')
    return
  if RUNNER.value == 'acme':
    counter = running.run_acme(config, NUM_STEPS.value, SEED.value,
                               FLIP_PERIOD.value, RESULTS_DIR.value)
    print(f'acme run finished: {counter.get_counts()}')
  else:
    launch_type = flags.FLAGS.lp_launch_type
    if launch_type not in launching.LAUNCH_TYPES:
      raise app.UsageError(f'lp_launch_type must be one of '
                           f'{launching.LAUNCH_TYPES}, got {launch_type!r}.')
    program = running.make_program(config, NUM_STEPS.value, SEED.value,
                                   FLIP_PERIOD.value, RESULTS_DIR.value)
    launching.launch_and_wait(program, launch_type)
    print(f'launchpad run finished; logs in {RESULTS_DIR.value}')


if __name__ == '__main__':
  app.run(main)
