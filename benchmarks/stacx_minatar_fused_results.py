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

"""The MinAtar table of issue 14: games x agents x seeds, fused, resumable.

Every (game, agent[, meta_eps]) setting is one fused run of all its seeds
(`impala_bmg.fused`, gymnax); `experiments.sweep.run_sweep` stores each
finished setting as `<results_dir>/<setting>.json` (commit them), skips
finished settings on a rerun, refuses one whose spec changed, and continues
a half-finished one from its checkpoint with --resume (bit for bit the
uninterrupted run). Then it prints, per game, a random-policy row and each
agent's mean ± s.e. over seeds of the episode return over the last 10% of
frames, with "above random: yes" when that mean is 2 s.e. above random play
(the "learns above random" check; no test-sized budget shows it), the
main head's meta-parameters at the end, and draws `<results_dir>/<--figure>`
(return over frames; default minatar_fused.png). SIGINT / SIGTERM checkpoint
the running setting and exit 130 / 143.

  PYTHONPATH=. .venv/bin/python benchmarks/stacx_minatar_fused_results.py \
      --games=breakout,asterix,space_invaders,freeway --meta_eps=1e-8 \
      --num_seeds=3 --num_frames=100000 --log_every=10000 --save_every=2 \
      --results_dir=docs/results/minatar_fused --resume
  # meta-Adam's eps first, on one game:
  ... --games=breakout --agents=bmg_kl_v_L1,stacx --meta_eps=1e-4,1e-6,1e-8
  # other STACXConfig fields for every setting (a results dir of their own):
  ... --config=learning_rate=1e-3
  # a figure of its own for each command sharing a results dir:
  ... --games=asterix --figure=asterix.png

Frames are sequence steps (an episode's padded final step included: one per
episode); each setting's JSON also holds the exact environment steps.
"""

import dataclasses
import functools

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from bmg_agents import anakin
from bmg_agents.experiments import config_flags
from bmg_agents.experiments import plotting
from bmg_agents.experiments import results
from bmg_agents.experiments import stopping
from bmg_agents.experiments import sweep
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import fused

AGENTS = config_lib.AGENT_VARIANTS
LABELS = {'stacx': 'STACX (MG)', 'bmg_kl_v_L1': 'BMG KL & V, L = 1',
          'bmg_kl_v_L4': 'BMG KL & V, L = 4'}  # Legends.
_GAMES = flags.DEFINE_list('games', ['breakout', 'asterix', 'freeway',
                                     'space_invaders'], 'MinAtar games.')
_AGENTS = flags.DEFINE_list('agents', list(AGENTS), f'From {list(AGENTS)}.')
_META_EPS = flags.DEFINE_list('meta_eps', ['1e-4'], "Meta-Adam's eps "
                              '(several: each a setting).')
_CONFIG = flags.DEFINE_multi_string(
    'config', [], "field=value of STACXConfig for every setting (the table: "
    "Table 2's, with the 1x torso).")
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 3, 'Seeds per setting.',
                                  lower_bound=1)
_NUM_FRAMES = flags.DEFINE_integer('num_frames', 5_000_000,
                                   'Frames per seed.', lower_bound=1)
_LOG_EVERY = flags.DEFINE_integer('log_every', 24_000, 'Frames per row.',
                                  lower_bound=1)
_SAVE_EVERY = flags.DEFINE_integer('save_every', 20, 'Rows between '
                                   'checkpoints (0: none).', lower_bound=0)
_RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/minatar_fused',
                                   'Where the settings\' JSON files go.')
_RESUME = flags.DEFINE_boolean('resume', False, 'Continue half-done '
                               'settings from their checkpoints.')
_FIGURE = flags.DEFINE_string('figure', 'minatar_fused.png',
                              'PNG in --results_dir.')
_GROUP = flags.DEFINE_integer(
    'max_seeds_per_group', 0, 'Seeds vmapped together per device (0: all; '
    'see fused.make_job).', lower_bound=0)
_TAIL = .1  # The final fraction of frames the table averages over.


def make_settings():
  """{name: (spec, job factory)} of every game x agent x meta_eps."""
  settings = {}
  seeds = list(range(_NUM_SEEDS.value))
  fields = sweep.parse_pairs(_CONFIG.value, 'config')
  for game in _GAMES.value:
    for agent in _AGENTS.value:
      for eps in _META_EPS.value:
        config = config_flags.from_strings(config_lib.STACXConfig, {
            'torso_channels': ','.join(map(str, config_lib.TORSO_WIDTHS[1])),
            'meta_eps': eps, **AGENTS[agent], **fields})
        if 'learning_rate_decay_steps' not in fields:
          # The learning rate decays to 0 over the run (as run_stacx.py).
          config = dataclasses.replace(
              config, learning_rate_decay_steps=max(1, _NUM_FRAMES.value // (
                  config.online_batch_size * config.unroll_length)))
        # Refused here, before any work, if a row is under one step.
        fused.plan(config.online_batch_size * config.unroll_length,
                   _NUM_FRAMES.value, _LOG_EVERY.value)
        name = f'game={game},agent={agent}'
        if len(_META_EPS.value) > 1:
          name += f',meta_eps={eps}'
        spec = sweep.make_spec(config, game=game, seeds=seeds,
                               num_frames=_NUM_FRAMES.value,
                               log_every=_LOG_EVERY.value)
        settings[name] = (spec, functools.partial(
            fused.make_job, config, game, seeds, _NUM_FRAMES.value,
            _LOG_EVERY.value, max_seeds_per_group=_GROUP.value or None))
  return settings


def random_policy_return(game: str, num_envs: int = 64,
                         num_steps: int = 5000) -> float:
  """Mean return of the episodes uniform random play finishes."""
  env, params = fused.make_gymnax_env(game)

  def step(carry, key):
    state, episode_return = carry
    action_key, step_key = jax.random.split(key)
    actions = jax.random.randint(action_key, (num_envs,), 0, env.num_actions)
    _, state, reward, terminated, truncated, _ = jax.vmap(
        env.step, (0, 0, 0, None))(jax.random.split(step_key, num_envs),
                                   state, actions, params)
    ended = jnp.logical_or(terminated, truncated)
    episode_return = episode_return + reward
    return (state, jnp.where(ended, 0., episode_return)), (
        jnp.sum(jnp.where(ended, episode_return, 0.)), jnp.sum(ended))

  _, state = jax.vmap(env.reset, (0, None))(
      jax.random.split(jax.random.PRNGKey(0), num_envs), params)
  _, (returns, ended) = jax.jit(lambda s, k: jax.lax.scan(
      step, (s, jnp.zeros((num_envs,))), k))(
          state, jax.random.split(jax.random.PRNGKey(1), num_steps))
  return float(jnp.sum(returns) / jnp.maximum(jnp.sum(ended), 1))


def return_curves(result):
  """(frames [N], episode return [seeds, N]) of a setting's JSON, at the
  rows where some seed finished an episode (Freeway's 2,500-step episodes
  end in lockstep, leaving rows without one)."""
  curves = result['curves']
  episodes = np.asarray(curves['episodes'])
  with np.errstate(invalid='ignore', divide='ignore'):
    returns = np.where(episodes > 0,
                       np.asarray(curves['return_sum']) / episodes, np.nan)
  frames = result['curve_steps'] * np.arange(1, returns.shape[1] + 1)
  ended = episodes.sum(0) > 0
  return frames[ended], returns[:, ended]


def final_return(result) -> np.ndarray:
  """[seeds] return of the episodes ending in the last 10% of frames."""
  curves = result['curves']
  n = max(1, int(round(_TAIL * len(curves['episodes'][0]))))
  episodes = np.asarray(curves['episodes'])[:, -n:].sum(1)
  with np.errstate(invalid='ignore', divide='ignore'):
    return np.asarray(curves['return_sum'])[:, -n:].sum(1) / episodes


def meta_parameters_at_end(result) -> str:
  """The main head's meta-parameters in the last row (range over seeds) and
  the median meta-gradient norm per seed."""
  curves = result['curves']
  ends = []
  for key, label in (('discount', 'γ'), ('lambda', 'λ'), ('alpha', 'α'),
                     ('pg_cost', 'ε_PG'), ('entropy_cost', 'ε_EN'),
                     ('td_cost', 'ε_TD')):
    end = np.asarray(curves[f'{key}_0'])[:, -1]
    ends.append(f'{label} {end.min():.4g}-{end.max():.4g}')
  norms = np.nanmedian(np.asarray(curves['meta_grad_norm']), axis=1)
  return (f'main head at the end: {", ".join(ends)}; median meta-gradient '
          f'norm {", ".join(f"{n:.2g}" for n in norms)}')


def main(argv):
  if argv[1:]:
    raise app.UsageError(f'unexpected arguments: {" ".join(argv[1:])}')
  anakin.use_classic_cpu_runtime()  # 4-5x faster scans on XLA:CPU.
  sweep.check_figure(_FIGURE.value)
  unknown = sorted(set(_AGENTS.value) - set(AGENTS))
  if unknown:
    raise app.UsageError(f'--agents: unknown {unknown}; from {list(AGENTS)}.')
  bad = sorted(set(_GAMES.value) - set(fused.GYMNAX_NAMES))
  if bad:
    raise app.UsageError(f'--games: unknown {bad}; from '
                         f'{list(fused.GYMNAX_NAMES)}.')
  try:
    settings = make_settings()
  except ValueError as e:
    raise app.UsageError(f'--{e}') from None
  with stopping.StopOnSignal() as stop:  # Checkpoint, then exit 130 / 143.
    try:
      done = sweep.run_sweep(
          settings, _RESULTS_DIR.value, _SAVE_EVERY.value, _RESUME.value,
          progress=lambda name, job: anakin.Progress(
              job.num_rows * job.row_steps, _NUM_SEEDS.value, name),
          stop=stop)
    except (ValueError, OSError) as e:
      raise app.UsageError(str(e)) from None
  panels = []
  for game in _GAMES.value:
    random_return = random_policy_return(game)
    print(f'{game}: random policy {random_return:.2f}')
    curves = []
    for name, result in done.items():
      if f'game={game},' not in name:
        continue
      returns = final_return(result)
      mean, stderr = results.mean_and_stderr(returns[:, None])
      # "Learns above random": the mean 2 s.e. above random play.
      above = mean[0] - 2 * stderr[0] > random_return
      print(f'  {name}: final {_TAIL:.0%} of frames {mean[0]:.2f} ± '
            f'{stderr[0]:.2f} (n={results.num_seeds(returns[:, None])}, '
            f'{result["seconds"]:.0f} s); above random: '
            f'{"yes" if above else "no"}')
      print(f'    {meta_parameters_at_end(result)}')
      agent, _, eps = name.split(',agent=')[1].partition(',meta_eps=')
      curves.append(plotting.Curve(
          LABELS[agent] + (f', meta eps {eps}' if eps else ''),
          *return_curves(result)))
    panels.append(plotting.Panel(
        f'MinAtar {game}', 'frames', 'episode return (mean ± s.e.)', curves,
        hlines=[(random_return, 'uniform random policy')]))
  if panels:
    path = f'{_RESULTS_DIR.value}/{_FIGURE.value}'
    settings = ', '.join(
        ["fused, 1x torso, Table 2 otherwise", *_CONFIG.value] +
        ([f'meta-Adam eps {_META_EPS.value[0]}']
         if len(_META_EPS.value) == 1 else []))
    plotting.plot_curves(path, panels, title=(
        f'{_NUM_SEEDS.value} seeds x {_NUM_FRAMES.value:,} frames per '
        f'setting ({settings})'))
    print(f'wrote {path}')


if __name__ == '__main__':
  app.run(main)
