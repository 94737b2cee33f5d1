# SPDX-License-Identifier: GPL-2.0-or-later
"""KTAP (the kernel selftests' result format) for a run and for a merged matrix.

Each (NIC, path, field) row is one test named ``PATH.FIELD``, nested per NIC::

    KTAP version 1
    1..2
        KTAP version 1
        # Subtest: igc
        1..30
        ok 1 xdp.hash
        not ok 2 xdp.timestamp
        ok 3 xdp.vlan # XFAIL igc has no rx_vlan_tag callback (-EOPNOTSUPP)
        ok 4 skb.timestamp # SKIP no hwtstamp on this NIC
    ok 1 igc
    ...

``pass`` -> ``ok``, ``fail`` -> ``not ok``, ``skip`` -> ``ok ... # SKIP reason``,
``expected-unsupported`` -> ``ok ... # XFAIL reason`` (kselftest's
``ksft_test_result_xfail``), ``known-bug`` -> ``not ok ... # TODO reason`` (TAP's
known failure: a wrong value for a cited kernel bug, not counted as a failure).
A NIC is ``not ok`` when one of its rows failed.  A merged matrix nests once
more: one subtest per cell (kernel); a crashed cell or one with an
infrastructure error is ``not ok`` with its reason as diagnostics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.verdict.compare import Row

INDENT = "    "
DIRECTIVE = {"skip": "SKIP", "expected-unsupported": "XFAIL", "known-bug": "TODO"}


def _clean(text: str, width: int = 200) -> str:
    """One line, no ``#`` (it would start a directive), at most ``width`` characters."""
    s = " ".join(str(text).replace("#", "no.").split())
    return s if len(s) <= width else s[: width - 3] + "..."


def _name(text: str) -> str:
    return _clean(text, 100).replace(" ", "_") or "unnamed"


def result_line(n: int, row: Row | Mapping[str, Any]) -> str:
    """The ``ok``/``not ok`` line of one row (a Row or its JSON form)."""
    get = row.get if isinstance(row, Mapping) else lambda k, d=None: getattr(row, k, d)
    verdict = get("verdict")
    name = _name(f"{get('path')}.{get('field')}")
    ok = "not ok" if verdict in ("fail", "known-bug") else "ok"
    line = f"{ok} {n} {name}"
    if verdict in DIRECTIVE:
        line += f" # {DIRECTIVE[verdict]} {_clean(get('detail') or verdict)}"
    return line


def _by_nic(rows: Iterable[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in rows:
        nic = r["nic"] if isinstance(r, Mapping) else r.nic
        out.setdefault(nic, []).append(r)
    return out


def _verdict(r: Any) -> str:
    return r["verdict"] if isinstance(r, Mapping) else r.verdict


def _subtest(name: str, body: Sequence[str], plan: int, diag: Sequence[str] = ()) -> list[str]:
    """A nested test block: header, plan, ``body``, indented one level."""
    lines = ["KTAP version 1", f"# Subtest: {_name(name)}", *[f"# {_clean(d)}" for d in diag],
             f"1..{plan}", *body]
    return [INDENT + ln if ln else ln for ln in lines]


def nic_tests(rows: Iterable[Any]) -> list[str]:
    """The lines of one plan level: a subtest per NIC and its result line."""
    lines: list[str] = []
    for i, (nic, nrows) in enumerate(_by_nic(rows).items(), 1):
        body = [result_line(n, r) for n, r in enumerate(nrows, 1)]
        lines += _subtest(nic, body, len(nrows))
        bad = any(_verdict(r) == "fail" for r in nrows)
        lines.append(f"{'not ok' if bad else 'ok'} {i} {_name(nic)}")
    return lines


def run_ktap(rows: Iterable[Row | Mapping[str, Any]], meta: Mapping[str, Any]) -> str:
    """KTAP for one ``xdp-hints run``: one subtest per NIC (a crash is a final diagnostic)."""
    rows = list(rows)
    head = ["KTAP version 1",
            f"# xdp-hints: kernel {meta.get('kernel')} ({meta.get('kernel_spec')}) "
            f"accel {meta.get('accel')}"]
    if meta.get("error"):
        head.append(f"# error: {_clean(meta['error'])}")
    head.append(f"1..{len(_by_nic(rows))}")
    return "\n".join(head + nic_tests(rows)) + "\n"


def matrix_ktap(cells: Sequence[Mapping[str, Any]]) -> str:
    """KTAP for a merged matrix: one subtest per cell (``cell.json`` documents), each
    with one subtest per NIC.  A cell without rows (infrastructure error) is a
    ``not ok`` leaf with its error as diagnostics."""
    lines = ["KTAP version 1", "# xdp-hints matrix", f"1..{len(cells)}"]
    for i, doc in enumerate(cells, 1):
        cid = str(doc.get("cell_id") or doc.get("kernel_spec") or f"cell{i}")
        status = str(doc.get("status") or "")
        rows = list(doc.get("results") or [])
        diag = [f"kernel {doc.get('kernel')} ({doc.get('kernel_spec')}) status {status}"]
        if doc.get("cell_error") or doc.get("error"):
            diag.append(f"{status or 'error'}: {doc.get('cell_error') or doc.get('error')}")
        diag += [f"panic: {p}" for p in (doc.get("panic") or [])[:10]]
        if rows:
            lines += _subtest(cid, nic_tests(rows), len(_by_nic(rows)), diag)
        else:
            lines += [f"# {_clean(d)}" for d in diag]
        bad = status in ("fail", "crash", "infra") or any(_verdict(r) == "fail" for r in rows)
        lines.append(f"{'not ok' if bad else 'ok'} {i} {_name(cid)}")
    return "\n".join(lines) + "\n"
