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

"""STACX-BMG configuration with the defaults of Table 2 (App. C)."""

import dataclasses
from typing import Tuple

from bmg_agents.core import config as core_config

META_OBJECTIVES = ('mg', 'bmg', 'none')
TARGET_OPTIMIZERS = ('rmsprop', 'sgd')

# 1x / 2x / 4x channel widths of App. C.4; Table 2's network is 4x.
TORSO_WIDTHS = {
    1: (16, 32, 32, 16),
    2: (32, 64, 64, 32),
    4: (64, 128, 128, 64),
}

# The agents of the paper's STACX comparison (Fig. 4, App. C.4) as config
# overrides: STACX (MG, K = 1) and BMG with KL & V matching at L = 1 and 4.
AGENT_VARIANTS = {
    'stacx': dict(meta_objective='mg'),
    'bmg_kl_v_L1': dict(meta_objective='bmg', matching='kl_v', L=1),
    'bmg_kl_v_L4': dict(meta_objective='bmg', matching='kl_v', L=4,
                        max_gradient_norm=.2),
}


def _int_tuple(name, value, allow_empty: bool) -> Tuple[int, ...]:
  """`value` as a tuple of positive ints; ValueError naming `name`."""
  if isinstance(value, (str, bytes)) or not hasattr(value, '__iter__'):
    raise ValueError(f'{name} must be a sequence of integers >= 1, '
                     f'got {value!r}.')
  value = tuple(value)
  if not value and not allow_empty:
    raise ValueError(f'{name} must not be empty.')
  for i, size in enumerate(value):
    core_config.check_int(f'{name}[{i}]', size, 1)
  return value


def run_defaults(suite: str, num_steps: int, online_batch_size: int,
                 unroll_length: int) -> dict:
  """The fields a launcher sets for a run unless given: the torso of the
  suite (Table 2's 4x on Atari, 1x on MinAtar) and a learning-rate decay
  over the run's learner updates."""
  return dict(torso_channels=TORSO_WIDTHS[4 if suite == 'atari' else 1],
              learning_rate_decay_steps=max(
                  1, num_steps // max(1, online_batch_size * unroll_length)))


@dataclasses.dataclass
class STACXConfig(core_config.MetaGradientConfig):
  """Configuration of the STACX / STACX-BMG agent (paper §5.2, App. C).

  The meta-gradient fields (`meta_objective`, `K`, `L`, `matching`,
  `temperature`, `final_step`) are those of `core.MetaGradientConfig`, with
  STACX's defaults and one more objective, 'none'.

  Attributes:
    meta_objective: 'mg' (STACX), 'bmg', or 'none' (IMPALA with the auxiliary
      heads and fixed p; no meta-learning).
    K: differentiable agent updates per meta-update: K - 1 on replay-only
      batches, the last on τ.
    L: the BMG target bootstrap length: L - 1 steps under the meta-learned
      losses (each on its own replay-only batch), then the final step.
    matching: BMG matching function μ, a `core.matching` spec (see
      `core.matching.parse`): e.g. 'kl' = KL(π_target ‖ π), 'kl_s' symmetric
      KL, 'v' value matching, 'kl_v' KL + 0.25 V (Table 2), 'l2' squared
      Euclidean distance between target and main-task parameters, or a
      weighted sum such as 'kl+0.5*value'. Policies and values are those of
      the main head, on τ.
    temperature: temperature on the target policy in KL matching.
    final_step: 'objective' takes the target's last step on the IMPALA
      objective f_τ(·; p) with `target_optimizer`; 'meta' under the
      meta-learned losses (the ablation of App. C.3).
    torso_channels: channels of the 4 IMPALA ResNet stages (Table 2: 4x).
    num_residual_blocks: residual blocks per stage.
    torso_output_size: conv-to-linear feature size (for vector observations,
      the width of the MLP torso's one hidden layer).
    head_hidden_sizes: hidden layers of every policy and value MLP head.
    im2col: the torso's convolutions and max-pools in `core.layers`' matmul
      form rather than XLA's; the same function and parameters. On CPU at
      MinAtar's sizes the XLA form is faster (the fused step 1.2x;
      benchmarks/stacx_fused_speed.py --convs), unlike MAML-BMG's conv4.
    num_auxiliary_heads: STACX auxiliary tasks (main head excluded).
    unroll_length: transitions per trajectory (sequences hold one more step).
    online_batch_size: trajectories per update fresh from the actors' queue.
    replay_batch_size: trajectories per update sampled uniformly from replay.
    replay_size: capacity of the uniform replay table, in trajectories.
    max_queue_size: capacity of the online queue, in trajectories.
    laser_kl_threshold: replayed time steps whose KL(behaviour ‖ current
      main policy) exceeds this are masked out of the losses (LASER).
    learning_rate: initial RMSProp learning rate, decayed linearly to 0 over
      `learning_rate_decay_steps` learner updates.
    learning_rate_decay_steps: learner updates of the linear decay.
    rmsprop_decay: RMSProp second-moment decay.
    rmsprop_eps: RMSProp epsilon (inside the square root).
    max_gradient_norm: global-norm clip of the agent update.
    max_entropy_fraction: the entropy term rewards entropy only up to this
      fraction of its maximum log|A| (Table 2, "max entropy loss value").
    discount, lambda_, alpha, rho_bar: fixed IMPALA hyper-parameters p.
    pg_cost, entropy_cost, td_cost: fixed loss weights of p (ε_PG, ε_EN, ε_TD).
    target_optimizer: the final bootstrap step: 'rmsprop' (the agent's
      optimiser and state) or 'sgd' with step `sgd_target_step`.
    sgd_target_step: SGD step size of the target; ½ makes (sgd, l2) ≡ MG.
    meta_learning_rate, meta_b1, meta_b2, meta_eps, meta_max_gradient_norm:
      Adam meta-optimiser (Table 2, "Meta-Optimisation").
    meta_grad_variance_every: every this many learner steps, also compute
      the meta-gradient of each trajectory of τ on its own and log their
      per-batch variance and norm-to-variance ratio (Table 3); 0 = never
      (no extra cost). Costs about B extra meta-gradients on those steps.
  """
  # Meta-learning (core.MetaGradientConfig's fields, STACX defaults).
  matching: str = 'kl_v'
  # Network.
  torso_channels: Tuple[int, ...] = TORSO_WIDTHS[4]
  num_residual_blocks: int = 2
  torso_output_size: int = 512
  head_hidden_sizes: Tuple[int, ...] = (256, 256)
  im2col: bool = False
  num_auxiliary_heads: int = 2
  # Data.
  unroll_length: int = 20
  online_batch_size: int = 6
  replay_batch_size: int = 12
  replay_size: int = 10_000
  max_queue_size: int = 1_000
  laser_kl_threshold: float = 2.
  # Agent optimiser (RMSProp).
  learning_rate: float = 1e-4
  learning_rate_decay_steps: int = 200_000_000 // (20 * 6 * 4)
  rmsprop_decay: float = .99
  rmsprop_eps: float = 1e-4
  max_gradient_norm: float = .3
  max_entropy_fraction: float = .9
  # Fixed IMPALA hyper-parameters p (also the meta-parameters' initial values).
  discount: float = .995
  lambda_: float = 1.
  alpha: float = 1.
  rho_bar: float = 1.
  pg_cost: float = 1.
  entropy_cost: float = .01
  td_cost: float = .25
  # Target and meta-optimiser.
  target_optimizer: str = 'rmsprop'
  sgd_target_step: float = .5
  meta_learning_rate: float = 1e-3
  meta_b1: float = .9
  meta_b2: float = .999
  meta_eps: float = 1e-4
  meta_max_gradient_norm: float = .3
  # Diagnostics.
  meta_grad_variance_every: int = 0

  @property
  def batch_size(self) -> int:
    return self.online_batch_size + self.replay_batch_size

  @property
  def sequence_length(self) -> int:
    return self.unroll_length + 1

  @property
  def num_extra_replay_batches(self) -> int:
    """Replay-only batches per update: K - 1 inner plus L - 1 target steps."""
    extra = self.K - 1
    if self.meta_objective == 'bmg':
      extra += self.L - 1
    return extra

  META_OBJECTIVES = META_OBJECTIVES

  def __post_init__(self):
    super().__post_init__()  # meta_objective, K, L, matching, ...
    check_int, check_range = core_config.check_int, core_config.check_range
    core_config.check_choice('target_optimizer', self.target_optimizer,
                             TARGET_OPTIMIZERS)
    core_config.check_choice('im2col', self.im2col, (True, False))
    self.torso_channels = _int_tuple('torso_channels', self.torso_channels,
                                     allow_empty=False)
    self.head_hidden_sizes = _int_tuple(
        'head_hidden_sizes', self.head_hidden_sizes, allow_empty=True)
    for name in ('torso_output_size', 'unroll_length', 'online_batch_size',
                 'replay_size', 'max_queue_size',
                 'learning_rate_decay_steps'):
      check_int(name, getattr(self, name), 1)
    for name in ('num_residual_blocks', 'num_auxiliary_heads',
                 'replay_batch_size', 'meta_grad_variance_every'):
      check_int(name, getattr(self, name), 0)
    for name in ('discount', 'lambda_', 'alpha'):
      check_range(name, getattr(self, name), 0., 1.)
    for name in ('pg_cost', 'entropy_cost', 'td_cost'):
      check_range(name, getattr(self, name), 0.)
    for name in ('learning_rate', 'rmsprop_eps', 'max_gradient_norm',
                 'rho_bar', 'laser_kl_threshold', 'sgd_target_step',
                 'meta_learning_rate', 'meta_eps', 'meta_max_gradient_norm'):
      check_range(name, getattr(self, name), 0., low_inclusive=False)
    for name in ('rmsprop_decay', 'meta_b1', 'meta_b2',
                 'max_entropy_fraction'):
      check_range(name, getattr(self, name), 0., 1., low_inclusive=False)
    if self.num_extra_replay_batches and not self.replay_batch_size:
      raise ValueError('L > 1 (BMG) or K > 1 draw replay-only batches, so '
                       'replay_batch_size must be >= 1.')
    if self.replay_batch_size > self.replay_size:
      raise ValueError('replay_batch_size must be <= replay_size, got '
                       f'{self.replay_batch_size} > {self.replay_size}.')
    if self.online_batch_size > self.max_queue_size:
      raise ValueError('online_batch_size must be <= max_queue_size, got '
                       f'{self.online_batch_size} > {self.max_queue_size}.')
    if self.meta_grad_variance_every:
      if self.meta_objective == 'none':
        raise ValueError("meta_grad_variance_every needs a meta-gradient: "
                         "use meta_objective 'mg' or 'bmg', or set it to 0.")
      if self.batch_size < 2:
        raise ValueError('meta_grad_variance_every needs >= 2 trajectories '
                         'per update (online_batch_size + replay_batch_size) '
                         f'to estimate a variance, got {self.batch_size}.')
