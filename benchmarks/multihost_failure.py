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

"""Kills one learner host of a running 2-host program: does it stop, fast?

Each run starts the STACX launcher with 2 learner hosts x 2 CPU devices and
2 actors on MinAtar (`tests/impala_bmg_multihost_test.py`'s tiny program),
waits until host 0 has logged two updates (both hosts are in their update
loop, host 0 soon blocked in a collective with host 1), SIGKILLs a learner
host's process and measures the time until the launcher exits. Printed per
run: the exit code (the goal: non-zero) and the seconds (the goal: < 60).
One such run is `tests/impala_bmg_multihost_test.py`'s
`test_killing_a_learner_host_stops_the_program_within_60_s`; this repeats it.

With --per_host, the per-host start (docs/multihost.md): each host's
command in its own session, and killing a host kills that session (its
machine dying); the time is until the other host's command exits.

  python benchmarks/multihost_failure.py --runs=1 --host=1 [--per_host]
"""

import pathlib
import tempfile

from absl import app
from absl import flags

from tests import impala_bmg_multihost_test as multihost_test

_RUNS = flags.DEFINE_integer('runs', 1, 'Runs.', lower_bound=1)
_HOST = flags.DEFINE_integer('host', 1, 'The learner host to kill.',
                             lower_bound=0, upper_bound=1)
_PER_HOST = flags.DEFINE_boolean('per_host', False, 'The per-host start.')
_LIMIT_SECS = multihost_test.STOP_SECS


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {" ".join(argv[1:])}')
  ok = 0
  for i in range(_RUNS.value):
    with tempfile.TemporaryDirectory() as directory:
      code, secs, _ = multihost_test.kill_learner_host(
          pathlib.Path(directory), _HOST.value, _PER_HOST.value)
    passed = code not in (0, None) and secs < _LIMIT_SECS
    ok += passed
    waited = (f'host {1 - _HOST.value}\'s command' if _PER_HOST.value else
              'launcher')
    print(f'run {i}: killed learner/{_HOST.value}; {waited} exit code '
          f'{code} after {secs:.1f} s ({"ok" if passed else "FAILED"})',
          flush=True)
  print(f'{ok} of {_RUNS.value} runs exited non-zero within '
        f'{_LIMIT_SECS:.0f} s')


if __name__ == '__main__':
  app.run(main)
