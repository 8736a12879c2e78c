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

"""The agent under Acme: learner = pure functions; one process; Launchpad."""

import functools
import os
import subprocess
import sys
import types

from acme.utils import loggers
import jax
import numpy as np

from bmg_agents import actor_critic_bmg as ac
from bmg_agents import experiments
from bmg_agents.actor_critic_bmg import builder as ac_builder
from bmg_agents.actor_critic_bmg import fused
from bmg_agents.actor_critic_bmg import learner as ac_learner
from bmg_agents.environments import registry

N = 4
_TINY = dict(K=1, L=2, rollout_length=N, policy_hidden=(8,),
             critic_hidden=(8,), meta_hidden=(4,))


def _sample(seed, start=None):
  """A ReplaySample-like batch of one acme Step sequence of length N + 1.

  With `start`, step `start` begins a new episode: step start - 1 is the
  adder's placeholder at the terminal observation (zero action, reward and
  discount) and step start - 2 ends the episode (discount 0).
  """
  rng = np.random.RandomState(seed)
  obs = rng.randint(0, 2, size=(1, N + 1, 30)).astype(np.float32)
  action = rng.randint(0, 4, size=(1, N + 1))
  reward = rng.randn(1, N + 1).astype(np.float32)
  discount = np.ones((1, N + 1), np.float32)
  start_of_episode = np.zeros((1, N + 1), bool)
  if start is not None:
    action[:, start - 1] = reward[:, start - 1] = discount[:, start - 1] = 0
    discount[:, start - 2] = 0.
    start_of_episode[:, start] = True
  data = types.SimpleNamespace(
      observation=obs, action=action, reward=reward, discount=discount,
      start_of_episode=start_of_episode)
  return types.SimpleNamespace(data=data)


def _networks(config):
  return ac.make_networks(fused.environment_spec(), config)


def test_acme_learner_applies_the_same_update_and_meta_update():
  config = ac.ActorCriticBMGConfig(meta_objective='bmg', **_TINY)
  agent = ac.make_agent_functions(_networks(config), config)
  samples = [_sample(i, start=3 if i % 2 else None)
             for i in range(2 * agent.window)]
  key = jax.random.PRNGKey(3)
  learner = ac_learner.ActorCriticBMGLearner(
      agent, iter(samples), key, np.zeros(30, np.float32))
  for _ in samples:
    learner.step()

  state = agent.init(key, np.zeros(30, np.float32))
  update, meta_update = jax.jit(agent.update), jax.jit(agent.meta_update)
  for i, sample in enumerate(samples):
    rollout = jax.tree_util.tree_map(
        lambda x: x[0], ac_learner.rollout_from_steps(sample.data))
    state, _ = update(state, rollout)
    if (i + 1) % agent.window == 0:
      state, _ = meta_update(state)
  got, want = learner.save(), state
  assert int(got.steps) == len(samples)
  for a, b in zip(jax.tree_util.tree_leaves(got),
                  jax.tree_util.tree_leaves(want)):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
  # The meta-parameters moved: two meta-updates happened.
  init = agent.init(key, np.zeros(30, np.float32))
  assert not np.allclose(
      jax.tree_util.tree_leaves(got.meta_params)[0],
      jax.tree_util.tree_leaves(init.meta_params)[0])
  assert learner.get_variables(['policy'])[0] is got.params.policy


def test_rollout_from_steps_drops_the_bootstrap_step():
  sample = _sample(0, start=3)
  rollout = ac_learner.rollout_from_steps(sample.data)
  assert rollout.observations.shape == (1, N + 1, 30)
  assert rollout.actions.shape == (1, N)
  np.testing.assert_allclose(rollout.rewards, sample.data.reward[:, :N])
  np.testing.assert_array_equal(rollout.discounts, [[1., 0., 0., 1.]])
  # Transition 2 (terminal observation -> next episode) is the placeholder.
  np.testing.assert_array_equal(rollout.masks, [[1., 1., 0., 1.]])


def _csv_rows(path):
  lines = path.read_text().strip().split('\n')
  header = lines[0].split(',')
  return header, [dict(zip(header, line.split(','))) for line in lines[1:]]


def test_learner_csv_holds_meta_gradient_columns_from_the_first_row(
    tmp_path):
  config = ac.ActorCriticBMGConfig(meta_objective='bmg', **_TINY)
  agent = ac.make_agent_functions(_networks(config), config)
  samples = [_sample(i) for i in range(2 * agent.window + 1)]
  logger = loggers.CSVLogger(str(tmp_path), label='learner', add_uid=False)
  learner = ac_learner.ActorCriticBMGLearner(
      agent, iter(samples), jax.random.PRNGKey(0), np.zeros(30, np.float32),
      logger=logger)
  for _ in samples:
    learner.step()
  logger.close()
  header, rows = _csv_rows(tmp_path / 'logs' / 'learner' / 'logs.csv')
  for key in ('meta_loss', 'meta_grad_norm', 'meta_grad_cosine',
              'entropy_weight', 'steps'):
    assert key in header, header
  assert len(rows) == len(samples)
  # NaN before the first meta-update (after `window` updates), then numbers.
  window = agent.window
  assert all(r['meta_grad_norm'] == 'nan' for r in rows[:window - 1])
  norms = [float(r['meta_grad_norm']) for r in rows[window - 1:]]
  assert all(np.isfinite(norms)) and min(norms) > 0.
  cosine = float(rows[-1]['meta_grad_cosine'])
  assert -1. <= cosine <= 1. and cosine != 0.


def test_single_process_run_through_the_runtime(tmp_path):
  config = ac.ActorCriticBMGConfig(meta_objective='mg', **_TINY)
  counts = experiments.run_experiment(experiments.ExperimentConfig(
      builder=ac.ActorCriticBMGBuilder(config),
      environment_factory=functools.partial(registry.make_environment,
                                            'two_colors'),
      network_factory=functools.partial(ac.make_networks, config=config),
      seed=0, max_num_actor_steps=120, log_every_steps=60,
      logger_factory=experiments.make_logger_factory(str(tmp_path))))
  # 120 steps make 30 rollouts. The learner steps while one is queued; the
  # dataset's in-flight sample is not counted there, so it trails by a few.
  assert counts['actor_steps'] == 120
  assert 24 <= counts['learner_steps'] <= 30
  header, rows = _csv_rows(tmp_path / 'logs' / 'learner' / 'logs.csv')
  assert 'meta_grad_norm' in header
  assert np.isfinite(float(rows[-1]['meta_grad_norm']))
  # The actor's rows carry the actor's own counts.
  header, rows = _csv_rows(tmp_path / 'logs' / 'actor' / 'logs.csv')
  assert [r['actor_steps'] for r in rows] == ['60', '120']
  assert 'learner_steps' not in header
  assert ac.ActorCriticBMGBuilder is ac_builder.ActorCriticBMGBuilder


def _launcher(tmp_path, *flags, timeout=240):
  """Runs the launcher in its own session (Launchpad may kill its group)."""
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  env = dict(os.environ, PYTHONPATH=root, TF_CPP_MIN_LOG_LEVEL='2')
  return subprocess.run(
      [sys.executable, os.path.join(root, 'launchers', 'run_two_colors.py'),
       f'--results_dir={tmp_path}', *flags],
      capture_output=True, text=True, timeout=timeout, env=env,
      start_new_session=True, check=False)


def test_launchpad_program_runs_processes_and_stops_at_budget(tmp_path):
  result = _launcher(tmp_path, '--runner=launchpad', '--meta_objective=bmg',
                     '--K=1', '--L=2', '--num_steps=200', '--log_every=50',
                     '--policy_hidden=8', '--critic_hidden=8')
  assert result.returncode == 0, result.stderr[-2000:]
  logs = tmp_path / 'bmg' / 'logs'
  rows = (logs / 'actor' / 'logs.csv').read_text().split()
  header = rows[0].split(',')
  steps = [float(r.split(',')[header.index('actor_steps')]) for r in rows[1:]]
  assert max(steps) == 200  # Exactly the budget.
  header, _ = _csv_rows(logs / 'learner' / 'logs.csv')
  assert 'meta_grad_norm' in header and 'meta_grad_cosine' in header


def test_launcher_rejects_bad_flags_in_one_line(tmp_path):
  result = _launcher(tmp_path, '--meta_objective=none,sgd', timeout=60)
  assert result.returncode != 0
  assert "meta_objective must be one of bmg, mg, none; got 'sgd'" in (
      result.stderr)
  assert 'Traceback' not in result.stderr
