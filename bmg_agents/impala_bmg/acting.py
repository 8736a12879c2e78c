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

"""STACX acting: samples from the main head's policy (App. C); no acme.

`builder.STACXBuilder.make_policy` wraps these pure functions in an acme
`ActorCore`.
"""

from typing import Any, Callable, Dict, NamedTuple, Tuple

import chex
import jax
import jax.numpy as jnp

from bmg_agents.impala_bmg import networks as networks_lib


class ActorState(NamedTuple):
  """The actor's random key and the logits behind its last action."""
  rng: chex.PRNGKey
  logits: chex.Array


class ActingFns(NamedTuple):
  """Pure acting functions, in acme's `ActorCore` order.

  Attributes:
    init: rng -> `ActorState`.
    select_action: (params, observation, state) -> (action, state).
    get_extras: state -> {'logits': behaviour logits [A]}, which the learner
      needs for importance weights.
  """
  init: Callable[[chex.PRNGKey], ActorState]
  select_action: Callable[[Any, chex.Array, ActorState],
                          Tuple[chex.Array, ActorState]]
  get_extras: Callable[[ActorState], Dict[str, chex.Array]]


def make_acting_fns(networks: networks_lib.STACXNetworks,
                    greedy: bool = False) -> ActingFns:
  """Acting with π_0, the main head (auxiliary policies never act).

  Args:
    networks: the STACX networks.
    greedy: take the most likely action instead of sampling.

  Returns:
    `ActingFns` over one unbatched observation.
  """

  def init(rng):
    return ActorState(rng, jnp.zeros((networks.num_actions,), jnp.float32))

  def select_action(params, observation, state: ActorState):
    logits, _ = networks.apply(params, observation[None])
    logits = logits[0, networks_lib.MAIN_HEAD]
    rng, key = jax.random.split(state.rng)
    if greedy:
      action = jnp.argmax(logits)
    else:
      action = jax.random.categorical(key, logits)
    return action.astype(jnp.int32), ActorState(rng, logits)

  def get_extras(state: ActorState):
    return {'logits': state.logits}

  return ActingFns(init=init, select_action=select_action,
                   get_extras=get_extras)
