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

"""Repeated local_mp budget runs per RL agent: do they all stop by themselves?

For each agent, --runs launcher runs of a tiny config on Launchpad
(`local_mp`, one actor, one evaluator) to a step budget, one after another. Printed per
agent: how many exited 0, how many needed a node killed ("did not stop"
or Launchpad's "Killing entire runtime"), and the budget overshoot: the
actors' final step count minus the budget (the goal: 0).

  python benchmarks/launchpad_reliability.py --runs=10
  python benchmarks/launchpad_reliability.py --agents=q_lambda --runs=3
"""

import csv
import os
import subprocess
import sys
import tempfile

from absl import app
from absl import flags

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# agent: (launcher, flags of a tiny run, the actor CSV under results_dir).
_AGENTS = {
    'q_lambda': ('run_q_lambda.py',
                 ['--hidden_sizes=8', '--meta_hidden_size=4', '--L=2',
                  '--num_steps=1000'], 'logs/actor/logs.csv'),
    'actor_critic': ('run_two_colors.py',
                     ['--meta_objective=bmg', '--K=1', '--L=2',
                      '--policy_hidden=8', '--critic_hidden=8',
                      '--meta_hidden=4', '--num_steps=1000',
                      '--log_every=100'], 'bmg/logs/actor/logs.csv'),
    'stacx': ('run_stacx.py',
              ['--env=minatar:breakout', '--meta_objective=bmg', '--L=1',
               '--torso_channels=4', '--head_hidden_sizes=8',
               '--unroll_length=5', '--online_batch_size=2',
               '--replay_batch_size=2', '--replay_size=100',
               '--num_steps=1000'], 'logs/actor/logs.csv'),
}
_RUNS = flags.DEFINE_integer('runs', 10, 'Runs per agent.', lower_bound=1)
_LIST = flags.DEFINE_list('agents', list(_AGENTS), 'Agents to run.')
_TIMEOUT = flags.DEFINE_integer('timeout', 600, 'Seconds per run.')


def _budget(flags_list):
  return next(int(f.split('=')[1]) for f in flags_list
              if f.startswith('--num_steps='))


def run_once(agent, results_dir):
  """(exit status, a node was killed, actor steps of the CSV's last row)."""
  launcher, extra, actor_csv = _AGENTS[agent]
  command = [sys.executable, os.path.join(_ROOT, 'launchers', launcher),
             '--runner=launchpad', '--lp_launch_type=local_mp',
             '--num_actors=1', '--num_evaluators=1',
             f'--results_dir={results_dir}', *extra]
  env = dict(os.environ, PYTHONPATH=_ROOT, TF_CPP_MIN_LOG_LEVEL='2')
  try:
    result = subprocess.run(command, capture_output=True, text=True, env=env,
                            timeout=_TIMEOUT.value, start_new_session=True,
                            check=False)
    status, output = result.returncode, result.stdout + result.stderr
  except subprocess.TimeoutExpired as e:
    status, output = 'timeout', str(e.stdout or '') + str(e.stderr or '')
  killed = 'did not stop' in output or 'Killing entire runtime' in output
  path = os.path.join(results_dir, actor_csv)
  steps = None
  if os.path.exists(path):
    with open(path, newline='') as f:
      rows = list(csv.DictReader(f))
    if rows:
      steps = int(float(rows[-1]['actor_steps']))
  return status, killed, steps


def main(argv):
  del argv
  unknown = set(_LIST.value) - set(_AGENTS)
  if unknown:
    raise app.UsageError(f'--agents: unknown {sorted(unknown)}; allowed: '
                         f'{", ".join(_AGENTS)}.')
  for agent in _LIST.value:
    budget = _budget(_AGENTS[agent][1])
    outcomes = []
    for i in range(_RUNS.value):
      with tempfile.TemporaryDirectory() as results_dir:
        outcomes.append(run_once(agent, results_dir))
      print(f'{agent} run {i + 1}: exit {outcomes[-1][0]}, node killed: '
            f'{outcomes[-1][1]}, actor steps {outcomes[-1][2]}', flush=True)
    ok = sum(status == 0 for status, _, _ in outcomes)
    killed = sum(k for _, k, _ in outcomes)
    overshoot = [max(s - budget, 0) for _, _, s in outcomes if s is not None]
    print(f'{agent}: {ok}/{len(outcomes)} exited 0, {killed} needed a node '
          f'killed; overshoot over the {budget}-step budget: '
          f'max {max(overshoot) if overshoot else "n/a"} steps (the '
          'actor\'s last CSV row, written every episode or interval).')


if __name__ == '__main__':
  app.run(main)
