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

"""Validation helpers and the meta-gradient settings shared by all agents.

Agents' config dataclasses call these from `__post_init__` so that a user's
mistake is a `ValueError` naming the field and what is allowed, never a trace
from deep inside JAX.
"""

import dataclasses
import math
import numbers
from typing import Any, ClassVar, Iterable, Mapping, Optional, Tuple, Union

from bmg_agents.core import matching as matching_lib

FINAL_STEPS = ('objective', 'meta')


def check_int(name: str, value: Any, minimum: int = 1) -> None:
  """Raises ValueError unless `value` is an integer >= `minimum`."""
  if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or
      value < minimum):
    raise ValueError(f'{name} must be an integer >= {minimum}, got {value!r}.')


def check_range(name: str, value: Any, low: float = 0., high: float = None,
                low_inclusive: bool = True,
                high_inclusive: bool = True) -> None:
  """Raises ValueError unless `value` is a finite real number in the range."""
  ok = (isinstance(value, numbers.Real) and not isinstance(value, bool) and
        math.isfinite(value))
  if ok:
    ok = (value >= low) if low_inclusive else (value > low)
    if high is not None:
      ok = ok and ((value <= high) if high_inclusive else (value < high))
  if not ok:
    lo = '[' if low_inclusive else '('
    hi = ']' if high_inclusive and high is not None else ')'
    bound = 'inf' if high is None else high
    raise ValueError(f'{name} must be a number in {lo}{low}, {bound}{hi}, '
                     f'got {value!r}.')


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
  """Raises ValueError unless `value` is one of `choices`."""
  choices = tuple(choices)
  if value not in choices:
    raise ValueError(f'{name} must be one of {", ".join(map(str, choices))}; '
                     f'got {value!r}.')


@dataclasses.dataclass
class MetaGradientConfig:
  """How meta-gradients are computed (Section 3; paper defaults).

  Agents' configs subclass it and call `super().__post_init__()`; a subclass
  narrows what it supports with the class variables `META_OBJECTIVES`,
  `MIN_K` and `MATCHINGS` (the canonical matching names it can compute).

  Attributes:
    meta_objective: 'bmg' (Eq. 2) or 'mg' (Eq. 1).
    K: number of differentiable inner updates in x(K)(w) (>= 1; agents whose
      update does not depend on w, e.g. the Q(λ) ε-learner, set their own
      minimum).
    L: bootstrap length: L − 1 steps under the meta-learned rule, then one
      final step (>= 1).
    matching: matching function(s) μ, see `matching.parse` (e.g. 'kl',
      'kl_v', 'l2', 'kl+0.25*value').
    temperature: temperature on the target policy in KL matching (> 0).
    final_step: 'objective' takes the last target step under the fixed
      objective and optimiser; 'meta' under the meta-learned rule (ablation).
  """
  META_OBJECTIVES: ClassVar[Tuple[str, ...]] = ('bmg', 'mg')
  MIN_K: ClassVar[int] = 1
  MATCHINGS: ClassVar[Optional[Tuple[str, ...]]] = None  # None: all.

  meta_objective: str = 'bmg'
  K: int = 1
  L: int = 1
  matching: Union[str, Mapping[str, float]] = 'kl'
  temperature: float = 1.
  final_step: str = 'objective'

  def __post_init__(self):
    check_choice('meta_objective', self.meta_objective, self.META_OBJECTIVES)
    check_int('K', self.K, self.MIN_K)
    check_int('L', self.L, 1)
    weights = matching_lib.parse(self.matching, 'matching')
    if self.MATCHINGS is not None:
      unsupported = sorted(set(weights) - set(self.MATCHINGS))
      if unsupported:
        raise ValueError(
            f'matching: {", ".join(unsupported)} is not available for '
            f'{type(self).__name__}; use {", ".join(self.MATCHINGS)} or a '
            f'weighted sum of them, got {self.matching!r}.')
    check_range('temperature', self.temperature, 0., low_inclusive=False)
    check_choice('final_step', self.final_step, FINAL_STEPS)
