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

"""Tests of the STACX builder's data path and its single-process run."""

import functools

from acme import specs
from acme.tf import savers
import jax
import numpy as np
import reverb

from bmg_agents import experiments
from bmg_agents.environments import registry
from bmg_agents.impala_bmg import builder as builder_lib
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import networks as networks_lib


def _tiny_config(**kwargs):
  return config_lib.STACXConfig(**dict(dict(
      torso_channels=(4,), num_residual_blocks=0, torso_output_size=16,
      head_hidden_sizes=(8,), num_auxiliary_heads=1, unroll_length=3,
      online_batch_size=2, replay_batch_size=3, replay_size=100), **kwargs))


def test_replay_blocks_are_separate_samples_and_layout_is_acme():
  config = _tiny_config(meta_objective='bmg', L=3, K=2)
  assert config.num_extra_replay_batches == 3
  environment = registry.make_environment('minatar:breakout', 0)
  spec = specs.make_environment_spec(environment)
  builder = builder_lib.STACXBuilder(config)
  server = reverb.Server(builder.make_replay_tables(spec), port=None)
  client = reverb.Client(f'localhost:{server.port}')
  adder = builder.make_adder(client)
  timestep = environment.reset()
  adder.add_first(timestep)
  for t in range(400):  # ~130 trajectories, each stamped with its time.
    action = np.int32(t % 3)
    timestep = environment.step(action)
    adder.add(action, timestep,
              extras={'logits': np.full(3, t, np.float32)})
    if timestep.last():
      timestep = environment.reset()
      adder.add_first(timestep)
  batch = next(builder.make_dataset_iterator(client))
  tau, extra = batch.trajectories, batch.replay
  assert tau.observation.shape == (5, 4, 10, 10, 4)
  np.testing.assert_array_equal(tau.is_replay, [0, 0, 1, 1, 1])
  assert extra.observation.shape == (3, 3, 4, 10, 10, 4)
  assert extra.is_replay.all()
  # Online data comes first-in-first-out from the queue.
  np.testing.assert_array_equal(tau.behaviour_logits[:2, 0, 0], [0, 3])
  # Every replay block is its own uniform sample: 12 draws from ~130
  # trajectories, so blocks (almost surely) differ from each other and τ's.
  starts = np.concatenate([tau.behaviour_logits[2:, 0, 0],
                           extra.behaviour_logits[:, :, 0, 0].ravel()])
  assert len(set(starts.tolist())) >= 8, starts
  # Only the transition out of an episode's zero-padded final step (into
  # the next episode) is invalid.
  assert tau.valid.shape == (5, 3) and tau.valid.mean() > .5
  for b, t in zip(*np.nonzero(tau.valid == 0)):
    assert tau.discount[b, t] == 0 and tau.reward[b, t] == 0
    assert not tau.behaviour_logits[b, t].any()
  server.stop()


def test_queue_can_sample_only_whole_online_batches():
  # acme's LocalLayout steps the learner while every table can_sample(
  # online_batch_size); with a queue that said yes to 1 trajectory, a
  # single-process run blocked forever in the learner's sample (#5).
  config = _tiny_config(online_batch_size=3)
  environment = registry.make_environment('minatar:breakout', 0)
  builder = builder_lib.STACXBuilder(config)
  tables = builder.make_replay_tables(specs.make_environment_spec(environment))
  server = reverb.Server(tables, port=None)
  client = reverb.Client(f'localhost:{server.port}')
  adder = builder.make_adder(client)
  queue = tables[0]
  adder.add_first(environment.reset())
  sizes = set()
  for t in range(30):
    timestep = environment.step(np.int32(t % 3))
    adder.add(np.int32(t % 3), timestep,
              extras={'logits': np.zeros(3, np.float32)})
    if timestep.last():
      adder.add_first(environment.reset())
    # Inserts land asynchronously: ask first, count after, so that a yes
    # must be backed by whole trajectories (a no may be overtaken).
    can_sample = queue.can_sample(3)
    size = client.server_info()[builder_lib.QUEUE_TABLE].current_size
    sizes.add(size)
    assert size >= 3 or not can_sample, (t, size)
  # The queue was seen holding part of a batch (the no branch ran); under
  # load the inserts may land in bursts, so which partial sizes varies.
  assert sizes & {1, 2}, sizes
  assert queue.can_sample(3)
  server.stop()


def test_single_process_run_learns_from_queue_and_replay(tmp_path,
                                                        monkeypatch):
  config = _tiny_config(meta_objective='none')
  learners = []
  make_learner = builder_lib.STACXBuilder.make_learner
  monkeypatch.setattr(
      builder_lib.STACXBuilder, 'make_learner',
      lambda *a, **k: learners.append(make_learner(*a, **k)) or learners[-1])
  counts = experiments.run_experiment(experiments.ExperimentConfig(
      builder=builder_lib.STACXBuilder(config),
      environment_factory=functools.partial(registry.make_environment,
                                            'minatar:breakout'),
      network_factory=functools.partial(networks_lib.make_networks,
                                        config=config),
      seed=0, max_num_actor_steps=120,
      logger_factory=experiments.make_logger_factory(str(tmp_path)),
      checkpointing=experiments.CheckpointingConfig(str(tmp_path))))
  assert counts['actor_steps'] == 120  # The loop stops inside an episode.
  # One learner step per full online batch of 2 trajectories of 3 steps
  # (each episode adds acme's padded final step); the last few may still
  # wait in the queue.
  full_batches = (counts['actor_steps'] + counts['actor_episodes']) // 6
  assert full_batches - 3 <= counts['learner_steps'] <= full_batches, counts
  assert (tmp_path / 'logs' / 'learner' / 'logs.csv').exists()
  # The final state is checkpointed; a fresh learner restores it exactly.
  (learner,) = learners
  environment = registry.make_environment('minatar:breakout', 1)
  fresh = builder_lib.STACXBuilder(config).make_learner(
      jax.random.PRNGKey(1),
      networks_lib.make_networks(specs.make_environment_spec(environment),
                                 config), iter(()))
  assert int(fresh.state.steps) == 0
  savers.Checkpointer({'learner': fresh}, directory=str(tmp_path),
                      subdirectory='learner', add_uid=False)
  assert int(fresh.state.steps) == counts['learner_steps'] > 0
  jax.tree_util.tree_map(np.testing.assert_array_equal, fresh.state,
                         learner.state)
