# SPDX-License-Identifier: GPL-2.0-or-later
"""igc receive queue filters end to end: the stock driver programs them (``ethtool -N``),
our model steers the frames, the oracle predicts every packet's queue from ``ethtool -n``.

One ``run --nic igc --path xdp`` with three rules (the guest has 2 rx queues: VLAN
priority 5 -> queue 1, ethertype IPv6 -> queue 0, a flex filter: the plan's source MAC +
IPv4 -> queue 1): every queue row
exact.  The same run with the model's filters off (test fault ``rx-filters-off``) must fail
the queue row on the steered packets.
"""

from __future__ import annotations

import json

import pytest

from harness.artifacts.qemu_build import find_qemu
from tests.conftest import xdp_hints

pytestmark = [
    pytest.mark.vm,
    pytest.mark.skipif(find_qemu() is None,
                       reason="no QEMU build with igc in the cache (run: xdp-hints qemu build)"),
]

RULES = (
    "flow-type ether vlan 0xa000 vlan-mask 0x1fff action 1",
    "flow-type ether proto 0x86dd action 0",
    "flow-type ether src 02:58:44:50:00:01 proto 0x0800 action 1",
)


def _run(tmp_path, *extra: str) -> tuple[int, dict, str]:
    out = tmp_path / "r.json"
    args = ["run", "--nic", "igc", "--path", "xdp", "--json", str(out)]
    for r in RULES:
        args += ["--rx-rule", r]
    r = xdp_hints(*args, *extra, timeout=900)
    assert out.exists(), r.stderr[-3000:]
    return r.returncode, json.loads(out.read_text()), r.stdout + r.stderr


def _queue_row(res: dict) -> dict:
    return next(r for r in res["results"] if r["nic"] == "igc" and r["path"] == "xdp"
                and r["field"] == "queue")


def test_filters_steer_and_the_oracle_predicts_every_queue(tmp_path):
    rc, res, log = _run(tmp_path)
    row = _queue_row(res)
    assert row["verdict"] == "pass" and row["checked"] == row["matched"] > 0, (row, log[-3000:])
    # ethtool picks the locations; the filters the driver chose and their queues
    got = sorted(r.split(": ", 1)[1] for r in res["facts"]["igc"]["rx_rules"])
    assert got == ["etype -> queue 0", "flex -> queue 1", "vlan-prio -> queue 1"], got
    assert rc == 0, log[-3000:]


def test_filters_off_fails_the_queue_rows(tmp_path):
    _, res, log = _run(tmp_path, "--test-fault", "rx-filters-off")
    row = _queue_row(res)
    assert row["verdict"] == "fail" and row["mismatches"], (row, log[-3000:])
