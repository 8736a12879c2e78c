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

"""One experiment runtime for every agent: config, run, program, logs.

    experiment = experiments.ExperimentConfig(builder=..., ...)
    experiments.run_experiment(experiment)            # one process
    program = experiments.make_distributed_experiment(experiment, 2)
    experiments.launch(program, 'local_mp')           # Launchpad

`config` imports no acme; the rest is imported on first use (PEP 562), so
the fused runners can use `config`-level pieces on an image without acme.
"""

import importlib

from bmg_agents.experiments.config import CheckpointingConfig
from bmg_agents.experiments.config import ExperimentConfig
from bmg_agents.experiments.config import OfflineExperimentConfig

_LAZY = {
    'EnvironmentLoop': 'environment_loop',
    'launch': 'distributed',
    'LAUNCH_TYPES': 'distributed',
    'make_distributed_experiment': 'distributed',
    'make_logger': 'loggers',
    'make_logger_factory': 'loggers',
    'NodeFailure': 'distributed',
    'NonFiniteError': 'loggers',
    'run_experiment': 'single_process',
    'run_offline_experiment': 'single_process',
    'stop_program': 'distributed',
}

__all__ = ('CheckpointingConfig', 'ExperimentConfig',
           'OfflineExperimentConfig') + tuple(_LAZY)


def __getattr__(name):
  if name in _LAZY:
    module = importlib.import_module(f'{__name__}.{_LAZY[name]}')
    return getattr(module, name)
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
