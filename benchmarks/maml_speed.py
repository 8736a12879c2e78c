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

"""Meta-training steps per second: implementation choices and Table 5.

Two measurements, each side by side in one run with the variants timed in
interleaved rounds (the median over rounds is reported), so that load from
other processes affects all variants alike:

  --part=impl: MAML (K=1) with the meta-batch mapped by lax.map / vmap /
    a Python unroll, and convolutions as im2col matmuls or XLA convolutions.
    Ratios are relative to the default (map, im2col).
  --part=grid: MAML(K) and BMG(K, L) over the (K, L) grid of the paper's
    Table 5, with BMG/MAML ratios at equal K (paper at K=1, L=1: 0.87).

  PYTHONPATH=. .venv/bin/python benchmarks/maml_speed.py --part=impl
  PYTHONPATH=. .venv/bin/python benchmarks/maml_speed.py --part=grid
"""

import time

from absl import app
from absl import flags
import jax
import numpy as np

from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import data
from bmg_agents.maml_bmg import learning
from bmg_agents.maml_bmg import networks as networks_lib

PART = flags.DEFINE_enum('part', 'grid', ['impl', 'grid'], 'What to time.')
IMAGE_SIZE = flags.DEFINE_integer(
    'image_size', 28, '28 (1 channel, Omniglot-like) or 84 (3 channels, '
    'MiniImagenet-like).')
KS = flags.DEFINE_list('K', ['1', '5', '10'], 'Inner steps (grid).')
LS = flags.DEFINE_list('L', ['1', '5', '10'], 'Bootstrap lengths (grid).')
ROUNDS = flags.DEFINE_integer('rounds', 5, 'Interleaved timing rounds.')
STEPS = flags.DEFINE_integer('steps', 3, 'Meta-steps timed per round.')


def _make_step(config, image_shape, im2col=True):
  net = networks_lib.make_networks(image_shape, config, im2col=im2col)
  optimizer = learning.make_meta_optimizer(config)
  state = learning.init_state(jax.random.PRNGKey(0), net, optimizer)
  step = jax.jit(learning.make_update_step(net, config, optimizer))
  return step, state


def _time(variants, tasks):
  """Median meta-steps/s of each variant, timed in interleaved rounds."""
  states = {}
  for name, (step, state) in variants.items():
    start = time.time()
    states[name] = jax.block_until_ready(step(state, tasks))[0]
    print(f'  compiled {name} in {time.time() - start:.0f}s', flush=True)
  rates = {name: [] for name in variants}
  for _ in range(ROUNDS.value):
    for name, (step, _) in variants.items():
      start = time.time()
      for _ in range(STEPS.value):
        states[name] = step(states[name], tasks)[0]
      jax.block_until_ready(states[name])
      rates[name].append(STEPS.value / (time.time() - start))
  return {name: float(np.median(r)) for name, r in rates.items()}


def main(_):
  size = IMAGE_SIZE.value
  shape = (size, size, 1 if size <= 28 else 3)
  images = np.random.RandomState(0).randint(
      0, 256, (20, 20) + shape).astype(np.uint8)
  base = config_lib.MAMLConfig()  # 5-way 5-shot, 5 queries, meta-batch 4.
  tasks = data.sample_tasks(jax.random.PRNGKey(0), images,
                            base.meta_batch_size, base.ways, base.shots,
                            base.queries)
  print(f'{jax.devices()[0].platform}, images {shape}, 5-way 5-shot, '
        f'meta-batch {base.meta_batch_size}, {ROUNDS.value} rounds x '
        f'{STEPS.value} steps')
  if PART.value == 'impl':
    variants = {}
    for how in config_lib.TASK_MAPS:
      for im2col in (True, False):
        config = config_lib.MAMLConfig(method='maml', K=1, task_map=how)
        variants[(how, 'im2col' if im2col else 'xla-conv')] = _make_step(
            config, shape, im2col)
    rates = _time(variants, tasks)
    ref = rates[('map', 'im2col')]
    print(f'{"task map":>8} {"conv":>9} {"steps/s":>8} {"ratio":>6}')
    for (how, conv), rate in rates.items():
      print(f'{how:>8} {conv:>9} {rate:8.2f} {rate / ref:6.2f}')
    return
  ks = [int(k) for k in KS.value]
  ls = [int(l) for l in LS.value]
  for k in ks:
    variants = {('maml', k, None): _make_step(
        config_lib.MAMLConfig(method='maml', K=k), shape)}
    for l in ls:
      variants[('bmg', k, l)] = _make_step(
          config_lib.MAMLConfig(method='bmg', K=k, L=l), shape)
    rates = _time(variants, tasks)
    maml = rates[('maml', k, None)]
    print(f'K={k}: MAML {maml:.2f} steps/s')
    for l in ls:
      bmg = rates[('bmg', k, l)]
      print(f'  L={l:<2} H={k + l:<2} BMG {bmg:.2f} steps/s  '
            f'BMG/MAML {bmg / maml:.2f}', flush=True)


if __name__ == '__main__':
  app.run(main)
