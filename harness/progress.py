# SPDX-License-Identifier: GPL-2.0-or-later
"""Progress lines: live on a terminal, quiet in CI logs."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable


def live() -> bool:
    """True when progress should be shown: stderr is a terminal and ``CI`` is unset,
    or ``XDP_HINTS_PROGRESS=1`` forces it."""
    if os.environ.get("XDP_HINTS_PROGRESS") == "1":
        return True
    return sys.stderr.isatty() and not os.environ.get("CI")


def reporter(quiet: bool | None = None) -> Callable[[str], None]:
    """A ``say(msg)`` that prints elapsed-time-stamped lines to stderr on a terminal.

    Quiet when stderr is not a terminal or ``CI`` is set, unless ``quiet=False``
    is forced (``XDP_HINTS_PROGRESS=1`` does the same).
    """
    if quiet is None:
        quiet = not live()
    t0 = time.monotonic()

    def say(msg: str) -> None:
        if not quiet:
            print(f"[{time.monotonic() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return say
