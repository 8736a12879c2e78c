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

"""Configuration of the Q(λ) agent with BMG-meta-learned ε-greedy."""

import dataclasses
from typing import Tuple

from bmg_agents.core import config as core_config

AGENTS = ('fixed', 'bmg')
MATCHINGS = ('policy', 'value', 'both')


@dataclasses.dataclass
class QLambdaConfig:
  """Hyper-parameters of Peng's Q(λ) with meta-learned ε (paper Table 1).

  Attributes:
    agent: 'fixed' acts with the constant `epsilon`; 'bmg' meta-learns ε with
      BMG (App. B.3).
    epsilon: ε of the fixed-ε baseline (unused by 'bmg').
    discount: γ.
    lambda_: Peng's Q(λ) mixing parameter λ.
    trace_length: n, the length of the truncated λ-return window. The update
      at step t is for the transition n-1 steps back, so that its λ-return
      sees n rewards; the truncation error is at most (γλ)^n relative.
    hidden_sizes: Q-network MLP hidden layers (ReLU).
    learning_rate: Adam learning rate of the Q-network.
    adam_eps: Adam ε of the Q-network optimiser.
    adam_b1: Adam β1 (both optimisers).
    adam_b2: Adam β2 (both optimisers).
    grad_ema: decay of the exponential moving average of the Q-network
      gradient that Adam receives.
    L: bootstrap length; the target x̃ is the Q-network L updates later
      (K = 0: the meta-update never differentiates through an update).
    matching: 'policy' is KL(π_x̃ ‖ π_x), 'value' is (u_x̃ − u_x)², 'both' is
      their weighted sum.
    policy_matching_weight: weight of the policy matching term in 'both'.
    value_matching_weight: weight of the 'value' matching term in 'both'.
    reward_history: number of most recent rewards the ε-network ingests.
    meta_hidden_size: width of the ε-network's single hidden layer (ReLU);
      its output goes through a sigmoid.
    meta_learning_rate: Adam learning rate of the ε-network.
    meta_adam_eps: Adam ε of the ε-network optimiser.
    meta_grad_ema: decay of the EMA of the meta-gradient.
  """
  agent: str = 'bmg'
  epsilon: float = 0.1
  # Peng's Q(λ) learner (Table 1).
  discount: float = 0.99
  lambda_: float = 0.7
  trace_length: int = 8
  hidden_sizes: Tuple[int, ...] = (256, 256)
  learning_rate: float = 3e-5
  adam_eps: float = 1e-4
  adam_b1: float = 0.9
  adam_b2: float = 0.999
  grad_ema: float = 0.9
  # BMG ε meta-learner (Table 1, App. B.3).
  L: int = 16
  matching: str = 'policy'
  policy_matching_weight: float = 1.0
  value_matching_weight: float = 1.0
  reward_history: int = 50
  meta_hidden_size: int = 32
  meta_learning_rate: float = 1e-4
  meta_adam_eps: float = 1e-4
  meta_grad_ema: float = 0.9

  def __post_init__(self):
    core_config.check_choice('agent', self.agent, AGENTS)
    core_config.check_choice('matching', self.matching, MATCHINGS)
    for name in ('epsilon', 'discount', 'lambda_'):
      core_config.check_range(name, getattr(self, name), 0., 1.)
    for name in ('trace_length', 'L', 'reward_history', 'meta_hidden_size'):
      core_config.check_int(name, getattr(self, name), 1)
    if (not isinstance(self.hidden_sizes, (tuple, list)) or
        not self.hidden_sizes):
      raise ValueError('hidden_sizes must be a non-empty tuple of layer '
                       f'widths, got {self.hidden_sizes!r}.')
    for size in self.hidden_sizes:
      core_config.check_int('hidden_sizes', size, 1)
    for name in ('learning_rate', 'adam_eps', 'meta_learning_rate',
                 'meta_adam_eps'):
      core_config.check_range(name, getattr(self, name), 0.,
                              low_inclusive=False)
    for name in ('adam_b1', 'adam_b2', 'grad_ema', 'meta_grad_ema'):
      core_config.check_range(name, getattr(self, name), 0., 1.,
                              high_inclusive=False)
    for name in ('policy_matching_weight', 'value_matching_weight'):
      core_config.check_range(name, getattr(self, name), 0.)
