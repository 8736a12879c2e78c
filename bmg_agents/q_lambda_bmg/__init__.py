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

"""Peng's Q(λ) agent with ε-greedy exploration meta-learned by BMG.

`QLambdaBuilder` (acme) is imported lazily: importing this package, or its
`config`, `networks`, `losses`, `learning`, `acting` or `fused` modules,
imports neither acme, Launchpad, Reverb nor TensorFlow.
"""

from bmg_agents.q_lambda_bmg.config import QLambdaConfig
from bmg_agents.q_lambda_bmg.learning import AgentFunctions
from bmg_agents.q_lambda_bmg.learning import make_agent_functions
from bmg_agents.q_lambda_bmg.learning import TrainingState
from bmg_agents.q_lambda_bmg.learning import Transition
from bmg_agents.q_lambda_bmg.networks import make_networks
from bmg_agents.q_lambda_bmg.networks import QLambdaNetworks

__all__ = (
    'QLambdaConfig',
    'make_networks',
    'QLambdaNetworks',
    'QLambdaBuilder',
    'AgentFunctions',
    'make_agent_functions',
    'TrainingState',
    'Transition',
)

_LAZY = ('QLambdaBuilder',)


def __getattr__(name):
  """Imports the acme builder on first access (PEP 562)."""
  if name in _LAZY:
    # pylint: disable-next=g-import-not-at-top
    from bmg_agents.q_lambda_bmg import builder
    return getattr(builder, name)
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
