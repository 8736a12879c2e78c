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

"""Few-shot meta-learning with MAML, FOMAML, ANIL or BMG (paper §6, App. D).

  PYTHONPATH=. .venv/bin/python launchers/run_maml.py --method=bmg --K=1 \
      --L=5 --num_meta_steps=300 --results_dir=results/maml

Runs of several methods into one --results_dir share its figure
`accuracy.png` (meta-test accuracy vs meta-steps and vs training time).
"""

import os

from absl import app
from absl import flags

from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import data
from bmg_agents.maml_bmg import running

_D = config_lib.MAMLConfig()
METHOD = flags.DEFINE_enum('method', _D.method, config_lib.METHODS,
                           'Meta-objective / MG baseline.')
K = flags.DEFINE_integer('K', _D.K, 'Inner SGD steps on the support set.')
L = flags.DEFINE_integer('L', _D.L, 'BMG bootstrap length.')
MATCHING = flags.DEFINE_enum('matching', _D.matching, config_lib.MATCHINGS,
                             'BMG matching: KL(target||.) or KL(.||target).')
TEMPERATURE = flags.DEFINE_float('temperature', _D.temperature,
                                 'Temperature of the BMG target.')
WAYS = flags.DEFINE_integer('ways', _D.ways, 'N, classes per task.')
SHOTS = flags.DEFINE_integer('shots', _D.shots, 'M, examples per class.')
QUERIES = flags.DEFINE_integer('queries', _D.queries,
                               'Query examples per class.')
META_BATCH_SIZE = flags.DEFINE_integer('meta_batch_size', _D.meta_batch_size,
                                       'Tasks per meta-gradient.')
INNER_LR = flags.DEFINE_float('inner_learning_rate', _D.inner_learning_rate,
                              'Inner SGD step size alpha.')
META_LR = flags.DEFINE_float('meta_learning_rate', _D.meta_learning_rate,
                             'Adam meta step size beta.')
CHANNELS = flags.DEFINE_integer('channels', _D.channels, 'conv4 width.')
NUM_META_STEPS = flags.DEFINE_integer('num_meta_steps', 300,
                                      'Meta-training steps.')
EVAL_EVERY = flags.DEFINE_integer('eval_every', 100,
                                  'Meta-steps between evaluations.')
VAL_TASKS = flags.DEFINE_integer('val_tasks', 200,
                                 'Meta-validation tasks per evaluation.')
TEST_TASKS = flags.DEFINE_integer('test_tasks', 600,
                                  'Meta-test tasks per evaluation (>= 600 '
                                  'for the paper protocol).')
DATASET = flags.DEFINE_enum('dataset', 'embedded',
                            ['embedded', 'miniimagenet', 'omniglot'],
                            'Few-shot dataset.')
DATA_DIR = flags.DEFINE_string('data_dir', None,
                               'Root of MiniImagenet / Omniglot.')
IMAGE_SIZE = flags.DEFINE_integer(
    'image_size', None, 'Image side (default 28; 84 for MiniImagenet).')
SEED = flags.DEFINE_integer('seed', 0, 'Seed of w and of the task stream.')
RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/maml',
                                  'Where runs, CSVs and the figure go.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  for flag in (NUM_META_STEPS, EVAL_EVERY, VAL_TASKS, TEST_TASKS):
    if flag.value < (2 if 'tasks' in flag.name else 1):
      raise app.UsageError(f'--{flag.name} must be >= '
                           f'{2 if "tasks" in flag.name else 1}.')
  try:
    config = config_lib.MAMLConfig(
        method=METHOD.value, ways=WAYS.value, shots=SHOTS.value,
        queries=QUERIES.value, K=K.value, L=L.value, matching=MATCHING.value,
        temperature=TEMPERATURE.value, inner_learning_rate=INNER_LR.value,
        meta_learning_rate=META_LR.value,
        meta_batch_size=META_BATCH_SIZE.value, channels=CHANNELS.value)
    dataset = data.load_dataset(
        DATASET.value, DATA_DIR.value, IMAGE_SIZE.value,
        cache_dir=os.path.join(RESULTS_DIR.value, 'cache'))
    for split in data.SPLITS:
      data.check_task_shape(getattr(dataset, split), config.ways,
                            config.shots, config.queries, split)
    size = dataset.train.shape[2]
    if size < 2 ** 4:
      raise ValueError(f'image_size={size}: conv4 needs >= 16 pixels.')
  except ValueError as e:  # Includes data.DatasetError.
    raise app.UsageError(str(e)) from None
  print(f'{dataset.name}: {[len(getattr(dataset, s)) for s in data.SPLITS]} '
        f'train/val/test classes; {config}')
  run_dir = os.path.join(RESULTS_DIR.value,
                         running.run_name(config, SEED.value))
  rows = running.train_and_evaluate(
      config, dataset, run_dir, NUM_META_STEPS.value, EVAL_EVERY.value,
      VAL_TASKS.value, TEST_TASKS.value, SEED.value)
  figure = os.path.join(RESULTS_DIR.value, 'accuracy.png')
  running.plot_runs(RESULTS_DIR.value, figure)
  if rows:
    last = rows[-1]
    print(f'meta-test accuracy {100 * last["test_accuracy"]:.2f}% ± '
          f'{100 * last["test_accuracy_ci95"]:.2f} (95%, '
          f'{TEST_TASKS.value} tasks)')
  print(f'Wrote {run_dir}/ and {figure}.')


if __name__ == '__main__':
  app.run(main)
