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

"""Fused (Anakin) STACX / STACX-BMG on MinAtar: gymnax, replay, learner.

One seed's state is (learner state, B gymnax MinAtar environments, an
on-device replay of trajectories, rng), B = `online_batch_size`. One fused
step acts T = `unroll_length` steps in the B environments with the main head,
pushes the B trajectories into the replay, and takes one learner update on
τ = the B online + `replay_batch_size` replayed trajectories, plus
`num_extra_replay_batches` replay-only batches of fresh uniform draws: the
data layout of `builder._learner_batches`, and the update is
`learning.make_learner_fns(...).update`, the function `STACXLearner` pmaps.
`anakin.run` vmaps the step over seeds, scans it and pmaps seeds over
devices; `experiments.sweep.run_job` adds chunked progress, checkpoints and
exact resume.

Trajectories follow acme's sequence-adder layout, which the learner's masks
assume: an episode's final observation takes a step of its own (action,
reward, discount and logits zero, no environment step), and the transition
out of it into the next episode is marked invalid. Sequences of T + 1 steps
overlap by one; of the last step only the observation (and whether it starts
an episode) is used, so its other fields are zero here.

The replay is a ring buffer written here (see `Replay`): flashbax is not in
the pinned stack, and uniform sampling with replacement over a fixed-size
array is a dozen lines. Observations are stored as uint8 (MinAtar's are 0/1,
so the cast back to float32 is exact), a quarter of the memory.

Imports no acme, launchpad, reverb or TensorFlow (gymnax imports flax and
gymnasium).
"""

import functools
import os
import types
from typing import Any, Dict, NamedTuple, Optional, Sequence

import chex
import jax
import jax.numpy as jnp
import numpy as np

from bmg_agents import anakin
from bmg_agents.experiments import results
from bmg_agents.experiments import stopping
from bmg_agents.experiments import sweep
from bmg_agents.impala_bmg import acting
from bmg_agents.impala_bmg import config as config_lib
from bmg_agents.impala_bmg import learning
from bmg_agents.impala_bmg import losses
from bmg_agents.impala_bmg import networks as networks_lib

# The project's MinAtar names (environments.minatar.GAMES) -> gymnax's.
GYMNAX_NAMES = {
    'asterix': 'Asterix-MinAtar',
    'breakout': 'Breakout-MinAtar',
    'freeway': 'Freeway-MinAtar',
    'seaquest': 'Seaquest-MinAtar',
    'space_invaders': 'SpaceInvaders-MinAtar',
}
# Games whose time limit is a rule of the game in the `minatar` package
# (Freeway ends after 2500 frames, discount 0); gymnax truncates there.
_TIME_LIMIT_ENDS_GAME = ('freeway',)
# The `minatar` package (the Acme path) caps no other game's episodes;
# gymnax caps them at 1000 steps unless told otherwise.
_NO_CAP = 2**30
# MinAtar's default (the Acme path's `MinAtarEnvironment`).
STICKY_ACTION_PROB = .1
# Learner metrics drawn per setting beside the episode return.
CURVE_KEYS = ('return_sum', 'episodes', 'env_steps', 'entropy',
              'meta_grad_norm') + tuple(
    f'{name}_0' for name in ('discount', 'lambda', 'alpha', 'pg_cost',
                             'entropy_cost', 'td_cost'))


def make_gymnax_env(game: str, max_episode_steps: Optional[int] = None):
  """(gymnax environment, its params) for one of `GYMNAX_NAMES`.

  Args:
    game: a project MinAtar name, e.g. 'breakout'.
    max_episode_steps: truncate episodes there (None: as the `minatar`
      package does: Freeway at its 2500-frame rule, the others never).

  Raises:
    ValueError: for an unknown game (naming --env).
  """
  if game not in GYMNAX_NAMES:
    raise ValueError(f'env: MinAtar games are {", ".join(GYMNAX_NAMES)}; '
                     f'got {game!r}.')
  import gymnax  # pylint: disable=g-import-not-at-top
  env, params = gymnax.make(GYMNAX_NAMES[game])
  if max_episode_steps is not None:
    params = params.replace(max_steps_in_episode=max_episode_steps)
  elif game not in _TIME_LIMIT_ENDS_GAME:
    params = params.replace(max_steps_in_episode=_NO_CAP)
  return env, params


class EnvState(NamedTuple):
  """One environment between two sequence steps (acme's adder layout).

  Attributes:
    game: the gymnax state.
    observation: the observation to act on (already the next episode's
      first one after an episode ended).
    final_observation: the last observation of the episode that just ended.
    pending: the next sequence step is `final_observation`'s padded step.
    start: the next non-padded step starts an episode.
    last_action: the action last executed (sticky actions repeat it).
    episode_return: the return of the running episode so far.
  """
  game: Any
  observation: chex.Array
  final_observation: chex.Array
  pending: chex.Array
  start: chex.Array
  last_action: chex.Array
  episode_return: chex.Array

  def step_observation(self) -> chex.Array:
    """The observation of the next sequence step (any batch shape)."""
    extra = self.observation.ndim - self.pending.ndim
    pending = self.pending.reshape(self.pending.shape + (1,) * extra)
    return jnp.where(pending, self.final_observation, self.observation)


class Replay(NamedTuple):
  """A ring buffer of trajectories, sampled uniformly with replacement.

  Attributes:
    data: `Trajectories` whose leaves have a leading axis of capacity;
      observations as uint8.
    index: where the next trajectory goes.
    size: trajectories stored (at most the capacity).
  """
  data: losses.Trajectories
  index: chex.Array
  size: chex.Array


def replay_init(capacity: int, example: losses.Trajectories) -> Replay:
  """An empty replay for trajectories shaped like `example` [T + 1, ...]."""
  def zeros(x, dtype=None):
    return jnp.zeros((capacity,) + x.shape, dtype or x.dtype)
  data = jax.tree_util.tree_map(zeros, example)
  data = data._replace(observation=zeros(example.observation, jnp.uint8),
                       is_replay=jnp.ones((capacity,), bool))
  return Replay(data, jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))


def replay_push(replay: Replay, batch: losses.Trajectories) -> Replay:
  """Writes the [N, T + 1, ...] trajectories over the oldest ones."""
  capacity = replay.data.action.shape[0]
  n = batch.action.shape[0]
  positions = (replay.index + jnp.arange(n)) % capacity
  batch = batch._replace(observation=batch.observation.astype(jnp.uint8),
                         is_replay=jnp.ones((n,), bool))
  data = jax.tree_util.tree_map(lambda d, x: d.at[positions].set(x),
                                replay.data, batch)
  return Replay(data, (replay.index + n) % capacity,
                jnp.minimum(replay.size + n, capacity))


def replay_sample(replay: Replay, key: chex.PRNGKey, n: int
                  ) -> losses.Trajectories:
  """n independent uniform draws (Reverb's uniform table, MinSize(1))."""
  indices = jax.random.randint(key, (n,), 0, replay.size)
  batch = jax.tree_util.tree_map(lambda d: d[indices], replay.data)
  return batch._replace(observation=batch.observation.astype(jnp.float32))


def learner_batch(online: losses.Trajectories, replay: Replay,
                  key: chex.PRNGKey, config: config_lib.STACXConfig
                  ) -> learning.LearnerBatch:
  """τ = online + replay_batch_size draws, then the replay-only batches.

  The layout of `builder._learner_batches`: (1 + E) * replay_batch_size
  independent draws, the first block joins τ, each further block is one of
  the E = K - 1 + L - 1 extra steps' own batch.
  """
  rb, extra = config.replay_batch_size, config.num_extra_replay_batches
  if not rb:
    return learning.LearnerBatch(online, None)
  sample = replay_sample(replay, key, (1 + extra) * rb)
  tau = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b[:rb]]),
                               online, sample)
  replay_only = None
  if extra:
    replay_only = jax.tree_util.tree_map(
        lambda x: x[rb:].reshape((extra, rb) + x.shape[1:]), sample)
  return learning.LearnerBatch(tau, replay_only)


class RunState(NamedTuple):
  """Everything one seed carries from one fused step to the next."""
  learner: learning.TrainingState
  env: EnvState  # Leaves [B, ...].
  replay: Replay
  key: chex.PRNGKey


class FusedFns(NamedTuple):
  """Pure functions of one seed (vmap them over seeds).

  Attributes:
    init: key -> RunState.
    act: (RunState) -> (RunState, online trajectories [B, T + 1, ...],
      acting metrics): T steps in the B environments with the main head.
    learn: (RunState, online trajectories) -> (RunState, metrics, the
      `LearnerBatch` used): push to replay, draw the batch, one update.
    step: RunState -> (RunState, metrics): act, then learn.
    networks: the STACX networks.
    update: the pure learner update (`learning.make_learner_fns().update`).
    steps_per_call: sequence steps per `step` (B * T).
  """
  init: Any
  act: Any
  learn: Any
  step: Any
  networks: networks_lib.STACXNetworks
  update: Any
  steps_per_call: int


def _environment_spec(env, params) -> types.SimpleNamespace:
  """The spec fields `networks.make_networks` reads, for a gymnax game."""
  return types.SimpleNamespace(
      observations=types.SimpleNamespace(
          shape=tuple(env.observation_space(params).shape)),
      actions=types.SimpleNamespace(num_values=env.num_actions))


def make_fused_fns(config: config_lib.STACXConfig, game: str,
                   sticky_action_prob: float = STICKY_ACTION_PROB,
                   max_episode_steps: Optional[int] = None) -> FusedFns:
  """Builds one seed's fused STACX runner on a gymnax MinAtar game.

  Args:
    config: the agent's config; B = online_batch_size environments, T =
      unroll_length, replay of replay_size trajectories.
    game: a MinAtar game (`GYMNAX_NAMES`).
    sticky_action_prob: repeat the previous action with this probability
      (MinAtar's rule; gymnax has no sticky actions of its own).
    max_episode_steps: see `make_gymnax_env`.

  Returns:
    `FusedFns`.
  """
  if not 0. <= sticky_action_prob <= 1.:
    raise ValueError('sticky_action_prob must be in [0, 1], got '
                     f'{sticky_action_prob}.')
  if config.replay_size < config.online_batch_size:
    raise ValueError('replay_size must be >= online_batch_size (one fused '
                     f'step pushes {config.online_batch_size} trajectories), '
                     f'got {config.replay_size}.')
  env, env_params = make_gymnax_env(game, max_episode_steps)
  ends_game = game in _TIME_LIMIT_ENDS_GAME
  networks = networks_lib.make_networks(_environment_spec(env, env_params),
                                        config)
  policy = acting.make_acting_fns(networks)
  update = learning.make_learner_fns(networks, config).update
  num_envs, unroll = config.online_batch_size, config.unroll_length
  num_actions = networks.num_actions

  def reset(key):
    obs, game_state = env.reset(key, env_params)
    return EnvState(game=game_state, observation=obs, final_observation=obs,
                    pending=jnp.zeros((), bool), start=jnp.ones((), bool),
                    last_action=jnp.zeros((), jnp.int32),
                    episode_return=jnp.zeros((), jnp.float32))

  def env_step(state: EnvState, action, logits, key):
    """One sequence step: a real environment step, or the padded final."""
    sticky_key, step_key = jax.random.split(key)
    real = ~state.pending
    executed = jnp.where(
        jax.random.uniform(sticky_key) < sticky_action_prob,
        state.last_action, action)
    obs, game_state, reward, terminated, truncated, info = env.step(
        step_key, state.game, executed, env_params)
    ended = jnp.logical_or(terminated, truncated)
    discount = jnp.where(
        jnp.logical_or(terminated, jnp.logical_and(truncated, ends_game)),
        0., 1.)
    zero = jnp.zeros((), jnp.float32)
    record = losses.Trajectories(
        observation=state.step_observation(),
        action=jnp.where(real, action, 0),
        reward=jnp.where(real, reward, zero),
        discount=jnp.where(real, discount, zero),
        behaviour_logits=jnp.where(real, logits, jnp.zeros_like(logits)),
        is_replay=state.start,  # Carries start_of_episode; see `act`.
        valid=None)
    episode_return = state.episode_return + reward
    after_step = EnvState(
        game=game_state, observation=obs,
        final_observation=info['final_observation'], pending=ended,
        start=jnp.zeros((), bool),
        last_action=jnp.where(ended, 0, executed).astype(jnp.int32),
        episode_return=jnp.where(ended, 0., episode_return))
    # After the padded step, the next one starts the episode reset into.
    after_padding = state._replace(pending=jnp.zeros((), bool),
                                   start=jnp.ones((), bool))
    new_state = jax.tree_util.tree_map(
        lambda a, b: jnp.where(real, a, b), after_step, after_padding)
    finished = jnp.logical_and(real, ended)
    metrics = {'reward': jnp.where(real, reward, 0.),
               'return_sum': jnp.where(finished, episode_return, 0.),
               'episodes': finished.astype(jnp.float32),
               'env_steps': real.astype(jnp.float32)}
    return new_state, record, metrics

  def act(state: RunState):
    params = state.learner.params

    def one_step(carry, _):
      env_state, key = carry
      key, act_key, step_key = jax.random.split(key, 3)
      observation = env_state.step_observation()
      action, actor_state = jax.vmap(policy.select_action, (None, 0, 0))(
          params, observation, jax.vmap(policy.init)(
              jax.random.split(act_key, num_envs)))
      env_state, record, metrics = jax.vmap(env_step)(
          env_state, action, actor_state.logits,
          jax.random.split(step_key, num_envs))
      return (env_state, key), (record, metrics)

    key, rollout_key = jax.random.split(state.key)
    (env_state, _), (records, metrics) = jax.lax.scan(
        one_step, (state.env, rollout_key), None, length=unroll)
    records = jax.tree_util.tree_map(lambda x: jnp.swapaxes(x, 0, 1),
                                     records)  # [B, T, ...].
    # Step T: the next sequence's first step; only its observation and
    # start flag are read by the learner.
    last = losses.Trajectories(
        observation=env_state.step_observation(),
        action=jnp.zeros((num_envs,), jnp.int32),
        reward=jnp.zeros((num_envs,), jnp.float32),
        discount=jnp.zeros((num_envs,), jnp.float32),
        behaviour_logits=jnp.zeros((num_envs, num_actions), jnp.float32),
        is_replay=env_state.start,
        valid=None)
    steps = jax.tree_util.tree_map(
        lambda a, b: jnp.concatenate([a, b[:, None]], axis=1), records, last)
    start = steps.is_replay  # [B, T + 1] start_of_episode.
    online = steps._replace(
        is_replay=jnp.zeros((num_envs,), bool),
        valid=1. - start[:, 1:].astype(jnp.float32))
    metrics = {k: jnp.sum(v) for k, v in metrics.items()}
    metrics['reward'] = metrics['reward'] / (num_envs * unroll)
    return state._replace(env=env_state, key=key), online, metrics

  def learn(state: RunState, online: losses.Trajectories):
    key, sample_key = jax.random.split(state.key)
    replay = replay_push(state.replay, online)
    batch = learner_batch(online, replay, sample_key, config)
    learner, metrics = update(state.learner, batch)
    return RunState(learner, state.env, replay, key), metrics, batch

  def step(state: RunState):
    state, online, act_metrics = act(state)
    state, metrics, _ = learn(state, online)
    return state, {**metrics, **act_metrics}

  def init(key):
    learner_key, env_key, run_key = jax.random.split(key, 3)
    env_state = jax.vmap(reset)(jax.random.split(env_key, num_envs))
    example = losses.Trajectories(
        observation=jnp.zeros((unroll + 1,) + env_state.observation.shape[1:],
                              jnp.float32),
        action=jnp.zeros((unroll + 1,), jnp.int32),
        reward=jnp.zeros((unroll + 1,), jnp.float32),
        discount=jnp.zeros((unroll + 1,), jnp.float32),
        behaviour_logits=jnp.zeros((unroll + 1, num_actions), jnp.float32),
        is_replay=jnp.zeros((), bool),
        valid=jnp.zeros((unroll,), jnp.float32))
    return RunState(
        learner=learning.make_initial_state(learner_key, networks, config),
        env=env_state, replay=replay_init(config.replay_size, example),
        key=run_key)

  return FusedFns(init=init, act=act, learn=learn, step=step,
                  networks=networks, update=update,
                  steps_per_call=num_envs * unroll)


def plan(steps_per_call: int, num_steps: int, log_every: int):
  """(calls per metrics row, rows) covering `num_steps` sequence steps.

  Raises:
    ValueError: naming the flag, when a row or the run would be shorter
      than one fused step.
  """
  if log_every < steps_per_call:
    raise ValueError(f'log_every ({log_every}) must be >= the steps of one '
                     f'fused step (online_batch_size x unroll_length = '
                     f'{steps_per_call}).')
  calls_per_row = log_every // steps_per_call
  row = calls_per_row * steps_per_call
  if num_steps < row:
    raise ValueError(f'num_steps ({num_steps}) must be >= one metrics row '
                     f'(log_every rounded to fused steps: {row}).')
  return calls_per_row, num_steps // row


def make_job(config: config_lib.STACXConfig, game: str,
             seeds: Sequence[int], num_steps: int, log_every: int,
             sticky_action_prob: float = STICKY_ACTION_PROB,
             max_seeds_per_group: Optional[int] = None) -> sweep.FusedJob:
  """All `seeds` of one agent on one game as a fused job (`sweep.run_job`).

  Args:
    config: the agent's config.
    game: a MinAtar game.
    seeds: seed s starts from jax.random.PRNGKey(s).
    num_steps: sequence steps per seed (rounded down to whole rows).
    log_every: sequence steps per metrics row (rounded to fused steps).
    sticky_action_prob: see `make_fused_fns`.
    max_seeds_per_group: see `anakin.run`; None: one vmap over a device's
      seeds. On one CPU core 3 vmapped seeds cost what 3 separate runs do
      (0.95x the time per seed), 3 seeds one after another (`lax.map`) 4x
      (XLA does not optimise across the loop); a seed per device
      (`anakin.force_host_devices`) adds cores (docs/impala_bmg.md, Speed;
      benchmarks/stacx_fused_speed.py --seeds=3 [--novmap_seeds]).
  """
  # The plan first: its errors come before anything is built.
  calls_per_row, num_rows = plan(
      config.online_batch_size * config.unroll_length, num_steps, log_every)
  fns = make_fused_fns(config, game, sticky_action_prob)
  keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(np.asarray(seeds)))
  init = jax.jit(jax.vmap(fns.init))
  return sweep.FusedJob(
      step_fn=fns.step, init=functools.partial(init, keys),
      steps_per_call=fns.steps_per_call, calls_per_row=calls_per_row,
      num_rows=num_rows, schedule_keys=CURVE_KEYS, flip_period=None,
      max_seeds_per_group=max_seeds_per_group)


def episode_returns(metrics: Dict[str, np.ndarray]) -> np.ndarray:
  """[seeds, rows] mean return of the episodes that ended in each row (NaN
  where none did), from a run's 'return_sum' and 'episodes' metrics."""
  episodes = np.asarray(metrics['episodes'], dtype=float)
  with np.errstate(invalid='ignore', divide='ignore'):
    return np.where(episodes > 0,
                    np.asarray(metrics['return_sum']) / episodes, np.nan)


def checkpoint_path(results_dir: str) -> str:
  """Where `run` keeps its checkpoint (removed when the run finishes)."""
  return os.path.join(results_dir, sweep.CHECKPOINTS, 'fused.npz')


def run(job: sweep.FusedJob, spec: Dict[str, Any], label: str,
        seeds: Sequence[int], results_dir: str, save_every: int = 0,
        resume: bool = False, title: str = ''
        ) -> Optional[Dict[str, np.ndarray]]:
  """Runs a fused job with progress lines; writes its CSV, PNG and params.

  Args:
    job: from `make_job`.
    spec: identifies the run in its checkpoint (e.g. `sweep.make_spec`).
    label: the agent column of the CSV.
    seeds: the seeds' numbers (the CSV's seed column).
    results_dir: gets `metrics.csv` (one row per seed and metrics row, with
      'episode_return' and 'frames'), `params.npz` (each seed's final
      parameters) and, while running, the checkpoint.
    save_every: metric rows between checkpoints (0: none; a SIGINT or
      SIGTERM saves one too, then exits 130 / 143).
    resume: continue from the checkpoint.
    title: the figure's title (e.g. the game); the figure `fused.png` draws
      the episode return over frames (mean and s.e. over seeds).

  Returns:
    The metrics, [seeds, rows] arrays, with 'episode_return' and 'frames';
    None when `resume` finds the run finished (its params.npz written, its
    checkpoint removed).
  """
  finals = []
  checkpoint = checkpoint_path(results_dir)
  if resume and not os.path.exists(checkpoint) and os.path.exists(
      os.path.join(results_dir, 'params.npz')):
    print(f'{results_dir} holds the finished run.')
    return None
  progress = anakin.Progress(job.num_rows * job.row_steps, len(seeds), label)
  # SIGINT / SIGTERM: a checkpoint, then exit 130 / 143 as the block ends.
  with stopping.StopOnSignal() as stop:
    metrics = sweep.run_job(job, spec, checkpoint, save_every, resume,
                            progress, stop, final_state=finals.append)
  metrics['episode_return'] = episode_returns(metrics)
  metrics['frames'] = np.cumsum(
      np.asarray(metrics['env_steps']) * job.calls_per_row, axis=1)
  results.write_rows(
      os.path.join(results_dir, 'metrics.csv'),
      results.metrics_to_rows(label, metrics, job.row_steps, seeds),
      overwrite=True)
  leaves = jax.tree_util.tree_leaves_with_path(finals[0].learner.params)
  results.write_atomically(
      os.path.join(results_dir, 'params.npz'),
      lambda f: np.savez(f, **{jax.tree_util.keystr(k): np.asarray(v)
                               for k, v in leaves}), 'wb')
  if os.path.exists(checkpoint):
    os.remove(checkpoint)
  # Imported here: matplotlib takes a second (and is not needed to run).
  from bmg_agents.experiments import plotting  # pylint: disable=g-import-not-at-top
  path = os.path.join(results_dir, 'fused.png')
  plotting.plot_curves(path, [plotting.Panel(
      f'{label} {title}'.strip(), 'frames', 'episode return',
      [plotting.Curve(label, metrics['frames'].mean(0),
                      metrics['episode_return'])])])
  print(f'{label}: wrote {results_dir}/metrics.csv and {path}')
  return metrics
