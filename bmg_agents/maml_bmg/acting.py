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

"""The "actors" of few-shot meta-learning: task samplers and evaluators.

There is no environment to act in: the meta-learner's experience is tasks.
A `TaskSampler` produces reproducible meta-batches from the meta-train split
for the learner; an `Evaluator` adapts the current initialisation to a fixed
set of tasks of another split and reports query accuracy (App. D.2).
Neither imports Acme.
"""

import functools
from typing import Dict, Iterator

import jax
import jax.numpy as jnp
import numpy as np

from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import data as data_lib
from bmg_agents.maml_bmg import learning
from bmg_agents.maml_bmg import networks as networks_lib


@functools.partial(jax.jit, static_argnums=(2, 3, 4, 5))
def _sample_tasks(key, images, num_tasks, ways, shots, queries):
  return data_lib.sample_tasks(key, images, num_tasks, ways, shots, queries)


def mean_and_ci95(values) -> Dict[str, float]:
  """Mean and half-width of the normal 95% interval of the mean."""
  values = np.asarray(values, np.float64)
  half = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
  return {'mean': float(values.mean()), 'ci95': float(half)}


class TaskSampler(Iterator[data_lib.Task]):
  """Endless meta-batches of N-way M-shot tasks from one split.

  Meta-batch t is `learning.sample_meta_batch(task_key, t, ...)`, so a run
  is reproducible, a resumed run continues the same task stream, and the
  fused runner (`fused.make_fused_train`) sees the same tasks. With
  `num_shards` > 1 it yields the tasks of shard `shard` of each meta-batch
  (the `shard`-th of `num_shards` equal slices): one learner host's share,
  the same tasks whatever the number of hosts.
  """

  def __init__(self, images: np.ndarray, config: config_lib.MAMLConfig,
               task_key: jax.Array, start: int = 0, shard: int = 0,
               num_shards: int = 1):
    data_lib.check_task_shape(images, config.ways, config.shots,
                              config.queries, 'meta-train')
    if config.meta_batch_size % num_shards or not 0 <= shard < num_shards:
      raise ValueError(
          f'meta_batch_size: {config.meta_batch_size} tasks do not split '
          f'into {num_shards} equal learner-host shards (shard {shard}).')
    self._images = jnp.asarray(images)
    size = config.meta_batch_size // num_shards
    self._sample = jax.jit(lambda key, step, images: jax.tree_util.tree_map(
        lambda x: x[shard * size:(shard + 1) * size],
        learning.sample_meta_batch(key, step, images, config)))
    self._key = task_key
    self._count = start

  def __next__(self) -> data_lib.Task:
    tasks = self._sample(self._key, self._count, self._images)
    self._count += 1
    return tasks


class Evaluator:
  """Meta-test (or meta-validation) accuracy of an initialisation.

  The same `num_tasks` tasks (fixed by `seed`) are used at every call, so
  evaluations along a run are comparable. Each task: `test_adaptation_steps`
  SGD steps on its support set, then accuracy on its query set.
  """

  def __init__(self, networks: networks_lib.MAMLNetworks,
               images: np.ndarray, config: config_lib.MAMLConfig,
               num_tasks: int, seed: int, split: str = 'meta-test',
               chunk: int = 100):
    data_lib.check_task_shape(images, config.ways, config.shots,
                              config.queries, split)
    self._evaluate = jax.jit(learning.make_evaluate(networks, config))
    images = jnp.asarray(images)
    key = jax.random.PRNGKey(seed)
    # Chunks of at most `chunk` tasks bound the memory of one call.
    self._chunks = [
        _sample_tasks(jax.random.fold_in(key, i), images,
                      min(chunk, num_tasks - i), config.ways, config.shots,
                      config.queries)
        for i in range(0, num_tasks, chunk)]

  def evaluate(self, meta_params) -> Dict[str, float]:
    """{'accuracy', 'accuracy_ci95', 'loss'} over the tasks (mean, 95%)."""
    accuracies, losses = [], []
    for tasks in self._chunks:
      accuracy, loss = self._evaluate(meta_params, tasks)
      accuracies.append(np.asarray(accuracy))
      losses.append(np.asarray(loss))
    stats = mean_and_ci95(np.concatenate(accuracies))
    return {'accuracy': stats['mean'], 'accuracy_ci95': stats['ci95'],
            'loss': float(np.concatenate(losses).mean())}

  __call__ = evaluate
