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

"""Speed of the two-colours actor-critic: fused vs Python loop; BMG vs MG.

Prints, measured in this one run on this machine:
  * fused BMG environment steps/s over --num_seeds seeds (jit + scan + vmap +
    pmap over host devices), after compilation, with all of a device's seeds
    in one vmap and in smaller groups run one after another
    (--max_seeds_per_group);
  * the same agent stepped from a Python loop one environment step at a time
    (one seed), and the ratio of the two;
  * fused BMG / MG time per step at the same K (goal <= 1.10), for BMG's
    L (one meta-update per K + L - 1 updates) and for L = 1 (one per K).

  python benchmarks/actor_critic_bmg_speed.py [--num_seeds=50 --K=1 --L=7]
      [--max_seeds_per_group=25,5]
"""

import time

from absl import app
from absl import flags
import jax
import jax.numpy as jnp

from bmg_agents import actor_critic_bmg as ac
from bmg_agents import anakin
from bmg_agents.actor_critic_bmg import fused

_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 50, 'Seeds in the fused run.')
_K = flags.DEFINE_integer('K', 1, 'Differentiable updates per meta-update.')
_L = flags.DEFINE_integer('L', 7, 'BMG bootstrap length.')
_CHUNKS = flags.DEFINE_integer('chunks', 3, 'Timed chunks after warm-up.')
_LOOP_CYCLES = flags.DEFINE_integer('loop_cycles', 4,
                                    'Timed Python-loop cycles.')
_GROUPS = flags.DEFINE_list(
    'max_seeds_per_group', ['25', '5'],
    'Fused BMG is timed with each (anakin.run max_seeds_per_group; 25 = one '
    'vmap over all of a device\'s 25 seeds); the last is used for the rest.')


def _fused_rate(config, num_seeds, chunks, max_seeds_per_group=None):
  """Environment steps/s of the fused runner, compile excluded."""
  runner = fused.make_fused_runner(config)
  cycles = max(1, 1024 // runner.steps_per_cycle)  # ~1k steps per chunk.
  keys = jax.vmap(jax.random.PRNGKey)(jnp.arange(num_seeds))
  state = jax.jit(jax.vmap(runner.init))(keys)
  times = []
  callback = lambda *_: times.append(time.time())
  anakin.run(runner.cycle, state, (chunks + 1) * cycles, cycles,
             callback=callback, max_seeds_per_group=max_seeds_per_group)
  steps = chunks * cycles * runner.steps_per_cycle * num_seeds
  return steps / (times[-1] - times[0])


def _loop_rate(config, cycles):
  fused.run_python_loop(config, 0, 1)  # Compile.
  start = time.time()
  fused.run_python_loop(config, 0, cycles)
  elapsed = time.time() - start
  return cycles * config.window * config.rollout_length / elapsed


def main(argv):
  del argv
  anakin.force_host_devices(2)
  bmg = ac.ActorCriticBMGConfig(meta_objective='bmg', K=_K.value, L=_L.value)
  mg = ac.ActorCriticBMGConfig(meta_objective='mg', K=_K.value)
  print(f'devices: {jax.local_device_count()}; load average: '
        f'{open("/proc/loadavg").read().split()[:3]}')
  for group in _GROUPS.value:
    group = int(group)
    fused_bmg = _fused_rate(bmg, _NUM_SEEDS.value, _CHUNKS.value, group)
    print(f'fused BMG, {_NUM_SEEDS.value} seeds, groups of {group} seeds '
          f'per device: {fused_bmg:,.0f} steps/s')
  loop_bmg = _loop_rate(bmg, _LOOP_CYCLES.value)
  print(f'Python loop BMG, 1 seed, one step per call: {loop_bmg:,.0f} '
        'steps/s')
  print(f'ratio fused / Python loop: {fused_bmg / loop_bmg:,.0f}x')
  fused_mg = _fused_rate(mg, _NUM_SEEDS.value, _CHUNKS.value, group)
  print(f'fused MG, {_NUM_SEEDS.value} seeds: {fused_mg:,.0f} steps/s')
  print(f'time per step BMG (L={_L.value}) / MG at K={_K.value}: '
        f'{fused_mg / fused_bmg:.2f}')
  # Same K and the same meta-update frequency (one per K updates).
  bmg_l1 = ac.ActorCriticBMGConfig(meta_objective='bmg', K=_K.value, L=1)
  fused_bmg_l1 = _fused_rate(bmg_l1, _NUM_SEEDS.value, _CHUNKS.value,
                              group)
  print(f'fused BMG L=1, {_NUM_SEEDS.value} seeds: {fused_bmg_l1:,.0f} '
        'steps/s')
  print(f'time per step BMG (L=1) / MG at K={_K.value}: '
        f'{fused_mg / fused_bmg_l1:.2f}')


if __name__ == '__main__':
  app.run(main)
