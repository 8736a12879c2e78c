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

"""MAML-BMG config: paper defaults of App. D.2 and Table 4."""

import dataclasses

from bmg_agents.core import config as config_lib

METHODS = ('maml', 'fomaml', 'anil', 'bmg')
MATCHINGS = ('kl', 'reverse_kl')
TASK_MAPS = ('map', 'vmap', 'unroll')


@dataclasses.dataclass
class MAMLConfig:
  """Few-shot meta-learning of an initialisation with MAML or BMG.

  Attributes:
    method: 'maml' (second-order MG), 'fomaml' (first-order MG, Finn et al.
      2017), 'anil' (MG with a head-only inner loop, Raghu et al. 2020) or
      'bmg' (Alg. 7).
    ways: N, classes per task (5).
    shots: M, support examples per class (5).
    queries: query (task validation) examples per class (5, App. D.2).
    K: inner SGD steps on the support set during meta-training.
    L: BMG bootstrap: L - 1 further SGD steps on the query set, then a final
      gradient step on it (BMG only).
    matching: BMG's μ: 'kl' is KL(target ‖ ·), 'reverse_kl' KL(· ‖ target).
    temperature: divides the target's logits in μ (> 1 softens the target).
    inner_learning_rate: α of the inner SGD steps and of the target's final
      step (0.01, as MAML on MiniImagenet).
    meta_learning_rate: β of the Adam meta-optimiser ({1e-3, 1e-4}).
    meta_batch_size: tasks per meta-gradient (4, as MAML on MiniImagenet).
    test_adaptation_steps: SGD steps on the support set at meta-test (10).
    channels: width of the conv4 network (32).
    num_layers: conv blocks of the network (4).
    task_map: how the meta-batch is computed inside the jitted step: 'map'
      (lax.map, one task after another), 'vmap' (per-task weights become
      batched matmuls) or 'unroll' (a Python loop); see
      benchmarks/maml_speed.py.
  """
  method: str = 'bmg'
  ways: int = 5
  shots: int = 5
  queries: int = 5
  K: int = 5
  L: int = 10
  matching: str = 'kl'
  temperature: float = 1.
  inner_learning_rate: float = 0.01
  meta_learning_rate: float = 1e-3
  meta_batch_size: int = 4
  test_adaptation_steps: int = 10
  channels: int = 32
  num_layers: int = 4
  task_map: str = 'map'

  def __post_init__(self):
    config_lib.check_choice('method', self.method, METHODS)
    for name in ('ways', 'shots', 'queries', 'K', 'L', 'meta_batch_size',
                 'channels', 'num_layers'):
      config_lib.check_int(name, getattr(self, name), 1)
    if self.ways < 2:
      raise ValueError(f'ways must be >= 2, got {self.ways}.')
    config_lib.check_int('test_adaptation_steps', self.test_adaptation_steps,
                         0)
    config_lib.check_choice('matching', self.matching, MATCHINGS)
    config_lib.check_range('temperature', self.temperature, 0.,
                           low_inclusive=False)
    config_lib.check_range('inner_learning_rate', self.inner_learning_rate,
                           0., low_inclusive=False)
    config_lib.check_range('meta_learning_rate', self.meta_learning_rate,
                           0., low_inclusive=False)
    config_lib.check_choice('task_map', self.task_map, TASK_MAPS)
