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

"""A single-process meta-training run: train, evaluate, checkpoint, plot."""

import csv
import glob
import os
import pickle
from typing import Dict, List

from acme.utils import counting
from acme.utils import loggers
from acme.utils.loggers import csv as csv_logger
import jax
import numpy as np

from bmg_agents.maml_bmg import builder as builder_lib
from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import data as data_lib
from bmg_agents.maml_bmg import networks as networks_lib

CHECKPOINT = 'checkpoint.pkl'
EVAL_CSV = 'eval.csv'


def run_name(config: config_lib.MAMLConfig, seed: int) -> str:
  extra = f'_L{config.L}_{config.matching}' if config.method == 'bmg' else ''
  return f'{config.method}_K{config.K}{extra}_seed{seed}'


def _save(path: str, payload) -> None:
  with open(path + '.partial', 'wb') as f:
    pickle.dump(payload, f)
  os.replace(path + '.partial', path)  # Never a half-written checkpoint.


def train_and_evaluate(config: config_lib.MAMLConfig,
                       dataset: data_lib.FewShotDataset,
                       run_dir: str,
                       num_meta_steps: int,
                       eval_every: int,
                       val_tasks: int,
                       test_tasks: int,
                       seed: int,
                       verbose: bool = True) -> List[Dict[str, float]]:
  """Meta-trains on dataset.train; evaluates on val (along) and test (end).

  Every `eval_every` meta-steps: meta-validation and meta-test accuracy
  (mean and 95% interval over fixed task sets), a row in `eval.csv`, and a
  checkpoint. A run whose `run_dir` holds a checkpoint resumes from it.
  Per-step learner metrics (meta-loss, Table 6 diagnostics) go to
  `learner/logs.csv`.

  Returns:
    The rows of `eval.csv` written by this call.
  """
  os.makedirs(run_dir, exist_ok=True)
  builder = builder_lib.MAMLBuilder(config)
  image_shape = dataset.train.shape[2:]
  networks = networks_lib.make_networks(image_shape, config)
  counter = counting.Counter()
  checkpoint = os.path.join(run_dir, CHECKPOINT)
  state, start = None, 0
  if os.path.isfile(checkpoint):
    with open(checkpoint, 'rb') as f:
      state, counts = pickle.load(f)
    counter.restore(counts)
    start = int(state.steps)
  logger = loggers.Dispatcher([
      csv_logger.CSVLogger(run_dir, label='learner', add_uid=False),
      loggers.TerminalLogger('learner', time_delta=30. if verbose else 1e9,
                             print_fn=print)])
  init_key, task_key = jax.random.split(jax.random.PRNGKey(seed))
  learner = builder.make_learner(
      init_key, networks,
      builder.make_task_sampler(dataset.train, task_key, start),
      logger_fn=lambda: logger,
      counter=counting.Counter(counter, prefix='learner'))
  if state is not None:
    learner.restore(state)
  evaluators = {
      'val': builder.make_evaluator(networks, dataset.val, val_tasks,
                                    seed + 1, 'meta-validation'),
      'test': builder.make_evaluator(networks, dataset.test, test_tasks,
                                     seed + 2, 'meta-test')}
  rows = []
  eval_path = os.path.join(run_dir, EVAL_CSV)
  for step in range(start, num_meta_steps):
    learner.step()
    if (step + 1) % eval_every and step + 1 < num_meta_steps:
      continue
    counts = counter.get_counts()
    row = {'meta_steps': step + 1,
           'walltime': counts.get('learner_walltime', 0.)}
    params = learner.get_variables(['policy'])[0]
    for split, evaluator in evaluators.items():
      for key, value in evaluator.evaluate(params).items():
        row[f'{split}_{key}'] = value
    new_file = not os.path.isfile(eval_path)
    with open(eval_path, 'a', newline='') as f:
      writer = csv.DictWriter(f, fieldnames=list(row))
      if new_file:
        writer.writeheader()
      writer.writerow(row)
    rows.append(row)
    _save(checkpoint, (jax.device_get(learner.save()), counter.save()))
    if verbose:
      print(f'[{os.path.basename(run_dir)}] meta-step {step + 1}/'
            f'{num_meta_steps} train {row["walltime"]:.0f}s: val acc '
            f'{row["val_accuracy"]:.3f} ± {row["val_accuracy_ci95"]:.3f}, '
            f'test acc {row["test_accuracy"]:.3f} ± '
            f'{row["test_accuracy_ci95"]:.3f}', flush=True)
  return rows


def read_runs(results_dir: str) -> Dict[str, Dict[str, np.ndarray]]:
  """{run name: {column: values}} of every `*/eval.csv` under a directory."""
  runs = {}
  for path in sorted(glob.glob(os.path.join(results_dir, '*', EVAL_CSV))):
    with open(path, newline='') as f:
      rows = list(csv.DictReader(f))
    if rows:
      runs[os.path.basename(os.path.dirname(path))] = {
          k: np.array([float(r[k]) for r in rows]) for k in rows[0]}
  return runs


def plot_runs(results_dir: str, path: str) -> None:
  """Meta-test accuracy vs meta-steps and vs training time (Fig. 6 style)."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top
  runs = read_runs(results_dir)
  fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
  for name, run in runs.items():
    for ax, x in zip(axes, ('meta_steps', 'walltime')):
      ax.errorbar(run[x], 100 * run['test_accuracy'],
                  yerr=100 * run['test_accuracy_ci95'], label=name,
                  marker='o', markersize=3,
                  capsize=2)
  axes[0].set_xlabel('meta-training steps')
  axes[1].set_xlabel('meta-training time (s)')
  axes[0].set_ylabel('meta-test accuracy (%)')
  axes[1].legend(fontsize=7)
  for ax in axes:
    ax.grid(alpha=.3)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)
