# SPDX-License-Identifier: GPL-2.0-or-later
"""Accelerator choice: TCG threading."""

from __future__ import annotations

from harness.vm.accel import _tcg


def test_tcg_single_threaded_unless_asked(monkeypatch):
    monkeypatch.delenv("XDP_HINTS_TCG_THREAD", raising=False)
    assert "tcg,thread=single" in _tcg().args
    monkeypatch.setenv("XDP_HINTS_TCG_THREAD", "multi")
    assert "tcg,thread=multi" in _tcg().args
