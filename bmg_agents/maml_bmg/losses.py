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


"""MAML-BMG losses: the few-shot classifier's objective f_D and accuracy.

See "Bootstrapped Meta-Learning" by Flennerhag et al.
(https://arxiv.org/abs/2109.04504), App. D.1: the inner loop and MAML's
meta-objective are the cross-entropy of a task's support / query set. BMG's
matching losses μ over the same logits come from `core.matching`.
"""

import chex
import jax.numpy as jnp
import optax

Array = chex.Array


def cross_entropy(logits: Array, labels: Array) -> Array:
  """f_D: mean negative log-likelihood of the labels of one set D.

  See App. D.1 of "Bootstrapped Meta-Learning" by Flennerhag et al.
  (https://arxiv.org/abs/2109.04504).

  Args:
    logits: [B, N] the classifier's logits on the B examples of D.
    labels: [B] integer labels in [0, N).

  Returns:
    A scalar, the mean over the B examples.
  """
  chex.assert_rank([logits, labels], [2, 1])
  chex.assert_equal_shape_prefix([logits, labels], 1)
  return optax.softmax_cross_entropy_with_integer_labels(
      logits, labels).mean()


def accuracy(logits: Array, labels: Array) -> Array:
  """Fraction of the B examples whose arg-max logit is the label.

  Args:
    logits: [B, N] the classifier's logits.
    labels: [B] integer labels.

  Returns:
    A scalar in [0, 1].
  """
  chex.assert_rank([logits, labels], [2, 1])
  chex.assert_equal_shape_prefix([logits, labels], 1)
  return jnp.mean(jnp.argmax(logits, axis=-1) == labels)
