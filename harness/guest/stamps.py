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
from typing import Any

from harness.guest.runner import RunnerError
from harness.guest.scripts import script

POLL_S = 0.05  # the guest's poll interval while it waits


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
        """Copy and start the receiver in one round trip (it takes a while to listen:
        :meth:`wait_ready`)."""
        out = self.out
        r = self.vm.ssh.run(f"cat > {self.script} && rm -f {out} {out}.pid && "
                            f"{{ setsid python3 {self.script} {shlex.quote(self.ifname)} "
                            f"{out}.pid > {out} 2>&1 < /dev/null & }}",
                            timeout=60, stdin=script(self.name))
        if r.rc != 0:
            raise RunnerError(f"stamp receiver {self.name} could not be started in the guest",
                              stderr=r.stderr)

    def wait_ready(self, timeout_s: float = 60) -> None:
        """Wait until the launched receiver listens (the guest polls: one round trip;
        RunnerError with its output if it does not)."""
        out, n = self.out, int(timeout_s / POLL_S)
        text = self._sh(f"i=0; until grep -q '^ready' {out} 2>/dev/null || [ $i -ge {n} ]; "
                        f"do sleep {POLL_S}; i=$((i+1)); done; head -c 4000 {out}",
                        timeout=timeout_s + 30)
        if not text.startswith("ready"):
            raise RunnerError(f"stamp receiver {self.name} did not start in the guest",
                              stderr=text)

    def stop(self, ids: set[int], wait_s: float = 10) -> dict[int, int | None]:
        """Stamps by packet id (the guest waits up to ``wait_s`` for as many lines as
        ``ids``), then ends it: one round trip."""
        out, n = self.out, int(wait_s / POLL_S)
        text = self._sh(f"i=0; until [ $(cat {out} 2>/dev/null | grep -c '^{{') -ge "
                        f"{len(ids)} ] || [ $i -ge {n} ]; do sleep {POLL_S}; i=$((i+1)); done; "
                        f"cat {out}; kill $(cat {out}.pid) 2>/dev/null; rm -f {out}.pid; true",
                        timeout=wait_s + 120)
        got: dict[int, int | None] = {}
        for line in text.splitlines():
            if line.startswith("{"):
                rec = json.loads(line)
                got.setdefault(int(rec["id"]), rec.get("hw"))
        return got
