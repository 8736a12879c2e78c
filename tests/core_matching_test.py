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

"""Tests of the matching functions μ."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents.core import matching

POLICY_FNS = [matching.kl, matching.reverse_kl, matching.symmetric_kl]


def _logits(key, shape=(4, 3)):
  return jax.random.normal(jax.random.PRNGKey(key), shape) * 2.


@pytest.mark.parametrize('fn', POLICY_FNS)
def test_policy_matching_zero_at_equality_and_nonnegative(fn):
  a, b = _logits(0), _logits(1)
  np.testing.assert_allclose(fn(a, a), 0., atol=1e-6)
  assert fn(a, b) > 0.
  for seed in range(5):
    assert fn(_logits(2 * seed), _logits(2 * seed + 1)) >= 0.


def test_kl_closed_form_and_direction():
  p, q = jnp.array([.8, .2]), jnp.array([.5, .5])
  kl_pq = .8 * np.log(.8 / .5) + .2 * np.log(.2 / .5)
  kl_qp = .5 * np.log(.5 / .8) + .5 * np.log(.5 / .2)
  target, online = jnp.log(p), jnp.log(q)
  np.testing.assert_allclose(matching.kl(target, online), kl_pq, rtol=1e-5)
  np.testing.assert_allclose(
      matching.reverse_kl(target, online), kl_qp, rtol=1e-5)
  assert abs(kl_pq - kl_qp) > 1e-2  # The direction matters here.
  np.testing.assert_allclose(
      matching.symmetric_kl(target, online), (kl_pq + kl_qp) / 2, rtol=1e-5)


def test_symmetric_kl_is_symmetric():
  a, b = _logits(3), _logits(4)
  np.testing.assert_allclose(
      matching.symmetric_kl(a, b), matching.symmetric_kl(b, a), rtol=1e-5)


def test_temperature_flattens_target():
  target, online = jnp.array([2., 0.]), jnp.array([1., 0.])
  # At temperature 2 the target logits become [1, 0] == online.
  np.testing.assert_allclose(
      matching.kl(target, online, temperature=2.), 0., atol=1e-7)
  assert matching.kl(target, online) > 0.


def test_greedy_target_with_infinite_logits_is_finite():
  greedy = jnp.array([[0., -jnp.inf, -jnp.inf]])
  eps = .3
  probs = jnp.array([[1 - eps + eps / 3, eps / 3, eps / 3]])
  loss = matching.kl(greedy, jnp.log(probs))
  np.testing.assert_allclose(loss, -np.log(1 - eps + eps / 3), rtol=1e-5)
  grad = jax.grad(lambda l: matching.kl(greedy, l))(jnp.log(probs))
  assert np.all(np.isfinite(grad))


def test_mask_ignores_padded_entries():
  a, b = _logits(5), _logits(6)
  mask = jnp.array([1., 1., 0., 0.])
  np.testing.assert_allclose(
      matching.kl(a, b, mask), matching.kl(a[:2], b[:2]), rtol=1e-6)
  v, u = jnp.arange(4.), jnp.zeros(4)
  np.testing.assert_allclose(matching.value_matching(v, u, mask), .5)


def test_sum_reduction_is_the_mean_times_the_valid_count():
  a, b = _logits(7), _logits(8)
  mask = jnp.array([1., 0., 1., 1.])
  for fn in (matching.kl, matching.reverse_kl, matching.symmetric_kl):
    np.testing.assert_allclose(fn(a, b, mask, reduction='sum'),
                               3 * fn(a, b, mask), rtol=1e-6)
    np.testing.assert_allclose(fn(a, b, reduction='sum'), 4 * fn(a, b),
                               rtol=1e-6)
  v, u = jnp.arange(4.), jnp.zeros(4)
  np.testing.assert_allclose(matching.value_matching(v, u, mask, 'sum'),
                             0. + 4. + 9.)
  with pytest.raises(ValueError, match='reduction must be one of mean, sum'):
    matching.make_matching_fn('kl', reduction='max')


def test_value_and_l2_closed_forms():
  np.testing.assert_allclose(
      matching.value_matching(jnp.array([1., 3.]), jnp.array([0., 1.])), 2.5)
  target = {'w': jnp.ones((2, 2)), 'b': jnp.zeros(3)}
  params = {'w': jnp.zeros((2, 2)), 'b': jnp.full(3, 2.)}
  np.testing.assert_allclose(matching.squared_l2(target, params), 4. + 12.)
  np.testing.assert_allclose(matching.squared_l2(target, target), 0.)


@pytest.mark.parametrize('fn', POLICY_FNS)
def test_no_gradient_reaches_the_target(fn):
  a, b = _logits(7), _logits(8)
  g_target = jax.grad(fn, argnums=0)(a, b)
  g_online = jax.grad(fn, argnums=1)(a, b)
  np.testing.assert_array_equal(g_target, 0.)
  assert np.abs(g_online).sum() > 0.


def test_weighted_sum_matches_its_terms():
  a, b = _logits(9), _logits(10)
  va, vb = jnp.arange(4.), jnp.ones(4)
  mu = matching.make_matching_fn('kl_v')
  expected = matching.kl(a, b) + .25 * matching.value_matching(va, vb)
  np.testing.assert_allclose(
      mu(matching.Outputs(a, va), matching.Outputs(b, vb)), expected,
      rtol=1e-6)
  mu2 = matching.make_matching_fn({'kl': 2., 'l2': 1.})
  out = mu2(matching.Outputs(a, params={'x': va}),
            matching.Outputs(b, params={'x': vb}))
  np.testing.assert_allclose(
      out, 2 * matching.kl(a, b) + matching.squared_l2(va, vb), rtol=1e-6)


def test_parse_names_aliases_and_sums():
  assert matching.parse('kl') == {'kl': 1.}
  assert matching.parse('kl_s') == {'symmetric_kl': 1.}
  assert matching.parse('kl + 0.5*value') == {'kl': 1., 'value': .5}
  assert matching.parse({'v': 2.}) == {'value': 2.}


@pytest.mark.parametrize('spec, message', [
    ('kll', "unknown matching function 'kll'"),
    ({'kl': -1.}, "weight of 'kl' must be >= 0"),
    ('kl+-0.5*value', "weight of 'value' must be >= 0"),
    ({'kl': 0.}, 'zero weight'),
    (3, 'must be a string or a mapping'),
])
def test_parse_rejects_bad_specs_naming_the_field(spec, message):
  with pytest.raises(ValueError, match='my_flag') as info:
    matching.parse(spec, field='my_flag')
  assert message in str(info.value)


def test_bmg_matching_fn_compares_outputs_at_target_and_learner():
  def outputs_fn(params, meta_params, data):
    return matching.Outputs(logits=data @ params + meta_params)

  mu = matching.make_bmg_matching_fn('kl', outputs_fn)
  data = jnp.ones((3, 2))
  target, params = jnp.array([[1., 0.], [2., 0.]]), jnp.zeros((2, 2))
  want = matching.kl(data @ target + 1., data @ params + 1.)
  np.testing.assert_allclose(mu(target, params, 1., data), want, rtol=1e-6)
  # The gradient flows to the learner's parameters only.
  g_target, g_params = jax.grad(mu, argnums=(0, 1))(target, params, 1., data)
  assert not np.any(g_target) and np.any(g_params)
