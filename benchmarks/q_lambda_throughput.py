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

"""Throughput of the fused runner vs a per-step Python loop (Q(λ)-BMG).

Same agent (paper Table 1 networks by default), same seeds, same steps,
measured side by side in one run: the fused runner (anakin: scan over
`chunk` steps per compiled call, vmap over seeds, seeds split over the two
host devices) against `fused.run_python_loop`, which calls the same vmapped
step, jitted, once per environment step. Compilation is excluded from both:
the fused rate is timed between chunk callbacks after the first chunk, the
loop's as the difference between a run of 1 + N steps and a run of 1 step
(each `run_python_loop` call compiles its step afresh). The fused runner
is timed with each --max_seeds_per_group: a device's seeds vmapped all
together, or in smaller groups run one after another (cache-resident).

  PYTHONPATH=. .venv/bin/python benchmarks/q_lambda_throughput.py
"""

import time

from absl import app
from absl import flags
import jax

from bmg_agents import anakin
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import fused
from bmg_agents.q_lambda_bmg import learning
from bmg_agents.q_lambda_bmg import networks as networks_lib

NUM_SEEDS = flags.DEFINE_integer('num_seeds', 50, 'Seeds (vmapped).')
NUM_STEPS = flags.DEFINE_integer('num_steps', 400, 'Timed steps per seed.')
HIDDEN = flags.DEFINE_list('hidden_sizes', ['256', '256'], 'Q-network MLP.')
AGENT = flags.DEFINE_enum('meta_objective', 'bmg',
                          config_lib.META_OBJECTIVES, 'BMG or fixed ε (none).')
CHUNKS = flags.DEFINE_integer('chunks', 3, 'Timed fused chunks of num_steps.')
GROUPS = flags.DEFINE_list(
    'max_seeds_per_group', ['25', '5', '1'],
    'Fused runs, one per value (anakin.run max_seeds_per_group).')


def main(argv):
  del argv
  anakin.force_host_devices(2)
  config = config_lib.QLambdaConfig(
      meta_objective=AGENT.value,
      hidden_sizes=tuple(int(h) for h in HIDDEN.value))
  nets = networks_lib.make_networks(fused.environment_spec(), config)
  agent = learning.make_agent_functions(nets, config)
  step_fn = fused.make_step_fn(agent)
  seeds, steps = NUM_SEEDS.value, NUM_STEPS.value

  def states():  # Fresh each time: the fused runner donates its input.
    return fused.init_states(agent, jax.random.PRNGKey(0), seeds,
                             config.reward_history)

  rates = {}
  for group in GROUPS.value:
    times = []
    fused.run_fused(step_fn, states(), (CHUNKS.value + 1) * steps, steps,
                    callback=lambda *_: times.append(time.time()),
                    max_seeds_per_group=int(group))
    rates[group] = seeds * CHUNKS.value * steps / (times[-1] - times[0])

  def loop_seconds(num_steps):
    start = time.time()
    fused.run_python_loop(step_fn, states(), num_steps)  # Blocks on output.
    return time.time() - start

  t_loop = loop_seconds(1 + steps) - loop_seconds(1)
  rate_loop = seeds * steps / t_loop
  print(f'{AGENT.value}, Q-network {config.hidden_sizes}, {seeds} seeds, '
        f'{jax.local_device_count()} device(s); load average '
        f'{open("/proc/loadavg").read().split()[:3]}')
  print(f'per-step loop               {rate_loop:10,.0f} env steps/s')
  for group, rate in rates.items():
    print(f'fused, groups of <= {group:>3} seeds {rate:10,.0f} env steps/s   '
          f'fused / loop {rate / rate_loop:.2f}x')


if __name__ == '__main__':
  app.run(main)
