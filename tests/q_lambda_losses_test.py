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

"""Tests of the Q(λ)-BMG losses and online learner (App. B.3)."""

from typing import NamedTuple

from dm_env import specs
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents.core import config as core_config
from bmg_agents.core import diagnostics
from bmg_agents.core import matching
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import learning
from bmg_agents.q_lambda_bmg import losses
from bmg_agents.q_lambda_bmg import networks as networks_lib

_Q = jnp.array([1., 3., 2., 0.])


def test_epsilon_greedy_probs():
  probs = losses.epsilon_greedy_probs(_Q, 0.2)
  np.testing.assert_allclose(probs, [0.05, 0.85, 0.05, 0.05], rtol=1e-6)
  np.testing.assert_allclose(losses.epsilon_greedy_probs(_Q, 1.), 0.25)
  # d/dε of π(argmax) is −1 + 1/|A|.
  grad = jax.grad(lambda e: losses.epsilon_greedy_probs(_Q, e)[1])(0.3)
  np.testing.assert_allclose(grad, -0.75, rtol=1e-6)


def test_policy_matching_same_argmax_minimised_at_zero():
  q_target = jnp.array([0., 5., 1., 2.])  # Same argmax as _Q.
  epsilons = jnp.linspace(0., 1., 11)
  mu = jax.vmap(lambda e: losses.greedy_policy_matching(q_target, _Q, e))(
      epsilons)
  np.testing.assert_allclose(mu, -jnp.log(1. - 0.75 * epsilons), rtol=1e-5,
                             atol=1e-7)
  assert int(jnp.argmin(mu)) == 0 and float(mu[0]) == 0.
  grad = jax.grad(losses.greedy_policy_matching, argnums=2)(q_target, _Q,
                                                            0.1)
  assert np.isfinite(grad) and grad > 0  # Descent lowers ε.


def test_policy_matching_different_argmax_raises_epsilon():
  q_target = jnp.array([4., 0., 1., 2.])  # argmax 0, behaviour's is 1.
  for eps in (1e-3, 0.1, 0.5, 0.9):
    mu = losses.greedy_policy_matching(q_target, _Q, eps)
    np.testing.assert_allclose(mu, -np.log(eps / 4), rtol=1e-5)
    grad = jax.grad(losses.greedy_policy_matching, argnums=2)(q_target, _Q,
                                                              eps)
    assert grad < 0  # Descent raises ε.
  # Finite at ε = 0 where the behaviour gives the target action no mass.
  assert np.isinf(losses.greedy_policy_matching(q_target, _Q, 0.))


def test_value_matching_closed_form():
  q_target = jnp.array([0., 1., 4., 2.])
  eps = 0.4
  u_behaviour = (1 - eps) * 3. + eps * jnp.mean(_Q)
  mu = losses.greedy_value_matching(q_target, _Q, eps)
  np.testing.assert_allclose(mu, (4. - u_behaviour) ** 2, rtol=1e-6)
  both = losses.greedy_matching(
      matching.make_matching_fn('0.5*kl+2*value'),
      q_target, _Q, eps)
  np.testing.assert_allclose(
      both, 0.5 * losses.greedy_policy_matching(q_target, _Q, eps)
      + 2. * mu, rtol=1e-6)


def test_peng_q_lambda_hand_computed():
  q_tm1 = jnp.array([[1., 2.], [0., 1.]])
  a_tm1 = jnp.array([0, 0])  # a_1 = 0 is not greedy in q(s_1) = [0, 1].
  r_t = jnp.array([1., 2.])
  discount_t = jnp.array([0.5, 0.5])
  q_t = jnp.array([[0., 1.], [3., 1.]])
  # G_1 = 2 + .5·3 = 3.5; G_0 = 1 + .5·(.5·max q(s_1) + .5·G_1) = 2.125.
  # Peng's keeps the λ-mix after the exploratory a_1; Watkins' would cut it
  # and give G_0 = 1 + .5·1 = 1.5.
  td = losses.peng_q_lambda_td(q_tm1, a_tm1, r_t, discount_t, q_t, 0.5)
  np.testing.assert_allclose(td, [2.125 - 1., 3.5 - 0.], rtol=1e-6)
  # Targets carry no gradient: d td / d q_t = 0.
  grad = jax.grad(lambda q: losses.peng_q_lambda_td(
      q_tm1, a_tm1, r_t, discount_t, q, 0.5).sum())(q_t)
  np.testing.assert_array_equal(grad, 0.)


class _Spec(NamedTuple):
  observations: specs.Array
  actions: specs.DiscreteArray


def _setup(meta_objective='bmg', kind='kl+value', num_l=3, n=4,
           obs_shape=(6,)):
  cfg = config_lib.QLambdaConfig(
      meta_objective=meta_objective, matching=kind, L=num_l, trace_length=n,
      hidden_sizes=(16,), reward_history=5, learning_rate=1e-2,
      meta_learning_rate=1e-2)
  spec = _Spec(specs.Array(obs_shape, np.float32), specs.DiscreteArray(3))
  nets = networks_lib.make_networks(spec, cfg)
  return cfg, nets, learning.make_agent_functions(nets, cfg)


def _transitions(num, key=jax.random.PRNGKey(1)):
  keys = jax.random.split(key, 4)
  obs = jax.random.normal(keys[0], (num + 1, 6))
  return learning.Transition(
      observation=obs[:-1],
      action=jax.random.randint(keys[1], (num,), 0, 3),
      reward=jax.random.normal(keys[2], (num,)),
      discount=jnp.ones((num,)),
      next_observation=obs[1:],
      reward_history=jax.random.normal(keys[3], (num, 5)))


def test_no_gradient_from_meta_loss_to_q_network():
  _, nets, _ = _setup()
  tr = _transitions(2)
  params = nets.q_init(jax.random.PRNGKey(0), tr.observation[0])
  w = nets.epsilon_init(jax.random.PRNGKey(1), tr.reward_history[0])

  def mu(p_target, p_behaviour):
    eps = nets.epsilon_apply(w, tr.reward_history[0])
    return losses.greedy_matching(
        matching.make_matching_fn('kl+value'),
        nets.q_apply(p_target, tr.observation[0]),
        nets.q_apply(p_behaviour, tr.observation[0]), eps)

  grads = jax.grad(mu, argnums=(0, 1))(params, params)
  for g in jax.tree_util.tree_leaves(grads):
    np.testing.assert_array_equal(g, 0.)
  # And the Q-network's trajectory is the same whatever ε-network it has.
  _, _, agent = _setup()
  state = agent.init(jax.random.PRNGKey(0), tr.observation[0])
  other = state._replace(meta_params=jax.tree_util.tree_map(
      lambda x: x + 1., state.meta_params))
  for i in range(6):
    t = jax.tree_util.tree_map(lambda x, i=i: x[i % 2], tr)
    state, _ = agent.update(state, t)
    other, _ = agent.update(other, t)
  chex_leaves = zip(jax.tree_util.tree_leaves(state.params),
                    jax.tree_util.tree_leaves(other.params))
  for a, b in chex_leaves:
    np.testing.assert_array_equal(a, b)


def test_learner_matches_target_l_updates_later():
  cfg, nets, agent = _setup(num_l=3, n=4)
  tr = _transitions(10)
  state = agent.init(jax.random.PRNGKey(0), tr.observation[0])
  update = jax.jit(agent.update)
  params_seq, metas = [state.params], [state.meta_params]
  for t in range(10):
    step = jax.tree_util.tree_map(lambda x, t=t: x[t], tr)
    state, metrics = update(state, step)
    params_seq.append(state.params)
    metas.append(state.meta_params)
    # Q(λ): the window's oldest transition once n are in.
    if t + 1 >= cfg.trace_length:
      s = t + 1 - cfg.trace_length
      q = nets.q_apply(params_seq[t], jnp.concatenate(
          [tr.observation[s:t + 1], tr.next_observation[t:t + 1]]))
      td = losses.peng_q_lambda_td(
          q[:-1], tr.action[s:t + 1], tr.reward[s:t + 1],
          cfg.discount * tr.discount[s:t + 1], q[1:], cfg.lambda_)
      np.testing.assert_allclose(metrics['td_error'], td[0], rtol=1e-5)
    else:
      assert metrics['q_loss'] == 0.
    # BMG: acting step t-L+1 (params x_{t-L+1}) vs x̃ = x_{t+1}.
    if t + 1 >= cfg.L:
      s = t + 1 - cfg.L
      eps = nets.epsilon_apply(metas[t], tr.reward_history[s])
      mu = losses.greedy_matching(
          matching.make_matching_fn('kl+value'),
          nets.q_apply(params_seq[t + 1], tr.observation[s]),
          nets.q_apply(params_seq[s], tr.observation[s]), eps)
      np.testing.assert_allclose(metrics['matching_loss'], mu, rtol=1e-5)
  assert not np.allclose(metas[0]['mlp/~/linear_1']['b'],
                         metas[-1]['mlp/~/linear_1']['b'])


def test_fixed_agent_keeps_epsilon():
  _, _, agent = _setup(meta_objective='none')
  tr = _transitions(3)
  state = agent.init(jax.random.PRNGKey(0), tr.observation[0], epsilon=0.3)
  state, metrics = agent.update(
      state, jax.tree_util.tree_map(lambda x: x[0], tr))
  assert float(state.meta_params) == pytest.approx(0.3)
  assert float(metrics['epsilon']) == pytest.approx(0.3)
  assert 'matching_loss' not in metrics


@pytest.mark.parametrize('field,value', [
    ('meta_objective', 'fixed'), ('matching', 'policy'),
    ('matching', 'reverse_kl'), ('matching', 'kl+l2'), ('epsilon', 1.5),
    ('L', 0), ('L', 2.5), ('L', '20'), ('K', 1), ('K', 0.), ('K', -1),
    ('lambda_', -0.1), ('grad_ema', 1.0), ('discount', float('nan')),
    ('learning_rate', float('inf')), ('trace_length', True),
    ('temperature', 0.), ('final_step', 'last'),
    ('hidden_sizes', (256, 0)), ('learning_rate', 0.)])
def test_config_rejects_bad_values(field, value):
  with pytest.raises(ValueError, match=field):
    config_lib.QLambdaConfig(**{field: value})


def test_config_has_no_mg_baseline_and_says_why():
  with pytest.raises(ValueError, match='meta_objective.*no.*MG|zero'):
    config_lib.QLambdaConfig(meta_objective='mg')


@pytest.mark.parametrize('spec,weights', [
    ('kl', {'kl': 1.}), ('value', {'value': 1.}), ('v', {'value': 1.}),
    ('kl+value', {'kl': 1., 'value': 1.}),
    ('kl_v', {'kl': 1., 'value': .25}),
    ({'kl': 2., 'value': .5}, {'kl': 2., 'value': .5})])
def test_config_accepts_core_matching_specs(spec, weights):
  cfg = config_lib.QLambdaConfig(matching=spec)
  assert matching.parse(cfg.matching) == weights
  assert cfg.K == 0 and isinstance(cfg, core_config.MetaGradientConfig)


def test_terminal_stops_the_lambda_return():
  """d = 0 on the second transition: nothing after it reaches the first."""
  cfg, nets, agent = _setup(n=4)
  tr = _transitions(4)
  tr = tr._replace(discount=jnp.array([1., 0., 1., 1.]))
  other = tr._replace(reward=tr.reward.at[2:].add(10.),
                      next_observation=tr.next_observation.at[1:].add(5.))
  cont = tr._replace(discount=jnp.ones((4,)))
  state = agent.init(jax.random.PRNGKey(0), tr.observation[0])
  tds = []
  for seq in (tr, other, cont):
    s = state
    for t in range(4):
      s, metrics = agent.update(
          s, jax.tree_util.tree_map(lambda x, t=t: x[t], seq))
    tds.append(float(metrics['td_error']))  # Of the first transition.
  # By hand: G_0 = r_0 + γ((1 − λ) max q(s_1) + λ r_1), q at x_0.
  q_1 = nets.q_apply(state.params, tr.observation[1])
  g_0 = tr.reward[0] + cfg.discount * (
      (1 - cfg.lambda_) * jnp.max(q_1) + cfg.lambda_ * tr.reward[1])
  q_0 = nets.q_apply(state.params, tr.observation[0])[tr.action[0]]
  np.testing.assert_allclose(tds[0], g_0 - q_0, rtol=1e-5)
  np.testing.assert_allclose(tds[1], tds[0], rtol=1e-6)
  assert abs(tds[2] - tds[0]) > 1e-3  # Without the terminal it differs.


def test_networks_flatten_observations_of_any_rank():
  _, nets, agent = _setup(obs_shape=(10, 5))
  obs = jax.random.normal(jax.random.PRNGKey(0), (7, 10, 5))
  params = nets.q_init(jax.random.PRNGKey(1), obs[0])
  assert nets.q_apply(params, obs[0]).shape == (3,)
  np.testing.assert_allclose(
      nets.q_apply(params, obs)[2], nets.q_apply(params, obs[2]), rtol=1e-6)
  state = agent.init(jax.random.PRNGKey(0), obs[0])
  t = learning.Transition(obs[0], jnp.int32(1), jnp.float32(1.),
                          jnp.float32(1.), obs[1], jnp.zeros((5,)))
  for _ in range(4):
    state, metrics = jax.jit(agent.update)(state, t)
  assert np.isfinite(metrics['q_loss'])


def test_metrics_keys_fixed_and_nan_before_first_meta_update():
  cfg, _, agent = _setup(num_l=3)
  tr = _transitions(4)
  state = agent.init(jax.random.PRNGKey(0), tr.observation[0])
  for t in range(4):
    state, metrics = agent.update(
        state, jax.tree_util.tree_map(lambda x, t=t: x[t], tr))
    assert tuple(sorted(metrics)) == tuple(sorted(
        learning.metric_names(cfg)))
    assert diagnostics.META_GRAD_NORM in metrics
    ready = t + 1 >= cfg.L
    for key in (diagnostics.META_GRAD_NORM, diagnostics.META_GRAD_COSINE,
                'matching_loss'):
      assert np.isfinite(metrics[key]) == ready, (t, key)
  assert float(metrics[diagnostics.META_GRAD_NORM]) > 0.
