# SPDX-License-Identifier: GPL-2.0-or-later
"""The terminal view: matrix, failures in full, reasons once, fit on one screen."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness import cli
from harness.verdict import view
from harness.verdict.compare import Row
from tests.verdict.view_data import fault_run, grown_run, real_run

PLAIN = view.Style(colour=False, unicode=True, width=80)
SCREEN = 50  # lines


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _matrix_line(out: str, path: str) -> list[str]:
    """The glyphs on a path's matrix line (every NIC block)."""
    line = next(ln for ln in _lines(out) if ln.split() and ln.split()[0] == path)
    return line.split()[1:]


def _eu_reasons(rows: list[dict[str, Any]], notes: set[str]) -> set[str]:
    return {w for r in rows if r["verdict"] == "expected-unsupported"
            for w in view.reasons(r) if w not in notes}


def _fail(doc: dict[str, Any], nic: str, path: str, fld: str, **extra: Any) -> dict[str, Any]:
    """Turn one row of ``doc`` into a failure with two mismatches and a missing id."""
    r = next(r for r in doc["results"] if (r["nic"], r["path"], r["field"]) == (nic, path, fld))
    r.update(verdict="fail", matched=r["checked"] - 3, missing=[40],
             mismatches=[{"id": 7, "kind": "ipv4-udp-untagged", "expected": "0x1c2b3a49",
                          "observed": "0x00000000", "rule": "nic-hash", "reason": "Toeplitz"},
                         {"id": 8, "kind": "ipv6-tcp-untagged", "expected": "0x1c2b3a49",
                          "observed": "0x00000000", "rule": "nic-hash", "reason": "Toeplitz"}],
             detail=f"{r['checked'] - 3}/{r['checked']} matched; id 7: expected 0x1c2b3a49, "
                    "observed 0x00000000; id 8: expected 0x1c2b3a49, observed 0x00000000; "
                    "missing ids: 40; by kind: ipv4-udp-untagged x1, ipv6-tcp-untagged x1",
             **extra)
    return r


def test_real_default_run_fits_one_screen_with_every_reason_once() -> None:
    doc = real_run()
    rows = doc["results"]
    assert len(rows) == 90 and doc["counts"]["fail"] == 0
    out = view.heading(doc) + "\n" + view.render(rows, PLAIN)
    lines = _lines(out)
    assert len(lines) <= SCREEN, out
    assert max(len(ln) for ln in lines) <= 80, out
    assert "FAILED" not in out and lines[-1] == "90 rows: 49 pass, 0 fail, 41 expected-unsupported"
    # the matrix: igc then virtio-net side by side, one glyph per field (· where no row)
    assert lines[1].split() == ["igc", "virtio-net"]
    assert _matrix_line(out, "xdp") == ["✓", "✓", "✓", "–", "·", "✓", "✓", "✓", "–", "–", "·", "✓"]
    assert _matrix_line(out, "pass")[6] == "–"  # virtio-net: XDP_PASS skb has no hash
    # every expected-unsupported reason exactly once, not once per row
    reasons = _eu_reasons(rows, view._Result(rows).notes)
    assert len(reasons) == 11
    for why in reasons:
        assert out.replace("\n    ", " ").count(why) == 1, why
    assert "41 rows, 11 reasons" in out
    assert "[igc+virtio-net cpumap: hash,type,ts,vlan]" in out.replace("\n    ", " ")


def test_grown_run_3_nics_13_paths_fits_one_screen() -> None:
    """3 NICs x 13 paths x 6 fields (162 rows): side by side, narrow labels at 80 columns."""
    doc = grown_run()
    assert len(doc["results"]) == 162
    for width in (80, 100, 160):
        out = view.heading(doc) + "\n" + view.render(doc["results"], view.Style(width=width))
        assert len(_lines(out)) <= SCREEN, (width, out)
        assert max(len(ln) for ln in _lines(out)) <= width, out
        assert _lines(out)[1].split() == ["igc", "virtio-net", "veth"], out
    narrow = view.render(doc["results"], view.Style(width=80))
    assert "hs ht ts vl md rq" in narrow and "hs=hash" in narrow
    assert "hash type ts vlan meta rxq" in view.render(doc["results"], view.Style(width=100))


def test_too_narrow_stacks_nic_blocks() -> None:
    out = view.render(grown_run()["results"], view.Style(width=60))
    nics = {"igc", "virtio-net", "veth"}
    heads = [ln.split() for ln in _lines(out) if ln.split() and set(ln.split()) <= nics]
    assert heads == [["igc", "virtio-net"], ["veth"]], out
    assert sum(1 for ln in _lines(out) if ln.startswith("path")) == 2


def test_failures_in_full_by_packet_id() -> None:
    doc = real_run()
    _fail(doc, "igc", "xdp", "hash")
    _fail(doc, "virtio-net", "xsk", "hash")
    out = view.render(doc["results"], PLAIN)
    assert _matrix_line(out, "xdp")[0] == "✗" and _matrix_line(out, "xsk")[6] == "✗"
    text = out[out.index("FAILED: 2 rows"):]
    block = text[text.index("✗ igc xdp hash  45/48 matched"):]
    assert "    ids 7-8: expected 0x1c2b3a49, observed 0x00000000\n" in block
    assert "    missing ids: 40\n" in block
    assert "    by kind: ipv4-udp-untagged x1, ipv6-tcp-untagged x1\n" in block
    assert "    rule nic-hash: Toeplitz\n" in block
    assert "id 7: expected" not in out  # the detail's own id list is not repeated
    assert "✗ virtio-net xsk hash  45/48 matched" in text
    assert "2 fail" in _lines(out)[-1]


def test_real_failing_run_names_every_failure_in_full() -> None:
    """``run --test-fault hash+1``: the six XDP hash rows fail, each with its packets."""
    doc = fault_run()
    out = view.render(doc["results"], view.Style(width=100))
    failed = [r for r in doc["results"] if r["verdict"] == "fail"]
    assert len(failed) == 6 and "FAILED: 6 rows" in out
    for r in failed:
        block = out[out.index(f"✗ {r['nic']} {r['path']} hash  0/48 matched"):]
        for m in r["mismatches"]:
            assert f"    id {m['id']}: expected {m['expected']}, observed {m['observed']}\n" \
                in block, m
        assert "... 43 more mismatches" in block.split("✗")[1]
    assert _matrix_line(out, "xsk") == ["✗", "✓", "✓", "–", "✓", "·", "✗", "✓", "–", "–", "✓", "·"]
    assert _lines(out)[-2:] == ["failed: igc+virtio-net xdp,xsk,xsk-zc: hash",
                                "90 rows: 43 pass, 6 fail, 41 expected-unsupported"]


def test_every_failure_named_even_past_one_screen() -> None:
    doc = real_run()
    failed = [r for r in doc["results"] if r["verdict"] == "pass"][:30]
    for r in failed:
        _fail(doc, r["nic"], r["path"], r["field"])
    out = view.render(doc["results"], PLAIN)
    assert len(_lines(out)) > SCREEN
    for r in failed:
        assert f"✗ {r['nic']} {r['path']} {r['field']}  45/48 matched" in out


def test_mismatches_with_different_values_stay_apart() -> None:
    r = Row("igc", "xdp", "timestamp", "fail", 3, 1, "1/3 matched", mismatches=[
        {"id": 1, "expected": "t in [5, 9]", "observed": "rc=-95 (EOPNOTSUPP)"},
        {"id": 2, "expected": "t in [6, 10]", "observed": "rc=-95 (EOPNOTSUPP)"}])
    out = view.render(view.rows_of([r]), PLAIN)
    assert "    id 1: expected t in [5, 9], observed rc=-95 (EOPNOTSUPP)" in out
    assert "    id 2: expected t in [6, 10], observed rc=-95 (EOPNOTSUPP)" in out


def test_many_expected_unsupported_reasons_grouped_once_each() -> None:
    """20 reasons over 60 rows (3 NICs x 20 paths): each printed once with its cells."""
    rows = []
    for i in range(20):
        for nic in ("igc", "virtio-net", "igb"):
            rows.append(Row(nic, f"p{i}", "hash", "expected-unsupported", 8, 8,
                            f"8/8 matched; as expected: rc=-61 (ENODATA): reason number {i}"))
    out = view.render(view.rows_of(rows), PLAIN)
    assert "expected unsupported: 60 rows, 20 reasons" in out
    for i in range(20):
        assert out.count(f"reason number {i} ") == 1, i
        assert f"reason number {i}  [igc+virtio-net+igb p{i}: hash]" in out


def test_reasons_split_and_cells_compacted() -> None:
    rows = view.rows_of([
        Row("igc", "veth", "hash", "expected-unsupported", 8, 8,
            "8/8 matched; as expected: rc=-61 (ENODATA): no skb (veth; redirect); b reason"),
        Row("igc", "veth", "vlan", "expected-unsupported", 8, 8,
            "8/8 matched; as expected, lost for 2 of 8: rc=-61 (ENODATA): no skb (veth; "
            "redirect)"),
        Row("igc", "cpumap", "hash", "expected-unsupported", 8, 8,
            "8/8 matched; 2 not checked (x); as expected: b reason"),
    ])
    assert view.reasons(rows[0]) == ["rc=-61 (ENODATA): no skb (veth; redirect)", "b reason"]
    assert view.reasons(rows[1]) == ["rc=-61 (ENODATA): no skb (veth; redirect)"]
    out = view.render(rows, PLAIN)
    assert "no skb (veth; redirect)  [igc veth: hash,vlan]" in out
    assert "b reason  [igc veth,cpumap: hash]" in out
    assert view.where([("a", "p", "hash"), ("b", "p", "hash"), ("a", "q", "vlan")],
                      ["a", "b"], ["p", "q"], ["hash", "vlan"]) == "a+b p: hash; a q: vlan"


def test_notes_of_pass_rows_are_not_reasons() -> None:
    note = "skb stamps read through SO_TIMESTAMPING (packet socket)"
    rows = view.rows_of([
        Row("igc", "skb", "timestamp", "pass", 8, 8, f"8/8 matched; {note}"),
        Row("igc", "pass", "timestamp", "expected-unsupported", 8, 8,
            f"8/8 matched; as expected: clobbered by data_meta; {note}; {note}"),
    ])
    out = view.render(rows, PLAIN)
    assert "1 row, 1 reason" in out and "clobbered by data_meta  [igc pass: ts]" in out
    assert note not in out


def test_known_bug_skip_and_unknown_verdicts() -> None:
    rows = view.rows_of([
        Row("igc", "xdp", "hash", "pass", 8, 8, "8/8 matched"),
        Row("igc", "pass", "timestamp", "known-bug", 8, 8,
            "8/8 matched; known kernel bug for 8 of 8 (docs/kernel-bugs.md): "
            "igc-rx-ts-headroom: igc reads the stamp from the headroom (data_meta); "
            "a note about the socket"),
        Row("igc", "xdp-late", "timestamp", "known-bug", 8, 8,
            "8/8 matched; known kernel bug for 8 of 8 (docs/kernel-bugs.md): "
            "igc-rx-ts-headroom: igc reads the stamp from the headroom (data_meta)"),
        Row("igc", "xsk-zc", "hash", "skip", 0, 0, "zero-copy bind refused"),
        Row("igc", "xsk-zc", "vlan", "skip", 0, 0, "zero-copy bind refused"),
        Row("igc", "xsk", "hash", "crash", 0, 0, "the guest died"),
    ])
    out = view.render(rows, PLAIN)
    assert _matrix_line(out, "pass")[1] == "!" and _matrix_line(out, "xsk-zc") == ["s", "·", "s"]
    assert _matrix_line(out, "xsk")[0] == "?"
    assert "! known-bug" in out and "s skip" in out and "? crash" in out
    assert "known kernel bugs (docs/kernel-bugs.md): 2 rows, 1 reason" in out
    assert "  ! igc-rx-ts-headroom  [igc pass,xdp-late: ts]  igc reads the stamp" in out
    assert "a note about the socket" not in out
    assert "skipped: 2 rows, 1 reason\n  s zero-copy bind refused  [igc xsk-zc: hash,vlan]" in out
    # a verdict the view does not know is listed in full, like a failure
    assert "other verdicts: 1 row\n? igc xsk hash  (crash)\n    the guest died" in out
    assert _lines(out)[-1] == "6 rows: 1 pass, 0 fail, 2 known-bug, 2 skip, 1 crash"


def test_colour_only_on_a_terminal_without_no_color() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert view.use_colour(Tty(), {}) is True
    assert view.use_colour(Tty(), {"NO_COLOR": "1"}) is False
    assert view.use_colour(Tty(), {"TERM": "dumb"}) is False
    assert view.use_colour(io.StringIO(), {}) is False
    rows = real_run()["results"]
    coloured = view.render(rows, view.Style(colour=True))
    assert "\x1b[32m✓\x1b[0m" in coloured and "\x1b[36m–\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == view.render(rows, PLAIN)
    assert "\x1b" not in view.render(rows, PLAIN)


def test_ascii_when_the_encoding_has_no_glyphs() -> None:
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    assert view.use_unicode(ascii_out) is False
    assert view.use_unicode(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) is True
    out = view.render(real_run()["results"], view.Style(unicode=False))
    out.encode("ascii")
    assert _matrix_line(out, "xdp")[:6] == ["+", "+", "+", "-", ".", "+"]


def test_empty() -> None:
    assert view.render([]) == "(no results)"


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(real_run()))
    return path


def test_report_show_both_views(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "show", str(saved)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("kernel  7.2.13+deb14-amd64  (debian:sid)  accel tcg  backend tap")
    assert "expected unsupported: 41 rows, 11 reasons" in out and len(_lines(out)) <= SCREEN
    assert cli.main(["report", "show", "--table", str(saved)]) == 0
    flat = _lines(capsys.readouterr().out)
    assert len(flat) == 1 + 90 + 1
    assert flat[1].split()[:5] == ["igc", "skb", "hash", "pass", "48/48"]
    assert flat[-1] == "90 rows: 49 pass, 0 fail, 41 expected-unsupported, 0 skip"


def test_report_show_exit_codes(saved: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    doc = real_run()
    _fail(doc, "igc", "xdp", "hash")
    doc["error"] = "GuestCrashed: the guest kernel crashed"
    failed = tmp_path / "f.json"
    failed.write_text(json.dumps(doc))
    assert cli.main(["report", "show", str(failed)]) == 1
    out = capsys.readouterr().out
    assert "ERROR GuestCrashed" in out and "✗ igc xdp hash" in out
    bad = copy.deepcopy(doc)
    bad["results"][3] = {"nic": "igc"}
    failed.write_text(json.dumps(bad))
    assert cli.main(["report", "show", str(failed)]) == 2
    assert "result 3 is not a row" in capsys.readouterr().err
    assert cli.main(["report", "show", str(tmp_path / "absent.json")]) == 2


def test_run_prints_view_or_table(capsys: pytest.CaptureFixture[str]) -> None:
    from harness.commands.run import print_table
    doc = real_run()
    rows = [Row(**r) for r in doc["results"]]
    print_table(rows, doc, flat=False)
    out = capsys.readouterr().out
    assert "41 rows, 11 reasons" in out and "igc         skb" not in out
    print_table(rows, doc, flat=True)
    assert len(_lines(capsys.readouterr().out)) == 92


def _tc_run() -> dict[str, Any]:
    """A real default run with the TC helper chain and veth (183 rows, sid 7.2.13)."""
    return json.loads((Path(__file__).parent / "data" / "run-tc-helpers.json").read_text())


def test_path_families_fold_into_one_matrix_line_and_fit_a_screen() -> None:
    doc = _tc_run()
    out = view.render(doc["results"], PLAIN)
    assert len(_lines(out)) <= SCREEN, out
    assert _matrix_line(out, "tc:*") == ["(11)"] + ["·", "·", "·", "·", "✓", "·"] * 3
    assert not any(ln.startswith("tc:none") for ln in _lines(out))
    # no reason is lost: each is one line, cells first
    for why in _eu_reasons(doc["results"], set()):
        assert any(why[:20] in ln for ln in _lines(out)), why


def test_a_failing_family_member_shows_on_the_folded_line_and_in_full() -> None:
    doc = _tc_run()
    row = next(r for r in doc["results"]
               if (r["nic"], r["path"], r["field"]) == ("virtio-net", "tc:change_head", "meta"))
    row.update(verdict="fail", detail="expected intact, observed corrupted")
    out = view.render(doc["results"], PLAIN)
    assert _matrix_line(out, "tc:*")[1 + 6 + 4] == "✗"
    assert "virtio-net tc:change_head meta" in out or "tc:change_head" in out.split("FAILED")[1]


def test_structured_reasons_and_old_files() -> None:
    """A row's ``reasons`` (compare.Row) are what the view groups by; a row without them
    (a file written before they existed) is read from its detail, to the same reasons."""
    from harness.oracle import Facts
    from harness.traffic.packets import make_plan
    from harness.verdict.compare import compare

    plan = make_plan(4, dst_mac="52:54:00:00:00:01")
    facts = Facts(driver="virtio_net", kfuncs=frozenset({"bpf_xdp_metadata_rx_timestamp"}),
                  xdp_features=frozenset({"hash"}))
    recs = [{"point": "xdp", "id": p.id, "rx_ts_rc": -95, "rx_ts": 0} for p in plan]
    (row,) = compare("virtio-net", facts, plan, recs, paths=["xdp"], fields=["timestamp"])
    assert row.verdict == "expected-unsupported" and row.reasons
    d = row.to_dict()
    assert view.reasons(d) == row.reasons
    old = {k: v for k, v in d.items() if k != "reasons"}
    assert view.reasons(old) == row.reasons
    # a note appended to the detail later (as runs do) is not a reason
    d["detail"] += "; runner errors: tc: gone"
    assert view.reasons(d) == row.reasons
    assert view.reasons(dict(old, detail=d["detail"])) != row.reasons  # what parsing gave
    # skip rows: each skip reason apart, not the joined detail
    skip = Row("igc", "xdp", "csum", "skip", detail="b; a (x; y)", reasons=["a (x; y)", "b"])
    assert view.reasons(skip.to_dict()) == ["a (x; y)", "b"]


def test_paths_skipped_on_every_nic_leave_the_grid_and_are_named_under_it() -> None:
    """A path whose every row is skip (e.g. the store paths on a kernel without the store
    kfuncs) is one line under the grid, not a grid line: its long name must not push the
    NIC blocks below each other; one non-skip row keeps it in the grid."""
    rows = copy.deepcopy(real_run()["results"])
    extra = [{**rows[0], "nic": nic, "path": "cpumap-store-skb", "field": fld,
              "verdict": "skip", "detail": "store kfuncs absent"}
             for nic in ("igc", "virtio-net") for fld in ("hash", "vlan")]
    out = view.render(rows + extra, PLAIN)
    assert not any(ln.split() and ln.split()[0] == "cpumap-store-skb" for ln in _lines(out))
    assert "skipped everywhere: cpumap-store-skb" in out
    assert _lines(out)[0].split() == ["igc", "virtio-net"]  # side by side still
    extra[0]["verdict"] = "pass"
    out = view.render(rows + extra, PLAIN)
    assert _matrix_line(out, "cpumap-store-skb")[0] == "✓"
    assert "skipped everywhere" not in out
