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

"""STACX-BMG on acme's test environment, driven as acme's agent tests do."""

import os
import subprocess
import sys
import textwrap
import time

# bmg_agents first: its compat layer must run before acme.jax is imported.
from bmg_agents import impala_bmg  # pylint: disable=g-bad-import-order
import acme
from acme import specs
from acme.jax.layouts import local_layout
from acme.testing import fakes
from acme.utils.loggers import dataframe
import jax
import numpy as np
import pytest
import reverb

from bmg_agents.core import diagnostics
from bmg_agents.impala_bmg import builder as builder_lib
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import learning
from bmg_agents.impala_bmg import losses
from bmg_agents.impala_bmg import networks as networks_lib


def _tiny_config(**kwargs):
  return config_lib.STACXConfig(**dict(dict(
      torso_channels=(2,), num_residual_blocks=0, torso_output_size=8,
      head_hidden_sizes=(4,), num_auxiliary_heads=1, unroll_length=3,
      online_batch_size=2, replay_batch_size=2, replay_size=100), **kwargs))


def _environment(reward: float = 0.):
  # acme's fakes emit zero observations, rewards and discounts; with Haiku's
  # zero biases every loss then has an exactly zero gradient, so the agent
  # test asks for a constant reward (the spec's minimum) to see learning.
  return fakes.DiscreteEnvironment(
      num_actions=5, num_observations=10, obs_shape=(10, 5),
      obs_dtype=np.float32, episode_length=10,
      reward_spec=specs.BoundedArray((), np.float32, reward, reward))


def test_local_layout_and_environment_loop_train(monkeypatch):
  config = _tiny_config(meta_objective='bmg')
  environment = _environment(reward=1.)
  spec = specs.make_environment_spec(environment)
  networks = impala_bmg.make_networks(spec, config)
  builder = impala_bmg.STACXBuilder(config)
  logger = dataframe.InMemoryLogger()
  learners = []
  make_learner = builder.make_learner

  def make_logged_learner(*args, **kwargs):
    # LocalLayout passes no logger_fn (the default must work); record one.
    learners.append(make_learner(*args, **kwargs))
    learners[-1]._logger = logger  # pylint: disable=protected-access
    return learners[-1]

  monkeypatch.setattr(builder, 'make_learner', make_logged_learner)
  agent = local_layout.LocalLayout(
      seed=0, environment_spec=spec, builder=builder, networks=networks,
      policy_network=builder.make_policy(networks),
      batch_size=config.online_batch_size, min_replay_size=1,
      samples_per_insert=1., prefetch_size=0)
  (learner,) = learners
  initial = jax.tree_util.tree_map(np.array, learner.get_variables(
      ['policy'])[0])
  loop = acme.EnvironmentLoop(environment, agent,
                              logger=dataframe.InMemoryLogger())
  loop.run(num_episodes=4)
  # 4 episodes of 10 steps (+ acme's padded final step) in trajectories of
  # 3 steps: ~14 trajectories, one learner step per 2.
  assert 4 <= len(logger.data) <= 7, len(logger.data)
  assert int(learner.state.steps) == len(logger.data)
  changed = jax.tree_util.tree_leaves(jax.tree_util.tree_map(
      lambda a, b: np.abs(a - np.asarray(b)).max(), initial,
      learner.get_variables(['policy'])[0]))
  assert np.isfinite(changed).all() and max(changed) > 0
  # A fixed set of keys from the first row on (a CSV header).
  keys = set(logger.data[0])
  assert all(set(row) == keys for row in logger.data)
  assert {diagnostics.META_GRAD_NORM, diagnostics.META_GRAD_COSINE,
          'meta_loss', 'discount_0', 'entropy_cost_1'} <= keys
  norms = [row[diagnostics.META_GRAD_NORM] for row in logger.data]
  assert np.isfinite(norms).all() and max(norms) > 0


def _zero_batch(config, spec):
  """All-zero data, as acme's fakes give: every agent gradient is 0."""
  b, t = config.batch_size, config.sequence_length
  return learning.LearnerBatch(losses.Trajectories(
      observation=np.zeros((b, t) + spec.observations.shape, np.float32),
      action=np.zeros((b, t), np.int32), reward=np.zeros((b, t), np.float32),
      discount=np.zeros((b, t), np.float32),
      behaviour_logits=np.zeros((b, t, 5), np.float32),
      is_replay=np.arange(b) >= config.online_batch_size), None)


def test_meta_gradient_through_a_zero_agent_gradient_is_finite():
  # optax's clip_by_global_norm differentiates sqrt at 0 into NaN.
  config = _tiny_config(meta_objective='bmg')
  spec = specs.make_environment_spec(_environment())
  networks = networks_lib.make_networks(spec, config)
  state = learning.make_initial_state(jax.random.PRNGKey(0), networks, config)
  state, metrics = jax.jit(learning.make_update_fn(networks, config))(
      state, _zero_batch(config, spec))
  leaves = jax.tree_util.tree_leaves((state, metrics))
  assert all(np.isfinite(x).all() for x in leaves), metrics


def test_every_objective_logs_the_same_keys():
  spec = specs.make_environment_spec(_environment())
  keys = []
  for objective in config_lib.META_OBJECTIVES:
    config = _tiny_config(meta_objective=objective)
    networks = networks_lib.make_networks(spec, config)
    state = learning.make_initial_state(jax.random.PRNGKey(0), networks,
                                        config)
    _, metrics = jax.eval_shape(learning.make_update_fn(networks, config),
                                state, _zero_batch(config, spec))
    keys.append(set(metrics))
  assert keys[0] == keys[1] == keys[2], keys
  assert {diagnostics.META_GRAD_NORM, diagnostics.META_GRAD_COSINE,
          learning.META_LOSS} <= keys[0]


def _wait_until(condition, seconds=30.):
  deadline = time.time() + seconds
  while not condition():
    assert time.time() < deadline, 'timed out'
    time.sleep(.01)


def test_dataset_yields_none_after_timeout_and_step_skips():
  config = _tiny_config(meta_objective='mg')
  spec = specs.make_environment_spec(_environment())
  builder = builder_lib.STACXBuilder(config, sample_timeout_ms=50)
  server = reverb.Server(builder.make_replay_tables(spec), port=None)
  client = reverb.Client(f'localhost:{server.port}')
  assert not builder.learner_ready(client)
  dataset = builder.make_dataset_iterator(client)
  assert next(dataset) is None  # Empty tables: no data, no block.
  learner = builder.make_learner(
      jax.random.PRNGKey(0), networks_lib.make_networks(spec, config),
      dataset, logger_fn=dataframe.InMemoryLogger)
  learner.step()  # Returns without an update.
  assert int(learner.state.steps) == 0
  environment = _environment()

  def add_trajectory():  # 4 full steps: a trajectory, flushed by reset().
    adder = builder.make_adder(client)
    adder.add_first(environment.reset())
    for _ in range(4):
      adder.add(np.int32(0), environment.step(np.int32(0)),
                extras={'logits': np.zeros(5, np.float32)})
    adder.reset()

  add_trajectory()
  _wait_until(lambda: client.server_info()[  # pylint: disable=g-long-lambda
      builder_lib.QUEUE_TABLE].current_size == 1)
  assert not builder.learner_ready(client)
  assert next(dataset) is None  # Half a batch: kept, not lost...
  assert not builder.learner_ready(client)
  add_trajectory()
  # ... and counted: ready with one more trajectory in the queue.
  _wait_until(lambda: builder.learner_ready(client))
  learner.step()
  assert int(learner.state.steps) == 1
  server.stop()


def test_config_rejects_bad_types_and_sizes():
  for field, value in [('L', 2.5), ('K', 0), ('unroll_length', '20'),
                       ('online_batch_size', 0), ('head_hidden_sizes', (8, 0)),
                       ('torso_channels', ()), ('discount', float('nan')),
                       ('learning_rate', float('inf')), ('matching', 'kl_x'),
                       ('meta_objective', 'maml'), ('final_step', 'last'),
                       ('temperature', 0.)]:
    with pytest.raises(ValueError, match=field):
      _tiny_config(**{field: value})
  # core's matching vocabulary, weighted sums included.
  assert _tiny_config(matching='kl+0.5*value').matching == 'kl+0.5*value'


def test_networks_take_images_and_vectors_and_reject_other_ranks():
  config = _tiny_config()
  for shape in [(6, 6, 2), (10, 5), (7,)]:
    spec = specs.EnvironmentSpec(
        observations=specs.Array(shape, np.float32),
        actions=specs.DiscreteArray(5), rewards=specs.Array((), np.float32),
        discounts=specs.BoundedArray((), np.float32, 0., 1.))
    networks = networks_lib.make_networks(spec, config)
    params = networks.init(jax.random.PRNGKey(0))
    logits, values = networks.apply(params, np.zeros((3, 4) + shape))
    assert logits.shape == (3, 4, 2, 5) and values.shape == (3, 4, 2)
  spec = specs.EnvironmentSpec(
      observations=specs.Array((2, 3, 4, 5), np.float32),
      actions=specs.DiscreteArray(5), rewards=specs.Array((), np.float32),
      discounts=specs.BoundedArray((), np.float32, 0., 1.))
  with pytest.raises(ValueError, match=r'\(2, 3, 4, 5\)'):
    networks_lib.make_networks(spec, config)


_IMPORT_SCRIPT = textwrap.dedent("""
    import sys

    class NoTensorFlow:
      # TFP's JAX substrate (under rlax and distrax) imports TensorFlow
      # whenever it is installed, only to copy docstrings, and goes on
      # without it: block it, so that any other import of it fails.
      def find_spec(self, name, path=None, target=None):
        if name == 'tensorflow' or name.startswith('tensorflow.'):
          raise ImportError(name + ' is blocked')

    blocker = NoTensorFlow()
    sys.meta_path.insert(0, blocker)
    import bmg_agents.impala_bmg
    from bmg_agents.impala_bmg import acting, config, learning, losses
    from bmg_agents.impala_bmg import networks
    heavy = [m for m in ('acme', 'launchpad', 'reverb', 'tensorflow')
             if m in sys.modules]
    assert not heavy, heavy
    sys.meta_path.remove(blocker)
    # The builder is exported lazily.
    assert bmg_agents.impala_bmg.STACXBuilder.__name__ == 'STACXBuilder'
    assert 'acme' in sys.modules
    print('IMPORTS_OK')
""")


def test_pure_modules_import_no_acme():
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  env = dict(os.environ, PYTHONPATH=root, JAX_PLATFORMS='cpu')
  result = subprocess.run([sys.executable, '-c', _IMPORT_SCRIPT], env=env,
                          capture_output=True, text=True, timeout=300,
                          check=False)
  assert 'IMPORTS_OK' in result.stdout, result.stderr[-3000:]
