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

"""Acme learner of the Q(λ)-BMG agent: one online update per transition."""

import time
from typing import Iterator, List, Optional, Sequence

import acme
from acme.utils import counting
from acme.utils import loggers
import jax
import numpy as np
import reverb

from bmg_agents.q_lambda_bmg import learning


class QLambdaLearner(acme.Learner):
  """Consumes transitions in order from a Reverb queue, one per `step()`.

  All learning is `agent.update` (learning.py), the same pure function the
  fused runner scans over; this class only does I/O. A `None` from the
  iterator (no data for a while) makes `step()` return without an update.
  Every log row has the keys of the first: the update's metrics (fixed,
  `learning.metric_names`) and the counts the counter returned then.
  """

  def __init__(self, agent: learning.AgentFunctions,
               iterator: Iterator[Optional[reverb.ReplaySample]],
               random_key: jax.Array, observation: np.ndarray,
               epsilon: Optional[float] = None,
               counter: Optional[counting.Counter] = None,
               logger: Optional[loggers.Logger] = None):
    self._iterator = iterator
    self._update = jax.jit(agent.update)
    self._state = agent.init(random_key, observation, epsilon)
    self._counter = counter or counting.Counter()
    self._logger = logger or loggers.TerminalLogger('learner',
                                                    time_delta=10.)
    self._count_keys = None

  def step(self):
    sample = next(self._iterator)
    if sample is None:
      return  # No data yet: back to the caller (it may be told to stop).
    data = sample.data
    transition = learning.Transition(
        observation=data.observation, action=data.action,
        reward=data.reward, discount=data.discount,
        next_observation=data.next_observation,
        reward_history=data.extras['reward_history'])
    start = time.time()
    self._state, metrics = self._update(self._state, transition)
    metrics = jax.device_get(metrics)
    counts = self._counter.increment(steps=1,
                                     time_elapsed=time.time() - start)
    if self._count_keys is None:
      # A parent counter's keys (e.g. the actors') may appear later; a CSV
      # header is fixed by the first row, so log the first row's keys only.
      self._count_keys = tuple(counts)
    self._logger.write({**metrics, **{k: counts.get(k, np.nan)
                                      for k in self._count_keys}})

  def get_variables(self, names: Sequence[str]) -> List[object]:
    variables = {'policy': (self._state.params, self._state.meta_params)}
    return [variables[name] for name in names]

  def save(self) -> learning.TrainingState:
    return self._state

  def restore(self, state: learning.TrainingState):
    self._state = state
