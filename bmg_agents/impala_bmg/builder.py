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

"""Acme builder of STACX-BMG: online queue + uniform replay (Table 2)."""

import functools
from typing import Callable, Iterator, List, Optional

import acme
from acme import adders
from acme import core
from acme import specs
from acme.adders import reverb as reverb_adders
from acme.agents.jax import actor_core
from acme.agents.jax import actors
from acme.agents.jax import builders
from acme.jax import variable_utils
from acme.utils import counting
from acme.utils import loggers
import numpy as np
import reverb
import tree

from bmg_agents.impala_bmg import acting
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import learner as learner_lib
from bmg_agents.impala_bmg import learning
from bmg_agents.impala_bmg import losses
from bmg_agents.impala_bmg import networks as networks_lib

QUEUE_TABLE = 'queue'
REPLAY_TABLE = 'replay'


def to_trajectories(step: reverb_adders.Step,
                    is_replay: bool) -> losses.Trajectories:
  """acme's sequence-adder steps [B, T + 1, ...] -> `Trajectories`."""
  batch = step.action.shape[0]
  return losses.Trajectories(
      observation=step.observation,
      action=step.action.astype(np.int32),
      reward=step.reward.astype(np.float32),
      discount=step.discount.astype(np.float32),
      behaviour_logits=step.extras['logits'].astype(np.float32),
      is_replay=np.full((batch,), is_replay),
      # A step that starts an episode follows the zero-padded final step of
      # the previous one: that transition is not real.
      valid=1. - step.start_of_episode[:, 1:].astype(np.float32))


class _Sampler:
  """Fills batches of one table's trajectories without blocking for long.

  Samples come one at a time from a Reverb `TrajectoryDataset` whose rate
  limiter gives up after `timeout_ms`; a timed-out dataset is replaced by a
  new one. Trajectories received are kept across timeouts, so no queued
  trajectory is lost when a batch is only partly filled.
  """

  def __init__(self, server_address: str, table: str, batch_size: int,
               in_flight: int, timeout_ms: int):
    self._make = functools.partial(
        reverb.TrajectoryDataset.from_table_signature,
        server_address=server_address, table=table,
        max_in_flight_samples_per_worker=in_flight,
        rate_limiter_timeout_ms=timeout_ms)
    self._batch_size = batch_size
    self._iterator = None
    self._buffer = []

  def fill(self) -> bool:
    """Waits for the rest of a batch; False if a sample timed out."""
    while len(self._buffer) < self._batch_size:
      if self._iterator is None:
        self._iterator = self._make().as_numpy_iterator()
      try:
        self._buffer.append(next(self._iterator).data)
      except StopIteration:  # The rate limiter timed out.
        self._iterator = None
        return False
    return True

  @property
  def num_buffered(self) -> int:
    """Trajectories received (so no longer in the table) but not yet used."""
    return len(self._buffer)

  def take(self) -> reverb_adders.Step:
    """The filled batch, stacked: leaves [batch_size, T + 1, ...]."""
    samples, self._buffer = self._buffer, []
    return tree.map_structure(lambda *x: np.stack(x), *samples)


def _learner_batches(online: _Sampler, replay: Optional[_Sampler],
                     replay_batch_size: int, num_extra: int
                     ) -> Iterator[Optional[learning.LearnerBatch]]:
  """Joins online and replay samples into `LearnerBatch`es, or None.

  Each replay batch holds (1 + num_extra) * replay_batch_size independent
  uniform draws: the first replay_batch_size join τ (App. C: 6 online + 12
  replay), every following block of replay_batch_size is one extra step's
  own batch (K - 1 inner steps, then L - 1 bootstrap steps). Yields None
  whenever a table had no data within the timeout.
  """
  while True:
    if not (online.fill() and (replay is None or replay.fill())):
      yield None
      continue
    tau = to_trajectories(online.take(), is_replay=False)
    extra = None
    if replay is not None:
      sample = to_trajectories(replay.take(), is_replay=True)
      head = lambda x: x[:replay_batch_size]
      tau = losses.Trajectories(*[
          np.concatenate([a, head(b)]) for a, b in zip(tau, sample)])
      if num_extra:
        extra = losses.Trajectories(*[
            x[replay_batch_size:].reshape(
                (num_extra, replay_batch_size) + x.shape[1:])
            for x in sample])
    yield learning.LearnerBatch(tau, extra)


class STACXBuilder(builders.ActorLearnerBuilder):
  """Builds replay, adder, actor and learner of STACX / STACX-BMG."""

  def __init__(self,
               config: config_lib.STACXConfig,
               variable_update_period: Optional[int] = None,
               sample_timeout_ms: int = 1_000):
    """Creates the builder.

    Args:
      config: the agent's configuration.
      variable_update_period: actor steps between parameter fetches
        (default: one unroll, as Alg. 4 syncs after each rollout).
      sample_timeout_ms: a learner waiting this long for data gets None from
        the dataset and its step returns without an update, so it never
        blocks forever (and Launchpad's stop can end it).
    """
    if variable_update_period is not None:
      config_lib.core_config.check_int('variable_update_period',
                                       variable_update_period, 1)
    config_lib.core_config.check_int('sample_timeout_ms', sample_timeout_ms,
                                     1)
    self._config = config
    self._sample_timeout_ms = sample_timeout_ms
    self._online = None  # The online _Sampler of the dataset, once made.
    self._variable_update_period = (
        variable_update_period or config.unroll_length)

  def make_replay_tables(
      self, environment_spec: specs.EnvironmentSpec) -> List[reverb.Table]:
    """An online FIFO queue (each trajectory used once) and uniform replay."""
    extras_spec = {'logits': np.zeros(
        (environment_spec.actions.num_values,), np.float32)}
    signature = reverb_adders.SequenceAdder.signature(
        environment_spec, extras_spec,
        sequence_length=self._config.sequence_length)
    # A true queue, as in acme's IMPALA: its rate limiter counts unsampled
    # trajectories, so `can_sample(online_batch_size)` (what acme's
    # LocalLayout asks before a learner step in a single-process run) is true
    # only when a whole online batch is waiting, and actors wait when it is
    # full (the learner more than max_queue_size trajectories behind).
    queue = reverb.Table.queue(
        name=QUEUE_TABLE, max_size=self._config.max_queue_size,
        signature=signature)
    replay = reverb.Table(
        name=REPLAY_TABLE,
        sampler=reverb.selectors.Uniform(),
        remover=reverb.selectors.Fifo(),
        max_size=self._config.replay_size,
        rate_limiter=reverb.rate_limiters.MinSize(1),
        signature=signature)
    return [queue, replay]

  def make_dataset_iterator(
      self, replay_client: reverb.Client, num_shards: int = 1
  ) -> Iterator[Optional[learning.LearnerBatch]]:
    """`LearnerBatch`es of online + replay data; None after a timeout.

    Args:
      replay_client: the replay server's client.
      num_shards: learner hosts sharing each update: this iterator (one
        host's own) yields 1 / num_shards of every batch, online and
        replay, so the hosts' shards together are one global batch.

    Raises:
      ValueError: if num_shards does not divide both batch sizes.
    """
    config = self._config
    config_lib.core_config.check_int('num_shards', num_shards, 1)
    for name in ('online_batch_size', 'replay_batch_size'):
      if getattr(config, name) % num_shards:
        raise ValueError(f'{name} ({getattr(config, name)}) must be '
                         f'divisible by the {num_shards} learner hosts.')
    online_size = config.online_batch_size // num_shards
    replay_size = config.replay_batch_size // num_shards
    make = functools.partial(_Sampler, replay_client.server_address,
                             timeout_ms=self._sample_timeout_ms)
    replay = None
    if replay_size:
      size = replay_size * (1 + config.num_extra_replay_batches)
      replay = make(REPLAY_TABLE, size, in_flight=2 * size)
    # One in flight from the queue, so `can_sample` of a single-process run
    # sees what is left to learn from (as acme's IMPALA queue does).
    online = make(QUEUE_TABLE, online_size, in_flight=1)
    self._online = online
    return _learner_batches(online, replay, replay_size,
                            config.num_extra_replay_batches)

  def learner_ready(self, replay_client: reverb.Client) -> bool:
    """True when the queue holds an online batch and replay can be sampled.

    A single-process run may step the learner while this holds without ever
    waiting for the dataset's timeout. Trajectories the dataset already took
    from the queue into a partly filled batch count; one the Reverb dataset
    holds in flight does not (it is counted once it reaches the batch), so
    the answer may lag by one trajectory but is never a false yes.
    """
    info = replay_client.server_info()
    queued = info[QUEUE_TABLE].current_size
    if self._online is not None:
      queued += self._online.num_buffered
    if queued < self._config.online_batch_size:
      return False
    # Replay's rate limiter (MinSize(1)) allows sampling once it holds one.
    return (not self._config.replay_batch_size or
            info[REPLAY_TABLE].current_size >= 1)

  def make_adder(self, replay_client: reverb.Client) -> adders.Adder:
    """Writes every trajectory of T + 1 steps (overlapping by one) to both."""
    return reverb_adders.SequenceAdder(
        client=replay_client,
        priority_fns={QUEUE_TABLE: None, REPLAY_TABLE: None},
        period=self._config.unroll_length,
        sequence_length=self._config.sequence_length,
        pad_end_of_episode=False,
        break_end_of_episode=False)

  def make_learner(
      self,
      random_key,
      networks: networks_lib.STACXNetworks,
      dataset: Iterator[Optional[learning.LearnerBatch]],
      logger_fn: Optional[Callable[[], loggers.Logger]] = None,
      environment_spec: Optional[specs.EnvironmentSpec] = None,
      replay_client: Optional[reverb.Client] = None,
      counter: Optional[counting.Counter] = None,
  ) -> core.Learner:
    """The pmapped `STACXLearner`.

    Args:
      random_key: initialises the agent's parameters.
      networks: the STACX networks.
      dataset: from `make_dataset_iterator`.
      logger_fn: () -> the learner's logger; None: a terminal logger
        printing every 10 s.
      environment_spec: unused (the networks carry the shapes).
      replay_client: unused (data comes through `dataset`).
      counter: counts learner steps.
    """
    del environment_spec, replay_client
    if logger_fn is not None and not callable(logger_fn):
      # acme 0.4.0's DistributedLayout passes (..., replay, counter)
      # positionally; this signature is acme HEAD's.
      raise TypeError('logger_fn must be a zero-argument callable returning '
                      f'a logger, got {type(logger_fn).__name__}; pass '
                      'replay_client and counter by keyword.')
    # None: the learner's own default (a terminal logger).
    logger = logger_fn() if logger_fn is not None else None
    return learner_lib.STACXLearner(
        make_fns=functools.partial(learning.make_learner_fns, networks,
                                   self._config),
        initial_state=learning.make_initial_state(
            random_key, networks, self._config),
        iterator=dataset,
        counter=counter,
        logger=logger)

  def make_policy(self,
                  networks: networks_lib.STACXNetworks,
                  environment_spec: Optional[specs.EnvironmentSpec] = None,
                  evaluation: bool = False) -> actor_core.ActorCore:
    """The acting policy π_0 (what `make_actor` takes as policy_network).

    Args:
      networks: the STACX networks.
      environment_spec: unused (the networks carry the shapes).
      evaluation: act greedily (argmax of π_0) instead of sampling.
    """
    del environment_spec
    fns = acting.make_acting_fns(networks, greedy=evaluation)
    return actor_core.ActorCore(init=fns.init,
                                select_action=fns.select_action,
                                get_extras=fns.get_extras)

  def make_actor(
      self,
      random_key,
      policy_network: actor_core.ActorCore,
      adder: Optional[adders.Adder] = None,
      variable_source: Optional[core.VariableSource] = None) -> acme.Actor:
    """A `GenericActor` on CPU fetching 'policy' every unroll."""
    variable_client = None
    if variable_source is not None:
      variable_client = variable_utils.VariableClient(
          variable_source, key=learner_lib.POLICY,
          update_period=self._variable_update_period, device='cpu')
    return actors.GenericActor(
        policy_network, random_key, variable_client, adder, jit=True,
        backend='cpu')
