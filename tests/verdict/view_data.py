# SPDX-License-Identifier: GPL-2.0-or-later
"""Result rows for the view tests: real default runs (7.2.13, igc + virtio-net, saved
from ``xdp-hints run --json``; one with a test fault) and variants derived from them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

REAL_RUN = Path(__file__).parent / "data" / "run-igc-virtio-net.json"
#: the same run with the test fault ``hash+1`` (every XDP hash off by one: 6 rows fail)
FAULT_RUN = Path(__file__).parent / "data" / "run-fault-hash+1.json"


def real_run() -> dict[str, Any]:
    """The saved default run (90 rows: 49 pass, 41 expected-unsupported)."""
    return json.loads(REAL_RUN.read_text())


def fault_run() -> dict[str, Any]:
    """The saved ``run --test-fault hash+1`` (90 rows: 43 pass, 6 fail, 41 e-u)."""
    return json.loads(FAULT_RUN.read_text())


def _copy(rows: list[dict[str, Any]], **change: str) -> list[dict[str, Any]]:
    out = copy.deepcopy(rows)
    for r in out:
        r.update(change)
    return out


def grown_run() -> dict[str, Any]:
    """The real run grown to what other work adds: paths xdp-late, tpacket and
    tc:helper (copies of the xdp / skb rows) and a third NIC (veth, a copy of
    virtio-net): 3 NICs x 13 paths x 6 fields."""
    doc = real_run()
    rows = doc["results"]
    grown: list[dict[str, Any]] = []
    for nic in ("igc", "virtio-net"):
        mine = [r for r in rows if r["nic"] == nic]
        for r in mine:
            grown.append(r)
            if r["path"] == "skb" and r["field"] == "meta":
                stamps = [x for x in mine if x["path"] == "skb" and x["field"] == "timestamp"]
                grown += _copy(stamps, path="tpacket")
                grown += _copy([x for x in mine if x["path"] == "skb"], path="tc:helper")
            if r["path"] == "xdp" and r["field"] == "queue":
                grown += _copy([x for x in mine if x["path"] == "xdp" and x["field"] != "queue"],
                               path="xdp-late")
    grown += _copy([r for r in grown if r["nic"] == "virtio-net"], nic="veth")
    doc["results"] = grown
    return doc
