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

"""Configuration of the two-colours actor-critic with a meta-learned entropy."""

import dataclasses
from typing import Tuple

from bmg_agents.core import config as core_config
from bmg_agents.core import matching as core_matching

AGENTS = ('fixed', 'mg', 'bmg')


@dataclasses.dataclass
class ActorCriticBMGConfig:
  """Hyper-parameters; defaults follow Table 1 and App. B.2.

  Attributes:
    agent: 'fixed' (constant entropy weight), 'mg' (meta-gradients, Eq. 1) or
      'bmg' (bootstrapped meta-gradients, Alg. 3).
    rollout_length: N, environment steps per agent update (Alg. 1).
    discount: gamma of the n-step return.
    learning_rate: SGD step size of the agent (policy and critic).
    pg_weight: epsilon_PG in Eq. 4.
    td_weight: epsilon_TD in Eq. 4.
    policy_hidden: hidden layer sizes of the policy MLP.
    critic_hidden: hidden layer sizes of the critic MLP.
    entropy: the constant entropy weight of the 'fixed' agent.
    meta_hidden: hidden layer sizes of the entropy-weight MLP (sigmoid out).
    reward_history: number of recent rollouts whose average reward feeds the
      meta-learner.
    initial_entropy: the meta-learner's entropy weight at initialisation
      (its output bias is logit(initial_entropy); 0.5 = a zero bias).
    meta_learning_rate: Adam step size of the meta-learner.
    meta_adam_eps: Adam epsilon of the meta-learner.
    K: number of differentiable agent updates per meta-update.
    L: target bootstrap length (BMG); the first L - 1 target steps are the
      agent's own next updates, so one meta-update every K + L - 1 updates.
    meta_entropy: epsilon_meta: entropy weight in the MG meta-objective and in
      the final step of the BMG target.
    matching: BMG matching function mu (`core.matching.parse`): 'kl' =
      KL(pi_target || pi_x(K)) (the paper's), 'reverse_kl', 'symmetric_kl',
      or 'l2' = squared distance of the policy parameters (Eq. 3).
    final_step: final target step: 'objective' (policy gradient with entropy
      weight meta_entropy) or 'meta' (the meta-learned rule, an ablation).
    target_learning_rate: step size beta of the final target step.
  """
  agent: str = 'bmg'
  # Inner learner (Table 1).
  rollout_length: int = 16
  discount: float = 0.99
  learning_rate: float = 0.1
  pg_weight: float = 1.0
  td_weight: float = 1.0
  policy_hidden: Tuple[int, ...] = (256, 256)
  critic_hidden: Tuple[int, ...] = (256, 256)
  entropy: float = 0.05
  # Meta-learner (Table 1).
  meta_hidden: Tuple[int, ...] = (32,)
  reward_history: int = 10
  initial_entropy: float = 0.5
  meta_learning_rate: float = 1e-4
  meta_adam_eps: float = 1e-4
  # Meta-gradients (App. B.2).
  K: int = 1
  L: int = 7
  meta_entropy: float = 0.0
  matching: str = 'kl'
  final_step: str = 'objective'
  target_learning_rate: float = 0.1

  def __post_init__(self):
    core_config.check_choice('agent', self.agent, AGENTS)
    core_matching.parse(self.matching, 'matching')
    if self.matching not in ('kl', 'reverse_kl', 'symmetric_kl', 'l2',
                             'kl_1', 'kl_2', 'kl_s'):
      raise ValueError('matching must be a policy KL (kl, reverse_kl, '
                       f'symmetric_kl) or l2 for this agent, got '
                       f'{self.matching!r}.')
    core_config.check_choice('final_step', self.final_step,
                             core_config.FINAL_STEPS)
    for name in ('rollout_length', 'K', 'L', 'reward_history'):
      core_config.check_int(name, getattr(self, name), 1)
    core_config.check_range('discount', self.discount, 0., 1.)
    for name in ('learning_rate', 'meta_learning_rate', 'meta_adam_eps',
                 'target_learning_rate'):
      core_config.check_range(name, getattr(self, name), 0.,
                              low_inclusive=False)
    core_config.check_range('initial_entropy', self.initial_entropy, 0., 1.,
                            low_inclusive=False, high_inclusive=False)
    for name in ('entropy', 'meta_entropy', 'pg_weight', 'td_weight'):
      core_config.check_range(name, getattr(self, name), 0.)
    for name in ('policy_hidden', 'critic_hidden', 'meta_hidden'):
      value = tuple(getattr(self, name))
      if not all(isinstance(h, int) and h >= 1 for h in value):
        raise ValueError(f'{name} must be positive integer layer sizes, got '
                         f'{value!r}.')
      setattr(self, name, value)

  @property
  def window(self) -> int:
    """Agent updates per meta-update: T = K (MG), K + L - 1 (BMG), 1 (fixed)."""
    if self.agent == 'bmg':
      return self.K + self.L - 1
    if self.agent == 'mg':
      return self.K
    return 1
