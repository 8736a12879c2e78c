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

"""Frames/s of the fused STACX runner vs the Acme single-process run.

Same game, network (the 1x ResNet MinAtar uses), batch (6 online + 12
replay trajectories of 20 steps) and agent, side by side in one run, for
STACX (MG) and BMG (KL & V, L = 1):

1. Acme: `experiments.single_process.run_experiment` with `STACXBuilder`
   on the `minatar` package (what `run_stacx.py --runner=single_process`
   runs). Frames/s = actor steps / seconds over the episodes after the first
   `--acme_warmup` frames (the learner's compilation), from the actor log.
2. Fused: `impala_bmg.fused` on gymnax, `--seeds` seeds vmapped in one jit;
   frames/s = environment steps (all seeds) / seconds of `--fused_steps`
   compiled steps. Then the share of a step's time in acting (T steps of
   B environments), replay (push + the batch's draws) and the learner update,
   each jitted on its own on the same state, and the update's FLOP/s (XLA's
   FLOP count) beside a large matmul's. With `--convs=xla,im2col`,
   once per form of the torso's convolutions (`STACXConfig.im2col`).

  PYTHONPATH=. .venv/bin/python benchmarks/stacx_fused_speed.py
"""

import os
import tempfile
import time

from absl import app
from absl import flags
import jax
import numpy as np

from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import fused

_GAME = flags.DEFINE_string('game', 'breakout', 'MinAtar game.')
_AGENTS = flags.DEFINE_list('agents', ['stacx', 'bmg_kl_v_L1'],
                            'Agents (stacx, bmg_kl_v_L1, bmg_kl_v_L4).')
_ACME_FRAMES = flags.DEFINE_integer('acme_frames', 3600,
                                    'Frames of each Acme run.')
_ACME_WARMUP = flags.DEFINE_integer('acme_warmup', 600,
                                    'Acme frames left out of the rate.')
_FUSED_STEPS = flags.DEFINE_integer('fused_steps', 20,
                                    'Timed fused steps (after compiling).')
_SEEDS = flags.DEFINE_integer('seeds', 1, 'Fused: seeds in one program.')
_VMAP = flags.DEFINE_boolean('vmap_seeds', True, 'Fused: vmap the seeds '
                             '(else lax.map: one after another).')
_CONVS = flags.DEFINE_list('convs', ['xla'], 'Fused: the torso\'s conv '
                           'forms to time (xla, im2col).')
flags.register_validator('convs', lambda v: set(v) <= {'xla', 'im2col'},
                         '--convs: each must be xla or im2col.')
_SECTIONS = flags.DEFINE_enum('sections', 'all', ('all', 'fused', 'acme'),
                              'What to run (fused alone needs no acme).')

AGENTS = config_lib.AGENT_VARIANTS


def _config(agent, im2col=False):
  return config_lib.STACXConfig(torso_channels=config_lib.TORSO_WIDTHS[1],
                                im2col=im2col, **AGENTS[agent])


def acme_frames_per_second(agent):
  """Actor steps / s of a single-process Acme run, after the warm-up."""
  # pylint: disable=g-import-not-at-top
  import functools
  from bmg_agents.environments import registry
  from bmg_agents.experiments import config as experiment_config
  from bmg_agents.experiments import loggers
  from bmg_agents.experiments import results
  from bmg_agents.experiments import single_process
  from bmg_agents import impala_bmg
  config = _config(agent)
  with tempfile.TemporaryDirectory() as run_dir:
    experiment = experiment_config.ExperimentConfig(
        builder=impala_bmg.STACXBuilder(config),
        environment_factory=functools.partial(
            registry.make_environment, f'minatar:{_GAME.value}'),
        network_factory=functools.partial(impala_bmg.make_networks,
                                          config=config),
        seed=0, max_num_actor_steps=_ACME_FRAMES.value,
        logger_factory=loggers.make_logger_factory(run_dir))
    start = time.time()
    counts = single_process.run_experiment(experiment)
    total = time.time() - start
    log = results.read_log(run_dir, 'actor')
  later = log['actor_steps'] - log['episode_length'] >= _ACME_WARMUP.value
  frames = log['episode_length'][later].sum()
  seconds = (log['episode_length'][later] /
             log['steps_per_second'][later]).sum()
  print(f'  acme {agent}: {counts["actor_steps"]:.0f} frames, '
        f'{counts["learner_steps"]:.0f} learner steps in {total:.0f} s '
        f'(incl. start-up and compilation)', flush=True)
  return frames / seconds


def _timed(fn, first, *args, repeats):
  """Seconds per call of fn(first, *args) -> (first, ...), first donated."""
  first = fn(first, *args)[0]
  jax.block_until_ready(first)
  start = time.perf_counter()
  for _ in range(repeats):
    first = fn(first, *args)[0]
  jax.block_until_ready(first)
  return (time.perf_counter() - start) / repeats


def _over_seeds(fn):
  """fn over a leading axis of seeds: vmapped, or one after another."""
  if _VMAP.value:
    return jax.vmap(fn)
  return lambda *args: jax.lax.map(lambda a: fn(*a), args)


def fused_frames_per_second(agent, im2col):
  """(frames/s over all seeds, {part: seconds per step}) of the fused run."""
  config = _config(agent, im2col)
  fns = fused.make_fused_fns(config, _GAME.value)
  keys = jax.random.split(jax.random.PRNGKey(0), _SEEDS.value)
  state = jax.jit(jax.vmap(fns.init))(keys)
  # Donated, as `anakin.run` does: the replay is updated in place.
  step = jax.jit(_over_seeds(fns.step), donate_argnums=0)
  start = time.perf_counter()
  state, metrics = step(state)  # Compile, and fill the replay a little.
  jax.block_until_ready(state)
  compile_seconds = time.perf_counter() - start
  frames, start = 0., time.perf_counter()
  for _ in range(_FUSED_STEPS.value):
    state, metrics = step(state)
    frames += float(np.sum(metrics['env_steps']))
  jax.block_until_ready(state)
  rate = frames / (time.perf_counter() - start)
  print(f'  fused {agent}: compile + first step {compile_seconds:.0f} s',
        flush=True)
  # The parts, each on its own (jitted, vmapped over seeds; the replay and
  # the learner state donated, as in the fused step).
  act = jax.jit(_over_seeds(fns.act))
  acting_state = state._replace(replay=None)  # Acting never reads it.
  _, online, _ = act(acting_state)
  sample_keys = jax.random.split(jax.random.PRNGKey(1), _SEEDS.value)

  def replay(replay_state, online, key):
    pushed = fused.replay_push(replay_state, online)
    return pushed, fused.learner_batch(online, pushed, key, config)

  replay = jax.jit(_over_seeds(replay), donate_argnums=0)
  learner, replay_state = state.learner, state.replay
  replay_state, batch = replay(replay_state, online, sample_keys)
  update = jax.jit(_over_seeds(fns.update), donate_argnums=0).lower(
      learner, batch).compile()
  flops = update.cost_analysis()['flops']
  repeats = max(3, _FUSED_STEPS.value // 4)
  parts = {
      'acting': _timed(act, acting_state, repeats=repeats),
      'replay': _timed(replay, replay_state, online, sample_keys,
                       repeats=repeats),
      'learner update': _timed(update, learner, batch, repeats=repeats),
  }
  print(f'  fused {agent}: learner update {flops / 1e9:.1f} GFLOP (XLA\'s '
        f'count), {flops / parts["learner update"] / 1e9:.0f} GFLOP/s',
        flush=True)
  return rate, parts


def matmul_flops_per_second(n=1024, repeats=20):
  """FLOP/s of an n x n float32 matmul: the core's practical peak."""
  a = jax.numpy.ones((n, n))
  matmul = jax.jit(lambda a: (a @ a,))
  return 2 * n ** 3 / _timed(matmul, a, repeats=repeats)


def main(argv):
  del argv
  print(f'devices: {jax.devices()}; MinAtar {_GAME.value}, 1x torso, batch '
        f'6 online + 12 replay, unroll 20; fused seeds: {_SEEDS.value}',
        flush=True)
  print(f'float32 1024 x 1024 matmul: '
        f'{matmul_flops_per_second() / 1e9:.0f} GFLOP/s', flush=True)
  rows = []
  for agent in _AGENTS.value:
    acme = np.nan
    if _SECTIONS.value in ('all', 'acme'):
      acme = acme_frames_per_second(agent)
    for conv in _CONVS.value if _SECTIONS.value != 'acme' else ['xla']:
      rate, parts = np.nan, {}
      if _SECTIONS.value in ('all', 'fused'):
        rate, parts = fused_frames_per_second(agent, conv == 'im2col')
      rows.append((f'{agent} {conv}', acme, rate, parts))
  print(f'{"agent, conv":19s} {"acme fr/s":>10s} {"fused fr/s":>11s} '
        f'{"fused/acme":>10s}  fused step shares')
  for agent, acme, rate, parts in rows:
    total = sum(parts.values()) or np.nan
    shares = ', '.join(f'{k} {v / total:.0%} ({v * 1e3:.0f} ms)'
                       for k, v in parts.items())
    print(f'{agent:19s} {acme:10,.0f} {rate:11,.0f} {rate / acme:10.2f}  '
          f'{shares}', flush=True)


if __name__ == '__main__':
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  app.run(main)
