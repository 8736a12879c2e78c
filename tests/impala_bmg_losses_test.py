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

"""Tests of the STACX losses: leaky V-trace wiring, LASER, meta-parameters."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import rlax

from bmg_agents.impala_bmg import losses


def _softmax(x):
  e = np.exp(x - x.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


def _reference(logits, values, behaviour, actions, rewards, discounts, h,
               rho_bar):
  """Leaky V-trace of App. C written out with numpy loops (c̄ = 1)."""
  t_max = len(actions) - 1
  pi, mu = _softmax(logits), _softmax(behaviour)
  eta = np.array([pi[t, actions[t]] / mu[t, actions[t]]
                  for t in range(t_max)])
  rho = h.alpha * np.minimum(eta, rho_bar) + (1 - h.alpha) * eta
  c = h.lambda_ * (h.alpha * np.minimum(eta, 1.) + (1 - h.alpha) * eta)
  g = h.discount * discounts[:t_max]
  delta = rho * (rewards[:t_max] + g * values[1:] - values[:-1])
  targets = np.zeros(t_max)
  for t in range(t_max):  # G_t = v_t + Σ_i (Π_{j<i} g_{t+j} c_{t+j}) δ_{t+i}.
    acc, scale = 0., 1.
    for i in range(t, t_max):
      acc += scale * delta[i]
      scale *= g[i] * c[i]
    targets[t] = values[t] + acc
  boot = np.append(h.lambda_ * targets[1:] + (1 - h.lambda_) * values[1:-1],
                   values[-1])
  adv = rho * (rewards[:t_max] + g * boot - values[:-1])
  log_pi = np.log(pi[np.arange(t_max), actions[:t_max]])
  td = .5 * np.mean((targets - values[:-1])**2)
  pg = -np.mean(log_pi * adv)
  entropy = -np.sum(pi[:t_max] * np.log(pi[:t_max]), -1)
  return targets, td, pg, entropy


def _hand_case():
  logits = np.array([[1., 0.], [0., 2.], [.5, .5], [0., 0.]], np.float32)
  behaviour = np.array([[0., 1.], [0., 0.], [2., 0.], [0., 0.]], np.float32)
  values = np.array([.5, -1., 2., 1.], np.float32)
  actions = np.array([0, 1, 0, 0], np.int32)
  rewards = np.array([1., 0., -1., 0.], np.float32)
  discounts = np.array([1., 0., 1., 1.], np.float32)  # A life lost at t=1.
  return logits, values, behaviour, actions, rewards, discounts


@pytest.mark.parametrize('alpha,lambda_,rho_bar', [
    (1., 1., 1.), (.3, .7, 1.), (.8, 1., 1.5)])
def test_leaky_vtrace_loss_matches_hand_computation(alpha, lambda_, rho_bar):
  logits, values, behaviour, actions, rewards, discounts = _hand_case()
  h = losses.Hypers(discount=.9, lambda_=lambda_, alpha=alpha, pg_cost=1.,
                    entropy_cost=.1, td_cost=.5)
  targets, td, pg, entropy = _reference(
      logits, values, behaviour, actions, rewards, discounts, h, rho_bar)
  loss, metrics = losses.actor_critic_loss(
      logits, values, behaviour, actions, rewards, discounts, np.ones(3),
      jax.tree_util.tree_map(jnp.float32, h), rho_bar=rho_bar,
      max_entropy_fraction=1.)
  np.testing.assert_allclose(metrics['td_loss'], td, rtol=1e-5)
  np.testing.assert_allclose(metrics['pg_loss'], pg, rtol=1e-5)
  np.testing.assert_allclose(
      loss, pg - .1 * np.mean(entropy) + .5 * td, rtol=1e-5)
  if alpha == 1. and lambda_ == 1.:  # Plain V-trace (rlax).
    pi, mu = _softmax(logits[:-1]), _softmax(behaviour[:-1])
    rhos = pi[np.arange(3), actions[:-1]] / mu[np.arange(3), actions[:-1]]
    vtrace = rlax.vtrace(values[:-1], values[1:], rewards[:-1],
                         .9 * discounts[:-1], rhos)
    np.testing.assert_allclose(vtrace + values[:-1], targets, rtol=1e-5)


def test_gradients_stop_at_targets_but_reach_hyper_parameters():
  logits, values, behaviour, actions, rewards, discounts = _hand_case()
  h = losses.Hypers(*[jnp.float32(x) for x in (.9, .8, .7, 1., .1, .5)])

  def loss(values, logits, h):
    return losses.actor_critic_loss(
        logits, values, behaviour, actions, rewards, discounts, jnp.ones(3),
        h, rho_bar=1., max_entropy_fraction=1.)[0]

  # d/dv of the TD part is -(G - v) ε_TD / T: no gradient through G.
  targets, _, _, _ = _reference(logits, values, behaviour, actions, rewards,
                                discounts, h, 1.)
  g_values = jax.grad(loss)(values, logits, h)
  expected = np.append(-(targets - values[:-1]) * .5 / 3, 0.)
  np.testing.assert_allclose(g_values, expected, rtol=1e-5, atol=1e-7)
  # The hyper-parameters inside the targets do get gradients.
  g_h = jax.grad(loss, argnums=2)(values, logits, h)
  for name in ('discount', 'lambda_', 'alpha', 'pg_cost', 'td_cost'):
    assert abs(float(getattr(g_h, name))) > 1e-6, name
  # The second-order term the meta-gradient needs: ∂(∇_logits f)/∂γ ≠ 0.
  mixed = jax.grad(lambda g: jnp.sum(jax.grad(loss, argnums=1)(
      values, logits, h._replace(discount=g))**2))(h.discount)
  assert abs(float(mixed)) > 1e-6


def test_entropy_cap():
  logits = np.zeros((4, 3), np.float32)  # Uniform: entropy = log 3.
  args = (np.zeros(4, np.float32), logits, np.zeros(4, np.int32),
          np.zeros(4, np.float32), np.ones(4, np.float32), np.ones(3))
  h = losses.Hypers(*[jnp.float32(x) for x in (.9, 1., 1., 0., 1., 0.)])

  def loss(logits, fraction):
    return losses.actor_critic_loss(
        logits, args[0], args[1], args[2], args[3], args[4], args[5], h,
        rho_bar=1., max_entropy_fraction=fraction)[0]

  np.testing.assert_allclose(loss(logits, .9), -.9 * np.log(3), rtol=1e-6)
  # Above the cap the entropy term pushes no further.
  assert np.abs(jax.grad(loss)(logits + 1e-3 * np.arange(3), .9)).max() == 0
  assert np.abs(jax.grad(loss)(logits + np.arange(3), .9)).max() > 0


def test_laser_mask_filters_only_far_replayed_steps():
  behaviour = np.zeros((2, 3, 2), np.float32)
  logits = np.zeros((2, 3, 2), np.float32)
  logits[:, 1] = [10., -10.]  # KL(uniform ‖ near-greedy) ≈ 9.3 > 2.
  logits[:, 0] = [1., 0.]  # KL ≈ 0.06.
  mask = losses.laser_mask(logits, behaviour, np.array([False, True]), 2.)
  np.testing.assert_array_equal(mask, [[1., 1.], [1., 0.]])


def test_meta_parameters_start_at_p_and_stay_in_range():
  p = losses.Hypers(discount=.995, lambda_=1., alpha=1., pg_cost=1.,
                    entropy_cost=.01, td_cost=.25)
  w = losses.init_meta_params(p, num_heads=3)
  assert w.discount.shape == (3,)
  h = losses.squash(w, p)
  np.testing.assert_allclose(h.discount, .995, rtol=1e-6)
  np.testing.assert_allclose(h.lambda_, .995, rtol=1e-6)  # 1 -> .995.
  np.testing.assert_allclose(h.alpha, .995, rtol=1e-6)
  np.testing.assert_allclose(h.pg_cost, 1., rtol=1e-6)
  np.testing.assert_allclose(h.entropy_cost, .01, rtol=1e-6)
  np.testing.assert_allclose(h.td_cost, .25, rtol=1e-6)
  for extreme in (-1e4, -30., 30., 1e4):
    h = losses.squash(jax.tree_util.tree_map(
        lambda x: jnp.full_like(x, extreme), w), p)
    for name in ('discount', 'lambda_', 'alpha'):
      assert np.all((0. <= getattr(h, name)) & (getattr(h, name) <= 1.))
    for name in ('pg_cost', 'entropy_cost', 'td_cost'):
      value = getattr(h, name)
      assert np.all((0. <= value) & (value <= 2. * getattr(p, name)))
