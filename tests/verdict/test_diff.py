# SPDX-License-Identifier: GPL-2.0-or-later
"""``report diff``: regressions, fixes and new support between two result files."""

from __future__ import annotations

import json
from pathlib import Path

from harness.verdict import diff
from tests.conftest import xdp_hints


def _doc(*rows: tuple[str, str, str, str, int, int], **meta: str) -> dict:
    return {"kernel": "k", **meta, "results": [
        {"nic": n, "path": p, "field": f, "verdict": v, "matched": m, "checked": c}
        for n, p, f, v, m, c in rows]}


BASE = _doc(("igc", "xdp", "hash", "pass", 48, 48),
            ("igc", "xdp", "vlan", "expected-unsupported", 48, 48),
            ("igc", "pass", "hash", "fail", 0, 48),
            ("virtio-net", "xdp", "hash", "pass", 48, 48),
            ("virtio-net", "xdp", "timestamp", "pass", 48, 48),
            ("virtio-net", "skb", "hash", "pass", 48, 48))


def test_each_kind_of_change() -> None:
    new = _doc(("igc", "xdp", "hash", "fail", 40, 48),
               ("igc", "xdp", "vlan", "pass", 48, 48),
               ("igc", "pass", "hash", "pass", 48, 48),
               ("virtio-net", "xdp", "hash", "pass", 47, 47),
               ("virtio-net", "xdp", "timestamp", "expected-unsupported", 48, 48))
    got = {(c.nic, c.path, c.field): (c.kind, c.before, c.after) for c in diff.diff(BASE, new)}
    assert got == {
        ("igc", "xdp", "hash"): ("regression", "pass", "fail"),
        ("igc", "xdp", "vlan"): ("new-support", "expected-unsupported", "pass"),
        ("igc", "pass", "hash"): ("fix", "fail", "pass"),
        ("virtio-net", "xdp", "hash"): ("changed", "pass", "pass"),
        ("virtio-net", "xdp", "timestamp"): ("regression", "pass", "expected-unsupported"),
        ("virtio-net", "skb", "hash"): ("regression", "pass", "missing"),
    }
    changes = diff.diff(BASE, new)
    assert [c.kind for c in changes][:3] == ["regression"] * 3  # regressions first
    assert diff.exit_code(changes) == 1
    assert "update the oracle rules" in diff.summary(changes)


def test_crash_and_identical() -> None:
    crashed = _doc(("igc", "xdp", "hash", "pass", 48, 48), error="GuestCrashed: panic")
    kinds = {(c.nic, c.path, c.field): (c.kind, c.after) for c in diff.diff(BASE, crashed)}
    assert kinds["virtio-net", "skb", "hash"] == ("regression", "crash")
    assert diff.diff(BASE, BASE) == [] and diff.exit_code([]) == 0


def test_cli_exit_codes(tmp_path: Path) -> None:
    a, b, bad = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "bad.json"
    a.write_text(json.dumps(BASE))
    b.write_text(json.dumps(_doc(("igc", "xdp", "hash", "fail", 0, 48))))
    bad.write_text("{}")
    r = xdp_hints("report", "diff", str(a), str(b), timeout=60)
    assert r.returncode == 1 and "regression   igc xdp hash: pass -> fail" in r.stdout, r.stdout
    assert xdp_hints("report", "diff", str(a), str(a), timeout=60).returncode == 0
    r = xdp_hints("report", "diff", str(a), str(bad), timeout=60)
    assert r.returncode == 2 and "bad.json" in r.stderr and "Traceback" not in r.stderr
    r = xdp_hints("report", "diff", "--json", str(a), str(b), timeout=60)
    assert json.loads(r.stdout)["regressions"] == 5  # igc pass hash fail -> missing: none
