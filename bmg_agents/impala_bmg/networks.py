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

"""IMPALA ResNet torso with STACX policy/value heads (Table 2, App. C).

Observations of rank 3 are H x W x C images and rank 2 H x W images with one
channel, both seen through the IMPALA ResNet torso; rank-1 vectors go
through an MLP torso instead (one relu layer of `torso_output_size` units),
so acme's `fakes.DiscreteEnvironment(obs_shape=(10, 5))` works (as a 10 x 5
image). Other ranks raise a ValueError naming the shape.
"""

import dataclasses
from typing import Any, Callable, Sequence, Tuple

import chex
import haiku as hk
import jax
import jax.numpy as jnp

from bmg_agents.core import layers

Params = hk.Params
# (params, observations [..., *obs_shape]) -> (logits [..., N, A],
# values [..., N]).
ApplyFn = Callable[[Params, chex.Array], Tuple[chex.Array, chex.Array]]

TORSO = 'torso'
MAIN_HEAD = 0


def head_name(i: int) -> str:
  """The Haiku module name of head i (0: the main head)."""
  return f'head_{i}'


def _conv(channels: int, im2col: bool, name=None) -> hk.Module:
  """A 3x3 'SAME' convolution with bias: im2col matmul or XLA convolution
  (the same function and parameters, `core.layers`)."""
  if im2col:
    return layers.Conv3x3(channels, name=name)
  return hk.Conv2D(channels, 3, 1, padding='SAME', name=name)


def _max_pool(x, im2col: bool):
  """Max-pool 3, stride 2, 'SAME': strided slices or XLA's reduce-window."""
  if im2col:
    return layers.max_pool_3x3_stride_2(x)
  return hk.max_pool(x, window_shape=(1, 3, 3, 1), strides=(1, 2, 2, 1),
                     padding='SAME')


class ResidualBlock(hk.Module):
  """relu -> conv -> relu -> conv, plus the input (Espeholt et al., 2018)."""

  def __init__(self, channels: int, im2col: bool = False, name=None):
    super().__init__(name=name)
    self._channels = channels
    self._im2col = im2col

  def __call__(self, x):
    y = _conv(self._channels, self._im2col, name='conv_0')(jax.nn.relu(x))
    y = _conv(self._channels, self._im2col, name='conv_1')(jax.nn.relu(y))
    return x + y


class ResNetTorso(hk.Module):
  """IMPALA ResNet torso without LSTM (Table 2).

  Per stage: conv 3x3 stride 1, max-pool 3 stride 2 'SAME', residual blocks;
  then relu, flatten, linear to `output_size`, relu. uint8 observations are
  scaled to [0, 1]; float observations are used as they are. `im2col`:
  convolutions and pools in `core.layers`' matmul form or Haiku's XLA
  convolutions; the same function and parameters.
  """

  def __init__(self, channels: Sequence[int], num_blocks: int,
               output_size: int, im2col: bool = False, name=TORSO):
    super().__init__(name=name)
    self._channels = tuple(channels)
    self._num_blocks = num_blocks
    self._output_size = output_size
    self._im2col = im2col

  def __call__(self, observation):
    if observation.dtype == jnp.uint8:
      x = observation.astype(jnp.float32) / 255.
    else:
      x = observation.astype(jnp.float32)
    for i, channels in enumerate(self._channels):
      x = _conv(channels, self._im2col, name=f'conv_{i}')(x)
      x = _max_pool(x, self._im2col)
      for j in range(self._num_blocks):
        x = ResidualBlock(channels, self._im2col, name=f'block_{i}_{j}')(x)
    x = jax.nn.relu(x)
    x = hk.Flatten()(x)
    return jax.nn.relu(hk.Linear(self._output_size, name='linear')(x))


@dataclasses.dataclass
class STACXNetworks:
  """Pure functions of the STACX network.

  Attributes:
    init: key -> params.
    apply: (params, observations [..., *obs_shape]) -> (logits [..., N, A],
      values [..., N]) for the N = 1 + num_auxiliary_heads heads; head 0 is the
      main head, the only one that acts.
    num_heads: N.
    num_actions: A.
  """
  init: Callable[[chex.PRNGKey], Params]
  apply: ApplyFn
  num_heads: int
  num_actions: int


def make_networks(spec: Any, config: Any) -> STACXNetworks:
  """Builds the shared torso and 1 + `num_auxiliary_heads` head pairs.

  Every head i has its own policy MLP (`head_i/policy`) and value MLP
  (`head_i/value`), each `head_hidden_sizes` relu layers then a linear output,
  on the shared torso features (App. C, "STACX"). The torso is the IMPALA
  ResNet for image observations and an MLP for vectors (see the module
  docstring).

  Args:
    spec: an environment spec (e.g. acme's `EnvironmentSpec`); only
      `spec.observations.shape` and `spec.actions.num_values` are read.
    config: a `STACXConfig` (its network fields).

  Returns:
    The `STACXNetworks`.

  Raises:
    ValueError: for observations of rank other than 1, 2 or 3.
  """
  observation_shape = tuple(spec.observations.shape)
  num_actions = int(spec.actions.num_values)
  rank = len(observation_shape)
  if rank not in (1, 2, 3):
    raise ValueError(
        'STACX networks take observations of rank 3 (H x W x C images), 2 '
        '(H x W images) or 1 (vectors), got an observation of shape '
        f'{observation_shape}.')
  num_heads = 1 + config.num_auxiliary_heads
  head_hidden_sizes = tuple(config.head_hidden_sizes)

  def torso(x):
    if rank == 1:
      if x.dtype == jnp.uint8:
        x = x.astype(jnp.float32) / 255.
      return hk.nets.MLP((config.torso_output_size,), activate_final=True,
                         name=TORSO)(x.astype(jnp.float32))
    if rank == 2:
      x = x[..., None]  # One channel.
    return ResNetTorso(config.torso_channels, config.num_residual_blocks,
                       config.torso_output_size, config.im2col)(x)

  def forward(observation):
    batch_shape = observation.shape[:observation.ndim - rank]
    x = observation.reshape((-1,) + observation_shape)
    features = torso(x)
    logits, values = [], []
    for i in range(num_heads):
      with hk.experimental.name_scope(head_name(i)):
        logits.append(hk.nets.MLP(
            head_hidden_sizes + (num_actions,), name='policy')(features))
        values.append(hk.nets.MLP(
            head_hidden_sizes + (1,), name='value')(features)[..., 0])
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
