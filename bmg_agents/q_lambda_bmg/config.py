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
from bmg_agents.core import matching as matching_lib

# 'none' is the fixed-ε baseline. There is no 'mg': see QLambdaConfig.
META_OBJECTIVES = ('bmg', 'none')
# The `core.matching` names a matching spec may combine for this agent.
MATCHINGS = (matching_lib.KL, matching_lib.VALUE)


@dataclasses.dataclass
class QLambdaConfig(core_config.MetaGradientConfig):
  """Hyper-parameters of Peng's Q(λ) with meta-learned ε (paper Table 1).

  Attributes:
    meta_objective: 'bmg' meta-learns ε with BMG (App. B.3); 'none' acts
      with the constant `epsilon` (the fixed-ε baseline). There is no 'mg':
      ε enters only the behaviour policy, never the Q(λ) update, so the
      standard meta-gradient ∇_w f(x(K)(w)) is zero (Section 5.1).
    K: always 0. BMG here does not backpropagate through any update
      (App. B.3): the learner's policy π_x depends on w through ε_w, not
      through x, so x(K)(w) = x. Anything else is a ValueError.
    L: bootstrap length; the target x̃ is the Q-network L updates after
      the one that acted (all L steps are the same Q(λ) update).
    matching: a `core.matching` spec over 'kl' and 'value', e.g. 'kl',
      'value', 'kl+value', 'kl+0.5*value'. 'kl' is the paper's policy
      matching μ_π = KL(π_x̃ ‖ π_x), π_x̃ greedy in q_x̃. 'value' is the
      paper's 'value' matching μ_u = E[(u_x̃(s) − u_x(s; t, w))²], which is
      core's squared-error value matching applied to
      u_x(s) = Σ_a π_x(a|s) q_x(s, a) (u_x̃ = max_a q_x̃ under the greedy
      target); u is not a value function of π_x (App. B.3). 'reverse_kl'
      and 'symmetric_kl' are infinite against a greedy target whenever
      ε > 0 and 'l2' has no w-gradient (K = 0), so they are rejected.
    temperature: divides the target policy's logits in KL matching (> 0);
      the greedy target's logits are 0 or −inf, so it has no effect here.
    final_step: as in `core.MetaGradientConfig`; no effect here, since the
      update rule has no meta-parameters and both choices give the same
      target.
    epsilon: ε of the fixed-ε baseline (unused by 'bmg').
    discount: γ; the learner bootstraps on γ·d_t, d_t = 0 at a terminal.
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
    reward_history: number H of most recent rewards the ε-network ingests.
    meta_hidden_size: width of the ε-network's single hidden layer (ReLU);
      its output goes through a sigmoid.
    meta_learning_rate: Adam learning rate of the ε-network.
    meta_adam_eps: Adam ε of the ε-network optimiser.
    meta_grad_ema: decay of the EMA of the meta-gradient.
  """
  # Meta-gradient settings (core.MetaGradientConfig; App. B.3 defaults).
  K: int = 0
  L: int = 16
  # Fixed-ε baseline.
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
  reward_history: int = 50
  meta_hidden_size: int = 32
  meta_learning_rate: float = 1e-4
  meta_adam_eps: float = 1e-4
  meta_grad_ema: float = 0.9

  META_OBJECTIVES = META_OBJECTIVES
  MIN_K = 0
  # Greedy target and K = 0: reverse/symmetric KL are infinite, l2 has no
  # gradient in w.
  MATCHINGS = MATCHINGS

  def __post_init__(self):
    if self.meta_objective == 'mg':
      raise ValueError(
          "meta_objective='mg' is not available for Q(λ): ε enters only the "
          'behaviour policy, not the Q(λ) update, so the MG meta-gradient is '
          "zero (App. B.3). Use 'bmg' or 'none' (fixed ε).")
    super().__post_init__()  # meta_objective, K, L, matching, ...
    if self.K != 0:
      raise ValueError(
          f'K must be 0 for Q(λ)-BMG, got {self.K!r}: the update does not '
          'depend on w, so there is no update to differentiate through '
          '(App. B.3).')
    for name in ('epsilon', 'discount', 'lambda_'):
      core_config.check_range(name, getattr(self, name), 0., 1.)
    for name in ('trace_length', 'reward_history', 'meta_hidden_size'):
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
