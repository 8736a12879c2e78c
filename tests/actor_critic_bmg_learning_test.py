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

"""Tests of the actor-critic agent's pure update and meta-update functions."""

import jax
import jax.experimental
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents import actor_critic_bmg as ac
from bmg_agents.actor_critic_bmg import fused
from bmg_agents.actor_critic_bmg import networks as ac_networks

OBS, ACTIONS, N = 6, 3, 4


def _rollout(seed):
  rng = np.random.RandomState(seed)
  obs = rng.randint(0, 2, size=(N + 1, OBS)).astype(np.float32)
  return ac.Rollout(observations=jnp.asarray(obs),
                    actions=jnp.asarray(rng.randint(0, ACTIONS, size=N),
                                        jnp.int32),
                    rewards=jnp.asarray(rng.randn(N), jnp.float32))


def _agent(**kwargs):
  kwargs = dict(dict(rollout_length=N, policy_hidden=(), critic_hidden=(),
                     meta_hidden=(5,), reward_history=3), **kwargs)
  config = ac.ActorCriticBMGConfig(**kwargs)
  functions = ac.make_agent_functions(ac.make_networks(ACTIONS, config),
                                      config)
  return functions, functions.init(jax.random.PRNGKey(0), jnp.zeros(OBS))


def _linear(params):
  (layer,) = params.values()
  return np.asarray(layer['w'], np.float64), np.asarray(layer['b'],
                                                        np.float64)


def test_update_matches_hand_computed_linear_case():
  """One SGD step on Eq. 4 for a linear softmax policy and linear critic."""
  lr, gamma, eps = 0.1, 0.9, 0.3
  functions, state = _agent(agent='fixed', learning_rate=lr, discount=gamma,
                            entropy=eps)
  rollout = _rollout(1)
  new_state, metrics = jax.jit(functions.update)(state, rollout)

  s = np.asarray(rollout.observations, np.float64)
  a, r = np.asarray(rollout.actions), np.asarray(rollout.rewards, np.float64)
  wp, bp = _linear(state.params.policy)
  wv, bv = _linear(state.params.critic)
  v = s @ wv[:, 0] + bv[0]
  g = np.zeros(N)
  ret = v[N]
  for t in reversed(range(N)):
    ret = r[t] + gamma * ret
    g[t] = ret
  adv = g - v[:N]
  logits = s[:N] @ wp + bp
  pi = np.exp(logits - logits.max(1, keepdims=True))
  pi /= pi.sum(1, keepdims=True)
  logpi = np.log(pi)
  onehot = np.eye(ACTIONS)[a]
  # d/dlogits of l_PG = -mean log pi(a) A and l_EN = mean sum pi log pi.
  d_pg = -(onehot - pi) * adv[:, None] / N
  neg_ent = (pi * logpi).sum(1, keepdims=True)
  d_en = pi * (logpi - neg_ent) / N
  d_logits = d_pg + eps * d_en
  d_v = -adv / N  # l_TD = mean 1/2 (G - v)^2, G not differentiated.
  expected_wp = wp - lr * s[:N].T @ d_logits
  expected_bp = bp - lr * d_logits.sum(0)
  expected_wv = wv[:, 0] - lr * s[:N].T @ d_v
  expected_bv = bv[0] - lr * d_v.sum()
  got_wp, got_bp = _linear(new_state.params.policy)
  got_wv, got_bv = _linear(new_state.params.critic)
  np.testing.assert_allclose(got_wp, expected_wp, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(got_bp, expected_bp, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(got_wv[:, 0], expected_wv, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(got_bv[0], expected_bv, rtol=1e-5, atol=1e-6)
  assert float(metrics['policy_entropy']) == pytest.approx(
      -neg_ent.mean(), rel=1e-5)
  assert float(metrics['entropy_weight']) == pytest.approx(eps)


def test_bmg_with_l2_matching_and_half_step_target_equals_mg():
  """Eq. 3: mu = ||x~ - x(K)||^2, x~ = x(K) - 1/2 grad f gives the MG grad."""
  common = dict(K=1, L=1, meta_entropy=0.)
  mg, mg_state = _agent(agent='mg', **common)
  bmg, bmg_state = _agent(agent='bmg', matching='l2',
                          target_learning_rate=0.5, **common)
  rollout = _rollout(2)
  mg_state, _ = jax.jit(mg.update)(mg_state, rollout)
  bmg_state, _ = jax.jit(bmg.update)(bmg_state, rollout)
  grad = lambda fns, st: jax.jit(jax.grad(lambda w: fns.meta_loss(w, st)[0]))(
      st.meta_params)
  g_mg, g_bmg = grad(mg, mg_state), grad(bmg, bmg_state)
  flat_mg = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(
      g_mg)])
  flat_bmg = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(
      g_bmg)])
  assert np.linalg.norm(flat_mg) > 1e-6
  np.testing.assert_allclose(flat_bmg, flat_mg, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize('matching', ['kl', 'symmetric_kl'])
def test_bmg_target_is_agents_own_later_params_plus_pg_step(matching):
  K, L = 2, 3
  functions, state = _agent(agent='bmg', K=K, L=L, matching=matching)
  assert functions.window == K + L - 1
  params_after = []
  update = jax.jit(functions.update)
  for i in range(K + L - 1):
    state, _ = update(state, _rollout(10 + i))
    params_after.append(state.params.policy)
  loss, aux = jax.jit(functions.meta_loss)(state.meta_params, state)
  # x(K)(w) recomputed from the window equals the agent's K-th iterate.
  for got, want in zip(jax.tree_util.tree_leaves(aux['policy_k']),
                       jax.tree_util.tree_leaves(params_after[K - 1])):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
  # The target is one step away from the agent's newest parameters x(T).
  delta = [np.abs(t - x).max() for t, x in zip(
      jax.tree_util.tree_leaves(aux['target']),
      jax.tree_util.tree_leaves(params_after[-1]))]
  assert 0 < max(delta) < 1.
  assert float(loss) > 0.
  new_state, metrics = jax.jit(functions.meta_update)(state)
  assert float(metrics['meta_grad_norm']) > 0.
  changed = [not np.allclose(a, b) for a, b in zip(
      jax.tree_util.tree_leaves(new_state.meta_params),
      jax.tree_util.tree_leaves(state.meta_params))]
  assert any(changed)


def test_mg_meta_gradient_matches_finite_differences():
  functions, state = _agent(agent='mg', K=2, meta_entropy=0.1)
  update = jax.jit(functions.update)
  for i in range(2):
    state, _ = update(state, _rollout(20 + i))
  with jax.experimental.enable_x64():
    to64 = lambda tree: jax.tree_util.tree_map(
        lambda x: x.astype(jnp.float64) if x.dtype == jnp.float32 else x,
        tree)
    state = to64(state)
    loss = jax.jit(lambda w: functions.meta_loss(w, state)[0])
    w = state.meta_params
    g = jax.jit(jax.grad(loss))(w)
    rng = np.random.RandomState(0)
    direction = jax.tree_util.tree_map(
        lambda x: jnp.asarray(rng.randn(*x.shape)), w)
    h = 1e-4
    shift = lambda c: jax.tree_util.tree_map(lambda x, d: x + c * d, w,
                                             direction)
    numeric = (loss(shift(h)) - loss(shift(-h))) / (2 * h)
    analytic = sum(jnp.vdot(a, b) for a, b in zip(
        jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(direction)))
  assert abs(float(analytic)) > 1e-6
  np.testing.assert_allclose(float(numeric), float(analytic), rtol=1e-4)


@pytest.mark.parametrize('agent', ['bmg'])
def test_fused_runner_agrees_with_python_loop(agent):
  config = ac.ActorCriticBMGConfig(
      agent=agent, K=1, L=2, rollout_length=4, policy_hidden=(16,),
      critic_hidden=(16,), meta_hidden=(4,), meta_learning_rate=1e-2)
  num_cycles = 3
  runner = fused.make_fused_runner(config, flip_period=20)
  state = runner.init(jax.random.PRNGKey(7))
  _, fused_metrics = jax.jit(
      lambda s: runner.run(s, num_cycles, 1))(state)
  _, loop_metrics = fused.run_python_loop(config, 7, num_cycles,
                                          flip_period=20)
  assert set(fused_metrics) == set(loop_metrics)
  for key in loop_metrics:
    np.testing.assert_allclose(fused_metrics[key], loop_metrics[key],
                               rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.parametrize('initial', [0.5, 0.1, 0.02])
def test_meta_learner_starts_at_the_initial_entropy(initial):
  config = ac.ActorCriticBMGConfig(initial_entropy=initial)
  nets = ac_networks.make_networks(4, config)
  stats = ac_networks.dummy_stats(config)  # No reward yet: zeros.
  w = nets.meta_init(jax.random.PRNGKey(3), stats)
  np.testing.assert_allclose(nets.meta_apply(w, stats), initial, rtol=1e-5)
  # It is an initialisation, not a constant: other inputs move it.
  assert not np.isclose(nets.meta_apply(w, stats + 1.), initial)


def test_config_errors_name_the_field():
  with pytest.raises(ValueError, match='agent'):
    ac.ActorCriticBMGConfig(agent='sgd')
  with pytest.raises(ValueError, match='L must'):
    ac.ActorCriticBMGConfig(L=0)
  with pytest.raises(ValueError, match='matching'):
    ac.ActorCriticBMGConfig(matching='value')
  with pytest.raises(ValueError, match='initial_entropy'):
    ac.ActorCriticBMGConfig(initial_entropy=1.)
  with pytest.raises(ValueError, match='final_step'):
    ac.ActorCriticBMGConfig(final_step='pg')
  assert ac.ActorCriticBMGConfig(agent='bmg', K=3, L=5).window == 7
  assert ac.ActorCriticBMGConfig(agent='mg', K=3, L=5).window == 3
