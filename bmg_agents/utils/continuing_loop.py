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

"""An environment loop for continuing (non-episodic) tasks such as two-colours.

acme's `EnvironmentLoop` only checks its step budget between episodes, so it
never returns on a task without episodes. This loop resets once and then
steps an acme `Actor` for a fixed number of steps, counting and logging as
acme's loop does.
"""

import time
from typing import Callable, Optional

from acme import core
from acme.utils import counting
from acme.utils import loggers
import dm_env
import numpy as np


class ContinuingLoop(core.Worker):
  """Runs an actor on a continuing environment for a step budget.

  Args:
    environment: the dm_env environment (reset once).
    actor: the acme actor (observe_first / select_action / observe / update).
    counter: counts 'steps' (prefix it, e.g. Counter(parent, 'actor')).
    logger: receives reward statistics every `log_every` steps.
    log_every: steps between counter increments and log rows.
    should_stop: optional () -> bool checked every `log_every` steps, e.g. a
      global step budget in a distributed program.
  """

  def __init__(self, environment: dm_env.Environment, actor: core.Actor,
               counter: Optional[counting.Counter] = None,
               logger: Optional[loggers.Logger] = None,
               log_every: int = 1000,
               should_stop: Optional[Callable[[], bool]] = None):
    self._environment = environment
    self._actor = actor
    self._counter = counter or counting.Counter()
    self._logger = logger or loggers.make_default_logger('actor')
    self._log_every = max(1, log_every)
    self._should_stop = should_stop
    self._timestep = None

  def run(self, num_steps: Optional[int] = None) -> int:
    """Steps until `num_steps` (None: forever or until `should_stop`).

    Returns:
      The number of steps taken by this call.
    """
    if self._timestep is None:
      self._timestep = self._environment.reset()
      self._actor.observe_first(self._timestep)
    steps, rewards, start = 0, [], time.time()
    while num_steps is None or steps < num_steps:
      action = self._actor.select_action(self._timestep.observation)
      self._timestep = self._environment.step(action)
      self._actor.observe(action, next_timestep=self._timestep)
      self._actor.update()
      rewards.append(float(self._timestep.reward))
      steps += 1
      done = num_steps is not None and steps >= num_steps
      if len(rewards) >= self._log_every or done:
        counts = self._counter.increment(steps=len(rewards))
        elapsed = max(time.time() - start, 1e-9)
        self._logger.write(dict(
            counts, reward_rate=float(np.mean(rewards)),
            steps_per_second=len(rewards) / elapsed))
        rewards, start = [], time.time()
        if self._should_stop is not None and self._should_stop():
          break
    return steps
