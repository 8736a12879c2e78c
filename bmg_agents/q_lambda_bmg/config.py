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
    bootstrap_steps: L; the target x̃ is the Q-network L updates later.
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
  bootstrap_steps: int = 16
  matching: str = 'policy'
  policy_matching_weight: float = 1.0
  value_matching_weight: float = 1.0
  reward_history: int = 50
  meta_hidden_size: int = 32
  meta_learning_rate: float = 1e-4
  meta_adam_eps: float = 1e-4
  meta_grad_ema: float = 0.9

  def __post_init__(self):
    if self.agent not in AGENTS:
      raise ValueError(f'agent must be one of {AGENTS}, got {self.agent!r}.')
    if self.matching not in MATCHINGS:
      raise ValueError(
          f'matching must be one of {MATCHINGS}, got {self.matching!r}.')
    if not 0.0 <= self.epsilon <= 1.0:
      raise ValueError(f'epsilon must be in [0, 1], got {self.epsilon}.')
    if not 0.0 <= self.discount <= 1.0:
      raise ValueError(f'discount must be in [0, 1], got {self.discount}.')
    if not 0.0 <= self.lambda_ <= 1.0:
      raise ValueError(f'lambda_ must be in [0, 1], got {self.lambda_}.')
    for name in ('trace_length', 'bootstrap_steps', 'reward_history',
                 'meta_hidden_size'):
      if getattr(self, name) < 1:
        raise ValueError(
            f'{name} must be a positive integer, got {getattr(self, name)}.')
    if not self.hidden_sizes or min(self.hidden_sizes) < 1:
      raise ValueError('hidden_sizes must be a non-empty tuple of positive '
                       f'layer widths, got {self.hidden_sizes}.')
    for name in ('learning_rate', 'adam_eps', 'meta_learning_rate',
                 'meta_adam_eps'):
      if getattr(self, name) <= 0:
        raise ValueError(f'{name} must be > 0, got {getattr(self, name)}.')
    for name in ('adam_b1', 'adam_b2', 'grad_ema', 'meta_grad_ema'):
      if not 0.0 <= getattr(self, name) < 1.0:
        raise ValueError(
            f'{name} must be in [0, 1), got {getattr(self, name)}.')
    for name in ('policy_matching_weight', 'value_matching_weight'):
      if getattr(self, name) < 0:
        raise ValueError(f'{name} must be >= 0, got {getattr(self, name)}.')
