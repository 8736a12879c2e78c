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


"""The fused (Anakin-style) MAML-BMG runner: one jitted call, no Acme.

Task sampling and `num_steps` meta-updates run in one `lax.scan` on device,
with the same pure update (`learning.make_update_step`) and the same task
stream (`learning.sample_meta_batch`) as the Acme learner fed by
`acting.TaskSampler`, so both give the same meta-parameters.
"""

import jax

from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import learning


def make_fused_train(update_step, config: config_lib.MAMLConfig,
                     num_steps: int):
  """Returns train(state, images, task_key) -> (state, metrics [num_steps]).

  Args:
    update_step: the pure meta-update, from `learning.make_update_step`.
    config: the agent's config (task shapes and meta-batch size).
    num_steps: meta-updates per call.

  Returns:
    A pure function to jit: the tasks of meta-step t are
    `learning.sample_meta_batch(task_key, state.steps, ...)`, those
    `acting.TaskSampler(images, config, task_key)` yields.
  """

  def train(state, images, task_key):
    def one_step(state, _):
      tasks = learning.sample_meta_batch(task_key, state.steps, images,
                                         config)
      return update_step(state, tasks)
    return jax.lax.scan(one_step, state, None, length=num_steps)

  return train
