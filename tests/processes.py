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

"""Test helper: JAX processes run side by side (e.g. learner hosts)."""

import os
import pickle
import subprocess
import sys
import textwrap
from typing import Any, Dict, List, Sequence

import portpicker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env() -> Dict[str, str]:
  """The environment of a test's child process: this checkout, CPU JAX."""
  return dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='2',
              JAX_PLATFORMS='cpu')


def start(command: Sequence[str]) -> subprocess.Popen:
  """`command` in the background, stdout and stderr in one text pipe."""
  return subprocess.Popen(list(command), env=env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def run_together(commands: Sequence[Sequence[str]], timeout: float
                 ) -> List[str]:
  """Runs `commands` at once; asserts each exits 0 within `timeout` s (the
  survivors are killed otherwise); returns their outputs."""
  processes = [start(c) for c in commands]
  try:
    logs = [p.communicate(timeout=timeout)[0] for p in processes]
  finally:
    for p in processes:
      if p.poll() is None:
        p.kill()
  for p, log in zip(processes, logs):
    assert p.returncode == 0, log[-3000:]
  return logs


# The start of a script `two_hosts_and_reference` runs: its argv is the
# mode ('host' or 'reference'), the output path and, for a host, its id and
# the coordinator's port. A host joins 2 learner hosts x 2 CPU devices; the
# reference forces 4 devices in one process. The script then writes what
# it computed to `out` (pickle).
PREAMBLE = textwrap.dedent("""
    import pickle, sys
    mode, out = sys.argv[1], sys.argv[2]
    from bmg_agents import anakin
    from bmg_agents.experiments import multihost
    if mode == 'host':
      hosts = multihost.LearnerHosts(2, '127.0.0.1:' + sys.argv[4], 2)
      multihost.initialize(hosts, int(sys.argv[3]))
    else:
      anakin.force_host_devices(4)
""")


def two_hosts_and_reference(script: str, directory, timeout: float
                            ) -> List[Any]:
  """Runs PREAMBLE + `script` as host 0, host 1 and the reference at once;
  returns what each wrote (host 0's, host 1's, the reference's)."""
  port = str(portpicker.pick_unused_port())
  outs = [os.path.join(directory, f'{name}.pkl')
          for name in ('host0', 'host1', 'reference')]
  code = PREAMBLE + script
  run_together([[sys.executable, '-c', code, 'host', outs[0], '0', port],
                [sys.executable, '-c', code, 'host', outs[1], '1', port],
                [sys.executable, '-c', code, 'reference', outs[2]]], timeout)
  results = []
  for out in outs:
    with open(out, 'rb') as f:
      results.append(pickle.load(f))
  return results
