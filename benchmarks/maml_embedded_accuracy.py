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

Each (method, seed) is one `experiments.run_offline_experiment` of
`maml_bmg.make_experiment_config`, i.e. what `launchers/run_maml.py` does;
the table prints, per evaluation point, meta-test accuracy (each a mean over
`--test_tasks` tasks) and the meta-learner's training time, then the final
accuracy as mean ± s.e. over seeds and the BMG − MAML difference.

  PYTHONPATH=. .venv/bin/python benchmarks/maml_embedded_accuracy.py
"""

import os
import shutil

from absl import app
from absl import flags
import numpy as np

from bmg_agents import experiments
from bmg_agents import maml_bmg
from bmg_agents.experiments import plotting
from bmg_agents.experiments import results
from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import data

RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/maml_accuracy',
                                  'Where runs and the figure go.')
SEEDS = flags.DEFINE_integer('seeds', 3, 'Seeds per method.')
STEPS = flags.DEFINE_integer('num_steps', 300, 'Meta-steps per run.')
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
  runs = {}
  for seed in range(SEEDS.value):
    for config in configs:
      name = f'{config.method}_seed{seed}'
      run_dir = os.path.join(RESULTS_DIR.value, name)
      if os.path.exists(results.log_path(run_dir, 'evaluator')):
        print(f'{name}: done earlier, read from {run_dir}')
      else:  # A run interrupted half-way is started again.
        every = EVAL_EVERY.value if seed < CURVE_SEEDS.value else STEPS.value
        shutil.rmtree(run_dir, ignore_errors=True)
        experiments.run_offline_experiment(maml_bmg.make_experiment_config(
            config, dataset, seed=seed, num_steps=STEPS.value,
            eval_every=every, val_tasks=VAL_TASKS.value,
            test_tasks=TEST_TASKS.value, results_dir=run_dir))
      runs[name] = results.columns_to_rows(
          results.read_log(run_dir, 'evaluator'))
  print(f'{dataset.name}; 5-way 5-shot, meta-batch 4, conv4 width '
        f'{CHANNELS.value}, K={K.value}; BMG L={L.value} {MATCHING.value}; '
        f'meta-test accuracy (%) over {TEST_TASKS.value} tasks ± 95% interval;'
        ' time = meta-learner seconds (excludes evaluation)')
  print(f'{"run":>22} {"steps":>6} {"time s":>7} {"accuracy":>14}')
  final = {}
  for config in configs:
    for seed in range(SEEDS.value):
      name = f'{config.method}_seed{seed}'
      for row in runs[name]:
        print(f'{name:>22} {int(row["learner_steps"]):>6} '
              f'{row["walltime"]:7.1f} {100 * row["test_accuracy"]:6.2f}'
              f' ± {100 * row["test_accuracy_ci95"]:4.2f}')
      final.setdefault(config.method, []).append(
          100 * runs[name][-1]['test_accuracy'])
  for method, accs in final.items():
    mean, stderr = results.mean_and_stderr(np.array(accs)[:, None])
    print(f'{method}: final meta-test accuracy {mean[0]:.2f} ± '
          f'{stderr[0]:.2f} (mean ± s.e. over {len(accs)} seeds)')
  print(f'BMG - MAML: {np.mean(final["bmg"]) - np.mean(final["maml"]):+.2f}'
        ' points')
  figure = os.path.join(RESULTS_DIR.value, 'accuracy.png')
  plotting.plot_accuracy(figure, runs)
  print(f'Figure: {figure}')


if __name__ == '__main__':
  app.run(main)
