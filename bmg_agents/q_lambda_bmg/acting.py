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

"""Acme actor of the Q(λ)-BMG agent: ε-greedy with ε_w(last H rewards)."""

from typing import Optional

from acme import adders
from acme.agents.jax import actor_core as actor_core_lib
from acme.agents.jax import actors
from acme.jax import variable_utils
import chex
import dm_env
import jax
import jax.numpy as jnp

from bmg_agents.q_lambda_bmg import learning


@chex.dataclass(frozen=True, mappable_dataclass=False)
class ActorState:
  """The actor's recurrent state: its key and the last H rewards (t_t)."""
  key: chex.PRNGKey
  reward_history: chex.Array  # [H], oldest first.


def make_actor_core(agent: learning.QLambdaAgent,
                    reward_history: int) -> actor_core_lib.ActorCore:
  """ActorCore over the variables (params, meta_params) from the learner."""

  def init(key):
    return ActorState(key=key,
                      reward_history=jnp.zeros((reward_history,),
                                               jnp.float32))

  def select_action(variables, observation, state):
    params, meta_params = variables
    key, act_key = jax.random.split(state.key)
    action, _ = agent.act(params, meta_params, observation,
                          state.reward_history, act_key)
    return action, ActorState(key=key, reward_history=state.reward_history)

  def get_extras(state):
    # The ε-network input the action was chosen with (Transition field).
    return {'reward_history': state.reward_history}

  return actor_core_lib.ActorCore(init=init, select_action=select_action,
                                  get_extras=get_extras)


def _push_reward(state: ActorState, reward) -> ActorState:
  history = jnp.concatenate([state.reward_history[1:],
                             jnp.asarray(reward, jnp.float32)[None]])
  return ActorState(key=state.key, reward_history=history)


class QLambdaActor(actors.GenericActor):
  """GenericActor that also feeds each reward into the ε-network's input."""

  def __init__(self, actor_core: actor_core_lib.ActorCore,
               random_key: chex.PRNGKey,
               variable_client: Optional[variable_utils.VariableClient],
               adder: Optional[adders.Adder] = None):
    super().__init__(actor_core, random_key, variable_client, adder,
                     jit=True, backend='cpu')
    self._push_reward = jax.jit(_push_reward, backend='cpu')

  def observe(self, action, next_timestep: dm_env.TimeStep):
    super().observe(action, next_timestep)  # Adds with the old history.
    self._state = self._push_reward(self._state, next_timestep.reward)
