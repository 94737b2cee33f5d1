# SPDX-License-Identifier: GPL-2.0-or-later
"""The skb hardware stamps a packet socket gets through SO_TIMESTAMPING (or, with
``kind="tpacket"``, through an af_packet mmap ring).

Runs ``xh-tools tsrx`` (or ``tpacket``, guest-bpf/xh_stamps.c) for one runner
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

KINDS = ("tsrx", "tpacket")


class StampReceiver:
    """SO_TIMESTAMPING (or ``kind``'s) receiver on one guest interface, run by
    ``runner`` (a GuestRunner: its binary, installed on first use)."""

    _seq = itertools.count(1)

    def __init__(self, runner: Any, ifname: str, kind: str = "tsrx") -> None:
        if kind not in KINDS:
            raise ValueError(f"stamp receiver kind must be one of {KINDS}, not {kind!r}")
        self.runner = runner
        self.vm = runner.vm
        self.ifname = ifname
        self.name = kind
        self.out = f"{runner.remote_dir}/{kind}{next(self._seq)}.jsonl"

    def _sh(self, cmd: str, timeout: float = 60) -> str:
        return self.vm.ssh.run(cmd, timeout=timeout).stdout

    def start(self, timeout_s: float = 60) -> None:
        """Launch the receiver and wait until it listens."""
        self.launch()
        self.wait_ready(timeout_s)

    def launch(self) -> None:
        """Start the receiver in one round trip (xh-tools comes with the runner, which
        is installed first if it is not yet); it listens a moment later:
        :meth:`wait_ready`."""
        if not self.runner.installed:
            self.runner.install()
        out = self.out
        # out is new per receiver: nothing to remove first
        r = self.vm.ssh.run(f"{{ setsid {self.runner.tools} {self.name} "
                            f"{shlex.quote(self.ifname)} {out}.pid > {out} 2>&1 < /dev/null & }}",
                            timeout=60)
        if r.rc != 0:
            raise RunnerError(f"stamp receiver {self.name} could not be started in the guest",
                              stderr=r.stderr)

    def wait_ready(self, timeout_s: float = 60) -> None:
        """Wait until the launched receiver listens (the guest's ``wait`` blocks on it:
        one round trip; RunnerError with its output if it does not)."""
        out = self.out
        text = self._sh(f"{self.runner.tools} wait {out} --match ^ready --pid-file {out}.pid "
                        f"--timeout {timeout_s:.2f} --cat {out}",
                        timeout=timeout_s + 30)
        if not text.startswith("ready"):
            raise RunnerError(f"stamp receiver {self.name} did not start in the guest",
                              stderr=text)

    def stop(self, ids: set[int], wait_s: float = 10) -> dict[int, int | None]:
        """Stamps by packet id (the guest waits up to ``wait_s`` for as many lines as
        ``ids``), then ends it: one round trip."""
        out = self.out
        text = self._sh(f"{self.runner.tools} wait {out} --match '^{{' --count {len(ids)} "
                        f"--pid-file {out}.pid --timeout {wait_s:.2f} --cat {out}; "
                        f"p=; {{ read -r p < {out}.pid; }} 2>/dev/null; "
                        f"[ -n \"$p\" ] && kill $p 2>/dev/null; true",
                        timeout=wait_s + 120)
        got: dict[int, int | None] = {}
        for line in text.splitlines():
            if line.startswith("{"):
                rec = json.loads(line)
                got.setdefault(int(rec["id"]), rec.get("hw"))
        return got
