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

"""MAML vs BMG on the embedded glyph dataset: meta-test accuracy vs
meta-steps and vs training time over seeds (Fig. 6 at CPU scale).

Each (method, seed) is one run of `running.train_and_evaluate`, i.e. what
`launchers/run_maml.py` does; the table prints, per evaluation point, the
mean ± std over seeds of meta-test accuracy (each itself a mean over
`--test_tasks` tasks) and of the meta-learner's training time, and the
BMG − MAML accuracy difference. Runs resume from their checkpoints.

  PYTHONPATH=. .venv/bin/python benchmarks/maml_embedded_accuracy.py
"""

import os

from absl import app
from absl import flags
import numpy as np

from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import data
from bmg_agents.maml_bmg import running

RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/maml_accuracy',
                                  'Where runs and the figure go.')
SEEDS = flags.DEFINE_integer('seeds', 3, 'Seeds per method.')
STEPS = flags.DEFINE_integer('num_meta_steps', 300, 'Meta-steps per run.')
EVAL_EVERY = flags.DEFINE_integer('eval_every', 100, 'Steps between evals.')
CURVE_SEEDS = flags.DEFINE_integer(
    'curve_seeds', 1, 'Seeds evaluated every --eval_every steps; the others '
    'only at the end (a 600-task evaluation costs more than 300 meta-steps).')
CHANNELS = flags.DEFINE_integer('channels', 16, 'conv4 width (CPU scale).')
K = flags.DEFINE_integer('K', 1, 'Inner steps of both methods.')
L = flags.DEFINE_integer('L', 1, 'BMG bootstrap length.')
MATCHING = flags.DEFINE_enum('matching', 'kl', config_lib.MATCHINGS,
                             'BMG matching function.')
TEST_TASKS = flags.DEFINE_integer('test_tasks', 600, 'Meta-test tasks.')
VAL_TASKS = flags.DEFINE_integer('val_tasks', 100, 'Meta-validation tasks.')


def main(_):
  dataset = data.load_dataset(
      'embedded', cache_dir=os.path.join(RESULTS_DIR.value, 'cache'))
  configs = [
      config_lib.MAMLConfig(method='maml', K=K.value,
                            channels=CHANNELS.value),
      config_lib.MAMLConfig(method='bmg', K=K.value, L=L.value,
                            matching=MATCHING.value,
                            channels=CHANNELS.value)]
  for seed in range(SEEDS.value):
    for config in configs:
      name = running.run_name(config, seed)
      every = EVAL_EVERY.value if seed < CURVE_SEEDS.value else STEPS.value
      running.train_and_evaluate(
          config, dataset, os.path.join(RESULTS_DIR.value, name),
          STEPS.value, every, VAL_TASKS.value, TEST_TASKS.value, seed)
  runs = running.read_runs(RESULTS_DIR.value)
  print(f'{dataset.name}; 5-way 5-shot, meta-batch 4, conv4 width '
        f'{CHANNELS.value}, K={K.value}; BMG L={L.value} {MATCHING.value}; '
        f'meta-test accuracy (%) over {TEST_TASKS.value} tasks ± 95% interval;'
        ' time = meta-learner seconds (excludes evaluation)')
  print(f'{"run":>22} {"steps":>6} {"time s":>7} {"accuracy":>14}')
  final = {}
  for config in configs:
    for seed in range(SEEDS.value):
      run = runs[running.run_name(config, seed)]
      for i, step in enumerate(run['meta_steps']):
        print(f'{running.run_name(config, seed):>22} {int(step):>6} '
              f'{run["walltime"][i]:7.1f} {100 * run["test_accuracy"][i]:6.2f}'
              f' ± {100 * run["test_accuracy_ci95"][i]:4.2f}')
      final.setdefault(config.method, []).append(
          100 * run['test_accuracy'][-1])
  for method, accs in final.items():
    print(f'{method}: final meta-test accuracy {np.mean(accs):.2f} ± '
          f'{np.std(accs):.2f} (mean ± std over {len(accs)} seeds)')
  print(f'BMG - MAML: {np.mean(final["bmg"]) - np.mean(final["maml"]):+.2f}'
        ' points')
  figure = os.path.join(RESULTS_DIR.value, 'accuracy.png')
  running.plot_runs(RESULTS_DIR.value, figure)
  print(f'Figure: {figure}')


if __name__ == '__main__':
  app.run(main)
