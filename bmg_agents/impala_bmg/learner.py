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

"""The acme learner of STACX / STACX-BMG: pmaps `learning`'s pure update."""

import time
from typing import Any, Callable, Iterator, List, Optional, Sequence

import acme
from acme.jax import utils as acme_utils
from acme.utils import counting
from acme.utils import loggers
import jax

from bmg_agents.experiments import multihost
from bmg_agents.impala_bmg import learning

# The one variable name served to actors: everything the policy needs.
POLICY = 'policy'


class STACXLearner(acme.Learner):
  """Data-parallel STACX / STACX-BMG learner (pmap over all devices).

  Every device holds a replica of the state and a slice of each batch;
  gradients and meta-gradients are averaged over devices (`make_fns` builds
  them with the pmap axis name), so one step on D devices equals one step on
  the whole batch on one device. `step()` is I/O only: it takes a batch
  (returning at once, without an update, when the iterator yields None),
  runs the compiled update and logs its metrics.

  Multi-host (after `jax.distributed.initialize`, one learner per JAX
  process): the pmap spans every process's devices, each process's iterator
  yields its own shard of the global batch, split over its local devices,
  and every host holds the same state after every step. A host whose
  iterator yields None keeps the others waiting: each step first gathers
  from every host whether it holds a batch, and all update only when all
  do (a host's batch waits for the next step otherwise).
  """

  def __init__(self,
               make_fns: Callable[[Optional[str]], learning.LearnerFns],
               initial_state: learning.TrainingState,
               iterator: Iterator[Optional[learning.LearnerBatch]],
               counter: Optional[counting.Counter] = None,
               logger: Optional[loggers.Logger] = None,
               devices: Optional[Sequence[jax.Device]] = None):
    """Creates the learner.

    Args:
      make_fns: axis name -> `LearnerFns`, e.g. a partial of
        `learning.make_learner_fns`.
      initial_state: the unreplicated `TrainingState`.
      iterator: yields `LearnerBatch`es of numpy arrays, or None when no
        data arrived in time.
      counter: counts learner steps.
      logger: receives the metrics of every step (default: a terminal
        logger printing every 10 s).
      devices: devices to pmap over, the same on every process (default:
        `jax.devices()`, every process's); the state and the batch go to
        this process's share of them.
    """
    devices = list(devices or jax.devices())
    self._devices = multihost.process_devices(devices)
    self._multihost = jax.process_count() > 1
    self._pending = None  # A batch waiting for the other hosts' batches.
    self._iterator = iterator
    self._update = jax.pmap(make_fns(learning.PMAP_AXIS_NAME).update,
                            axis_name=learning.PMAP_AXIS_NAME,
                            devices=devices)
    self._state = acme_utils.replicate_in_all_devices(
        initial_state, self._devices)
    self._counter = counter or counting.Counter()
    self._logger = logger or loggers.TerminalLogger('learner',
                                                    time_delta=10.)

  def step(self):
    """One learner update; logs metrics, meta-parameters and diagnostics."""
    if self._pending is None:
      self._pending = next(self._iterator)  # None: no data within timeout.
    ready = self._pending is not None
    if self._multihost:  # The update is a collective: all hosts or none.
      ready = multihost.all_hosts(ready)
    if not ready:
      return
    batch, self._pending = self._pending, None
    batch = learning.shard(batch, len(self._devices))
    start = time.time()
    self._state, metrics = self._update(self._state, batch)
    metrics = jax.device_get(multihost.first_replica(metrics))
    counts = self._counter.increment(steps=1,
                                     time_elapsed=time.time() - start)
    self._logger.write({**{k: float(v) for k, v in metrics.items()},
                        **counts})

  def get_variables(self, names: Sequence[str]) -> List[Any]:
    """[params] for each name; 'policy' is the only name served."""
    unknown = set(names) - {POLICY}
    if unknown:
      raise ValueError(f'STACXLearner serves only {POLICY!r}, was asked for '
                       f'{sorted(unknown)}.')
    return [multihost.first_replica(self._state.params) for _ in names]

  def save(self) -> learning.TrainingState:
    return jax.device_get(multihost.first_replica(self._state))

  def restore(self, state: learning.TrainingState):
    self._state = acme_utils.replicate_in_all_devices(state, self._devices)

  @property
  def state(self) -> learning.TrainingState:
    """The first replica's state."""
    return self.save()
