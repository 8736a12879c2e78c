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

"""The steps limiter stops the program as soon as the budget is reached."""

import pytest

from bmg_agents import launching


class _Stopped(Exception):
  pass


class _Counter:
  """Actor steps grow by 30 per read: 0, 30, 60, ..."""

  def __init__(self):
    self.reads = 0

  def get_counts(self):
    self.reads += 1
    return {'actor_steps': 30 * (self.reads - 1)}


@pytest.mark.parametrize('budget, reads', [(90, 4), (91, 5), (0, 1)])
def test_steps_limiter_stops_at_the_first_read_reaching_the_budget(
    monkeypatch, budget, reads):
  sleeps = []
  monkeypatch.setattr(launching.time, 'sleep', sleeps.append)

  def stop():
    raise _Stopped()
  monkeypatch.setattr(launching.lp, 'stop', stop)
  counter = _Counter()
  with pytest.raises(_Stopped):
    launching.StepsLimiter(counter, budget).run()
  assert counter.reads == reads  # 90 stops at 90 (>=), not at 120.
  assert sleeps == [.5] * (reads - 1)  # Polls every 0.5 s, not 10 s.


def test_layout_uses_the_fast_limiter():
  layout = launching.DistributedLayout.__new__(launching.DistributedLayout)
  limiter = layout.coordinator(_Counter(), 10)
  assert isinstance(limiter, launching.StepsLimiter)
