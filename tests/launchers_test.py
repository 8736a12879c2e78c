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

import csv
import os
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


def test_sigterm_stops_a_single_process_run_with_its_logs_and_checkpoint(
    tmp_path):
  launcher, flags, _ = _RUNS['q_lambda_single_process']
  flags = [f for f in flags if not f.startswith('--num_steps')]
  process = subprocess.Popen(
      [sys.executable, os.path.join(_ROOT, 'launchers', launcher),
       f'--results_dir={tmp_path}', '--num_steps=1000000', *flags],
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
      start_new_session=True,
      env=dict(os.environ, PYTHONPATH=_ROOT, TF_CPP_MIN_LOG_LEVEL='2'))
  actor_log = tmp_path / 'logs' / 'actor' / 'logs.csv'
  try:
    deadline = time.time() + 240
    while not (actor_log.exists() and actor_log.stat().st_size > 200):
      assert process.poll() is None and time.time() < deadline
      time.sleep(.5)
    process.send_signal(signal.SIGTERM)
    start = time.time()
    process.wait(timeout=30)
    assert time.time() - start < 30
  finally:
    if process.poll() is None:
      os.killpg(process.pid, signal.SIGKILL)
  assert process.returncode == 128 + signal.SIGTERM, process.stderr.read()
  with open(actor_log, newline='') as f:
    rows = list(csv.DictReader(f))
  assert len(rows) >= 2 and int(rows[-1]['actor_steps']) < 1_000_000
  assert os.listdir(tmp_path / 'checkpoints' / 'learner')
