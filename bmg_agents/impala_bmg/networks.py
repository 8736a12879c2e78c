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

"""IMPALA ResNet torso with STACX policy/value heads (Table 2, App. C)."""

import dataclasses
from typing import Callable, Sequence, Tuple

import chex
import haiku as hk
import jax
import jax.numpy as jnp

Params = hk.Params
# (params, observations [..., H, W, C]) -> (logits [..., N, A], values [..., N])
ApplyFn = Callable[[Params, chex.Array], Tuple[chex.Array, chex.Array]]

TORSO = 'torso'
MAIN_HEAD = 0


def head_name(i: int) -> str:
  return f'head_{i}'


class ResidualBlock(hk.Module):
  """relu -> conv -> relu -> conv, plus the input (Espeholt et al., 2018)."""

  def __init__(self, channels: int, name=None):
    super().__init__(name=name)
    self._channels = channels

  def __call__(self, x):
    y = jax.nn.relu(x)
    y = hk.Conv2D(self._channels, 3, 1, padding='SAME')(y)
    y = jax.nn.relu(y)
    y = hk.Conv2D(self._channels, 3, 1, padding='SAME')(y)
    return x + y


class ResNetTorso(hk.Module):
  """IMPALA ResNet torso without LSTM (Table 2).

  Per stage: conv 3x3 stride 1, max-pool 3 stride 2 'SAME', residual blocks;
  then relu, flatten, linear to `output_size`, relu. uint8 observations are
  scaled to [0, 1]; float observations are used as they are.
  """

  def __init__(self, channels: Sequence[int], num_blocks: int,
               output_size: int, name=TORSO):
    super().__init__(name=name)
    self._channels = tuple(channels)
    self._num_blocks = num_blocks
    self._output_size = output_size

  def __call__(self, observation):
    if observation.dtype == jnp.uint8:
      x = observation.astype(jnp.float32) / 255.
    else:
      x = observation.astype(jnp.float32)
    for i, channels in enumerate(self._channels):
      x = hk.Conv2D(channels, 3, 1, padding='SAME', name=f'conv_{i}')(x)
      x = hk.max_pool(x, window_shape=(1, 3, 3, 1), strides=(1, 2, 2, 1),
                      padding='SAME')
      for j in range(self._num_blocks):
        x = ResidualBlock(channels, name=f'block_{i}_{j}')(x)
    x = jax.nn.relu(x)
    x = hk.Flatten()(x)
    return jax.nn.relu(hk.Linear(self._output_size, name='linear')(x))


@dataclasses.dataclass
class STACXNetworks:
  """Pure functions of the STACX network.

  Attributes:
    init: key -> params.
    apply: (params, observations [..., H, W, C]) -> (logits [..., N, A],
      values [..., N]) for the N = 1 + num_auxiliary_heads heads; head 0 is the
      main head, the only one that acts.
    num_heads: N.
    num_actions: A.
  """
  init: Callable[[chex.PRNGKey], Params]
  apply: ApplyFn
  num_heads: int
  num_actions: int


def make_networks(observation_shape: Sequence[int],
                  num_actions: int,
                  *,
                  torso_channels: Sequence[int] = (64, 128, 128, 64),
                  num_residual_blocks: int = 2,
                  torso_output_size: int = 512,
                  head_hidden_sizes: Sequence[int] = (256, 256),
                  num_auxiliary_heads: int = 2) -> STACXNetworks:
  """Builds the shared torso and 1 + `num_auxiliary_heads` head pairs.

  Every head i has its own policy MLP (`head_i/policy`) and value MLP
  (`head_i/value`), each `head_hidden_sizes` relu layers then a linear output,
  on the shared torso features (App. C, "STACX").
  """
  num_heads = 1 + num_auxiliary_heads
  observation_shape = tuple(observation_shape)

  def forward(observation):
    batch_shape = observation.shape[:-3]
    x = observation.reshape((-1,) + observation.shape[-3:])
    features = ResNetTorso(torso_channels, num_residual_blocks,
                           torso_output_size)(x)
    logits, values = [], []
    for i in range(num_heads):
      with hk.experimental.name_scope(head_name(i)):
        logits.append(hk.nets.MLP(
            tuple(head_hidden_sizes) + (num_actions,), name='policy')(
                features))
        values.append(hk.nets.MLP(
            tuple(head_hidden_sizes) + (1,), name='value')(features)[..., 0])
    logits = jnp.stack(logits, axis=-2)
    values = jnp.stack(values, axis=-1)
    return (logits.reshape(batch_shape + logits.shape[1:]),
            values.reshape(batch_shape + values.shape[1:]))

  transformed = hk.without_apply_rng(hk.transform(forward))
  dummy = jnp.zeros((1,) + observation_shape, jnp.float32)
  return STACXNetworks(
      init=lambda key: transformed.init(key, dummy),
      apply=transformed.apply,
      num_heads=num_heads,
      num_actions=num_actions)


def main_task_params(params: Params) -> Params:
  """The parameters u_0 = (m, x_0, z_0): the torso and the main head."""
  prefixes = (TORSO, head_name(MAIN_HEAD) + '/')
  return {k: v for k, v in params.items() if k.startswith(prefixes)}


def make_networks_from_config(observation_shape, num_actions,
                              config) -> STACXNetworks:
  """`make_networks` with the network fields of a `STACXConfig`."""
  return make_networks(
      observation_shape, num_actions,
      torso_channels=config.torso_channels,
      num_residual_blocks=config.num_residual_blocks,
      torso_output_size=config.torso_output_size,
      head_hidden_sizes=config.head_hidden_sizes,
      num_auxiliary_heads=config.num_auxiliary_heads)
