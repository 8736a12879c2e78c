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

"""Pure acting: the policy, and the pure two-colours rollout of the fused run.

No acme here: the builder wraps `make_select_action` in an acme ActorCore.
"""

from typing import Callable, NamedTuple, Tuple

import chex
import jax
import jax.numpy as jnp

from bmg_agents.actor_critic_bmg import losses
from bmg_agents.actor_critic_bmg import networks as ac_networks
from bmg_agents.environments import two_colors

# (policy params, key, observation) -> action.
SelectActionFn = Callable[[chex.ArrayTree, chex.PRNGKey, chex.Array],
                          chex.Array]


def make_select_action(networks: ac_networks.ActorCriticNetworks
                       ) -> SelectActionFn:
  """a ~ pi_x(s): samples the policy's categorical distribution."""

  def select_action(policy_params, key, observation):
    logits = networks.policy_apply(policy_params, observation)
    return jax.random.categorical(key, logits).astype(jnp.int32)

  return select_action


class ActorState(NamedTuple):
  """Environment state, its last observation and the acting key."""
  env: two_colors.TwoColorsState
  observation: chex.Array
  key: chex.PRNGKey


def init_actor(key: chex.PRNGKey, size: int = two_colors.DEFAULT_SIZE
               ) -> ActorState:
  """Resets the environment with `key`'s first half; acts with the second."""
  env_key, act_key = jax.random.split(key)
  env = two_colors.reset(env_key, size)
  return ActorState(env=env, observation=two_colors.observation(env, size),
                    key=act_key)


def make_env_step(select_action: SelectActionFn,
                  size: int = two_colors.DEFAULT_SIZE,
                  flip_period: int = two_colors.DEFAULT_FLIP_PERIOD):
  """(policy params, ActorState) -> (ActorState, (obs, action, reward)).

  One step of Alg. 1: sample a ~ pi_x(s), step the environment.
  """
  def env_step(policy_params, actor: ActorState):
    key, act_key = jax.random.split(actor.key)
    action = select_action(policy_params, act_key, actor.observation)
    env, reward = two_colors.step(actor.env, action, size, flip_period)
    obs = two_colors.observation(env, size)
    return (ActorState(env=env, observation=obs, key=key),
            (actor.observation, action, reward))
  return env_step


def make_rollout(select_action: SelectActionFn, rollout_length: int,
                 size: int = two_colors.DEFAULT_SIZE,
                 flip_period: int = two_colors.DEFAULT_FLIP_PERIOD):
  """(policy params, ActorState) -> (ActorState, Rollout): Alg. 1 as a scan.

  Two-colours is continuing: the Rollout has no discounts or masks (None).
  """
  env_step = make_env_step(select_action, size, flip_period)

  def rollout(policy_params, actor: ActorState
              ) -> Tuple[ActorState, losses.Rollout]:
    actor, (obs, actions, rewards) = jax.lax.scan(
        lambda a, _: env_step(policy_params, a), actor, None,
        length=rollout_length)
    observations = jnp.concatenate([obs, actor.observation[None]])
    return actor, losses.Rollout(observations, actions, rewards)
  return rollout
