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

"""How every runner takes SIGINT / SIGTERM: one handler, one exit status.

    with stopping.StopOnSignal() as stop:
      while not stop():
        ...               # finish the current step, save, close logs
    # leaving the block after a signal exits with 128 + its number

Imports neither acme nor Launchpad.
"""

import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignal:
  """Within it, SIGINT and SIGTERM are recorded instead of ending the process.

  Leaving the block normally after a signal raises SystemExit(128 + the
  first signal's number) (130 / 143, as a shell expects of a stopped job),
  unless `exit_on_signal` is False. Only the main thread can take signals;
  elsewhere the block records nothing.
  """

  def __init__(self, forward: bool = False, exit_on_signal: bool = True):
    """
    Args:
      forward: also pass each signal to the handler it replaced (e.g.
        Launchpad's, which stops a program's node threads).
      exit_on_signal: raise SystemExit when the block ends after a signal.
    """
    self._forward = forward
    self._exit_on_signal = exit_on_signal
    self.received = []
    self._previous = {}

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      for sig in SIGNALS:
        self._previous[sig] = signal.signal(sig, self._handle)
    return self

  def _handle(self, sig, frame):
    self.received.append(sig)
    previous = self._previous.get(sig)
    if self._forward and callable(previous):
      previous(sig, frame)

  @property
  def signum(self):
    """The first signal received, or None."""
    return self.received[0] if self.received else None

  def __call__(self) -> bool:
    """Whether a signal has asked the run to stop."""
    return bool(self.received)

  def __exit__(self, exc_type, *exc):
    for sig, previous in self._previous.items():
      signal.signal(sig, previous)
    if exc_type is None and self.received and self._exit_on_signal:
      raise SystemExit(128 + self.received[0])
