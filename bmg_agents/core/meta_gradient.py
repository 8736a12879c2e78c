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

"""One meta-update: bootstrapped (BMG, Eq. 2) and standard (MG, Eq. 1).

BMG: w ← w − β ∇w μ(x̃, x(K)(w)), with x(K)(w) the learner after K
differentiable updates under φ(·, w) and x̃ = ξ(x(K)) a constant target.
MG:  w ← w − β ∇w f(x(K)(w)).
See "Bootstrapped Meta-Learning" (Flennerhag et al.,
https://arxiv.org/abs/2109.04504), Section 3 and Alg. 3, 6, 7. These
functions return meta-gradients; applying them is the caller's optax
meta-optimiser's job. Parameters, optimiser states and meta-parameters may be
any pytrees.
"""

from typing import Any, Callable, NamedTuple, Tuple

import jax

from bmg_agents.core import bootstrap as bootstrap_lib
from bmg_agents.core import updates as updates_lib

Params = updates_lib.Params
MetaParams = updates_lib.MetaParams

# (x̃, x(K)(w), w, matching data) -> scalar μ. w is passed for rules whose
# matched output depends on w directly (e.g. a meta-learned ε-greedy policy,
# where K = 0); most matching functions ignore it.
MatchingFn = Callable[[Params, Params, MetaParams, Any], Any]
# (x(K)(w), w, data) -> scalar f.
MetaObjective = Callable[[Params, MetaParams, Any], Any]


class MetaOutput(NamedTuple):
  """What a meta-update computed besides its gradient.

  Attributes:
    loss: the meta-loss μ(x̃, x(K)) (BMG) or f(x(K)) (MG).
    params: x(K), stop-gradient'ed: the learner continues from here (or from
      further along, as the agent decides).
    opt_state: h(K), stop-gradient'ed.
    target: x̃ (None for MG).
    inner_metrics: the update rule's metrics, stacked over the K steps.
  """
  loss: Any
  params: Params
  opt_state: Any
  target: Any
  inner_metrics: Any


def bmg_loss(meta_params: MetaParams, params: Params, opt_state: Any,
             inner_batches: Any, target_data: Any, matching_data: Any, *,
             update_fn: updates_lib.UpdateFn,
             target_fn: bootstrap_lib.TargetFn,
             matching_fn: MatchingFn) -> Tuple[Any, MetaOutput]:
  """μ(x̃, x(K)(w)) and what it computed (Eq. 2), differentiable in w only.

  Args:
    meta_params: w.
    params: x, the learner's parameters before the K steps.
    opt_state: h, the learner's optimiser state.
    inner_batches: K batches (leading axis K) for x(K)(w).
    target_data: whatever `target_fn` needs, e.g. `bootstrap.TargetData`.
    matching_data: the data μ is evaluated on.
    update_fn: the meta-learned update rule φ.
    target_fn: the target bootstrap ξ, e.g. from `bootstrap.make_target_fn`,
      or a function returning a target computed elsewhere (the online agents
      take x̃ from their own later updates, App. B.2-B.3).
    matching_fn: μ.

  Returns:
    (μ, MetaOutput).
  """
  params_k, opt_state_k, metrics = updates_lib.unroll(
      update_fn, meta_params, params, opt_state, inner_batches)
  # ξ sees no tangents: its inputs are constants (bootstrap.py stops them
  # too; doing it here keeps custom target functions honest as well).
  target = jax.lax.stop_gradient(target_fn(
      *jax.lax.stop_gradient((params_k, opt_state_k, meta_params)),
      target_data))
  loss = matching_fn(target, params_k, meta_params, matching_data)
  output = MetaOutput(loss, *jax.lax.stop_gradient((params_k, opt_state_k)),
                      target, metrics)
  return loss, output


def mg_loss(meta_params: MetaParams, params: Params, opt_state: Any,
            inner_batches: Any, meta_data: Any, *,
            update_fn: updates_lib.UpdateFn,
            meta_objective: MetaObjective) -> Tuple[Any, MetaOutput]:
  """The standard meta-objective f(x(K)(w)) (Eq. 1); see `bmg_loss`."""
  params_k, opt_state_k, metrics = updates_lib.unroll(
      update_fn, meta_params, params, opt_state, inner_batches)
  loss = meta_objective(params_k, meta_params, meta_data)
  output = MetaOutput(loss, *jax.lax.stop_gradient((params_k, opt_state_k)),
                      None, metrics)
  return loss, output


def bmg_meta_gradient(meta_params, params, opt_state, inner_batches,
                      target_data, matching_data, **kwargs
                      ) -> Tuple[MetaParams, MetaOutput]:
  """∇w μ(x̃, x(K)(w)) and the `MetaOutput`; arguments as in `bmg_loss`."""
  return jax.grad(bmg_loss, has_aux=True)(
      meta_params, params, opt_state, inner_batches, target_data,
      matching_data, **kwargs)


def mg_meta_gradient(meta_params, params, opt_state, inner_batches,
                     meta_data, **kwargs) -> Tuple[MetaParams, MetaOutput]:
  """∇w f(x(K)(w)) and the `MetaOutput`; arguments as in `mg_loss`."""
  return jax.grad(mg_loss, has_aux=True)(
      meta_params, params, opt_state, inner_batches, meta_data, **kwargs)
