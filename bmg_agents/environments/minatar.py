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

"""MinAtar games (Young & Tian, 2019) as dm_env environments."""

from typing import Optional

import dm_env
from dm_env import specs
import numpy as np

GAMES = ('asterix', 'breakout', 'freeway', 'seaquest', 'space_invaders')


class MinAtarEnvironment(dm_env.Environment):
  """A MinAtar game: float32 `[10, 10, C]` observations, minimal action set.

  MinAtar's own defaults are kept (sticky actions with probability 0.1,
  difficulty ramping). Episodes end at game over (discount 0) or, when
  `max_episode_steps` is set, are truncated there (discount 1).
  """

  def __init__(self,
               game: str,
               *,
               seed: int = 0,
               sticky_action_prob: float = 0.1,
               difficulty_ramping: bool = True,
               max_episode_steps: Optional[int] = None):
    """Creates the environment.

    Args:
      game: one of `GAMES`.
      seed: seeds MinAtar's random state (spawns and sticky actions).
      sticky_action_prob: probability of repeating the previous action.
      difficulty_ramping: MinAtar's increasing difficulty within an episode.
      max_episode_steps: optional cap on agent steps per episode.
    """
    if game not in GAMES:
      raise ValueError(f'game must be one of {GAMES}, got {game!r}.')
    if not 0. <= sticky_action_prob <= 1.:
      raise ValueError('sticky_action_prob must be in [0, 1], got '
                       f'{sticky_action_prob}.')
    if max_episode_steps is not None and max_episode_steps < 1:
      raise ValueError('max_episode_steps must be >= 1 or None, got '
                       f'{max_episode_steps}.')
    import minatar  # pylint: disable=g-import-not-at-top
    self._env = minatar.Environment(
        game, sticky_action_prob=sticky_action_prob,
        difficulty_ramping=difficulty_ramping)
    self._env.seed(seed % (2**32))
    self._actions = list(self._env.minimal_action_set())
    self._shape = tuple(self._env.state_shape())
    self._max_steps = max_episode_steps
    self._steps = 0
    self._reset_next_step = True

  def _observation(self) -> np.ndarray:
    return np.asarray(self._env.state(), np.float32)

  def reset(self) -> dm_env.TimeStep:
    self._env.reset()
    self._steps = 0
    self._reset_next_step = False
    return dm_env.restart(self._observation())

  def step(self, action) -> dm_env.TimeStep:
    if self._reset_next_step:
      return self.reset()
    reward, terminal = self._env.act(self._actions[int(action)])
    self._steps += 1
    reward = np.float32(reward)
    if terminal:
      self._reset_next_step = True
      return dm_env.termination(reward, self._observation())._replace(
          discount=np.float32(0.))
    if self._max_steps is not None and self._steps >= self._max_steps:
      self._reset_next_step = True
      return dm_env.truncation(reward, self._observation(), np.float32(1.))
    return dm_env.transition(reward, self._observation(), np.float32(1.))

  def observation_spec(self) -> specs.Array:
    return specs.Array(self._shape, np.float32, 'observation')

  def action_spec(self) -> specs.DiscreteArray:
    return specs.DiscreteArray(len(self._actions), np.int32, name='action')

  def reward_spec(self) -> specs.Array:
    return specs.Array((), np.float32, 'reward')

  def discount_spec(self) -> specs.BoundedArray:
    return specs.BoundedArray((), np.float32, 0., 1., 'discount')
