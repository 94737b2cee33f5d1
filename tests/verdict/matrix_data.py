# SPDX-License-Identifier: GPL-2.0-or-later
"""Synthetic matrix cells (``cell.json`` documents) for the report tests."""

from __future__ import annotations

from typing import Any

from harness.verdict.compare import Row
from harness.verdict.report import to_json

#: (nic, path, field) -> verdict, for a cell that looks like a real run
ROWS = {
    ("igc", "xdp", "hash"): "pass", ("igc", "xdp", "timestamp"): "pass",
    ("igc", "xdp", "vlan"): "expected-unsupported", ("igc", "pass", "hash"): "pass",
    ("virtio-net", "xdp", "hash"): "pass", ("virtio-net", "xdp", "timestamp"):
        "expected-unsupported", ("virtio-net", "skb", "timestamp"): "skip",
}


def row(nic: str, path: str, fld: str, verdict: str) -> Row:
    r = Row(nic, path, fld, verdict, checked=8, matched=8 if verdict != "fail" else 5,
            detail=f"{verdict} because # reasons", rules=["no-callback"])
    if verdict == "fail":
        r.mismatches = [{"id": 3, "kind": "value", "expected": "0x1234", "observed": "0x0"}]
        r.missing = [6, 7]
    return r


def cell(cid: str, status: str = "pass", changes: dict | None = None,
         rows: dict | None = None) -> dict[str, Any]:
    """A cell document; ``changes`` overrides verdicts of ``ROWS``."""
    verdicts = {**(ROWS if rows is None else rows), **(changes or {})}
    rs = [row(*k, v) for k, v in verdicts.items()]
    meta: dict[str, Any] = {"kernel": f"7.2-{cid}", "accel": "tcg", "kernel_spec": f"debian:{cid}",
                            "duration_s": 40.0, "boot_s": 11.0}
    if status == "crash":
        meta["error"] = "GuestCrashed: the guest kernel crashed"
        meta["error_detail"] = ["Kernel panic - not syncing: Fatal exception"]
    doc = to_json(rs, meta)
    doc.update(cell_id=cid, status=status, flaky=status == "flaky", cell_duration_s=41.0,
               panic=meta.get("error_detail", []), attempts=[{"exit_code": 0}],
               cell_error="kernel image not found: /x" if status == "infra" else "")
    return doc
