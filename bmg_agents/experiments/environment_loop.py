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

import functools
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
      `OwnCounter(parent, 'actor')`); incremented at every row and before
      every `should_stop` poll, so a global budget sees every step.
    logger: receives the rows.
    observers: acme `EnvLoopObserver`s; their metrics join episode rows.
    log_every_steps: None: a row per episode; N: a row every N steps
      (reward rate, episodes finished so far), for continuing tasks.
    should_stop: optional () -> bool, e.g. a global budget of a Launchpad
      program, polled at most every `poll_secs` seconds.
    poll_secs: seconds between `should_stop` polls.
    whole_episodes: with a row per episode, `should_stop` is polled only
      at episode ends, so a stopped loop has logged every episode it began
      (an evaluator's rows are whole episodes, at least one).
  """

  def __init__(self, environment: dm_env.Environment, actor: core.Actor,
               counter: Optional[counting.Counter] = None,
               logger: Optional[loggers.Logger] = None,
               observers: Sequence[object] = (),
               log_every_steps: Optional[int] = None,
               should_stop: Optional[Callable[[], bool]] = None,
               poll_secs: float = .1, whole_episodes: bool = False):
    self._environment = environment
    self._actor = actor
    self._counter = counter or counting.Counter()
    self._logger = logger or loggers.TerminalLogger('actor', time_delta=10.)
    self._observers = tuple(observers)
    self._log_every = log_every_steps
    self._should_stop = should_stop
    self._poll_secs = poll_secs
    self._whole_episodes = whole_episodes and log_every_steps is None

  def run(self, num_steps: Optional[int] = None) -> int:
    """Acts until `num_steps` steps (None: until `should_stop`).

    Returns:
      The number of steps taken.
    """
    self._uncounted = 0  # Steps taken but not yet added to the counter.
    total, last_poll, timestep = 0, time.time(), None
    rewards, start, episodes = [], time.time(), 0  # Since the last row.
    while num_steps is None or total < num_steps:
      if timestep is None or timestep.last():
        timestep = self._environment.reset()
        self._actor.observe_first(timestep)
        for observer in self._observers:
          observer.observe_first(self._environment, timestep)
        if self._log_every is None:
          rewards, start = [], time.time()
      action = self._actor.select_action(timestep.observation)
      timestep = self._environment.step(action)
      self._actor.observe(action, next_timestep=timestep)
      for observer in self._observers:
        observer.observe(self._environment, timestep, action)
      self._actor.update()
      total += 1
      self._uncounted += 1
      rewards.append(timestep.reward)
      if self._log_every is None:
        if timestep.last():
          self._write_episode(rewards, start)
      else:
        episodes += int(timestep.last())
        if len(rewards) >= self._log_every or total == num_steps:
          self._write_interval(rewards, start, episodes)
          rewards, start, episodes = [], time.time(), 0
      if (self._should_stop is not None and
          (timestep.last() or not self._whole_episodes) and
          time.time() - last_poll > self._poll_secs):
        self._count()  # Others see this loop's steps before it asks.
        if self._should_stop():
          break
        last_poll = time.time()
    if self._log_every is not None and rewards:
      self._write_interval(rewards, start, episodes)
    self._count()  # A partial episode at the budget: counted, not logged.
    return total

  def _count(self, **counts):
    counts = self._counter.increment(steps=self._uncounted, **counts)
    self._uncounted = 0
    return counts

  def _write_episode(self, rewards, start):
    counts = self._count(episodes=1)
    # Summed in step order, as acme's loop does (rewards may be nested).
    episode_return = functools.reduce(
        lambda total, r: tree.map_structure(np.add, total, r), rewards)
    row = dict(counts, episode_length=len(rewards),
               episode_return=episode_return,
               steps_per_second=len(rewards) / max(time.time() - start, 1e-9))
    for observer in self._observers:
      row.update(observer.get_metrics())
    self._logger.write(row)

  def _write_interval(self, rewards, start, episodes):
    counts = self._count(episodes=episodes)
    self._logger.write(dict(
        counts, reward_rate=float(np.mean(rewards)),
        steps_per_second=len(rewards) / max(time.time() - start, 1e-9)))
