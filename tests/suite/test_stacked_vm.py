# SPDX-License-Identifier: GPL-2.0-or-later
"""Stacked devices and tunnels in one boot (igc; its rx-vlan-offload can be turned on
and off): a reader that flips one metadata byte fails the VLAN devices' meta rows
packet by packet, while the tunnels' rows stay the documented loss (their metadata
is the outer headers either way) and the hash/vlan rows keep their verdicts.  The
positive rows of vlan-dev, gre and vxlan are checked by test_run_vm's default run;
vlan-dev-sw (opt-in) only here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.guest.stacked import PACKETS_PER_PATH
from tests.conftest import xdp_hints
from tests.suite.test_run_vm import _bpf_missing

pytestmark = pytest.mark.vm


def test_corrupting_reader_fails_the_vlan_meta_rows(tmp_path: Path) -> None:
    why = _bpf_missing()
    if why:
        pytest.skip(why)
    js = tmp_path / "neg.json"
    p = xdp_hints("run", "--nic", "igc", "--path", "vlan-dev,gre,vxlan,vlan-dev-sw",
                  "--backend", "auto", "--test-fault", "stk-meta-byte", "--json", str(js),
                  timeout=900)
    assert p.returncode == 1, p.stdout + p.stderr
    rows = {(r["path"], r["field"]): r for r in json.loads(js.read_text())["results"]}
    assert set(rows) == {("vlan-dev", f) for f in ("meta", "hash", "vlan")} | {
        ("vlan-dev-sw", f) for f in ("meta", "hash", "vlan")} | {
        (t, f) for t in ("gre", "vxlan") for f in ("meta", "hash")}
    for path in ("vlan-dev", "vlan-dev-sw"):
        r = rows[path, "meta"]
        assert (r["verdict"], r["matched"], r["checked"]) == ("fail", 0, PACKETS_PER_PATH), r
        assert all((m["expected"], m["observed"]) == ("intact", "corrupted")
                   for m in r["mismatches"]), r
        assert rows[path, "hash"]["verdict"] == "pass", rows[path, "hash"]
    for key, r in rows.items():
        if key[0] in ("gre", "vxlan"):
            assert r["verdict"] == "expected-unsupported", r
        if key[1] == "vlan":
            assert r["verdict"] == "expected-unsupported" and "vlan_do_receive" in r["detail"]
