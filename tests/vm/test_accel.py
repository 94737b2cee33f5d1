# SPDX-License-Identifier: GPL-2.0-or-later
"""Accelerator choice: TCG threading."""

from __future__ import annotations

from harness.vm.accel import _tcg


def test_tcg_single_threaded_unless_asked(monkeypatch):
    monkeypatch.delenv("XDP_HINTS_TCG_THREAD", raising=False)
    assert "tcg,thread=single" in _tcg().args
    monkeypatch.setenv("XDP_HINTS_TCG_THREAD", "multi")
    assert "tcg,thread=multi" in _tcg().args


def test_kvm_reasons_name_what_is_missing(monkeypatch, tmp_path):
    from pathlib import Path

    from harness.vm import accel
    monkeypatch.delenv("XDP_HINTS_ACCEL", raising=False)
    monkeypatch.setattr(accel.os.path, "exists", lambda p: False)
    assert accel.choose(Path("/q"), Path("/k"), None).reason == "no /dev/kvm"
    monkeypatch.setattr(accel.os.path, "exists", lambda p: True)
    monkeypatch.setattr(accel.os, "access", lambda p, m: False)
    got = accel.choose(Path("/q"), Path("/k"), None)
    assert got.name == "tcg" and "kvm group" in got.reason
