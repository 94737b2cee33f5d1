# SPDX-License-Identifier: GPL-2.0-or-later
"""The matrix spec (TOML), cell ids, shards, the CI plan, the cell runner's retry logic
and the CLI's early errors: no VM."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import UsageError
from harness.progress import CellFinished, CellStarted
from harness.suite import cellrun
from harness.suite import matrix as mx
from harness.suite.runs import CLI_PATHS

SPEC = """
nics = ["virtio-net", "igb"]
paths = ["xdp", "pass"]
packets = 8
[[kernel]]
spec = "debian:sid"
[[kernel]]
spec = "debian:trixie"
id = "trixie"
packets = 4
nics = ["igc"]
paths = "all"
[[kernel]]
spec = "build/arch/x86/boot/bzImage"
modules = "mods"
append = "quiet"
"""


def test_parse_defaults_overrides_and_ids(tmp_path: Path) -> None:
    m = mx.parse(SPEC, "m.toml", tmp_path)
    sid, trixie, local = m.cells
    assert sid.id == "debian-sid" and sid.nics == ("virtio-net", "igb") and sid.packets == 8
    assert sid.paths == ("xdp", "pass")
    assert trixie.id == "trixie" and trixie.packets == 4 and trixie.nics == ("igc",)
    assert trixie.paths == tuple(CLI_PATHS)
    # a relative kernel path is relative to the TOML's folder
    assert local.kernel == str(tmp_path / "build/arch/x86/boot/bzImage")
    assert local.modules == str(tmp_path / "mods") and local.id.endswith("x86-boot-bzImage")
    args = local.run_args()
    assert args[args.index("--append") + 1] == "quiet" and "--modules" in args
    assert sid.run_args()[:8] == ["--kernel", "debian:sid", "--nic", "virtio-net,igb",
                                  "--path", "xdp,pass", "--packets", "8"]
    assert "--test-fault" not in sid.run_args()


def test_test_fault_reaches_the_run() -> None:
    cell = mx.parse('[[kernel]]\nspec = "debian:sid"\ntest_fault = "guest-panic"').cells[0]
    args = cell.run_args()
    assert args[args.index("--test-fault") + 1] == "guest-panic"


@pytest.mark.parametrize("text, words", [
    ("nics = [\"igc\"]", "no [[kernel]]"),
    ("[[kernel]]\nspec = \"debian:sid\"\nbogus = 1", "unknown key `bogus`"),
    ("[[kernel]]\nspec = \"debian:sid\"\nnics = [\"e1000\"]", "unknown NIC"),
    ("paths = [\"xdp\", \"nope\"]\n[[kernel]]\nspec = \"debian:sid\"", "unknown path"),
    ("packets = 0\n[[kernel]]\nspec = \"debian:sid\"", "at least 1"),
    ("packets = \"8\"\n[[kernel]]\nspec = \"debian:sid\"", "must be int"),
    ("[[kernel]]\nid = \"x\"", "missing `spec`"),
    ("[[kernel]]\nspec = \"debian:sid\"\n[[kernel]]\nspec = \"debian:sid\"", "duplicate cell id"),
    ("[[kernel]]\nspec = \"debian:sid\"\nid = \"a b\"", "must match"),
    ("[[kernel]]\nspec = \"debian:sid\"\nmodules = \"m\"", "only goes with a kernel path"),
    ("[[kernel]\nspec = 1", "not valid TOML"),
    ("[[kernel]]\nspec = \"debian:sid\"\ntest_fault = \"boom\"", "unknown test_fault"),
])
def test_bad_specs_name_the_problem(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=words.replace("[", r"\[").replace("`", "`")):
        mx.parse(text, "bad.toml")


def test_slug() -> None:
    assert mx.slug("debian:sid") == "debian-sid"
    assert mx.slug("/a b/c") == "a-b-c"
    assert len(mx.slug("/x" * 100)) <= 64


def test_shards_partition_deterministically_by_id() -> None:
    cells = [mx.Cell(id=f"k{i:02d}", kernel="debian:sid") for i in range(7)]
    for n in (1, 2, 3, 7, 9):
        parts = [mx.shard(cells, k, n) for k in range(1, n + 1)]
        ids = [c.id for p in parts for c in p]
        assert sorted(ids) == [c.id for c in cells] and len(ids) == len(set(ids))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
        # the file's order does not matter: only the ids do
        assert [mx.shard(list(reversed(cells)), k, n) for k in range(1, n + 1)] == parts
    assert mx.parse_shard("2/3") == (2, 3)
    for bad in ("0/2", "3/2", "1", "a/b", ""):
        with pytest.raises(UsageError):
            mx.parse_shard(bad)


def test_plan_is_the_github_job_matrix() -> None:
    m = mx.Matrix("m", tuple(mx.Cell(id=i, kernel="debian:sid") for i in ("c", "a", "b")))
    plan = mx.plan(m, 2)
    assert plan == {"include": [{"shard": "1/2", "index": 1, "cells": "a c"},
                                {"shard": "2/2", "index": 2, "cells": "b"}]}
    assert [j["shard"] for j in mx.plan(m, 5)["include"]] == ["1/5", "2/5", "3/5"]


def test_plan_cli_prints_one_json_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    f = tmp_path / "m.toml"
    f.write_text(SPEC)
    assert main(["matrix", "plan", str(f), "--shards", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert [j["shard"] for j in json.loads(out)["include"]] == ["1/2", "2/2"]


@pytest.mark.parametrize("argv, words", [
    (["matrix", "{bad}"], "not valid TOML"),
    (["matrix", "{good}", "--shard", "3/2"], "--shard"),
    (["matrix", "{good}", "-j", "0"], "-j must be"),
    (["matrix", "{good}", "--cells", "nope"], "no cell nope"),
    (["matrix", "plan", "{good}"], "--shards N is required"),
    (["matrix", "{missing}"], "cannot read"),
])
def test_cli_fails_early_before_any_boot(tmp_path: Path, capsys: pytest.CaptureFixture,
                                         argv: list[str], words: str) -> None:
    (tmp_path / "bad.toml").write_text("[[kernel]\n")
    (tmp_path / "good.toml").write_text(SPEC)
    names = {"bad": tmp_path / "bad.toml", "good": tmp_path / "good.toml",
             "missing": tmp_path / "missing.toml"}
    argv = [a.format(**names) for a in argv]
    t0 = time.monotonic()
    assert main([*argv, "--out", str(tmp_path / "o")] if "plan" not in argv else argv) == 2
    assert time.monotonic() - t0 < 5
    assert words in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def _fake(codes: dict[str, list[int]], write: bool = True) -> cellrun.Runner:
    """A runner that exits with the next code for the cell, leaving result files."""
    def run(cell: mx.Cell, d: Path, emit, attempt: int) -> cellrun.Attempt:
        d.mkdir(parents=True, exist_ok=True)
        rc = codes[cell.id].pop(0)
        (d / "run.log").write_text(f"attempt {attempt}\n")
        if write and rc != 2:
            doc = {"kernel": "7.2", "accel": "tcg", "results": [], "counts": {"pass": 1}}
            if rc == 3:
                doc.update(error="GuestCrashed: boom", error_detail=["Kernel panic - x"])
            (d / "result.json").write_text(json.dumps(doc))
        return cellrun.Attempt(rc, 0.1, str(d), "no kernel" if rc == 2 else "")
    return run


def test_retry_flaky_crash_infra(tmp_path: Path) -> None:
    cells = [mx.Cell(id=i, kernel="debian:sid") for i in ("ok", "flaky", "flakyfail", "crash",
                                                              "broken")]
    codes = {"ok": [0], "flaky": [2, 0], "flakyfail": [2, 1], "crash": [3], "broken": [2, 2]}
    events: list = []
    res = {r.cell.id: r for r in cellrun.run_matrix(cells, tmp_path, 2, events.append,
                                                    _fake(codes))}
    assert {k: r.status for k, r in res.items()} == {
        "ok": "pass", "flaky": "flaky", "flakyfail": "fail", "crash": "crash", "broken": "infra"}
    assert res["flakyfail"].flaky and not res["broken"].flaky
    assert res["crash"].panic == ["Kernel panic - x"]
    # both attempts' logs are kept
    assert (tmp_path / "flaky/attempt-1/run.log").read_text() == "attempt 1\n"
    assert (tmp_path / "flaky/run.log").read_text() == "attempt 2\n"
    doc = json.loads((tmp_path / "broken/cell.json").read_text())
    assert doc["status"] == "infra" and doc["cell_error"] == "no kernel"
    assert [a["exit_code"] for a in doc["attempts"]] == [2, 2]
    assert sum(isinstance(e, CellStarted) for e in events) == 8
    assert sorted(e.cell for e in events if isinstance(e, CellFinished)) == sorted(codes)
    assert cellrun.exit_code(list(res.values())) == 2
    assert cellrun.exit_code([res["ok"], res["flaky"]]) == 0
    assert cellrun.exit_code([res["ok"], res["crash"], res["flakyfail"]]) == 3


def test_exit_1_without_a_result_is_infra(tmp_path: Path) -> None:
    res = cellrun.run_cell(mx.Cell(id="bug", kernel="debian:sid"), tmp_path,
                           runner=_fake({"bug": [1, 1]}, write=False))
    assert res.status == "infra" and len(res.attempts) == 2


def test_default_jobs_bounded_by_cores_and_memory() -> None:
    import os
    j = cellrun.default_jobs(2048)
    assert 1 <= j <= len(os.sched_getaffinity(0))
    assert cellrun.default_jobs(10**9) == 1
