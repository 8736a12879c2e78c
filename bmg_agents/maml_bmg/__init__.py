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

"""MAML-BMG: few-shot meta-learning of an initialisation (paper §6, App. D)."""

from bmg_agents.maml_bmg.acting import Evaluator
from bmg_agents.maml_bmg.acting import TaskSampler
from bmg_agents.maml_bmg.builder import MAMLBuilder
from bmg_agents.maml_bmg.config import MAMLConfig
from bmg_agents.maml_bmg.data import DatasetError
from bmg_agents.maml_bmg.data import FewShotDataset
from bmg_agents.maml_bmg.data import load_dataset
from bmg_agents.maml_bmg.data import sample_tasks
from bmg_agents.maml_bmg.data import Task
from bmg_agents.maml_bmg.learning import make_evaluate
from bmg_agents.maml_bmg.learning import make_fused_train
from bmg_agents.maml_bmg.learning import make_task_meta_loss
from bmg_agents.maml_bmg.learning import make_update_step
from bmg_agents.maml_bmg.learning import MAMLLearner
from bmg_agents.maml_bmg.learning import TrainingState
from bmg_agents.maml_bmg.networks import make_conv4_networks
from bmg_agents.maml_bmg.networks import MAMLNetworks
