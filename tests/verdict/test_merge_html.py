# SPDX-License-Identifier: GPL-2.0-or-later
"""report merge: collecting cells from shards, the merged JSON, the matrix diff, the HTML
page, and the page in a real browser (headless Chromium: DOM + a PNG kept under logs)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import UsageError
from harness.paths import cache_dir
from harness.verdict import html, merge
from tests.verdict.matrix_data import cell


def _write(root: Path, *cells: dict) -> Path:
    for c in cells:
        d = root / c["cell_id"]
        d.mkdir(parents=True)
        (d / "cell.json").write_text(json.dumps(c))
    return root


def test_collect_from_shards_sorted_and_unique(tmp_path: Path) -> None:
    _write(tmp_path / "cells-1", cell("trixie"), cell("broken", "infra", rows={}))
    _write(tmp_path / "cells-2", cell("sid"))
    (tmp_path / "cells-2/sid/attempt-1").mkdir()
    (tmp_path / "cells-2/sid/attempt-1/cell.json").write_text("{}")  # never read
    cells = merge.collect([tmp_path / "cells-1", tmp_path / "cells-2"])
    assert [c["cell_id"] for c in cells] == ["broken", "sid", "trixie"]
    t = merge.totals(cells)
    assert t["status"]["infra"] == 1 and t["infra"] == ["broken"] and t["rows"] == 14
    with pytest.raises(UsageError, match="found twice"):
        merge.collect([tmp_path / "cells-1", tmp_path / "cells-1"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no cells"):
        merge.collect([tmp_path / "empty"])


def test_a_plain_run_json_is_a_cell(tmp_path: Path) -> None:
    doc = cell("sid")
    for k in ("cell_id", "status", "flaky", "panic", "attempts", "cell_error"):
        doc.pop(k)
    doc["error"] = "GuestCrashed: x"
    (tmp_path / "r.json").write_text(json.dumps(doc))
    (c,) = merge.collect([tmp_path / "r.json"])
    assert c["cell_id"] == "debian-sid" and c["status"] == "crash"


def test_diff_cells_regressions_first_with_the_cell() -> None:
    base = [cell("sid"), cell("trixie")]
    new = [cell("sid", changes={("igc", "xdp", "hash"): "fail",
                                ("virtio-net", "xdp", "timestamp"): "pass"})]
    changes = merge.diff_cells(base, new)
    kinds = [c.kind for c in changes]
    assert kinds[0] == "regression" and kinds == sorted(kinds, key=lambda k: (
        ["regression", "fix", "new-support", "changed"].index(k)))
    assert {(c.cell, c.kind) for c in changes} >= {("sid", "regression"), ("sid", "new-support"),
                                                    ("trixie", "regression")}
    # trixie is gone: each of its ok rows is a missing regression
    assert sum(c.cell == "trixie" and c.after == "missing" for c in changes) == 7
    assert sum(c.cell == "trixie" and c.kind == "regression" for c in changes) == 6  # not skip
    assert "[sid] igc xdp hash" in changes[0].line() or any(
        "[sid] igc xdp hash" in c.line() for c in changes)


def _page(tmp_path: Path) -> tuple[Path, list[dict]]:
    base = [cell("sid"), cell("trixie")]
    new = [cell("sid", changes={("igc", "xdp", "hash"): "fail"}), cell("trixie", "flaky"),
           cell("broken", "infra", rows={}), cell("crashy", "crash", rows={})]
    _write(tmp_path / "base", *base)
    _write(tmp_path / "new", *new)
    out = tmp_path / "index.html"
    rc = main(["report", "merge", str(tmp_path / "new"), "--html", str(out), "--json",
               str(tmp_path / "merged.json"), "--baseline", str(tmp_path / "base")])
    assert rc == 0
    return out, new


def test_html_page_is_self_contained_and_complete(tmp_path: Path) -> None:
    out, new = _page(tmp_path)
    page = out.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # no network
    assert "<style>" in page and "<script>" in page
    assert page.count('data-cell="sid" data-key=') == 7
    assert 'class="v fail changed"' in page and 'id="changes-regression"' in page
    assert 'id="broken-broken"' in page and "infrastructure error" in page
    assert "Kernel panic - not syncing" in page and 'id="flaky"' in page
    ctx = html.context(merge.collect([tmp_path / "new"]))
    cols = [c["id"] for c in ctx["columns"]]
    assert cols == ["broken", "crashy", "sid", "trixie"]
    cells = {(line["key"], cols[i]): v for line in ctx["grid"] for i, v in
             enumerate(line["cells"])}
    assert cells[(("igc", "xdp", "hash"), "broken")]["cls"] == "infra"
    assert cells[(("igc", "xdp", "hash"), "crashy")]["cls"] == "crash"
    fail = cells[(("igc", "xdp", "hash"), "sid")]["detail"]
    assert fail["mismatches"][0]["expected"] == "0x1234" and fail["missing"] == "6-7"
    assert fail["rules"][0]["rule"] == "no-callback" and fail["rules"][0]["source"]
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert merged["format"] == merge.FORMAT and merged["totals"]["crashed"] == ["crashy"]


def test_report_diff_on_merged_results_exits_1_and_adds_changes(tmp_path: Path,
                                                                  capsys) -> None:
    _page(tmp_path)
    (tmp_path / "base.json").write_text(json.dumps(merge.merged(
        merge.collect([tmp_path / "base"]))))
    page = tmp_path / "diff.html"
    assert main(["report", "diff", str(tmp_path / "base.json"), str(tmp_path / "merged.json"),
                 "--html", str(page)]) == 1
    assert "regression   [sid] igc xdp hash: pass -> fail" in capsys.readouterr().out
    assert 'id="changes-regression"' in page.read_text()
    assert main(["report", "diff", str(tmp_path / "base.json"),
                 str(tmp_path / "base")]) == 0


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("no chromium (make setup installs Debian's chromium)")
    return exe


def browse(page: Path, *args: str, query: str = "") -> subprocess.CompletedProcess:
    """Headless Chromium on ``page`` (root needs --no-sandbox)."""
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--disable-dev-shm-usage", *args,
                           f"file://{page}{query}"],
                          capture_output=True, text=True, timeout=120)


def check_in_browser(page: Path, png: Path, show: str = "") -> str:
    """The page's DOM after its scripts ran (``show``: a cell clicked open, as
    ``nic/path/field@cell``) and a screenshot at ``png``."""
    q = f"?show={show}" if show else ""
    dom = browse(page, "--dump-dom", query=q)
    assert dom.returncode == 0, dom.stderr[-2000:]
    png.parent.mkdir(parents=True, exist_ok=True)
    shot = browse(page, "--window-size=1400,1000", f"--screenshot={png}", query=q)
    assert shot.returncode == 0 and png.stat().st_size > 10_000, shot.stderr[-2000:]
    return dom.stdout


def test_page_in_a_real_browser(tmp_path: Path) -> None:
    out, _ = _page(tmp_path)
    png = cache_dir() / "logs" / "browser" / "matrix-unit.png"
    dom = check_in_browser(out, png, show="igc/xdp/hash@sid")
    assert dom.count('class="v ') == 4 * 7
    assert 'id="changed"' in dom and 'id="changes-regression"' in dom
    # the click handler filled the detail panel from the embedded data
    detail = re.search(r'<div id="detail">(.*?)</div>', dom, re.S)
    assert detail, "detail panel not shown"
    assert "0x1234" in detail.group(1) and "no-callback" in detail.group(1)
    assert 'id="broken-broken"' in dom
