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

"""Cost of one meta-gradient: BMG vs MG on the same MLP and data.

Prints, measured side by side in one run, the time of BMG(K, L) relative to
MG(K) (the price of the bootstrap), and of BMG(K=1, L=H) relative to MG(K=H)
(the same horizon H without backpropagating through it; paper App. C.4).

  make env && .venv/bin/python benchmarks/core_meta_gradient_cost.py
"""

import timeit

import jax
import jax.numpy as jnp
import optax

from bmg_agents import core

WIDTH, BATCH, REPEATS = 256, 64, 20


def _mlp(params, x):
  for w in params[:-1]:
    x = jax.nn.relu(x @ w)
  return x @ params[-1]


def _objective(params, batch):
  x, y = batch
  return jnp.mean(jnp.square(_mlp(params, x) - y))


def _weighted(params, meta_params, batch):
  x, y = batch
  err = jnp.mean(jnp.square(_mlp(params, x) - y), axis=-1)
  return jnp.mean(jax.nn.sigmoid(meta_params) * err), {}


def main():
  keys = jax.random.split(jax.random.PRNGKey(0), 6)
  params = [jax.random.normal(k, s) / jnp.sqrt(s[0]) for k, s in zip(
      keys[:3], [(32, WIDTH), (WIDTH, WIDTH), (WIDTH, 8)])]
  meta_params = jnp.zeros(BATCH)
  opt = optax.sgd(.01, momentum=.9)
  update_fn = core.gradient_update(_weighted, opt)

  def batches(n):
    return (jax.random.normal(keys[3], (n, BATCH, 32)),
            jax.random.normal(keys[4], (n, BATCH, 8)))

  def mg(k):
    fn = jax.jit(lambda w, p, s, b, m: core.mg_meta_gradient(
        w, p, s, b, m, update_fn=update_fn,
        meta_objective=lambda x, _, d: _objective(x, d))[0])
    args = (meta_params, params, opt.init(params), batches(k),
            jax.tree_util.tree_map(lambda x: x[0], batches(1)))
    return fn, args

  def bmg(k, l):
    target_fn = core.make_target_fn(update_fn, core.sgd_step(_objective, .01))
    matching_fn = lambda t, x, w, d: core.matching.squared_l2(t, x)
    fn = jax.jit(lambda w, p, s, b, t: core.bmg_meta_gradient(
        w, p, s, b, t, None, update_fn=update_fn, target_fn=target_fn,
        matching_fn=matching_fn)[0])
    final = jax.tree_util.tree_map(lambda x: x[0], batches(1))
    target_data = core.TargetData(batches(l - 1) if l > 1 else None, final)
    args = (meta_params, params, opt.init(params), batches(k), target_data)
    return fn, args

  def seconds(fn_args):
    fn, args = fn_args
    jax.block_until_ready(fn(*args))
    return min(timeit.repeat(lambda: jax.block_until_ready(fn(*args)),
                             number=REPEATS, repeat=3)) / REPEATS

  print(f'MLP 32-{WIDTH}-{WIDTH}-8, batch {BATCH}; time ratios (lower is '
        'cheaper):')
  for k in (1, 4):
    print(f'  BMG(K={k}, L=1) / MG(K={k}): '
          f'{seconds(bmg(k, 1)) / seconds(mg(k)):.2f}')
  for h in (2, 4, 8):
    print(f'  BMG(K=1, L={h - 1}) / MG(K={h}) [horizon {h}]: '
          f'{seconds(bmg(1, h - 1)) / seconds(mg(h)):.2f}')


if __name__ == '__main__':
  main()
