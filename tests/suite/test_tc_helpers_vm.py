# SPDX-License-Identifier: GPL-2.0-or-later
"""The TC helper chain's negative test (one boot, virtio-net, ~30 s): a chain whose
first program flips one metadata byte after its helper must fail every tc:<helper>
meta row, packet by packet.  The positive rows are checked by test_run_vm's suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.oracle.paths import TC_HELPER_PATHS
from tests.conftest import xdp_hints
from tests.suite.test_run_vm import _bpf_missing

pytestmark = pytest.mark.vm


def test_corrupting_tc_program_fails_the_meta_rows(tmp_path: Path) -> None:
    why = _bpf_missing()
    if why:
        pytest.skip(why)
    js = tmp_path / "neg.json"
    p = xdp_hints("run", "--nic", "virtio-net", "--path", "tc-helpers", "--backend", "auto",
                  "--test-fault", "tc-meta-byte", "--json", str(js), timeout=900)
    assert p.returncode == 1, p.stdout + p.stderr
    rows = {r["path"]: r for r in json.loads(js.read_text())["results"]}
    assert set(rows) == set(TC_HELPER_PATHS)
    for path, r in rows.items():
        assert (r["field"], r["verdict"], r["matched"]) == ("meta", "fail", 0), r
        assert r["checked"] == 4 and r["mismatches"], r
        for m in r["mismatches"]:
            assert (m["expected"], m["observed"]) == ("intact", "corrupted"), (path, m)
