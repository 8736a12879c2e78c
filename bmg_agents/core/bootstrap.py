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

"""The target bootstrap ξ of Bootstrapped Meta-Gradients.

x̃ = ξ(x(K)): L − 1 further updates under the meta-learned rule φ(·, w), each
on its own batch, then one final update under a fixed objective and optimiser
(Section 3; Alg. 3, 6, 7 of "Bootstrapped Meta-Learning", Flennerhag et al.,
https://arxiv.org/abs/2109.04504). The target is a constant: every input is
stop-gradient'ed before the bootstrap runs (so no tangents are even traced)
and so is the result. Never backpropagate through the target.
"""

from typing import Any, Callable, NamedTuple, Optional

import jax

from bmg_agents.core import updates as updates_lib

Params = updates_lib.Params

# (x(K), h(K), w, target data) -> x̃.
TargetFn = Callable[[Params, Any, Any, Any], Params]


class TargetData(NamedTuple):
  """Data for the bootstrap.

  Attributes:
    batches: a pytree with leading axis L − 1 (one batch per meta-learned
      step), or None when L = 1.
    final_batch: the batch of the final step.
  """
  batches: Optional[Any]
  final_batch: Any


def bootstrap(params: Params, opt_state: Any, meta_params: Any,
              data: TargetData, *, update_fn: updates_lib.UpdateFn,
              final_step: Optional[updates_lib.FinalStepFn]) -> Params:
  """Computes the target x̃ = ξ(x(K)).

  Args:
    params: x(K).
    opt_state: h(K), the learner's optimiser state after the K steps.
    meta_params: w (used, but never differentiated, by the L − 1 steps).
    data: the L − 1 meta-learned steps' batches and the final batch.
    update_fn: the meta-learned rule φ.
    final_step: the fixed final step, e.g. `updates.sgd_step` or
      `updates.optimizer_step`; None takes the final step under φ as well
      (the paper's ablation, App. B.2 / C.3).

  Returns:
    x̃, wrapped in `stop_gradient`.
  """
  params, opt_state, meta_params = jax.lax.stop_gradient(
      (params, opt_state, meta_params))
  if data.batches is not None:
    params, opt_state, _ = updates_lib.unroll(
        update_fn, meta_params, params, opt_state, data.batches)
  if final_step is None:
    params, _, _ = update_fn(params, opt_state, meta_params, data.final_batch)
  else:
    params = final_step(params, opt_state, data.final_batch)
  return jax.lax.stop_gradient(params)


def make_target_fn(update_fn: updates_lib.UpdateFn,
                   final_step: Optional[updates_lib.FinalStepFn]) -> TargetFn:
  """`bootstrap` with its rule and final step fixed: a `TargetFn`."""

  def target_fn(params, opt_state, meta_params, data: TargetData):
    return bootstrap(params, opt_state, meta_params, data,
                     update_fn=update_fn, final_step=final_step)

  return target_fn
