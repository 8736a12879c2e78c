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


"""The MAML-BMG Acme learner: I/O around the pure `learning` meta-update."""

import time
from typing import Any, Callable, Iterator, List, Optional

from acme import core as acme_core
from acme.utils import counting
from acme.utils import loggers
import jax
import optax

from bmg_agents.maml_bmg import learning
from bmg_agents.maml_bmg import networks as networks_lib

# Variable names `get_variables` serves; all give w, the initialisation that
# evaluators adapt ('policy' is the name every bmg_agents learner serves).
VARIABLE_NAMES = ('policy', 'meta_params')


class MAMLLearner(acme_core.Learner):
  """Meta-learner: consumes meta-batches of tasks, updates w.

  `step()` does I/O only: the next meta-batch from the task iterator (the
  "actors" of this agent are task samplers), the jitted pure update, counts
  and logs. Every logged row has the same keys (`learning.make_update_step`'s
  metrics, `core.diagnostics`' meta-gradient norm and cosine among them, plus
  the counts).
  """

  def __init__(self,
               networks: networks_lib.MAMLNetworks,
               iterator: Iterator[Optional[learning.Task]],
               update_step: Callable[[learning.TrainingState, learning.Task],
                                     Any],
               meta_optimizer: optax.GradientTransformation,
               random_key: jax.Array,
               counter: Optional[counting.Counter] = None,
               logger: Optional[loggers.Logger] = None):
    """Initialises w from `random_key`.

    Args:
      networks: the classifier; `networks.init` gives the initial w.
      iterator: meta-batches of tasks (e.g. `acting.TaskSampler`); a `None`
        item makes `step()` return without an update.
      update_step: the pure meta-update, from `learning.make_update_step`.
      meta_optimizer: the optimiser `update_step` was built with.
      random_key: initialises w.
      counter: counts steps and the learner's wall-clock time (default: a
        new counter).
      logger: receives the metrics of every meta-update (default: a quiet
        terminal logger).
    """
    self._iterator = iterator
    self._update = jax.jit(update_step)
    self._compiled = None
    self._state = learning.init_state(random_key, networks, meta_optimizer)
    self._counter = counter or counting.Counter()
    self._logger = logger or loggers.TerminalLogger('learner', time_delta=10.)

  def step(self):
    tasks = next(self._iterator)
    if tasks is None:  # No data yet: return to the caller.
      return
    if self._compiled is None:  # Compile outside the timed step.
      self._compiled = self._update.lower(self._state, tasks).compile()
    start = time.time()
    self._state, metrics = self._compiled(self._state, tasks)
    metrics = jax.device_get(metrics)  # Waits for the step to finish.
    # `walltime` accumulates the meta-learner's own time (Fig. 6, centre).
    counts = self._counter.increment(steps=1, walltime=time.time() - start)
    self._logger.write({**metrics, **counts})

  def get_variables(self, names: List[str]) -> List[learning.Params]:
    """w for each name in `names` (each must be in `VARIABLE_NAMES`)."""
    for name in names:
      if name not in VARIABLE_NAMES:
        raise ValueError(f'Unknown variable {name!r}; MAMLLearner serves '
                         f'{", ".join(VARIABLE_NAMES)}.')
    return [self._state.meta_params for _ in names]

  def save(self) -> learning.TrainingState:
    return self._state

  def restore(self, state: learning.TrainingState):
    self._state = state
