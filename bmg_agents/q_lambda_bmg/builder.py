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

"""Acme builder of the Q(λ)-BMG agent (Reverb queue of 1-step transitions)."""

from typing import Callable, Iterator, List, Optional

from acme import adders
from acme import core
from acme import specs
from acme.adders import reverb as reverb_adders
from acme.agents.jax import builders
from acme.jax import variable_utils
from acme.utils import counting
from acme.utils import loggers
import numpy as np
import reverb

from bmg_agents.q_lambda_bmg import acting
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import learner as learner_lib
from bmg_agents.q_lambda_bmg import learning
from bmg_agents.q_lambda_bmg import networks as networks_lib

_TABLE = 'queue'


class QLambdaBuilder(builders.ActorLearnerBuilder):
  """Builds the online Q(λ)-BMG agent from `learning.make_agent`.

  The learner updates once per environment step (App. B.3), so data flows
  through a FIFO Reverb queue of 1-step transitions that the learner drains
  in order; its own window and meta-buffer rebuild λ-returns and targets.
  `networks` everywhere is a `QLambdaAgent` (pure functions).
  """

  def __init__(self, config: config_lib.QLambdaConfig,
               environment_spec: specs.EnvironmentSpec,
               max_queue_size: int = 10_000,
               logger_fn: Callable[[], Optional[loggers.Logger]] = (
                   lambda: None)):
    self._config = config
    self._spec = environment_spec
    self._max_queue_size = max_queue_size
    self._logger_fn = logger_fn

  def make_replay_tables(
      self, environment_spec: specs.EnvironmentSpec) -> List[reverb.Table]:
    extras = {'reward_history': specs.Array(
        (self._config.reward_history,), np.float32)}
    signature = reverb_adders.NStepTransitionAdder.signature(
        environment_spec, extras)
    return [reverb.Table.queue(_TABLE, self._max_queue_size,
                               signature=signature)]

  def make_dataset_iterator(
      self, replay_client: reverb.Client) -> Iterator[reverb.ReplaySample]:
    # One sample in flight keeps the queue's order and the learner on-policy.
    dataset = reverb.TrajectoryDataset.from_table_signature(
        server_address=replay_client.server_address, table=_TABLE,
        max_in_flight_samples_per_worker=1)
    return dataset.as_numpy_iterator()

  def make_adder(self, replay_client: reverb.Client) -> adders.Adder:
    # γ is applied by the learner; the adder only stores 1-step transitions.
    return reverb_adders.NStepTransitionAdder(
        client=replay_client, n_step=1, discount=1.0,
        priority_fns={_TABLE: None})

  def make_actor(self, random_key, policy_network: learning.QLambdaAgent,
                 adder: Optional[adders.Adder] = None,
                 variable_source: Optional[core.VariableSource] = None
                 ) -> core.Actor:
    client = variable_utils.VariableClient(variable_source, 'policy',
                                           device='cpu')
    return acting.QLambdaActor(
        acting.make_actor_core(policy_network, self._config.reward_history),
        random_key, client, adder)

  def make_learner(self, random_key, networks: learning.QLambdaAgent,
                   dataset: Iterator[reverb.ReplaySample],
                   replay_client: Optional[reverb.Client] = None,
                   counter: Optional[counting.Counter] = None
                   ) -> core.Learner:
    del replay_client
    observation = np.zeros(self._spec.observations.shape, np.float32)
    return learner_lib.QLambdaLearner(
        networks, dataset, random_key, observation, counter=counter,
        logger=self._logger_fn())


def make_agent(config: config_lib.QLambdaConfig,
               environment_spec: specs.EnvironmentSpec
               ) -> learning.QLambdaAgent:
  """The pure agent for an environment spec (the builder's `networks`)."""

  nets = networks_lib.make_networks(
      environment_spec.actions.num_values, config.hidden_sizes,
      config.meta_hidden_size)
  return learning.make_agent(config, nets)
