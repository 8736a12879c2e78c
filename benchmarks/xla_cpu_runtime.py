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

"""The fused STACX step under XLA:CPU's two runtimes, side by side.

jax 0.6.2's XLA:CPU has the thunk runtime (its default) and the classic one
(`XLA_FLAGS=--xla_cpu_use_thunk_runtime=false`, which
`anakin.use_classic_cpu_runtime` sets). The flag holds for a whole process,
so each runtime runs in a subprocess of its own, one after the other. Each
times the fused step of `impala_bmg.fused` (MinAtar Breakout, 1x torso,
Table 2's batch and replay, `--seeds` vmapped seeds) two ways: jitted alone,
one call per step, and as the runs run it, `anakin.run`'s `lax.scan` of
`--chunk` steps in one call (timed over the second chunk). Prints seconds
per step and the ratios.

  PYTHONPATH=. taskset -c 1 .venv/bin/python benchmarks/xla_cpu_runtime.py
"""

import json
import os
import subprocess
import sys
import time

from absl import app
from absl import flags
import jax

from bmg_agents import anakin
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import fused

_AGENTS = flags.DEFINE_list('agents', ['stacx', 'bmg_kl_v_L1'],
                            'Agents (stacx, bmg_kl_v_L1, bmg_kl_v_L4).')
_SEEDS = flags.DEFINE_integer('seeds', 3, 'Seeds vmapped in one program.',
                              lower_bound=1)
_CHUNK = flags.DEFINE_integer('chunk', 5, 'Steps per scanned call.',
                              lower_bound=1)
_STEPS = flags.DEFINE_integer('steps', 5, 'Timed single-step calls.',
                              lower_bound=1)
_WORKER = flags.DEFINE_enum('worker', None, ('thunk', 'classic'),
                            'Internal: time under this runtime, print JSON.')
AGENTS = config_lib.AGENT_VARIANTS


def seconds_per_step(agent):
  """{'single': s, 'scan': s}: one step's seconds, jitted alone / scanned."""
  config = config_lib.STACXConfig(torso_channels=config_lib.TORSO_WIDTHS[1],
                                  **AGENTS[agent])
  fns = fused.make_fused_fns(config, 'breakout')
  init = jax.jit(jax.vmap(fns.init))
  keys = jax.random.split(jax.random.PRNGKey(0), _SEEDS.value)
  step = jax.jit(jax.vmap(fns.step), donate_argnums=0)
  state, _ = step(init(keys))  # Compiles.
  jax.block_until_ready(state)
  start = time.perf_counter()
  for _ in range(_STEPS.value):
    state, _ = step(state)
  jax.block_until_ready(state)
  single = (time.perf_counter() - start) / _STEPS.value
  ends = []  # The second chunk's seconds (the first compiles).
  anakin.run(fns.step, init(keys), 2 * _CHUNK.value, _CHUNK.value,
             devices=jax.devices()[:1],
             callback=lambda *_: ends.append(time.perf_counter()))
  return {'single': single, 'scan': (ends[1] - ends[0]) / _CHUNK.value}


def main(argv):
  del argv
  if _WORKER.value:
    if _WORKER.value == 'classic':  # Before any jax computation.
      anakin.use_classic_cpu_runtime()
    print(json.dumps({a: seconds_per_step(a) for a in _AGENTS.value}))
    return
  unknown = sorted(set(_AGENTS.value) - set(AGENTS))
  if unknown:
    raise app.UsageError(f'--agents: unknown {unknown}; from {list(AGENTS)}.')
  times = {}
  env = {k: v for k, v in os.environ.items() if k != 'XLA_FLAGS'}
  for runtime in ('thunk', 'classic'):
    out = subprocess.run(
        [sys.executable, __file__, f'--worker={runtime}',
         f'--agents={",".join(_AGENTS.value)}', f'--seeds={_SEEDS.value}',
         f'--chunk={_CHUNK.value}', f'--steps={_STEPS.value}'],
        env=env, check=True, capture_output=True, text=True).stdout
    times[runtime] = json.loads(out.strip().splitlines()[-1])
  print(f'fused step, MinAtar Breakout, 1x torso, {_SEEDS.value} vmapped '
        f'seeds; seconds per step (scan: {_CHUNK.value} steps per call)')
  print(f'{"agent":12s} {"thunk single":>12s} {"thunk scan":>10s} '
        f'{"classic single":>14s} {"classic scan":>12s} '
        f'{"thunk scan / classic scan":>25s}')
  for agent in _AGENTS.value:
    t, c = times['thunk'][agent], times['classic'][agent]
    print(f'{agent:12s} {t["single"]:12.3f} {t["scan"]:10.3f} '
          f'{c["single"]:14.3f} {c["scan"]:12.3f} '
          f'{t["scan"] / c["scan"]:25.2f}')


if __name__ == '__main__':
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  app.run(main)
