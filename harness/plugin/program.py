# SPDX-License-Identifier: GPL-2.0-or-later
"""A user's BPF object running in the guest (``xdp_program``): built with the harness's
flags, pushed, its XDP program on the NIC in place of ours (device-bound when it calls
the RX metadata kfuncs), optionally its TC program too; read back through its ring
buffers, the runner's records and its maps."""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path
from typing import Any

from harness.guest.program import UserProgram, user_program
from harness.guest.runner import Observation
from harness.plugin.session import XdpNic


def build(path_or_source: str | Path, scratch: Path, section: str | None = None,
          tc: str | None = None) -> UserProgram:
    """A file (``.bpf.c`` or ``.o``), or C source text (written into ``scratch``)."""
    text = str(path_or_source)
    if "\n" in text:
        scratch.mkdir(parents=True, exist_ok=True)
        src = scratch / "inline.bpf.c"
        src.write_text(text)
        return user_program(src, section, tc)
    return user_program(Path(text), section, tc)


class XdpProgram:
    """One running user program: ``ringbuf()``, ``records()``, ``map()``, ``stop()``."""

    def __init__(self, nic: XdpNic, user: UserProgram, mode: str = "pass",
                 xsk_mode: str = "copy") -> None:
        self.nic = nic
        self.user = user
        g = nic.scenario.g
        args = user.push(g.vm, g.runner.remote_dir)
        self.obs: Observation = g.runner.observe(nic.ifname, mode, xsk_mode=xsk_mode,
                                                 extra_args=args)
        self.ready: dict = self.obs.ready or {}

    # -- reading ------------------------------------------------------------------
    def _events_and_records(self) -> tuple[list[dict], list[dict]]:
        if self.obs.stopped:
            return self.obs.events, self.obs.records
        records, events = self.obs.read()
        return events, records

    def seen(self) -> collections.Counter:
        """Observations so far per source: ``("ringbuf", MAP)`` or ``("point", POINT)``."""
        events, records = self._events_and_records()
        c: collections.Counter = collections.Counter(
            ("ringbuf", e.get("map")) for e in events if e.get("event") == "ringbuf")
        c.update(("point", r.get("point")) for r in records)
        return c

    def ringbuf(self, name: str, n: int | None = None, timeout: float = 60.0) -> list[bytes]:
        """The records the program submitted to its ring buffer ``name`` (raw bytes, in
        order); with ``n``: waits until that many arrived (or ``timeout``)."""
        end = time.monotonic() + timeout
        while True:
            events, _ = self._events_and_records()
            got = [bytes.fromhex(e["data"]) for e in events
                   if e.get("event") == "ringbuf" and e.get("map") == name]
            if n is None or len(got) >= n or time.monotonic() >= end:
                return got
            time.sleep(0.5)

    def records(self, point: str | None = None) -> list[dict]:
        """The runner's records (harness.guest.records), of one point or all."""
        _, records = self._events_and_records()
        return [r for r in records if point is None or r.get("point") == point]

    def map(self, name: str) -> list[dict[str, Any]]:
        """The map ``name`` of the running program (``bpftool map dump``): a list of
        ``{"key": bytes, "value": bytes, "formatted": ...}`` (formatted: from BTF)."""
        ssh = self.obs.runner.vm.ssh
        shown = json.loads(ssh.check("bpftool -j map show", timeout=60) or "[]")
        ids = sorted(m["id"] for m in shown if m.get("name") == name[:15])
        if not ids:
            raise KeyError(f"no map {name!r} in the guest")
        dump = json.loads(ssh.check(f"bpftool -j map dump id {ids[-1]}", timeout=60) or "[]")

        def raw(v: Any) -> bytes:
            return bytes(int(b, 16) for b in v) if isinstance(v, list) else b""

        return [{"key": raw(e.get("key")), "value": raw(e.get("value")),
                 "formatted": e.get("formatted")} for e in dump]

    def wait_seen(self, before: collections.Counter, n: int, timeout: float) -> None:
        """Until some source saw ``n`` more observations than in ``before``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            now = self.seen()
            if any(now[k] - before[k] >= n for k in now):
                return
            time.sleep(0.5)

    def stop(self) -> None:
        self.obs.stop()
