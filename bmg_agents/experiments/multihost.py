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

"""A learner spread over H JAX processes (hosts), as on a TPU pod slice.

Each learner host is one JAX process; `initialize` joins them with
`jax.distributed.initialize` (host 0 runs the coordinator) before any JAX
work, after which `jax.devices()` lists every host's devices and a `pmap`
over them averages gradients across hosts. On a CPU the hosts are processes
of one machine: `cpu_devices` forces that many host devices per process
and the CPU collectives are gloo's. On a pod the same program runs one
learner node per pod host, on the pod's own devices (see docs/multihost.md).
The helpers below are the collectives every host must call at the same
point of its loop: none of them returns on any host before all have called.
"""

import dataclasses
import hashlib
import signal
from typing import Any, List, Optional, Sequence, Tuple

import jax
from jax._src import distributed
from jax._src import xla_bridge
from jax.experimental import multihost_utils
import numpy as np
import portpicker

from bmg_agents import anakin
from bmg_agents.core import config as config_lib


@dataclasses.dataclass(frozen=True)
class LearnerHosts:
  """The learner's topology in a Launchpad program.

  Attributes:
    num_hosts: learner nodes, one JAX process each, joined by
      `jax.distributed`; 1 is a single learner without it.
    coordinator_address: 'host:port' of host 0's coordinator, reachable by
      every learner host; None: 127.0.0.1 and a free port (all learner
      nodes on this machine).
    cpu_devices: host CPU devices forced in each learner process (XLA_FLAGS,
      the CPU form of a pod's hosts); 0: the process's own devices (a TPU
      host's chips).
    heartbeat_timeout: seconds without a host's heartbeat after which
      jax's coordination service declares it dead and ends every host
      (jax's own default is 100).
  """
  num_hosts: int = 1
  coordinator_address: Optional[str] = None
  cpu_devices: int = 0
  heartbeat_timeout: int = 20

  def __post_init__(self):
    config_lib.check_int('num_learner_hosts', self.num_hosts, 1)
    config_lib.check_int('learner_cpu_devices', self.cpu_devices, 0)
    config_lib.check_int('learner_heartbeat_timeout', self.heartbeat_timeout,
                         2)
    address = self.coordinator_address
    if address is not None and not (
        isinstance(address, str) and address.rpartition(':')[2].isdigit()):
      raise ValueError('learner_coordinator_address must be host:port, got '
                       f'{address!r}.')

  def with_address(self) -> 'LearnerHosts':
    """These hosts, with 127.0.0.1 and a free port if no address is set."""
    if self.coordinator_address is not None or self.num_hosts == 1:
      return self
    return dataclasses.replace(
        self, coordinator_address=f'127.0.0.1:{portpicker.pick_unused_port()}')


def initialize(hosts: LearnerHosts, host_id: int) -> None:
  """Joins this process to the learner hosts; call before any JAX work.

  Sets gloo for cross-process collectives of the CPU backend (what the
  CPU form needs; a TPU's collectives do not use it) and forces
  `hosts.cpu_devices` CPU devices if set. Keeps the process's SIGTERM
  handler: jax's preemption sync manager takes SIGTERM over (as a
  preemption notice), which would leave a Launchpad stop unheard until the
  launcher's SIGKILL. A host that dies ends the others within about
  `hosts.heartbeat_timeout` seconds. Call it from the main thread.
  """
  if hosts.coordinator_address is None:
    raise ValueError('initialize needs a coordinator address; see '
                     '`LearnerHosts.with_address`.')
  if hosts.cpu_devices:
    anakin.force_host_devices(hosts.cpu_devices)
  jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  sigterm = signal.getsignal(signal.SIGTERM)
  if xla_bridge.backends_are_initialized():
    raise RuntimeError('multihost.initialize must come before any JAX work.')
  # jax.distributed.initialize with the heartbeat set: the public function
  # fixes it at 10 s x 10 missed beats (jax 0.6.2, see requirements.txt).
  interval = max(1, hosts.heartbeat_timeout // 10)
  distributed.global_state.initialize(
      hosts.coordinator_address, hosts.num_hosts, host_id,
      service_heartbeat_interval_seconds=interval,
      service_max_missing_heartbeats=hosts.heartbeat_timeout // interval,
      client_heartbeat_interval_seconds=interval,
      client_max_missing_heartbeats=hosts.heartbeat_timeout // interval)
  if sigterm is not None:  # None: a handler not installed from Python.
    signal.signal(signal.SIGTERM, sigterm)


def agree_stop(finished: bool, stopped: bool) -> Tuple[bool, bool]:
  """(host 0's `finished`, whether any host is `stopped`), the same on
  every host (a collective): host 0 alone sees the program's counts, and a
  signal to any host stops them all at the same step."""
  values = np.reshape(multihost_utils.process_allgather(
      np.asarray([finished, stopped], np.int32)), (-1, 2))
  return bool(values[0, 0]), bool(values[:, 1].any())


def process_devices(devices: Sequence[jax.Device]) -> List[jax.Device]:
  """Those of `devices` that belong to this JAX process (a learner's share
  of a pmap over every host's devices).

  Raises:
    ValueError: if none does.
  """
  own = [d for d in devices if d.process_index == jax.process_index()]
  if not own:
    raise ValueError(f'none of the devices {list(devices)} belongs to JAX '
                     f'process {jax.process_index()}.')
  return own


def first_replica(tree: Any) -> Any:
  """The first device's copy of a pmapped (replicated) pytree; acme's
  `get_from_first_device` needs `jax.pxla`, gone in jax 0.6."""
  return jax.tree_util.tree_map(lambda x: x[0], tree)


def agree_int(value: int) -> int:
  """Host 0's `value`, on every host (a collective)."""
  return int(multihost_utils.broadcast_one_to_all(np.int32(value)))


def first_nonzero(value: int) -> int:
  """The lowest-numbered host's non-zero `value`, or 0 (a collective)."""
  values = multihost_utils.process_allgather(np.int32(value))
  return int(next((v for v in np.ravel(values) if v), 0))


def all_hosts(value: bool) -> bool:
  """Whether `value` is true on every host (a collective)."""
  return bool(np.all(multihost_utils.process_allgather(np.int32(value))))


def broadcast_state(learner) -> None:
  """Gives every host's `learner` host 0's state (save/restore; a
  collective): after host 0 alone restored a checkpoint, all continue from
  it."""
  learner.restore(multihost_utils.broadcast_one_to_all(learner.save()))


def state_hash(tree: Any) -> str:
  """SHA-256 of a pytree's leaves (dtypes, shapes and bytes), in order."""
  digest = hashlib.sha256()
  for leaf in jax.tree_util.tree_leaves(jax.device_get(tree)):
    leaf = np.asarray(leaf)
    digest.update(f'{leaf.dtype}{leaf.shape}'.encode())
    digest.update(np.ascontiguousarray(leaf).tobytes())
  return digest.hexdigest()
