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

"""Tests of the MAML-BMG learner, fused runner, evaluator and launcher."""

import os
import subprocess
import sys

from acme.utils.loggers import dataframe
import jax
import numpy as np
import pytest

from bmg_agents import core
from bmg_agents.maml_bmg import builder as builder_lib
from bmg_agents.maml_bmg import config as config_lib
from bmg_agents.maml_bmg import fused
from bmg_agents.maml_bmg import learning
from bmg_agents.maml_bmg import networks as networks_lib

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_learner_matches_fused_runner_and_restores():
  config = config_lib.MAMLConfig(
      method='bmg', ways=3, shots=2, queries=2, K=1, L=1, meta_batch_size=2,
      channels=4, num_layers=2)
  images = np.random.RandomState(0).randint(
      0, 256, (8, 5, 8, 8, 1)).astype(np.uint8)
  builder = builder_lib.MAMLBuilder(config)
  networks = networks_lib.make_networks((8, 8, 1), config)
  init_key, task_key = jax.random.split(jax.random.PRNGKey(0))
  logger = dataframe.InMemoryLogger()
  rows = logger.data
  learner = builder.make_learner(
      init_key, networks, builder.make_task_sampler(images, task_key),
      logger_fn=lambda: logger)
  start = learner.save()
  for _ in range(2):
    learner.step()
  # Every row has the same keys (a CSV header is fixed by the first row),
  # the meta-gradient diagnostics of core among them.
  assert len(rows) == 2 and set(rows[0]) == set(rows[1])
  assert {core.diagnostics.META_GRAD_NORM, core.diagnostics.META_GRAD_COSINE,
          'meta_loss', 'steps', 'walltime'} <= set(rows[0])
  assert rows[0][core.diagnostics.META_GRAD_NORM] > 0
  # The fused runner: same pure update, same tasks, one jitted scan.
  optimizer = learning.make_meta_optimizer(config)
  train = jax.jit(fused.make_fused_train(
      learning.make_update_step(networks, config, optimizer), config, 2))
  state, metrics = train(start, images, task_key)
  assert metrics['meta_loss'].shape == (2,)
  jax.tree_util.tree_map(
      lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
      learner.save(), state)
  # Restore: continues from the saved state.
  learner.restore(start)
  assert int(learner.save().steps) == 0
  evaluator = builder.make_evaluator(networks, images, 5, seed=1,
                                     split='test')
  result = evaluator.evaluate(state.meta_params)
  again = evaluator.evaluate(state.meta_params)
  assert result == again  # Same fixed tasks.
  assert 0. <= result['accuracy'] <= 1. and result['accuracy_ci95'] >= 0.


def test_pure_modules_import_no_acme():
  code = (
      'import sys\n'
      'import bmg_agents.maml_bmg\n'
      'from bmg_agents.maml_bmg import acting, config, data, fused, '
      'learning, losses, networks\n'
      'from bmg_agents.maml_bmg import make_fused_train, make_networks\n'
      "print(sorted(m for m in ('acme', 'launchpad', 'reverb', 'tensorflow')"
      ' if m in sys.modules))\n'
      'bmg_agents.maml_bmg.MAMLBuilder  # Lazy: imports acme now.\n'
      "print('acme' in sys.modules)\n")
  result = subprocess.run(
      [sys.executable, '-c', code], capture_output=True, text=True,
      timeout=120, env={**os.environ, 'PYTHONPATH': _ROOT}, check=True)
  assert result.stdout.split('\n')[:2] == ['[]', 'True'], result.stdout


def test_learner_serves_policy_and_default_logger():
  config = config_lib.MAMLConfig(
      method='maml', ways=2, shots=1, queries=1, K=1, meta_batch_size=1,
      channels=2, num_layers=1)
  images = np.zeros((4, 2, 4, 4, 1), np.uint8)
  builder = builder_lib.MAMLBuilder(config)
  networks = networks_lib.make_networks((4, 4, 1), config)
  learner = builder.make_learner(  # No logger_fn: a quiet default.
      jax.random.PRNGKey(0), networks,
      builder.make_task_sampler(images, jax.random.PRNGKey(1)))
  learner.step()
  policy, = learner.get_variables(['policy'])
  jax.tree_util.tree_map(np.testing.assert_array_equal, policy,
                         learner.save().meta_params)
  with pytest.raises(ValueError, match='policy'):
    learner.get_variables(['critic'])


def _launch(*flags):
  return subprocess.run(
      [sys.executable, os.path.join(_ROOT, 'launchers', 'run_maml.py'),
       *flags], capture_output=True, text=True, timeout=120,
      env={**os.environ, 'PYTHONPATH': _ROOT}, check=False)


def test_launcher_bad_values_are_one_line_errors(tmp_path):
  result = _launch('--ways=1', f'--results_dir={tmp_path}')
  assert result.returncode != 0
  assert 'ways must be >= 2' in result.stderr
  assert 'Traceback' not in result.stderr
  missing = str(tmp_path / 'nowhere')
  result = _launch('--dataset=omniglot', f'--data_dir={missing}',
                   f'--results_dir={tmp_path}')
  assert result.returncode != 0
  assert f'{missing}: not a directory' in result.stderr
  assert 'Traceback' not in result.stderr
