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

"""The pinned stack works together: acme, Reverb, Launchpad, TensorFlow."""

# bmg_agents first: Launchpad children import this module to unpickle nodes.
import bmg_agents  # pylint: disable=unused-import,g-bad-import-order
from bmg_agents.experiments import distributed

import launchpad as lp
import numpy as np
import pytest
import reverb
import tensorflow as tf


class Server:
  """A node whose method the client calls over RPC."""

  def add(self, x, y):
    return x + y


class Client:
  """Calls the server once, records the answer to a file, stops the program."""

  def __init__(self, server, path):
    self._server = server
    self._path = path

  def run(self):
    result = self._server.add(np.float32(2.), 3)  # numpy args: 0.5.2 hung.
    with open(self._path, 'w') as f:
      f.write(str(result))
    distributed.stop_program()


def test_imports_pinned_versions():
  import acme  # pylint: disable=g-import-not-at-top
  assert tf.__version__.startswith('2.8.')
  assert np.__version__ == '1.26.4'
  assert acme.__version__ == '0.4.0'


def test_reverb_server_round_trips_an_item():
  table = reverb.Table.queue('q', max_size=10)
  server = reverb.Server([table])
  try:
    client = reverb.Client(f'localhost:{server.port}')
    item = np.arange(6, dtype=np.float32).reshape(2, 3)
    client.insert([item], priorities={'q': 1.})
    sample = next(iter(client.sample('q', num_samples=1)))[0]
    np.testing.assert_array_equal(sample.data[0], item)
  finally:
    server.stop()


@pytest.mark.parametrize('launch_type', ['local_mp', 'local_mt'])
def test_launchpad_two_node_program_makes_rpc_and_exits(tmp_path, launch_type):
  path = tmp_path / 'answer.txt'
  program = lp.Program('ping')
  server = program.add_node(lp.CourierNode(Server), label='server')
  program.add_node(lp.CourierNode(Client, server, str(path)), label='client')
  distributed.launch(program, launch_type)
  assert path.read_text() == '5.0'
