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

"""STACX-BMG learner steps/s: 1 host x 4 devices vs 2 hosts x 2 devices.

The same global batch each step; the 2 hosts are 2 JAX processes joined by
`jax.distributed` with gloo collectives, each with 2 forced CPU devices and
half of every batch. On a machine with fewer cores than devices the ratio
measures the cross-process collectives' overhead, not a speed-up.

  python benchmarks/multihost_learner.py --steps=20
"""

import os
import subprocess
import sys
import time

from absl import app
from absl import flags
import portpicker

_STEPS = flags.DEFINE_integer('steps', 20, 'Timed learner steps (after one '
                              'compiling step).', lower_bound=1)
_OBJECTIVE = flags.DEFINE_enum('meta_objective', 'bmg', ['mg', 'bmg'],
                               'Meta-objective of the STACX learner.')
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_OBS = (10, 10, 4)  # MinAtar-like.
_ACTIONS = 4


def _worker(argv):
  """argv: host id (-1: one host of 4 devices), port, steps, objective."""
  host, port, steps, objective = int(argv[0]), argv[1], int(argv[2]), argv[3]
  # pylint: disable=g-import-not-at-top
  from bmg_agents import anakin
  from bmg_agents.experiments import multihost
  if host >= 0:
    multihost.initialize(
        multihost.LearnerHosts(2, f'127.0.0.1:{port}', 2), host)
  else:
    anakin.force_host_devices(4)
  import types
  import jax
  import numpy as np
  from bmg_agents.impala_bmg import config as config_lib
  from bmg_agents.impala_bmg import learner as learner_lib
  from bmg_agents.impala_bmg import learning
  from bmg_agents.impala_bmg import losses
  from bmg_agents.impala_bmg import networks as networks_lib
  # pylint: enable=g-import-not-at-top
  config = config_lib.STACXConfig(
      meta_objective=objective, L=1, torso_channels=(8, 16),
      num_residual_blocks=1, torso_output_size=64, head_hidden_sizes=(32,),
      unroll_length=10, online_batch_size=8, replay_batch_size=8)
  spec = types.SimpleNamespace(
      observations=types.SimpleNamespace(shape=_OBS),
      actions=types.SimpleNamespace(num_values=_ACTIONS))
  networks = networks_lib.make_networks(spec, config)
  state = learning.make_initial_state(jax.random.PRNGKey(0), networks, config)
  rng = np.random.RandomState(0)
  batch, t = config.batch_size, config.sequence_length
  tau = losses.Trajectories(
      observation=rng.uniform(size=(batch, t) + _OBS).astype(np.float32),
      action=rng.randint(_ACTIONS, size=(batch, t)).astype(np.int32),
      reward=rng.normal(size=(batch, t)).astype(np.float32),
      discount=np.ones((batch, t), np.float32),
      behaviour_logits=rng.normal(size=(batch, t, _ACTIONS)).astype(
          np.float32),
      is_replay=np.arange(batch) >= config.online_batch_size,
      valid=np.ones((batch, t - 1), np.float32))
  if host >= 0:  # This host's half of the global batch.
    tau = jax.tree_util.tree_map(lambda x: np.split(x, 2)[host], tau)
  batches = (learning.LearnerBatch(tau, None) for _ in iter(int, 1))
  learner = learner_lib.STACXLearner(
      lambda axis: learning.make_learner_fns(networks, config, axis), state,
      batches, logger=types.SimpleNamespace(write=lambda row: None))
  learner.step()  # Compiles.
  start = time.time()
  for _ in range(steps):
    learner.step()
  jax.block_until_ready(learner.state.params)
  print(f'STEPS_PER_SECOND {steps / (time.time() - start):.4f}', flush=True)


def _run(commands):
  env = dict(os.environ, PYTHONPATH=_ROOT, TF_CPP_MIN_LOG_LEVEL='2',
             JAX_PLATFORMS='cpu')
  processes = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
               for c in commands]
  outputs = [p.communicate(timeout=1800)[0] for p in processes]
  rates = []
  for process, output in zip(processes, outputs):
    if process.returncode:
      raise RuntimeError(output[-3000:])
    rates.append(float(output.split('STEPS_PER_SECOND ')[1].split()[0]))
  return min(rates)  # The hosts step together.


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {" ".join(argv[1:])}')
  worker = [sys.executable, os.path.abspath(__file__), '--worker']
  args = [str(_STEPS.value), _OBJECTIVE.value]
  one = _run([worker + ['-1', '0'] + args])
  port = str(portpicker.pick_unused_port())
  two = _run([worker + [str(h), port] + args for h in range(2)])
  print(f'STACX {_OBJECTIVE.value} learner, global batch 16 x 11 steps, '
        f'{_STEPS.value} steps; {len(os.sched_getaffinity(0))} core(s) usable')
  print(f'1 host x 4 devices:  {one:.3f} steps/s')
  print(f'2 hosts x 2 devices: {two:.3f} steps/s')
  print(f'ratio (2 hosts / 1 host): {two / one:.3f}')


if __name__ == '__main__':
  if len(sys.argv) > 1 and sys.argv[1] == '--worker':
    _worker(sys.argv[2:])
  else:
    app.run(main)
