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

"""One XLA compilation cache for a run of the suite.

Many tests compile the same programs (the tiny configs, in the test's own
process, in its xdist worker and in the learner hosts and Launchpad nodes it
starts). The controller creates an empty persistent cache directory before
the workers start; every process of the run inherits it through the
environment (`JAX_COMPILATION_CACHE_DIR`) and the controller removes it at
the end. An empty cache per run: no test sees an executable compiled by
another checkout or jax. A cache set in the environment is used as given.
"""

import os
import shutil
import tempfile

_CACHE = 'JAX_COMPILATION_CACHE_DIR'
_created = []


def pytest_configure(config):
  if _CACHE in os.environ or hasattr(config, 'workerinput'):
    return  # Set by the user, or inherited by an xdist worker.
  _created.append(tempfile.mkdtemp(prefix='bmg_agents_xla_cache_'))
  os.environ[_CACHE] = _created[0]
  # Cache every compilation, not only those over jax's 1 s default.
  os.environ['JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS'] = '0'


def pytest_unconfigure(config):
  del config
  if _created:  # The controller's own directory, not a worker's or the user's.
    shutil.rmtree(_created.pop(), ignore_errors=True)
