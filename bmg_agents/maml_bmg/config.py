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

from bmg_agents.core import config as core_config
from bmg_agents.core import matching as matching_lib

METHODS = ('maml', 'fomaml', 'anil', 'bmg')
# `method` -> the meta-objective it optimises (core vocabulary).
META_OBJECTIVES = {'maml': 'mg', 'fomaml': 'mg', 'anil': 'mg', 'bmg': 'bmg'}
# The classifier's outputs are logits: only policy-space matchings apply
# (sums of these too, e.g. 'kl+0.5*reverse_kl'; aliases 'kl_s', 'kl_1',
# 'kl_2'). 'value' has no value head to match; 'l2' (parameter space, Eq. 3)
# is not part of the paper's few-shot experiments.
MATCHINGS = (matching_lib.KL, matching_lib.REVERSE_KL,
             matching_lib.SYMMETRIC_KL)
TASK_MAPS = ('map', 'vmap', 'unroll')


@dataclasses.dataclass
class MAMLConfig(core_config.MetaGradientConfig):
  """Few-shot meta-learning of an initialisation with MAML or BMG.

  The meta-gradient settings are those of `core.MetaGradientConfig`, which
  this subclasses. `method` is the user-facing choice; `meta_objective` is
  derived from it (not an argument), so the two cannot disagree.

  Attributes:
    meta_objective: derived, read-only: 'bmg' for method 'bmg', else 'mg'.
    K: inner SGD steps on the support set during meta-training (5).
    L: BMG bootstrap: L - 1 further SGD steps on the query set, then a final
      step on it (10; BMG only).
    matching: BMG's μ, a `core.matching` spec over the classifier's logits:
      'kl' is KL(target ‖ ·), 'reverse_kl' KL(· ‖ target), 'symmetric_kl'
      their mean, or a weighted sum of these.
    temperature: divides the target's logits in μ (> 1 softens the target).
    final_step: the target's last step: 'objective' (an SGD step with α on
      the query cross-entropy) or 'meta' (under the inner update rule). In
      MAML-BMG the inner rule is that same SGD step, so the two coincide.
    method: 'maml' (second-order MG), 'fomaml' (first-order MG, Finn et al.
      2017), 'anil' (MG with a head-only inner loop, Raghu et al. 2020; the
      head is the module the networks name, `MAMLNetworks.head`) or 'bmg'
      (Alg. 7).
    ways: N, classes per task (5).
    shots: M, support examples per class (5).
    queries: query (task validation) examples per class (5, App. D.2).
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
  # Meta-gradient (core.MetaGradientConfig), with MAML-BMG's defaults.
  meta_objective: str = dataclasses.field(init=False, default='bmg')
  K: int = 5
  L: int = 10
  # Method.
  method: str = 'bmg'
  # Tasks.
  ways: int = 5
  shots: int = 5
  queries: int = 5
  # Optimisation.
  inner_learning_rate: float = 0.01
  meta_learning_rate: float = 1e-3
  meta_batch_size: int = 4
  test_adaptation_steps: int = 10
  # Network.
  channels: int = 32
  num_layers: int = 4
  # Implementation.
  task_map: str = 'map'

  MATCHINGS = MATCHINGS  # The classifier's logits only.

  def __post_init__(self):
    core_config.check_choice('method', self.method, METHODS)
    self.meta_objective = META_OBJECTIVES[self.method]
    super().__post_init__()  # K, L, matching, temperature, final_step.
    for name in ('ways', 'shots', 'queries', 'meta_batch_size', 'channels',
                 'num_layers'):
      core_config.check_int(name, getattr(self, name), 1)
    if self.ways < 2:
      raise ValueError(f'ways must be >= 2, got {self.ways}.')
    core_config.check_int('test_adaptation_steps',
                          self.test_adaptation_steps, 0)
    core_config.check_range('inner_learning_rate', self.inner_learning_rate,
                            0., low_inclusive=False)
    core_config.check_range('meta_learning_rate', self.meta_learning_rate,
                            0., low_inclusive=False)
    core_config.check_choice('task_map', self.task_map, TASK_MAPS)
