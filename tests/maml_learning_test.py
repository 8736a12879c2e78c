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

"""Tests of MAML / FOMAML / ANIL / BMG meta-gradients and meta-training."""

import dataclasses

import haiku as hk
import jax
from jax import flatten_util
from jax.experimental import enable_x64
import jax.numpy as jnp
import numpy as np
import pytest

from bmg_agents import core
from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import data
from bmg_agents.maml_bmg import fused
from bmg_agents.maml_bmg import learning
from bmg_agents.maml_bmg import losses
from bmg_agents.maml_bmg import networks as networks_lib

_TREE = jax.tree_util.tree_map


def _setup(dtype=jnp.float32, ways=3, **overrides):
  """A tiny conv net (2 blocks of 3 channels on 8x8 images) and one task."""
  config = config_lib.MAMLConfig(
      ways=ways, shots=2, queries=2, meta_batch_size=2, channels=3,
      num_layers=2, inner_learning_rate=0.3, **overrides)
  net = networks_lib.make_networks((8, 8, 1), config)
  params = _TREE(lambda x: x.astype(dtype), net.init(jax.random.PRNGKey(0)))
  images = np.asarray(jax.random.uniform(
      jax.random.PRNGKey(1), (6, 4, 8, 8, 1)) * 255, np.uint8)
  task = data.sample_task(jax.random.PRNGKey(2), images, ways, 2, 2)
  task = task._replace(support_images=task.support_images.astype(dtype),
                       query_images=task.query_images.astype(dtype))
  return config, net, params, task


def _sgd(net, params, images, labels, lr, steps, mask=None):
  """Plain-Python SGD, the reference for the inner loop."""
  loss = lambda p: losses.cross_entropy(net.apply(p, images), labels)
  for _ in range(steps):
    grads = jax.grad(loss)(params)
    if mask is not None:
      grads = _TREE(lambda g, m: g * m, grads, mask)
    params = _TREE(lambda p, g: p - lr * g, params, grads)
  return params


def test_maml_meta_gradient_matches_finite_differences():
  with enable_x64():
    config, net, w, task = _setup(jnp.float64, method='maml', K=2)
    loss_fn = learning.make_task_meta_loss(net, config)
    grad = jax.jit(jax.grad(lambda p: loss_fn(p, task)[0]))(w)
    flat, unravel = flatten_util.ravel_pytree(w)
    g = flatten_util.ravel_pytree(grad)[0]
    f = jax.jit(lambda v: loss_fn(unravel(v), task)[0])
    eps = 1e-5
    rng = np.random.RandomState(0)
    for _ in range(3):
      direction = rng.normal(size=flat.shape)
      direction /= np.linalg.norm(direction)
      numeric = (f(flat + eps * direction) - f(flat - eps * direction)) / (
          2 * eps)
      np.testing.assert_allclose(numeric, g @ direction, rtol=1e-5,
                                 atol=1e-9)
    # It is the second-order gradient: FOMAML's differs.
    fo_config = dataclasses.replace(config, method='fomaml')
    fo_grad = jax.jit(jax.grad(lambda p: learning.make_task_meta_loss(
        net, fo_config)(p, task)[0]))(w)
    assert not np.allclose(flatten_util.ravel_pytree(fo_grad)[0], g,
                           rtol=1e-3)


def test_fomaml_gradient_is_query_gradient_at_adapted_params():
  config, net, w, task = _setup(method='fomaml', K=3)
  grad = jax.grad(
      lambda p: learning.make_task_meta_loss(net, config)(p, task)[0])(w)
  adapted = _sgd(net, w, task.support_images, task.support_labels,
                 config.inner_learning_rate, 3)
  expected = jax.grad(lambda p: losses.cross_entropy(
      net.apply(p, task.query_images), task.query_labels))(adapted)
  _TREE(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
        grad, expected)


def test_anil_adapts_only_the_head():
  config, net, w, task = _setup(method='anil', K=2)
  update_fn = learning.make_update_fn(
      net.apply, config.inner_learning_rate, head=net.head)
  support = (task.support_images, task.support_labels)
  adapted, _, _ = core.unroll(update_fn, None, w, (),
                              learning.repeat(support, 2))
  for module, leaves in adapted.items():
    for name, value in leaves.items():
      changed = not np.allclose(value, w[module][name])
      assert changed == (module == networks_lib.HEAD), (module, name)
  mask = _TREE(lambda x: 0., w)
  mask[networks_lib.HEAD] = _TREE(lambda x: 1., w[networks_lib.HEAD])
  expected = _sgd(net, w, *support, config.inner_learning_rate, 2, mask)
  _TREE(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
        adapted,
        expected)
  # Its meta-gradient reaches the body too, through the adapted head and the
  # query forward pass (second order in the head, Raghu et al. 2020).
  def reference(p):
    head, body = hk.data_structures.partition(
        lambda m, n, v: m == networks_lib.HEAD, p)
    def head_loss(head, images, labels):
      return losses.cross_entropy(
          net.apply(hk.data_structures.merge(body, head), images), labels)
    for _ in range(2):
      g = jax.grad(head_loss)(head, *support)
      head = _TREE(lambda h, gg: h - config.inner_learning_rate * gg, head, g)
    return head_loss(head, task.query_images, task.query_labels)
  grad = jax.grad(
      lambda p: learning.make_task_meta_loss(net, config)(p, task)[0])(w)
  _TREE(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
        grad, jax.grad(reference)(w))
  assert np.abs(grad['conv_0']['w']).max() > 0


@pytest.mark.parametrize('matching', ['kl', 'reverse_kl'])
def test_bmg_target_receives_no_gradient(matching):
  config, net, w, task = _setup(method='bmg', K=1, L=3, matching=matching,
                                temperature=2.)
  grad = jax.jit(jax.grad(
      lambda p: learning.make_task_meta_loss(net, config)(p, task)[0]))(w)
  # Reference: the target computed outside the differentiated function, as
  # a constant: L - 1 = 2 SGD steps on the query set, then a final SGD step.
  lr = config.inner_learning_rate
  x_k = _sgd(net, w, task.support_images, task.support_labels, lr, 1)
  target = _sgd(net, x_k, task.query_images, task.query_labels, lr, 3)
  target_logits = net.apply(target, task.query_images) / 2.

  def reference(p):
    logits = net.apply(
        _sgd(net, p, task.support_images, task.support_labels, lr, 1),
        task.query_images)
    if matching == 'kl':
      return core.matching.kl(target_logits, logits)
    return core.matching.reverse_kl(target_logits, logits)

  expected = jax.jit(jax.grad(reference))(w)
  _TREE(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
        grad, expected)


def test_update_step_averages_tasks_and_reports_diagnostics():
  config, net, w, _ = _setup(method='maml', K=1)
  images = np.asarray(jax.random.uniform(
      jax.random.PRNGKey(3), (6, 4, 8, 8, 1)) * 255, np.uint8)
  tasks = data.sample_tasks(jax.random.PRNGKey(4), images, 2, 3, 2, 2)
  optimizer = learning.make_meta_optimizer(config)
  state = learning.init_state(jax.random.PRNGKey(0), net, optimizer)
  loss_fn = learning.make_task_meta_loss(net, config)
  task_grad = jax.jit(jax.grad(lambda p, t: loss_fn(p, t)[0]))
  per_task = [task_grad(state.meta_params, _TREE(lambda x, i=i: x[i], tasks))
              for i in range(2)]
  expected = _TREE(lambda a, b: (a + b) / 2, *per_task)
  # The default task map (lax.map); benchmarks/maml_speed.py runs the others.
  step = jax.jit(learning.make_update_step(net, config, optimizer))
  new_state, metrics = step(state, tasks)
  _TREE(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
        new_state.last_meta_grad, expected)
  assert float(metrics['variance']) > 0
  assert int(new_state.steps) == 1
  # core.diagnostics' keys, the same at every step; cosine 0 at the first.
  norm = np.linalg.norm(flatten_util.ravel_pytree(expected)[0])
  np.testing.assert_allclose(metrics[core.diagnostics.META_GRAD_NORM], norm,
                             rtol=1e-4)
  assert float(metrics[core.diagnostics.META_GRAD_COSINE]) == 0.
  assert 'cosine' not in metrics and 'norm' not in metrics
  _, again = step(new_state, tasks)
  assert set(again) == set(metrics)
  assert 0. < float(again[core.diagnostics.META_GRAD_COSINE]) <= 1. + 1e-6
  # One task per meta-batch: the same keys, batch statistics NaN.
  one = _TREE(lambda x: x[:1], tasks)
  _, single = step(state, one)
  assert set(single) == set(metrics)
  assert np.isnan(single['variance']) and np.isnan(single['norm_to_variance'])


def _named_head_networks(ways, image_shape, head):
  """A two-layer MLP whose last module is 'classifier', not 'head'."""
  def forward(images):
    x = hk.Flatten()(images)
    x = jax.nn.relu(hk.Linear(5, name='torso')(x))
    return hk.Linear(ways, name='classifier')(x)
  transformed = hk.without_apply_rng(hk.transform(forward))
  dummy = jnp.zeros((1,) + image_shape)
  return networks_lib.MAMLNetworks(
      init=lambda key: transformed.init(key, dummy),
      apply=transformed.apply, image_shape=image_shape, head=head)


def test_anil_adapts_the_module_the_networks_name_and_rejects_a_missing_one():
  config, _, _, task = _setup(method='anil', K=2)
  net = _named_head_networks(config.ways, (8, 8, 1), head='classifier')
  w = net.init(jax.random.PRNGKey(0))
  update_fn = learning.make_update_fn(
      net.apply, config.inner_learning_rate,
      head=learning.adapted_head(net, config))
  support = (task.support_images, task.support_labels)
  adapted, _, _ = core.unroll(update_fn, None, w, (),
                              learning.repeat(support, 2))
  assert not np.allclose(adapted['classifier']['w'], w['classifier']['w'])
  _TREE(np.testing.assert_array_equal, adapted['torso'], w['torso'])
  # Its meta-gradient reaches the torso through the adapted head.
  grad = jax.grad(
      lambda p: learning.make_task_meta_loss(net, config)(p, task)[0])(w)
  assert np.abs(grad['torso']['w']).max() > 0
  # A head the network lacks: an error naming the modules it has, from every
  # function that would adapt it (it used to adapt nothing, silently).
  wrong = dataclasses.replace(net, head='head')
  for make in (learning.make_task_meta_loss, learning.make_evaluate):
    with pytest.raises(ValueError, match=r"'head'.*\['classifier', 'torso'\]"):
      make(wrong, config)
  with pytest.raises(ValueError, match='classifier'):
    learning.make_update_fn(net.apply, 0.1, head='head')(
        w, (), None, support)
  # Methods that adapt everything do not read the head.
  learning.make_task_meta_loss(wrong, dataclasses.replace(config,
                                                          method='maml'))


def test_bmg_meta_training_lowers_query_loss():
  dataset = data.make_embedded(num_classes=30, instances_per_class=6,
                               image_size=16)
  config = config_lib.MAMLConfig(
      method='bmg', ways=3, shots=2, queries=3, K=1, L=1,
      meta_batch_size=4, channels=8, num_layers=2, inner_learning_rate=0.1)
  net = networks_lib.make_networks((16, 16, 1), config)
  optimizer = learning.make_meta_optimizer(config)
  state = learning.init_state(jax.random.PRNGKey(0), net, optimizer)
  train = jax.jit(fused.make_fused_train(
      learning.make_update_step(net, config, optimizer), config, 150))
  state, metrics = train(state, dataset.train, jax.random.PRNGKey(1))
  first = float(metrics['query_loss'][:30].mean())
  last = float(metrics['query_loss'][-30:].mean())
  assert last < first - 0.1, (first, last)
  evaluate = jax.jit(learning.make_evaluate(net, config))
  tasks = data.sample_tasks(jax.random.PRNGKey(9), dataset.test, 50, 3, 2, 3)
  acc, _ = evaluate(state.meta_params, tasks)
  assert float(acc.mean()) > 1 / 3 + 0.1


def test_config_rejects_bad_values():
  with pytest.raises(ValueError, match='method'):
    config_lib.MAMLConfig(method='reptile')
  with pytest.raises(ValueError, match='matching'):
    config_lib.MAMLConfig(matching='l2')
  with pytest.raises(ValueError, match='K'):
    config_lib.MAMLConfig(K=0)
  with pytest.raises(ValueError, match='temperature'):
    config_lib.MAMLConfig(temperature=0.)
  for field, value in [('K', 2.5), ('L', '3'), ('ways', True),
                       ('meta_batch_size', 4.), ('test_adaptation_steps', -1),
                       ('temperature', float('inf')),
                       ('inner_learning_rate', float('nan')),
                       ('meta_learning_rate', '1e-3'),
                       ('final_step', 'last'), ('task_map', 'pmap'),
                       ('matching', 'value'), ('matching', 'kl+value')]:
    with pytest.raises(ValueError, match=field):
      config_lib.MAMLConfig(**{field: value})


def test_config_is_a_meta_gradient_config_with_a_derived_objective():
  config = config_lib.MAMLConfig()
  assert isinstance(config, core.MetaGradientConfig)
  assert (config.method, config.meta_objective, config.K, config.L) == (
      'bmg', 'bmg', 5, 10)
  for method, objective in [('maml', 'mg'), ('fomaml', 'mg'), ('anil', 'mg'),
                            ('bmg', 'bmg')]:
    assert dataclasses.replace(
        config, method=method).meta_objective == objective
  with pytest.raises(TypeError):  # Derived: not a second, free field.
    kwargs = {'meta_objective': 'mg'}
    config_lib.MAMLConfig(**kwargs)
  # core.matching's vocabulary over logits, sums and aliases included.
  for spec in ('reverse_kl', 'symmetric_kl', 'kl_s', 'kl+0.5*reverse_kl'):
    config_lib.MAMLConfig(matching=spec)


def test_bmg_final_step_under_the_inner_rule_is_the_same_sgd_step():
  config, net, w, task = _setup(method='bmg', K=1, L=2)
  grads = [jax.jit(jax.grad(lambda p, c=c: learning.make_task_meta_loss(
      net, c)(p, task)[0]))(w)
           for c in (config, dataclasses.replace(config, final_step='meta'))]
  _TREE(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8),
        *grads)
