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

"""Conv-net layers whose second derivatives are fast on XLA:CPU.

Meta-gradients differentiate through gradient steps, so a conv net's
convolutions and pools are differentiated twice. On CPU, XLA's second
derivative of a convolution (a convolution whose kernel is an activation
map) and of a max-pool (select-and-scatter) can be several times slower than
the same functions written as matmuls over im2col patches and as maxima of
strided slices, whose derivatives are matmuls, pads, slices and selects:
MAML-BMG's conv4 runs 1.6-7x faster this way (docs/maml_bmg.md), while
STACX's torso at MinAtar's sizes runs 1.2x slower (docs/impala_bmg.md).
Both layers here compute what their Haiku counterparts compute, with the
same parameters (names, shapes, initialisers), so a network can switch
between them without changing its parameters.
"""

import functools

import haiku as hk
import jax.numpy as jnp
import numpy as np


class Conv3x3(hk.Module):
  """3x3 'SAME' convolution, stride 1, as one matmul over im2col patches.

  The function and parameters of hk.Conv2D(channels, 3, padding='SAME',
  with_bias=with_bias) on [B, H, W, C] inputs: kernel 'w' [3, 3, C, channels]
  (truncated normal, stddev 1/sqrt(9 C)) and bias 'b' [channels] (zeros).
  Under vmap over per-example weights it becomes a batched matmul instead of
  a grouped convolution.
  """

  def __init__(self, channels: int, with_bias: bool = True, name=None):
    super().__init__(name=name)
    self._channels = channels
    self._with_bias = with_bias

  def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
    _, h, w, c = x.shape
    kernel = hk.get_parameter(
        'w', [3, 3, c, self._channels], x.dtype,
        init=hk.initializers.TruncatedNormal(stddev=1. / np.sqrt(9 * c)))
    padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    patches = jnp.concatenate(
        [padded[:, i:i + h, j:j + w] for i in range(3) for j in range(3)],
        axis=-1)
    y = patches @ kernel.reshape(9 * c, self._channels)
    if self._with_bias:
      y += hk.get_parameter('b', [self._channels], x.dtype, init=jnp.zeros)
    return y


def _same_padding(size: int, window: int, stride: int):
  """(low, high) padding of XLA's 'SAME' and the output size."""
  out = -(-size // stride)
  total = max((out - 1) * stride + window - size, 0)
  return (total // 2, total - total // 2), out


def max_pool_3x3_stride_2(x: jnp.ndarray) -> jnp.ndarray:
  """hk.max_pool(x, (1, 3, 3, 1), (1, 2, 2, 1), 'SAME') on [B, H, W, C],
  as the maximum of the window's 9 strided slices."""
  (pad_h, out_h), (pad_w, out_w) = (_same_padding(n, 3, 2)
                                    for n in x.shape[1:3])
  padded = jnp.pad(x, ((0, 0), pad_h, pad_w, (0, 0)),
                   constant_values=-jnp.inf)
  return functools.reduce(jnp.maximum, [
      padded[:, i:i + 2 * out_h - 1:2, j:j + 2 * out_w - 1:2]
      for i in range(3) for j in range(3)])
