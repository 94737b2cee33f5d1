# SPDX-License-Identifier: GPL-2.0-or-later
"""The skb hardware stamps a packet socket gets through SO_TIMESTAMPING (or, with
``script="tpacket_rx.py"``, through an af_packet mmap ring).

Runs ``scripts/tsrx.py`` (or the given script) in the guest for one runner
invocation: ``start()`` waits for it to listen, ``stop(ids)`` collects
``{packet id: stamp ns}`` and ends it.  Its files are per invocation under the
runner's directory.
"""

from __future__ import annotations

import itertools
import json
import shlex
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.guest.runner import RunnerError
from harness.guest.scripts import script


class StampReceiver:
    """SO_TIMESTAMPING (or ``script``'s) receiver on one guest interface."""

    _seq = itertools.count(1)

    def __init__(self, vm: Any, remote_dir: str, ifname: str, script: str = "tsrx.py") -> None:
        self.vm = vm
        self.ifname = ifname
        self.name = script
        self.script = f"{remote_dir}/{script}"
        self.out = f"{remote_dir}/{script.removesuffix('.py')}{next(self._seq)}.jsonl"

    def _sh(self, cmd: str, timeout: float = 60) -> str:
        return self.vm.ssh.run(cmd, timeout=timeout).stdout

    def start(self, timeout_s: float = 60) -> None:
        """Launch the receiver and wait until it listens."""
        self.launch()
        self.wait_ready(timeout_s)

    def launch(self) -> None:
        """Copy and start the receiver (it takes a while to listen: :meth:`wait_ready`)."""
        with tempfile.NamedTemporaryFile("wb", suffix=".py") as f:
            f.write(script(self.name))
            f.flush()
            self.vm.ssh.put(Path(f.name), self.script)
        out = self.out
        self.vm.ssh.check(f"rm -f {out} {out}.pid; setsid python3 {self.script} "
                          f"{shlex.quote(self.ifname)} {out}.pid > {out} 2>&1 < /dev/null &",
                          timeout=60)

    def wait_ready(self, timeout_s: float = 60) -> None:
        """Wait until the launched receiver listens (RunnerError with its output if not)."""
        out = self.out
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if "ready" in self._sh(f"head -c 200 {out}"):
                return
            time.sleep(0.3)
        raise RunnerError(f"stamp receiver {self.name} did not start in the guest",
                          stderr=self._sh(f"cat {out}"))

    def stop(self, ids: set[int], wait_s: float = 10) -> dict[int, int | None]:
        """Stamps by packet id (waits up to ``wait_s`` for all of ``ids``), then ends it."""
        deadline = time.monotonic() + wait_s
        got: dict[int, int | None] = {}
        while True:
            got = {}
            for line in self._sh(f"cat {self.out}", timeout=120).splitlines():
                if line.startswith("{"):
                    rec = json.loads(line)
                    got.setdefault(int(rec["id"]), rec.get("hw"))
            if ids <= set(got) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self._sh(f"kill $(cat {self.out}.pid) 2>/dev/null; rm -f {self.out}.pid; true")
        return got
