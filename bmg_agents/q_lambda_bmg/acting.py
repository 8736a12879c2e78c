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

"""Pure acting of the Q(λ)-BMG agent: ε-greedy with ε_w(last H rewards).

No acme here: the acme ActorCore and actor built from these functions live
in builder.py.
"""

from typing import Any, Callable, Tuple

import chex
import jax
import jax.numpy as jnp

from bmg_agents.q_lambda_bmg import losses
from bmg_agents.q_lambda_bmg import networks as networks_lib

Array = chex.Array
# (meta_params, reward_history [H]) -> ε.
EpsilonFn = Callable[[Any, Array], Array]
# (params, meta_params, observation [*O], reward_history [H], key) ->
# (action, ε).
SelectActionFn = Callable[..., Tuple[Array, Array]]


@chex.dataclass(frozen=True, mappable_dataclass=False)
class ActorState:
  """The actor's recurrent state: its key and the last H rewards (t_t)."""
  key: chex.PRNGKey
  reward_history: chex.Array  # [H], oldest first.


def make_epsilon_fn(networks: networks_lib.QLambdaNetworks,
                    meta_learned: bool) -> EpsilonFn:
  """ε_w(t) of the ε-network, or the constant ε of the fixed baseline.

  Args:
    networks: the agent's networks.
    meta_learned: True for BMG (meta_params are ε-network parameters w);
      False for the fixed-ε baseline (meta_params is ε itself).
  """

  def epsilon_fn(meta_params, reward_history):
    if meta_learned:
      return networks.epsilon_apply(meta_params, reward_history)
    del reward_history
    return jnp.asarray(meta_params, jnp.float32)

  return epsilon_fn


def make_select_action(networks: networks_lib.QLambdaNetworks,
                       meta_learned: bool,
                       evaluation: bool = False) -> SelectActionFn:
  """Samples a ~ π_x(· | s_t, t_t, w), ε-greedy in q_x (App. B.3).

  Args:
    networks: the agent's networks.
    meta_learned: see `make_epsilon_fn`.
    evaluation: act greedily (ε = 0) instead.

  Returns:
    (params, meta_params, observation [*O], reward_history [H], key) ->
    (action int32, the ε used).
  """
  epsilon_fn = make_epsilon_fn(networks, meta_learned)

  def select_action(params, meta_params, observation, reward_history, key):
    q_values = networks.q_apply(params, observation)
    if evaluation:
      epsilon = jnp.zeros((), jnp.float32)
    else:
      epsilon = epsilon_fn(meta_params, reward_history)
    action = jax.random.choice(
        key, networks.num_actions,
        p=losses.epsilon_greedy_probs(q_values, epsilon))
    return action.astype(jnp.int32), epsilon

  return select_action


def init_actor_state(key: chex.PRNGKey, reward_history: int) -> ActorState:
  """A fresh actor state: zero reward history (start of an episode)."""
  return ActorState(key=key,
                    reward_history=jnp.zeros((reward_history,), jnp.float32))


def push_reward(state: ActorState, reward: chex.Numeric) -> ActorState:
  """Appends r_{t+1} to the reward history, dropping the oldest."""
  history = jnp.concatenate([state.reward_history[1:],
                             jnp.asarray(reward, jnp.float32)[None]])
  return ActorState(key=state.key, reward_history=history)
