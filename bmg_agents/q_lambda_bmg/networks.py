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
from typing import Callable, Sequence

import haiku as hk
import jax
import jax.numpy as jnp

Params = hk.Params


@dataclasses.dataclass(frozen=True)
class QLambdaNetworks:
  """Pure functions of the agent's two networks.

  Attributes:
    q_init: (key, observation [D]) -> Q-network parameters x.
    q_apply: (x, observations [..., D]) -> action values [..., A].
    epsilon_init: (key, rewards [H]) -> ε-network parameters w.
    epsilon_apply: (w, rewards [..., H]) -> ε in (0, 1), shape [...].
    num_actions: |A|.
  """
  q_init: Callable[..., Params]
  q_apply: Callable[..., jnp.ndarray]
  epsilon_init: Callable[..., Params]
  epsilon_apply: Callable[..., jnp.ndarray]
  num_actions: int


def make_networks(num_actions: int,
                  hidden_sizes: Sequence[int] = (256, 256),
                  meta_hidden_size: int = 32) -> QLambdaNetworks:
  """Builds the Q-network MLP and the ε MLP with a sigmoid (Table 1)."""

  def q_fn(obs):
    return hk.nets.MLP(list(hidden_sizes) + [num_actions])(obs)

  def epsilon_fn(rewards):
    net = hk.nets.MLP([meta_hidden_size, 1])
    return jax.nn.sigmoid(net(rewards)[..., 0])

  q = hk.without_apply_rng(hk.transform(q_fn))
  eps = hk.without_apply_rng(hk.transform(epsilon_fn))
  return QLambdaNetworks(
      q_init=q.init, q_apply=q.apply, epsilon_init=eps.init,
      epsilon_apply=eps.apply, num_actions=num_actions)
