# SPDX-License-Identifier: GPL-2.0-or-later
"""Serial console patterns: crashes and warnings."""

from __future__ import annotations

import pytest

from harness.vm.console import CRASH_RE, WARN_RE


@pytest.mark.parametrize("line,crash", [
    ("[    5.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x100", True),
    ("[    3.0] BUG: kernel NULL pointer dereference, address: 0000000000000000", True),
    ("[    3.0] Oops: 0002 [#1] PREEMPT SMP NOPTI", True),
    ("[    3.0] BUG: KASAN: slab-out-of-bounds in foo+0x1/0x2", True),
    ("[    1.0] igc 0000:00:03.0: PTM enabled", False),
])
def test_crash_patterns(line, crash):
    assert bool(CRASH_RE.search(line)) is crash


def test_warning_pattern():
    assert WARN_RE.search("[ 1.0] WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 foo")
    assert not WARN_RE.search("[ 1.0] warning: nothing")
