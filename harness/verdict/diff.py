# SPDX-License-Identifier: GPL-2.0-or-later
"""What changed between two results: a base (yesterday, the unpatched kernel) and a new one.

Both are ``xdp-hints run --json`` documents.  Rows are keyed by (nic, path,
field); a row absent from the new document is ``crash`` when the new run's
guest kernel crashed, else ``missing``.  Each changed row is one
:class:`Change`:

============  =================================================================
kind          meaning
============  =================================================================
regression    was pass / expected-unsupported / known-bug, now fail / crash /
              missing; or was pass, now expected-unsupported or known-bug (the
              kernel lost support, or broke it)
fix           was fail / crash / missing, now pass / expected-unsupported /
              known-bug; or was known-bug, now pass (the kernel bug was fixed)
new-support   was expected-unsupported, now pass: the kernel gained it (the
              expectation table may need updating)
changed       anything else: skips, new rows, counts (checked/matched) moved
============  =================================================================
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.errors import UsageError

OK = frozenset({"pass", "expected-unsupported", "known-bug"})
BAD = frozenset({"fail", "crash", "missing"})
KINDS = ("regression", "fix", "new-support", "changed")

Key = tuple[str, str, str]


@dataclass(frozen=True)
class Change:
    """One (nic, path, field) whose verdict or counts differ."""

    nic: str
    path: str
    field: str
    kind: str
    before: str | None  # verdict, "crash"/"missing", or None: no such row in the base
    after: str | None
    before_counts: str = ""  # "matched/checked"
    after_counts: str = ""
    detail: str = ""  # the new row's detail (why it fails, why it is unsupported)
    cell: str = ""  # the matrix cell (kernel) the row belongs to; "" for a single run

    def line(self) -> str:
        counts = ""
        if self.before_counts or self.after_counts:
            counts = f"  {self.before_counts or '-'} -> {self.after_counts or '-'}"
        where = f"[{self.cell}] " if self.cell else ""
        head = (f"{self.kind:<12} {where}{self.nic} {self.path} {self.field}: "
                f"{self.before or 'no row'} -> {self.after or 'no row'}{counts}")
        return head + (f"\n             {self.detail}" if self.detail else "")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_json(path: Path) -> Any:
    """A result file's JSON (UsageError naming the file if it cannot be read)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: not a readable xdp-hints JSON result ({e})") from None


def load(path: Path) -> dict[str, Any]:
    """A run's JSON document (UsageError naming the file if it is not one)."""
    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise UsageError(f"{path}: no 'results' list (not an `xdp-hints run --json` file)")
    return doc


def _rows(doc: Mapping[str, Any]) -> dict[Key, Mapping[str, Any]]:
    return {(r["nic"], r["path"], r["field"]): r for r in doc.get("results", [])}


def _crashed(doc: Mapping[str, Any]) -> bool:
    return str(doc.get("error", "")).startswith("GuestCrashed")


def classify(before: str | None, after: str | None) -> str:
    """The kind of change from verdict ``before`` to ``after`` (None: no row)."""
    if before in OK and (after in BAD or (before == "pass" and after in OK - {"pass"})):
        return "regression"
    if (before in BAD and after in OK) or (before == "known-bug" and after == "pass"):
        return "fix"
    if before == "expected-unsupported" and after == "pass":
        return "new-support"
    return "changed"


def diff(base: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every row whose verdict or counts differ; regressions first, then fixes, new
    support, the rest (each group in (nic, path, field) order)."""
    a, b = _rows(base), _rows(new)
    gone = "crash" if _crashed(new) else "missing"
    out: list[Change] = []
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key), b.get(key)
        va = ra["verdict"] if ra else None
        vb = rb["verdict"] if rb else (gone if ra else None)
        ca = f"{ra['matched']}/{ra['checked']}" if ra else ""
        cb = f"{rb['matched']}/{rb['checked']}" if rb else ""
        if va == vb and ca == cb:
            continue
        out.append(Change(*key, kind=classify(va, vb), before=va, after=vb, before_counts=ca,
                          after_counts=cb, detail=str(rb.get("detail", "")) if rb else ""))
    out.sort(key=lambda c: KINDS.index(c.kind))
    return out


def exit_code(changes: Iterable[Change]) -> int:
    """1 if any change is a regression, else 0."""
    return 1 if any(c.kind == "regression" for c in changes) else 0


def summary(changes: list[Change]) -> str:
    """E.g. ``2 changed rows: 1 regression, 1 fix, 0 new-support, 0 changed``."""
    n = {k: sum(c.kind == k for c in changes) for k in KINDS}
    text = f"{len(changes)} changed rows: " + ", ".join(f"{v} {k}" for k, v in n.items())
    if n["new-support"]:
        text += ("\nnew support: the kernel now supplies what the expectation table calls "
                 "unsupported; update the oracle rules (harness/oracle/rules.py)")
    return text


def text(changes: list[Change]) -> str:
    """One block per change, then the summary."""
    return "\n".join([c.line() for c in changes] + [summary(changes)])
