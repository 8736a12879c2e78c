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

"""An acme `ActorLearnerBuilder` for the two-colours actor-critic (BMG/MG)."""

from typing import Callable, Iterator, List, Optional

from acme import adders
from acme import core as acme_core
from acme import specs
from acme.adders import reverb as reverb_adders
from acme.agents.jax import actor_core
from acme.agents.jax import actors
from acme.agents.jax import builders
from acme.jax import variable_utils
from acme.utils import counting
from acme.utils import loggers
import jax
import numpy as np
import reverb

from bmg_agents.actor_critic_bmg import acting
from bmg_agents.actor_critic_bmg import config as ac_config
from bmg_agents.actor_critic_bmg import learner as ac_learner
from bmg_agents.actor_critic_bmg import learning
from bmg_agents.actor_critic_bmg import networks as ac_networks

REPLAY_TABLE = 'queue'
_SAMPLE_TIMEOUT_MS = 1000
# Rollouts per learner step (the dataset's batch size).
_ITEMS_PER_STEP = 1


def make_actor_core(select_action: acting.SelectActionFn
                    ) -> actor_core.ActorCore:
  """An acme ActorCore over the pure policy; its state is the PRNG key."""

  def core_select_action(params, observation, key):
    key, act_key = jax.random.split(key)
    return select_action(params, act_key, observation), key

  return actor_core.ActorCore(init=lambda key: key,
                              select_action=core_select_action,
                              get_extras=lambda key: ())


class ActorCriticBMGBuilder(builders.ActorLearnerBuilder):
  """Builds the on-policy agent: a Reverb queue of N + 1 step sequences.

  Each sequence overlaps the next by one step (its bootstrap observation);
  sequences run on across episode ends (the learner masks the adder's
  terminal placeholder steps and stops returns at terminals). The learner
  applies the shared pure `update` per sequence and `meta_update` every
  T = `config.window` updates. Actors fetch the variables named 'policy'.
  """

  def __init__(self, config: ac_config.ActorCriticBMGConfig,
               max_queue_size: int = 4,
               variable_update_period: int = 1):
    """Initialises the builder.

    Args:
      config: the agent's config.
      max_queue_size: rollouts the actors may run ahead of the learner.
      variable_update_period: actor update() calls between parameter fetches
        (1: fully on-policy when actor and learner alternate).
    """
    self._config = config
    self._max_queue_size = max_queue_size
    self._variable_update_period = variable_update_period

  def make_replay_tables(self, environment_spec: specs.EnvironmentSpec
                         ) -> List[reverb.Table]:
    """One Reverb queue of N + 1 step sequences (each sampled once)."""
    signature = reverb_adders.SequenceAdder.signature(
        environment_spec, sequence_length=self._config.rollout_length + 1)
    return [reverb.Table.queue(name=REPLAY_TABLE,
                               max_size=self._max_queue_size,
                               signature=signature)]

  def make_dataset_iterator(self, replay_client: reverb.Client) -> Iterator:
    """Batches of one rollout, in insertion order.

    After `_SAMPLE_TIMEOUT_MS` without data the iterator yields None (the
    learner then skips its step) and re-creates the dataset: a learner waiting
    for data keeps returning to Python, so it can notice the end of a run
    instead of blocking in Reverb forever.
    """
    while True:
      dataset = reverb.TrajectoryDataset.from_table_signature(
          server_address=replay_client.server_address, table=REPLAY_TABLE,
          max_in_flight_samples_per_worker=1,
          rate_limiter_timeout_ms=_SAMPLE_TIMEOUT_MS)
      yield from dataset.batch(_ITEMS_PER_STEP,
                               drop_remainder=True).as_numpy_iterator()
      yield None

  def make_adder(self, replay_client: reverb.Client) -> adders.Adder:
    """N + 1 step sequences every N steps, run on across episode ends."""
    return reverb_adders.SequenceAdder(
        client=replay_client, priority_fns={REPLAY_TABLE: None},
        period=self._config.rollout_length,
        sequence_length=self._config.rollout_length + 1,
        pad_end_of_episode=False, break_end_of_episode=False)

  def make_actor(self, random_key, policy_network, adder=None,
                 variable_source: Optional[acme_core.VariableSource] = None
                 ) -> acme_core.Actor:
    """An actor sampling pi_x; `policy_network` is from `make_policy`."""
    client = variable_utils.VariableClient(
        variable_source, key='policy',
        update_period=self._variable_update_period)
    return actors.GenericActor(make_actor_core(policy_network), random_key,
                               client, adder, jit=True)

  def make_learner(
      self, random_key, networks: ac_networks.ActorCriticNetworks, dataset,
      logger_fn: Optional[Callable[[], loggers.Logger]] = None,
      environment_spec: Optional[specs.EnvironmentSpec] = None,
      replay_client: Optional[reverb.Client] = None,
      counter: Optional[counting.Counter] = None
  ) -> ac_learner.ActorCriticBMGLearner:
    """The learner; `logger_fn()` makes its logger (None: a quiet terminal).

    Args:
      random_key: initialises the learner's parameters.
      networks: from `make_networks`.
      dataset: from `make_dataset_iterator`.
      logger_fn: a zero-argument callable returning an acme Logger.
      environment_spec: unused (the networks know the observation shape).
      replay_client: unused (on-policy queue; see `learner_ready`).
      counter: the learner's counter.
    """
    del environment_spec, replay_client
    agent = learning.make_agent_functions(networks, self._config)
    observation = np.zeros(networks.observation_shape, np.float32)
    # None: the learner's own default (a terminal logger).
    logger = logger_fn() if logger_fn is not None else None
    return ac_learner.ActorCriticBMGLearner(
        agent, dataset, random_key, observation, counter=counter,
        logger=logger)

  def make_policy(self, networks: ac_networks.ActorCriticNetworks,
                  environment_spec: Optional[specs.EnvironmentSpec] = None,
                  evaluation: bool = False) -> acting.SelectActionFn:
    """The pure policy `make_actor` takes: a ~ pi_x(s) (also to evaluate)."""
    del environment_spec, evaluation  # The policy is stochastic in both.
    return acting.make_select_action(networks)

  def learner_ready(self, replay_client: reverb.Client) -> bool:
    """True when the queue holds the rollouts of one learner step."""
    info = replay_client.server_info()[REPLAY_TABLE]
    return info.current_size >= _ITEMS_PER_STEP
