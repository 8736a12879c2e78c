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
from acme.agents.jax import actor_core as actor_core_lib
from acme.agents.jax import actors
from acme.agents.jax import builders
from acme.jax import variable_utils
from acme.utils import counting
from acme.utils import loggers
import chex
import dm_env
import jax
import numpy as np
import reverb

from bmg_agents.q_lambda_bmg import acting
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import learner as learner_lib
from bmg_agents.q_lambda_bmg import learning
from bmg_agents.q_lambda_bmg import networks as networks_lib

REPLAY_TABLE = 'queue'
# A learner waiting this long for a transition gets None and returns.
_SAMPLE_TIMEOUT_MS = 1_000


def make_actor_core(select_action: acting.SelectActionFn,
                    reward_history: int) -> actor_core_lib.ActorCore:
  """ActorCore over the learner's 'policy' variables (params, meta_params).

  The reward history restarts at zeros with every episode (GenericActor
  calls `init` in `observe_first`).
  """

  def init(key):
    return acting.init_actor_state(key, reward_history)

  def select(variables, observation, state):
    params, meta_params = variables
    key, act_key = jax.random.split(state.key)
    action, _ = select_action(params, meta_params, observation,
                              state.reward_history, act_key)
    return action, acting.ActorState(key=key,
                                     reward_history=state.reward_history)

  def get_extras(state):
    # The ε-network input the action was chosen with (Transition field).
    return {'reward_history': state.reward_history}

  return actor_core_lib.ActorCore(init=init, select_action=select,
                                  get_extras=get_extras)


class QLambdaActor(actors.GenericActor):
  """GenericActor that also feeds each reward into the ε-network's input."""

  def __init__(self, actor_core: actor_core_lib.ActorCore,
               random_key: chex.PRNGKey,
               variable_client: Optional[variable_utils.VariableClient],
               adder: Optional[adders.Adder] = None):
    super().__init__(actor_core, random_key, variable_client, adder,
                     jit=True, backend='cpu')
    self._push_reward = jax.jit(acting.push_reward, backend='cpu')

  def observe(self, action, next_timestep: dm_env.TimeStep):
    super().observe(action, next_timestep)  # Adds with the old history.
    self._state = self._push_reward(self._state, next_timestep.reward)


class QLambdaBuilder(builders.ActorLearnerBuilder):
  """Builds the online Q(λ)-BMG agent.

  The learner updates once per environment step (App. B.3), so data flows
  through a FIFO Reverb queue of 1-step transitions that the learner drains
  in order; its own window and meta-buffer rebuild λ-returns and targets.
  `networks` is a `QLambdaNetworks` from `networks.make_networks`;
  `policy_network` is what `make_policy` returns.
  """

  def __init__(self, config: config_lib.QLambdaConfig,
               max_queue_size: int = 10_000):
    """Initialises the builder.

    Args:
      config: the agent's hyper-parameters.
      max_queue_size: transitions the queue holds before actors block.
    """
    self._config = config
    self._max_queue_size = max_queue_size

  def make_replay_tables(
      self, environment_spec: specs.EnvironmentSpec) -> List[reverb.Table]:
    extras = {'reward_history': specs.Array(
        (self._config.reward_history,), np.float32)}
    signature = reverb_adders.NStepTransitionAdder.signature(
        environment_spec, extras)
    return [reverb.Table.queue(REPLAY_TABLE, self._max_queue_size,
                               signature=signature)]

  def make_dataset_iterator(
      self, replay_client: reverb.Client
  ) -> Iterator[Optional[reverb.ReplaySample]]:
    """Transitions in insertion order, or None after 1 s without data.

    One sample in flight keeps the queue's order and the learner
    on-policy. A timed-out sample ends the dataset: the iterator yields
    None (the learner skips its step) and starts a new one, so a learner
    waiting for data keeps returning to Python.
    """
    while True:
      dataset = reverb.TrajectoryDataset.from_table_signature(
          server_address=replay_client.server_address, table=REPLAY_TABLE,
          max_in_flight_samples_per_worker=1,
          rate_limiter_timeout_ms=_SAMPLE_TIMEOUT_MS)
      yield from dataset.as_numpy_iterator()
      yield None

  def make_adder(self, replay_client: reverb.Client) -> adders.Adder:
    # γ is applied by the learner; the adder stores 1-step transitions
    # with the environment's discount d (0 at a terminal), never across
    # an episode boundary.
    return reverb_adders.NStepTransitionAdder(
        client=replay_client, n_step=1, discount=1.0,
        priority_fns={REPLAY_TABLE: None})

  def make_actor(self, random_key, policy_network: acting.SelectActionFn,
                 adder: Optional[adders.Adder] = None,
                 variable_source: Optional[core.VariableSource] = None
                 ) -> core.Actor:
    client = None
    if variable_source is not None:
      client = variable_utils.VariableClient(variable_source, 'policy',
                                             device='cpu')
    return QLambdaActor(
        make_actor_core(policy_network, self._config.reward_history),
        random_key, client, adder)

  def make_learner(
      self,
      random_key,
      networks: networks_lib.QLambdaNetworks,
      dataset: Iterator[Optional[reverb.ReplaySample]],
      logger_fn: Optional[Callable[[], loggers.Logger]] = None,
      environment_spec: Optional[specs.EnvironmentSpec] = None,
      replay_client: Optional[reverb.Client] = None,
      counter: Optional[counting.Counter] = None,
  ) -> core.Learner:
    # The observation shape comes from the networks (made from the spec).
    del environment_spec, replay_client
    # None: the learner's own default (a terminal logger).
    logger = logger_fn() if logger_fn is not None else None
    observation = np.zeros(networks.observation_shape, np.float32)
    return learner_lib.QLambdaLearner(
        learning.make_agent_functions(networks, self._config), dataset,
        random_key, observation, counter=counter, logger=logger)

  def make_policy(self, networks: networks_lib.QLambdaNetworks,
                  environment_spec: Optional[specs.EnvironmentSpec] = None,
                  evaluation: bool = False) -> acting.SelectActionFn:
    """The pure ε-greedy action selection (greedy when `evaluation`)."""
    del environment_spec
    return acting.make_select_action(
        networks, self._config.meta_objective == 'bmg', evaluation)

  def learner_ready(self, replay_client: reverb.Client) -> bool:
    """True when the queue holds a transition for one learner step."""
    info = replay_client.server_info()
    return info[REPLAY_TABLE].current_size >= 1
