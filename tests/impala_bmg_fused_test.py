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

"""The fused STACX runner on gymnax MinAtar: same update, layout, resume."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents.environments import minatar
from bmg_agents.experiments import sweep
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import fused
from bmg_agents.impala_bmg import learning
from bmg_agents.impala_bmg import losses

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The games of issue 14's table.
_GAMES = ('breakout', 'asterix', 'freeway', 'space_invaders')


def _config(**kwargs):
  fields = dict(torso_channels=(2,), num_residual_blocks=0,
                torso_output_size=8, head_hidden_sizes=(),
                num_auxiliary_heads=0, unroll_length=4, online_batch_size=2,
                replay_batch_size=2, replay_size=8, max_queue_size=8)
  fields.update(kwargs)
  return config_lib.STACXConfig(**fields)


def _close(a, b, **kwargs):
  for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), **kwargs)


def _online(rng, config, num_seeds):
  b, t = config.online_batch_size, config.unroll_length
  shape = (num_seeds, b, t + 1)
  valid = np.ones(shape[:2] + (t,), np.float32)
  valid[:, :, 1] = 0.
  return losses.Trajectories(
      observation=rng.randint(0, 2, shape + (10, 10, 4)).astype(np.float32),
      action=rng.randint(0, 3, shape).astype(np.int32),
      reward=rng.randint(0, 2, shape).astype(np.float32),
      discount=(rng.rand(*shape) > .1).astype(np.float32),
      behaviour_logits=rng.normal(size=shape + (3,)).astype(np.float32),
      is_replay=np.zeros(shape[:2], bool), valid=valid)


def _seed(tree, s):
  return jax.tree_util.tree_map(lambda x: x[s], tree)


@pytest.mark.parametrize('objective', [dict(meta_objective='mg'),
                                       dict(meta_objective='bmg', L=2)])
def test_fused_learner_step_is_the_pure_update_on_its_batch(objective):
  config = _config(**objective)
  fns = fused.make_fused_fns(config, 'breakout')
  states = jax.jit(jax.vmap(fns.init))(jax.random.split(
      jax.random.PRNGKey(0), 2))
  # Acting frozen: the online data is given (binary images, valid steps
  # but one); two seeds, vmapped as fused.
  online = _online(np.random.RandomState(0), config, num_seeds=2)
  new, metrics, batch = jax.jit(jax.vmap(fns.learn))(states, online)
  # The pure update STACXLearner pmaps, built on its own.
  update = jax.jit(learning.make_learner_fns(fns.networks, config).update)
  rb = config.replay_batch_size
  for s in range(2):
    tau = _seed(batch.trajectories, s)
    extra = None if batch.replay is None else _seed(batch.replay, s)
    # τ: the online trajectories, then replay draws; then the extra blocks
    # (BMG L = 2: one, for the target's first step; none for MG K = 1).
    assert tau.action.shape[0] == config.online_batch_size + rb
    if config.num_extra_replay_batches:
      assert extra.action.shape[:2] == (config.num_extra_replay_batches, rb)
    else:
      assert extra is None
    np.testing.assert_array_equal(tau.is_replay, [False] * 2 + [True] * rb)
    head = jax.tree_util.tree_map(lambda x: x[:2], tau)
    _close(head._replace(is_replay=0), _seed(online, s)._replace(
        is_replay=0), rtol=0, atol=0)
    # Replay holds only this step's push: every draw is one of its online
    # trajectories, observations exactly restored from uint8.
    pushed = np.asarray(_seed(online, s).observation)
    draws = [np.asarray(tau.observation[2:])]
    if extra is not None:
      draws.append(np.asarray(extra.observation).reshape(
          (-1,) + pushed.shape[1:]))
    draws = np.concatenate(draws)
    for draw in draws:
      assert any(np.array_equal(draw, p) for p in pushed)
    expected_state, expected_metrics = update(_seed(states.learner, s),
                                              learning.LearnerBatch(tau,
                                                                    extra))
    got = _seed(new.learner, s)
    _close(got.params, expected_state.params, rtol=1e-5, atol=1e-7)
    _close(got.meta_params, expected_state.meta_params, rtol=1e-5, atol=1e-7)
    for key, value in expected_metrics.items():
      np.testing.assert_allclose(metrics[key][s], value, rtol=1e-4,
                                 atol=1e-7, err_msg=key)
    # The update did something: parameters and (meta-learning) w moved.
    assert not np.allclose(
        jax.tree_util.tree_leaves(got.params)[0],
        jax.tree_util.tree_leaves(_seed(states.learner, s).params)[0])
    assert any(not np.array_equal(a, b) for a, b in zip(
        got.meta_params, _seed(states.learner, s).meta_params))


def test_trajectories_follow_acmes_sequence_adder_layout():
  # Random weights act for 40 unrolls of 4 steps in 2 Breakout games.
  config = _config(meta_objective='none')
  fns = fused.make_fused_fns(config, 'breakout')
  state = jax.jit(fns.init)(jax.random.PRNGKey(1))
  act = jax.jit(fns.act)
  unrolls, totals = [], {'reward': 0., 'episodes': 0., 'env_steps': 0.}
  for _ in range(40):
    state, online, metrics = act(state)
    unrolls.append(jax.device_get(online))
    for k in totals:
      totals[k] += float(metrics[k])
  ended = 0
  for k, traj in enumerate(unrolls):
    if k:  # Sequences overlap by one step.
      np.testing.assert_array_equal(traj.observation[:, 0],
                                    unrolls[k - 1].observation[:, -1])
    for b, t in zip(*np.nonzero(traj.valid == 0)):
      # Step t is an episode's padded final step: zero action, reward,
      # discount and logits; the step into it ended the game (discount 0).
      assert traj.action[b, t] == 0 and traj.reward[b, t] == 0
      assert traj.discount[b, t] == 0
      assert not traj.behaviour_logits[b, t].any()
      if t:
        assert traj.discount[b, t - 1] == 0
      ended += 1
    # A real transition with discount 0 ends the game: the next step is
    # its padded final step (Breakout is never truncated).
    for b, t in zip(*np.nonzero((traj.valid == 1) & (
        traj.discount[:, :-1] == 0))):
      if t + 1 < config.unroll_length:
        assert traj.valid[b, t + 1] == 0
  steps = 40 * config.online_batch_size * config.unroll_length
  # 'reward' is per sequence step, of real steps only.
  assert totals['reward'] == pytest.approx(
      sum(u.reward[:, :-1].sum() for u in unrolls) / (
          config.online_batch_size * config.unroll_length), rel=1e-6)
  assert ended >= 2  # Random play loses Breakout's ball within ~20 steps.
  # Every sequence step is an environment step or a padded final step; an
  # episode's padding follows it (the last ones may still be pending).
  assert totals['env_steps'] + ended == steps
  assert 0 <= totals['episodes'] - ended <= config.online_batch_size


def _random_rewards(game, steps=300):
  env, params = fused.make_gymnax_env(game)

  def step(carry, key):
    state, = carry
    action_key, step_key = jax.random.split(key)
    action = jax.random.randint(action_key, (), 0, env.num_actions)
    obs, state, reward, *_ = env.step(step_key, state, action, params)
    return (state,), (obs, reward)

  obs, state = env.reset(jax.random.PRNGKey(0), params)
  _, (observations, rewards) = jax.lax.scan(
      step, (state,), jax.random.split(jax.random.PRNGKey(1), steps))
  return obs, np.asarray(observations), np.asarray(rewards)


@pytest.mark.parametrize('game', _GAMES)
def test_gymnax_minatar_matches_the_minatar_package(game):
  env, params = fused.make_gymnax_env(game)
  package = minatar.MinAtarEnvironment(game, seed=0)
  assert tuple(env.observation_space(params).shape) == (
      package.observation_spec().shape)
  assert env.num_actions == package.action_spec().num_values
  first, observations, rewards = _random_rewards(game)
  ours = [package.reset().observation]
  package_rewards = []
  for t in range(300):
    timestep = package.step(t % env.num_actions)
    package_rewards.append(timestep.reward or 0.)
    ours.append(timestep.observation)
  # Binary images of the same channels; rewards of the same scale (0 / +1).
  for images in (observations, np.asarray(ours)):
    assert set(np.unique(images)) <= {0., 1.}
  assert set(np.unique(rewards)) <= {0., 1.}
  assert set(np.unique(package_rewards)) <= {0., 1.}
  assert np.asarray(first).shape == ours[0].shape
  if game == 'breakout':
    # Both start with the paddle at column 4 and bricks on rows 1-3.
    for start in (np.asarray(first), ours[0]):
      assert start[9, 4, 0] == 1 and start[1:4, :, 3].all()
      assert start[4:, :, 3].sum() == 0


def test_resumed_run_ends_with_the_uninterrupted_runs_parameters(tmp_path):
  job = fused.make_job(_config(meta_objective='mg'), 'breakout', [0, 1],
                       num_steps=4 * 8, log_every=8)
  assert job.num_rows == 4 and job.calls_per_row == 1
  whole = []
  expected = sweep.run_job(job, {'run': 1}, final_state=whole.append)
  checkpoint = str(tmp_path / 'run.npz')
  rows = []
  stopped = sweep.run_job(job, {'run': 1}, checkpoint, save_every=1,
                          progress=lambda i, *_: rows.append(i),
                          stop=lambda: len(rows) >= 2)
  assert stopped is None and os.path.exists(checkpoint)
  with pytest.raises(FileExistsError):
    sweep.run_job(job, {'run': 1}, checkpoint)
  resumed_state = []
  resumed = sweep.run_job(job, {'run': 1}, checkpoint, resume=True,
                          final_state=resumed_state.append)
  _close(resumed_state[0].learner, whole[0].learner, rtol=0, atol=0)
  _close(resumed_state[0].replay, whole[0].replay, rtol=0, atol=0)
  assert set(resumed) == set(expected)
  for key in expected:
    np.testing.assert_array_equal(resumed[key], expected[key], err_msg=key)
  # The two seeds differ, and the parameters moved.
  params = jax.tree_util.tree_leaves(whole[0].learner.params)[0]
  assert not np.array_equal(params[0], params[1])
  assert np.all(expected['env_steps'] > 0)


def test_plan_and_config_errors_name_the_setting():
  with pytest.raises(ValueError, match='log_every'):
    fused.plan(steps_per_call=120, num_steps=10_000, log_every=100)
  with pytest.raises(ValueError, match='num_steps'):
    fused.plan(steps_per_call=120, num_steps=200, log_every=240)
  assert fused.plan(120, 1000, 250) == (2, 4)
  with pytest.raises(ValueError, match='env: MinAtar games'):
    fused.make_gymnax_env('pong')
  with pytest.raises(ValueError, match='replay_size'):
    fused.make_fused_fns(_config(replay_size=2, replay_batch_size=1,
                                 online_batch_size=3), 'breakout')


def test_launcher_refuses_bad_fused_flags_in_one_line(tmp_path):
  # One process, the first refusal: --log_every is checked (by the fused
  # runner's plan, before anything is built) only once --env passes.
  result = subprocess.run(
      [sys.executable, os.path.join(_ROOT, 'launchers', 'run_stacx.py'),
       '--runner=fused', f'--results_dir={tmp_path}', '--env=atari:Pong',
       '--log_every=10'],
      capture_output=True, text=True, timeout=120, check=False,
      env=dict(os.environ, PYTHONPATH=_ROOT, TF_CPP_MIN_LOG_LEVEL='2'))
  assert result.returncode != 0
  last = result.stderr.strip().splitlines()[-1]
  assert '--env' in last and 'minatar' in last, result.stderr[-2000:]
  assert not os.listdir(tmp_path)  # Refused before any work.


def test_fused_module_imports_no_acme_launchpad_reverb_or_tensorflow():
  # As tests/impala_bmg_agent_test.py: TensorFlow blocked outright (TFP's
  # JAX substrate only tries it), acme and friends must not be imported.
  code = textwrap.dedent('''
      import sys

      class NoTensorFlow:
        def find_spec(self, name, path=None, target=None):
          if name == 'tensorflow' or name.startswith('tensorflow.'):
            raise ImportError(name + ' is blocked')

      sys.meta_path.insert(0, NoTensorFlow())
      from bmg_agents.impala_bmg import fused
      fused.make_gymnax_env('breakout')
      heavy = [m for m in ('acme', 'launchpad', 'reverb', 'tensorflow')
               if m in sys.modules]
      assert not heavy, heavy
      print('IMPORTS_OK')
  ''')
  result = subprocess.run(
      [sys.executable, '-c', code], capture_output=True, text=True,
      env=dict(os.environ, PYTHONPATH=_ROOT, JAX_PLATFORMS='cpu'),
      timeout=120, check=False)
  assert 'IMPORTS_OK' in result.stdout, result.stderr[-3000:]
