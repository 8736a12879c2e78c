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
      --config=meta_objective=none --sweep=learning_rate=0.1,0.03,0.01

A setting (a value per --sweep axis) is one fused run of all its seeds, one
<results_dir>/<setting>.json; `experiments.sweep` says what reruns skip.
"""

import functools

from absl import app
from absl import flags
import numpy as np

from bmg_agents import anakin

_int = functools.partial(flags.DEFINE_integer, lower_bound=1)
_AGENT = flags.DEFINE_enum('agent', None, ('actor_critic', 'q_lambda'),
                           'The grid-world agent.', required=True)
_CONFIG = flags.DEFINE_multi_string('config', [], 'field=value of the '
                                    'agent\'s config, for every setting.')
_SWEEP = flags.DEFINE_multi_string('sweep', [], 'field=v1,v2,...: a grid axis.')
_PAIRED = flags.DEFINE_boolean('paired', False, 'Pair the axes\' values.')
_NUM_SEEDS = _int('num_seeds', 5, 'Seeds per setting.')
_SEED = _int('seed', 0, 'The first seed.', lower_bound=0)
_NUM_STEPS = _int('num_steps', 1_000_000, 'Steps per seed.')
_FLIP = _int('flip_period', 100_000, 'Steps between reward flips.')
_LOG_EVERY = _int('log_every', 2000, 'Steps per row (actor-critic: cycles).')
_SAVE_EVERY = _int('save_every', 100, 'Rows between checkpoints (0: none).',
                   lower_bound=0)
_GROUP = _int('max_seeds_per_group', 5, 'Seeds vmapped together per device.')
_RESULTS_DIR = flags.DEFINE_string('results_dir', 'results/sweep', 'Output.')
_FIGURE = flags.DEFINE_string('figure', 'sweep.png', 'PNG in --results_dir.')
_RESUME = flags.DEFINE_boolean('resume', False, 'Continue half-done settings.')


def main(argv):
  if argv[1:]:
    raise app.UsageError(f'unexpected arguments: {" ".join(argv[1:])}')
  anakin.force_host_devices(2)  # Seeds split over both cores.
  # pylint: disable=g-import-not-at-top
  import jax
  from bmg_agents.actor_critic_bmg import config as ac_config, fused as ac
  from bmg_agents.experiments import plotting, stopping, sweep
  from bmg_agents.q_lambda_bmg import config as q_config, fused as q
  sweep.check_figure(_FIGURE.value)
  seeds = np.arange(_SEED.value, _SEED.value + _NUM_SEEDS.value)
  n, every, flip, group = (_NUM_STEPS.value, _LOG_EVERY.value, _FLIP.value,
                           _GROUP.value)
  if _AGENT.value == 'actor_critic':
    cls, schedule = ac_config.ActorCriticBMGConfig, 'entropy_weight'
    make_job = lambda c: ac.make_job(c, seeds, n, every, flip_period=flip,
                                     max_seeds_per_group=group)
  else:
    cls, schedule = q_config.QLambdaConfig, 'epsilon'
    make_job = lambda c: q.make_job(c, len(seeds), n, every, flip,
                                    _SEED.value, max_seeds_per_group=group)
  settings = sweep.make_settings(
      cls, _CONFIG.value, _SWEEP.value, make_job, _PAIRED.value,
      agent=_AGENT.value, num_seeds=len(seeds), seed=_SEED.value,
      num_steps=n, flip_period=flip, log_every=every,
      max_seeds_per_group=group, devices=jax.local_device_count())
  with stopping.StopOnSignal() as stop:  # Checkpoint, then exit 130 / 143.
    try:
      done = sweep.run_sweep(
          settings, _RESULTS_DIR.value, _SAVE_EVERY.value, _RESUME.value,
          progress=lambda name, job: anakin.Progress(
              job.num_rows * job.row_steps, len(seeds), label=name),
          stop=stop)
    except (ValueError, OSError) as e:
      raise app.UsageError(str(e)) from None
  plotting.plot_sweep(
      done, f'{_RESULTS_DIR.value}/{_FIGURE.value}', flip, schedule,
      title=(f'{_AGENT.value}, {len(seeds)} seeds x {n:,} steps, flips every '
             f'{flip:,}: {", ".join(_CONFIG.value)}'))
  print('\n'.join(sweep.table(done, schedule)))


if __name__ == '__main__':
  app.run(main)
