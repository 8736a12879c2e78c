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

"""Policy, critic and entropy-weight networks; the only use of haiku here."""

import dataclasses
from typing import Any, Callable, Sequence, Tuple

import chex
import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from bmg_agents.actor_critic_bmg import config as ac_config


@dataclasses.dataclass(frozen=True)
class ActorCriticNetworks:
  """Pure functions of the agent's networks.

  Attributes:
    policy_init: (key, obs) -> policy params x.
    policy_apply: (x, obs [..., *O]) -> logits [..., A].
    critic_init: (key, obs) -> critic params z.
    critic_apply: (z, obs [..., *O]) -> values [...].
    meta_init: (key, stats) -> meta-parameters w.
    meta_apply: (w, stats [..., H]) -> entropy weight in (0, 1) [...].
    observation_shape: O, the shape of one observation.
  """
  policy_init: Callable[..., hk.Params]
  policy_apply: Callable[..., chex.Array]
  critic_init: Callable[..., hk.Params]
  critic_apply: Callable[..., chex.Array]
  meta_init: Callable[..., hk.Params]
  meta_apply: Callable[..., chex.Array]
  observation_shape: Tuple[int, ...]


def _mlp(sizes: Sequence[int]) -> hk.Module:
  return hk.nets.MLP(list(sizes), activation=jax.nn.relu)


def make_networks(spec: Any, config: ac_config.ActorCriticBMGConfig
                  ) -> ActorCriticNetworks:
  """Separate policy and critic MLPs and the entropy-weight MLP (App. B.2).

  The MLPs flatten each observation, so observations of any rank work.

  Args:
    spec: an environment spec; only `spec.observations.shape` and
      `spec.actions.num_values` are read (an `acme.specs.EnvironmentSpec`
      or anything with those fields).
    config: provides the hidden sizes.

  Returns:
    The networks' pure init/apply functions.
  """
  observation_shape = tuple(spec.observations.shape)
  num_actions = int(spec.actions.num_values)
  size = int(np.prod(observation_shape, dtype=np.int64))  # () -> 1.

  def flatten(obs):
    """[..., *observation_shape] -> [..., size]."""
    lead = obs.shape[:obs.ndim - len(observation_shape)]
    return jnp.reshape(obs, lead + (size,))

  policy = hk.without_apply_rng(hk.transform(
      lambda obs: _mlp(tuple(config.policy_hidden) + (num_actions,))(
          flatten(obs))))
  critic = hk.without_apply_rng(hk.transform(
      lambda obs: _mlp(tuple(config.critic_hidden) + (1,))(
          flatten(obs))[..., 0]))
  # Entropy weight eps_w(t) = sigmoid(MLP(t)), t = recent rollout rewards;
  # the output bias starts at logit(initial_entropy).
  bias = float(np.log(config.initial_entropy / (1. - config.initial_entropy)))

  def entropy_weight(t):
    hidden = hk.nets.MLP(list(config.meta_hidden), activation=jax.nn.relu,
                         activate_final=True)(t)
    logit = hk.Linear(1, b_init=hk.initializers.Constant(bias))(hidden)
    return jax.nn.sigmoid(logit)[..., 0]

  meta = hk.without_apply_rng(hk.transform(entropy_weight))
  return ActorCriticNetworks(
      policy_init=policy.init, policy_apply=policy.apply,
      critic_init=critic.init, critic_apply=critic.apply,
      meta_init=meta.init, meta_apply=meta.apply,
      observation_shape=observation_shape)


def dummy_stats(config: ac_config.ActorCriticBMGConfig) -> chex.Array:
  """A [reward_history] input for initialising the meta-learner."""
  return jnp.zeros((config.reward_history,), jnp.float32)
