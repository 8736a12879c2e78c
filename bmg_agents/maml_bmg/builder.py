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


"""Builds the MAML-BMG components from a config: the task sampler ("actor"),
evaluators and the meta-learner. Networks come from
`networks.make_networks(image_shape, config)`."""

import functools
from typing import Callable, Optional

from acme.utils import counting
from acme.utils import loggers
import jax
import numpy as np

from bmg_agents import experiments
from bmg_agents.maml_bmg import acting
from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import data as data_lib
from bmg_agents.maml_bmg import learner as learner_lib
from bmg_agents.maml_bmg import learning
from bmg_agents.maml_bmg import networks as networks_lib


class MAMLBuilder:
  """Assembles a few-shot meta-learning agent from a `MAMLConfig`.

  Few-shot meta-learning has no environment, replay or adder: the learner's
  experience is tasks, produced in-process by a `TaskSampler`. This builder
  therefore offers the `make_*` methods that apply (learner, the
  task-sampling "actor", evaluators) rather than subclassing acme's
  `ActorLearnerBuilder`, whose replay-table / adder / policy methods would be
  empty here. `make_learner` follows that interface's argument names and
  order (random_key, networks, dataset, logger_fn, ..., counter).
  """

  def __init__(self, config: config_lib.MAMLConfig):
    self._config = config

  def make_task_sampler(self, images: np.ndarray, task_key: jax.Array,
                        start: int = 0) -> acting.TaskSampler:
    """Meta-batches of the split `images`, from meta-step `start` on; this
    JAX process's shard of each when there are several (learner hosts)."""
    return acting.TaskSampler(images, self._config, task_key, start,
                              shard=jax.process_index(),
                              num_shards=jax.process_count())

  def make_evaluator(self, networks: networks_lib.MAMLNetworks,
                     images: np.ndarray, num_tasks: int, seed: int,
                     split: str) -> acting.Evaluator:
    """An evaluator on `num_tasks` fixed tasks of the split `images`."""
    return acting.Evaluator(networks, images, self._config, num_tasks, seed,
                            split)

  def make_learner(
      self,
      random_key: jax.Array,
      networks: networks_lib.MAMLNetworks,
      dataset: acting.TaskSampler,
      logger_fn: Optional[Callable[[], loggers.Logger]] = None,
      counter: Optional[counting.Counter] = None,
  ) -> learner_lib.MAMLLearner:
    """The meta-learner.

    Args:
      random_key: initialises w.
      networks: from `networks.make_networks`.
      dataset: meta-batches of tasks, e.g. from `make_task_sampler`.
      logger_fn: a zero-argument callable returning the learner's logger
        (None: a quiet terminal logger).
      counter: the learner's counter (None: a new one).

    Raises:
      ValueError: for ANIL when the networks have no module `networks.head`.
    """
    meta_optimizer = learning.make_meta_optimizer(self._config)
    return learner_lib.MAMLLearner(
        networks=networks, iterator=dataset,
        make_update_step=functools.partial(
            learning.make_update_step, networks, self._config,
            meta_optimizer),
        meta_optimizer=meta_optimizer, random_key=random_key,
        counter=counter, logger=logger_fn() if logger_fn else None)


def make_experiment_config(config: config_lib.MAMLConfig,
                           dataset: data_lib.FewShotDataset, *, seed: int,
                           num_steps: int, eval_every: int, val_tasks: int,
                           test_tasks: int, results_dir: Optional[str],
                           resume: bool = False,
                           checkpoint_every: Optional[int] = None
                           ) -> experiments.OfflineExperimentConfig:
  """Meta-training on dataset.train, evaluated on fixed val/test tasks.

  Args:
    config: the agent's config.
    dataset: the few-shot splits.
    seed: seeds w and the task stream; the val/test tasks use seed + 1 and
      seed + 2.
    num_steps: meta-steps.
    eval_every: meta-steps between evaluations.
    val_tasks: meta-validation tasks per evaluation.
    test_tasks: meta-test tasks per evaluation.
    results_dir: where CSV logs and checkpoints go (None: terminal only).
    resume: continue the run in `results_dir` from its checkpoint (its CSVs
      continue; the task stream starts anew from `seed`).
    checkpoint_every: also checkpoint every this many meta-steps (besides
      every evaluation and every 30 minutes).

  Returns:
    The experiment, for `experiments.run_offline_experiment`.
  """
  builder = MAMLBuilder(config)
  evaluators = {
      split: functools.partial(builder.make_evaluator, images=images,
                               num_tasks=tasks, seed=seed + offset,
                               split=split)
      for split, images, tasks, offset in (('val', dataset.val, val_tasks, 1),
                                           ('test', dataset.test, test_tasks,
                                            2))}
  return experiments.OfflineExperimentConfig(
      builder=builder,
      network_factory=functools.partial(
          networks_lib.make_networks, dataset.train.shape[2:], config),
      dataset_factory=functools.partial(builder.make_task_sampler,
                                        dataset.train),
      evaluator_factories=evaluators, seed=seed,
      max_num_learner_steps=num_steps, eval_every=eval_every,
      logger_factory=experiments.make_logger_factory(results_dir,
                                                     resume=resume),
      checkpointing=(experiments.CheckpointingConfig(
          results_dir, every_learner_steps=checkpoint_every)
                     if results_dir else None))
