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

"""absl flags made from config dataclasses, so launchers never repeat them.

`define_flags(Config)` defines one flag per field (nested dataclass fields
too, under their own names) with the dataclass's default and the help text
of its `Attributes:` docstring; `from_flags(Config)` builds the config from
the flag values and turns the config's `ValueError` into a one-line usage
error naming the field, before any work starts.
"""

import dataclasses
import re
import typing
from typing import Any, Dict, Iterable, Mapping, Tuple, Type

from absl import app
from absl import flags


def _attribute_docs(cls) -> Dict[str, str]:
  """{field: first sentence} from a Google-style `Attributes:` section."""
  doc = cls.__doc__ or ''
  section = doc.partition('Attributes:')[2]
  docs, name = {}, None
  for line in section.splitlines():
    match = re.match(r'\s{2,}(\w+): (.*)', line)
    if match and (name is None or len(line) - len(line.lstrip()) <= indent):
      name, indent = match.group(1), len(line) - len(line.lstrip())
      docs[name] = match.group(2)
    elif name and line.strip():
      docs[name] += ' ' + line.strip()
    elif name and not line.strip():
      break
  return docs


def _base_type(annotation):
  """The flag type of an annotation: Optional[X] -> X; Union[str, ..] -> str."""
  args = typing.get_args(annotation)
  origin = typing.get_origin(annotation)
  if origin is typing.Union:
    args = [a for a in args if a is not type(None)]
    return str if str in args else _base_type(args[0])
  if origin in (tuple, list, typing.Sequence):
    return tuple
  return annotation


def _fields(cls) -> Iterable[Tuple[dataclasses.Field, Any]]:
  """(field, resolved type annotation) of every init field."""
  hints = typing.get_type_hints(cls)
  return [(f, hints[f.name]) for f in dataclasses.fields(cls) if f.init]


def _default(field: dataclasses.Field) -> Any:
  if field.default is not dataclasses.MISSING:
    return field.default
  if field.default_factory is not dataclasses.MISSING:
    return field.default_factory()
  return None


def define_flags(cls: Type[Any], exclude: Iterable[str] = (),
                 flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines a flag for every field of dataclass `cls` not in `exclude`."""
  exclude = set(exclude)
  docs = _attribute_docs(cls)
  for field, annotation in _fields(cls):
    if field.name in exclude:
      continue
    kind, default = _base_type(annotation), _default(field)
    if dataclasses.is_dataclass(kind):
      define_flags(kind, exclude, flag_values)
      continue
    help_text = docs.get(field.name, f'{cls.__name__}.{field.name}.')
    define = {bool: flags.DEFINE_boolean, int: flags.DEFINE_integer,
              float: flags.DEFINE_float, str: flags.DEFINE_string,
              tuple: flags.DEFINE_list}.get(kind)
    if define is None:
      raise TypeError(f'{cls.__name__}.{field.name}: no flag for {kind!r}.')
    if kind is tuple and default is not None:
      default = [str(x) for x in default]
    if kind is str and default is not None and not isinstance(default, str):
      default = str(default)
    define(field.name, default, help_text, flag_values=flag_values)


def _convert(kind, value, annotation):
  if kind is tuple and value is not None:
    item = (typing.get_args(annotation) or (str,))[0]
    item = _base_type(item) if item is not Ellipsis else str
    try:
      return tuple(item(v) for v in value)
    except ValueError:
      return tuple(value)  # The config's check names the field.
  return value


def _values(cls, exclude, flag_values, overrides) -> Dict[str, Any]:
  kwargs = {}
  for field, annotation in _fields(cls):
    if field.name in overrides:
      kwargs[field.name] = overrides[field.name]
      continue
    if field.name in exclude:
      continue
    kind = _base_type(annotation)
    if dataclasses.is_dataclass(kind):
      kwargs[field.name] = kind(**_values(kind, exclude, flag_values,
                                          overrides))
      continue
    kwargs[field.name] = _convert(kind, flag_values[field.name].value,
                                  annotation)
  return kwargs


def from_flags(cls: Type[Any], exclude: Iterable[str] = (),
               flag_values: flags.FlagValues = flags.FLAGS,
               **overrides) -> Any:
  """`cls` from the flag values (and `overrides`); bad values: UsageError."""
  try:
    return cls(**_values(cls, set(exclude), flag_values, overrides))
  except ValueError as e:
    raise app.UsageError(str(e)) from None


def from_strings(cls: Type[Any], fields: Mapping[str, str]) -> Any:
  """`cls` from {field: value as on a command line}, parsed by the flags
  `define_flags` makes; an unknown field or a bad value: UsageError."""
  values = flags.FlagValues()
  define_flags(cls, flag_values=values)
  try:
    values([cls.__name__] + [f'--{k}={v}' for k, v in fields.items()])
  except flags.Error as e:
    raise app.UsageError(f'{cls.__name__}: {e}') from None
  return from_flags(cls, flag_values=values)
