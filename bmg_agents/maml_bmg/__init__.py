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


"""MAML-BMG: few-shot meta-learning of an initialisation (paper §6, App. D).

`import bmg_agents.maml_bmg` (and its `config`, `networks`, `losses`,
`learning`, `fused`, `acting`, `data` modules) never imports Acme; the
Acme-based `MAMLBuilder` and `MAMLLearner` load on first access.
"""

import importlib

from bmg_agents.maml_bmg.acting import Evaluator
from bmg_agents.maml_bmg.acting import TaskSampler
from bmg_agents.maml_bmg.config import MAMLConfig
from bmg_agents.maml_bmg.data import DatasetError
from bmg_agents.maml_bmg.data import FewShotDataset
from bmg_agents.maml_bmg.data import load_dataset
from bmg_agents.maml_bmg.data import sample_tasks
from bmg_agents.maml_bmg.data import Task
from bmg_agents.maml_bmg.fused import make_fused_train
from bmg_agents.maml_bmg.learning import make_evaluate
from bmg_agents.maml_bmg.learning import make_task_meta_loss
from bmg_agents.maml_bmg.learning import make_update_step
from bmg_agents.maml_bmg.learning import TrainingState
from bmg_agents.maml_bmg.networks import make_networks
from bmg_agents.maml_bmg.networks import MAMLNetworks

# Exports that import Acme: {name: module}, loaded lazily (PEP 562).
_LAZY = {
    'MAMLBuilder': 'bmg_agents.maml_bmg.builder',
    'MAMLLearner': 'bmg_agents.maml_bmg.learner',
    'make_experiment_config': 'bmg_agents.maml_bmg.builder',
}

__all__ = (
    'make_experiment_config',
    'DatasetError',
    'Evaluator',
    'FewShotDataset',
    'load_dataset',
    'make_evaluate',
    'make_fused_train',
    'make_networks',
    'make_task_meta_loss',
    'make_update_step',
    'MAMLBuilder',
    'MAMLConfig',
    'MAMLLearner',
    'MAMLNetworks',
    'sample_tasks',
    'Task',
    'TaskSampler',
    'TrainingState',
)


def __getattr__(name):
  if name in _LAZY:
    return getattr(importlib.import_module(_LAZY[name]), name)
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
  return sorted(set(globals()) | set(_LAZY))
