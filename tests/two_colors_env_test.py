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

"""Tests for the two-colours environment (rules, flip, respawn, both forms)."""

import dm_env
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents.environments import two_colors as tc


def _state(agent, blue, red, t=0, seed=0):
  return tc.TwoColorsState(
      agent=jnp.asarray(agent, jnp.int32),
      colours=jnp.asarray([blue, red], jnp.int32),
      t=jnp.asarray(t, jnp.int32), key=jax.random.PRNGKey(seed))


def test_reset_places_three_distinct_objects_and_one_hot_observation():
  for seed in range(20):
    state = tc.reset(jax.random.PRNGKey(seed))
    cells = {tuple(np.asarray(state.agent))} | {
        tuple(c) for c in np.asarray(state.colours)}
    assert len(cells) == 3
    obs = np.asarray(tc.observation(state))
    assert obs.shape == (30,)
    assert obs.sum() == 6
    blue_x = np.argmax(obs[0:5])
    agent_y = np.argmax(obs[25:30])
    assert blue_x == state.colours[0, 0] and agent_y == state.agent[1]


@pytest.mark.parametrize('action,expected', [
    (0, (2, 1)), (1, (2, 3)), (2, (1, 2)), (3, (3, 2))])
def test_moves_and_step_reward(action, expected):
  state, reward = tc.step(_state((2, 2), (0, 0), (4, 4)), action)
  np.testing.assert_array_equal(state.agent, expected)
  assert float(reward) == pytest.approx(-0.04)
  assert int(state.t) == 1


def test_walls_keep_agent_inside():
  state, reward = tc.step(_state((0, 0), (4, 4), (3, 3)), 0)  # up
  np.testing.assert_array_equal(state.agent, (0, 0))
  state, _ = tc.step(state, 2)  # left
  np.testing.assert_array_equal(state.agent, (0, 0))
  state, _ = tc.step(_state((4, 4), (0, 0), (1, 1)), 3)  # right
  np.testing.assert_array_equal(state.agent, (4, 4))
  assert float(reward) == pytest.approx(-0.04)


def test_collecting_blue_gives_plus_one_and_respawns_only_blue():
  for seed in range(50):
    state, reward = tc.step(_state((2, 2), (3, 2), (0, 4), seed=seed), 3)
    assert float(reward) == 1.0
    blue, red = np.asarray(state.colours)
    np.testing.assert_array_equal(red, (0, 4))
    assert tuple(blue) not in {(3, 2), (0, 4)}  # Agent now at (3, 2).
    assert np.all((blue >= 0) & (blue < 5))


def test_collecting_red_gives_minus_one():
  state, reward = tc.step(_state((2, 2), (0, 0), (2, 1)), 0)
  assert float(reward) == -1.0
  np.testing.assert_array_equal(state.colours[0], (0, 0))
  assert tuple(np.asarray(state.colours[1])) not in {(2, 1), (0, 0)}


def test_respawn_is_uniform_over_free_cells():
  keys = jax.random.split(jax.random.PRNGKey(1), 23_000)
  states = jax.vmap(lambda k: _state((2, 2), (3, 2), (0, 0))._replace(key=k))(
      keys)
  next_states, _ = jax.vmap(tc.step, in_axes=(0, None))(states, 3)
  cells = np.asarray(next_states.colours[:, 0, 1] * 5
                     + next_states.colours[:, 0, 0])
  counts = np.bincount(cells, minlength=25)
  assert counts[3 + 2 * 5] == 0 and counts[0] == 0
  free = np.delete(counts, [0, 13])
  assert len(free) == 23
  # 1000 expected per free cell; 5 standard deviations is ~160.
  assert free.min() > 840 and free.max() < 1160


def test_rewards_flip_every_period():
  np.testing.assert_allclose(tc.colour_rewards(0), [1, -1])
  np.testing.assert_allclose(tc.colour_rewards(99_999), [1, -1])
  np.testing.assert_allclose(tc.colour_rewards(100_000), [-1, 1])
  np.testing.assert_allclose(tc.colour_rewards(199_999), [-1, 1])
  np.testing.assert_allclose(tc.colour_rewards(200_000), [1, -1])
  # Through `step`, with a short period: blue pays -1 in odd periods.
  _, reward = tc.step(_state((2, 2), (3, 2), (0, 0), t=7), 3, flip_period=7)
  assert float(reward) == -1.0
  _, reward = tc.step(_state((2, 2), (3, 2), (0, 0), t=6), 3, flip_period=7)
  assert float(reward) == 1.0


def test_grid_size_parameter():
  state = tc.reset(jax.random.PRNGKey(0), size=7)
  assert tc.observation(state, size=7).shape == (42,)
  state, _ = tc.step(_state((6, 6), (0, 0), (1, 1)), 3, size=7)
  np.testing.assert_array_equal(state.agent, (6, 6))
  env = tc.TwoColors(size=7)
  assert env.observation_spec().shape == (42,)
  with pytest.raises(ValueError, match='size'):
    tc.TwoColors(size=1)
  with pytest.raises(ValueError, match='flip_period'):
    tc.TwoColors(flip_period=0)


def test_dm_env_and_pure_functions_give_identical_trajectories():
  seed, num_steps, period = 3, 300, 50
  actions = np.random.RandomState(0).randint(0, 4, size=num_steps)

  env = tc.TwoColors(flip_period=period, seed=seed)
  timestep = env.reset()
  assert timestep.step_type == dm_env.StepType.FIRST
  env_obs, env_rewards = [timestep.observation], []
  for a in actions:
    timestep = env.step(a)
    assert timestep.step_type == dm_env.StepType.MID
    assert timestep.discount == 1.0
    env_obs.append(timestep.observation)
    env_rewards.append(timestep.reward)

  def body(state, action):
    state, reward = tc.step(state, action, flip_period=period)
    return state, (tc.observation(state), reward)

  state = tc.reset(tc.reset_key(seed, 0))
  first_obs = tc.observation(state)
  _, (obs, rewards) = jax.jit(lambda s, a: jax.lax.scan(body, s, a))(
      state, jnp.asarray(actions))
  np.testing.assert_array_equal(env_obs[0], first_obs)
  np.testing.assert_array_equal(np.stack(env_obs[1:]), obs)
  np.testing.assert_allclose(np.asarray(env_rewards), rewards)
  # The run collects colours (and crosses flips every 50 steps).
  assert np.sum(np.abs(np.asarray(rewards)) == 1.) >= 2
  assert env.observation_spec().shape == (30,)
  assert env.action_spec().num_values == 4


def test_dm_env_specs_are_single_precision_and_match_timesteps():
  env = tc.TwoColors(seed=0)
  env.reset()
  timestep = env.step(0)
  for spec, value in ((env.reward_spec(), timestep.reward),
                      (env.discount_spec(), timestep.discount),
                      (env.observation_spec(), timestep.observation)):
    assert spec.dtype == np.float32
    spec.validate(np.asarray(value))
