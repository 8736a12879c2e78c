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

"""Peng's Q(λ) agent with ε-greedy exploration meta-learned by BMG."""

from bmg_agents.q_lambda_bmg.config import QLambdaConfig
from bmg_agents.q_lambda_bmg.learning import LearnerState
from bmg_agents.q_lambda_bmg.learning import make_agent
from bmg_agents.q_lambda_bmg.learning import QLambdaAgent
from bmg_agents.q_lambda_bmg.learning import Transition
from bmg_agents.q_lambda_bmg.networks import make_networks
from bmg_agents.q_lambda_bmg.networks import QLambdaNetworks
