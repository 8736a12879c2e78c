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

"""A resumable sweep of fused two-colours runs: settings x seeds.

  python launchers/sweep_grid_world.py --agent=actor_critic \
      --config=meta_objective=none --sweep=learning_rate=0.1,0.03,0.01 \
      --sweep=entropy=0.01,0.1 --num_seeds=5 --num_steps=2000000 \
      --results_dir=docs/results/ac_lr_sweep

Each setting (one value per --sweep axis, on top of the --config fields) is
one fused run of all seeds; when it ends, `<results_dir>/<setting>.json`
holds its results (commit these); <results_dir>/sweep.png draws every
finished setting. A rerun skips finished settings and
refuses a results_dir whose settings were made differently; --resume
continues a half-finished setting from its checkpoint (saved every
--save_every rows under <results_dir>/checkpoints/, which git ignores).
"""

import itertools
import json
import os

from absl import app
from absl import flags
import numpy as np

from bmg_agents import anakin

AGENTS = ('actor_critic', 'q_lambda')
_AGENT = flags.DEFINE_enum('agent', None, AGENTS, 'The grid-world agent.')
_CONFIG = flags.DEFINE_multi_string(
    'config', [], 'field=value of the agent\'s config, for every setting.')
_SWEEP = flags.DEFINE_multi_string(
    'sweep', [], 'field=v1,v2,...: an axis of the grid (settings are every '
    'combination of the axes\' values).')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 5, 'Seeds per setting.',
                                  lower_bound=1)
_SEED = flags.DEFINE_integer('seed', 0, 'The first seed.', lower_bound=0)
_NUM_STEPS = flags.DEFINE_integer('num_steps', 1_000_000,
                                  'Environment steps per seed.', lower_bound=1)
_FLIP_PERIOD = flags.DEFINE_integer(
    'flip_period', 100_000, 'Steps between reward flips (paper: 100000).',
    lower_bound=1)
_LOG_EVERY = flags.DEFINE_integer(
    'log_every', 2000, 'Steps per metrics row (actor-critic: rounded to '
    'whole meta-update cycles).', lower_bound=1)
_SAVE_EVERY = flags.DEFINE_integer(
    'save_every', 100, 'Metric rows between checkpoints of a running '
    'setting (0: none).', lower_bound=0)
_RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/sweep',
                                   'Where the settings\' results go.')
_RESUME = flags.DEFINE_boolean(
    'resume', False, 'Continue half-finished settings from their checkpoints.')
_GROUP = flags.DEFINE_integer(
    'max_seeds_per_group', 5, 'Seeds vmapped together per device (same '
    'results; see anakin.run).', lower_bound=1)
flags.mark_flag_as_required('agent')


def _config_class(agent):
  # pylint: disable=g-import-not-at-top
  if agent == 'actor_critic':
    from bmg_agents.actor_critic_bmg import config
    return config.ActorCriticBMGConfig
  from bmg_agents.q_lambda_bmg import config
  return config.QLambdaConfig


def _parse(pair: str, flag: str):
  field, sep, value = pair.partition('=')
  if not sep or not field:
    raise app.UsageError(f'--{flag}={pair}: expected field=value.')
  return field, value


def make_config(cls, fields):
  """The config of `fields` ({name: string value}), through its flags."""
  from bmg_agents.experiments import config_flags  # pylint: disable=g-import-not-at-top
  values = flags.FlagValues()
  config_flags.define_flags(cls, flag_values=values)
  try:
    values(['sweep'] + [f'--{k}={v}' for k, v in fields.items()])
  except flags.Error as e:
    raise app.UsageError(f'{cls.__name__}: {e}') from None
  return config_flags.from_flags(cls, flag_values=values)


def make_settings(cls):
  """{name: (spec, job factory)} of every combination of the axes."""
  # pylint: disable=g-import-not-at-top
  import jax
  from bmg_agents.actor_critic_bmg import fused as ac_fused
  from bmg_agents.q_lambda_bmg import fused as q_fused
  base = dict(_parse(p, 'config') for p in _CONFIG.value)
  axes = {}
  for pair in _SWEEP.value:
    field, values = _parse(pair, 'sweep')
    axes[field] = values.split(',')
  settings = {}
  for combination in itertools.product(*axes.values()):
    chosen = dict(zip(axes, combination))
    config = make_config(cls, {**base, **chosen})
    name = ','.join(f'{k}={v}' for k, v in chosen.items()) or 'base'
    spec = json.loads(json.dumps({
        'agent': _AGENT.value,
        **{f'config.{k}': v for k, v in vars(config).items()},
        'num_seeds': _NUM_SEEDS.value, 'seed': _SEED.value,
        'num_steps': _NUM_STEPS.value, 'flip_period': _FLIP_PERIOD.value,
        'log_every': _LOG_EVERY.value,
        'max_seeds_per_group': _GROUP.value,
        'devices': jax.local_device_count()}, default=str))
    if _AGENT.value == 'actor_critic':
      seeds = np.arange(_SEED.value, _SEED.value + _NUM_SEEDS.value)
      make = lambda c=config, s=seeds: ac_fused.make_job(
          c, s, _NUM_STEPS.value, _LOG_EVERY.value,
          flip_period=_FLIP_PERIOD.value, max_seeds_per_group=_GROUP.value)
    else:
      if _NUM_STEPS.value % _LOG_EVERY.value:
        raise app.UsageError('--num_steps must be a multiple of --log_every '
                             'for q_lambda.')
      make = lambda c=config: q_fused.make_job(
          c, _NUM_SEEDS.value, _NUM_STEPS.value, _LOG_EVERY.value,
          _FLIP_PERIOD.value, _SEED.value,
          max_seeds_per_group=_GROUP.value)
    settings[name] = (spec, make)
  return settings


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {" ".join(argv[1:])}')
  anakin.force_host_devices(2)  # Seeds split over both cores.
  # pylint: disable=g-import-not-at-top
  from bmg_agents.experiments import plotting
  from bmg_agents.experiments import results
  from bmg_agents.experiments import stopping
  from bmg_agents.experiments import sweep
  settings = make_settings(_config_class(_AGENT.value))
  # A signal: the running setting saves a checkpoint, exit 130 / 143.
  with stopping.StopOnSignal() as stop:
    try:
      done = sweep.run_sweep(
          settings, _RESULTS_DIR.value, _SAVE_EVERY.value, _RESUME.value,
          progress=lambda name, job: anakin.Progress(
              job.num_rows * job.row_steps, _NUM_SEEDS.value, label=name),
          stop=stop)
    except (ValueError, OSError) as e:
      raise app.UsageError(str(e)) from None
  schedule = ('entropy_weight', 'entropy weight') if (
      _AGENT.value == 'actor_critic') else ('epsilon', 'ε')
  png = os.path.join(_RESULTS_DIR.value, 'sweep.png')
  plotting.plot_curves(png, plotting.two_colors_panels(
      {n: r['curves'] for n, r in done.items()},
      {n: r['curve_steps'] for n, r in done.items()}, _FLIP_PERIOD.value,
      *schedule))
  print(f'Wrote {png}.')
  for name, result in done.items():
    totals = np.asarray(result['totals'])[:, None]
    mean, stderr = results.mean_and_stderr(totals)
    diverged = len(result['diverged_seeds'])
    print(f'{name}: total reward {mean[0]:,.0f} ± {stderr[0]:,.0f} (s.e., '
          f'n={len(totals)} seeds; {diverged} diverged), '
          f'{result["seconds"]:.0f} s')


if __name__ == '__main__':
  app.run(main)
