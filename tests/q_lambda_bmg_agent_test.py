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

"""The Q(λ)-BMG builder driven by acme's own machinery (acme's agent tests)."""

import os
import subprocess
import sys
import time

# bmg_agents first: its compat shim must run before acme is imported.
import bmg_agents  # pylint: disable=unused-import,g-bad-import-order
import acme
from acme import specs
from acme.jax.layouts import local_layout
from acme.testing import fakes
from acme.utils import counting
from acme.utils import loggers
from acme.utils.loggers import dataframe
import jax
import numpy as np
import pytest
import reverb

from bmg_agents import q_lambda_bmg
from bmg_agents.core import diagnostics
from bmg_agents.q_lambda_bmg.builder import REPLAY_TABLE

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _environment():
  # acme's fakes give zero observations, rewards and discounts (every step
  # is terminal for the λ-return); a reward of 1 makes the TD errors
  # non-zero so that learning shows in the parameters.
  return fakes.DiscreteEnvironment(
      num_actions=5, num_observations=10, obs_shape=(10, 5),
      obs_dtype=np.float32, episode_length=10,
      reward_spec=specs.BoundedArray((), np.float32, 1., 1.))


def _config(**kwargs):
  return q_lambda_bmg.QLambdaConfig(
      hidden_sizes=(8,), L=3, trace_length=3, reward_history=4,
      meta_hidden_size=4, learning_rate=1e-2, meta_learning_rate=1e-2,
      **kwargs)


@pytest.mark.parametrize('meta_objective', ['bmg', 'none'])
def test_local_layout_environment_loop(meta_objective):
  environment = _environment()
  spec = specs.make_environment_spec(environment)
  config = _config(meta_objective=meta_objective)
  networks = q_lambda_bmg.make_networks(spec, config)
  builder = q_lambda_bmg.QLambdaBuilder(config)
  counter = counting.Counter()
  agent = local_layout.LocalLayout(
      seed=0, environment_spec=spec, builder=builder, networks=networks,
      policy_network=builder.make_policy(networks), workdir=None,
      batch_size=1, min_replay_size=1, samples_per_insert=1.,
      prefetch_size=0, checkpoint=False,
      counter=counting.Counter(counter, 'learner', time_delta=0.))
  before = jax.device_get(agent.get_variables(['policy'])[0])
  loop = acme.EnvironmentLoop(
      environment, agent,
      counter=counting.Counter(counter, 'actor', time_delta=0.),
      logger=loggers.NoOpLogger())
  loop.run(num_episodes=4)
  counts = counter.get_counts()
  assert counts['actor_steps'] == 40
  # Every transition but the last one of the run has been learned from.
  assert counts['learner_steps'] >= 30, counts
  params, meta_params = jax.device_get(agent.get_variables(['policy'])[0])
  assert any(not np.allclose(a, b) for a, b in zip(
      jax.tree_util.tree_leaves(before[0]), jax.tree_util.tree_leaves(params)))
  if meta_objective == 'bmg':
    assert any(not np.allclose(a, b) for a, b in zip(
        jax.tree_util.tree_leaves(before[1]),
        jax.tree_util.tree_leaves(meta_params)))
  else:
    assert float(meta_params) == pytest.approx(config.epsilon)


def test_learner_never_blocks_and_logs_fixed_keys():
  environment = _environment()
  spec = specs.make_environment_spec(environment)
  config = _config()
  networks = q_lambda_bmg.make_networks(spec, config)
  builder = q_lambda_bmg.QLambdaBuilder(config)
  server = reverb.Server(builder.make_replay_tables(spec), port=None)
  client = reverb.Client(f'localhost:{server.port}')
  logger = dataframe.InMemoryLogger()
  learner = builder.make_learner(
      jax.random.PRNGKey(0), networks, builder.make_dataset_iterator(client),
      logger_fn=lambda: logger, environment_spec=spec,
      counter=counting.Counter(prefix='learner', time_delta=0.))
  # An empty queue: the step times out and returns without an update.
  assert not builder.learner_ready(client)
  learner.step()
  assert int(learner.save().steps) == 0 and not logger.data
  actor = builder.make_actor(jax.random.PRNGKey(1),
                             builder.make_policy(networks),
                             builder.make_adder(client),
                             variable_source=learner)
  timestep = environment.reset()
  actor.observe_first(timestep)
  for _ in range(5):
    action = actor.select_action(timestep.observation)
    timestep = environment.step(action)
    actor.observe(action, timestep)
  deadline = time.time() + 30.
  while (client.server_info()[REPLAY_TABLE].current_size < 5 and
         time.time() < deadline):
    time.sleep(.01)  # The adder's inserts land asynchronously.
  # The runtime's single-process loop: never blocks.
  while builder.learner_ready(client):
    learner.step()
  # The dataset may hold one sample in flight that the table no longer
  # shows; one more step takes it (or times out and returns).
  learner.step()
  assert int(learner.save().steps) == 5
  keys = set(logger.data[0])
  assert all(set(row) == keys for row in logger.data)
  assert {diagnostics.META_GRAD_NORM, diagnostics.META_GRAD_COSINE,
          'epsilon', 'learner_steps'} <= keys
  assert np.isnan(logger.data[0][diagnostics.META_GRAD_NORM])
  # From the L-th step on: a meta-gradient (0 here: all q tie at first).
  assert np.isfinite(logger.data[-1][diagnostics.META_GRAD_NORM])
  assert logger.data[-1]['learner_steps'] == 5
  # save/restore round-trips the state pytree.
  state = learner.save()
  learner.restore(jax.tree_util.tree_map(np.zeros_like, state))
  assert int(learner.save().steps) == 0
  server.stop()


def test_pure_modules_import_no_acme():
  # distrax (needed by rlax) imports TensorFlow through TFP's JAX substrate
  # when TF is installed, as it is in this stack: count only what our
  # modules add on top of distrax.
  code = (
      'import sys\n'
      "banned = ('acme', 'launchpad', 'reverb', 'tensorflow')\n"
      'import distrax\n'
      'before = {m for m in banned if m in sys.modules}\n'
      'import bmg_agents.q_lambda_bmg\n'
      'from bmg_agents.q_lambda_bmg import acting, config, fused, '
      'learning, losses, networks\n'
      'added = [m for m in banned if m in sys.modules and m not in before]\n'
      'assert not added, added\n'
      "assert 'acme' not in sys.modules\n"
      "assert 'QLambdaBuilder' in bmg_agents.q_lambda_bmg.__all__\n")
  proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                        text=True, timeout=120,
                        env=dict(os.environ, PYTHONPATH=_ROOT))
  assert proc.returncode == 0, proc.stderr


def test_builder_is_exported_lazily():
  assert q_lambda_bmg.QLambdaBuilder.__module__.endswith('builder')
  with pytest.raises(AttributeError):
    getattr(q_lambda_bmg, 'make_agent')
