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

"""Tests of the Atari (Table 2) and MinAtar dm_env environments."""

import dm_env
import numpy as np
import pytest

from bmg_agents.environments import atari
from bmg_agents.environments import minatar


class FakeALE:
  """Scripted emulator: the screen shows the frame counter, rewards per frame.

  `rewards[t]`, `lives_at[t]` give the reward of raw frame t (1-based count of
  frames acted since reset) and the lives after it; game over after
  `game_over_at` frames.
  """

  def __init__(self, rewards=None, lives_at=None, game_over_at=10**9):
    self.rewards = rewards or {}
    self.lives_at = lives_at or {}
    self.game_over_at = game_over_at
    self.frame = 0
    self.actions = []
    self.resets = 0

  def getMinimalActionSet(self):  # pylint: disable=invalid-name
    return [0, 1, 3, 4]

  def getScreenRGB(self):  # pylint: disable=invalid-name
    return np.full((4, 3, 3), self.frame % 256, np.uint8)

  def reset_game(self):
    self.frame = 0
    self.resets += 1

  def act(self, action):
    self.frame += 1
    self.actions.append(action)
    return self.rewards.get(self.frame, 0)

  def game_over(self):
    return self.frame >= self.game_over_at

  def lives(self):
    lives = 3
    for t, l in sorted(self.lives_at.items()):
      if self.frame >= t:
        lives = l
    return lives


def _env(ale, **kwargs):
  kwargs.setdefault('max_noops', 0)
  return atari.AtariEnvironment('fake', ale=ale, **kwargs)


def test_noops_are_uniform_raw_noop_frames_in_range():
  counts = []
  for seed in range(40):
    ale = FakeALE()
    env = atari.AtariEnvironment('fake', ale=ale, seed=seed, max_noops=30)
    ts = env.reset()
    assert ts.first()
    assert set(ale.actions) <= {0}  # Only NOOPs were taken.
    counts.append(len(ale.actions))
    assert env.episode_frames == len(ale.actions)
    # The stacked observation is the post-noop frame repeated.
    np.testing.assert_array_equal(ts.observation, ale.frame % 256)
  assert min(counts) >= 0 and max(counts) <= 30
  assert len(set(counts)) > 5  # Random, not constant.


def test_action_repeat_and_frame_stacking():
  ale = FakeALE()
  env = _env(ale)
  env.reset()
  assert env.observation_spec().shape == (4, 3, 12)
  assert env.action_spec().num_values == 4
  for step in range(1, 4):
    ts = env.step(2)
    assert ale.actions[-4:] == [3] * 4  # Index 2 -> ALE action 3, x4.
    assert ale.frame == 4 * step
  # Oldest to newest on the channel axis: frames 0 (reset), 4, 8, 12.
  expected = np.concatenate(
      [np.full((4, 3, 3), f, np.uint8) for f in (0, 4, 8, 12)], axis=-1)
  np.testing.assert_array_equal(ts.observation, expected)
  assert ts.observation.dtype == np.uint8


def test_rewards_are_summed_over_repeats_then_clipped():
  ale = FakeALE(rewards={1: 1, 2: 1, 5: -3, 9: 0.25, 10: 0.25})
  env = _env(ale)
  env.reset()
  assert env.step(0).reward == 1.  # 2 -> clipped.
  assert env.step(0).reward == -1.  # -3 -> clipped.
  ts = env.step(0)
  assert ts.reward == pytest.approx(.5)
  assert ts.reward.dtype == np.float32
  assert env.raw_episode_return == pytest.approx(2 - 3 + .5)  # The score.


def test_life_loss_zero_discount_without_ending_episode():
  ale = FakeALE(lives_at={6: 2})
  env = _env(ale)
  env.reset()
  assert env.step(0).discount == 1.
  ts = env.step(0)  # Frames 5..8 contain the life loss.
  assert ts.mid() and ts.discount == 0.
  assert env.step(0).discount == 1.
  env_keep = _env(FakeALE(lives_at={6: 2}), zero_discount_on_life_loss=False)
  env_keep.reset()
  env_keep.step(0)
  assert env_keep.step(0).discount == 1.


def test_game_over_terminates_and_frame_cap_truncates():
  ale = FakeALE(game_over_at=6)
  env = _env(ale)
  env.reset()
  env.step(0)
  ts = env.step(0)
  assert ts.last() and ts.discount == 0.
  assert ale.frame == 6  # The repeat stopped at game over.
  assert env.step(0).first()  # Auto-reset.

  env = _env(FakeALE(), max_episode_frames=10)
  env.reset()
  env.step(0)
  env.step(0)
  ts = env.step(0)
  assert ts.last() and ts.discount == 1.
  assert env.episode_frames == 10


def test_bad_arguments_raise():
  with pytest.raises(ValueError, match='action_repeats'):
    _env(FakeALE(), action_repeats=0)
  with pytest.raises(ValueError, match='max_noops'):
    _env(FakeALE(), max_noops=-1)


def test_real_pong_rom():
  env = atari.AtariEnvironment('Pong', seed=3)
  assert env.observation_spec().shape == (210, 160, 12)
  ts = env.reset()
  assert ts.observation.shape == (210, 160, 12)
  frames0 = env.episode_frames
  rewards = []
  for _ in range(30):
    ts = env.step(1)
    rewards.append(ts.reward)
  assert env.episode_frames == frames0 + 120
  assert all(-1 <= r <= 1 for r in rewards)
  assert ts.observation.max() > 0


def test_minatar_breakout():
  env = minatar.MinAtarEnvironment('breakout', seed=0, max_episode_steps=50)
  ts = env.reset()
  assert ts.observation.shape == env.observation_spec().shape == (10, 10, 4)
  assert env.action_spec().num_values == 3
  n = 0
  while not ts.last():
    ts = env.step(n % 3)
    n += 1
  assert n <= 50
  with pytest.raises(ValueError, match='game'):
    minatar.MinAtarEnvironment('pong')


def test_dm_env_conformance_on_fake():
  env = _env(FakeALE(game_over_at=30))
  ts = env.reset()
  while not ts.last():
    ts = env.step(1)
    assert isinstance(ts, dm_env.TimeStep)
    assert env.observation_spec().validate(ts.observation) is not None
