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

"""BUILD names every source and test, and its tests run pytest."""

import glob
import os
import re
import subprocess
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _targets(kind):
  with open(os.path.join(_ROOT, 'BUILD')) as f:
    text = f.read()
  return {m.group(1): m.group(2) for m in re.finditer(
      kind + r'\(\n    name = "(\w+)",(.*?)\n\)', text, re.S)}


def _files(body):
  return set(re.findall(r'"((?:bmg_agents|tests|launchers|benchmarks)/'
                        r'[\w/]+\.py)"', body))


def test_every_source_is_in_a_library_and_every_named_file_exists():
  listed = set()
  for kind in ('py_library', 'py_test', 'py_binary'):
    for body in _targets(kind).values():
      listed |= _files(body)
  for path in listed:
    assert os.path.isfile(os.path.join(_ROOT, path)), path
  in_libraries = set().union(*map(_files, _targets('py_library').values()))
  sources = {os.path.relpath(p, _ROOT) for p in glob.glob(
      os.path.join(_ROOT, 'bmg_agents', '**', '*.py'), recursive=True)}
  assert sources <= in_libraries, sorted(sources - in_libraries)


def test_every_test_file_is_a_py_test_that_runs_pytest():
  tests = _targets('py_test')
  for path in glob.glob(os.path.join(_ROOT, 'tests', '*_test.py')):
    name = os.path.basename(path)[:-3]
    assert name in tests, name
    assert 'main = "tests/pytest_main.py"' in tests[name], name
    assert f'$(location tests/{name}.py)' in tests[name], name


def test_pytest_main_runs_the_tests_of_a_file():
  result = subprocess.run(
      [sys.executable, os.path.join(_ROOT, 'tests', 'pytest_main.py'),
       os.path.join(_ROOT, 'tests', 'core_config_test.py'), '-k',
       'check_range', '-p', 'no:cacheprovider'],
      capture_output=True, text=True, timeout=120, check=False,
      env=dict(os.environ, PYTHONPATH=_ROOT))
  assert result.returncode == 0, result.stdout[-2000:]
  assert re.search(r'\b[1-9]\d* passed', result.stdout), result.stdout
