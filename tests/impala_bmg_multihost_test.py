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

"""The STACX-BMG learner on 2 JAX processes (hosts) x 2 CPU devices.

One update on 2 hosts equals the 4-device and the 1-device update on the
same global batch; a Launchpad program with 2 learner hosts learns to its
budget with bit-identical hosts; killing one host stops the program
non-zero within 60 s (`benchmarks/multihost_failure.py` repeats that run).
"""

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import types

import jax
import numpy as np
import portpicker
import psutil
import pytest

from bmg_agents.experiments import config as experiment_config
from bmg_agents.experiments import distributed
from bmg_agents.experiments import multihost
from bmg_agents.impala_bmg import builder as builder_lib
from bmg_agents.impala_bmg import config as config_lib
from tests import processes

_TESTS = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_TESTS)

# Run after `processes.PREAMBLE`: 2 hosts x 2 devices or 4 devices.
_SCRIPT = textwrap.dedent("""
    import jax, numpy as np
    sys.path.insert(0, {tests!r})
    import impala_bmg_learning_test as t
    from bmg_agents.impala_bmg import learner as learner_lib
    from bmg_agents.impala_bmg import learning
    assert len(jax.devices()) == 4, jax.devices()
    configs = {{
        'mg': t.tiny_config(meta_objective='mg', online_batch_size=4,
                            replay_batch_size=4),
        # L = 2: a replay-only batch, sharded over hosts as well.
        # Per-trajectory meta-gradients are gathered over all 4 devices.
        'bmg': t.tiny_config(meta_objective='bmg', matching='kl_v', L=2,
                             online_batch_size=4, replay_batch_size=4,
                             meta_grad_variance_every=1)}}

    def host_shard(batch, host):  # Host h's half of every batch axis.
      half = lambda x, axis: np.split(np.asarray(x), 2, axis)[host]
      return learning.LearnerBatch(
          jax.tree_util.tree_map(lambda x: half(x, 0), batch.trajectories),
          jax.tree_util.tree_map(lambda x: half(x, 1), batch.replay))

    class Logger:
      def __init__(self):
        self.rows = []
      def write(self, data):
        self.rows.append(data)

    def run_learner(networks, state, config, batches):
      logger = Logger()
      learner = learner_lib.STACXLearner(
          lambda axis: learning.make_learner_fns(networks, config, axis),
          state, iter(batches), logger=logger)
      for _ in batches:
        learner.step()
      return learner.state, logger.rows

    results = {{}}
    for name, config in configs.items():
      rng = np.random.RandomState(7)
      networks, state = t.setup(config)
      batches = [t.learner_batch(rng, config) for _ in range(2)]
      if mode == 'host':
        host = jax.process_index()
        results[name] = run_learner(networks, state, config,
                                    [host_shard(b, host) for b in batches])
      else:
        results[name + '_init'] = state
        results[name + '_4'] = run_learner(networks, state, config, batches)
        update, rows = jax.jit(learning.make_update_fn(networks, config)), []
        for b in batches:
          state, metrics = update(state, b)
          rows.append(metrics)
        results[name + '_1'] = state, rows
    with open(out, 'wb') as f:
      pickle.dump(jax.device_get(results), f)
""").format(tests=_TESTS)


def _leaves(state):
  return jax.tree_util.tree_leaves(state)


def test_two_hosts_equal_four_devices_and_one_device(tmp_path):
  host0, host1, reference = processes.two_hosts_and_reference(
      _SCRIPT, tmp_path, timeout=300)
  for name in ('mg', 'bmg'):
    # Both hosts hold the same state, bit for bit, and log the same rows.
    for a, b in zip(_leaves(host0[name][0]), _leaves(host1[name][0])):
      np.testing.assert_array_equal(a, b)
    state, rows = host0[name]
    for devices in ('4', '1'):
      other_state, other_rows = reference[f'{name}_{devices}']
      for part in ('params', 'meta_params', 'opt_state', 'meta_opt_state'):
        for a, b in zip(_leaves(getattr(state, part)),
                        _leaves(getattr(other_state, part))):
          np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6,
                                     err_msg=f'{name} {devices} {part}')
      # The update's own metrics (the learner's rows add its counts).
      for row, other, metrics in zip(rows, other_rows,
                                     reference[f'{name}_1'][1]):
        for key in metrics:
          np.testing.assert_allclose(row[key], other[key], rtol=2e-3,
                                     atol=1e-6,
                                     err_msg=f'{name} {devices} {key}')
    assert int(state.steps) == 2 and len(rows) == 2
    if name == 'bmg':
      assert all(row['meta_grad_variance'] > 0 for row in rows)
    # The meta-parameters moved: the comparison is not of initial values.
    moved = max(np.abs(a - b).max() for a, b in zip(
        _leaves(state.meta_params),
        _leaves(reference[f'{name}_init'].meta_params)))
    assert moved > 1e-6, (name, moved)


_STACX_FLAGS = [
    '--env=minatar:breakout', '--lp_launch_type=local_mp', '--num_actors=2',
    '--num_learner_hosts=2', '--learner_cpu_devices=2', '--torso_channels=4',
    '--head_hidden_sizes=8', '--unroll_length=5', '--online_batch_size=2',
    '--replay_batch_size=2', '--replay_size=100']


def start_launcher(tmp_path, *extra_flags, output='output.txt'):
  """The launcher in its own session (so a failed test can kill every node
  it started), writing to tmp_path / output."""
  command = [sys.executable, os.path.join(_ROOT, 'launchers', 'run_stacx.py'),
             *_STACX_FLAGS, f'--results_dir={tmp_path / "run"}',
             *extra_flags]
  with open(tmp_path / output, 'w') as f:
    return subprocess.Popen(command, env=processes.env(), stdout=f,
                            stderr=subprocess.STDOUT, start_new_session=True)


def finish(process, tmp_path, timeout, output='output.txt'):
  """Waits for the launcher (SIGKILLs its session after `timeout` s, so
  that it exits -9); its output."""
  try:
    process.wait(timeout=timeout)
  except subprocess.TimeoutExpired:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
  finally:
    if process.poll() is None:
      os.killpg(process.pid, signal.SIGKILL)
  return (tmp_path / output).read_text()


def _final_hashes(output: str) -> dict:
  return dict(re.findall(
      r'Learner host (\d) of 2: final state hash ([0-9a-f]{64})', output))


def test_program_with_two_learner_hosts_learns_to_its_budget(tmp_path):
  """The STACX launcher's Launchpad program (local_mp, an evaluator too)
  stops at its budget with rc 0 (a node that ignored the stop would make
  Launchpad kill the runtime, exit -9), with bit-identical hosts."""
  process = start_launcher(tmp_path, '--num_steps=1000',
                           '--meta_objective=bmg', '--L=1',
                           '--num_evaluators=1')
  output = finish(process, tmp_path, timeout=300)
  assert process.returncode == 0, output[-5000:]
  assert 'Budget of 1000 actor steps reached' in output
  for label in ('actor', 'evaluator'):
    path = tmp_path / 'run' / 'logs' / label / 'logs.csv'
    assert path.stat().st_size > 0, label
  assert (tmp_path / 'run' / 'stacx.png').exists()
  hashes = _final_hashes(output)
  assert sorted(hashes) == ['0', '1'], output[-5000:]
  assert hashes['0'] == hashes['1']
  # Host 0 alone logs: one learner CSV with a row per step.
  with open(tmp_path / 'run' / 'logs' / 'learner' / 'logs.csv') as f:
    rows = f.read().splitlines()
  assert len(rows) > 2
  assert os.listdir(tmp_path / 'run' / 'checkpoints' / 'learner')


def _coordinator_port() -> int:
  """A free port whose next port (host 0's replay) is free too."""
  while True:
    port = portpicker.pick_unused_port()
    if portpicker.is_port_free(port + 1):
      return port


def start_per_host(tmp_path, *extra_flags):
  """The per-host start's two commands: host 0's launcher, then (once its
  coordinator is up) learner host 1's; (host 0, host 1), writing to
  tmp_path / 'host_<i>.txt'.

  Host 1 starts late on purpose: one that tries long before retries with
  gRPC's growing backoff, which a loaded machine stretches past a test's
  budget.
  """
  port = _coordinator_port()
  flags = [*extra_flags, f'--learner_coordinator_address=127.0.0.1:{port}']
  host_0 = start_launcher(tmp_path, *flags, '--learner_host_id=0',
                          output='host_0.txt')
  deadline = time.time() + 200
  while portpicker.is_port_free(port) and time.time() < deadline:
    time.sleep(.5)
  return host_0, start_launcher(tmp_path, *flags, '--learner_host_id=1',
                                output='host_1.txt')


def test_per_host_start_learns_to_its_budget(tmp_path):
  """The plain per-host start of a pod: the same command on each host with
  its --learner_host_id. Host 0's launcher runs learner host 0 with replay,
  counter and actors; host 1's runs learner host 1 alone, sampling from
  host 0's replay. Both exit 0 at the budget with the same final state;
  host 1 writes nothing into the (here shared) results directory."""
  hosts = start_per_host(tmp_path, '--num_steps=600', '--meta_objective=none')
  outputs = [finish(host, tmp_path, 200, f'host_{i}.txt')
             for i, host in enumerate(hosts)]
  for i, host in enumerate(hosts):
    assert host.returncode == 0, (i, outputs[i][-5000:])
  hashes = [_final_hashes(output) for output in outputs]
  assert list(hashes[0]) == ['0'] and list(hashes[1]) == ['1'], outputs
  assert hashes[0]['0'] == hashes[1]['1']
  assert 'Budget of 600 actor steps reached' in outputs[0]
  assert 'learner/1' not in outputs[0]  # Not a node of host 0's program.
  assert sorted(os.listdir(tmp_path / 'run' / 'logs')) == ['actor',
                                                           'learner']


STOP_SECS = 60.


def _node_process(launcher: psutil.Process, title: str) -> psutil.Process:
  """The python process of node `title` (under Launchpad's output wrapper)."""
  for wrapper in launcher.children(recursive=True):
    try:
      args = wrapper.cmdline()
      if title in args and any(a.endswith('decorate_output') for a in args):
        return next(p for p in wrapper.children() if p.name() != 'sed')
    except (psutil.Error, StopIteration):
      continue
  raise LookupError(title)


def kill_learner_host(directory, host: int, per_host: bool = False):
  """SIGKILLs learner host `host` of a learning 2-host program.

  Waits until host 0 has logged two updates (both hosts are in their update
  loop, host 0 soon blocked in a collective with host 1), kills the host's
  process and waits for the launcher.

  Args:
    directory: where the run and the outputs go.
    host: the learner host to kill.
    per_host: the per-host start (`start_per_host`): host `host`'s command
      and every process it started are killed (its machine dies), and the
      other host's command is waited for.

  Returns:
    (the exit code of the launcher (per_host: of the other host's
    command), seconds from the kill to its exit, its output).
  """
  # IMPALA's update (no meta-gradient) compiles fastest.
  flags = ('--num_steps=1000000', '--meta_objective=none')
  commands = (start_per_host(directory, *flags) if per_host else
              (start_launcher(directory, *flags),))
  outputs = ('host_0.txt', 'host_1.txt') if per_host else ('output.txt',)
  try:
    log = directory / 'run' / 'logs' / 'learner' / 'logs.csv'
    deadline = time.time() + 600
    while not (log.exists() and len(log.read_text().splitlines()) > 2):
      if commands[0].poll() is not None or time.time() > deadline:
        output = finish(commands[0], directory, 1, outputs[0])
        raise AssertionError(f'the program did not start learning:\n'
                             f'{output[-3000:]}')
      time.sleep(.5)
    if per_host:
      os.killpg(commands[host].pid, signal.SIGKILL)
      survivor = 1 - host
    else:
      _node_process(psutil.Process(commands[0].pid), f'learner/{host}').kill()
      survivor = 0
    killed = time.time()
    output = finish(commands[survivor], directory, 300, outputs[survivor])
    return commands[survivor].returncode, time.time() - killed, output
  finally:
    for command in commands:
      try:
        os.killpg(command.pid, signal.SIGKILL)
      except ProcessLookupError:
        pass  # Its whole session has ended.


def test_killing_a_learner_host_stops_the_program_within_60_s(tmp_path):
  code, secs, output = kill_learner_host(tmp_path, host=1)
  assert code not in (0, None), output[-3000:]
  assert secs < STOP_SECS, output[-3000:]
  assert 'node learner/1 ended before the program stopped' in output


def test_learner_hosts_flags_and_shards_are_checked_before_work():
  with pytest.raises(ValueError, match='num_learner_hosts'):
    multihost.LearnerHosts(num_hosts=0)
  with pytest.raises(ValueError, match='learner_coordinator_address'):
    multihost.LearnerHosts(2, coordinator_address='localhost')
  with pytest.raises(ValueError, match='learner_heartbeat_timeout'):
    multihost.LearnerHosts(2, heartbeat_timeout=1)
  hosts = multihost.LearnerHosts(2).with_address()
  assert re.fullmatch(r'127\.0\.0\.1:\d+', hosts.coordinator_address)
  builder = builder_lib.STACXBuilder(config_lib.STACXConfig(
      online_batch_size=6, replay_batch_size=12))
  with pytest.raises(ValueError, match='online_batch_size'):
    builder.make_dataset_iterator(
        types.SimpleNamespace(server_address='unused'), num_shards=4)

  class UnshardedBuilder:
    def make_dataset_iterator(self, replay_client):
      del replay_client

  experiment = experiment_config.ExperimentConfig(
      builder=UnshardedBuilder(), environment_factory=lambda seed: None,
      network_factory=lambda spec: None, seed=0, max_num_actor_steps=10)
  with pytest.raises(ValueError, match='num_shards'):
    distributed.make_distributed_experiment(experiment, 1,
                                            learner_hosts=hosts)


def test_a_per_host_program_is_host_0_with_replay_at_a_fixed_port():

  class ShardedBuilder:
    def make_dataset_iterator(self, replay_client, num_shards=1):
      del replay_client, num_shards

  experiment = experiment_config.ExperimentConfig(
      builder=ShardedBuilder(), environment_factory=lambda seed: None,
      network_factory=lambda spec: None, seed=0, max_num_actor_steps=10)
  hosts = multihost.LearnerHosts(2, coordinator_address='10.0.0.2:5000')
  program = distributed.make_distributed_experiment(
      experiment, 2, learner_hosts=hosts, learner_host_id=0)
  assert len(program.groups['learner']) == 1
  assert len(program.groups['actor']) == 2
  (replay,) = program.groups['replay']
  replay.bind_addresses()  # What `launch` does.
  assert replay.addresses[0].resolve() == '10.0.0.2:5001'
  everywhere = distributed.make_distributed_experiment(
      experiment, 2, learner_hosts=hosts)
  assert len(everywhere.groups['learner']) == 2
  for host_id, other in ((1, hosts), (0, multihost.LearnerHosts(2)),
                         (0, multihost.LearnerHosts())):
    with pytest.raises(ValueError, match='learner_host_id'):
      distributed.make_distributed_experiment(
          experiment, 1, learner_hosts=other, learner_host_id=host_id)


@pytest.mark.parametrize('flags, message', [
    (('--learner_host_id=1',), 'learner_host_id needs --num_learner_hosts > 1'),
    (('--num_learner_hosts=2', '--learner_host_id=0'),
     'needs --learner_coordinator_address'),
])
def test_bad_per_host_flags_are_one_line_errors(tmp_path, flags, message):
  process = processes.start([
      sys.executable, os.path.join(_ROOT, 'launchers', 'run_stacx.py'),
      '--runner=launchpad', f'--results_dir={tmp_path}', *flags])
  out = process.communicate(timeout=120)[0]
  assert process.returncode != 0 and message in out, out[-2000:]
  assert 'Traceback' not in out
  assert not os.listdir(tmp_path)
