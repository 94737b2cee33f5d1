# SPDX-License-Identifier: GPL-2.0-or-later
"""The terminal view of a run: a paths x fields matrix per NIC, then what needs reading.

One cell per (NIC, path, field) row, a glyph per verdict (:data:`GLYPHS`; a verdict
this module does not know is ``?`` and listed in full like a failure).  NICs sit
side by side while they fit the width, else below each other.  After the matrix:

- every failure in full: expected vs observed by packet id (equal pairs grouped),
  missing / unexpected / duplicate ids, the oracle rule and its reason;
- known kernel bugs, expected-unsupported reasons and skip reasons, each reason
  once, with the cells it covers (``igc+virtio-net veth: hash,type``).

Colour (ANSI) only where :func:`use_colour` says so (a terminal, no ``NO_COLOR``);
ASCII glyphs where the output encoding has no ``✓``.  Input is the rows' JSON form
(``run --json`` ``results``), so a saved result renders the same as a live run.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from harness.errors import UsageError
from harness.verdict.compare import id_ranges

#: verdict -> (unicode glyph, ascii glyph, ANSI SGR colour)
GLYPHS: dict[str, tuple[str, str, str]] = {
    "pass": ("✓", "+", "32"),
    "fail": ("✗", "X", "1;31"),
    "expected-unsupported": ("–", "-", "36"),
    "known-bug": ("!", "!", "35"),
    "skip": ("s", "s", "33"),
}
UNKNOWN = ("?", "?", "1;33")  # a verdict this view does not know
NO_ROW = ("·", ".", "2")  # (path, field) has no row: not observable there, or not run
#: column labels for the fields (the legend spells out the abbreviated ones)
FIELD_LABELS = {"hash_type": "type", "timestamp": "ts", "queue": "rxq"}
#: narrower labels, used when the NICs fit side by side only with these
NARROW_LABELS = {"hash": "hs", "hash_type": "ht", "timestamp": "ts", "vlan": "vl", "meta": "md",
                 "queue": "rq", "csum": "cs"}
FIELD_ORDER = ("hash", "hash_type", "timestamp", "vlan", "meta", "queue", "csum")
GAP = 3  # spaces between NIC blocks set side by side
#: path families drawn as one matrix line (their rows still listed in full below)
FOLDED = ("tc:", "sizes:")
#: lines of a screen: a run without failures is drawn within it where it can be
SCREEN = 50
#: which verdict a folded line shows: the first of these present among its rows
WORST_FIRST = ("fail", None, "known-bug", "expected-unsupported", "skip", "pass")


def use_colour(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """ANSI colour on a terminal, unless ``NO_COLOR`` is set (non-empty) or TERM=dumb."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def use_unicode(stream: TextIO) -> bool:
    """Whether the stream's encoding has the glyphs."""
    enc = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(g[0] for g in (*GLYPHS.values(), UNKNOWN, NO_ROW)).encode(enc)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


@dataclass
class Style:
    """How to draw: colour or not, unicode or ascii, line width."""

    colour: bool = False
    unicode: bool = True
    width: int = 80

    def paint(self, text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if self.colour and sgr else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def glyph(self, verdict: str | None) -> str:
        g = NO_ROW if verdict is None else GLYPHS.get(verdict, UNKNOWN)
        return self.paint(g[0] if self.unicode else g[1], g[2])


def _order(seen: Iterable[str], known: Iterable[str]) -> list[str]:
    """``seen`` in ``known``'s order first, the rest in order of appearance."""
    seen = list(dict.fromkeys(seen))
    rank = {k: i for i, k in enumerate(known)}
    return sorted(seen, key=lambda s: (rank.get(s, len(rank)), seen.index(s)))


def _label(fld: str, labels: Mapping[str, str] = FIELD_LABELS) -> str:
    return labels.get(fld, fld)


def _split(text: str, sep: str = "; ") -> list[str]:
    """Split at ``sep`` outside parentheses."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        depth += c == "("
        depth -= c == ")" and depth > 0
        if depth == 0 and text.startswith(sep, i):
            out.append(text[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    out.append(text[start:])
    return [p.strip() for p in out if p.strip()]


_EU = re.compile(r"as expected(?:, lost for \d+ of \d+)?: ")
_BUG = re.compile(r"known kernel bug for \d+ of \d+(?: \([^)]*\))?: ")
_NBSP = "\x1f"  # a space textwrap does not break at
_SLUG = re.compile(r"^([A-Za-z0-9][\w.+-]*): ")


def reasons(row: Mapping[str, Any]) -> list[str]:
    """The reasons a non-pass row gives: its structured ``reasons`` (compare.Row); for a
    row without them (older result files, rows made outside compare) read from the
    detail: for expected-unsupported what follows "as expected", for known-bug the bugs
    (``name: why``), for skip the detail."""
    if row.get("reasons"):
        return [str(w) for w in row["reasons"]]
    detail = str(row.get("detail") or "")
    verdict = row.get("verdict")
    pattern = {"expected-unsupported": _EU, "known-bug": _BUG}.get(str(verdict))
    if pattern is not None:
        m = pattern.search(detail)
        if m:
            parts = _split(detail[m.end():])
            bugs = [p for p in parts if _SLUG.match(p)]
            return bugs if verdict == "known-bug" and bugs else parts
    return [detail] if detail else ["(no reason given)"]


def _one_line(text: str, width: int, st: Style) -> str:
    """``text`` cut to ``width`` with an ellipsis."""
    if len(text) <= width:
        return text
    return text[: width - 1] + ("…" if st.unicode else "~")


def where(cells: Iterable[tuple[str, str, str]], nics: list[str], paths: list[str],
          fields: list[str], labels: Mapping[str, str] = FIELD_LABELS) -> str:
    """Compact cell list: ``igc+virtio-net veth,veth-skb: hash,ts; igc xdp: vlan``.

    Per NIC, paths with the same fields are joined; equal groups of NICs are joined."""
    per_nic: dict[str, dict[str, set[str]]] = {}
    for nic, path, fld in cells:
        per_nic.setdefault(nic, {}).setdefault(path, set()).add(fld)
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for nic in _order(per_nic, nics):
        by_fields: dict[tuple[str, ...], list[str]] = {}
        for path in _order(per_nic[nic], paths):
            flds = tuple(_order(per_nic[nic][path], fields))
            by_fields.setdefault(flds, []).append(path)
        for flds, ps in by_fields.items():
            groups.setdefault((tuple(ps), flds), []).append(nic)
    return "; ".join(f"{'+'.join(ns)} {','.join(ps)}: "
                     + ",".join(_label(f, labels) for f in fs)
                     for (ps, fs), ns in groups.items())


class _Result:
    """The rows of a result indexed for drawing."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.rows = [dict(r) for r in rows]
        self.nics = list(dict.fromkeys(str(r["nic"]) for r in self.rows))
        self.paths = list(dict.fromkeys(str(r["path"]) for r in self.rows))
        #: matrix lines: (label, paths); a FOLDED family of several paths is one line
        families: dict[str, list[str]] = {}
        for path in self.paths:
            fam = next((f for f in FOLDED if path.startswith(f)), path)
            families.setdefault(fam, []).append(path)
        lines = [(fam + f"* ({len(ps)})" if len(ps) > 1 else ps[0], ps)
                 for fam, ps in families.items()]
        skip_only = {label for label, ps in lines
                     if all(r.get("verdict") == "skip" for r in self.rows if r["path"] in ps)}
        # only those that would widen the path column (and so push NIC blocks below each
        # other): a short all-skip line stays in the grid
        kept = max((len(label) for label, _ in lines if label not in skip_only), default=0)
        skip_only = {label for label in skip_only if len(label) > max(kept, len("path"))}
        self.lines = [(label, ps) for label, ps in lines if label not in skip_only]
        #: matrix lines whose every row (every NIC) is skip and whose label is longer than
        #: any other: named under the grid, their reasons in the "skipped" section
        self.skip_only = [label for label, _ in lines if label in skip_only]
        self.fields = _order((str(r["field"]) for r in self.rows), FIELD_ORDER)
        self.cell = {(r["nic"], r["path"], r["field"]): r for r in self.rows}
        self.labels: Mapping[str, str] = FIELD_LABELS
        #: what pass rows say besides their counts: notes on how a value was read, which
        #: a run appends to other rows' reasons too (not reasons themselves)
        self.notes = {p for r in self.rows if r.get("verdict") == "pass"
                      for p in _split(str(r.get("detail") or ""))[1:]}


def _verdict(res: _Result, nic: str, paths: list[str], fld: str) -> str | None:
    """The verdict a matrix cell shows: its row's, or for a folded family the worst of its
    rows' (:data:`WORST_FIRST`; an unknown verdict ranks as None); None: no row."""
    got = [str(r.get("verdict")) for p in paths if (r := res.cell.get((nic, p, fld)))]
    if not got:
        return None
    rank = {v: i for i, v in enumerate(WORST_FIRST)}
    return min(got, key=lambda v: rank.get(v, rank[None]))


def _block(res: _Result, nic: str, lines_: list[tuple[str, list[str]]],
           st: Style) -> list[tuple[str, int]]:
    """One NIC's cells as (text, visible width) lines: NIC name, field labels, a line per
    matrix line (a path, or a folded family; no row shows ``·``)."""
    labels = [_label(f, res.labels) for f in res.fields]
    width = len(" ".join(labels))
    lines = [(st.bold(nic), len(nic)), (" ".join(labels), width)]
    for _, paths in lines_:
        cells = []
        for fld, lab in zip(res.fields, labels, strict=True):
            left = (len(lab) - 1) // 2
            g = st.glyph(_verdict(res, nic, paths, fld))
            cells.append(" " * left + g + " " * (len(lab) - 1 - left))
        lines.append((" ".join(cells), width))
    return lines


def fit_labels(res: _Result, width: int) -> Mapping[str, str]:
    """The field labels: :data:`FIELD_LABELS` if every NIC fits side by side within
    ``width`` with them, else :data:`NARROW_LABELS`."""
    def total(labels: Mapping[str, str]) -> int:
        block = len(" ".join(_label(f, labels) for f in res.fields))
        pw = max(len(p) for p in [*(label for label, _ in res.lines), "path"])
        return pw + len(res.nics) * (GAP + max(block, *(len(n) for n in res.nics)))
    return FIELD_LABELS if total(FIELD_LABELS) <= width else NARROW_LABELS


def matrix(res: _Result, st: Style) -> list[str]:
    """A path column, then the NIC blocks side by side while they fit ``st.width``
    (the rest below, with a path column of their own)."""
    pw = max(len(p) for p in [*(label for label, _ in res.lines), "path"])
    blocks = [_block(res, nic, res.lines, st) for nic in res.nics]
    out: list[str] = []
    i = 0
    while i < len(blocks):
        group, width = [blocks[i]], pw + GAP + max(w for _, w in blocks[i])
        i += 1
        while i < len(blocks) and width + GAP + max(w for _, w in blocks[i]) <= st.width:
            width += GAP + max(w for _, w in blocks[i])
            group.append(blocks[i])
            i += 1
        if out:
            out.append("")
        heads = ["", "path", *(label for label, _ in res.lines)]
        for n, head in enumerate(heads):
            parts = [head.ljust(pw)]
            for b in group:
                text, w = b[n]
                parts.append(text + " " * (max(x for _, x in b) - w))
            out.append((" " * GAP).join(parts).rstrip())
    return out


def legend(res: _Result, st: Style) -> list[str]:
    """Glyphs of the verdicts present, then the abbreviated field labels, wrapped."""
    present = {str(r.get("verdict")) for r in res.rows}
    items = [(st.glyph(v), v) for v in GLYPHS if v in present]
    items += [(st.glyph(v), v) for v in sorted(present - set(GLYPHS))]
    if any((n, p, f) not in res.cell for n in res.nics for p in res.paths for f in res.fields):
        items.append((st.glyph(None), "no row"))
    items += [("", f"{_label(f, res.labels)}={f}") for f in res.fields
              if _label(f, res.labels) != f]
    lines: list[str] = []
    text, width = "", 0
    for g, word in items:
        w = len(word) + (2 if g else 0)
        if width and width + 2 + w > st.width:
            lines.append(text)
            text, width = "", 0
        text += ("  " if width else "") + (f"{g} {word}" if g else word)
        width += (2 if width else 0) + w
    return [*lines, text]


def failure(row: Mapping[str, Any], st: Style) -> list[str]:
    """One row that failed (or has a verdict this view does not know), in full."""
    verdict = str(row.get("verdict"))
    name = f"{row['nic']} {row['path']} {row['field']}"
    head = f"{st.glyph(verdict)} {st.bold(name)}"
    checked, matched = row.get("checked") or 0, row.get("matched") or 0
    head += f"  {matched}/{checked} matched" if checked else ""
    head += "" if verdict == "fail" else f"  ({verdict})"
    out = [head]
    pairs: dict[tuple[str, str], list[int]] = {}
    rules: dict[str, str] = {}
    for m in row.get("mismatches") or []:
        pairs.setdefault((str(m.get("expected")), str(m.get("observed"))), []).append(m["id"])
        if m.get("rule"):
            rules.setdefault(str(m["rule"]), str(m.get("reason") or ""))
    for (exp, obs), ids in pairs.items():
        label = "id" if len(ids) == 1 else "ids"
        out.append(f"    {label} {id_ranges(ids)}: expected {exp}, observed {obs}")
    for key, what in (("missing", "missing"), ("extra", "unexpected"),
                      ("duplicates", "duplicate")):
        if row.get(key):
            out.append(f"    {what} ids: {id_ranges(row[key])}")
    shown = ("id ", "missing ids", "unexpected ids", "duplicate ids")  # drawn above
    rest = [p for p in _split(str(row.get("detail") or ""))
            if not re.match(r"^\d+/\d+ matched$", p) and not p.startswith(shown)]
    out += [f"    {p}" for p in rest]
    out += [f"    rule {r}: {why}" if why else f"    rule {r}" for r, why in rules.items()]
    return [out[0], *(w for line in out[1:] for w in _wrap(line, st.width, "      "))]


def _wrap(line: str, width: int, indent: str) -> list[str]:
    """A long line folded at ``width``, continuation lines indented; nothing cut."""
    return textwrap.wrap(line, max(width, 40), subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False,
                         drop_whitespace=True) or [line]


def grouped(res: _Result, verdict: str, title: str, st: Style,
            compact: bool = False) -> list[str]:
    """Each reason of the ``verdict`` rows once, with the cells it covers (``compact``: one
    line each, cells first, the reason cut at the width; the JSON and --table keep it all)."""
    rows = [r for r in res.rows if r.get("verdict") == verdict]
    if not rows:
        return []
    by_reason: dict[str, list[tuple[str, str, str]]] = {}
    for r in rows:
        for why in [w for w in reasons(r) if w not in res.notes] or reasons(r):
            by_reason.setdefault(why, []).append((r["nic"], r["path"], r["field"]))
    n = len(by_reason)
    out = [st.bold(f"{title}: {len(rows)} row{'s' * (len(rows) != 1)}, "
                   f"{n} reason{'s' * (n != 1)}")]
    g = st.glyph(verdict)
    for why, cells in by_reason.items():
        at = where(cells, res.nics, res.paths, res.fields, res.labels)
        slug = _SLUG.match(why) if verdict == "known-bug" else None
        if slug:  # the bug's name and cells; its story is in docs/kernel-bugs.md
            text = f"{slug.group(1)}  [{at}]  {why[slug.end():]}"
            out.append(f"  {g} " + _one_line(text, st.width - 4, st))
            continue
        if compact:
            out.append(f"  {g} " + _one_line(f"[{at}]  {why}", st.width - 4, st))
            continue
        text = f"{why}  [{at.replace(' ', _NBSP)}]"  # the cell list wraps as a whole
        wrapped = [w.replace(_NBSP, " ") for w in textwrap.wrap(
            text, max(st.width - 4, 20), break_on_hyphens=False, break_long_words=False)]
        out.append(f"  {g} {wrapped[0]}")
        out += [f"    {w}" for w in wrapped[1:]]
    return out


def counts_line(res: _Result) -> str:
    """``90 rows: 49 pass, 41 expected-unsupported`` (zero counts left out, fail always)."""
    n: dict[str, int] = {}
    for r in res.rows:
        n[str(r.get("verdict"))] = n.get(str(r.get("verdict")), 0) + 1
    order = [*GLYPHS, *sorted(set(n) - set(GLYPHS))]
    parts = [f"{n.get(v, 0)} {v}" for v in order if n.get(v) or v == "fail"]
    return f"{len(res.rows)} rows: " + ", ".join(parts)


#: the sections under the matrix, in order: verdict, title
SECTIONS = (("known-bug", "known kernel bugs (docs/kernel-bugs.md)"),
            ("expected-unsupported", "expected unsupported"),
            ("skip", "skipped"))


def render(rows: Iterable[Mapping[str, Any]], style: Style | None = None) -> str:
    """The whole view: matrix, legend, failures in full, grouped reasons, counts."""
    st = style or Style()
    res = _Result(rows)
    if not res.rows:
        return "(no results)"
    res.labels = fit_labels(res, st.width)
    out = matrix(res, st)
    if res.skip_only:
        out += _wrap("skipped everywhere: " + ", ".join(res.skip_only), st.width, "  ")
    out += legend(res, st)
    failed = [r for r in res.rows if r.get("verdict") == "fail"]
    other = [r for r in res.rows if str(r.get("verdict")) not in GLYPHS]
    for title, bad in (("FAILED", failed), ("other verdicts", other)):
        if bad:
            out += ["", st.paint(f"{title}: {len(bad)} row{'s' * (len(bad) != 1)}", "1;31")]
            for r in bad:
                out += failure(r, st)
    sections = [grouped(res, v, title, st) for v, title in SECTIONS]
    if not failed and not other and len(out) + sum(len(x) + 1 for x in sections) + 2 > SCREEN:
        sections = [grouped(res, v, title, st, compact=True) for v, title in SECTIONS]
    for section in sections:
        if section:
            out += ["", *section]
    out.append("")
    if failed:  # the last lines on the screen name what failed
        cells = [(r["nic"], r["path"], r["field"]) for r in failed]
        out.append(st.paint(f"failed: {where(cells, res.nics, res.paths, res.fields, res.labels)}",
                            "1;31"))
    out.append(st.bold(counts_line(res)))
    return "\n".join(out)


def rows_of(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Rows as dicts, from :class:`~harness.verdict.compare.Row` objects or JSON results."""
    return [r.to_dict() if hasattr(r, "to_dict") else dict(r) for r in rows]


def check_rows(results: Any, source: str) -> list[dict[str, Any]]:
    """JSON results as rows, each with string nic/path/field/verdict (UsageError if not)."""
    rows = []
    for i, r in enumerate(results if isinstance(results, list) else [None]):
        if not isinstance(r, dict) or not all(isinstance(r.get(k), str)
                                              for k in ("nic", "path", "field", "verdict")):
            raise UsageError(f"{source}: result {i} is not a row (nic, path, field, verdict)")
        rows.append(r)
    return rows


def style_for(stream: TextIO) -> Style:
    """Colour and glyphs as ``stream`` allows, its terminal's width (80 if none)."""
    return Style(colour=use_colour(stream), unicode=use_unicode(stream),
                 width=shutil.get_terminal_size((80, 24)).columns)


def heading(meta: Mapping[str, Any]) -> str:
    """The line above either view: kernel, spec, accelerator, backend, duration."""
    return (f"kernel  {meta.get('kernel')}  ({meta.get('kernel_spec')})  accel "
            f"{meta.get('accel')}  backend {meta.get('backend')}  {meta.get('duration_s')} s")
