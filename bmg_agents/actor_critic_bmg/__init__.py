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

"""Actor-critic on two-colours that meta-learns its entropy weight (BMG/MG).

`ActorCriticBMGBuilder` (acme) is imported on first use, so importing this
package, `.learning` or `.fused` never imports acme, Reverb or TensorFlow.
"""

import importlib

from bmg_agents.actor_critic_bmg.config import ActorCriticBMGConfig
from bmg_agents.actor_critic_bmg.learning import AgentFunctions
from bmg_agents.actor_critic_bmg.learning import AgentParams
from bmg_agents.actor_critic_bmg.learning import make_agent_functions
from bmg_agents.actor_critic_bmg.learning import TrainingState
from bmg_agents.actor_critic_bmg.losses import Rollout
from bmg_agents.actor_critic_bmg.networks import ActorCriticNetworks
from bmg_agents.actor_critic_bmg.networks import make_networks

__all__ = (
    'ActorCriticBMGConfig',
    'make_networks',
    'ActorCriticNetworks',
    'ActorCriticBMGBuilder',
    'AgentFunctions',
    'AgentParams',
    'make_agent_functions',
    'TrainingState',
    'Rollout',
)

_LAZY = {'ActorCriticBMGBuilder': 'bmg_agents.actor_critic_bmg.builder'}


def __getattr__(name):  # PEP 562: acme is imported only when asked for.
  if name in _LAZY:
    return getattr(importlib.import_module(_LAZY[name]), name)
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
