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

import os
import subprocess
import sys
import textwrap
import types

from dm_env import specs
import jax
import jax.experimental
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents import actor_critic_bmg as ac
from bmg_agents import core
from bmg_agents.actor_critic_bmg import fused
from bmg_agents.actor_critic_bmg import learning
from bmg_agents.actor_critic_bmg import losses
from bmg_agents.actor_critic_bmg import networks as ac_networks

OBS, ACTIONS, N = 6, 3, 4


def _spec(obs_shape=(OBS,), num_actions=ACTIONS):
  return types.SimpleNamespace(
      observations=specs.Array(obs_shape, np.float32),
      actions=specs.DiscreteArray(num_actions))


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
  functions = ac.make_agent_functions(ac.make_networks(_spec(), config),
                                      config, continuing=True)
  return functions, functions.init(jax.random.PRNGKey(0), jnp.zeros(OBS))


def _linear(params):
  (layer,) = params.values()
  return np.asarray(layer['w'], np.float64), np.asarray(layer['b'],
                                                        np.float64)


def test_update_matches_hand_computed_linear_case():
  """One SGD step on Eq. 4 for a linear softmax policy and linear critic."""
  lr, gamma, eps = 0.1, 0.9, 0.3
  functions, state = _agent(meta_objective='none', learning_rate=lr,
                            discount=gamma, entropy=eps)
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
  mg, mg_state = _agent(meta_objective='mg', **common)
  bmg, bmg_state = _agent(meta_objective='bmg', matching='l2',
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
  functions, state = _agent(meta_objective='bmg', K=K, L=L, matching=matching)
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


def test_summed_kl_matching_scales_the_meta_gradient_by_the_rollout_length():
  grads = {}
  for reduction in ('mean', 'sum'):
    functions, state = _agent(meta_objective='bmg', K=1, L=2,
                              matching_reduction=reduction)
    for i in range(functions.window):
      state, _ = functions.update(state, _rollout(20 + i))
    grads[reduction] = jax.grad(
        lambda w: functions.meta_loss(w, state)[0])(state.meta_params)
  for mean, total in zip(jax.tree_util.tree_leaves(grads['mean']),
                         jax.tree_util.tree_leaves(grads['sum'])):
    np.testing.assert_allclose(total, N * mean, rtol=1e-4, atol=1e-9)
  assert max(np.abs(g).max() for g in jax.tree_util.tree_leaves(
      grads['mean'])) > 0.
  with pytest.raises(ValueError, match='matching_reduction must be one of'):
    ac.ActorCriticBMGConfig(matching_reduction='max')


def test_mg_meta_gradient_matches_finite_differences():
  functions, state = _agent(meta_objective='mg', K=2, meta_entropy=0.1)
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


def test_the_default_learner_starts_learning_the_first_colour_without_nan():
  # The defaults (Table 1's 2x256 networks at the swept lr 0.01, BMG from
  # entropy weight 0.05) on two seeds for 50k steps: the reward rate climbs
  # from the step penalty (-0.04) past a uniform policy's (~-0.032) while
  # entropy starts to fall from ln 4; the swept 5M-step runs (docs) reach 0.18-0.26 per step.
  metrics, _ = fused.run_seeds(ac.ActorCriticBMGConfig(), np.arange(2),
                               num_steps=50_000, log_every=10_000)
  for key, value in metrics.items():  # The fused cosine is NaN by design.
    assert key == 'meta_grad_cosine' or np.isfinite(value).all(), key
  reward, entropy = metrics['reward'], metrics['policy_entropy']
  assert (reward[:, 0] < -.03).all(), reward
  assert (reward[:, -1] > reward[:, 0] + .01).all(), reward
  assert (entropy[:, -1] < entropy[:, 0] - .003).all(), entropy


@pytest.mark.parametrize('objective', ['bmg', 'none'])
def test_fused_runner_agrees_with_python_loop(objective):
  config = ac.ActorCriticBMGConfig(
      meta_objective=objective, K=1, L=2, rollout_length=4, policy_hidden=(16,),
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
  nets = ac_networks.make_networks(_spec(num_actions=4), config)
  stats = ac_networks.dummy_stats(config)  # No reward yet: zeros.
  w = nets.meta_init(jax.random.PRNGKey(3), stats)
  np.testing.assert_allclose(nets.meta_apply(w, stats), initial, rtol=1e-5)
  # It is an initialisation, not a constant: other inputs move it.
  assert not np.isclose(nets.meta_apply(w, stats + 1.), initial)


def test_config_errors_name_the_field():
  with pytest.raises(ValueError, match='meta_objective'):
    ac.ActorCriticBMGConfig(meta_objective='sgd')
  with pytest.raises(ValueError, match='L must'):
    ac.ActorCriticBMGConfig(L=0)
  with pytest.raises(ValueError, match='matching'):
    ac.ActorCriticBMGConfig(matching='value')
  with pytest.raises(ValueError, match='initial_entropy'):
    ac.ActorCriticBMGConfig(initial_entropy=1.)
  with pytest.raises(ValueError, match='final_step'):
    ac.ActorCriticBMGConfig(final_step='pg')
  assert ac.ActorCriticBMGConfig(meta_objective='bmg', K=3, L=5).window == 7
  assert ac.ActorCriticBMGConfig(meta_objective='mg', K=3, L=5).window == 3
  assert ac.ActorCriticBMGConfig(meta_objective='none', K=3).window == 1


def test_config_is_a_meta_gradient_config_validated_with_types():
  config = ac.ActorCriticBMGConfig(meta_objective='none', matching='kl+0.1*l2')
  assert isinstance(config, core.MetaGradientConfig)
  assert (config.K, config.L, config.temperature) == (1, 7, 1.)
  for field, value in (('K', 2.5), ('L', '7'), ('rollout_length', '20'),
                       ('reward_history', True), ('discount', float('nan')),
                       ('learning_rate', float('inf')),
                       ('temperature', 0.), ('entropy', '0.1'),
                       ('policy_hidden', (8.5,)), ('meta_hidden', 'ab')):
    with pytest.raises(ValueError, match=field):
      ac.ActorCriticBMGConfig(**{field: value})


def test_returns_stop_at_a_terminal_and_ignore_the_next_episode():
  """Steps as acme's adder stores them: terminal s_3, placeholder, s'_0 = s_4.

  Transition 2 (s_2 -> s_3) ends the episode; transition 3 is the adder's
  placeholder from s_3 to the next episode's first observation s_4.
  """
  gamma = 0.9
  r = np.array([1., 2., 3., 0., 5., 6.], np.float32)
  v_next = np.array([.5, -1., 2., 7., 4., 8.], np.float32)  # v(s_1..s_6).
  masks = np.array([1., 1., 1., 0., 1., 1.], np.float32)
  for d3 in (0., 1.):  # Termination, then a truncated episode.
    d = np.array([1., 1., d3, 0., 1., 1.], np.float32)
    got = np.asarray(losses.n_step_returns(
        jnp.asarray(r), jnp.asarray(d), jnp.asarray(v_next),
        jnp.asarray(masks), gamma))
    g5 = r[5] + gamma * v_next[5]
    g4 = r[4] + gamma * g5
    g2 = r[2] + gamma * d3 * v_next[2]  # v(s_3), the terminal observation.
    g1 = r[1] + gamma * g2
    g0 = r[0] + gamma * g1
    np.testing.assert_allclose(got[[0, 1, 2, 4, 5]], [g0, g1, g2, g4, g5],
                               rtol=1e-6)
    # Nothing of the next episode (its values, rewards) reaches G_0..G_2.
    other = np.asarray(losses.n_step_returns(
        jnp.asarray(np.concatenate([r[:4], [-9., -9.]]).astype(np.float32)),
        jnp.asarray(d),
        jnp.asarray(np.concatenate([v_next[:3], [30., 40., 50.]]).astype(
            np.float32)),
        jnp.asarray(masks), gamma))
    np.testing.assert_allclose(other[:3], got[:3], rtol=1e-6)


def test_the_placeholder_transition_does_not_enter_the_loss():
  _, state = _agent(meta_objective='none')
  config = ac.ActorCriticBMGConfig(rollout_length=N, policy_hidden=(),
                                   critic_hidden=(), meta_hidden=(5,))
  nets = ac.make_networks(_spec(), config)
  rollout = _rollout(4)._replace(
      discounts=jnp.asarray([1., 0., 0., 1.], jnp.float32),
      masks=jnp.asarray([1., 1., 0., 1.], jnp.float32))

  def terms(rollout):
    logits = nets.policy_apply(state.params.policy,
                               rollout.observations[:-1])
    values = nets.critic_apply(state.params.critic, rollout.observations)
    return losses.actor_critic_terms(logits, values, rollout, 0.9)

  # Another action/reward at the placeholder (index 2) changes nothing.
  changed = rollout._replace(
      actions=rollout.actions.at[2].set((rollout.actions[2] + 1) % ACTIONS),
      rewards=rollout.rewards.at[2].set(100.))
  for a, b in zip(terms(rollout), terms(changed)):
    np.testing.assert_allclose(a, b, rtol=1e-6)
  # With ones, the episodic path equals the continuing one (None).
  ones = jnp.ones(N, jnp.float32)
  for a, b in zip(terms(_rollout(4)),
                  terms(_rollout(4)._replace(discounts=ones, masks=ones))):
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_meta_update_reports_norm_and_cosine_for_every_objective():
  for objective in ('bmg', 'mg', 'none'):
    functions, state = _agent(meta_objective=objective, K=1, L=2)
    update = jax.jit(functions.update)
    meta_update = jax.jit(functions.meta_update)
    cosines = []
    for cycle in range(2):
      for i in range(functions.window):
        state, _ = update(state, _rollout(30 + 10 * cycle + i))
      state, metrics = meta_update(state)
      assert set(metrics) == set(learning.META_METRICS)
      cosines.append(float(metrics[core.diagnostics.META_GRAD_COSINE]))
    if objective == 'none':
      assert all(np.isnan(float(v)) for v in metrics.values())
    else:
      assert float(metrics['meta_grad_norm']) > 0.
      assert cosines[0] == 0.  # No previous meta-gradient.
      assert -1. <= cosines[1] <= 1. and cosines[1] != 0.


def test_networks_flatten_observations_of_any_rank():
  config = ac.ActorCriticBMGConfig(policy_hidden=(8,), critic_hidden=(8,))
  nets = ac.make_networks(_spec(obs_shape=(10, 5), num_actions=5), config)
  assert nets.observation_shape == (10, 5)
  x = nets.policy_init(jax.random.PRNGKey(0), jnp.zeros((10, 5)))
  z = nets.critic_init(jax.random.PRNGKey(1), jnp.zeros((10, 5)))
  assert nets.policy_apply(x, jnp.ones((3, 7, 10, 5))).shape == (3, 7, 5)
  assert nets.critic_apply(z, jnp.ones((3, 10, 5))).shape == (3,)
  assert nets.policy_apply(x, jnp.ones((10, 5))).shape == (5,)


def test_pure_modules_import_no_acme_launchpad_reverb_or_tensorflow():
  # rlax (through tensorflow_probability's jax backend) imports tensorflow
  # when it is installed: measure what our modules add on top of rlax.
  code = textwrap.dedent('''
      import sys
      import rlax  # noqa
      before = set(sys.modules)
      import bmg_agents.actor_critic_bmg
      import bmg_agents.actor_critic_bmg.acting
      import bmg_agents.actor_critic_bmg.config
      import bmg_agents.actor_critic_bmg.fused
      import bmg_agents.actor_critic_bmg.learning
      import bmg_agents.actor_critic_bmg.losses
      import bmg_agents.actor_critic_bmg.networks
      added = set(sys.modules) - before
      heavy = ('acme', 'launchpad', 'reverb', 'tensorflow')
      print(sorted(m for m in added if m.split('.')[0] in heavy))
      print(sorted(m for m in heavy[:3] if m in sys.modules))
  ''')
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  result = subprocess.run(
      [sys.executable, '-c', code], capture_output=True, text=True,
      env=dict(os.environ, PYTHONPATH=root, JAX_PLATFORMS='cpu'),
      check=True, timeout=120)
  assert result.stdout.split('\n')[:2] == ['[]', '[]'], result.stdout
