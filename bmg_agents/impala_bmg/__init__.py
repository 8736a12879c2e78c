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

"""STACX-BMG: IMPALA with auxiliary heads and meta-learned losses (§5.2).

`STACXBuilder` imports acme: it is loaded lazily (PEP 562), so importing this
package, `.learning` or `.networks` never imports acme, Reverb, Launchpad or
TensorFlow.
"""

from bmg_agents.impala_bmg.config import STACXConfig
from bmg_agents.impala_bmg.networks import make_networks
from bmg_agents.impala_bmg.networks import STACXNetworks

__all__ = ('STACXConfig', 'make_networks', 'STACXNetworks', 'STACXBuilder')


def __getattr__(name):
  if name == 'STACXBuilder':
    # pylint: disable=g-import-not-at-top
    from bmg_agents.impala_bmg import builder
    return builder.STACXBuilder
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
