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

"""Meta-gradient diagnostics of "Bootstrapped Meta-Learning" Tables 3 and 6.

* cosine similarity between consecutive meta-gradients: a probe of
  ill-conditioning (gradient interference);
* per-batch meta-gradient variance: the variance, across the samples of one
  batch (tasks of a meta-batch, or trajectories of a batch), of the
  per-sample meta-gradients, averaged over coordinates;
* norm-to-variance ratio: ‖ḡ‖² / Σ_j Var(g_j), the squared norm of the
  batch's mean meta-gradient over its total variance (a signal-to-noise
  ratio; larger means the batch agrees on a direction).
"""

from typing import Any, Dict

import jax
import jax.numpy as jnp

# The keys every meta-learning agent logs its meta-gradient under.
META_GRAD_NORM = 'meta_grad_norm'
META_GRAD_COSINE = 'meta_grad_cosine'


def _safe_divide(x: jax.Array, y: jax.Array) -> jax.Array:
  """x / y where y > 0, else 0 (no floor: meta-gradients can be ~1e-7)."""
  positive = y > 0
  return jnp.where(positive, x / jnp.where(positive, y, 1.), 0.)


def flatten(tree: Any) -> jax.Array:
  """Concatenates a pytree's leaves into one vector."""
  return jnp.concatenate(
      [jnp.ravel(x) for x in jax.tree_util.tree_leaves(tree)])


def cosine_similarity(a: Any, b: Any) -> jax.Array:
  """cos(a, b) between two pytrees of the same structure; 0 if either is 0."""
  a, b = flatten(a), flatten(b)
  # Normalise each first: the product of two small norms can underflow.
  return jnp.dot(_safe_divide(a, jnp.linalg.norm(a)),
                 _safe_divide(b, jnp.linalg.norm(b)))


def batch_statistics(per_sample_grads: Any) -> Dict[str, jax.Array]:
  """Variance and norm-to-variance ratio of per-sample meta-gradients.

  Args:
    per_sample_grads: a pytree whose leaves have a leading sample axis S >= 2
      (e.g. from `jax.vmap` of a meta-gradient over tasks).

  Returns:
    'variance': mean over coordinates of the unbiased variance across
      samples; 'norm': ‖ḡ‖ of the mean gradient; 'norm_to_variance':
      ‖ḡ‖² / total variance (inf if only the variance is 0, 0 if both
      are). Both are scale-invariant: no epsilon floor.
  """
  leaves = jax.tree_util.tree_leaves(per_sample_grads)
  g = jnp.concatenate([x.reshape(x.shape[0], -1) for x in leaves], axis=1)
  mean = jnp.mean(g, axis=0)
  var = jnp.var(g, axis=0, ddof=1)
  total_var = jnp.sum(var)
  sq_norm = jnp.sum(jnp.square(mean))
  return {
      'variance': jnp.mean(var),
      'norm': jnp.sqrt(sq_norm),
      'norm_to_variance': jnp.where(
          total_var > 0, _safe_divide(sq_norm, total_var),
          jnp.where(sq_norm > 0, jnp.inf, 0.)),
  }


def meta_gradient_metrics(meta_grad: Any, previous_meta_grad: Any
                          ) -> Dict[str, jax.Array]:
  """{'meta_grad_norm': ‖g‖, 'meta_grad_cosine': cos(g, g_prev)} (Table 6).

  Pass zeros as `previous_meta_grad` before the first meta-update: the
  cosine is then 0.
  """
  return {META_GRAD_NORM: jnp.linalg.norm(flatten(meta_grad)),
          META_GRAD_COSINE: cosine_similarity(meta_grad, previous_meta_grad)}
