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

"""The compatibility layer makes acme 0.4.0 work on the pinned jax."""

import subprocess
import sys
import types
import warnings

import bmg_agents  # pylint: disable=unused-import
from bmg_agents import compat
import jax
import jax.numpy as jnp
import numpy as np


def test_restores_names_acme_uses():
  assert jax.tree_map(lambda x: x + 1, {'a': 1}) == {'a': 2}
  assert jax.tree_multimap(lambda x, y: x + y, [1], [2]) == [3]
  assert jax.xla.Device is jax.Device
  assert isinstance(jnp.zeros(2), jnp.DeviceArray)


def test_apply_is_idempotent_and_only_adds():
  assert compat.apply() == []
  assert jax.tree_util.tree_map is jax.tree_map


def test_adds_a_removed_name_and_leaves_a_deprecated_one_silently():
  # jax 0.11 removed xla.pytype_aval_mappings (TFP 0.25 reads it); jax 0.6
  # still answers it from a module __getattr__ with a DeprecationWarning.
  removed = types.ModuleType('removed')
  assert compat._add_missing(removed, {'name': 1}) == ['removed.name']
  assert removed.name == 1

  def deprecated_getattr(name):
    if name != 'name':
      raise AttributeError(name)
    warnings.warn(f'{name} is deprecated', DeprecationWarning)
    return 2

  deprecated = types.ModuleType('deprecated')
  deprecated.__getattr__ = deprecated_getattr
  with warnings.catch_warnings():
    warnings.simplefilter('error')
    assert compat._add_missing(deprecated, {'name': 3}) == []
  assert 'name' not in vars(deprecated)


def test_acme_jax_utilities_run():
  from acme.jax import utils  # pylint: disable=g-import-not-at-top
  batched = utils.add_batch_dim({'x': np.ones(3)})
  assert batched['x'].shape == (1, 3)
  assert utils.batch_concat({'a': jnp.ones((2, 3)), 'b': jnp.ones((2, 1))}
                            ).shape == (2, 4)


def test_acme_fails_without_it_so_the_layer_is_needed():
  code = 'import acme.jax.utils'
  result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, check=False)
  assert result.returncode != 0
  assert 'jax' in result.stderr
