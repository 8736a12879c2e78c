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

"""Tests of the BMG meta-update, the target bootstrap and the MG baseline."""

import jax
import jax.experimental
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from bmg_agents import core
from bmg_agents.core import matching

N_IN, N_OUT, N_DATA = 3, 2, 8


def _batch(seed):
  k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
  x = jax.random.normal(k1, (N_DATA, N_IN))
  y = jax.random.normal(k2, (N_DATA, N_OUT))
  return x, y


def _batches(seed, n):
  return jax.tree_util.tree_map(
      lambda *xs: jnp.stack(xs), *[_batch(seed + i) for i in range(n)])


def _objective(params, batch):
  """f: mean squared error of a linear model."""
  x, y = batch
  return jnp.mean(jnp.square(x @ params['w'] + params['b'] - y))


def _weighted_loss(params, meta_params, batch):
  """ℓ(x; w): per-example loss weights σ(w) — a meta-learned loss."""
  x, y = batch
  err = jnp.sum(jnp.square(x @ params['w'] + params['b'] - y), axis=-1)
  return jnp.mean(jax.nn.sigmoid(meta_params['weights']) * err), {}


def _lr_update(params, opt_state, meta_params, batch):
  """φ: SGD with meta-learned per-parameter learning rates exp(w)."""
  grads = jax.grad(_objective)(params, batch)
  new = jax.tree_util.tree_map(
      lambda p, g, lr: p - jnp.exp(lr) * g, params, grads, meta_params)
  return new, opt_state, {'loss': _objective(params, batch)}


def _params():
  return {'w': jax.random.normal(jax.random.PRNGKey(42), (N_IN, N_OUT)) * .5,
          'b': jnp.zeros(N_OUT)}


def _lr_meta_params():
  params = _params()
  return {'w': jnp.full(params['w'].shape, -2.) +
               .3 * jnp.arange(params['w'].size).reshape(params['w'].shape) /
               params['w'].size,
          'b': jnp.full(params['b'].shape, -1.5)}


def _l2_matching(target, params, meta_params, data):
  del meta_params, data
  return matching.squared_l2(target, params)


RULES = {
    'learned_lr': (_lr_update, _lr_meta_params),
    'loss_weights_adam': (
        core.gradient_update(_weighted_loss, optax.sgd(.1, momentum=.9)),
        lambda: {'weights': jnp.linspace(-1., 1., N_DATA)}),
}


@pytest.mark.parametrize('rule', sorted(RULES))
@pytest.mark.parametrize('K', [1, 3])
def test_mg_equals_bmg_under_l2_and_half_sgd_step_target(rule, K):
  """Eq. 3: ∇w‖x(K) − ½∇f(x(K)) − x(K)(w)‖² = ∇w f(x(K)(w))."""
  update_fn, meta_params_fn = RULES[rule]
  meta_params, params = meta_params_fn(), _params()
  opt_state = optax.sgd(.1, momentum=.9).init(params)
  inner, meta_batch = _batches(0, K), _batch(100)

  mg_grad, mg_out = core.mg_meta_gradient(
      meta_params, params, opt_state, inner, meta_batch,
      update_fn=update_fn,
      meta_objective=lambda p, w, d: _objective(p, d))
  target_fn = core.make_target_fn(update_fn, core.sgd_step(_objective, .5))
  bmg_grad, bmg_out = core.bmg_meta_gradient(
      meta_params, params, opt_state, inner,
      core.TargetData(None, meta_batch), None,
      update_fn=update_fn, target_fn=target_fn, matching_fn=_l2_matching)

  assert float(jnp.abs(core.diagnostics.flatten(mg_grad)).max()) > 1e-4
  jax.tree_util.tree_map(
      lambda a, b: np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-7),
      mg_grad, bmg_grad)
  # Both continue from the same x(K).
  jax.tree_util.tree_map(np.testing.assert_allclose, mg_out.params,
                         bmg_out.params)


def test_unroll_applies_the_rule_once_per_batch():
  meta_params, params = _lr_meta_params(), _params()
  batches = _batches(0, 3)
  unrolled, _, metrics = core.unroll(_lr_update, meta_params, params, None,
                                     batches)
  manual = params
  for i in range(3):
    manual, _, _ = _lr_update(manual, None, meta_params,
                              jax.tree_util.tree_map(lambda b: b[i], batches))
  jax.tree_util.tree_map(
      lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6),
      unrolled, manual)
  assert metrics['loss'].shape == (3,)


def _bmg_grad_and_target(target_data, L=3):
  meta_params, params = _lr_meta_params(), _params()
  target_fn = core.make_target_fn(_lr_update, core.sgd_step(_objective, .1))
  grad, out = core.bmg_meta_gradient(
      meta_params, params, None, _batches(0, 1), target_data, None,
      update_fn=_lr_update, target_fn=target_fn, matching_fn=_l2_matching)
  return grad, out


def test_no_gradient_flows_through_the_target():
  data_a = core.TargetData(_batches(10, 2), _batch(20))
  data_b = core.TargetData(_batches(30, 2), _batch(40))
  grad_a, out_a = _bmg_grad_and_target(data_a)
  grad_b, out_b = _bmg_grad_and_target(data_b)
  # Other bootstrap data -> another target -> another meta-gradient ...
  assert not np.allclose(out_a.target['w'], out_b.target['w'])
  assert not np.allclose(grad_a['w'], grad_b['w'])

  # ... but only through μ: the gradient equals the one with x̃ a constant.
  meta_params, params = _lr_meta_params(), _params()
  for target, grad in ((out_a.target, grad_a), (out_b.target, grad_b)):

    def loss_with_constant_target(w, target=target):
      x_k, _, _ = core.unroll(_lr_update, w, params, None, _batches(0, 1))
      return matching.squared_l2(target, x_k)

    expected = jax.grad(loss_with_constant_target)(meta_params)
    jax.tree_util.tree_map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5), grad,
        expected)

  # And it differs from differentiating through the bootstrap as well, so the
  # check above can tell the two apart.
  def loss_through_target(w):
    x_k, _, _ = core.unroll(_lr_update, w, params, None, _batches(0, 1))
    x_l, _, _ = core.unroll(_lr_update, w, x_k, None, data_a.batches)
    target = core.sgd_step(_objective, .1)(x_l, None, data_a.final_batch)
    # By hand: matching.squared_l2 itself stops the target's gradient.
    return sum(jnp.sum(jnp.square(t - x)) for t, x in zip(
        jax.tree_util.tree_leaves(target), jax.tree_util.tree_leaves(x_k)))

  leaky = jax.grad(loss_through_target)(meta_params)
  assert not np.allclose(leaky['w'], grad_a['w'], rtol=1e-3)


def test_bootstrap_takes_l_minus_1_meta_steps_then_the_final_step():
  meta_params, params = _lr_meta_params(), _params()
  batches, final = _batches(50, 2), _batch(60)
  final_step = core.sgd_step(_objective, .1)
  target = core.target_bootstrap(
      params, None, meta_params, core.TargetData(batches, final),
      update_fn=_lr_update, final_step=final_step)
  x = params
  for i in range(2):
    x, _, _ = _lr_update(x, None, meta_params,
                         jax.tree_util.tree_map(lambda b: b[i], batches))
  expected = final_step(x, None, final)
  jax.tree_util.tree_map(
      lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5), target,
      expected)
  # Ablation: the final step under the meta-learned rule instead.
  meta_final = core.target_bootstrap(
      params, None, meta_params, core.TargetData(batches, final),
      update_fn=_lr_update, final_step=None)
  expected, _, _ = _lr_update(x, None, meta_params, final)
  jax.tree_util.tree_map(
      lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5), meta_final,
      expected)


def test_optimizer_step_target_reuses_the_learner_state():
  params = _params()
  rms = optax.rmsprop(.01, decay=.99, eps=1e-4)
  state = rms.init(params)
  _, state = rms.update(jax.grad(_objective)(params, _batch(1)), state)
  batch = _batch(2)
  reused = core.optimizer_step(_objective, rms)(params, state, batch)
  fresh = core.optimizer_step(_objective, rms, reuse_state=False)(
      params, state, batch)
  updates, _ = rms.update(jax.grad(_objective)(params, batch), state)
  jax.tree_util.tree_map(np.testing.assert_allclose, reused,
                         optax.apply_updates(params, updates))
  assert not np.allclose(reused['w'], fresh['w'])


def test_theorem_1_bmg_step_with_curvature_target_lowers_f():
  """ξ(x(K)) = x(K) − α Gᵀ g with Gᵀ = DᵀD; a small BMG step lowers f."""
  with jax.experimental.enable_x64():
    _check_theorem_1()


def _check_theorem_1():
  meta_params, params = jax.tree_util.tree_map(
      lambda x: jnp.asarray(x, jnp.float64), (_lr_meta_params(), _params()))
  inner, batch = _batches(0, 2), _batch(0)
  flat_w, unravel_w = jax.flatten_util.ravel_pytree(meta_params)
  flat_x, unravel_x = jax.flatten_util.ravel_pytree(params)

  def x_k(flat_w):
    out, _, _ = core.unroll(_lr_update, unravel_w(flat_w), params, None, inner)
    return jax.flatten_util.ravel_pytree(out)[0]

  def f(flat_w):
    return _objective(unravel_x(x_k(flat_w)), batch)

  alpha, beta = 1e-2, 1e-2
  jac = jax.jacobian(x_k)(flat_w)  # [n_x, n_w] = Dᵀ.
  g = jax.grad(lambda x: _objective(unravel_x(x), batch))(x_k(flat_w))

  def target_fn(p, s, w, data):
    del s, w, data
    flat = jax.flatten_util.ravel_pytree(p)[0]
    return unravel_x(flat - alpha * jac @ (jac.T @ g))

  grad, out = core.bmg_meta_gradient(
      meta_params, params, None, inner, None, None, update_fn=_lr_update,
      target_fn=target_fn, matching_fn=_l2_matching)
  new_w = flat_w - beta * jax.flatten_util.ravel_pytree(grad)[0]
  assert f(new_w) < f(flat_w)
  # First order: Δf = ⟨D g, −β ∇w μ⟩ = −2αβ ‖Gᵀg‖² = −2 (β/α) μ(x̃, x(K))
  # for μ = ‖·‖² (Theorem 1 states −(β/α) μ; the 2 is ∇‖·‖²'s).
  predicted = -2 * beta / alpha * out.loss
  np.testing.assert_allclose(f(new_w) - f(flat_w), predicted, rtol=.05)


def test_k_zero_matching_through_meta_params_only():
  """K = 0 (Q(λ)-style): μ reaches w only through w-dependent outputs."""
  params = {'q': jnp.array([[1., 0., 0.], [0., 2., 0.]])}
  target = {'q': jnp.array([[1., 0., 0.], [0., 0., 3.]])}

  def policy_logits(p, eps):
    greedy = jax.nn.one_hot(jnp.argmax(p['q'], -1), 3)
    return jnp.log((1 - eps) * greedy + eps / 3)

  def mu(target_params, p, w, data):
    del data
    greedy_target = jnp.where(
        jax.nn.one_hot(jnp.argmax(target_params['q'], -1), 3) > 0, 0.,
        -jnp.inf)
    return matching.kl(greedy_target, policy_logits(p, jax.nn.sigmoid(w)))

  empty = jnp.zeros((0,))
  grad, out = core.bmg_meta_gradient(
      jnp.array(0.), params, None, empty, None, None,
      update_fn=lambda p, s, w, b: (p, s, {}),
      target_fn=lambda *args: target, matching_fn=mu)
  jax.tree_util.tree_map(np.testing.assert_array_equal, out.params, params)
  # One state's argmax disagrees with the target: raising ε lowers μ.
  assert grad < 0.
