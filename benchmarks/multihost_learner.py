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

"""Learner steps/s: 1 host x 4 devices vs 2 hosts x 2 devices.

STACX-BMG (`--agent=stacx`) or MAML-BMG (`--agent=maml`), the same global
batch each step; the 2 hosts are 2 JAX processes joined by
`jax.distributed` with gloo collectives, each with 2 forced CPU devices and
half of every batch (MAML: half of every meta-batch, its `TaskSampler`
shard). On a machine with fewer cores than devices the ratio measures the
cross-process collectives' overhead, not a speed-up.

  python benchmarks/multihost_learner.py --steps=20
  python benchmarks/multihost_learner.py --agent=maml --steps=20
"""

import os
import subprocess
import sys
import time

from absl import app
from absl import flags
import portpicker

_AGENT = flags.DEFINE_enum('agent', 'stacx', ['stacx', 'maml'],
                           'The learner to time.')
_STEPS = flags.DEFINE_integer('steps', 20, 'Timed learner steps (after one '
                              'compiling step).', lower_bound=1)
_OBJECTIVE = flags.DEFINE_enum('meta_objective', 'bmg', ['mg', 'bmg'],
                               'Meta-objective (MAML: mg is method maml).')
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_OBS = (10, 10, 4)  # MinAtar-like.
_ACTIONS = 4
# What each agent's global batch is, for the report.
_BATCH = {'stacx': 'global batch 16 x 11 steps',
          'maml': 'meta-batch 8 tasks, 5-way 1-shot, conv4 16 channels, 28x28'}


# pylint: disable=g-import-not-at-top
def _stacx_learner(host, objective):
  """A STACX learner fed this host's share of one fixed global batch."""
  import types
  import jax
  import numpy as np
  from bmg_agents.impala_bmg import config as config_lib
  from bmg_agents.impala_bmg import learner as learner_lib
  from bmg_agents.impala_bmg import learning
  from bmg_agents.impala_bmg import losses
  from bmg_agents.impala_bmg import networks as networks_lib
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
  return learner, lambda: learner.state.params


def _maml_learner(objective):
  """A MAML learner sampling its shard of each meta-batch (random images)."""
  import types
  import jax
  import numpy as np
  from bmg_agents.maml_bmg import builder as builder_lib
  from bmg_agents.maml_bmg import config as config_lib
  from bmg_agents.maml_bmg import networks as networks_lib
  config = config_lib.MAMLConfig(
      method='bmg' if objective == 'bmg' else 'maml', K=1, L=1, ways=5,
      shots=1, queries=5, meta_batch_size=8, channels=16)
  images = np.random.RandomState(0).randint(
      0, 256, (20, 6, 28, 28, 1)).astype(np.uint8)
  builder = builder_lib.MAMLBuilder(config)
  networks = networks_lib.make_networks(images.shape[2:], config)
  learner = builder.make_learner(
      jax.random.PRNGKey(0), networks,
      builder.make_task_sampler(images, jax.random.PRNGKey(1)),
      logger_fn=lambda: types.SimpleNamespace(write=lambda row: None))
  return learner, lambda: learner.get_variables(['policy'])


def _worker(argv):
  """argv: agent, host id (-1: one host of 4 devices), port, steps,
  objective."""
  agent, host, port = argv[0], int(argv[1]), argv[2]
  steps, objective = int(argv[3]), argv[4]
  from bmg_agents import anakin
  from bmg_agents.experiments import multihost
  if host >= 0:
    multihost.initialize(
        multihost.LearnerHosts(2, f'127.0.0.1:{port}', 2), host)
  else:
    anakin.force_host_devices(4)
  import jax
  learner, params = (_stacx_learner(host, objective) if agent == 'stacx'
                     else _maml_learner(objective))
  learner.step()  # Compiles.
  start = time.time()
  for _ in range(steps):
    learner.step()
  jax.block_until_ready(params())
  print(f'STEPS_PER_SECOND {steps / (time.time() - start):.4f}', flush=True)
# pylint: enable=g-import-not-at-top


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
  worker = [sys.executable, os.path.abspath(__file__), '--worker',
            _AGENT.value]
  args = [str(_STEPS.value), _OBJECTIVE.value]
  one = _run([worker + ['-1', '0'] + args])
  port = str(portpicker.pick_unused_port())
  two = _run([worker + [str(h), port] + args for h in range(2)])
  print(f'{_AGENT.value} {_OBJECTIVE.value} learner, {_BATCH[_AGENT.value]}, '
        f'{_STEPS.value} steps; {len(os.sched_getaffinity(0))} core(s) usable')
  print(f'1 host x 4 devices:  {one:.3f} steps/s')
  print(f'2 hosts x 2 devices: {two:.3f} steps/s')
  print(f'ratio (2 hosts / 1 host): {two / one:.3f}')


if __name__ == '__main__':
  if len(sys.argv) > 1 and sys.argv[1] == '--worker':
    _worker(sys.argv[2:])
  else:
    app.run(main)
