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

"""Agent-agnostic BMG machinery in pure JAX (no Acme, no Launchpad)."""

from bmg_agents.core import bootstrap
from bmg_agents.core import config
from bmg_agents.core import diagnostics
from bmg_agents.core import matching
from bmg_agents.core import meta_gradient
from bmg_agents.core import updates
from bmg_agents.core.bootstrap import bootstrap as target_bootstrap
from bmg_agents.core.bootstrap import make_target_fn
from bmg_agents.core.bootstrap import TargetData
from bmg_agents.core.config import MetaGradientConfig
from bmg_agents.core.matching import make_matching_fn
from bmg_agents.core.matching import Outputs
from bmg_agents.core.meta_gradient import bmg_loss
from bmg_agents.core.meta_gradient import bmg_meta_gradient
from bmg_agents.core.meta_gradient import MetaOutput
from bmg_agents.core.meta_gradient import mg_loss
from bmg_agents.core.meta_gradient import mg_meta_gradient
from bmg_agents.core.updates import gradient_update
from bmg_agents.core.updates import optimizer_step
from bmg_agents.core.updates import sgd_step
from bmg_agents.core.updates import unroll

__all__ = (
    'bootstrap', 'config', 'diagnostics', 'matching', 'meta_gradient',
    'updates', 'target_bootstrap', 'make_target_fn', 'TargetData',
    'MetaGradientConfig', 'make_matching_fn', 'Outputs', 'bmg_loss',
    'bmg_meta_gradient', 'MetaOutput', 'mg_loss', 'mg_meta_gradient',
    'gradient_update', 'optimizer_step', 'sgd_step', 'unroll',
)
