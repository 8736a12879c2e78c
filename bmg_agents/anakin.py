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

"""A fused (Anakin-style) runner: environment, acting and learning in one jit.

The whole agent-environment step is a pure function `step_fn(state) ->
(state, metrics)` of one seed's state. This module `vmap`s it over a leading
axis of seeds (or hyper-parameter settings: put them in the state), `scan`s
it `chunk_size` times inside one compiled call, and `pmap`s the seeds over the
local devices (host CPU devices too: set
`XLA_FLAGS=--xla_force_host_platform_device_count=N` before jax starts; see
`force_host_devices`). See "Podracer architectures for scalable
reinforcement learning" (Hessel et al., 2021) for the pattern.
"""

import functools
import math
import os
import time
from typing import Any, Callable, Optional, Tuple

import jax
import jax.numpy as jnp
import numpy as np

State = Any
Metrics = Any
StepFn = Callable[[State], Tuple[State, Metrics]]
# (chunks done, environment steps done per seed, metrics of this chunk).
Callback = Callable[[int, int, Metrics], None]
# (chunks done, () -> the state fetched to the host [S, ...]): e.g. to save
# a checkpoint; called after every chunk, fetching only when asked to.
StateCallback = Callable[[int, Callable[[], State]], None]


def _add_xla_flag(name: str, value) -> None:
  """Appends --name=value to XLA_FLAGS unless they already set `name`."""
  flags = os.environ.get('XLA_FLAGS', '')
  if name not in flags:
    os.environ['XLA_FLAGS'] = f'{flags} --{name}={value}'.strip()


def force_host_devices(n: int) -> None:
  """Asks XLA for `n` host CPU devices; must run before jax initialises."""
  _add_xla_flag('xla_force_host_platform_device_count', n)


def use_classic_cpu_runtime() -> None:
  """Runs XLA:CPU's classic runtime rather than its thunk runtime.

  jax 0.6.2's default thunk runtime runs the fused STACX step 3.7-5.3x
  slower inside `run`'s `lax.scan` than jitted on its own; the classic
  runtime runs the scan at the single step's speed
  (`benchmarks/xla_cpu_runtime.py`, docs/impala_bmg.md). Numbers agree to
  float rounding, not bit for bit, across the two runtimes. XLA_FLAGS that
  already choose a runtime win.

  Raises:
    RuntimeError: if jax has started its backends (the flag would be
      ignored).
  """
  name = 'xla_cpu_use_thunk_runtime'
  if (name not in os.environ.get('XLA_FLAGS', '') and
      jax._src.xla_bridge.backends_are_initialized()):  # pylint: disable=protected-access
    raise RuntimeError('use_classic_cpu_runtime() must run before jax '
                       'starts its backends (before any jax computation).')
  _add_xla_flag(name, 'false')


def _shard(tree, n):
  return jax.tree_util.tree_map(
      lambda x: x.reshape((n, x.shape[0] // n) + x.shape[1:]), tree)


def _unshard(tree):
  return jax.tree_util.tree_map(
      lambda x: x.reshape((-1,) + x.shape[2:]), tree)


def num_shards(num_seeds: int, num_devices: int) -> int:
  """The largest device count <= `num_devices` that divides `num_seeds`."""
  return max(d for d in range(1, num_devices + 1) if num_seeds % d == 0)


def _mean_over_time(metrics: Metrics) -> Metrics:
  return jax.tree_util.tree_map(lambda x: jnp.mean(x, axis=0), metrics)


@functools.lru_cache(maxsize=8)
def _chunk_fn(step_fn: StepFn, reduce_fn, chunk_size: int, per_device: int,
              group: int, devices: tuple):
  """The pmapped chunk; cached, so runs continued in one process (a resumed
  or checkpointed run) compile it once."""

  def run_group(state):
    state, metrics = jax.lax.scan(
        lambda s, _: jax.vmap(step_fn)(s), state, None, length=chunk_size)
    return state, reduce_fn(metrics)

  def run_chunk(state):
    if group == per_device:
      return run_group(state)
    state, metrics = jax.lax.map(run_group, _shard(state, per_device // group))
    return _unshard(state), _unshard(metrics)

  return jax.pmap(run_chunk, devices=list(devices), donate_argnums=0)


def run(step_fn: StepFn, state: State, num_steps: int, chunk_size: int, *,
        reduce_fn: Callable[[Metrics], Metrics] = None,
        callback: Optional[Callback] = None,
        devices: Optional[list] = None,
        max_seeds_per_group: Optional[int] = None,
        state_callback: Optional[StateCallback] = None
        ) -> Tuple[State, Metrics]:
  """Runs `step_fn` `num_steps` times on every seed of `state`.

  Args:
    step_fn: one seed's step, state -> (state, metrics); pure and jit-able.
    state: a pytree whose leaves have a leading axis of seeds S.
    num_steps: steps per seed; a multiple of `chunk_size`.
    chunk_size: steps per compiled call; metrics are reduced over a chunk.
    reduce_fn: reduces a chunk's metrics over its leading (time) axis;
      default: mean.
    callback: called after every chunk (e.g. progress and logging).
    devices: devices to shard seeds over; default: all local devices (as many
      as divide S).
    max_seeds_per_group: if set, each device runs its seeds in groups of at
      most this many (the largest divisor of the seeds per device not above
      it), one group after another (`lax.map`), each for the whole chunk: a
      group's parameters stay in the CPU caches, where one vmap over all of
      a device's seeds streams them from memory every step. The results are
      the same; only the speed changes.
    state_callback: called after every chunk with the chunks done and a
      function that fetches the state to the host.

  Returns:
    (final state [S, ...], metrics [num_steps // chunk_size, S, ...]).

  Raises:
    ValueError: if num_steps is not a positive multiple of chunk_size.
  """
  if chunk_size < 1 or num_steps < chunk_size or num_steps % chunk_size:
    raise ValueError(f'num_steps ({num_steps}) must be a positive multiple of '
                     f'the chunk size ({chunk_size}).')
  reduce_fn = reduce_fn or _mean_over_time
  devices = devices or jax.local_devices()
  num_seeds = jax.tree_util.tree_leaves(state)[0].shape[0]
  n = num_shards(num_seeds, len(devices))
  per_device = num_seeds // n
  if max_seeds_per_group is not None and max_seeds_per_group < 1:
    raise ValueError('max_seeds_per_group must be >= 1, got '
                     f'{max_seeds_per_group}.')
  group = max(g for g in range(1, per_device + 1) if per_device % g == 0
              and g <= (max_seeds_per_group or per_device))
  run_chunk = _chunk_fn(step_fn, reduce_fn, chunk_size, per_device, group,
                        tuple(devices[:n]))
  state = _shard(state, n)
  chunks = []
  for i in range(num_steps // chunk_size):
    state, metrics = run_chunk(state)
    metrics = _unshard(jax.device_get(metrics))
    chunks.append(metrics)
    if callback is not None:
      callback(i + 1, (i + 1) * chunk_size, metrics)
    if state_callback is not None:
      state_callback(i + 1, lambda: _unshard(jax.device_get(state)))
  metrics = jax.tree_util.tree_map(lambda *xs: np.stack(xs), *chunks)
  return _unshard(state), metrics


class Progress:
  """A callback printing steps/s and an ETA every `every_secs` seconds."""

  def __init__(self, total_steps: int, num_seeds: int, label: str = '',
               every_secs: float = 10., print_fn=print):
    self._total, self._seeds, self._label = total_steps, num_seeds, label
    self._every, self._print = every_secs, print_fn
    self._start = self._last = time.time()

  def __call__(self, chunk: int, steps: int, metrics: Metrics) -> None:
    del chunk, metrics
    now = time.time()
    if now - self._last < self._every and steps < self._total:
      return
    self._last = now
    elapsed = now - self._start
    rate = steps * self._seeds / max(elapsed, 1e-9)
    eta = (self._total - steps) * self._seeds / max(rate, 1e-9)
    self._print(f'{self._label} {steps:,}/{self._total:,} steps per seed '
                f'({100 * steps / self._total:.0f}%), {rate:,.0f} steps/s '
                f'over {self._seeds} seeds, ETA {math.ceil(eta)}s')
