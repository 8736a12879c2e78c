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

"""Q-network and ε-network of the Q(λ)-BMG agent (the only Haiku code)."""

import dataclasses
from typing import Any, Callable, Tuple

import haiku as hk
import jax
import jax.numpy as jnp

Params = hk.Params


@dataclasses.dataclass(frozen=True)
class QLambdaNetworks:
  """Pure functions of the agent's two networks.

  Attributes:
    q_init: (key, observation [*O]) -> Q-network parameters x.
    q_apply: (x, observations [..., *O]) -> action values [..., A]; the
      trailing observation axes O are flattened, so observations of any
      rank work.
    epsilon_init: (key, rewards [H]) -> ε-network parameters w.
    epsilon_apply: (w, rewards [..., H]) -> ε in (0, 1), shape [...].
    num_actions: |A|.
    observation_shape: O, the shape of one observation.
  """
  q_init: Callable[..., Params]
  q_apply: Callable[..., jnp.ndarray]
  epsilon_init: Callable[..., Params]
  epsilon_apply: Callable[..., jnp.ndarray]
  num_actions: int
  observation_shape: Tuple[int, ...]


def make_networks(spec: Any, config: Any) -> QLambdaNetworks:
  """The Q-network MLP and the ε MLP with a sigmoid (Table 1).

  Args:
    spec: an environment spec; only `spec.observations.shape` and
      `spec.actions.num_values` are read (acme's `EnvironmentSpec` or any
      object with those fields).
    config: a `QLambdaConfig` (`hidden_sizes`, `meta_hidden_size`).

  Returns:
    The QLambdaNetworks.
  """
  observation_shape = tuple(int(d) for d in spec.observations.shape)
  num_actions = int(spec.actions.num_values)
  hidden_sizes = list(config.hidden_sizes)
  meta_hidden_size = config.meta_hidden_size

  def q_fn(obs):
    obs = jnp.asarray(obs, jnp.float32)
    batch_shape = obs.shape[:obs.ndim - len(observation_shape)]
    flat = jnp.reshape(obs, batch_shape + (-1,))
    return hk.nets.MLP(hidden_sizes + [num_actions])(flat)

  def epsilon_fn(rewards):
    net = hk.nets.MLP([meta_hidden_size, 1])
    return jax.nn.sigmoid(net(rewards)[..., 0])

  q = hk.without_apply_rng(hk.transform(q_fn))
  eps = hk.without_apply_rng(hk.transform(epsilon_fn))
  return QLambdaNetworks(
      q_init=q.init, q_apply=q.apply, epsilon_init=eps.init,
      epsilon_apply=eps.apply, num_actions=num_actions,
      observation_shape=observation_shape)
