# SPDX-License-Identifier: GPL-2.0-or-later
"""Typed progress events: the renderer is live on a terminal, quiet in CI."""

from __future__ import annotations

import pytest

from harness import progress as pg


def test_renderer_quiet_in_ci(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("XDP_HINTS_PROGRESS", raising=False)
    pg.renderer()(pg.Note("hello"))
    assert capsys.readouterr().err == ""


def test_renderer_forced_shows_events_and_status_lines(monkeypatch, capsys) -> None:
    monkeypatch.setenv("XDP_HINTS_PROGRESS", "1")
    emit = pg.renderer()
    emit(pg.BuildStatus("qemu", "[1/9] cc igc_core.c"))
    emit(pg.BootStarted("7.2.13", "tcg", "/x/serial.log"))
    emit(pg.RunStarted("igc", "pass", ("xdp", "pass"), 48))
    err = capsys.readouterr().err
    assert "\r[qemu] [1/9] cc igc_core.c" in err
    assert "booting 7.2.13 under tcg (serial log /x/serial.log)" in err
    assert "igc: pass (xdp, pass): 48 packets" in err


def test_every_event_has_a_line() -> None:
    events = [pg.Note("n"), pg.BuildStep("kernel", "fetch"), pg.BuildStatus("q", "l"),
              pg.BootStarted("k", "tcg", "s"), pg.BootReady(1.0),
              pg.RunStarted("igc", "pass", ("xdp",), 1), pg.RunFinished("igc", "pass", 1.0, 2)]
    assert all(e.text() for e in events)


def test_matrix_cells_share_one_live_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("XDP_HINTS_PROGRESS", "1")
    emit = pg.renderer()
    emit(pg.CellStarted("sid", "debian:sid"))
    emit(pg.CellStatus("sid", "igc: xdp (xdp): 16 packets"))
    emit(pg.CellStatus("trixie", "booting"))
    emit(pg.CellFinished("sid", "pass", 90.2, "65 pass"))
    emit(pg.CellStatus("trixie", "virtio-net: skb"))
    err = capsys.readouterr().err
    assert "[sid] start: debian:sid" in err
    assert "\rsid: igc: xdp (xdp): 16 packets | trixie: booting" in err
    assert "[sid] pass after 90 s: 65 pass" in err
    assert err.rstrip().endswith("trixie: virtio-net: skb")  # sid left the live line
    monkeypatch.setenv("CI", "1")
    monkeypatch.delenv("XDP_HINTS_PROGRESS")
    pg.renderer()(pg.CellStatus("sid", "x"))
    assert capsys.readouterr().err == ""
