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

"""Launchpad glue that is safe in child processes, shared by all agents.

Launchpad child processes unpickle their node's callable, importing its module
before any of our code runs. An acme class pickled directly would be imported
before `bmg_agents.compat` fixes acme for the pinned jax, and fail. Node
callables therefore live in this module (or agents' modules): importing them
imports `bmg_agents` first.
"""

import os
from typing import Any, Optional

from absl import logging
from acme.jax.layouts import distributed_layout
import launchpad as lp

LAUNCH_TYPES = ('local_mp', 'local_mt')


class CheckpointingConfig(distributed_layout.CheckpointingConfig):
  """acme's `CheckpointingConfig`; unpickling it imports bmg_agents first."""


class DistributedLayout(distributed_layout.DistributedLayout):
  """acme's `DistributedLayout`, picklable into Launchpad child processes.

  Nodes: replay (Reverb), counter, learner, actors, evaluators and, with
  `max_number_of_steps`, a steps limiter that stops the whole program once
  the actors' step count reaches the budget. On a multi-host / TPU pod this
  is the same program; the learner `pmap`s over its local devices.

  Launchpad ships each node as a bound method, and cloudpickle pickles the
  method's function by reference to the module defining it: a method
  inherited from acme would make the child import acme before bmg_agents.
  So every node method is (re)defined here and only delegates.
  """

  def replay(self):
    return super().replay()

  def counter(self):
    return super().counter()

  def learner(self, random_key, replay, counter):
    return super().learner(random_key, replay, counter)

  def actor(self, random_key, replay, variable_source, counter, actor_id):
    return super().actor(random_key, replay, variable_source, counter,
                         actor_id)

  def coordinator(self, counter, max_actor_steps):
    return super().coordinator(counter, max_actor_steps)


def launch(program: lp.Program, launch_type: str = 'local_mp',
           terminal: str = 'current_terminal',
           local_resources: Optional[dict] = None) -> Any:
  """Launches `program` locally and returns Launchpad's worker manager.

  Args:
    program: the program.
    launch_type: 'local_mp' (one process per node) or 'local_mt' (threads).
    terminal: where child processes print; Launchpad would otherwise pick
      tmux whenever it is installed.
    local_resources: per-node environment, e.g. {'learner': PythonProcess(
      env={'XLA_FLAGS': ...})}.

  Raises:
    ValueError: for an unknown launch type.
  """
  if launch_type not in LAUNCH_TYPES:
    raise ValueError(f'lp_launch_type must be one of {", ".join(LAUNCH_TYPES)}'
                     f', got {launch_type!r}.')
  # Children must import this checkout of bmg_agents, and stay quiet.
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  logging.info('Launching %s with %s.', program, launch_type)
  return lp.launch(program, launch_type=launch_type, terminal=terminal,
                   local_resources=local_resources)


def launch_and_wait(program: lp.Program, launch_type: str = 'local_mp',
                    **kwargs) -> None:
  """Launches `program` and blocks until it stops (e.g. at its budget)."""
  launch(program, launch_type, **kwargs).wait()
