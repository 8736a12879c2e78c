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

"""The conv4 few-shot classifier (Vinyals et al., 2016; App. D.2)."""

import dataclasses
from typing import Callable, Sequence, Tuple

import haiku as hk
import jax
import jax.numpy as jnp

from bmg_agents.core import layers
from bmg_agents.maml_bmg import config as config_lib

Params = hk.Params
# Name of the conv4 network's linear head module (`MAMLNetworks.head`).
HEAD = 'head'


@dataclasses.dataclass
class MAMLNetworks:
  """Pure functions of the few-shot classifier.

  Attributes:
    init: (key) -> params, the initialisation w that MAML meta-learns.
    apply: (params, images [B, H, W, C]) -> logits [B, ways].
    image_shape: (H, W, C) the network was built for.
    head: the Haiku module name (a key of the params) of the classifier's
      head: the only parameters ANIL's inner loop adapts.
  """
  init: Callable[[jax.Array], Params]
  apply: Callable[[Params, jnp.ndarray], jnp.ndarray]
  image_shape: Tuple[int, int, int]
  head: str = HEAD


def split_head(params: Params, head: str) -> Tuple[Params, Params]:
  """(head params, the rest) of a Haiku params dict (ANIL).

  Raises:
    ValueError: if `params` has no module named `head`; the message lists the
      module names it has.
  """
  if head not in params:
    raise ValueError(
        f'ANIL adapts the head module {head!r}, but the network has no such '
        f'module; its modules are {sorted(params)}. Name the head with '
        '`MAMLNetworks(head=...)`.')
  return hk.data_structures.partition(
      lambda module_name, name, value: module_name == head, params)


class _BatchNorm(hk.Module):
  """Batch norm on the current batch's statistics, as in MAML.

  MAML (Finn et al., 2017) normalises with the statistics of the batch being
  classified, in meta-training and at meta-test time alike, and keeps no
  running averages; only the scale and offset are parameters (and so are
  adapted and meta-learned). hk.BatchNorm would carry unused state.
  """

  def __init__(self, eps: float = 1e-3, name=None):
    super().__init__(name=name)
    self._eps = eps

  def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
    channels = x.shape[-1]
    scale = hk.get_parameter('scale', [channels], init=jnp.ones)
    offset = hk.get_parameter('offset', [channels], init=jnp.zeros)
    mean = jnp.mean(x, axis=(0, 1, 2))
    var = jnp.var(x, axis=(0, 1, 2))
    return (x - mean) * jax.lax.rsqrt(var + self._eps) * scale + offset


def _max_pool_2x2(x: jnp.ndarray) -> jnp.ndarray:
  """2x2 max-pool, stride 2, 'VALID' (odd edges dropped), via reshape.

  Same values as hk.max_pool, but its second derivative (MAML differentiates
  through gradient steps) avoids XLA's select-and-scatter, which is slow on
  CPU.
  """
  b, h, w, c = x.shape
  x = x[:, :h // 2 * 2, :w // 2 * 2]
  return x.reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def make_networks(image_shape: Sequence[int],
                  config: config_lib.MAMLConfig,
                  im2col: bool = True) -> MAMLNetworks:
  """The standard few-shot conv net: `config.num_layers` x [3x3 conv, BN,
  ReLU, 2x2 max-pool] and a linear head over `config.ways` classes
  (App. D.2), `config.channels` wide.

  Args:
    image_shape: (height, width, channels) of the inputs, e.g. (28, 28, 1)
      for Omniglot-style data or (84, 84, 3) for MiniImagenet.
    config: reads `ways`, `channels` and `num_layers`.
    im2col: convolve as im2col matmuls (`core.layers.Conv3x3`: fast second
      derivatives on CPU; 1.6-7x faster here, benchmarks/maml_speed.py) or
      with hk.Conv2D (XLA convolutions); the same function either way. No
      bias: the batch norm that follows removes it.

  Returns:
    The networks; their head (ANIL's adapted subset) is the module `HEAD`.
  """
  ways, channels, num_layers = config.ways, config.channels, config.num_layers

  def forward(images: jnp.ndarray) -> jnp.ndarray:
    x = images
    for i in range(num_layers):
      if im2col:
        x = layers.Conv3x3(channels, with_bias=False, name=f'conv_{i}')(x)
      else:
        x = hk.Conv2D(channels, 3, padding='SAME', with_bias=False,
                      name=f'conv_{i}')(x)
      x = _BatchNorm(name=f'bn_{i}')(x)
      x = jax.nn.relu(x)
      x = _max_pool_2x2(x)
    return hk.Linear(ways, name=HEAD)(hk.Flatten()(x))

  transformed = hk.without_apply_rng(hk.transform(forward))
  image_shape = tuple(int(d) for d in image_shape)
  dummy = jnp.zeros((1,) + image_shape, jnp.float32)
  return MAMLNetworks(
      init=lambda key: transformed.init(key, dummy),
      apply=transformed.apply,
      image_shape=image_shape,
      head=HEAD)
