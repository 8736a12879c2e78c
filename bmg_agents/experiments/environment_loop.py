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

"""The one environment loop, for episodic and continuing tasks alike.

acme's `EnvironmentLoop` checks its step budget only between episodes, so it
never returns on a task without episodes (two-colours) and overshoots on
long ones. This loop checks the budget every step, resets at episode ends,
and logs either a row per episode (acme's keys) or, for continuing tasks, a
row every `log_every_steps` steps; one run writes one kind of row, so its
CSV columns stay fixed.
"""

import time
from typing import Callable, Optional, Sequence

from acme import core
from acme.utils import counting
from acme.utils import loggers
import dm_env
import numpy as np
import tree


class OwnCounter(counting.Counter):
  """A child counter whose counts are only its own, e.g. 'actor_steps'.

  acme's child counter returns every count of its parent too, so a
  worker's log rows would gain columns (another worker's counts) once that
  worker starts counting; a CSV's columns are fixed by its first row.
  """

  def __init__(self, parent: counting.Counter, prefix: str):
    super().__init__(parent, prefix, time_delta=0.)

  def get_counts(self):
    own = f'{self._prefix}_'
    return {k: v for k, v in super().get_counts().items()
            if k.startswith(own)}


class EnvironmentLoop(core.Worker):
  """Steps an acme `Actor` in an environment for a budget.

  Args:
    environment: a dm_env environment.
    actor: an acme actor (observe_first / select_action / observe / update).
    counter: counts 'steps' and 'episodes' (prefix it, e.g.
      `Counter(parent, 'actor')`); incremented at every logged row.
    logger: receives the rows.
    observers: acme `EnvLoopObserver`s; their metrics join episode rows.
    log_every_steps: None: a row per episode; N: a row every N steps
      (reward rate, episodes finished so far), for continuing tasks.
    should_stop: optional () -> bool, e.g. a global budget of a Launchpad
      program, polled at most every `poll_secs` seconds.
    poll_secs: seconds between `should_stop` polls.
  """

  def __init__(self, environment: dm_env.Environment, actor: core.Actor,
               counter: Optional[counting.Counter] = None,
               logger: Optional[loggers.Logger] = None,
               observers: Sequence[object] = (),
               log_every_steps: Optional[int] = None,
               should_stop: Optional[Callable[[], bool]] = None,
               poll_secs: float = .5):
    self._environment = environment
    self._actor = actor
    self._counter = counter or counting.Counter()
    self._logger = logger or loggers.TerminalLogger('actor', time_delta=10.)
    self._observers = tuple(observers)
    self._log_every = log_every_steps
    self._should_stop = should_stop
    self._poll_secs = poll_secs

  def run(self, num_steps: Optional[int] = None) -> int:
    """Acts until `num_steps` steps (None: until `should_stop`).

    Returns:
      The number of steps taken.
    """
    total, last_poll = 0, time.time()
    timestep = None
    uncounted = 0  # Steps not yet added to the counter.
    while num_steps is None or total < num_steps:
      if timestep is None or timestep.last():
        if timestep is not None and self._log_every is None:
          self._write_episode(episode_steps, episode_return, start)
          uncounted = 0
        timestep = self._environment.reset()
        self._actor.observe_first(timestep)
        for observer in self._observers:
          observer.observe_first(self._environment, timestep)
        episode_steps, start = 0, time.time()
        episode_return = tree.map_structure(
            lambda s: np.zeros(s.shape, s.dtype),
            self._environment.reward_spec())
        if self._log_every is not None and total == 0:
          interval_rewards, interval_start, episodes = [], time.time(), 0
      action = self._actor.select_action(timestep.observation)
      timestep = self._environment.step(action)
      self._actor.observe(action, next_timestep=timestep)
      for observer in self._observers:
        observer.observe(self._environment, timestep, action)
      self._actor.update()
      total += 1
      uncounted += 1
      episode_steps += 1
      episode_return = tree.map_structure(np.add, episode_return,
                                          timestep.reward)
      if self._log_every is not None:
        interval_rewards.append(timestep.reward)
        episodes += int(timestep.last())
        done = num_steps is not None and total >= num_steps
        if len(interval_rewards) >= self._log_every or done:
          self._write_interval(interval_rewards, interval_start, episodes)
          interval_rewards, interval_start, episodes = [], time.time(), 0
          uncounted = 0
      if (self._should_stop is not None and
          time.time() - last_poll > self._poll_secs):
        last_poll = time.time()
        if self._should_stop():
          break
    if self._log_every is not None and interval_rewards:
      self._write_interval(interval_rewards, interval_start, episodes)
    elif uncounted:  # A partial episode at the budget: count, don't log.
      self._counter.increment(steps=uncounted)
    return total

  def _write_episode(self, steps, episode_return, start):
    counts = self._counter.increment(episodes=1, steps=steps)
    row = dict(counts, episode_length=steps, episode_return=episode_return,
               steps_per_second=steps / max(time.time() - start, 1e-9))
    for observer in self._observers:
      row.update(observer.get_metrics())
    self._logger.write(row)

  def _write_interval(self, rewards, start, episodes):
    counts = self._counter.increment(episodes=episodes, steps=len(rewards))
    self._logger.write(dict(
        counts, reward_rate=float(np.mean(rewards)),
        steps_per_second=len(rewards) / max(time.time() - start, 1e-9)))
