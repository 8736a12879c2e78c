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
from typing import Any, Callable, Iterator, List, Optional

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

from bmg_agents.impala_bmg import acting
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import learning
from bmg_agents.impala_bmg import losses
from bmg_agents.impala_bmg import networks as networks_lib

QUEUE_TABLE = 'queue'
REPLAY_TABLE = 'replay'


def _retrying(make_iterator: Callable[[], Iterator[Any]]) -> Iterator[Any]:
  """Yields from make_iterator(), starting a new one when it times out."""
  iterator = make_iterator()
  while True:
    try:
      yield next(iterator)
    except StopIteration:
      iterator = make_iterator()


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


def make_learner_batches(online: Iterator[reverb.ReplaySample],
                         replay: Optional[Iterator[reverb.ReplaySample]],
                         replay_batch_size: int,
                         num_extra: int) -> Iterator[learning.LearnerBatch]:
  """Joins online and replay samples into `LearnerBatch`es.

  Each replay sample holds (1 + num_extra) * replay_batch_size independent
  uniform draws: the first replay_batch_size join τ (App. C: 6 online + 12
  replay), every following block of replay_batch_size is one extra step's
  own batch (K - 1 inner steps, then L - 1 bootstrap steps).
  """
  while True:
    tau = to_trajectories(next(online).data, is_replay=False)
    extra = None
    if replay is not None:
      sample = to_trajectories(next(replay).data, is_replay=True)
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
               logger_fn: Callable[[], loggers.Logger] = lambda: None,
               variable_update_period: Optional[int] = None,
               sample_timeout_ms: Optional[int] = None):
    """Creates the builder.

    Args:
      config: the agent's configuration.
      logger_fn: creates the learner's logger.
      variable_update_period: actor steps between parameter fetches
        (default: one unroll, as Alg. 4 syncs after each rollout).
      sample_timeout_ms: when set, a learner waiting for data returns to
        Python this often (and resumes), so Launchpad's stop, an exception
        raised in the learner's thread, can end it. Leave None when actor and
        learner share a thread: a timed-out sample may drop queued data.
    """
    self._config = config
    self._sample_timeout_ms = sample_timeout_ms
    self._logger_fn = logger_fn
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
      self, replay_client: reverb.Client) -> Iterator[learning.LearnerBatch]:
    config = self._config

    timeout = self._sample_timeout_ms

    def dataset(table, batch_size, in_flight):
      def make():
        return reverb.TrajectoryDataset.from_table_signature(
            server_address=replay_client.server_address, table=table,
            max_in_flight_samples_per_worker=in_flight,
            rate_limiter_timeout_ms=-1 if timeout is None else timeout).batch(
                batch_size, drop_remainder=True).as_numpy_iterator()
      return make() if timeout is None else _retrying(make)

    replay = None
    if config.replay_batch_size:
      size = config.replay_batch_size * (1 + config.num_extra_replay_batches)
      replay = dataset(REPLAY_TABLE, size, 2 * size)
    # One in flight from the queue, so `can_sample` of a single-process run
    # sees what is left to learn from (as acme's IMPALA queue does).
    return make_learner_batches(
        dataset(QUEUE_TABLE, config.online_batch_size, 1), replay,
        config.replay_batch_size, config.num_extra_replay_batches)

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
      dataset: Iterator[learning.LearnerBatch],
      replay_client: Optional[reverb.Client] = None,
      counter: Optional[counting.Counter] = None,
  ) -> core.Learner:
    del replay_client  # Data comes through `dataset`.
    return learning.STACXLearner(
        make_fns=functools.partial(learning.make_learner_fns, networks,
                                   self._config),
        initial_state=learning.make_initial_state(
            random_key, networks, self._config),
        iterator=dataset,
        counter=counter,
        logger=self._logger_fn())

  def make_actor(
      self,
      random_key,
      policy_network: actor_core.ActorCore,
      adder: Optional[adders.Adder] = None,
      variable_source: Optional[core.VariableSource] = None) -> acme.Actor:
    variable_client = None
    if variable_source is not None:
      variable_client = variable_utils.VariableClient(
          variable_source, key='network',
          update_period=self._variable_update_period, device='cpu')
    return actors.GenericActor(
        policy_network, random_key, variable_client, adder, jit=True,
        backend='cpu')


def make_policy(networks: networks_lib.STACXNetworks) -> actor_core.ActorCore:
  """The acting policy (a `policy_network` factory for acme layouts)."""
  return acting.make_actor_core(networks)

