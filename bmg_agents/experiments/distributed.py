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

"""The Launchpad program of an experiment, and how to launch it here.

Nodes: replay (Reverb), counter, learner, `num_actors` actors and the
experiment's evaluators. One stop rule: each actor takes its share of the
step budget (together exactly the budget), reports that it is done and
idles (so do the runtime's evaluators, once the actors' global count
reaches the budget); the learner keeps learning until every
one of them is done (an actor may be blocked inserting into a full queue
that only the learner drains), saves a final checkpoint and stops the whole
program (`stop_program()`). The stop comes from the learner because it is
the node that may sit inside a Reverb read; builders' datasets yield None
after a timeout without data, so the learner returns to Python regularly
and can stop. `launch` watches the node processes: a node that dies, or a
SIGINT/SIGTERM to the launcher, stops every node (a learner stopped early
saves a checkpoint first), and the launcher exits non-zero.

The learner's checkpoints hold the counter node's counts too. A program
made on a directory holding a checkpoint continues that run: the learner
restores its state, the counter node starts from the saved counts, the
actors share what is left of the budget, and the log rows past the
checkpoint are dropped. Replay starts empty.

Launchpad child processes unpickle their node's callable before any of our
code runs, so node callables are methods of `_Nodes`, a bmg_agents class:
unpickling imports `bmg_agents` (and its acme/jax compatibility layer)
before acme. Only factories are shipped; environments, networks and
learners are made inside the nodes.

A learner of H hosts (`multihost.LearnerHosts`) is H learner nodes, one JAX
process each, joined by `jax.distributed` (host 0 the coordinator) into one
pmapped update over all their devices, each host taking its own shard of
every batch from replay. Host 0 alone serves variables to the actors, logs,
counts learner steps and checkpoints (its state is broadcast to the others
at the start, so a restored checkpoint reaches every host); host 0 decides
the budget's stop, a signal to any host stops them all, and every host
learns either in the same step (a collective), so none is left waiting in
a collective for another. A host that dies is a node that ended early:
every node is stopped, and a host blocked in a collective with it is
killed with its group. On a pod each host starts its own part (the
per-host start): host 0's machine launches the program with learner host
0 only (`make_distributed_experiment(..., learner_host_id=0)`), and every
other host runs `run_learner_host` in its own process.
"""

import functools
import inspect
import os
import signal
import sys
import tempfile
import threading
import time
from typing import Callable, Optional

from absl import logging
from acme import specs
from acme.jax import utils as acme_utils
from acme.utils import counting
from acme.utils import loggers
from acme.utils import signals
import jax
import launchpad as lp
from launchpad import address as lp_address
import numpy as np
import psutil
import reverb

from bmg_agents.experiments import config as config_lib
from bmg_agents.experiments import environment_loop
from bmg_agents.experiments import multihost
from bmg_agents.experiments import single_process
from bmg_agents.experiments import stopping

LAUNCH_TYPES = ('local_mp', 'local_mt')
_POLL_SECS = .5
_WATCH_SECS = .2
# A group of nodes still running this long after its SIGTERM is killed.
_STOP_SECS = 10.
# Where a node's `stop_program()` marks the program as finished.
_PROGRAM_DIR = 'BMG_AGENTS_PROGRAM_DIR'
# Set to '1' for the node processes of a local_mp program.
_NODE_PROCESSES = 'BMG_AGENTS_NODE_PROCESSES'
_COMPLETED = 'completed'
# How long the learner waits, after the budget, for actors to report done.
_DONE_GRACE_SECS = 30.


def _actor_steps(counter) -> int:
  return counter.get_counts().get('actor_steps', 0)


def _done(counter, num_actors: int, num_evaluators: int) -> bool:
  counts = counter.get_counts()
  return (counts.get('done_actor', 0) >= num_actors and
          counts.get('done_evaluator', 0) >= num_evaluators)


def _end_node_process():
  """Ends a `local_mp` node's process once its node has stopped.

  The interpreter's teardown of TensorFlow, XLA and Reverb takes seconds
  (tens under load) and has nothing left to save: the logs are flushed per
  row and the learner has saved its checkpoint. Node threads (`local_mt`)
  just return.
  """
  if os.environ.get(_NODE_PROCESSES) == '1':
    _end_process(0)


def _end_process(code: int):
  logging.flush()
  sys.stdout.flush()
  sys.stderr.flush()
  os._exit(code)  # pylint: disable=protected-access


def _wait_for_stop():
  while True:
    time.sleep(_POLL_SECS)  # The stop handler's SystemExit lands here.


class _LearnerNode:
  """Steps the learner until the actors' budget, then stops the program.

  With H > 1 learner hosts, host 0 decides when to stop and every host
  learns it in the same step; each host then logs a hash of its final
  state, and host 0 stops the program.
  """

  def __init__(self, learner, counter, budget: int, num_actors: int,
               num_evaluators: int, checkpointer, host_id: int = 0,
               num_hosts: int = 1):
    self._learner = learner
    self._counter = counter
    self._budget = budget
    self._num_workers = (num_actors, num_evaluators)
    self._checkpointer = checkpointer
    self._host = (host_id, num_hosts)

  def run(self):
    """The Launchpad node: learns, then (at the budget) host 0 stops the
    program and every host waits for the stop."""
    # A stop sets a flag that the loop reads between steps: an exception
    # thrown into the thread could land inside an RPC to the counter (that
    # the save needs next) or inside a periodic save.
    stop = threading.Event()
    lp.register_stop_handler(stop.set)
    try:
      if self.learn(stop.is_set):
        if self._host[0] == 0:
          logging.info('Budget of %d actor steps reached; stopping.',
                       self._budget)
          stop_program()
        stop.wait()
    finally:
      lp.unregister_stop_handler(stop.set)
    _end_node_process()

  def learn(self, stop: Callable[[], bool]) -> bool:
    """Learns until the budget or `stop()` (on any host), then saves.

    Returns:
      Whether the budget was reached (with several hosts: the same on
      every host, which each log their final state's hash then).
    """
    at_budget = self._learn_to_budget(stop)
    self._save()
    host_id, num_hosts = self._host
    if at_budget and num_hosts > 1:
      logging.info('Learner host %d of %d: final state hash %s.', host_id,
                   num_hosts, multihost.state_hash(self._learner.save()))
    return at_budget

  def _learn_to_budget(self, stop: Callable[[], bool]) -> bool:
    """Learns until the budget, then until every actor is done (or 30 s).

    Returns:
      False if `stop()` came first (with several hosts: on any of them;
      all leave at the same step).
    """
    last, budget_time = time.time(), None
    host_id, num_hosts = self._host
    while True:
      self._learner.step()
      if self._checkpointer is not None:
        self._checkpointer.after_learner_step()
      finished, stopped = False, stop()
      if host_id == 0 and time.time() - last > _POLL_SECS:
        last = time.time()
        if budget_time is None:
          if _actor_steps(self._counter) >= self._budget:
            budget_time = last
        else:
          finished = (_done(self._counter, *self._num_workers) or
                      last - budget_time > _DONE_GRACE_SECS)
      if num_hosts > 1:
        finished, stopped = multihost.agree_stop(finished, stopped)
      if finished or stopped:
        return not stopped

  def _save(self):
    if self._checkpointer is not None:
      self._checkpointer.save(force=True)

  def get_variables(self, names):
    return self._learner.get_variables(names)

  def save(self):
    return self._learner.save()

  def restore(self, state):
    return self._learner.restore(state)


class _ActorNode:
  """Acts for its steps, reports done, waits for the stop.

  An actor node that returned would make Launchpad stop the program at once,
  taking the replay server away from a learner that may be reading from it;
  one still acting at the stop could be caught inside an RPC to a node that
  has gone (a C++ call that the stop's SystemExit cannot interrupt). The
  runtime's evaluators are nodes of this kind too.
  """

  def __init__(self, loop: environment_loop.EnvironmentLoop, counter,
               label: str, num_steps: Optional[int] = None):
    self._loop = loop
    self._counter = counter  # The program's counter.
    self._label = label
    self._num_steps = num_steps

  def run(self):
    with signals.runtime_terminator():
      self._loop.run(self._num_steps)
      # 'done_actor', not 'actor_done': a count named '<label>_*' would be
      # in every other actor's rows (an `OwnCounter`'s) from then on, a
      # column their CSV logs lack.
      self._counter.increment(**{f'done_{self._label}': 1})
      _wait_for_stop()
    _end_node_process()


class _Nodes:
  """The node callables of one experiment's program."""

  def __init__(self, experiment: config_lib.ExperimentConfig,
               num_actors: int, num_evaluators: int,
               learner_hosts: multihost.LearnerHosts, counts=None):
    self._experiment = experiment
    self._num_workers = (num_actors, num_evaluators)
    self._hosts = learner_hosts
    # A resumed run's counts; 'done_*' mark the workers of one launch.
    self._counts = {k: v for k, v in (counts or {}).items()
                    if not k.startswith('done_')}

  def _spec(self) -> specs.EnvironmentSpec:
    experiment = self._experiment
    return experiment.environment_spec or specs.make_environment_spec(
        experiment.environment_factory(experiment.seed))

  def replay(self):
    return self._experiment.builder.make_replay_tables(self._spec())

  def counter(self):
    counter = counting.Counter(time_delta=0.)
    if self._counts:
      counter.restore({'counts': dict(self._counts), 'cache': {}})
    return counter

  def learner(self, random_key, replay, counter, host_id: int = 0):
    """Learner host `host_id` (of `LearnerHosts.num_hosts`)."""
    if self._hosts.num_hosts > 1:
      multihost.initialize(self._hosts, host_id)  # Before any JAX work.
    return self.joined_learner(random_key, replay, counter, host_id)

  def joined_learner(self, random_key, replay, counter, host_id: int):
    """`learner` in a process already joined to the other hosts."""
    experiment, num_hosts = self._experiment, self._hosts.num_hosts
    spec = self._spec()
    networks = experiment.network_factory(spec)
    dataset = experiment.builder.make_dataset_iterator(
        replay, **({'num_shards': num_hosts} if num_hosts > 1 else {}))
    checkpointer = None
    if host_id == 0:
      learner = single_process.make_learner(
          experiment, random_key, networks, dataset, counter,
          environment_spec=spec, replay_client=replay)
      # The counter is another node's: its counts are saved, not restored.
      checkpointer = single_process.make_checkpointer(
          experiment.checkpointing, learner, remote_counter=counter)
    else:  # Host 0 alone logs and counts.
      learner = experiment.builder.make_learner(
          random_key, networks, dataset, logger_fn=loggers.NoOpLogger,
          counter=counting.Counter(), environment_spec=spec,
          replay_client=replay)
    if num_hosts > 1:
      multihost.broadcast_state(learner)  # Host 0's, maybe restored.
    return _LearnerNode(learner, counter, experiment.max_num_actor_steps,
                        *self._num_workers, checkpointer, host_id,
                        num_hosts)

  def _acting_node(self, random_key, counter, label: str, make_actor,
                   instance=None, num_steps=None) -> _ActorNode:
    """A loop of `make_actor(key, policy)` that takes `num_steps` steps
    (None: until the actors' global count reaches the budget)."""
    experiment = self._experiment
    environment_key, actor_key = jax.random.split(random_key)
    environment = experiment.environment_factory(
        acme_utils.sample_uint32(environment_key))
    spec = specs.make_environment_spec(environment)
    policy = experiment.builder.make_policy(
        experiment.network_factory(spec), spec)
    own_counter = environment_loop.OwnCounter(counter, label)
    budget = experiment.max_num_actor_steps
    return _ActorNode(environment_loop.EnvironmentLoop(
        environment, make_actor(actor_key, policy), counter=own_counter,
        logger=experiment.make_logger(label, f'{label}_steps', instance),
        observers=experiment.observers,
        log_every_steps=experiment.log_every_steps,
        should_stop=None if num_steps is not None else (
            lambda: _actor_steps(counter) >= budget),
        whole_episodes=num_steps is None), counter, label,
        num_steps)

  def actor(self, random_key, replay, variable_source, counter, actor_id):
    """Takes its share of the budget: together the actors take all of it
    (what a resumed run has left of it)."""
    builder = self._experiment.builder
    budget = max(self._experiment.max_num_actor_steps -
                 int(self._counts.get('actor_steps', 0)), 0)
    num_actors = self._num_workers[0]
    share = budget // num_actors + (actor_id < budget % num_actors)
    return self._acting_node(
        random_key, counter, 'actor',
        lambda key, policy: builder.make_actor(
            key, policy, builder.make_adder(replay), variable_source),
        actor_id, share)

  def evaluator(self, random_key, variable_source, counter):
    """Acts with the learner's newest parameters, without an adder."""
    return self._acting_node(
        random_key, counter, 'evaluator',
        lambda key, policy: self.make_evaluation_actor(key, policy,
                                                       variable_source))

  def make_evaluation_actor(self, random_key, policy, variable_source):
    return self._experiment.builder.make_actor(
        random_key, policy, variable_source=variable_source)


def _replay_address(hosts: multihost.LearnerHosts) -> str:
  """Where learner host 0's machine serves replay in a per-host start:
  the coordinator's host, its port + 1."""
  host, _, port = hosts.coordinator_address.rpartition(':')
  return f'{host}:{int(port) + 1}'


class _FixedAddress(lp_address.AbstractAddressBuilder):

  def __init__(self, address: str):
    self._address = address

  def build(self) -> str:
    return self._address


def _bind_fixed(addresses, address: str, **unused_kwargs):
  for each in addresses:
    each.bind(_FixedAddress(address))


def _keys(seed: int):
  """(the learner's key, the key the other nodes' keys are split from).

  The learner's is numpy: a node unpickling a jax array would start JAX
  before a learner host's `jax.distributed.initialize`. Every host starts
  from it.
  """
  learner_key, key = jax.random.split(jax.random.PRNGKey(seed))
  return np.asarray(learner_key), key


def make_distributed_experiment(
    experiment: config_lib.ExperimentConfig, num_actors: int,
    num_evaluators: int = 0, name: str = 'agent',
    learner_hosts: Optional[multihost.LearnerHosts] = None,
    learner_host_id: Optional[int] = None) -> lp.Program:
  """The Launchpad program; run it with `launch(program, launch_type)`.

  Args:
    experiment: the experiment.
    num_actors: actor nodes.
    num_evaluators: evaluator nodes acting with the actors' policy and the
      learner's newest parameters, without an adder (their rows go to the
      'evaluator' log), besides `experiment.evaluator_factories`.
    name: the program's name.
    learner_hosts: the learner's topology (default: one host). H > 1 needs
      'local_mp' (one process per host) and a builder whose
      `make_dataset_iterator` takes `num_shards` (STACX-BMG's).
    learner_host_id: None: every learner host is a node of this program
      (one machine). 0: the plain per-host start (a pod's hosts, each
      starting its own part): the program holds learner host 0 and every
      other node, and serves replay at a fixed port (the coordinator's
      + 1) for learner hosts 1 .. H - 1, which `run_learner_host` runs,
      each on its own machine.

  Returns:
    The program. On a directory holding a checkpoint it continues that run
    (see the module's docstring), dropping the log rows past it now.

  Raises:
    ValueError: for num_actors < 1, H > 1 with a builder that cannot shard
      its batches, or a learner_host_id other than None and 0 (or 0 with
      one host or no coordinator address).
  """
  if num_actors < 1:
    raise ValueError(f'num_actors must be >= 1, got {num_actors}.')
  hosts = learner_hosts or multihost.LearnerHosts()
  if learner_host_id is not None and not (
      learner_host_id == 0 and hosts.num_hosts > 1 and
      hosts.coordinator_address):
    raise ValueError(
        'learner_host_id: the program is learner host 0 of a per-host start '
        '(0, with num_learner_hosts > 1 and a learner_coordinator_address) '
        f'or of every host (None), got {learner_host_id!r}; hosts 1 .. H - 1 '
        'are `run_learner_host`.')
  hosts = hosts.with_address()
  if hosts.num_hosts > 1 and 'num_shards' not in inspect.signature(
      experiment.builder.make_dataset_iterator).parameters:
    raise ValueError(
        f'num_learner_hosts > 1 needs a builder whose make_dataset_iterator '
        f'takes num_shards; {type(experiment.builder).__name__} does not.')
  counts = single_process.saved_counts(experiment.checkpointing)
  single_process.continue_logs(experiment, counts)
  nodes = _Nodes(experiment, num_actors, num_evaluators, hosts, counts)
  program = lp.Program(name=name)
  replay_node = lp.ReverbNode(nodes.replay)
  if learner_host_id == 0:  # Where the other hosts find it: `launch` calls
    # this instead of binding the node to a free port.
    replay_node.bind_addresses = functools.partial(
        _bind_fixed, replay_node.addresses, _replay_address(hosts))
  with program.group('replay'):
    replay = program.add_node(replay_node)
  with program.group('counter'):
    counter = program.add_node(lp.CourierNode(nodes.counter))
  learner_key, key = _keys(experiment.seed)
  with program.group('learner'):
    learners = [program.add_node(lp.CourierNode(
        nodes.learner, learner_key, replay, counter, host_id))
                for host_id in range(
                    1 if learner_host_id == 0 else hosts.num_hosts)]
  learner = learners[0]  # Host 0 serves the actors and evaluators.
  with program.group('evaluator'):
    for _ in range(num_evaluators):
      evaluator_key, key = jax.random.split(key)
      program.add_node(lp.CourierNode(nodes.evaluator, evaluator_key,
                                      learner, counter))
    for evaluator in experiment.evaluator_factories:
      evaluator_key, key = jax.random.split(key)
      program.add_node(lp.CourierNode(evaluator, evaluator_key, learner,
                                      counter, nodes.make_evaluation_actor))
  with program.group('actor'):
    for actor_id in range(num_actors):
      actor_key, key = jax.random.split(key)
      program.add_node(lp.CourierNode(nodes.actor, actor_key, replay,
                                      learner, counter, actor_id))
  return program


def run_learner_host(experiment: config_lib.ExperimentConfig,
                     learner_hosts: multihost.LearnerHosts, host_id: int):
  """Learner host `host_id` >= 1 of a per-host start, in this process.

  The program `make_distributed_experiment(..., learner_host_id=0)` runs
  on learner host 0's machine; this joins its hosts (call
  it before any JAX work), takes its shard of every batch from that
  program's replay and learns in step with host 0 until host 0 finds the
  budget reached. It writes nothing (host 0 logs and checkpoints).

  Ends the process: exit status 0 at the budget (after logging the final
  state's hash), 128 + the signal after a SIGINT / SIGTERM to it (every
  host stops at the same step), 1 if another host was stopped first.
  """
  if not (learner_hosts.num_hosts > 1 and learner_hosts.coordinator_address
          and 0 < host_id < learner_hosts.num_hosts):
    raise ValueError(
        f'run_learner_host runs host 1 .. {learner_hosts.num_hosts - 1} of '
        'num_learner_hosts > 1 with a learner_coordinator_address, got host '
        f'{host_id} of {learner_hosts}.')
  multihost.initialize(learner_hosts, host_id)
  replay = reverb.Client(_replay_address(learner_hosts))
  # Host 0 alone counts actors and steps: no counter.
  node = _Nodes(experiment, 0, 0, learner_hosts).joined_learner(
      _keys(experiment.seed)[0], replay, None, host_id)
  with stopping.StopOnSignal(exit_on_signal=False) as stop:
    at_budget = node.learn(stop)
  if at_budget:
    _end_process(0)
  if stop.received:
    _end_process(128 + stop.signum)
  logging.error('Learner host %d: another host was stopped before the '
                'budget; stopping.', host_id)
  _end_process(1)


def stop_program():
  """Stops the program as finished: `launch` then returns normally.

  `lp.stop()` alone reads, to `launch`, like a SIGTERM from outside.
  """
  directory = os.environ.get(_PROGRAM_DIR)
  if directory:
    open(os.path.join(directory, _COMPLETED), 'w').close()
  lp.stop()


class NodeFailure(RuntimeError):
  """A node of a running program ended (or raised) before the program's stop."""


def _title(wrapper: psutil.Process) -> str:
  """The node's name from Launchpad's `decorate_output COLOUR TITLE CMD`."""
  try:
    args = wrapper.cmdline()
    index = next(i for i, a in enumerate(args) if a.endswith('decorate_output'))
    return args[index + 2]
  except (psutil.Error, StopIteration, IndexError):
    return f'pid {wrapper.pid}'


def _has_ended(process: psutil.Process) -> bool:
  try:
    process.wait(timeout=0)  # Reaps our own child.
    return True
  except psutil.TimeoutExpired:
    return False
  except psutil.NoSuchProcess:
    return True


def _signal_nodes(wrappers, sig, whole_tree: bool = False) -> None:
  """`sig` to each node process (the wrapper's children but its `sed`)."""
  for wrapper in wrappers:
    try:
      processes = wrapper.children(recursive=whole_tree)
      if whole_tree:
        processes.append(wrapper)
      for process in processes:
        if whole_tree or process.name() != 'sed':
          process.send_signal(sig)
    except psutil.Error:
      pass  # It ended meanwhile.


def _group(title: str) -> str:
  return title.split('/')[0]


def _watch_nodes(wrappers: dict, recorder: stopping.StopOnSignal,
                 completed) -> Optional[str]:
  """Waits for every node process to end; stops them all at the first
  signal or at the first node that ends before any stop.

  The stop goes group by group, the last launched first (actors, then the
  learner, then the counter and replay they call: a node whose server has
  gone may sit in an RPC that its stop cannot interrupt); a group still
  running `_STOP_SECS` after its SIGTERM is killed.

  Args:
    wrappers: {Launchpad's per-node wrapper process: the node's name}, in
      launch order.
    recorder: the launcher's signals.
    completed: whether a node called `stop_program()`.

  Returns:
    The name of the first node that ended before the program's stop.
  """
  failed, to_stop, stopping, stopping_since = None, None, None, 0.
  while wrappers:
    for wrapper in [w for w in wrappers if _has_ended(w)]:
      title = wrappers.pop(wrapper)
      if to_stop is None and not (recorder.received or completed()):
        failed = title
        logging.error('Node %s ended before the program stopped; stopping '
                      'the other nodes.', title)
    if to_stop is None and (failed or recorder.received or completed()):
      to_stop = list(dict.fromkeys(map(_group, wrappers.values())))
    if to_stop is not None:
      group = [w for w, t in wrappers.items() if _group(t) == stopping]
      if group and time.time() - stopping_since > _STOP_SECS:
        logging.error('Nodes %s did not stop within %.0f s; killing them.',
                      sorted(wrappers[w] for w in group), _STOP_SECS)
        _signal_nodes(group, signal.SIGKILL, whole_tree=True)
        stopping_since = float('inf')  # Killed once; now only wait.
      elif not group and to_stop:
        stopping, stopping_since = to_stop.pop(), time.time()
        _signal_nodes([w for w, t in wrappers.items()
                       if _group(t) == stopping], signal.SIGTERM)
        continue
    time.sleep(_WATCH_SECS)
  return failed


def launch(program: lp.Program, launch_type: str = 'local_mp',
           local_resources: Optional[dict] = None):
  """Runs `program` on this machine until it stops.

  One rule for every way a program ends: a node's `stop_program()` (the
  experiment's learner calls it at the budget) is the program's success;
  a SIGINT/SIGTERM to this process stops every node; a node process that
  ends before either (killed, crashed) stops every other node and fails
  the program. A group of nodes still running `_STOP_SECS` after its
  SIGTERM is killed (see `_watch_nodes`).

  Args:
    program: the program.
    launch_type: 'local_mp' (one process per node) or 'local_mt' (threads).
    local_resources: per-node environment, e.g. {'learner': PythonProcess(
      env={'XLA_FLAGS': ...})}.

  Raises:
    ValueError: for an unknown launch type.
    NodeFailure: a node ended (local_mp) or raised (local_mt) first.
    SystemExit: with code 128 + the signal, after a signal's stop.
  """
  if launch_type not in LAUNCH_TYPES:
    raise ValueError(f'lp_launch_type must be one of {", ".join(LAUNCH_TYPES)}'
                     f', got {launch_type!r}.')
  # Children stay quiet; Launchpad would otherwise pick tmux if installed.
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  with tempfile.TemporaryDirectory(prefix='bmg_program_') as directory:
    completed = lambda: os.path.exists(os.path.join(directory, _COMPLETED))
    os.environ[_PROGRAM_DIR] = directory  # Children inherit it.
    os.environ[_NODE_PROCESSES] = str(int(launch_type == 'local_mp'))
    try:
      before = set(psutil.Process().children())
      manager = lp.launch(program, launch_type=launch_type,
                          terminal='current_terminal',
                          local_resources=local_resources)
      # local_mp: the watcher stops the node processes; local_mt: Launchpad's
      # handlers stop the node threads, so signals go on to them.
      with stopping.StopOnSignal(forward=launch_type == 'local_mt',
                                 exit_on_signal=False) as recorder:
        if launch_type == 'local_mp':
          started = sorted(set(psutil.Process().children()) - before,
                           key=lambda p: (p.create_time(), p.pid))
          wrappers = {p: _title(p) for p in started}
          failed = _watch_nodes(wrappers, recorder, completed)
          if failed:
            raise NodeFailure(f'node {failed} ended before the program '
                              'stopped; the other nodes were stopped.')
        try:
          manager.wait()  # local_mt: raises a node thread's exception.
        except Exception as e:  # pylint: disable=broad-except
          raise NodeFailure(f'a node failed: {e!r}') from e
      if not completed():
        raise SystemExit(128 + (recorder.signum or signal.SIGTERM))
    finally:
      del os.environ[_PROGRAM_DIR], os.environ[_NODE_PROCESSES]
