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

"""acme's agent-test pattern: the builder on fakes.DiscreteEnvironment."""

# pylint: disable=g-bad-import-order,unused-import
import bmg_agents  # First: its compat layer makes acme 0.4.0 import on jax.
# pylint: enable=g-bad-import-order,unused-import
import time

import acme
from acme.jax.layouts import local_layout
from acme.testing import fakes
from acme.utils import counting
from dm_env import specs as dm_specs
import jax
import numpy as np
import pytest
import reverb

from bmg_agents import actor_critic_bmg as ac


@pytest.mark.parametrize('objective', ['bmg', 'none'])
def test_builder_trains_on_acme_fake_discrete_environment(objective):
  # The fake's values are its specs' minima: zero observations, discount 0
  # (every step terminal) and, with this reward spec, reward 1 (with
  # acme's default reward 0 no gradient is ever non-zero).
  environment = fakes.DiscreteEnvironment(
      num_actions=5, num_observations=10, obs_shape=(10, 5),
      obs_dtype=np.float32, episode_length=10,
      reward_spec=dm_specs.BoundedArray((), np.float32, 1., 1.))
  spec = acme.make_environment_spec(environment)
  config = ac.ActorCriticBMGConfig(
      meta_objective=objective, K=1, L=2, rollout_length=4,
      policy_hidden=(8,), critic_hidden=(8,), meta_hidden=(4,))
  networks = ac.make_networks(spec, config)
  builder = ac.ActorCriticBMGBuilder(config)
  counter = counting.Counter()
  agent = local_layout.LocalLayout(
      seed=0, environment_spec=spec, builder=builder, networks=networks,
      policy_network=builder.make_policy(networks), workdir=None,
      batch_size=1, min_replay_size=1, samples_per_insert=1.,
      prefetch_size=0, counter=counter, checkpoint=False)
  # pylint: disable=protected-access
  learner = agent._learner
  initial = jax.tree_util.tree_map(np.array, learner.state.params)
  loop = acme.EnvironmentLoop(environment, agent,
                              counter=counting.Counter(counter, 'actor'),
                              logger=None)
  loop.run(num_episodes=5)
  # 50 steps make 12 rollouts of 4 (one sequence per 4 steps).
  assert int(learner.state.steps) >= 10
  moved = jax.tree_util.tree_map(lambda a, b: not np.allclose(a, b),
                                 initial, learner.state.params)
  # Zero observations: only the output biases get gradient (the critic's
  # towards the returns, the policy's towards the sampled actions).
  assert moved.critic['mlp/~/linear_1']['b']
  assert moved.policy['mlp/~/linear_1']['b']
  assert learner.get_variables(['policy'])[0] is learner.state.params.policy
  if objective == 'bmg':
    assert int(learner.state.steps) // config.window >= 1  # Meta-updated.


def test_learner_ready_and_a_dataset_that_never_blocks():
  environment = fakes.DiscreteEnvironment(
      num_actions=5, num_observations=10, obs_shape=(10, 5),
      obs_dtype=np.float32, episode_length=10)
  spec = acme.make_environment_spec(environment)
  config = ac.ActorCriticBMGConfig(rollout_length=4, policy_hidden=(8,),
                                   critic_hidden=(8,), meta_hidden=(4,))
  builder = ac.ActorCriticBMGBuilder(config)
  server = reverb.Server(builder.make_replay_tables(spec), port=None)
  client = reverb.Client(f'localhost:{server.port}')
  try:
    dataset = builder.make_dataset_iterator(client)
    assert not builder.learner_ready(client)
    assert next(dataset) is None  # ~1 s without data: None, no block.
    adder = builder.make_adder(client)
    timestep = environment.reset()
    adder.add_first(timestep)
    # N + 1 steps: the first item needs its bootstrap step complete.
    for step in range(config.rollout_length + 1):
      timestep = environment.step(np.int32(step % 5))
      adder.add(np.int32(step % 5), timestep)
    deadline = time.time() + 10.
    while not builder.learner_ready(client) and time.time() < deadline:
      time.sleep(.05)  # Inserts land asynchronously.
    assert builder.learner_ready(client)
    sample = next(dataset)
    while sample is None:
      sample = next(dataset)
    assert sample.data.observation.shape == (1, config.rollout_length + 1,
                                             10, 5)
    assert not builder.learner_ready(client)  # The queue gave it away.
  finally:
    server.stop()
