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
      --matching=kl_v --num_frames=200000 --lp_launch_type=local_mp
"""

import os

from absl import app
from absl import flags

from bmg_agents import launching
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import experiment
from bmg_agents.utils import learning_curves

ENV = flags.DEFINE_string(
    'env', 'minatar:breakout', "'atari:<Game>' or 'minatar:<game>'.")
META_OBJECTIVE = flags.DEFINE_enum(
    'meta_objective', 'bmg', config_lib.META_OBJECTIVES,
    'bmg, mg (= STACX) or none (fixed IMPALA hyper-parameters).')
MATCHING = flags.DEFINE_string(
    'matching', 'kl_v', "BMG matching, a core.matching spec (e.g. 'kl_v').")
TARGET_OPTIMIZER = flags.DEFINE_enum(
    'target_optimizer', 'rmsprop', config_lib.TARGET_OPTIMIZERS,
    "The target's final step.")
L = flags.DEFINE_integer('L', 1, 'BMG target bootstrap steps.', lower_bound=1)
K = flags.DEFINE_integer('K', 1, 'Differentiable inner steps.', lower_bound=1)
NUM_ACTORS = flags.DEFINE_integer('num_actors', 2, 'Actors.', lower_bound=1)
NUM_FRAMES = flags.DEFINE_integer('num_frames', 200_000,
                                  'Emulator frame budget.', lower_bound=1)
LAUNCH_TYPE = flags.DEFINE_enum(
    'lp_launch_type', 'local_mp', ('single_process',) + launching.LAUNCH_TYPES,
    'single_process (acme local layout) or a Launchpad launch type.')
SEED = flags.DEFINE_integer('seed', 0, 'Seed of everything.')
RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/stacx',
                                  'CSV logs, checkpoints and the plot.')
TORSO_CHANNELS = flags.DEFINE_list(
    'torso_channels', None, 'ResNet stage channels (default: Table 2 on '
    'Atari, 1x = 16,32,32,16 on MinAtar).')
HEAD_HIDDEN = flags.DEFINE_list('head_hidden', ['256', '256'],
                                'Hidden sizes of every head MLP.')
UNROLL = flags.DEFINE_integer('unroll_length', 20, 'Unroll length.')
ONLINE_BATCH = flags.DEFINE_integer('online_batch_size', 6, 'Online batch.')
REPLAY_BATCH = flags.DEFINE_integer('replay_batch_size', 12, 'Replay batch.')
REPLAY_SIZE = flags.DEFINE_integer('replay_size', 10_000, 'Replay capacity.')
MAX_GRAD_NORM = flags.DEFINE_float(
    'max_gradient_norm', .3, 'Agent gradient clip (the paper uses .2 at L=4).')
NUM_EVALUATORS = flags.DEFINE_integer('num_evaluators', 1, 'Evaluators.',
                                      lower_bound=0)
META_GRAD_VARIANCE_EVERY = flags.DEFINE_integer(
    'meta_grad_variance_every', 0, 'Every N learner steps, log the per-batch '
    'meta-gradient variance and norm-to-variance ratio (Table 3; costs ~B '
    'meta-gradients); 0: never.', lower_bound=0)


def build_config() -> config_lib.STACXConfig:
  """The agent's config from flags; ValueError names a bad field."""
  suite, _ = experiment.parse_environment_name(ENV.value)
  channels = TORSO_CHANNELS.value or (
      config_lib.TORSO_WIDTHS[4] if suite == 'atari'
      else config_lib.TORSO_WIDTHS[1])
  frames_per_update = (ONLINE_BATCH.value * UNROLL.value *
                       experiment.frames_per_step(ENV.value))
  return config_lib.STACXConfig(
      torso_channels=tuple(int(c) for c in channels),
      head_hidden_sizes=tuple(int(h) for h in HEAD_HIDDEN.value),
      unroll_length=UNROLL.value,
      online_batch_size=ONLINE_BATCH.value,
      replay_batch_size=REPLAY_BATCH.value,
      replay_size=REPLAY_SIZE.value,
      max_gradient_norm=MAX_GRAD_NORM.value,
      learning_rate_decay_steps=max(1, NUM_FRAMES.value // frames_per_update),
      meta_objective=META_OBJECTIVE.value,
      matching=MATCHING.value,
      target_optimizer=TARGET_OPTIMIZER.value,
      L=L.value,
      K=K.value,
      meta_grad_variance_every=META_GRAD_VARIANCE_EVERY.value)


def plot(results_dir: str) -> None:
  """Episode returns and the main head's meta-parameters -> stacx.png."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  import pandas as pd  # pylint: disable=g-import-not-at-top
  def read(label):
    try:
      return pd.DataFrame(learning_curves.read_log(results_dir, label))
    except FileNotFoundError:
      return None

  fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
  df = read('actor')
  if df is not None:
    axes[0].plot(df['actor_steps'], df['episode_return'], '.', alpha=.3)
    axes[0].plot(df['actor_steps'],
                 df['episode_return'].rolling(20, min_periods=1).mean())
  axes[0].set(xlabel='actor steps', ylabel='episode return (actor 0)')
  df = read('learner')
  if df is not None:
    for name in ('discount_0', 'lambda_0', 'alpha_0', 'entropy_cost_0'):
      if name in df:
        axes[1].plot(df['learner_steps'], df[name], label=name)
    axes[1].legend()
  axes[1].set(xlabel='learner steps', ylabel='main-head meta-parameters')
  fig.tight_layout()
  fig.savefig(os.path.join(results_dir, 'stacx.png'), dpi=100)


def main(argv):
  del argv
  try:
    config = build_config()
  except ValueError as e:
    raise app.UsageError(str(e)) from e
  results_dir = os.path.abspath(RESULTS_DIR.value)
  os.makedirs(results_dir, exist_ok=True)
  print(f'STACX {config.meta_objective} ({config.matching}, L={L.value}, '
        f'K={K.value}) on {ENV.value} for {NUM_FRAMES.value} frames '
        f'-> {results_dir}')
  if LAUNCH_TYPE.value == 'single_process':
    counts = experiment.run_single_process(
        config, ENV.value, NUM_FRAMES.value, SEED.value, results_dir)
    print('final counts:', counts)
  else:
    program = experiment.make_program(
        config, ENV.value, num_actors=NUM_ACTORS.value,
        num_frames=NUM_FRAMES.value, seed=SEED.value,
        results_dir=results_dir, num_evaluators=NUM_EVALUATORS.value)
    launching.launch_and_wait(program, LAUNCH_TYPE.value)
  plot(results_dir)
  print('wrote', os.path.join(results_dir, 'stacx.png'))


if __name__ == '__main__':
  app.run(main)
