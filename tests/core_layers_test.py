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

"""core.layers computes what Haiku's conv and pool compute, derivatives too."""

import types

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents.core import layers
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import networks as networks_lib


def _second_derivative(f, params, x):
  """d/dparams of |d/dx f|²: differentiates f twice, as meta-gradients do."""
  def grad_norm(p):
    g = jax.grad(lambda y: jnp.sum(jnp.tanh(f(p, y))))(x)
    return jnp.sum(g ** 2)
  return jax.grad(grad_norm)(params)


@pytest.mark.parametrize('with_bias', [True, False])
def test_conv3x3_is_haiku_conv2d_with_the_same_parameters(with_bias):
  ours = hk.without_apply_rng(hk.transform(
      lambda x: layers.Conv3x3(5, with_bias, name='conv')(x)))
  haiku = hk.without_apply_rng(hk.transform(
      lambda x: hk.Conv2D(5, 3, padding='SAME', with_bias=with_bias,
                          name='conv')(x)))
  x = jax.random.normal(jax.random.PRNGKey(1), (2, 7, 6, 3))
  params = ours.init(jax.random.PRNGKey(0), x)
  # Same names, shapes and initial values.
  jax.tree_util.tree_map(np.testing.assert_array_equal, params,
                         haiku.init(jax.random.PRNGKey(0), x))
  params = jax.tree_util.tree_map(  # A non-zero bias.
      lambda p: p + jax.random.normal(jax.random.PRNGKey(2), p.shape), params)
  np.testing.assert_allclose(ours.apply(params, x), haiku.apply(params, x),
                             rtol=1e-5, atol=1e-5)
  jax.tree_util.tree_map(
      lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4),
      _second_derivative(ours.apply, params, x),
      _second_derivative(haiku.apply, params, x))


@pytest.mark.parametrize('shape', [(10, 10), (5, 3), (2, 1), (1, 1)])
def test_max_pool_is_haiku_max_pool_3x3_stride_2_same(shape):
  x = jax.random.normal(jax.random.PRNGKey(0), (2, *shape, 3))
  ours = layers.max_pool_3x3_stride_2
  haiku = lambda y: hk.max_pool(y, (1, 3, 3, 1), (1, 2, 2, 1), 'SAME')
  np.testing.assert_array_equal(ours(x), haiku(x))
  w = jax.random.normal(jax.random.PRNGKey(1), haiku(x).shape)
  np.testing.assert_array_equal(  # Random inputs: no ties.
      jax.grad(lambda y: jnp.sum(w * ours(y) ** 2))(x),
      jax.grad(lambda y: jnp.sum(w * haiku(y) ** 2))(x))


def test_stacx_torso_is_the_same_function_either_way():
  spec = types.SimpleNamespace(
      observations=types.SimpleNamespace(shape=(10, 10, 4)),
      actions=types.SimpleNamespace(num_values=3))
  ours, xla = (networks_lib.make_networks(spec, config_lib.STACXConfig(
      torso_channels=(4, 8), num_residual_blocks=1, torso_output_size=16,
      head_hidden_sizes=(8,), im2col=im2col)) for im2col in (True, False))
  params = ours.init(jax.random.PRNGKey(0))
  jax.tree_util.tree_map(np.testing.assert_array_equal, params,
                         xla.init(jax.random.PRNGKey(0)))
  x = jax.random.uniform(jax.random.PRNGKey(1), (3, 2, 10, 10, 4))
  for a, b in zip(ours.apply(params, x), xla.apply(params, x)):
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
