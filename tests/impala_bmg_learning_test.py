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

"""Tests of the STACX-BMG learner update: MG identity, L > 1.

Its pmap over devices (and hosts): tests/impala_bmg_multihost_test.py.
"""

import types

import jax
import numpy as np
import pytest

from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import learning
from bmg_agents.impala_bmg import losses
from bmg_agents.impala_bmg import networks as networks_lib

_OBS = (6, 6, 2)
_ACTIONS = 3
_T = 4


def tiny_config(**kwargs):
  kwargs = dict(dict(
      torso_channels=(4,), num_residual_blocks=0, torso_output_size=16,
      head_hidden_sizes=(8,), num_auxiliary_heads=1, unroll_length=_T,
      online_batch_size=2, replay_batch_size=2, replay_size=10,
      laser_kl_threshold=.5), **kwargs)
  return config_lib.STACXConfig(**kwargs)


def trajectories(rng, batch, replay_from=None):
  replay_from = batch // 2 if replay_from is None else replay_from
  return losses.Trajectories(
      observation=rng.uniform(size=(batch, _T + 1) + _OBS).astype(np.float32),
      action=rng.randint(_ACTIONS, size=(batch, _T + 1)).astype(np.int32),
      reward=rng.normal(size=(batch, _T + 1)).astype(np.float32),
      discount=(rng.uniform(size=(batch, _T + 1)) > .2).astype(np.float32),
      behaviour_logits=rng.normal(
          size=(batch, _T + 1, _ACTIONS)).astype(np.float32),
      is_replay=np.arange(batch) >= replay_from)


def learner_batch(rng, config):
  num_extra = config.num_extra_replay_batches
  replay = None
  if num_extra:
    batches = [trajectories(rng, config.replay_batch_size, 0)
               for _ in range(num_extra)]
    replay = jax.tree_util.tree_map(lambda *x: np.stack(x), *batches)
  return learning.LearnerBatch(
      trajectories(rng, config.batch_size, config.online_batch_size), replay)


def setup(config, seed=0):
  spec = types.SimpleNamespace(  # make_networks reads only these.
      observations=types.SimpleNamespace(shape=_OBS),
      actions=types.SimpleNamespace(num_values=_ACTIONS))
  networks = networks_lib.make_networks(spec, config)
  state = learning.make_initial_state(jax.random.PRNGKey(seed), networks,
                                      config)
  return networks, state


def test_sgd_half_step_l2_bmg_equals_stacx_meta_gradient():
  """App. C.1 / Eq. 3: BMG with (SGD ½-step, L2) is STACX."""
  rng = np.random.RandomState(0)
  mg_config = tiny_config(meta_objective='mg')
  networks, state = setup(mg_config)
  batch = learner_batch(rng, mg_config)
  # Non-trivial meta-parameters, so every head's w matters.
  state = state._replace(meta_params=jax.tree_util.tree_map(
      lambda x: x + rng.normal(size=x.shape).astype(np.float32) * .3,
      state.meta_params))
  mg_grad, (mg_params, _, _) = jax.jit(learning.make_learner_fns(
      networks, mg_config).meta_gradient)(state, batch)
  bmg_config = tiny_config(meta_objective='bmg', matching='l2',
                           target_optimizer='sgd', sgd_target_step=.5)
  bmg_grad, (bmg_params, _, _) = jax.jit(learning.make_learner_fns(
      networks, bmg_config).meta_gradient)(state, batch)
  mg_flat = np.concatenate([np.ravel(x) for x in mg_grad])
  bmg_flat = np.concatenate([np.ravel(x) for x in bmg_grad])
  assert np.linalg.norm(mg_flat) > 1e-6
  np.testing.assert_allclose(bmg_flat, mg_flat, rtol=1e-4,
                             atol=1e-5 * np.abs(mg_flat).max())
  # Same agent update in both.
  jax.tree_util.tree_map(np.testing.assert_allclose, mg_params, bmg_params)


def test_bootstrap_uses_each_distinct_replay_batch():
  """L = 3: the target takes one step on each of its own 2 replay batches."""
  rng = np.random.RandomState(1)
  config = tiny_config(meta_objective='bmg', matching='kl_v',
                       L=3)
  assert config.num_extra_replay_batches == 2
  networks, state = setup(config)
  batch = learner_batch(rng, config)
  meta_gradient = jax.jit(learning.make_learner_fns(
      networks, config).meta_gradient)

  def flat(b):
    return np.concatenate([np.ravel(x) for x in meta_gradient(state, b)[0]])

  base = flat(batch)
  for l in range(2):
    other = trajectories(rng, config.replay_batch_size, 0)
    replay = jax.tree_util.tree_map(
        lambda all_, new: np.concatenate(  # pylint: disable=g-long-lambda
            [all_[:l], new[None], all_[l + 1:]]), batch.replay, other)
    changed = flat(batch._replace(replay=replay))
    assert np.abs(changed - base).max() > 1e-7 * np.abs(base).max(), l


def _flat(tree):
  return np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(tree)])


def test_meta_gradient_variance_of_single_trajectories():
  """Table 3: variance across τ's trajectories' own meta-gradients."""
  rng = np.random.RandomState(4)
  config = tiny_config(meta_objective='bmg', matching='kl_v',
                       L=2, meta_grad_variance_every=2)
  networks, state = setup(config)
  batch = learner_batch(rng, config)
  fns = learning.make_learner_fns(networks, config)
  meta_gradient = jax.jit(fns.meta_gradient)
  grads = np.stack([_flat(meta_gradient(state, learning.LearnerBatch(
      jax.tree_util.tree_map(lambda x: x[i:i + 1], batch.trajectories),
      batch.replay))[0]) for i in range(config.batch_size)])
  variance = np.var(grads, axis=0, ddof=1)
  assert variance.mean() > 0
  update = jax.jit(fns.update)
  state, metrics = update(state, batch)
  np.testing.assert_allclose(metrics['meta_grad_variance'], variance.mean(),
                             rtol=1e-4)
  np.testing.assert_allclose(
      metrics['meta_grad_norm_to_variance'],
      np.sum(np.square(grads.mean(0))) / variance.sum(), rtol=1e-4)
  _, metrics = update(state, batch)  # Step 1 of every 2: not measured.
  assert np.isnan(metrics['meta_grad_variance'])
  # Off (the default): no metric and no branch in the update.
  off = learning.make_learner_fns(networks, tiny_config(
      meta_objective='bmg', matching='kl_v', L=2)).update
  jaxpr = str(jax.make_jaxpr(off)(state, batch))
  assert 'cond[' not in jaxpr and 'cond[' in str(
      jax.make_jaxpr(fns.update)(state, batch))
  assert 'meta_grad_variance' not in jax.eval_shape(off, state, batch)[1]


def test_meta_gradient_variance_config_is_validated():
  for bad in (-1, 1.5, True):
    with pytest.raises(ValueError, match='meta_grad_variance_every'):
      tiny_config(meta_grad_variance_every=bad)
  with pytest.raises(ValueError, match='meta_grad_variance_every'):
    tiny_config(meta_objective='none', meta_grad_variance_every=1)
  with pytest.raises(ValueError, match='meta_grad_variance_every'):
    tiny_config(online_batch_size=1, replay_batch_size=0,
                meta_grad_variance_every=1)
