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

"""Tests of the fused runner."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents import anakin


def _step(state):
  """A random walk with a per-seed drift: state = (key, position, drift)."""
  key, pos, drift = state
  key, sub = jax.random.split(key)
  pos = pos + drift + jax.random.normal(sub)
  return (key, pos, drift), {'pos': pos}


def _init(num_seeds):
  keys = jax.random.split(jax.random.PRNGKey(0), num_seeds)
  return keys, jnp.zeros(num_seeds), jnp.arange(num_seeds, dtype=jnp.float32)


def test_fused_run_equals_stepping_each_seed_by_hand():
  state, metrics = anakin.run(_step, _init(3), num_steps=6, chunk_size=3)
  for seed in range(3):
    s = jax.tree_util.tree_map(lambda x, seed=seed: x[seed], _init(3))
    positions = []
    for _ in range(6):
      s, m = _step(s)
      positions.append(float(m['pos']))
    np.testing.assert_allclose(state[1][seed], s[1], rtol=1e-5)
    # Metrics are per-chunk means: [chunks, seeds].
    np.testing.assert_allclose(
        metrics['pos'][:, seed],
        [np.mean(positions[:3]), np.mean(positions[3:])], rtol=1e-5)


def test_callback_sees_every_chunk():
  seen = []
  anakin.run(_step, _init(2), 8, 2,
             callback=lambda c, s, m: seen.append((c, s, m['pos'].shape)))
  assert seen == [(1, 2, (2,)), (2, 4, (2,)), (3, 6, (2,)), (4, 8, (2,))]


@pytest.mark.parametrize('max_group', [1, 2, 4, 6])
def test_seed_groups_give_the_same_numbers(max_group):
  whole, whole_metrics = anakin.run(_step, _init(6), 4, 2)
  grouped, grouped_metrics = anakin.run(_step, _init(6), 4, 2,
                                        max_seeds_per_group=max_group)
  for a, b in zip(jax.tree_util.tree_leaves((whole, whole_metrics)),
                  jax.tree_util.tree_leaves((grouped, grouped_metrics))):
    np.testing.assert_allclose(a, b, rtol=1e-6)
  assert grouped_metrics['pos'].shape == (2, 6)


def test_seed_group_size_must_be_positive():
  with pytest.raises(ValueError, match='max_seeds_per_group'):
    anakin.run(_step, _init(6), 2, 2, max_seeds_per_group=0)


def test_bad_chunking_is_a_value_error():
  with pytest.raises(ValueError, match='multiple of the chunk size'):
    anakin.run(_step, _init(2), 5, 2)


def test_num_shards_divides_seeds():
  assert anakin.num_shards(50, 2) == 2
  assert anakin.num_shards(5, 2) == 1
  assert anakin.num_shards(6, 4) == 3


def test_sharding_over_two_host_devices_gives_the_same_numbers():
  code = textwrap.dedent("""
      from bmg_agents import anakin
      anakin.force_host_devices(2)
      import jax, numpy as np
      from tests.anakin_test import _step, _init
      assert jax.local_device_count() == 2
      two, _ = anakin.run(_step, _init(4), 4, 2)
      one, _ = anakin.run(_step, _init(4), 4, 2, devices=jax.devices()[:1])
      np.testing.assert_allclose(two[1], one[1], rtol=1e-6)
      print('ok')
  """)
  env = dict(os.environ, XLA_FLAGS='')
  result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, check=False, env=env,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
  assert result.stdout.strip().endswith('ok'), result.stderr[-2000:]


def test_classic_cpu_runtime_sets_its_flag_once_and_agrees_with_thunk(
    tmp_path):
  code = textwrap.dedent("""
      import os
      from bmg_agents import anakin
      anakin.use_classic_cpu_runtime()
      anakin.force_host_devices(1)
      anakin.use_classic_cpu_runtime()
      assert os.environ['XLA_FLAGS'] == (
          '--xla_cpu_use_thunk_runtime=false '
          '--xla_force_host_platform_device_count=1'), os.environ['XLA_FLAGS']
      import numpy as np
      from tests.anakin_test import _step, _init
      state, _ = anakin.run(_step, _init(4), 4, 2)
      np.save(os.environ['OUT'], np.asarray(state[1]))
  """)
  out = str(tmp_path / 'classic.npy')
  env = dict(os.environ, XLA_FLAGS='', OUT=out)
  result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, check=False, env=env,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
  assert result.returncode == 0, result.stderr[-2000:]
  thunk, _ = anakin.run(_step, _init(4), 4, 2, devices=jax.devices()[:1])
  np.testing.assert_allclose(np.load(out), thunk[1], rtol=1e-6)


def test_classic_cpu_runtime_refuses_once_jax_has_started(monkeypatch):
  jnp.ones(1).block_until_ready()  # Starts the backends.
  monkeypatch.setenv('XLA_FLAGS', '')
  with pytest.raises(RuntimeError, match='before jax starts'):
    anakin.use_classic_cpu_runtime()
