# SPDX-License-Identifier: GPL-2.0-or-later
"""default_kinds: the NICs offered are those of the QEMU the run will boot (``--qemu``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.suite import suite
from harness.vm import qemu_cmd


@pytest.fixture
def no_cached_qemu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither our cached build nor a system QEMU."""
    monkeypatch.setattr(qemu_cmd, "_own_build", lambda: None)
    monkeypatch.setattr(qemu_cmd.shutil, "which", lambda _name: None)


def _fake_qemu(tmp_path: Path, devices: list[str]) -> Path:
    """An executable that lists ``devices`` as ``-device help`` does."""
    exe = tmp_path / "qemu-system-x86_64"
    lines = "".join(f'echo \'name "{d}", bus PCI\'\n' for d in devices)
    exe.write_text("#!/bin/sh\n" + lines)
    exe.chmod(0o755)
    return exe


def test_override_offers_its_devices(tmp_path: Path, no_cached_qemu: None) -> None:
    exe = _fake_qemu(tmp_path, ["igc", "virtio-net-pci"])
    kinds, notes = suite.default_kinds(exe)
    assert kinds == ["igc", "virtio-net", "veth"], notes
    assert notes == []


def test_override_without_igc_notes_it(tmp_path: Path, no_cached_qemu: None) -> None:
    exe = _fake_qemu(tmp_path, ["virtio-net-pci"])
    kinds, notes = suite.default_kinds(exe)
    assert kinds == ["virtio-net", "veth"]
    assert len(notes) == 1 and notes[0].startswith("igc not offered") and str(exe) in notes[0]


def test_without_override_nothing_is_offered(no_cached_qemu: None) -> None:
    kinds, notes = suite.default_kinds()
    assert kinds == [] and len(notes) == 3
