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
`chunk` steps per compiled call, vmap over seeds) against a Python loop that
calls the same vmapped step, jitted, once per environment step. Compilation
is excluded from both (one warm-up call each).

  PYTHONPATH=. .venv/bin/python benchmarks/q_lambda_throughput.py
"""

import time

from absl import app
from absl import flags
import jax

from bmg_agents.environments import two_colors
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import fused
from bmg_agents.q_lambda_bmg import learning
from bmg_agents.q_lambda_bmg import networks as networks_lib

NUM_SEEDS = flags.DEFINE_integer('num_seeds', 50, 'Seeds (vmapped).')
NUM_STEPS = flags.DEFINE_integer('num_steps', 400, 'Timed steps per seed.')
HIDDEN = flags.DEFINE_list('hidden_sizes', ['256', '256'], 'Q-network MLP.')
AGENT = flags.DEFINE_enum('agent', 'bmg', config_lib.AGENTS, 'Agent.')


def main(argv):
  del argv
  config = config_lib.QLambdaConfig(
      agent=AGENT.value, hidden_sizes=tuple(int(h) for h in HIDDEN.value))
  nets = networks_lib.make_networks(two_colors.NUM_ACTIONS,
                                    config.hidden_sizes,
                                    config.meta_hidden_size)
  agent = learning.make_agent(config, nets)
  step_fn = fused.make_step_fn(agent)
  seeds, steps = NUM_SEEDS.value, NUM_STEPS.value

  def states():  # Fresh each time: the fused runner donates its input.
    return fused.init_states(agent, jax.random.PRNGKey(0), seeds,
                             config.reward_history)

  # Warm up (compile) both, then time them back to back from the same start.
  fused.run_fused(step_fn, states(), steps, steps)
  fused.run_python_loop(step_fn, states(), 2)
  start_states = states()
  start = time.time()
  jax.block_until_ready(fused.run_fused(step_fn, start_states, steps, steps))
  t_fused = time.time() - start
  start_states = states()
  start = time.time()
  jax.block_until_ready(fused.run_python_loop(step_fn, start_states, steps))
  t_loop = time.time() - start
  rate_fused = seeds * steps / t_fused
  rate_loop = seeds * steps / t_loop
  print(f'{AGENT.value}, Q-network {config.hidden_sizes}, {seeds} seeds, '
        f'{steps} steps, {jax.device_count()} device(s)')
  print(f'fused runner     {rate_fused:10,.0f} env steps/s ({t_fused:.1f}s)')
  print(f'per-step loop    {rate_loop:10,.0f} env steps/s ({t_loop:.1f}s)')
  print(f'ratio fused / loop: {rate_fused / rate_loop:.2f}x')


if __name__ == '__main__':
  app.run(main)
