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

"""The two-colours grid world of Flennerhag et al. (2022), App. B.1."""

from typing import NamedTuple, Optional, Tuple

import chex
import dm_env
from dm_env import specs
import jax
import jax.numpy as jnp
import numpy as np

# Actions: move up (row - 1), down (row + 1), left (col - 1), right (col + 1).
NUM_ACTIONS = 4
_MOVES = np.array([[0, -1], [0, 1], [-1, 0], [1, 0]], dtype=np.int32)

DEFAULT_SIZE = 5
DEFAULT_FLIP_PERIOD = 100_000
# Reward for every transition that does not reach a colour.
STEP_REWARD = -0.04
# Reward of (blue, red) before the first flip.
INITIAL_COLOUR_REWARDS = (1.0, -1.0)


class TwoColorsState(NamedTuple):
  """State of one two-colours environment.

  Attributes:
    agent: [2] int32 (x, y) of the agent.
    colours: [2, 2] int32 (x, y) of the blue (row 0) and red (row 1) squares.
    t: int32 number of steps taken so far; drives the reward flips.
    key: PRNG key for the respawns.
  """
  agent: chex.Array
  colours: chex.Array
  t: chex.Array
  key: chex.PRNGKey


def observation_size(size: int = DEFAULT_SIZE) -> int:
  """Length of the observation: one-hot x and y of 3 objects, 2 * 3 * size."""
  return 6 * size


def colour_rewards(t: chex.Array,
                   flip_period: int = DEFAULT_FLIP_PERIOD) -> chex.Array:
  """[2] rewards of (blue, red) at step `t`; they swap every `flip_period`."""
  phase = (jnp.asarray(t) // flip_period) % 2
  sign = 1. - 2. * phase.astype(jnp.float32)
  return sign * jnp.asarray(INITIAL_COLOUR_REWARDS, jnp.float32)


def _cell(pos: chex.Array, size: int) -> chex.Array:
  return pos[..., 1] * size + pos[..., 0]


def _pos(cell: chex.Array, size: int) -> chex.Array:
  return jnp.stack([cell % size, cell // size], axis=-1).astype(jnp.int32)


def _sample_free_cell(key: chex.PRNGKey, occupied: chex.Array,
                      size: int) -> chex.Array:
  """A cell drawn uniformly from the size**2 - 2 cells not in `occupied`.

  Draws r in [0, n - 2) and skips the two (distinct) occupied cells in
  increasing order, which is exact and cheaper than a masked categorical.

  Args:
    key: PRNG key.
    occupied: [2] int32 distinct occupied cell indices.
    size: grid side.

  Returns:
    int32 cell index.
  """
  lo, hi = jnp.min(occupied), jnp.max(occupied)
  r = jax.random.randint(key, (), 0, size * size - 2)
  r = r + (r >= lo).astype(jnp.int32)
  return r + (r >= hi).astype(jnp.int32)


def reset(key: chex.PRNGKey, size: int = DEFAULT_SIZE) -> TwoColorsState:
  """Places the agent, blue and red on three distinct random cells.

  Args:
    key: PRNG key; it also seeds all later respawns.
    size: grid side (the paper uses 5).

  Returns:
    The initial state, with t = 0.
  """
  key, place_key = jax.random.split(key)
  cells = jax.random.choice(place_key, size * size, (3,), replace=False)
  pos = _pos(cells, size)
  return TwoColorsState(agent=pos[0], colours=pos[1:],
                        t=jnp.zeros((), jnp.int32), key=key)


def step(state: TwoColorsState, action: chex.Array,
         size: int = DEFAULT_SIZE,
         flip_period: int = DEFAULT_FLIP_PERIOD
         ) -> Tuple[TwoColorsState, chex.Array]:
  """One transition: move, collect a colour, respawn it (App. B.1).

  Moving into a wall leaves the agent in place. Reaching a colour gives its
  current reward (+1 / -1, swapped every `flip_period` steps) and moves that
  colour to a uniformly random cell occupied by neither the agent nor the other
  colour. Every other transition gives -0.04. There are no episodes.

  Args:
    state: current state.
    action: int in [0, 4): up, down, left, right.
    size: grid side.
    flip_period: number of steps between reward swaps.

  Returns:
    (next state, float32 reward).
  """
  key, respawn_key = jax.random.split(state.key)
  agent = jnp.clip(state.agent + jnp.asarray(_MOVES)[action], 0, size - 1)
  hit = jnp.all(state.colours == agent[None], axis=-1)  # [2] at most one.
  rewards = colour_rewards(state.t, flip_period)
  reward = jnp.where(jnp.any(hit), jnp.sum(jnp.where(hit, rewards, 0.)),
                     jnp.float32(STEP_REWARD))
  # The collected colour respawns away from the agent and the other colour.
  other = jnp.where(hit[0], state.colours[1], state.colours[0])
  occupied = jnp.stack([_cell(agent, size), _cell(other, size)])
  new_cell = _pos(_sample_free_cell(respawn_key, occupied, size), size)
  colours = jnp.where(hit[:, None], new_cell[None], state.colours)
  next_state = TwoColorsState(agent=agent, colours=colours.astype(jnp.int32),
                              t=state.t + 1, key=key)
  return next_state, reward.astype(jnp.float32)


def observation(state: TwoColorsState,
                size: int = DEFAULT_SIZE) -> chex.Array:
  """[6 * size] float32: one-hot x and y of blue, red and the agent."""
  coords = jnp.concatenate([state.colours.reshape(-1), state.agent])  # [6]
  return jax.nn.one_hot(coords, size, dtype=jnp.float32).reshape(-1)


class TwoColors(dm_env.Environment):
  """The two-colours grid world as a `dm_env.Environment`.

  A thin stateful wrapper over `reset`, `step` and `observation` (compiled
  once), so that it produces the same trajectories as the pure functions: for
  a given `seed`, reset number i uses the key `reset_key(seed, i)`. The task
  never ends; every step after the first is a MID transition with discount 1.
  """

  def __init__(self, size: int = DEFAULT_SIZE,
               flip_period: int = DEFAULT_FLIP_PERIOD, seed: int = 0):
    if size < 2:
      raise ValueError(f'size must be >= 2 (three objects on distinct cells),'
                       f' got {size}.')
    if flip_period < 1:
      raise ValueError(f'flip_period must be >= 1, got {flip_period}.')
    self._size = size
    self._flip_period = flip_period
    self._seed = seed
    self._num_resets = 0
    self._state: Optional[TwoColorsState] = None
    self._reset = jax.jit(lambda k: _with_obs(reset(k, size), size))
    self._step = jax.jit(lambda s, a: _step_with_obs(s, a, size, flip_period))

  @property
  def state(self) -> Optional[TwoColorsState]:
    """The current pure state (None before the first reset)."""
    return self._state

  def reset(self) -> dm_env.TimeStep:
    key = reset_key(self._seed, self._num_resets)
    self._num_resets += 1
    self._state, obs = self._reset(key)
    return dm_env.restart(np.asarray(obs))

  def step(self, action) -> dm_env.TimeStep:
    if self._state is None:
      return self.reset()
    self._state, obs, reward = self._step(self._state,
                                          jnp.asarray(action, jnp.int32))
    return dm_env.transition(reward=np.asarray(reward),
                             observation=np.asarray(obs),
                             discount=np.float32(1.))

  def observation_spec(self) -> specs.BoundedArray:
    return specs.BoundedArray((observation_size(self._size),), np.float32,
                              minimum=0., maximum=1., name='observation')

  def action_spec(self) -> specs.DiscreteArray:
    return specs.DiscreteArray(NUM_ACTIONS, name='action')

  def reward_spec(self) -> specs.Array:
    return specs.Array((), np.float32, name='reward')

  def discount_spec(self) -> specs.BoundedArray:
    # float32 like the reward: acme's adders give both one dtype.
    return specs.BoundedArray((), np.float32, minimum=0., maximum=1.,
                              name='discount')


def reset_key(seed: int, index: int = 0) -> chex.PRNGKey:
  """The key `TwoColors(seed=seed)` passes to `reset` on reset number index."""
  return jax.random.fold_in(jax.random.PRNGKey(seed), index)


def _with_obs(state, size):
  return state, observation(state, size)


def _step_with_obs(state, action, size, flip_period):
  state, reward = step(state, action, size, flip_period)
  return state, observation(state, size), reward
