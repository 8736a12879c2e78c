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

"""Fused runs of Q(λ)-BMG with progress, a CSV of metrics and a Fig.-12 PNG."""

import os
from typing import Dict, List, Optional, Sequence

import jax
import numpy as np

from bmg_agents import anakin
from bmg_agents.q_lambda_bmg import config as config_lib
from bmg_agents.q_lambda_bmg import fused
from bmg_agents.q_lambda_bmg import learning
from bmg_agents.q_lambda_bmg import networks as networks_lib
from bmg_agents.utils import two_colors_results

# Metrics averaged over a chunk and over seeds in each CSV row.
_MEAN_METRICS = ('epsilon', 'q_loss', 'matching_loss', 'meta_grad_norm',
                 'meta_grad_cosine', 'target_agrees')


def run(config: config_lib.QLambdaConfig, num_seeds: int, num_steps: int,
        chunk_size: int, flip_period: int, seed: int,
        epsilons: Optional[Sequence[float]] = None, label: str = '',
        print_fn=print, max_seeds_per_group: Optional[int] = 5
        ) -> Dict[str, np.ndarray]:
  """A fused run; returns per-chunk metrics of shape [chunks, seeds].

  Seeds run in groups of at most `max_seeds_per_group` per device (see
  `anakin.run`): the same numbers, 1.2-2.5x faster here than one vmap over
  all of a device's seeds (benchmarks/q_lambda_throughput.py).
  """
  nets = networks_lib.make_networks(fused.environment_spec(), config)
  agent = learning.make_agent_functions(nets, config)
  states = fused.init_states(agent, jax.random.PRNGKey(seed), num_seeds,
                             config.reward_history, epsilons)
  step_fn = fused.make_step_fn(agent, flip_period=flip_period)
  progress = anakin.Progress(num_steps, num_seeds,
                             label or config.meta_objective,
                             print_fn=print_fn)
  _, metrics = fused.run_fused(step_fn, states, num_steps, chunk_size,
                               callback=progress,
                               max_seeds_per_group=max_seeds_per_group)
  return metrics


def rows_from_metrics(metrics: Dict[str, np.ndarray],
                      chunk_size: int) -> List[Dict[str, float]]:
  """One CSV row per chunk: reward rate (mean, std over seeds), totals, ε..."""
  rewards = metrics['reward']  # [chunks, seeds], mean reward per step.
  totals = np.cumsum(rewards * chunk_size, axis=0)
  rows = []
  for i in range(rewards.shape[0]):
    row = dict(step=(i + 1) * chunk_size,
               reward_rate=float(rewards[i].mean()),
               reward_rate_std=float(rewards[i].std()),
               total_reward=float(totals[i].mean()),
               epsilon_std=float(metrics['epsilon'][i].std()))
    for name in _MEAN_METRICS:
      if name in metrics:
        row[name] = float(metrics[name][i].mean())
    rows.append(row)
  return rows


def run_and_report(config: config_lib.QLambdaConfig, num_seeds: int,
                   num_steps: int, chunk_size: int, flip_period: int,
                   seed: int, results_dir: str) -> List[Dict[str, float]]:
  """Runs, writes metrics.csv and q_lambda.png to `results_dir`."""
  metrics = run(config, num_seeds, num_steps, chunk_size, flip_period, seed)
  rows = rows_from_metrics(metrics, chunk_size)
  two_colors_results.write_csv(os.path.join(results_dir, 'metrics.csv'),
                               rows)
  name = (f'ε = {config.epsilon}' if config.meta_objective == 'none' else
          f'BMG ({config.matching}, L = {config.L})')
  plot(os.path.join(results_dir, 'q_lambda.png'), {name: metrics},
       chunk_size, flip_period)
  return rows


def plot(path: str, results: Dict[str, Dict[str, np.ndarray]],
         chunk_size: int, flip_period: int) -> str:
  """Cumulative reward and the ε schedule (cf. Fig. 12) of fused runs.

  Args:
    path: the PNG to write.
    results: label -> metrics of `run` ([chunks, seeds] each).
    chunk_size: steps per chunk.
    flip_period: steps between reward flips.
  """
  by_seed = {label: {k: np.asarray(v).T for k, v in metrics.items()}
             for label, metrics in results.items()}
  return two_colors_results.plot(path, by_seed, chunk_size, flip_period,
                                 schedule_key='epsilon', schedule_label='ε')
