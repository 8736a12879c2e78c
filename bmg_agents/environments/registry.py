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

"""Environments by name for every launcher: 'two_colors', 'minatar:breakout'.

Names are 'two_colors', 'minatar:<game>' or 'atari:<Game>'. A suite is
imported only when asked for, so ALE and MinAtar are not needed to import
this module.
"""

from typing import Optional, Sequence, Tuple

import dm_env

SUITES = ('two_colors', 'minatar', 'atari')
_FORMS = "'two_colors', 'minatar:<game>' or 'atari:<Game>'"


def parse_name(name: str, suites: Optional[Sequence[str]] = None
               ) -> Tuple[str, str]:
  """'atari:Pong' -> ('atari', 'Pong'); ValueError naming --env if unknown.

  Checks that the game exists (MinAtar's list; Atari's installed ROMs), so a
  typo fails before any work, and, if `suites` is given, that the suite is
  one of them.
  """
  suite, _, game = str(name).partition(':')
  if suites is not None and suite not in suites:
    raise ValueError(f'env: this runner runs '
                     f'{" or ".join(s + ":<game>" for s in suites)}, got '
                     f'{name!r}.')
  if suite == 'two_colors' and not game:
    return suite, ''
  if suite not in SUITES[1:] or not game:
    raise ValueError(f'env must be {_FORMS}, got {name!r}.')
  if suite == 'minatar':
    from bmg_agents.environments import minatar  # pylint: disable=g-import-not-at-top
    if game not in minatar.GAMES:
      raise ValueError(f'env: MinAtar games are {", ".join(minatar.GAMES)}'
                       f'; got {game!r}.')
  else:
    from bmg_agents.environments import atari  # pylint: disable=g-import-not-at-top
    from ale_py import roms  # pylint: disable=g-import-not-at-top
    if atari.rom_name(game) not in roms.get_all_rom_ids():
      raise ValueError(f'env: no Atari ROM {game!r} is installed (ale-py '
                       f'has {len(roms.get_all_rom_ids())} ROMs, e.g. Pong, '
                       'Breakout, MsPacman).')
  return suite, game


def frames_per_step(name: str) -> int:
  """Emulator frames per agent step (Atari's action repeats)."""
  suite, _ = parse_name(name)
  if suite == 'atari':
    from bmg_agents.environments import atari  # pylint: disable=g-import-not-at-top
    return atari.ACTION_REPEATS
  return 1


def make_environment(name: str, seed: int, flip_period: int = None
                     ) -> dm_env.Environment:
  """The environment called `name`, seeded.

  `functools.partial(make_environment, name)` is a picklable environment
  factory for Launchpad nodes.

  Args:
    name: see `parse_name`.
    seed: the environment's seed.
    flip_period: two-colours only: steps between reward flips (None: the
      environment's default).
  """
  suite, game = parse_name(name)
  if suite == 'two_colors':
    from bmg_agents.environments import two_colors  # pylint: disable=g-import-not-at-top
    return two_colors.TwoColors(
        flip_period=flip_period or two_colors.DEFAULT_FLIP_PERIOD,
        seed=int(seed))
  if flip_period is not None:
    raise ValueError(f'flip_period applies to two_colors only, not {name!r}.')
  if suite == 'minatar':
    from bmg_agents.environments import minatar  # pylint: disable=g-import-not-at-top
    return minatar.MinAtarEnvironment(game, seed=int(seed))
  from bmg_agents.environments import atari  # pylint: disable=g-import-not-at-top
  return atari.AtariEnvironment(game, seed=int(seed))
