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

"""Atari 2600 via ale-py as a dm_env environment, preprocessed per Table 2."""

import dm_env
from dm_env import specs
import numpy as np

# Table 2 ("ALE") of "Bootstrapped Meta-Learning", Flennerhag et al. 2022.
ACTION_REPEATS = 4
NUM_STACKED_FRAMES = 4
MAX_NOOPS = 30
MAX_EPISODE_FRAMES = 108_000
MAX_ABS_REWARD = 1.
_NOOP = 0  # ALE action 0 is NOOP in every game's minimal action set.


def make_ale(game: str, seed: int):
  """Returns an `ale_py.ALEInterface` with `game` loaded, no sticky actions.

  Args:
    game: ROM name as ale-py spells it, e.g. 'pong', 'ms_pacman'; CamelCase
      names such as 'MsPacman' are converted.
    seed: seed of the emulator (only used by sticky actions, which are off).
  """
  import ale_py  # pylint: disable=g-import-not-at-top
  from ale_py import roms  # pylint: disable=g-import-not-at-top
  rom = rom_name(game)
  ale = ale_py.ALEInterface()
  ale.setLoggerMode(ale_py.LoggerMode.Error)
  ale.setInt('random_seed', int(seed) % (2**31))
  ale.setFloat('repeat_action_probability', 0.)  # Table 2: no sticky actions.
  ale.setInt('frame_skip', 1)  # Action repeats are done here, in Python.
  ale.loadROM(roms.get_rom_path(rom))
  return ale


def rom_name(game: str) -> str:
  """ale-py's ROM id of a game name: 'MsPacman' -> 'ms_pacman'."""
  name = ''.join('_' + c.lower() if c.isupper() else c for c in game)
  return name.lstrip('_')


class AtariEnvironment(dm_env.Environment):
  """An ALE game with the preprocessing of Table 2 (App. C).

  Observations are the `num_stacked_frames` most recent full-colour frames,
  concatenated on the channel axis: uint8 `[210, 160, 3 * num_stacked_frames]`
  (no down-sampling, grey-scaling or max-pooling). Each agent step repeats the
  action `action_repeats` times and sums the raw rewards (stopping early at
  game over), then clips the sum to [-max_abs_reward, max_abs_reward]. Each
  episode starts with a uniform number in [0, max_noops] of raw no-op frames.
  When a life is lost the step's discount is 0 but the episode goes on (the
  learner then does not bootstrap across the life); game over ends the
  episode (discount 0); reaching `max_episode_frames` raw frames truncates it
  (discount 1).
  """

  def __init__(self,
               game: str,
               *,
               seed: int = 0,
               action_repeats: int = ACTION_REPEATS,
               num_stacked_frames: int = NUM_STACKED_FRAMES,
               max_noops: int = MAX_NOOPS,
               max_episode_frames: int = MAX_EPISODE_FRAMES,
               max_abs_reward: float = MAX_ABS_REWARD,
               zero_discount_on_life_loss: bool = True,
               ale=None):
    """Creates the environment.

    Args:
      game: ROM name, e.g. 'pong' or 'Pong'.
      seed: seeds the no-op starts and the emulator.
      action_repeats: raw frames per agent step.
      num_stacked_frames: frames stacked in an observation.
      max_noops: at most this many raw no-op frames start an episode.
      max_episode_frames: raw-frame cap of an episode (truncation).
      max_abs_reward: rewards are clipped to [-max_abs_reward, max_abs_reward].
      zero_discount_on_life_loss: discount 0 on the step a life is lost.
      ale: an object with the `ale_py.ALEInterface` methods used here
        (`act`, `reset_game`, `game_over`, `lives`, `getScreenRGB`,
        `getMinimalActionSet`); created from `game` when None.
    """
    for name, value in (('action_repeats', action_repeats),
                        ('num_stacked_frames', num_stacked_frames),
                        ('max_episode_frames', max_episode_frames)):
      if value < 1:
        raise ValueError(f'{name} must be >= 1, got {value}.')
    if max_noops < 0:
      raise ValueError(f'max_noops must be >= 0, got {max_noops}.')
    if max_abs_reward <= 0:
      raise ValueError(f'max_abs_reward must be > 0, got {max_abs_reward}.')
    self._ale = ale if ale is not None else make_ale(game, seed)
    self._actions = list(self._ale.getMinimalActionSet())
    self._rng = np.random.RandomState(seed % (2**32))
    self._action_repeats = action_repeats
    self._num_stacked = num_stacked_frames
    self._max_noops = max_noops
    self._max_frames = max_episode_frames
    self._max_abs_reward = max_abs_reward
    self._life_loss_discount = 0. if zero_discount_on_life_loss else 1.
    frame = self._ale.getScreenRGB()
    self._frame_shape = frame.shape
    self._stack = np.zeros(
        frame.shape[:2] + (frame.shape[2] * num_stacked_frames,), np.uint8)
    self._episode_frames = 0
    self._raw_return = 0.
    self._lives = 0
    self._reset_next_step = True

  def _observation(self) -> np.ndarray:
    return self._stack.copy()

  def _push_frame(self):
    c = self._frame_shape[2]
    self._stack[..., :-c] = self._stack[..., c:]
    self._stack[..., -c:] = self._ale.getScreenRGB()

  def reset(self) -> dm_env.TimeStep:
    self._ale.reset_game()
    self._episode_frames = 0
    self._raw_return = 0.
    num_noops = self._rng.randint(self._max_noops + 1)
    for _ in range(num_noops):
      self._ale.act(self._actions[_NOOP])
      self._episode_frames += 1
      if self._ale.game_over():
        self._ale.reset_game()
        self._episode_frames = 0
    self._lives = self._ale.lives()
    frame = self._ale.getScreenRGB()
    self._stack[...] = np.concatenate([frame] * self._num_stacked, axis=-1)
    self._reset_next_step = False
    return dm_env.restart(self._observation())

  def step(self, action) -> dm_env.TimeStep:
    if self._reset_next_step:
      return self.reset()
    ale_action = self._actions[int(action)]
    reward = 0.
    for _ in range(self._action_repeats):
      reward += self._ale.act(ale_action)
      self._episode_frames += 1
      if self._ale.game_over() or self._episode_frames >= self._max_frames:
        break
    self._push_frame()
    self._raw_return += reward
    reward = np.float32(
        np.clip(reward, -self._max_abs_reward, self._max_abs_reward))
    observation = self._observation()
    if self._ale.game_over():
      self._reset_next_step = True
      return dm_env.termination(reward, observation)._replace(
          discount=np.float32(0.))
    if self._episode_frames >= self._max_frames:
      self._reset_next_step = True
      return dm_env.truncation(reward, observation, np.float32(1.))
    lives = self._ale.lives()
    discount = self._life_loss_discount if lives < self._lives else 1.
    self._lives = lives
    return dm_env.transition(reward, observation, np.float32(discount))

  def observation_spec(self) -> specs.Array:
    return specs.Array(self._stack.shape, np.uint8, 'observation')

  def action_spec(self) -> specs.DiscreteArray:
    return specs.DiscreteArray(len(self._actions), np.int32, name='action')

  def reward_spec(self) -> specs.Array:
    return specs.Array((), np.float32, 'reward')

  def discount_spec(self) -> specs.BoundedArray:
    return specs.BoundedArray((), np.float32, 0., 1., 'discount')

  @property
  def raw_episode_return(self) -> float:
    """The game score of this episode so far (rewards before clipping)."""
    return self._raw_return

  @property
  def episode_frames(self) -> int:
    """Raw emulator frames since the episode's reset (no-ops included)."""
    return self._episode_frames


def make_environment(game: str, seed: int = 0,
                     **kwargs) -> AtariEnvironment:
  """Returns `AtariEnvironment(game, seed=seed, **kwargs)`."""
  return AtariEnvironment(game, seed=seed, **kwargs)


class RawReturnObserver:
  """An acme `EnvLoopObserver` of the game score (`raw_episode_return`).

  Rewards the agent sees are clipped (Table 2); the score is what Atari
  results report.
  """

  def __init__(self):
    self._score = None

  def observe_first(self, env, timestep):
    del env, timestep
    self._score = None

  def observe(self, env, timestep, action):
    del timestep, action
    self._score = getattr(env, 'raw_episode_return', None)

  def get_metrics(self):
    return {} if self._score is None else {'raw_episode_return': self._score}
