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


"""The MAML-BMG Acme learner: I/O around the pure `learning` meta-update."""

import time
from typing import Any, Callable, Iterator, List, Optional, Sequence

from acme import core as acme_core
from acme.jax import utils as acme_utils
from acme.utils import counting
from acme.utils import loggers
import jax
import numpy as np
import optax

from bmg_agents.experiments import multihost
from bmg_agents.maml_bmg import learning
from bmg_agents.maml_bmg import networks as networks_lib

# Variable names `get_variables` serves; all give w, the initialisation that
# evaluators adapt ('policy' is the name every bmg_agents learner serves).
VARIABLE_NAMES = ('policy', 'meta_params')
# The pmap axis of a meta-batch split over devices.
PMAP_AXIS_NAME = 'tasks'


class MAMLLearner(acme_core.Learner):
  """Meta-learner: consumes meta-batches of tasks, updates w.

  `step()` does I/O only: the next meta-batch from the task iterator (the
  "actors" of this agent are task samplers), the compiled pure update,
  counts and logs. Every logged row has the same keys
  (`learning.make_update_step`'s metrics, `core.diagnostics`' meta-gradient
  norm and cosine among them, plus the counts).

  On more than one device the update is pmapped: every device holds a
  replica of the state and an equal slice of the meta-batch, and the
  per-task meta-gradients are gathered over all devices, so each takes the
  whole meta-batch's update. Multi-host (after `jax.distributed.initialize`,
  one learner per JAX process): the devices are every process's, this
  process's iterator yields its own shard of the meta-batch (e.g.
  `acting.TaskSampler(..., shard=jax.process_index(),
  num_shards=jax.process_count())`), split over its local devices, and
  every host holds the same state after every step.
  """

  def __init__(self,
               networks: networks_lib.MAMLNetworks,
               iterator: Iterator[Optional[learning.Task]],
               make_update_step: Callable[[Optional[str]], Callable[
                   [learning.TrainingState, learning.Task], Any]],
               meta_optimizer: optax.GradientTransformation,
               random_key: jax.Array,
               counter: Optional[counting.Counter] = None,
               logger: Optional[loggers.Logger] = None,
               devices: Optional[Sequence[jax.Device]] = None):
    """Initialises w from `random_key`.

    Args:
      networks: the classifier; `networks.init` gives the initial w.
      iterator: meta-batches of tasks (e.g. `acting.TaskSampler`); a `None`
        item makes `step()` return without an update.
      make_update_step: axis name (None: one device) -> the pure
        meta-update, e.g. a partial of `learning.make_update_step`.
      meta_optimizer: the optimiser the update was built with.
      random_key: initialises w.
      counter: counts steps and the learner's wall-clock time (default: a
        new counter).
      logger: receives the metrics of every meta-update (default: a quiet
        terminal logger).
      devices: the devices the meta-batch is split over, the same on every
        process (default: `jax.devices()`, every process's); one device
        runs the update under `jit`.
    """
    devices = list(devices or jax.devices())
    self._devices = multihost.process_devices(devices)
    self._iterator = iterator
    state = learning.init_state(random_key, networks, meta_optimizer)
    if len(devices) == 1:
      self._update = jax.jit(make_update_step(None))
      self._put = lambda tree: jax.device_put(tree, devices[0])
      self._get = lambda tree: tree
      self._split = lambda tasks: tasks
    else:
      self._update = jax.pmap(make_update_step(PMAP_AXIS_NAME),
                              axis_name=PMAP_AXIS_NAME, devices=devices)
      self._put = lambda tree: acme_utils.replicate_in_all_devices(
          tree, self._devices)
      self._get = multihost.first_replica
      self._split = self._split_over_local_devices
    self._compiled = None
    self._state = self._put(state)
    self._counter = counter or counting.Counter()
    self._logger = logger or loggers.TerminalLogger('learner', time_delta=10.)

  def _split_over_local_devices(self, tasks: learning.Task) -> learning.Task:
    n = len(self._devices)
    def split(x):
      x = np.asarray(x)
      if x.shape[0] % n:
        raise ValueError(f'a meta-batch of {x.shape[0]} tasks on this host '
                         f'does not split over its {n} learner devices.')
      return x.reshape((n, -1) + x.shape[1:])
    return jax.tree_util.tree_map(split, tasks)

  def step(self):
    tasks = next(self._iterator)
    if tasks is None:  # No data yet: return to the caller.
      return
    tasks = self._split(tasks)
    if self._compiled is None:  # Compile outside the timed step.
      self._compiled = self._update.lower(self._state, tasks).compile()
    start = time.time()
    self._state, metrics = self._compiled(self._state, tasks)
    metrics = jax.device_get(self._get(metrics))  # Waits for the step.
    # `walltime` accumulates the meta-learner's own time (Fig. 6, centre).
    counts = self._counter.increment(steps=1, walltime=time.time() - start)
    self._logger.write({**metrics, **counts})

  def get_variables(self, names: List[str]) -> List[learning.Params]:
    """w for each name in `names` (each must be in `VARIABLE_NAMES`)."""
    for name in names:
      if name not in VARIABLE_NAMES:
        raise ValueError(f'Unknown variable {name!r}; MAMLLearner serves '
                         f'{", ".join(VARIABLE_NAMES)}.')
    return [self._get(self._state).meta_params for _ in names]

  def save(self) -> learning.TrainingState:
    return jax.device_get(self._get(self._state))

  def restore(self, state: learning.TrainingState):
    self._state = self._put(state)
