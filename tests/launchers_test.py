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

"""Each launcher writes the CSV columns it promises; a signal stops a run."""

import contextlib
import csv
import os
import re
import signal
import subprocess
import sys
import time

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_META = {'meta_grad_norm', 'meta_grad_cosine'}

# launcher, flags, {CSV under results_dir: columns it must hold}.
_RUNS = {
    'two_colors_fused': (
        'run_two_colors.py',
        ['--meta_objective=mg,bmg', '--num_seeds=1', '--num_steps=1024',
         '--log_every=512', '--flip_period=512', '--policy_hidden=8',
         '--critic_hidden=8', '--meta_hidden=4'],
        {'metrics.csv': _META | {'agent', 'seed', 'step', 'reward',
                                 'entropy_weight', 'meta_loss'}}),
    'q_lambda_single_process': (
        'run_q_lambda.py',
        ['--runner=single_process', '--num_steps=60', '--log_every=20',
         '--hidden_sizes=8', '--meta_hidden_size=4', '--L=2'],
        {'logs/learner/logs.csv': _META | {'epsilon', 'learner_steps'},
         'logs/actor/logs.csv': {'actor_steps', 'reward_rate'}}),
    'maml_single_process': (
        'run_maml.py',
        ['--method=bmg', '--K=1', '--L=2', '--num_steps=2', '--eval_every=1',
         '--val_tasks=2', '--test_tasks=2', '--meta_batch_size=1',
         '--channels=4', '--num_layers=1', '--image_size=16'],
        {'logs/learner/logs.csv': _META | {'meta_loss', 'learner_steps'},
         'logs/evaluator/logs.csv': {'learner_steps', 'test_accuracy',
                                     'test_accuracy_ci95', 'val_accuracy'}}),
}


def _launch(name, tmp_path, *extra):
  launcher, flags, _ = _RUNS[name]
  return subprocess.run(
      [sys.executable, os.path.join(_ROOT, 'launchers', launcher),
       f'--results_dir={tmp_path}', *flags, *extra], capture_output=True,
      text=True, timeout=300, check=False, start_new_session=True,
      env=dict(os.environ, PYTHONPATH=_ROOT, TF_CPP_MIN_LOG_LEVEL='2'))


@pytest.mark.parametrize('name', sorted(_RUNS))
def test_launcher_csv_holds_its_columns(name, tmp_path):
  result = _launch(name, tmp_path)
  assert result.returncode == 0, result.stderr[-3000:]
  for path, columns in _RUNS[name][2].items():
    with open(tmp_path / path, newline='') as f:
      rows = list(csv.DictReader(f))
    assert rows, path
    assert columns <= set(rows[0]), (path, columns - set(rows[0]))
  # The same directory again is refused in one line, before any work.
  again = _launch(name, tmp_path)
  assert again.returncode != 0
  assert 'holds another run' in again.stderr.splitlines()[-1]
  if name.endswith('fused'):  # Resumed when finished: the same results.
    before = (tmp_path / 'metrics.csv').read_text()
    resumed = _launch(name, tmp_path, '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (tmp_path / 'metrics.csv').read_text() == before


def _session_processes(session_id):
  alive = []
  for pid in map(int, filter(str.isdigit, os.listdir('/proc'))):
    try:
      if os.getsid(pid) == session_id:
        alive.append(pid)
    except OSError:
      pass  # Ended meanwhile.
  return alive


def _node_pid(session_id, node):
  """The pid of the Launchpad node `node`/0 of a launcher's session."""
  for pid in _session_processes(session_id):
    try:
      with open(f'/proc/{pid}/cmdline') as f:
        args = f.read().split('\0')
    except OSError:
      continue
    if any(a.endswith('decorate_output') for a in args) and node + '/0' in args:
      for child in open(f'/proc/{pid}/task/{pid}/children').read().split():
        with open(f'/proc/{child}/comm') as f:
          if f.read().strip() != 'sed':
            return int(child)
  raise AssertionError(f'no {node} node')


def test_a_killed_node_stops_the_program_non_zero_within_30_s(tmp_path):
  """kill -9 of the learner: every other node stops, the launcher exits 1
  naming the node; no process of the run is left."""
  launcher, flags, _ = _RUNS['q_lambda_single_process']
  flags = [f for f in flags if not f.startswith(('--num_steps', '--runner'))]
  process = subprocess.Popen(
      [sys.executable, os.path.join(_ROOT, 'launchers', launcher),
       f'--results_dir={tmp_path}', '--num_steps=1000000',
       '--runner=launchpad', *flags],
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
      start_new_session=True,
      env=dict(os.environ, PYTHONPATH=_ROOT, TF_CPP_MIN_LOG_LEVEL='2'))
  logs = [tmp_path / 'logs' / n / 'logs.csv' for n in ('actor', 'learner')]
  try:
    deadline = time.time() + 240
    while not all(p.exists() and p.stat().st_size > 200 for p in logs):
      assert process.poll() is None and time.time() < deadline
      time.sleep(.5)
    os.kill(_node_pid(process.pid, 'learner'), signal.SIGKILL)
    process.wait(timeout=30)
    assert not _session_processes(process.pid)
  finally:
    with contextlib.suppress(ProcessLookupError):
      os.killpg(process.pid, signal.SIGKILL)
  stderr = process.stderr.read()
  assert process.returncode == 1, stderr[-3000:]
  assert 'node learner/0 ended before the program stopped' in stderr
  assert int(_rows(logs[0])[-1]['actor_steps']) < 1_000_000


def _rows(path):
  with open(path, newline='') as f:
    return list(csv.DictReader(f))


# runner: its flags, the budget (the launchpad run must still be acting when
# its first rows are in).
_RESUMED = {'single_process': ([], 1500),
            'launchpad': (['--runner=launchpad', '--num_actors=2'], 2500)}


@pytest.mark.parametrize('runner', sorted(_RESUMED))
def test_a_stopped_run_resumes_to_its_budget(runner, tmp_path):
  launcher, flags, _ = _RUNS['q_lambda_single_process']
  extra, budget = _RESUMED[runner]
  flags = [f for f in flags if not f.startswith('--num_steps')] + extra
  command = [sys.executable, os.path.join(_ROOT, 'launchers', launcher),
             f'--results_dir={tmp_path}', f'--num_steps={budget}', *flags]
  env = dict(os.environ, PYTHONPATH=_ROOT, TF_CPP_MIN_LOG_LEVEL='2')
  process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, env=env,
                             start_new_session=True)
  learner_log = tmp_path / 'logs' / 'learner' / 'logs.csv'
  actor_log = tmp_path / 'logs' / 'actor' / 'logs.csv'
  try:
    deadline = time.time() + 240
    # Both nodes have logged (the learner's first rows can come before the
    # actor's under Launchpad).
    while not all(p.exists() and p.stat().st_size > 200
                  for p in (learner_log, actor_log)):
      assert process.poll() is None and time.time() < deadline
      time.sleep(.2)
    start = time.time()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)  # Stopped within 30 s, every node with it.
    assert not _session_processes(process.pid)
  finally:
    with contextlib.suppress(ProcessLookupError):
      os.killpg(process.pid, signal.SIGKILL)
  stderr = process.stderr.read()
  assert process.returncode == 128 + signal.SIGTERM, stderr[-3000:]
  checkpoint = tmp_path / 'checkpoints' / 'learner' / 'checkpoint'
  # Saved at the stop.
  assert checkpoint.stat().st_mtime >= start, stderr[-8000:]
  stopped_at = int(_rows(actor_log)[-1]['actor_steps'])
  learned = int(_rows(learner_log)[-1]['learner_steps'])
  assert stopped_at < budget
  run = lambda *extra: subprocess.run(
      command + list(extra), capture_output=True, text=True, env=env,
      timeout=240)
  # --resume continues only this run: other flags are refused, named.
  other = run('--resume', '--learning_rate=0.5', '--num_steps=4000')
  assert other.returncode != 0
  last = other.stderr.splitlines()[-1]
  assert '--learning_rate' in last and f'--num_steps ({budget} there' in last
  # The rest of the run, with a busy process beside it: it stops at its
  # budget, every node in time (none killed).
  hog = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
  try:
    resumed = run('--resume')
  finally:
    hog.kill()
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  output = resumed.stdout + resumed.stderr
  assert 'killing' not in output.lower(), output[-3000:]
  final = re.search(r"final counts: .*'actor_steps': (\d+)", resumed.stdout)
  assert final and int(final.group(1)) == budget, resumed.stdout[-2000:]
  learner = [int(r['learner_steps']) for r in _rows(learner_log)]
  # One run's rows: counts continue from the checkpoint, never repeat, and
  # the budget is the first run's.
  assert learner == sorted(set(learner)) and learner[-1] > learned
  # Actor 0 logs the actors' global count (Launchpad: of 2 actors).
  actor = [int(r['actor_steps']) for r in _rows(actor_log)]
  assert actor == sorted(set(actor)) and actor[-1] <= budget
  assert any(stopped_at - 40 <= a <= stopped_at for a in actor)
  if runner == 'single_process':
    assert actor[-1] == budget
  # Resuming the finished run launches nothing and reports its counts.
  again = run('--resume')
  assert again.returncode == 0, again.stderr[-3000:]
  assert again.stdout.split('final counts:')[1] == final.string.split(
      'final counts:')[1]


def test_a_diverged_run_stops_with_one_line_naming_step_and_quantity(
    tmp_path):
  result = _launch('q_lambda_single_process', tmp_path,
                   '--num_steps=1000000', '--learning_rate=1e12')
  assert result.returncode == 1, result.stderr[-3000:]
  last = result.stderr.splitlines()[-1]
  assert re.fullmatch(r'q_lambda_bmg: learner at learner_steps=\d+: '
                      r'\w*loss is (nan|-?inf)\.', last), last
  with open(tmp_path / 'logs' / 'learner' / 'logs.csv', newline='') as f:
    rows = list(csv.DictReader(f))
  assert rows and int(rows[-1]['learner_steps']) < 1000


@pytest.mark.parametrize('flag, words', [
    ('--sweep=learning_rate=0.1,zero', ('learning_rate', 'zero')),
    ('--figure=sweep.pdf', ('--figure', 'sweep.pdf', '.png'))])
def test_sweep_launcher_refuses_bad_flags_in_one_line(flag, words, tmp_path):
  result = subprocess.run(
      [sys.executable, os.path.join(_ROOT, 'launchers',
                                    'sweep_grid_world.py'),
       '--agent=q_lambda', flag, f'--results_dir={tmp_path}'],
      capture_output=True, text=True, timeout=120,
      env=dict(os.environ, PYTHONPATH=_ROOT))
  assert result.returncode != 0
  last = result.stderr.splitlines()[-1]
  assert all(w in last for w in words), result.stderr[-2000:]
  assert not os.listdir(tmp_path)  # Refused before any work.


def test_sigterm_stops_a_sweep_with_a_checkpoint_it_resumes_from(tmp_path):
  command = [sys.executable, os.path.join(_ROOT, 'launchers',
                                          'sweep_grid_world.py'),
             '--agent=q_lambda', '--config=hidden_sizes=8',
             '--config=meta_hidden_size=4', '--num_seeds=2',
             '--num_steps=100000000', '--log_every=100', '--save_every=1',
             f'--results_dir={tmp_path}']
  env = dict(os.environ, PYTHONPATH=_ROOT)
  process = subprocess.Popen(command, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env,
                             start_new_session=True)
  checkpoint = tmp_path / 'checkpoints' / 'base.npz'
  try:
    deadline = time.time() + 120
    while not checkpoint.exists():
      assert process.poll() is None and time.time() < deadline
      time.sleep(.2)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
  finally:
    with contextlib.suppress(ProcessLookupError):
      os.killpg(process.pid, signal.SIGKILL)
  assert process.returncode == 128 + signal.SIGTERM, stderr[-2000:]
  assert 'base: stopped' in stdout and checkpoint.exists()
  assert not (tmp_path / 'base.json').exists()
  # Without --resume the half-finished setting is refused, in one line.
  again = subprocess.run(command, capture_output=True, text=True, env=env,
                         timeout=120)
  assert again.returncode != 0
  assert again.stderr.splitlines()[-1].endswith(
      'pass --resume to continue it.')
