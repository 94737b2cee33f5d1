# SPDX-License-Identifier: GPL-2.0-or-later
"""What one observation should show (:class:`Expectation`), its constructors and
its human form.

Markers tell the verdict (harness.verdict.compare) how to read a met
expectation: ``loss`` -- a documented loss on the way (the row becomes
``expected-unsupported``, not ``pass``); ``probed`` -- a runner probe decided it,
so it is judged even where the point reports no return code; ``bug`` -- a known
kernel bug (docs/kernel-bugs.md): the expectation is the wrong value the bug
gives, ``right`` the value a fixed kernel gives.  Met, the row is ``known-bug``;
an observation meeting ``right`` instead fails: the bug did not show, the table
needs updating.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, replace
from typing import Any

from harness.oracle.uapi import CSUM_NAMES, ENODATA, EOPNOTSUPP, RSS_TYPE_NAMES

#: the return code each kind expects (kinds absent here expect none)
_RC_OF_KIND = {"value": 0, "window": 0, "present": 0, "unsupported": EOPNOTSUPP,
               "nodata": ENODATA}


@dataclass(frozen=True)
class Expectation:
    """What one observation should show.

    kind: ``value`` (rc 0, exact value), ``window`` (rc 0, lo <= v <= hi),
    ``present`` (rc 0, any value), ``unsupported`` (rc -EOPNOTSUPP),
    ``nodata`` (rc -ENODATA), ``not-called`` (the program on this path cannot call
    the kfunc: no rc at all), ``skip`` (not checked).
    """

    kind: str
    value: Any = None
    lo: int | None = None
    hi: int | None = None
    reason: str = ""
    rule: str = ""
    loss: bool = False  # met = a documented loss (expected-unsupported, not pass)
    probed: bool = False  # judged even where the point reports no rc
    bug: str = ""  # known kernel bug (docs/kernel-bugs.md anchor): this is its wrong value
    right: Expectation | None = None  # with ``bug``: what a kernel without the bug shows

    @property
    def rc(self) -> int | None:
        """Return code the kfunc / runner must report, None for skip / not-called."""
        return _RC_OF_KIND.get(self.kind)

    @property
    def absent(self) -> bool:
        """True if the observation must carry no value (an error rc, or no call)."""
        return self.kind in ("unsupported", "nodata", "not-called")

    def describe(self, fld: str = "") -> str:
        """Short human form, e.g. ``0x1a2b3c4d`` or ``rc=-95 (EOPNOTSUPP)``."""
        if self.kind == "value":
            return format_value(fld, self.value)
        if self.kind == "window":
            return f"[{self.lo}, {self.hi}]"
        if self.kind == "present":
            return "rc=0 (any value)"
        if self.kind == "unsupported":
            return f"rc={EOPNOTSUPP} (EOPNOTSUPP)"
        if self.kind == "nodata":
            return f"rc={ENODATA} (ENODATA)"
        if self.kind == "not-called":
            return "not called"
        return f"skip: {self.reason}"


def value(v: Any, reason: str = "", loss: bool = False) -> Expectation:
    """rc 0 and exactly ``v`` (``loss``: that value is what a documented loss leaves)."""
    return Expectation("value", value=v, reason=reason, loss=loss)


def window(lo: int, hi: int, reason: str = "", loss: bool = False) -> Expectation:
    """rc 0 and a value in [lo, hi]."""
    return Expectation("window", lo=lo, hi=hi, reason=reason, loss=loss)


def present(reason: str = "", probed: bool = False) -> Expectation:
    """rc 0, value not predictable."""
    return Expectation("present", reason=reason, probed=probed)


def unsupported(reason: str) -> Expectation:
    """-EOPNOTSUPP: the driver has no callback (a loss)."""
    return Expectation("unsupported", reason=reason, loss=True)


def nodata(reason: str, loss: bool = True) -> Expectation:
    """-ENODATA: callback exists, nothing for this frame.

    ``loss=False`` when nothing was there to lose (untagged frame, the NIC hashed
    nothing): a row mixing values with these stays ``pass``.
    """
    return Expectation("nodata", reason=reason, loss=loss)


def not_called(reason: str, probed: bool = False) -> Expectation:
    """The kfunc cannot be called where this path observes (no rc in the record)."""
    return Expectation("not-called", reason=reason, loss=True, probed=probed)


def known_bug(wrong: Expectation, bug: str, right: Expectation | None = None) -> Expectation:
    """``wrong`` is what kernel bug ``bug`` (a docs/kernel-bugs.md anchor) makes the
    observation show; ``right`` what it shows without the bug (met: table needs updating).

    Where the bug's value is the right value too (``right`` an exact value that
    ``wrong`` accepts), the packet shows nothing: ``right`` is returned."""
    if right is not None and right.kind == "value" and right.rc == wrong.rc and (
            (wrong.kind == "value" and wrong.value == right.value)
            or (wrong.kind == "window" and isinstance(right.value, int)
                and wrong.lo is not None and wrong.hi is not None
                and wrong.lo <= right.value <= wrong.hi)):
        return right
    return replace(wrong, bug=bug, right=right, loss=False)


def skip(reason: str) -> Expectation:
    """Not checked."""
    return Expectation("skip", reason=reason)


def errname(rc: int | None) -> str:
    """Symbolic name of a negative errno (``-22`` -> ``EINVAL``), else ``?``."""
    return errno.errorcode.get(-rc, "?") if isinstance(rc, int) and rc < 0 else "?"


def format_value(fld: str, v: Any) -> str:
    """Field-aware formatting of a value for reports."""
    if v is None:
        return "None"
    if fld == "hash" and isinstance(v, int):
        return f"0x{v:08x}"
    if fld == "hash_type" and isinstance(v, int):
        return f"0x{v:02x} ({RSS_TYPE_NAMES.get(v, '?')})"
    if fld == "timestamp" and isinstance(v, int) and v < 0:  # not a time: show the word
        return f"{v} (0x{v & (2**64 - 1):016x})"
    if fld == "csum" and isinstance(v, int) and not isinstance(v, bool):
        return f"{v} ({CSUM_NAMES.get(v, '?')})"
    if fld == "vlan" and isinstance(v, tuple | list) and len(v) == 2:
        return f"0x{v[0]:04x}/0x{v[1]:04x}"
    return str(v)
