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

"""A tiny STACX-BMG Launchpad program launches its processes and stops."""

import os
import signal
import subprocess
import sys


def test_launcher_runs_local_multiprocessing_program_to_its_budget(tmp_path):
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  env = dict(os.environ, PYTHONPATH=root, TF_CPP_MIN_LOG_LEVEL='2')
  command = [
      sys.executable, os.path.join(root, 'launchers', 'run_stacx.py'),
      '--env=minatar:breakout', '--lp_launch_type=local_mp',
      '--num_actors=1', '--num_evaluators=1', '--num_steps=3000',
      '--meta_objective=none', '--torso_channels=4', '--head_hidden_sizes=8',
      '--unroll_length=5', '--online_batch_size=2', '--replay_batch_size=2',
      '--replay_size=100', f'--results_dir={tmp_path}']
  # Launchpad stops the program at the budget; a node that ignored the stop
  # would make it kill the whole runtime (launcher included, exit code -9).
  # Its own session, so a timeout here can kill every node it started.
  process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
  try:
    output, _ = process.communicate(timeout=600)
  finally:
    if process.poll() is None:
      os.killpg(process.pid, signal.SIGKILL)
  assert process.returncode == 0, output[-5000:]
  assert 'Budget of 3000 actor steps reached' in output
  for label in ('actor', 'learner', 'evaluator'):
    assert (tmp_path / 'logs' / label / 'logs.csv').exists(), label
  assert os.path.getsize(tmp_path / 'logs' / 'actor' / 'logs.csv') > 0
  assert os.listdir(tmp_path / 'checkpoints' / 'learner')
  assert (tmp_path / 'stacx.png').exists()
