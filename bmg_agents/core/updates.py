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

"""Update rules φ(x, h, w) as pure functions, and unrolling them K times.

An update rule maps learner parameters x, the learner's optimiser state h,
meta-parameters w and a batch of data to new (x, h); see Section 3 of
"Bootstrapped Meta-Learning" (Flennerhag et al., https://arxiv.org/abs/2109.04504).
Rules are differentiable in w, so `unroll` gives x(K)(w) for the
meta-gradient (Alg. 2 / Alg. 5).
"""

from typing import Any, Callable, Dict, Tuple

import jax
import optax

Params = Any
OptState = Any
MetaParams = Any
Batch = Any
Metrics = Dict[str, Any]

# (x, h, w, batch) -> (x', h', metrics).
UpdateFn = Callable[[Params, OptState, MetaParams, Batch],
                    Tuple[Params, OptState, Metrics]]
# (x, h, batch) -> x': one step under a fixed objective and optimiser.
FinalStepFn = Callable[[Params, OptState, Batch], Params]
# (x, w, batch) -> (loss, metrics).
LossFn = Callable[[Params, MetaParams, Batch], Tuple[Any, Metrics]]


def gradient_update(loss_fn: LossFn,
                    optimizer: optax.GradientTransformation) -> UpdateFn:
  """φ as one optimiser step on a meta-parameterised loss.

  Args:
    loss_fn: (x, w, batch) -> (scalar loss, metrics); w enters the loss, e.g.
      as an entropy weight or per-head discount.
    optimizer: the learner's optimiser. For meta-gradients through it, keep
      it differentiable (Adam needs `eps_root > 0`).

  Returns:
    An `UpdateFn` whose metrics include the loss as 'loss'.
  """

  def update_fn(params, opt_state, meta_params, batch):
    grads, metrics = jax.grad(loss_fn, has_aux=True)(
        params, meta_params, batch)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, metrics

  return update_fn


def unroll(update_fn: UpdateFn, meta_params: MetaParams, params: Params,
           opt_state: OptState, batches: Batch
           ) -> Tuple[Params, OptState, Metrics]:
  """Applies `update_fn` once per batch: x(K)(w), Alg. 2 / Alg. 5.

  Args:
    update_fn: the update rule φ.
    meta_params: w, held fixed over the unroll.
    params: x(0).
    opt_state: h(0).
    batches: a pytree whose leaves have a leading axis of size K (K >= 0),
      one batch per step.

  Returns:
    (x(K), h(K), metrics stacked over the K steps).
  """

  def step(carry, batch):
    params, opt_state = carry
    params, opt_state, metrics = update_fn(
        params, opt_state, meta_params, batch)
    return (params, opt_state), metrics

  (params, opt_state), metrics = jax.lax.scan(
      step, (params, opt_state), batches)
  return params, opt_state, metrics


def sgd_step(loss_fn: Callable[[Params, Batch], Any],
             learning_rate: float) -> FinalStepFn:
  """A fixed final step x − α ∇f(x) that ignores the optimiser state.

  With α = ½ and squared-L2 matching, BMG's meta-gradient equals MG's
  (Eq. 3).
  """

  def final_step(params, opt_state, batch):
    del opt_state  # SGD is stateless.
    grads = jax.grad(loss_fn)(params, batch)
    return jax.tree_util.tree_map(
        lambda p, g: p - learning_rate * g, params, grads)

  return final_step


def optimizer_step(loss_fn: Callable[[Params, Batch], Any],
                   optimizer: optax.GradientTransformation,
                   reuse_state: bool = True) -> FinalStepFn:
  """A fixed final step under an optax optimiser (e.g. RMSProp, App. C).

  Args:
    loss_fn: (x, batch) -> scalar, the fixed objective.
    optimizer: the target's optimiser.
    reuse_state: continue from the learner's optimiser state h (which must
      then come from this same optimiser), as STACX-BMG's RMSProp target does;
      otherwise start from `optimizer.init(x)`.
  """

  def final_step(params, opt_state, batch):
    if not reuse_state:
      opt_state = optimizer.init(params)
    grads = jax.grad(loss_fn)(params, batch)
    updates, _ = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates)

  return final_step
