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

"""The learner checkpointer of the acme runners."""

from acme import core
from acme.utils import counting
import numpy as np

from bmg_agents.experiments import config as config_lib
from bmg_agents.experiments import single_process


class _Learner(core.Saveable):
  def __init__(self):
    self.value = np.zeros(2, np.float32)
  def save(self):
    return {'value': self.value}
  def restore(self, state):
    self.value = np.asarray(state['value'])


def test_checkpointer_saves_every_n_learner_steps_and_restores(tmp_path):
  checkpointing = config_lib.CheckpointingConfig(
      str(tmp_path), time_delta_minutes=1e6, every_learner_steps=3)
  learner, counter = _Learner(), counting.Counter(time_delta=0.)
  checkpointer = single_process.make_checkpointer(checkpointing, learner,
                                                  counter)
  for _ in range(5):  # acme saves at its first call, then by time (never
    learner.value = learner.value + 1.  # here) and this every 3 steps.
    counter.increment(learner_steps=1)
    checkpointer.after_learner_step()
  # A new process's checkpointer restores the last save, at step 3.
  restored, counts = _Learner(), counting.Counter(time_delta=0.)
  single_process.make_checkpointer(checkpointing, restored, counts)
  np.testing.assert_array_equal(restored.value, [3., 3.])
  assert counts.get_counts()['learner_steps'] == 3
