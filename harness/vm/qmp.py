# SPDX-License-Identifier: GPL-2.0-or-later
"""QMP client for one VM, on qemu.qmp's synchronous (legacy) API."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qemu.qmp.legacy import QEMUMonitorProtocol

from harness.errors import HarnessError


class QmpError(HarnessError):
    """QMP could not be reached or a command failed."""


class Qmp:
    """``command(cmd, **args)`` returns QMP's ``return`` value or raises QmpError."""

    def __init__(self, socket_path: Path) -> None:
        self.path = socket_path
        self._mon: QEMUMonitorProtocol | None = None

    def connect(self, timeout_s: float, alive=lambda: True) -> None:
        """Connect, retrying until the socket answers or ``timeout_s`` passes."""
        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline and alive():
            if self.path.exists():
                mon = QEMUMonitorProtocol(str(self.path))
                try:
                    mon.connect(negotiate=True)
                    self._mon = mon
                    return
                except Exception as e:  # noqa: BLE001 - qemu.qmp raises several kinds
                    last = e
                    mon.close()
            time.sleep(0.05)
        raise QmpError(f"QMP socket {self.path} did not answer: {last or 'QEMU exited'}")

    @property
    def connected(self) -> bool:
        return self._mon is not None

    def command(self, cmd: str, /, **args: Any) -> Any:
        """Run QMP command ``cmd`` (arguments may include ``name``, e.g. set_link)."""
        if self._mon is None:
            raise QmpError("QMP not connected")
        try:
            return self._mon.cmd(cmd, **args)
        except Exception as e:  # noqa: BLE001
            raise QmpError(f"QMP {cmd} failed: {e}") from e

    def qom_get(self, path: str, prop: str) -> Any:
        return self.command("qom-get", path=path, property=prop)

    def qom_set(self, path: str, prop: str, value: Any) -> Any:
        return self.command("qom-set", path=path, property=prop, value=value)

    def close(self) -> None:
        """Disconnect; QEMU having gone away already (e.g. after ``quit``) is fine."""
        if self._mon is not None:
            try:
                self._mon.close()
            except Exception:  # noqa: BLE001, S110 - EOF from an exited QEMU
                pass
            finally:
                self._mon = None


def pci_bar(command: Callable[..., Any], qdev_id: str, bar: int = 0) -> int:
    """Guest-physical address of memory BAR ``bar`` of device ``qdev_id`` (query-pci,
    through bridges)."""
    def walk(devices: list[dict]) -> int | None:
        for dev in devices:
            if dev.get("qdev_id") == qdev_id:
                for region in dev.get("regions", []):
                    if region.get("bar") == bar and region.get("type") == "memory":
                        return int(region["address"])
            found = walk(dev.get("pci_bridge", {}).get("devices", []))
            if found is not None:
                return found
        return None

    for bus in command("query-pci"):
        addr = walk(bus.get("devices", []))
        if addr is not None:
            return addr
    raise QmpError(f"no memory BAR {bar} for device {qdev_id!r} in query-pci")


def read_dwords(command: Callable[..., Any], addr: int, count: int) -> list[int]:
    """``count`` little-endian dwords at guest-physical ``addr`` (device registers are
    read through the device, as the CPU would)."""
    out = command("human-monitor-command", **{"command-line": f"xp /{count}wx {addr:#x}"})
    words = [int(w, 16) for line in str(out).splitlines() for w in line.split(":", 1)[-1].split()]
    if len(words) != count:
        raise QmpError(f"xp returned {len(words)} words, wanted {count}: {out!r}")
    return words
