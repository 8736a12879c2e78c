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

"""Matching functions μ(x̃, x) between a bootstrapped target and the learner.

See "Bootstrapped Meta-Learning" by Flennerhag et al.
(https://arxiv.org/abs/2109.04504), Eq. 2 and App. C ("Matching functions").

The gradient of a matching loss is taken w.r.t. its second argument, the
learner's output x(K)(w); the target x̃ is a constant. Every function here
therefore applies `stop_gradient` to its target itself, so a caller cannot
leak gradient into the bootstrap by mistake.

Outputs are matched in one of three spaces:
  * policy space: logits `[..., A]` of a categorical policy (KL divergences);
  * value space: value predictions `[...]` (squared error);
  * parameter space: any pytree (squared L2, the matching under which BMG
    reduces to the standard meta-gradient, Eq. 3).
Policy and value losses average over all leading (time/batch) dimensions,
optionally weighted by a `mask` of the same leading shape.
"""

import re
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Union

import chex
import jax
import jax.numpy as jnp

Array = chex.Array
Params = Any

# Canonical matching names -> what they measure.
KL = 'kl'                    # KL(π_target ‖ π), mode covering (paper default).
REVERSE_KL = 'reverse_kl'    # KL(π ‖ π_target), mode seeking.
SYMMETRIC_KL = 'symmetric_kl'  # ½ [KL(π_target ‖ π) + KL(π ‖ π_target)].
VALUE = 'value'              # E[(v_target − v)²].
L2 = 'l2'                    # ‖x̃ − x‖² in parameter space.
NAMES = (KL, REVERSE_KL, SYMMETRIC_KL, VALUE, L2)

# Short names used by the paper's figures and our launchers.
ALIASES = {
    'kl_s': {SYMMETRIC_KL: 1.},
    'kl_1': {KL: 1.},
    'kl_2': {REVERSE_KL: 1.},
    'v': {VALUE: 1.},
    'kl_v': {KL: 1., VALUE: .25},  # "KL & V", App. C: value weight 0.25.
}


class Outputs(NamedTuple):
  """What a network produces on the matching data.

  Attributes:
    logits: `[..., A]` policy logits, or None when not matched.
    values: `[...]` value predictions, or None when not matched.
    params: the parameters that produced them (needed by L2 matching).
    mask: optional `[...]` weights of valid (non-padded) entries.
  """
  logits: Optional[Array] = None
  values: Optional[Array] = None
  params: Optional[Params] = None
  mask: Optional[Array] = None


# How per-state terms are reduced: the mean over (valid) states, the paper's
# default, or their sum (a meta-gradient that grows with the batch).
REDUCTIONS = ('mean', 'sum')


def _check_reduction(reduction: str) -> None:
  if reduction not in REDUCTIONS:
    raise ValueError(f'reduction must be one of {", ".join(REDUCTIONS)}, '
                     f'got {reduction!r}.')


def _reduce(x: Array, mask: Optional[Array], reduction: str = 'mean'
            ) -> Array:
  _check_reduction(reduction)
  if mask is not None:
    x = x * mask.astype(x.dtype)
  if reduction == 'sum':
    return jnp.sum(x)
  if mask is None:
    return jnp.mean(x)
  return jnp.sum(x) / jnp.maximum(jnp.sum(mask.astype(x.dtype)), 1.)


def _kl(p_logits: Array, q_logits: Array) -> Array:
  """Per-example KL(softmax(p) ‖ softmax(q)); safe when p has zeros."""
  p = jax.nn.softmax(p_logits)
  log_p = jax.nn.log_softmax(p_logits)
  log_q = jax.nn.log_softmax(q_logits)
  # Terms with p = 0 contribute 0 (e.g. a greedy target with -inf logits).
  return jnp.sum(jnp.where(p > 0., p * (log_p - log_q), 0.), axis=-1)


def _target_logits(target_logits: Array, temperature: float) -> Array:
  return jax.lax.stop_gradient(target_logits) / temperature


def kl(target_logits: Array, logits: Array, mask: Optional[Array] = None,
       temperature: float = 1., reduction: str = 'mean') -> Array:
  """KL(π_target ‖ π) averaged over leading dimensions (paper default).

  Args:
    target_logits: `[..., A]` logits of the target policy π_x̃ (constant).
    logits: `[..., A]` logits of the learner's policy π_x(K)(w).
    mask: optional `[...]` weights of valid entries.
    temperature: divides the target logits (> 1 flattens the target).
    reduction: 'mean' over the (valid) entries, or their 'sum'.

  Returns:
    A scalar.
  """
  chex.assert_equal_shape([target_logits, logits])
  return _reduce(
      _kl(_target_logits(target_logits, temperature), logits), mask,
      reduction)


def reverse_kl(target_logits: Array, logits: Array,
               mask: Optional[Array] = None, temperature: float = 1.,
               reduction: str = 'mean') -> Array:
  """KL(π ‖ π_target) averaged over leading dimensions; see `kl`."""
  chex.assert_equal_shape([target_logits, logits])
  return _reduce(
      _kl(logits, _target_logits(target_logits, temperature)), mask,
      reduction)


def symmetric_kl(target_logits: Array, logits: Array,
                 mask: Optional[Array] = None,
                 temperature: float = 1., reduction: str = 'mean') -> Array:
  """½ [KL(π_target ‖ π) + KL(π ‖ π_target)]; see `kl`."""
  return .5 * (kl(target_logits, logits, mask, temperature, reduction) +
               reverse_kl(target_logits, logits, mask, temperature,
                          reduction))


def value_matching(target_values: Array, values: Array,
                   mask: Optional[Array] = None,
                   reduction: str = 'mean') -> Array:
  """E[(v_target − v)²] averaged over leading dimensions (App. C, μ^v)."""
  chex.assert_equal_shape([target_values, values])
  return _reduce(
      jnp.square(jax.lax.stop_gradient(target_values) - values), mask,
      reduction)


def squared_l2(target_params: Params, params: Params) -> Array:
  """‖x̃ − x‖²₂ summed over every leaf of two parameter pytrees (Eq. 3)."""
  chex.assert_trees_all_equal_shapes(target_params, params)
  diffs = jax.tree_util.tree_map(
      lambda t, x: jnp.sum(jnp.square(jax.lax.stop_gradient(t) - x)),
      target_params, params)
  return sum(jax.tree_util.tree_leaves(diffs))


def parse(spec: Union[str, Mapping[str, float]],
          field: str = 'matching') -> Dict[str, float]:
  """Turns a matching spec into {canonical name: weight}.

  Accepted: a canonical name (`kl`, `reverse_kl`, `symmetric_kl`, `value`,
  `l2`), an alias (`kl_s`, `kl_1`, `kl_2`, `v`, `kl_v`), a weighted sum such as
  `'kl+0.25*value'`, or a mapping of names to weights.

  Args:
    spec: the matching function(s) and their weights.
    field: the config field or flag named in error messages.

  Returns:
    Non-empty dict from canonical names to non-negative weights.

  Raises:
    ValueError: unknown name, negative weight, or nothing to match.
  """
  if isinstance(spec, str):
    weights = {}
    for term in spec.replace(' ', '').split('+'):
      match = re.fullmatch(r'(?:([0-9.eE+-]+)\*)?([a-z_0-9]+)', term)
      if not match:
        raise ValueError(f'{field}: cannot parse {term!r} in {spec!r}; '
                         "expected e.g. 'kl' or 'kl+0.25*value'.")
      scale = float(match.group(1)) if match.group(1) else 1.
      for name, weight in _expand(match.group(2), field).items():
        weights[name] = weights.get(name, 0.) + scale * weight
  elif isinstance(spec, Mapping):
    weights = {}
    for name, weight in spec.items():
      for canonical, w in _expand(name, field).items():
        weights[canonical] = weights.get(canonical, 0.) + float(weight) * w
  else:
    raise ValueError(f'{field} must be a string or a mapping of names to '
                     f'weights, got {type(spec).__name__}.')
  for name, weight in weights.items():
    if not weight >= 0.:  # Also rejects NaN.
      raise ValueError(f'{field}: weight of {name!r} must be >= 0, '
                       f'got {weight}.')
  weights = {k: v for k, v in weights.items() if v > 0.}
  if not weights:
    raise ValueError(f'{field}: {spec!r} gives every matching function '
                     'zero weight.')
  return weights


def _expand(name: str, field: str) -> Dict[str, float]:
  if name in NAMES:
    return {name: 1.}
  if name in ALIASES:
    return dict(ALIASES[name])
  raise ValueError(
      f'{field}: unknown matching function {name!r}; choose from '
      f'{", ".join(NAMES + tuple(ALIASES))} or a weighted sum like '
      "'kl+0.25*value'.")


MatchingFn = Callable[[Outputs, Outputs], Array]


def make_matching_fn(spec: Union[str, Mapping[str, float]],
                     temperature: float = 1.,
                     field: str = 'matching',
                     reduction: str = 'mean') -> MatchingFn:
  """Returns μ(target: Outputs, online: Outputs) -> scalar for a spec.

  The result is Σ_i weight_i · μ_i over the parsed spec (see `parse`); e.g.
  `'kl_v'` gives KL(π_x̃ ‖ π_x) + 0.25 E[(v_x̃ − v_x)²] (App. C). Policy
  terms read `logits`, value terms `values`, L2 reads `params`; the mask of
  the online outputs weighs policy and value terms.

  Args:
    spec: matching names and weights, see `parse`.
    temperature: temperature on the target policy (> 0).
    field: the config field or flag named in error messages.
    reduction: policy and value terms' reduction over states, 'mean' (the
      paper's) or 'sum'; L2 always sums over parameters.

  Raises:
    ValueError: for a bad spec, a non-positive temperature or an unknown
      reduction.
  """
  weights = parse(spec, field)
  if not temperature > 0.:
    raise ValueError(f'temperature must be > 0, got {temperature}.')
  _check_reduction(reduction)

  def matching_fn(target: Outputs, online: Outputs) -> Array:
    total = 0.
    for name, weight in weights.items():
      if name == L2:
        loss = squared_l2(target.params, online.params)
      elif name == VALUE:
        loss = value_matching(target.values, online.values, online.mask,
                              reduction)
      else:
        policy_fn = {KL: kl, REVERSE_KL: reverse_kl,
                     SYMMETRIC_KL: symmetric_kl}[name]
        loss = policy_fn(target.logits, online.logits, online.mask,
                         temperature, reduction)
      total = total + weight * loss
    return total

  return matching_fn


# (params, meta-parameters, matching data) -> the Outputs that μ compares.
OutputsFn = Callable[[Params, Any, Any], Outputs]


def make_bmg_matching_fn(spec: Union[str, Mapping[str, float]],
                         outputs_fn: OutputsFn, temperature: float = 1.,
                         field: str = 'matching', reduction: str = 'mean'
                         ) -> Callable[[Params, Params, Any, Any], Array]:
  """μ in the form `core.bmg_loss` takes: (x̃, x(K)(w), w, data) -> scalar.

  Evaluates `outputs_fn` at the target and at the learner's parameters on
  the same matching data and compares them with `make_matching_fn(spec)`.
  The target's outputs are stop-gradient'ed by the matching functions.

  Args:
    spec: matching names and weights, see `parse`.
    outputs_fn: (params, meta_params, data) -> Outputs; meta_params matter
      only for rules whose matched output depends on w directly (Q(λ)'s
      meta-learned ε-greedy policy).
    temperature: temperature on the target policy (> 0).
    field: the config field or flag named in error messages.
    reduction: 'mean' or 'sum' over states, see `make_matching_fn`.
  """
  matching_fn = make_matching_fn(spec, temperature, field, reduction)

  def bmg_matching_fn(target_params, params, meta_params, data) -> Array:
    return matching_fn(outputs_fn(target_params, meta_params, data),
                       outputs_fn(params, meta_params, data))

  return bmg_matching_fn
