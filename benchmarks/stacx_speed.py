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

"""STACX-BMG speed, measured side by side in one run (paper App. C.4).

1. Learner step time (jit, one device) of MG vs BMG L=1 and of BMG L=4 vs
   MG K=4, for 1x and 4x torso widths. CPU-sized input: the full 210x160x12
   Atari frames would take minutes per 4x step here, so `--input` (default
   12x12x12, 4 stacked RGB frames) is used with the paper's batch (6 online
   + 12 replay) and unroll (20).
2. Our learner in plain-IMPALA mode (no auxiliary heads, no replay, fixed
   hyper-parameters) vs acme's IMPALA learner, on the same network, batch,
   optimiser; both are acme-style pmapped steps on one device.
3. Actor throughput on Atari (full Table 2 frames) vs raw ale-py emulation.

  PYTHONPATH=. .venv/bin/python benchmarks/stacx_speed.py
"""

import time
import types

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from bmg_agents.environments import atari
from bmg_agents.impala_bmg import acting
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import learning
from bmg_agents.impala_bmg import losses
from bmg_agents.impala_bmg import networks as networks_lib

INPUT = flags.DEFINE_list('input', ['12', '12', '12'], 'H,W,C of the input.')
WIDTHS = flags.DEFINE_list('widths', ['1', '4'], 'Torso widths (C.4).')
REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed steps per setting.')
GAME = flags.DEFINE_string('game', 'pong', 'Atari game for throughput.')
SECONDS = flags.DEFINE_float('seconds', 5., 'Seconds per throughput test.')
SECTIONS = flags.DEFINE_enum(
    'sections', 'all', ('all', 'actor', 'acme', 'learner'), 'What to run.')
_ACTIONS = 6


def _spec(shape, num_actions=_ACTIONS):
  """What `networks.make_networks` reads of an environment spec."""
  return types.SimpleNamespace(
      observations=types.SimpleNamespace(shape=shape),
      actions=types.SimpleNamespace(num_values=num_actions))


def _trajectories(rng, batch, t, shape, replay_from):
  return losses.Trajectories(
      observation=rng.randint(0, 255, (batch, t + 1) + shape).astype(np.uint8),
      action=rng.randint(_ACTIONS, size=(batch, t + 1)).astype(np.int32),
      reward=rng.choice([-1., 0., 1.], (batch, t + 1)).astype(np.float32),
      discount=np.ones((batch, t + 1), np.float32),
      behaviour_logits=rng.normal(size=(batch, t + 1, _ACTIONS)).astype(
          np.float32),
      is_replay=np.arange(batch) >= replay_from,
      valid=np.ones((batch, t), np.float32))


def _batch(rng, config, shape):
  extra = config.num_extra_replay_batches
  replay = None
  if extra:
    replay = jax.tree_util.tree_map(lambda *x: np.stack(x), *[
        _trajectories(rng, config.replay_batch_size, config.unroll_length,
                      shape, 0) for _ in range(extra)])
  return learning.LearnerBatch(
      _trajectories(rng, config.batch_size, config.unroll_length, shape,
                    config.online_batch_size), replay)


def _time(step, state, batch):
  """(compile + first step, mean seconds per later step)."""
  start = time.perf_counter()
  state, _ = step(state, batch)
  jax.block_until_ready(state)
  first = time.perf_counter() - start
  start = time.perf_counter()
  for _ in range(REPEATS.value):
    state, _ = step(state, batch)
  jax.block_until_ready(state)
  return first, (time.perf_counter() - start) / REPEATS.value


_SETTINGS = {
    'MG K=1': dict(meta_objective='mg'),
    'BMG L=1': dict(meta_objective='bmg', matching='kl_v'),
    'MG K=4': dict(meta_objective='mg', K=4),
    'BMG L=4': dict(meta_objective='bmg', matching='kl_v', L=4),
}
HORIZONS = flags.DEFINE_list('horizons', ['1', '4'],
                             'Meta-learning horizons H (MG K=H, BMG L=H).')


def learner_step_times(shape):
  """Compiles every setting, then times them round-robin (median step)."""
  rng = np.random.RandomState(0)
  for width in WIDTHS.value:
    steps = {}
    for horizon in HORIZONS.value:
      for name in (f'MG K={horizon}', f'BMG L={horizon}'):
        config = config_lib.STACXConfig(
            torso_channels=config_lib.TORSO_WIDTHS[int(width)],
            **_SETTINGS[name])
        networks = networks_lib.make_networks(_spec(shape), config)
        state = learning.make_initial_state(jax.random.PRNGKey(0), networks,
                                            config)
        step = jax.jit(learning.make_update_fn(networks, config))
        batch = _batch(rng, config, shape)
        first, _ = _time(step, state, batch)
        print(f'  {width}x {name}: compile+first {first:.0f} s', flush=True)
        steps[name] = (step, state, batch)
    # Round-robin, so a change in the machine's load hits every setting.
    times = {name: [] for name in steps}
    for _ in range(REPEATS.value):
      for name, (step, state, batch) in steps.items():
        start = time.perf_counter()
        jax.block_until_ready(step(state, batch))
        times[name].append(time.perf_counter() - start)
    median = {name: float(np.median(t)) for name, t in times.items()}
    for name, t in median.items():
      print(f'  {width}x {name:8s}: {t*1e3:8.0f} ms/step', flush=True)
    for horizon in HORIZONS.value:
      ratio = median[f'BMG L={horizon}'] / median[f'MG K={horizon}']
      print(f'{width}x: BMG L={horizon} / MG K={horizon} = {ratio:.2f} '
            f'(paper, 4x on TPU: {"~1.2" if horizon == "1" else "~0.5"})',
            flush=True)


def impala_vs_acme(shape):
  """Plain-IMPALA mode of our learner vs acme's IMPALALearner sgd step."""
  # Imported here, after bmg_agents (its jax compatibility layer).
  # pylint: disable=g-import-not-at-top,protected-access
  from acme import adders
  from acme.agents.jax.impala import learning as acme_learning
  from acme.agents.jax.impala import networks as acme_networks
  from acme.utils import loggers
  import reverb
  from bmg_agents.impala_bmg import learner as learner_lib
  config = config_lib.STACXConfig(
      torso_channels=config_lib.TORSO_WIDTHS[1], num_auxiliary_heads=0,
      online_batch_size=18, replay_batch_size=0, meta_objective='none',
      discount=.99, lambda_=1., alpha=1., pg_cost=1., entropy_cost=.01,
      td_cost=1., max_entropy_fraction=1.)
  networks = networks_lib.make_networks(_spec(shape), config)
  traj = _trajectories(np.random.RandomState(1), 18, 20, shape, 18)

  def unroll(params, observation, state):
    logits, values = networks.apply(params, observation)
    return (logits[..., 0, :], values[..., 0]), state

  acme_nets = acme_networks.IMPALANetworks(
      forward_fn=unroll, unroll_init_fn=lambda key, state: networks.init(key),
      unroll_fn=unroll, initial_state_init_fn=lambda key: {},
      initial_state_fn=lambda params: jnp.zeros(()))
  sample = reverb.ReplaySample(info=None, data=adders.reverb.Step(
      observation=traj.observation, action=traj.action, reward=traj.reward,
      discount=traj.discount, start_of_episode=np.zeros((18, 21), bool),
      extras={'logits': traj.behaviour_logits,
              'core_state': np.zeros((18, 21), np.float32)}))
  acme_learner = acme_learning.IMPALALearner(
      networks=acme_nets, iterator=iter([]),
      optimizer=learning.make_optimizer(config),
      random_key=jax.random.PRNGKey(0), discount=.99, entropy_cost=.01,
      baseline_cost=.5,  # ε_TD ½(G - v)² with td_cost 1 = acme's ½ · (..)².
      logger=loggers.NoOpLogger())
  ours = learner_lib.STACXLearner(
      lambda axis: learning.make_learner_fns(networks, config, axis),
      learning.make_initial_state(jax.random.PRNGKey(0), networks, config),
      iter([]), logger=loggers.NoOpLogger())
  ours_batch = learning.shard(learning.LearnerBatch(traj, None), 1)
  acme_batch = jax.tree_util.tree_map(lambda x: np.asarray(x)[None], sample)
  _, acme_time = _time(acme_learner._sgd_step, acme_learner._state,
                       acme_batch)
  _, our_time = _time(ours._update, ours._state, ours_batch)
  print(f'1x IMPALA step, batch 18 x 20: ours {our_time*1e3:.0f} ms, acme '
        f'{acme_time*1e3:.0f} ms, ours / acme = {our_time / acme_time:.2f}',
        flush=True)


def actor_throughput():
  ale = atari.make_ale(GAME.value, 0)
  actions = ale.getMinimalActionSet()
  frames, start = 0, time.perf_counter()
  while time.perf_counter() - start < SECONDS.value:
    ale.act(actions[frames % len(actions)])
    ale.getScreenRGB()
    frames += 1
    if ale.game_over():
      ale.reset_game()
  raw = frames / (time.perf_counter() - start)
  print(f'raw ale-py ({GAME.value}, act + RGB screen): {raw:,.0f} frames/s')

  def run(policy):
    env = atari.AtariEnvironment(GAME.value, seed=0)
    timestep, steps = env.reset(), 0
    start = time.perf_counter()
    while time.perf_counter() - start < SECONDS.value:
      timestep = env.step(policy(timestep.observation, steps))
      steps += 1
      if timestep.last():
        timestep = env.reset()
    return steps * atari.ACTION_REPEATS / (time.perf_counter() - start)

  wrapper = run(lambda obs, t: t % 6)
  print(f'Table 2 wrapper, random actions: {wrapper:,.0f} frames/s '
        f'({wrapper / raw:.2f} of raw)', flush=True)
  env = atari.AtariEnvironment(GAME.value, seed=0)
  for width in WIDTHS.value:
    config = config_lib.STACXConfig(
        torso_channels=config_lib.TORSO_WIDTHS[int(width)])
    networks = networks_lib.make_networks(
        _spec(env.observation_spec().shape, env.action_spec().num_values),
        config)
    core = acting.make_acting_fns(networks)
    params = networks.init(jax.random.PRNGKey(0))
    select = jax.jit(core.select_action)
    state = [core.init(jax.random.PRNGKey(1))]

    def policy(obs, t):
      del t
      action, state[0] = select(params, obs, state[0])
      return int(action)

    policy(env.reset().observation, 0)  # Compile.
    actor = run(policy)
    print(f'actor, {width}x network on CPU: {actor:,.0f} frames/s '
          f'({actor / raw:.3f} of raw ale-py)', flush=True)


def main(argv):
  del argv
  shape = tuple(int(x) for x in INPUT.value)
  print(f'devices: {jax.devices()}; input {shape}, batch 6 + 12, unroll 20')
  if SECTIONS.value in ('all', 'actor'):
    actor_throughput()
  if SECTIONS.value in ('all', 'acme'):
    impala_vs_acme(shape)
  if SECTIONS.value in ('all', 'learner'):
    learner_step_times(shape)


if __name__ == '__main__':
  app.run(main)
