# SPDX-License-Identifier: GPL-2.0-or-later
"""The nightly workflow's own commands (scripts/nightly.sh, which
.github/workflows/nightly.yml runs) on a small matrix, locally: plan 2 shards, run
each, merge them as the merge job does, and compare with an unsharded run.

Small on purpose (6 VM boots, about 2 minutes under TCG): the default kernel twice
(virtio-net, igb) with one path and 8 packets, a deliberately broken cell (a kernel
path that does not exist) that must show as an infrastructure error, and a cell
whose guest kernel really panics (test fault ``guest-panic``: sysrq c after the
boot) that must show as ``crash`` with its panic lines -- while the other cells
are still there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harness.paths import cache_dir
from harness.verdict import merge
from tests.conftest import REPO
from tests.verdict.test_ktap import kunit_counts
from tests.verdict.test_merge_html import check_in_browser

pytestmark = pytest.mark.vm

MATRIX = """
paths = ["xdp"]
packets = 8
[[kernel]]
id = "sid"
spec = "debian:sid"
nics = ["virtio-net"]
[[kernel]]
id = "sid-igb"
spec = "debian:sid"
nics = ["igb"]
[[kernel]]
id = "broken"
spec = "/nonexistent/xdp-hints/bzImage"
[[kernel]]
id = "crash"
spec = "debian:sid"
nics = ["virtio-net"]
test_fault = "guest-panic"
"""


def nightly(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XH": f"{sys.executable} -m harness.cli", "PYTHONPATH": str(REPO),
           "JOBS": "2"}
    return subprocess.run(["bash", str(REPO / "scripts/nightly.sh"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1200)


def test_workflow_runs_these_commands() -> None:
    wf = (REPO / ".github/workflows/nightly.yml").read_text()
    for step in ('scripts/nightly.sh plan "$MATRIX" "$SHARDS"',
                 'scripts/nightly.sh shard "$MATRIX" "${{ matrix.shard }}" cells',
                 "scripts/nightly.sh baseline baseline",
                 "scripts/nightly.sh merge cells report baseline/merged.json"):
        assert step in wf, step


def test_two_shards_merge_to_the_unsharded_run(tmp_path: Path, guest_artifacts,
                                               taps_usable) -> None:
    (tmp_path / "m.toml").write_text(MATRIX)
    p = nightly("plan", str(tmp_path / "m.toml"), "2")
    assert p.returncode == 0, p.stderr
    plan = json.loads(p.stdout)
    assert [j["shard"] for j in plan["include"]] == ["1/2", "2/2"]
    # the shard jobs: each uploads its cells dir; download-artifact puts them under cells/
    for job in plan["include"]:
        p = nightly("shard", str(tmp_path / "m.toml"), job["shard"],
                    str(tmp_path / "cells" / f"cells-{job['index']}"))
        want = 2 if "broken" in job["cells"] else 3 if "crash" in job["cells"] else 0
        assert p.returncode == want, p.stdout + p.stderr
    # unsharded, as `xdp-hints matrix` on one machine
    full = tmp_path / "full"
    p = subprocess.run([sys.executable, "-m", "harness.cli", "matrix", str(tmp_path / "m.toml"),
                        "-j", "2", "--out", str(full)], cwd=REPO, capture_output=True,
                       text=True, timeout=1200, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert p.returncode == 2, p.stdout + p.stderr  # the broken cell
    assert re.search(r"^broken +infra", p.stdout, re.M)
    assert re.search(r"^crash +crash", p.stdout, re.M)
    # the merge job, with the unsharded run as "last night": no regression, exit 0
    (tmp_path / "full.json").write_text(json.dumps(merge.merged(merge.collect([full]))))
    p = nightly("merge", str(tmp_path / "cells"), str(tmp_path / "report"),
                str(tmp_path / "full.json"))
    assert p.returncode == 0, p.stdout + p.stderr
    merged = json.loads((tmp_path / "report/merged.json").read_text())
    sharded, unsharded = merge.rows_of(merged["cells"]), merge.rows_of(merge.collect([full]))

    def essence(rows: dict) -> dict:
        return {k: (r["verdict"], r["checked"], r["matched"]) for k, r in rows.items()}

    assert essence(sharded) == essence(unsharded) and len(sharded) >= 10
    assert {c["cell_id"]: c["status"] for c in merged["cells"]} == {
        "broken": "infra", "crash": "crash", "sid": "pass", "sid-igb": "pass"}
    crashed = next(c for c in merged["cells"] if c["cell_id"] == "crash")
    assert any("sysrq" in line.lower() for line in crashed["panic"]), crashed["panic"]
    # the page in a real browser: every cell there, the broken one an infrastructure error
    png = cache_dir() / "logs" / "browser" / "nightly-vm.png"
    dom = check_in_browser(tmp_path / "report/index.html", png)
    for cid in ("sid", "sid-igb", "broken", "crash"):
        assert f'data-cell="{cid}"' in dom
    assert 'id="broken-broken"' in dom and "kernel image not found" in dom
    assert 'id="broken-crash"' in dom and "guest kernel crashed" in dom
    assert 'class="panic"' in dom and "sysrq" in dom.lower()
    assert dom.count('data-cell="broken" data-key=') == len(merge.row_keys(merged["cells"]))
    assert 'class="v infra"' in dom and 'id="changed"' in dom and 'id="no-changes"' in dom
    # KTAP of the merge: parses, one leaf per row (+ the broken cell)
    got = kunit_counts((tmp_path / "report/results.ktap").read_text())
    if got is not None:
        leaves, errors = got
        v = Counter(r["verdict"] for r in sharded.values())
        assert errors == 0 and leaves["FAILURE"] == v["fail"] + 2  # broken, crash
        assert leaves["SUCCESS"] == v["pass"] + v["expected-unsupported"]
