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

"""Makes dm-acme 0.4.0 usable on the pinned jax 0.6, and TFP on newer jax.

dm-acme 0.4.0 (the newest release) was written against jax 0.3 and refers to
names that jax has since removed:

  * ``jax.tree_map``, ``jax.tree_multimap``, ``jax.tree_flatten``, ... (moved
    to ``jax.tree_util``; used throughout acme.jax and the agents);
  * ``jax.xla.Device`` and ``jax.xla.DeviceArray`` (acme/jax/utils.py and
    type annotations evaluated at import time);
  * ``jnp.DeviceArray`` (annotations in acme.jax.utils, savers, networks).

and TensorFlow Probability 0.25's JAX substrate (which distrax, hence rlax,
imports) reads ``jax.interpreters.xla.pytype_aval_mappings``, which jax 0.6
still has (deprecated) and jax 0.11, the accelerator image's, has removed:

  * ``jax.interpreters.xla.pytype_aval_mappings`` (now only in jax's core).

This module puts those names back, pointing at their modern equivalents. It is
the only monkey-patching in bmg_agents, it only *adds* missing attributes (it
never replaces one jax still has), and ``bmg_agents/__init__.py`` imports it
before anything else, so every process that imports any bmg_agents module,
including Launchpad child processes unpickling a bmg_agents node factory, gets
it before acme is imported.
"""

import types
import warnings

import jax
from jax._src import core as _jax_core
import jax.interpreters.xla
import jax.numpy as jnp

# name -> replacement, per module.
_JAX_ALIASES = {
    'tree_map': jax.tree_util.tree_map,
    'tree_multimap': jax.tree_util.tree_map,
    'tree_flatten': jax.tree_util.tree_flatten,
    'tree_unflatten': jax.tree_util.tree_unflatten,
    'tree_leaves': jax.tree_util.tree_leaves,
    'tree_structure': jax.tree_util.tree_structure,
    'xla': types.SimpleNamespace(Device=jax.Device, DeviceArray=jax.Array),
}
_JNP_ALIASES = {'DeviceArray': jax.Array}
_XLA_ALIASES = {'pytype_aval_mappings': _jax_core.pytype_aval_mappings}


def _add_missing(module, aliases) -> list:
  added = []
  for name, value in aliases.items():
    # `hasattr` is not enough: jax answers removed names from a module-level
    # __getattr__ that raises, so look in the module's own namespace.
    if name not in vars(module):
      try:
        with warnings.catch_warnings():  # Deprecated is still provided.
          warnings.simplefilter('ignore', DeprecationWarning)
          getattr(module, name)
        continue  # Still provided by this jax version.
      except AttributeError:
        pass
      setattr(module, name, value)
      added.append(f'{module.__name__}.{name}')
  return added


def apply() -> list:
  """Adds the removed jax names acme 0.4.0 and TFP need; idempotent.

  Returns:
    The fully qualified names that this call added (empty when already applied
    or when the installed jax still has them).
  """
  return (_add_missing(jax, _JAX_ALIASES) + _add_missing(jnp, _JNP_ALIASES) +
          _add_missing(jax.interpreters.xla, _XLA_ALIASES))


APPLIED = tuple(apply())
