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

"""The agent's Acme learner: the pure update and meta-update behind Reverb."""

import time
from typing import Iterator, List, Optional

import acme
from acme.utils import counting
from acme.utils import loggers
import chex
import jax
import jax.numpy as jnp
import numpy as np

from bmg_agents.actor_critic_bmg import learning
from bmg_agents.actor_critic_bmg import losses


def rollout_from_steps(data) -> losses.Rollout:
  """A Rollout from an acme `Step` sequence of length N + 1 ([..., N + 1]).

  acme's adders store, at index i, the observation s_i, the action a_i taken
  there, the reward r_{i+1} and discount d_{i+1} that followed it; the last
  step only provides the bootstrap observation s_N. At an episode end the
  adder (not breaking sequences there) stores the terminal observation as a
  step of its own with zero action, reward and discount, then the next
  episode's first step (`start_of_episode`): the transition into a first
  step is that placeholder, masked out.
  """
  starts = np.asarray(data.start_of_episode, bool)
  return losses.Rollout(
      observations=jnp.asarray(data.observation, jnp.float32),
      actions=jnp.asarray(data.action[..., :-1], jnp.int32),
      rewards=jnp.asarray(data.reward[..., :-1], jnp.float32),
      discounts=jnp.asarray(data.discount[..., :-1], jnp.float32),
      masks=jnp.asarray(~starts[..., 1:], jnp.float32))


class ActorCriticBMGLearner(acme.Learner):
  """Applies `AgentFunctions.update` per rollout and `meta_update` every T.

  Each sampled batch holds B rollouts ([B, N + 1] steps); they are applied as
  B consecutive agent updates, as in the fused runner. Every logged row has
  the same keys (a CSV header is fixed by the first row): the counts, the
  last update's metrics (its `entropy_weight` is the current meta-learned
  weight) and the last meta-update's `learning.META_METRICS` (NaN before the
  first).
  """

  def __init__(self, agent: learning.AgentFunctions,
               iterator: Iterator, random_key: chex.PRNGKey,
               observation: np.ndarray,
               counter: Optional[counting.Counter] = None,
               logger: Optional[loggers.Logger] = None):
    self._agent = agent
    self._iterator = iterator
    self._state = jax.jit(agent.init)(random_key, jnp.asarray(observation))
    self._update = jax.jit(agent.update)
    self._meta_update = jax.jit(agent.meta_update)
    self._counter = counter or counting.Counter()
    self._logger = logger or loggers.TerminalLogger('learner',
                                                    time_delta=10.)
    self._meta_metrics = {k: np.float32(np.nan)
                          for k in learning.META_METRICS}

  def step(self):
    sample = next(self._iterator)
    if sample is None:  # No data yet (see the builder's iterator).
      return
    start = time.time()
    rollouts = rollout_from_steps(sample.data)
    metrics = {}
    for i in range(rollouts.actions.shape[0]):
      rollout = jax.tree_util.tree_map(lambda x, i=i: x[i], rollouts)
      self._state, metrics = self._update(self._state, rollout)
      if int(self._state.steps) % self._agent.window == 0:
        self._state, meta_metrics = self._meta_update(self._state)
        self._meta_metrics = jax.device_get(meta_metrics)
    counts = self._counter.increment(steps=rollouts.actions.shape[0],
                                     walltime=time.time() - start)
    self._logger.write(dict(counts, **jax.device_get(metrics),
                            **self._meta_metrics))

  @property
  def state(self) -> learning.TrainingState:
    """The current TrainingState."""
    return self._state

  def get_variables(self, names: List[str]) -> List[chex.ArrayTree]:
    """'policy': the actors' policy parameters x; 'meta': w."""
    variables = {'policy': self._state.params.policy,
                 'meta': self._state.meta_params}
    return [variables[name] for name in names]

  def save(self) -> learning.TrainingState:
    """The whole state, a pytree."""
    return self._state

  def restore(self, state: learning.TrainingState):
    """Sets the state (as returned by `save`)."""
    self._state = state
