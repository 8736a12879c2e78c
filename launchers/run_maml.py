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

  python launchers/run_maml.py --method=bmg --K=1 --L=5 --num_steps=300

Writes logs/learner (meta-loss, meta-gradient norm and cosine per step) and
logs/evaluator (accuracy with 95% intervals) CSVs, and accuracy.png. The
meta-batch splits over learner hosts (docs/multihost.md): start the same
command on each, adding --num_learner_hosts=H --learner_host_id=i
--learner_coordinator_address=<host 0>:<port>; host 0 writes the results.
"""

import os

from absl import app
from absl import flags
import jax

from bmg_agents import experiments
from bmg_agents import maml_bmg
from bmg_agents.experiments import cli
from bmg_agents.experiments import config_flags
from bmg_agents.experiments import plotting
from bmg_agents.maml_bmg import data

config_flags.define_flags(maml_bmg.MAMLConfig)
cli.define_run_flags(('single_process',), num_steps=300,
                     results_dir='results/maml', learner_hosts=True)
EVAL_EVERY = flags.DEFINE_integer('eval_every', 100, 'Meta-steps between '
                                  'evaluations.', lower_bound=1)
VAL_TASKS = flags.DEFINE_integer('val_tasks', 200, 'Meta-validation tasks.',
                                 lower_bound=2)
TEST_TASKS = flags.DEFINE_integer('test_tasks', 600, 'Meta-test tasks (>= '
                                  '600 for the paper protocol).', lower_bound=2)
DATASET = flags.DEFINE_enum('dataset', 'embedded', data.DATASETS,
                            'Few-shot dataset.')
DATA_DIR = flags.DEFINE_string('data_dir', None,
                               'Root of MiniImagenet / Omniglot.')
IMAGE_SIZE = flags.DEFINE_integer('image_size', None, 'Image side (default '
                                  '28; 84 for MiniImagenet).', lower_bound=16)
FLAGS = flags.FLAGS


def main(argv):
  config = config_flags.from_flags(maml_bmg.MAMLConfig)
  cli.check_learner_hosts_divide('meta_batch_size')
  host = cli.start_learner_host()  # Before any JAX work.
  if config.meta_batch_size % jax.device_count():
    raise app.UsageError(f'meta_batch_size: {config.meta_batch_size} tasks '
                         f'do not split over {jax.device_count()} devices.')
  results_dir = cli.prepare_results_dir(argv) if host == 0 else None
  try:
    dataset = data.load_dataset(DATASET.value, DATA_DIR.value,
                                IMAGE_SIZE.value, cache_dir=results_dir and
                                os.path.join(results_dir, 'cache'))
    for split in data.SPLITS:
      data.check_task_shape(getattr(dataset, split), config.ways,
                            config.shots, config.queries, split)
  except ValueError as e:  # Includes data.DatasetError.
    raise app.UsageError(str(e)) from None
  print(f'{dataset.name}: {[len(getattr(dataset, s)) for s in data.SPLITS]} '
        f'train/val/test classes; {config}')
  rows = experiments.run_offline_experiment(maml_bmg.make_experiment_config(
      config, dataset, seed=FLAGS.seed, num_steps=FLAGS.num_steps,
      eval_every=EVAL_EVERY.value, val_tasks=VAL_TASKS.value,
      test_tasks=TEST_TASKS.value, results_dir=results_dir,
      resume=FLAGS.resume, checkpoint_every=FLAGS.checkpoint_every or None))
  if host:
    return
  if not rows:
    print(f'{results_dir} had finished its {FLAGS.num_steps} steps.')
    return
  plotting.plot_accuracy(os.path.join(results_dir, 'accuracy.png'),
                         {config.method: rows})
  print(f'meta-test accuracy {100 * rows[-1]["test_accuracy"]:.2f}% ± '
        f'{100 * rows[-1]["test_accuracy_ci95"]:.2f} (95%, '
        f'{TEST_TASKS.value} tasks); wrote {results_dir}')


if __name__ == '__main__':
  app.run(main)
