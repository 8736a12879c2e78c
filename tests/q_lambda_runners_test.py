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

"""The Q(λ)-BMG agent fused, and through the runtime in one process and in
Launchpad."""

import csv
import functools
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

from bmg_agents import experiments
from bmg_agents import q_lambda_bmg
from bmg_agents.environments import registry
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import fused
from bmg_agents.q_lambda_bmg import learning
from bmg_agents.q_lambda_bmg import networks as networks_lib

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tiny_config(**kwargs):
  return config_lib.QLambdaConfig(hidden_sizes=(16,), L=3, trace_length=4,
                                  reward_history=5, meta_hidden_size=4,
                                  learning_rate=1e-2,
                                  meta_learning_rate=1e-2, **kwargs)


def test_fused_runner_agrees_with_step_by_step_loop():
  config = _tiny_config(matching='kl+value')
  nets = networks_lib.make_networks(fused.environment_spec(), config)
  agent = learning.make_agent_functions(nets, config)
  states = fused.init_states(agent, jax.random.PRNGKey(3), 2,
                             config.reward_history)
  step_fn = fused.make_step_fn(agent, flip_period=7)
  # The fused runner donates its input: give it a copy.
  fused_states, fused_metrics = fused.run_fused(
      step_fn, jax.tree_util.tree_map(jnp.copy, states), 24, 8)
  loop_states, loop_metrics = fused.run_python_loop(step_fn, states, 24)
  for a, b in zip(jax.tree_util.tree_leaves(fused_states),
                  jax.tree_util.tree_leaves(loop_states)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  for name in ('reward', 'epsilon', 'matching_loss'):
    np.testing.assert_allclose(
        fused_metrics[name], loop_metrics[name].reshape(3, 8, 2).mean(1),
        rtol=1e-5, atol=1e-6)
  # ε moved and both seeds differ: the run is not degenerate.
  assert not np.allclose(loop_metrics['epsilon'][0],
                         loop_metrics['epsilon'][-1])
  assert not np.allclose(loop_metrics['reward'][:, 0],
                         loop_metrics['reward'][:, 1])


def test_fixed_epsilon_sweep_in_one_run():
  config = _tiny_config(meta_objective='none')
  nets = networks_lib.make_networks(fused.environment_spec(), config)
  agent = learning.make_agent_functions(nets, config)
  states = fused.init_states(agent, jax.random.PRNGKey(0), 3,
                             config.reward_history, epsilons=[0., .5, 1.])
  _, metrics = fused.run_fused(fused.make_step_fn(agent), states, 10, 10)
  np.testing.assert_allclose(metrics['epsilon'][0], [0., .5, 1.])


def _experiment(results_dir, num_steps, **kwargs):
  config = _tiny_config()
  return experiments.ExperimentConfig(
      builder=q_lambda_bmg.QLambdaBuilder(config, **kwargs),
      environment_factory=functools.partial(
          registry.make_environment, 'two_colors', flip_period=10),
      network_factory=functools.partial(q_lambda_bmg.make_networks,
                                        config=config),
      seed=0, max_num_actor_steps=num_steps, log_every_steps=20,
      logger_factory=experiments.make_logger_factory(results_dir),
      checkpointing=experiments.CheckpointingConfig(results_dir))


def _rows(path):
  with open(path) as f:
    return list(csv.DictReader(f))


def test_single_process_tiny_run(tmp_path):
  counts = experiments.run_experiment(_experiment(str(tmp_path), 40))
  assert counts['actor_steps'] == 40
  # The learner takes each transition the queue holds when the actor
  # updates; Reverb's inserts land asynchronously and acme's adder keeps up
  # to 5 in flight, so how many of the 40 it has taken depends on the
  # machine's load (40 seen under load, 39 when idle).
  assert 34 <= counts['learner_steps'] <= 40
  rows = _rows(tmp_path / 'logs' / 'learner' / 'logs.csv')
  assert rows and {'meta_grad_norm', 'meta_grad_cosine', 'epsilon',
                   'learner_steps'} <= set(rows[0])
  assert all(None not in row and None not in row.values() for row in rows)
  # The actor's rows hold its own counts, every 20 steps.
  actor = _rows(tmp_path / 'logs' / 'actor' / 'logs.csv')
  assert [r['actor_steps'] for r in actor] == ['20', '40']
  assert not any(k.startswith('learner') for k in actor[0])
  assert os.listdir(tmp_path / 'checkpoints' / 'learner')


def test_launcher_bad_flag_is_a_usage_error_not_a_trace():
  # flags' own bounds (e.g. --L=0) are absl validators; this one goes
  # through QLambdaConfig and comes back as app.UsageError. One process
  # only: each launcher start imports jax, acme and Launchpad.
  proc = subprocess.run(
      [sys.executable, os.path.join(_ROOT, 'launchers', 'run_q_lambda.py'),
       '--learning_rate=0'], capture_output=True, text=True, timeout=120,
      env=dict(os.environ, PYTHONPATH=_ROOT))
  assert proc.returncode != 0
  assert 'Traceback' not in proc.stderr, proc.stderr
  last = [line for line in proc.stderr.splitlines() if line.strip()][-1]
  assert last.startswith('learning_rate must be'), last
