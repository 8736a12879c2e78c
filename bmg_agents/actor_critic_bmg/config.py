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

# 'none' is the fixed-entropy baseline (core knows only 'bmg' and 'mg').
META_OBJECTIVES = ('bmg', 'mg', 'none')
# This agent matches policies (its critic does not depend on w) or the policy
# parameters; the value matching of `core.matching` has no gradient here.
MATCHINGS = (core_matching.KL, core_matching.REVERSE_KL,
             core_matching.SYMMETRIC_KL, core_matching.L2)


@dataclasses.dataclass
class ActorCriticBMGConfig(core_config.MetaGradientConfig):
  """Hyper-parameters; defaults follow Table 1 and App. B.2, except where a
  sweep on two-colours chose (docs/actor_critic_bmg.md, "Choosing the
  defaults"): learning_rate 0.01 (Table 1's 0.1 lost 13 of 15 seeds in 2M
  steps, 0.03 lost 4 of 10 fixed-weight seeds to NaN in 5M steps, 0.01 none),
  initial_entropy 0.05 (the best fixed weight; from 0.5 neither meta-learner
  earned a positive total in 2M steps), matching_reduction 'sum' and
  target_learning_rate 1.0 (choices the paper leaves open; the best of
  {mean, sum} x {0.1, 1.0} for BMG).

  Attributes:
    meta_objective: 'bmg' (bootstrapped meta-gradients, Alg. 3), 'mg'
      (meta-gradients, Eq. 1) or 'none' (the constant entropy weight
      `entropy`, no meta-learning).
    K: number of differentiable agent updates per meta-update.
    L: target bootstrap length (BMG); the first L - 1 target steps are the
      agent's own next updates, so one meta-update every K + L - 1 updates.
    matching: BMG matching function mu, a `core.matching` spec over 'kl' =
      KL(pi_target || pi_x(K)) (the paper's), 'reverse_kl', 'symmetric_kl'
      and 'l2' = squared distance of the policy parameters (Eq. 3), or a
      weighted sum of them such as 'kl+0.1*l2'.
    temperature: temperature on the target policy in KL matching.
    matching_reduction: how mu's per-state KL terms over tau_T's states are
      reduced: 'sum' (rollout_length times the mean's meta-gradient, which
      Adam's eps no longer swamps) or 'mean'.
    final_step: final target step: 'objective' (policy gradient with entropy
      weight meta_entropy) or 'meta' (the meta-learned rule, an ablation).
    rollout_length: N, environment steps per agent update (Alg. 1).
    discount: gamma of the n-step return (times the environment's discount).
    learning_rate: SGD step size of the agent (policy and critic); Table 1:
      0.1.
    pg_weight: epsilon_PG in Eq. 4.
    td_weight: epsilon_TD in Eq. 4.
    policy_hidden: hidden layer sizes of the policy MLP.
    critic_hidden: hidden layer sizes of the critic MLP.
    entropy: the constant entropy weight when meta_objective is 'none'.
    meta_hidden: hidden layer sizes of the entropy-weight MLP (sigmoid out).
    reward_history: number of recent rollouts whose average reward feeds the
      meta-learner.
    initial_entropy: the meta-learner's entropy weight at initialisation
      (its output bias is logit(initial_entropy)).
    meta_learning_rate: Adam step size of the meta-learner.
    meta_adam_eps: Adam epsilon of the meta-learner.
    meta_entropy: epsilon_meta: entropy weight in the MG meta-objective and in
      the final step of the BMG target.
    target_learning_rate: step size beta of the final target step (not in
      the paper).
  """
  # Meta-gradients (App. B.2).
  L: int = 7
  matching_reduction: str = 'sum'
  # Inner learner (Table 1).
  rollout_length: int = 16
  discount: float = 0.99
  learning_rate: float = 0.01
  pg_weight: float = 1.0
  td_weight: float = 1.0
  policy_hidden: Tuple[int, ...] = (256, 256)
  critic_hidden: Tuple[int, ...] = (256, 256)
  entropy: float = 0.05
  # Meta-learner (Table 1).
  meta_hidden: Tuple[int, ...] = (32,)
  reward_history: int = 10
  initial_entropy: float = 0.05
  meta_learning_rate: float = 1e-4
  meta_adam_eps: float = 1e-4
  meta_entropy: float = 0.0
  target_learning_rate: float = 1.0

  # The critic does not depend on w: value matching would have no gradient.
  META_OBJECTIVES = META_OBJECTIVES
  MATCHINGS = MATCHINGS

  def __post_init__(self):
    super().__post_init__()  # meta_objective, K, L, matching, ...
    # This agent's fields.
    for name in ('rollout_length', 'reward_history'):
      core_config.check_int(name, getattr(self, name), 1)
    core_config.check_choice('matching_reduction', self.matching_reduction,
                             core_matching.REDUCTIONS)
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
      value = getattr(self, name)
      if isinstance(value, (str, bytes)):
        value = (value,)  # Rejected below, with the field's name.
      try:
        value = tuple(value)
      except TypeError:
        value = (value,)
      for size in value:
        try:
          core_config.check_int(name, size, 1)
        except ValueError:
          raise ValueError(f'{name} must be positive integer layer sizes, '
                           f'got {getattr(self, name)!r}.') from None
      setattr(self, name, value)

  @property
  def window(self) -> int:
    """Agent updates per meta-update: K (MG), K + L - 1 (BMG), 1 (none)."""
    if self.meta_objective == 'bmg':
      return self.K + self.L - 1
    if self.meta_objective == 'mg':
      return self.K
    return 1
