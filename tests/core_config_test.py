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

"""Tests of config validation and the meta-gradient diagnostics."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents.core import config
from bmg_agents.core import diagnostics


def test_defaults_are_the_papers():
  cfg = config.MetaGradientConfig()
  assert (cfg.meta_objective, cfg.K, cfg.L, cfg.matching) == (
      'bmg', 1, 1, 'kl')


@pytest.mark.parametrize('kwargs, field', [
    ({'K': 0}, 'K must be an integer >= 1'),
    ({'K': 1.5}, 'K must be an integer >= 1'),
    ({'L': 0}, 'L must be an integer >= 1'),
    ({'L': True}, 'L must be an integer >= 1'),
    ({'matching': 'kl_x'}, "matching: unknown matching function 'kl_x'"),
    ({'matching': {'kl': 1., 'value': -.25}},
     "matching: weight of 'value' must be >= 0"),
    ({'temperature': 0.}, 'temperature must be a number in (0'),
    ({'meta_objective': 'maml'}, 'meta_objective must be one of bmg, mg'),
    ({'final_step': 'sgd'}, 'final_step must be one of objective, meta'),
])
def test_bad_config_raises_value_error_naming_the_field(kwargs, field):
  with pytest.raises(ValueError) as info:
    config.MetaGradientConfig(**kwargs)
  assert field in str(info.value)


def test_check_range_bounds():
  config.check_range('x', 1., 0., 1.)
  with pytest.raises(ValueError, match=r'x must be a number in \[0.0, 1.0\)'):
    config.check_range('x', 1., 0., 1., high_inclusive=False)
  with pytest.raises(ValueError, match='x must be a number'):
    config.check_range('x', 'a')


def test_cosine_similarity():
  a = {'x': jnp.array([1., 0.]), 'y': jnp.array([0.])}
  b = {'x': jnp.array([1., 1.]), 'y': jnp.array([0.])}
  np.testing.assert_allclose(diagnostics.cosine_similarity(a, a), 1.)
  np.testing.assert_allclose(diagnostics.cosine_similarity(a, b),
                             1 / np.sqrt(2), rtol=1e-6)
  neg = {'x': -a['x'], 'y': a['y']}
  np.testing.assert_allclose(diagnostics.cosine_similarity(a, neg), -1.)
  zero = {'x': jnp.zeros(2), 'y': jnp.zeros(1)}
  assert diagnostics.cosine_similarity(a, zero) == 0.
  # Meta-gradients of ~1e-7 (STACX at learning rate 1e-4): no floor.
  tiny = jax.tree_util.tree_map(lambda x: x * 1e-8, b)
  np.testing.assert_allclose(diagnostics.cosine_similarity(a, tiny),
                             1 / np.sqrt(2), rtol=1e-6)


def test_batch_statistics_on_known_samples():
  grads = {'x': jnp.array([[1., 2.], [3., 2.]]), 'y': jnp.array([[0.], [2.]])}
  stats = diagnostics.batch_statistics(grads)
  # Per-coordinate unbiased variances: x0: 2, x1: 0, y: 2; mean = 4/3.
  np.testing.assert_allclose(stats['variance'], 4 / 3, rtol=1e-6)
  # Mean gradient (2, 2, 1): squared norm 9; ratio 9 / 4.
  np.testing.assert_allclose(stats['norm'], 3., rtol=1e-6)
  np.testing.assert_allclose(stats['norm_to_variance'], 9 / 4, rtol=1e-6)
  tiny = diagnostics.batch_statistics(
      jax.tree_util.tree_map(lambda x: x * 1e-8, grads))
  np.testing.assert_allclose(tiny['norm_to_variance'], 9 / 4, rtol=1e-5)
  same = diagnostics.batch_statistics({'x': jnp.ones((3, 2))})
  assert same['variance'] == 0 and same['norm_to_variance'] == np.inf


@pytest.mark.parametrize('value', [float('inf'), float('-inf'),
                                   float('nan'), '0.1'])
def test_check_range_rejects_non_finite_and_non_numbers(value):
  with pytest.raises(ValueError, match='lr must be a number'):
    config.check_range('lr', value)


def test_meta_gradient_metrics_keys_and_values():
  g = {'a': np.array([3., 0.]), 'b': np.array([4.])}
  out = diagnostics.meta_gradient_metrics(g, g)
  assert set(out) == {diagnostics.META_GRAD_NORM,
                      diagnostics.META_GRAD_COSINE}
  np.testing.assert_allclose(out['meta_grad_norm'], 5.)
  np.testing.assert_allclose(out['meta_grad_cosine'], 1., rtol=1e-6)
  zeros = {'a': np.zeros(2), 'b': np.zeros(1)}
  assert diagnostics.meta_gradient_metrics(g, zeros)['meta_grad_cosine'] == 0
