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

"""What every launcher shares: run flags, the results directory, the runner.

    cli.define_run_flags(('fused', 'single_process', 'launchpad'),
                         num_steps=40_000, results_dir='results/q_lambda')
    def main(argv):
      results_dir = cli.prepare_results_dir(argv)
      ...
      cli.run(experiment, name='q_lambda_bmg')   # single process / Launchpad
"""

import gc
import json
import os
import shutil
import sys
from typing import Any, Dict, Optional, Sequence

from absl import app
from absl import flags

from bmg_agents.experiments import results

RUNNERS = ('fused', 'single_process', 'launchpad')
FLAGS = flags.FLAGS
# What a run directory's identity file holds; bump when it changes.
RUN_FILE = 'run.json'
RUN_FORMAT = 1
# Flags that say how to treat the directory, not what the run is.
_NOT_IDENTITY = ('results_dir', 'overwrite', 'resume', 'save_every',
                 'checkpoint_every', 'learner_host_id')


def define_run_flags(runners: Sequence[str], num_steps: int, results_dir: str,
                     num_seeds: Optional[int] = None,
                     learner_hosts: bool = False) -> None:
  """Defines --runner, --seed, --num_steps, --results_dir, --overwrite,
  --resume and, where they apply, --num_seeds (fused), --save_every,
  --checkpoint_every, --num_actors, --lp_launch_type; with `learner_hosts`
  (for builders that shard batches over hosts, see `multihost`) also
  --num_learner_hosts, --learner_coordinator_address,
  --learner_cpu_devices, --learner_heartbeat_timeout and
  --learner_host_id: a Launchpad program starts the hosts (or, given
  --learner_host_id, each host's command starts its part: host 0 the
  program, host i > 0 learner host i); a single-process (offline) run is
  one host, started with its --learner_host_id on every host
  (`start_learner_host`)."""
  unknown = set(runners) - set(RUNNERS)
  if unknown:
    raise ValueError(f'runners must be from {RUNNERS}, got {sorted(unknown)}.')
  flags.DEFINE_enum('runner', runners[0], runners, 'How to run: fused '
                    '(jit+scan+vmap over seeds), single_process (acme '
                    'builder, Reverb, one process) or launchpad (a program '
                    'of replay, counter, learner and actor nodes).')
  flags.DEFINE_integer('seed', 0, 'Seed of the run (fused: the first seed).',
                       lower_bound=0)
  flags.DEFINE_integer('num_steps', num_steps, 'Step budget per seed.',
                       lower_bound=1)
  flags.DEFINE_string('results_dir', results_dir,
                      'The run\'s directory: CSV logs, checkpoints, figures.')
  flags.DEFINE_boolean('overwrite', False, 'Replace a results_dir that holds '
                       'another run (otherwise such a directory is refused).')
  flags.DEFINE_boolean('resume', False, 'Continue the run in results_dir '
                       'from its last checkpoint, to the same budget (its '
                       'flags must equal these); a new directory starts '
                       'the run.')
  if num_seeds is not None and 'fused' in runners:
    flags.DEFINE_integer('num_seeds', num_seeds, 'Seeds (fused runner).',
                         lower_bound=1)
  if 'fused' in runners:
    flags.DEFINE_integer('save_every', 50, 'Fused: metric rows between '
                         'checkpoints (0: only at a stop and the end).',
                         lower_bound=0)
  if set(runners) & {'single_process', 'launchpad'}:
    flags.DEFINE_integer('checkpoint_every', 0, 'Acme runners: learner steps '
                         'between checkpoints, besides every 30 minutes, at '
                         'a stop and at the end (0: by time only).',
                         lower_bound=0)
  if 'launchpad' in runners:
    flags.DEFINE_integer('num_actors', 1, 'Actor nodes (launchpad).',
                         lower_bound=1)
    flags.DEFINE_integer('num_evaluators', 0, 'Evaluator nodes (launchpad).',
                         lower_bound=0)
    # Launchpad defines --lp_launch_type on import; here only local types
    # run, and one process per node is the default.
    import launchpad  # pylint: disable=g-import-not-at-top,unused-import
    FLAGS.set_default('lp_launch_type', 'local_mp')
    flags.register_validator(
        'lp_launch_type', lambda v: v in ('local_mp', 'local_mt'),
        '--lp_launch_type must be local_mp or local_mt here.')
  if learner_hosts:
    _define_learner_host_flags('launchpad' in runners)


def _define_learner_host_flags(launchpad: bool) -> None:
  """The learner topology's flags (`multihost.LearnerHosts`)."""
  flags.DEFINE_integer('num_learner_hosts', 1, 'Learner nodes, one JAX '
                       'process each, joined by jax.distributed into one '
                       'pmapped update (launchpad, local_mp).', lower_bound=1)
  flags.DEFINE_string('learner_coordinator_address', None, 'host:port of '
                      'learner host 0\'s jax.distributed coordinator '
                      '(default: 127.0.0.1 and a free port).')
  flags.DEFINE_integer('learner_cpu_devices', 0, 'CPU devices forced in each '
                       'learner host process (the CPU form of a pod); 0: '
                       'its own devices.', lower_bound=0)
  flags.DEFINE_integer('learner_heartbeat_timeout', 20, 'Seconds without '
                       'a learner host\'s heartbeat after which every host '
                       'ends (jax\'s default: 100).', lower_bound=2)
  flags.register_validator(
      'learner_coordinator_address', _is_address,
      '--learner_coordinator_address must be host:port.')
  if launchpad:
    flags.register_multi_flags_validator(
        ['num_learner_hosts', 'runner', 'lp_launch_type'],
        lambda v: v['num_learner_hosts'] == 1 or (
            v['runner'] == 'launchpad' and v['lp_launch_type'] == 'local_mp'),
        '--num_learner_hosts > 1 needs --runner=launchpad and '
        '--lp_launch_type=local_mp (one process per learner host).')
    flags.DEFINE_integer(
        'learner_host_id', None, 'Per-host start (a pod\'s hosts): the '
        'same command on every host, each with its id; 0 runs learner host '
        '0 and every other node, i > 0 learner host i alone. Unset: every '
        'learner host here.', lower_bound=0)
    flags.register_multi_flags_validator(
        ['num_learner_hosts', 'learner_host_id'],
        lambda v: v['learner_host_id'] is None or v['num_learner_hosts'] > 1,
        '--learner_host_id needs --num_learner_hosts > 1.')
  else:  # The offline runner: one host per process, always started so.
    flags.DEFINE_integer('learner_host_id', 0, 'This process\'s learner '
                         'host (0 .. num_learner_hosts - 1); start the same '
                         'command on every host, each with its id.',
                         lower_bound=0)
  flags.register_multi_flags_validator(
      ['num_learner_hosts', 'learner_host_id'],
      lambda v: v['learner_host_id'] is None or (
          v['learner_host_id'] < v['num_learner_hosts']),
      '--learner_host_id must be below --num_learner_hosts.')
  flags.register_multi_flags_validator(
      ['num_learner_hosts', 'learner_host_id', 'learner_coordinator_address'],
      lambda v: v['num_learner_hosts'] == 1 or v['learner_host_id'] is None
      or v['learner_coordinator_address'] is not None,
      '--num_learner_hosts > 1 with --learner_host_id needs '
      '--learner_coordinator_address, the same host:port on every learner '
      'host (host 0 serves it).')


def remote_learner_host() -> Optional[int]:
  """This process's learner host id if it is host i > 0 of a per-host
  Launchpad start (it writes nothing; `run` runs that host alone)."""
  if 'runner' in FLAGS and FLAGS.runner == 'launchpad' and (
      'learner_host_id' in FLAGS and FLAGS.learner_host_id):
    return FLAGS.learner_host_id
  return None


def start_learner_host() -> int:
  """Joins this process to its learner hosts (--num_learner_hosts > 1,
  `multihost.initialize`) or forces --learner_cpu_devices in it; call
  before any JAX work. Returns this process's learner host id (0 for the
  one that logs, evaluates and checkpoints)."""
  from bmg_agents import anakin  # pylint: disable=g-import-not-at-top
  from bmg_agents.experiments import multihost  # pylint: disable=g-import-not-at-top
  if FLAGS.num_learner_hosts == 1:
    if FLAGS.learner_cpu_devices:
      anakin.force_host_devices(FLAGS.learner_cpu_devices)
    return 0
  multihost.initialize(learner_hosts(), FLAGS.learner_host_id)
  return FLAGS.learner_host_id


def learner_hosts():
  """The `multihost.LearnerHosts` the learner-host flags describe."""
  from bmg_agents.experiments import multihost  # pylint: disable=g-import-not-at-top
  return multihost.LearnerHosts(FLAGS.num_learner_hosts,
                                FLAGS.learner_coordinator_address,
                                FLAGS.learner_cpu_devices,
                                FLAGS.learner_heartbeat_timeout)


def check_learner_hosts_divide(*names: str) -> None:
  """Raises app.UsageError unless --num_learner_hosts divides each of the
  batch-size flags `names` (every host takes its share of every batch)."""
  for name in names:
    if FLAGS[name].value % FLAGS.num_learner_hosts:
      raise app.UsageError(f'num_learner_hosts: {FLAGS.num_learner_hosts} '
                           f'must divide --{name}={FLAGS[name].value}.')


def _is_address(value: Optional[str]) -> bool:
  from bmg_agents.experiments import multihost  # pylint: disable=g-import-not-at-top
  try:
    multihost.LearnerHosts(coordinator_address=value)
  except ValueError:
    return False
  return True


def run_flags() -> Dict[str, Any]:
  """The flags that identify a run: the launcher's and this package's."""
  main = sys.argv[0]
  values = {}
  for module, module_flags in FLAGS.flags_by_module_dict().items():
    if module == main or module.startswith('bmg_agents'):
      for flag in module_flags:
        if flag.name not in _NOT_IDENTITY:
          values[flag.name] = flag.value
  if 'lp_launch_type' in FLAGS:
    values['lp_launch_type'] = FLAGS.lp_launch_type
  return json.loads(json.dumps(values, default=str))  # As stored.


def _check_resumable(path: str, now: Dict[str, Any]) -> None:
  """Refuses to resume a directory whose run is another one."""
  try:
    with open(os.path.join(path, RUN_FILE)) as f:
      stored = json.load(f)
  except (OSError, ValueError):
    raise app.UsageError(f'--resume: --results_dir={path} holds no readable '
                         f'{RUN_FILE}, so not a run to continue.') from None
  if stored.get('format') != RUN_FORMAT:
    raise app.UsageError(
        f'--resume: {path}/{RUN_FILE} has format {stored.get("format")!r}, '
        f'this version reads {RUN_FORMAT}.')
  then = stored.get('flags', {})
  differ = [f'--{k} ({then.get(k, "unset")!r} there, {now.get(k, "unset")!r} '
            'here)' for k in sorted(set(then) | set(now))
            if then.get(k) != now.get(k)]
  if differ:
    raise app.UsageError(f'--resume: {path} holds a run with other flags: '
                         f'{", ".join(differ)}.')


def prepare_results_dir(argv: Sequence[str]) -> str:
  """Checks the command line and makes (or, to resume, checks) the run's
  results directory, which records the run's flags in `RUN_FILE`.

  Raises:
    app.UsageError: for extra positional arguments, a results_dir that holds
      another run (without --overwrite; with --resume, one whose flags
      differ, named), or one that cannot be written.
  """
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {" ".join(argv[1:])}')
  path = os.path.abspath(FLAGS.results_dir)
  if remote_learner_host():
    return path  # Host 0's; this host writes nothing.
  resume = 'resume' in FLAGS and FLAGS.resume
  if resume and FLAGS.overwrite:
    raise app.UsageError('--resume and --overwrite exclude each other.')
  now = run_flags()
  holds_run = os.path.isdir(path) and bool(os.listdir(path))
  if holds_run and resume:
    _check_resumable(path, now)
  elif holds_run:
    if not FLAGS.overwrite:
      raise app.UsageError(
          f'--results_dir={path} holds another run; choose a new directory, '
          'pass --resume to continue it or --overwrite to replace it.')
    shutil.rmtree(path)
  try:
    os.makedirs(path, exist_ok=True)
    if not (holds_run and resume):
      results.write_atomically(
          os.path.join(path, RUN_FILE),
          lambda f: json.dump(dict(format=RUN_FORMAT, flags=now), f,
                              indent=1, sort_keys=True))
  except OSError as e:
    raise app.UsageError(f'--results_dir={path} cannot be written: '
                         f'{e.strerror}.') from None
  return path


def fused_checkpointing(results_dir: str, name: str, stop) -> Dict[str, Any]:
  """`sweep.run_job`'s checkpoint arguments for agent `name` of a fused run:
  `<results_dir>/checkpoints/<name>.npz` every --save_every rows, at a stop
  (`stop`, a `stopping.StopOnSignal`) and at the end; --resume continues it.
  """
  path = os.path.join(results_dir, 'checkpoints',
                      ''.join(c if c.isalnum() or c in '-_.=' else '_'
                              for c in name) + '.npz')
  return dict(checkpoint=path, save_every=FLAGS.save_every,
              resume=FLAGS.resume, stop=stop)


def report_two_colors(results_dir: str, runs, intervals, flip_period: int,
                      schedule_key: str, schedule_label: str) -> None:
  """Writes a fused two-colours comparison: metrics.csv, a PNG, a summary.

  Args:
    results_dir: the run's directory.
    runs: {agent label: {metric: [seeds, intervals] array}}.
    intervals: steps per logged interval (one int, or one per label).
    flip_period: steps between reward flips (dotted lines in the figure).
    schedule_key: the meta-learned quantity's metric, e.g. 'epsilon'.
    schedule_label: its axis label.
  """
  # Imported here: matplotlib takes a second to import.
  from bmg_agents.experiments import plotting  # pylint: disable=g-import-not-at-top
  per_label = results.per_label(intervals, runs)
  rows = [row for label, metrics in runs.items()
          for row in results.metrics_to_rows(label, metrics, per_label[label])]
  # The directory is this run's (`prepare_results_dir`); a resumed run
  # rewrites its whole results.
  csv_path = results.write_rows(
      os.path.join(results_dir, 'metrics.csv'), rows, overwrite=True,
      columns=list(dict.fromkeys(k for row in rows for k in row)))
  png_path = os.path.join(results_dir, 'two_colors.png')
  plotting.plot_curves(png_path, plotting.two_colors_panels(
      runs, per_label, flip_period, schedule_key, schedule_label))
  print('\n'.join(results.summary(runs, per_label)))
  print(f'Wrote {csv_path} and {png_path}.')


def make_experiment(builder, environment_factory, network_factory,
                    run_dir: str, **kwargs):
  """An `ExperimentConfig` with --seed, --num_steps, CSV logs and
  checkpoints under `run_dir`; `kwargs` set its other fields."""
  from bmg_agents.experiments import config  # pylint: disable=g-import-not-at-top
  from bmg_agents.experiments import loggers  # pylint: disable=g-import-not-at-top
  return config.ExperimentConfig(
      builder=builder, environment_factory=environment_factory,
      network_factory=network_factory, seed=FLAGS.seed,
      max_num_actor_steps=FLAGS.num_steps,
      logger_factory=loggers.make_logger_factory(run_dir,
                                                 resume=FLAGS.resume),
      checkpointing=config.CheckpointingConfig(
          run_dir, every_learner_steps=FLAGS.checkpoint_every or None),
      **kwargs)


def run(experiment, name: str):
  """Runs an `ExperimentConfig` as --runner says (single process/Launchpad).

  Returns:
    The final counts (Launchpad: those saved with the final checkpoint).
  """
  # Imported here: acme, Reverb and TensorFlow take seconds to import.
  from bmg_agents.experiments import distributed  # pylint: disable=g-import-not-at-top
  from bmg_agents.experiments import loggers  # pylint: disable=g-import-not-at-top
  from bmg_agents.experiments import single_process  # pylint: disable=g-import-not-at-top
  if FLAGS.runner not in ('single_process', 'launchpad'):
    raise ValueError(f'cli.run runs single_process or launchpad experiments, '
                     f'not {FLAGS.runner!r}.')
  try:
    if FLAGS.runner == 'single_process':
      counts = single_process.run_experiment(experiment)
      print('final counts:', counts)
      return counts
    hosts, host_id = None, None
    if 'num_learner_hosts' in FLAGS:
      hosts, host_id = learner_hosts(), FLAGS.learner_host_id
    if remote_learner_host():  # Ends the process.
      distributed.run_learner_host(experiment, hosts, host_id)
    counts = single_process.saved_counts(experiment.checkpointing)
    if counts.get('actor_steps', 0) < experiment.max_num_actor_steps:
      # Else a finished run: nothing to launch.
      program = distributed.make_distributed_experiment(
          experiment, FLAGS.num_actors, FLAGS.num_evaluators, name, hosts,
          host_id)
      distributed.launch(program, FLAGS.lp_launch_type)
      counts = single_process.saved_counts(experiment.checkpointing)
    print('final counts:', counts)
    return counts
  except (loggers.NonFiniteError, distributed.NodeFailure) as e:
    message = f'{name}: {e}'
  # Raised once the exception (and the run's objects its traceback holds,
  # e.g. a Reverb writer that logs while it closes) is gone, so the one
  # line is the last.
  gc.collect()
  raise SystemExit(message)  # Exit status 1.
