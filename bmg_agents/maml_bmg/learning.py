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


"""MAML-BMG meta-learning as pure JAX functions (no Acme).

The meta-parameters w are the initialisation of every task's learner
(x(0) = w, MAML). Per task, K SGD steps on the support set give x(K)(w)
(`core.unroll`); the meta-loss is then either MAML's query cross-entropy
f(x(K)(w)) (`core.mg_loss`, Eq. 1) or BMG's μ(x̃, x(K)(w)) on the query set,
with x̃ = L − 1 SGD steps on the query set from x(K) and a final gradient
step (`core.bmg_loss`, Eq. 2, Alg. 7). The meta-gradient is averaged over
the meta-batch and applied with Adam. See App. D of "Bootstrapped
Meta-Learning" (Flennerhag et al., https://arxiv.org/abs/2109.04504).
The Acme learner wrapping `make_update_step` is `learner.MAMLLearner`.
"""

from typing import Any, Callable, NamedTuple, Optional

import haiku as hk
import jax
import jax.numpy as jnp
import optax

from bmg_agents import core
from bmg_agents.core import diagnostics
from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import data as data_lib
from bmg_agents.maml_bmg import losses
from bmg_agents.maml_bmg import networks as networks_lib

Params = networks_lib.Params
Task = data_lib.Task

# Table 6 batch statistics logged besides `core.diagnostics`' norm and cosine
# (NaN for a meta-batch of one task, so that every run logs the same keys).
BATCH_STATISTICS = ('variance', 'norm_to_variance')


class TrainingState(NamedTuple):
  """The meta-learner's state.

  Attributes:
    meta_params: w, the meta-learned initialisation.
    meta_opt_state: the Adam meta-optimiser's state.
    last_meta_grad: the previous meta-gradient (for the cosine diagnostic).
    steps: meta-updates done.
  """
  meta_params: Params
  meta_opt_state: Any
  last_meta_grad: Params
  steps: jnp.ndarray


def make_update_fn(apply_fn: Callable[[Params, jnp.ndarray], jnp.ndarray],
                   learning_rate: float, head: Optional[str] = None,
                   first_order: bool = False) -> core.updates.UpdateFn:
  """The inner update φ: one SGD step x − α∇f_D(x) on (images, labels).

  Written here rather than with `core.gradient_update` for two variants the
  core does not have: ANIL (Raghu et al., 2020) differentiates and updates
  only the head module, and FOMAML (Finn et al., 2017) stops the gradient of
  the step, so that ∂x(K)/∂w = I and the meta-gradient is ∇f(x(K)).

  Args:
    apply_fn: (params, images) -> logits.
    learning_rate: α.
    head: None updates every parameter; a Haiku module name updates that
      module only (ANIL; `MAMLNetworks.head`). A name the params lack raises
      a ValueError listing the module names (`networks.split_head`).
    first_order: treat the step's gradient as a constant (FOMAML).

  Returns:
    A `core.updates.UpdateFn` (x, h, w, batch) -> (x', h, {'loss': f_D(x)});
    h is unused (pass ()), w is unused (MAML meta-learns x(0) = w).
  """

  def update_fn(params, opt_state, meta_params, batch):
    del meta_params  # φ does not depend on w; x(0) = w does.
    images, labels = batch
    if head is not None:
      adapted, body = networks_lib.split_head(params, head)
      loss_fn = lambda h: losses.cross_entropy(
          apply_fn(hk.data_structures.merge(h, body), images), labels)
    else:
      adapted = params
      loss_fn = lambda x: losses.cross_entropy(apply_fn(x, images), labels)
    loss, grads = jax.value_and_grad(loss_fn)(adapted)
    if first_order:
      grads = jax.lax.stop_gradient(grads)
    adapted = jax.tree_util.tree_map(
        lambda p, g: p - learning_rate * g, adapted, grads)
    if head is not None:
      adapted = hk.data_structures.merge(adapted, body)
    return adapted, opt_state, {'loss': loss}

  return update_fn


def adapted_head(networks: networks_lib.MAMLNetworks,
                 config: config_lib.MAMLConfig) -> Optional[str]:
  """The module the inner loop adapts: `networks.head` for ANIL, else None
  (all parameters).

  Raises:
    ValueError: for ANIL, if the networks' parameters have no module named
      `networks.head` (checked on abstract values: nothing is computed).
  """
  if config.method != 'anil':
    return None
  params = jax.eval_shape(networks.init, jax.random.PRNGKey(0))
  networks_lib.split_head(params, networks.head)
  return networks.head


def repeat(batch, n: int):
  """Stacks `n` copies of a batch: the data of n steps on the same set."""
  return jax.tree_util.tree_map(
      lambda x: jnp.broadcast_to(x, (n,) + x.shape), batch)


def make_task_meta_loss(networks: networks_lib.MAMLNetworks,
                        config: config_lib.MAMLConfig):
  """Returns (w, task) -> (meta-loss, metrics) for one task.

  MG (maml / fomaml / anil): f_{D'}(x(K)(w)), the query cross-entropy after
  K inner steps on the support set. BMG: μ(x̃, x(K)(w)) on the query set
  (Alg. 7), where x̃ takes L − 1 further inner steps on the query set and a
  final step (`config.final_step`); the target is a constant (`core`).

  Args:
    networks: the classifier (`networks.head` is ANIL's adapted module).
    config: the agent's config.

  Raises:
    ValueError: for ANIL when the networks have no module `networks.head`.
  """
  apply_fn = networks.apply
  update_fn = make_update_fn(
      apply_fn, config.inner_learning_rate,
      head=adapted_head(networks, config),
      first_order=config.method == 'fomaml')
  batch_loss = lambda x, batch: losses.cross_entropy(
      apply_fn(x, batch[0]), batch[1])
  final_step = (core.sgd_step(batch_loss, config.inner_learning_rate)
                if config.final_step == 'objective' else None)
  target_fn = core.make_target_fn(update_fn, final_step)
  matching_fn = core.matching.make_bmg_matching_fn(
      config.matching,
      lambda params, meta_params, batch: core.Outputs(
          logits=apply_fn(params, batch[0])),
      config.temperature)

  def task_meta_loss(meta_params, task: Task):
    support = (task.support_images, task.support_labels)
    query = (task.query_images, task.query_labels)
    inner = repeat(support, config.K)
    if config.meta_objective == 'bmg':
      bootstrap = repeat(query, config.L - 1) if config.L > 1 else None
      loss, out = core.bmg_loss(
          meta_params, meta_params, (), inner,
          core.TargetData(bootstrap, query), query, update_fn=update_fn,
          target_fn=target_fn, matching_fn=matching_fn)
    else:
      loss, out = core.mg_loss(
          meta_params, meta_params, (), inner, query, update_fn=update_fn,
          meta_objective=lambda x, w, batch: batch_loss(x, batch))
    logits = apply_fn(out.params, task.query_images)
    metrics = {
        'meta_loss': loss,
        'support_loss': out.inner_metrics['loss'][0],
        'query_loss': losses.cross_entropy(logits, task.query_labels),
        'query_accuracy': losses.accuracy(logits, task.query_labels),
    }
    return loss, metrics

  return task_meta_loss


def map_tasks(fn: Callable[[Task], Any], tasks: Task, how: str) -> Any:
  """fn over the leading (task) axis of `tasks`, stacked.

  Args:
    fn: a function of one task.
    tasks: a batch of tasks.
    how: 'map' (lax.map: one task at a time), 'vmap' (batched), or 'unroll'
      (a Python loop inside the trace); see benchmarks/maml_speed.py.
  """
  if how == 'map':
    return jax.lax.map(fn, tasks)
  if how == 'vmap':
    return jax.vmap(fn)(tasks)
  n = jax.tree_util.tree_leaves(tasks)[0].shape[0]
  outs = [fn(jax.tree_util.tree_map(lambda x, i=i: x[i], tasks))
          for i in range(n)]
  return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *outs)


def make_meta_optimizer(config: config_lib.MAMLConfig
                        ) -> optax.GradientTransformation:
  """Adam with step size β (Table 4); w is not differentiated through it."""
  return optax.adam(config.meta_learning_rate)


def make_update_step(networks: networks_lib.MAMLNetworks,
                     config: config_lib.MAMLConfig,
                     meta_optimizer: optax.GradientTransformation,
                     axis_name: Optional[str] = None):
  """Returns the pure meta-update (state, tasks) -> (state, metrics).

  The meta-gradient is the mean over the meta-batch of per-task
  meta-gradients (App. D.1). Metrics: the task-averaged meta-loss, support /
  query losses and query accuracy; `core.diagnostics.META_GRAD_NORM` and
  `META_GRAD_COSINE` (cosine to the previous meta-gradient, 0 at the first
  step); and the Table 6 per-batch variance and norm-to-variance ratio of the
  per-task meta-gradients (`BATCH_STATISTICS`, NaN for one task). The keys
  are the same at every step.

  With `axis_name` (under `pmap`), `tasks` is this device's slice of the
  meta-batch: the per-task meta-gradients and metrics are gathered over the
  axis in device order (Table 6's statistics need every task's
  meta-gradient, not only their mean), so every device takes the update of
  the whole meta-batch, the one the un-mapped function takes on it.
  """
  task_grad = jax.grad(make_task_meta_loss(networks, config), has_aux=True)

  def update_step(state: TrainingState, tasks: Task):
    grads, metrics = map_tasks(
        lambda task: task_grad(state.meta_params, task), tasks,
        config.task_map)
    if axis_name is not None:
      grads, metrics = jax.lax.all_gather((grads, metrics), axis_name,
                                          axis=0, tiled=True)
    meta_grad = jax.tree_util.tree_map(lambda g: g.mean(0), grads)
    updates, meta_opt_state = meta_optimizer.update(
        meta_grad, state.meta_opt_state, state.meta_params)
    meta_params = optax.apply_updates(state.meta_params, updates)
    metrics = jax.tree_util.tree_map(jnp.mean, metrics)
    metrics.update(diagnostics.meta_gradient_metrics(
        meta_grad, state.last_meta_grad))
    if jax.tree_util.tree_leaves(grads)[0].shape[0] > 1:
      stats = diagnostics.batch_statistics(grads)
      metrics.update({k: stats[k] for k in BATCH_STATISTICS})
    else:  # No spread across one task.
      metrics.update({k: jnp.full((), jnp.nan) for k in BATCH_STATISTICS})
    state = state._replace(
        meta_params=meta_params, meta_opt_state=meta_opt_state,
        last_meta_grad=meta_grad, steps=state.steps + 1)
    return state, metrics

  return update_step


def init_state(key: jax.Array, networks: networks_lib.MAMLNetworks,
               meta_optimizer: optax.GradientTransformation) -> TrainingState:
  """The state before meta-training: w from `networks.init(key)`."""
  meta_params = networks.init(key)
  return TrainingState(
      meta_params=meta_params,
      meta_opt_state=meta_optimizer.init(meta_params),
      last_meta_grad=jax.tree_util.tree_map(jnp.zeros_like, meta_params),
      steps=jnp.zeros((), jnp.int32))


def sample_meta_batch(task_key: jax.Array, step, images,
                      config: config_lib.MAMLConfig) -> Task:
  """The meta-batch of meta-step `step`: tasks from fold_in(key, step)."""
  return data_lib.sample_tasks(
      jax.random.fold_in(task_key, step), images, config.meta_batch_size,
      config.ways, config.shots, config.queries)


def make_evaluate(networks: networks_lib.MAMLNetworks,
                  config: config_lib.MAMLConfig):
  """Returns (w, tasks) -> (query accuracy [T], query loss [T]).

  Meta-test protocol (App. D.2): from w, `test_adaptation_steps` inner SGD
  steps on each task's support set (head only for ANIL), then accuracy on
  its query set.
  """
  apply_fn = networks.apply
  update_fn = make_update_fn(apply_fn, config.inner_learning_rate,
                             head=adapted_head(networks, config))

  def evaluate_task(meta_params, task: Task):
    support = (task.support_images, task.support_labels)
    params, _, _ = core.unroll(update_fn, None, meta_params, (),
                               repeat(support, config.test_adaptation_steps))
    logits = apply_fn(params, task.query_images)
    return (losses.accuracy(logits, task.query_labels),
            losses.cross_entropy(logits, task.query_labels))

  def evaluate(meta_params, tasks: Task):
    return jax.lax.map(lambda t: evaluate_task(meta_params, t), tasks)

  return evaluate
