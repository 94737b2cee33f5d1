# SPDX-License-Identifier: GPL-2.0-or-later
"""What a VM leaves behind if its harness process dies without tearing down (SIGKILL).

Every resource a VM creates carries the owner's pid in its name:

==========  ====================================  =====================================
kind        name                                  where
==========  ====================================  =====================================
namespace   ``xdph-<pid>-<tag>``                  /run/netns (taps inside go with it)
tap         ``xh<pid>v<n>t<i>``                   the host namespace, until moved
temp dir    ``xdph-<pid>-<tag>-<random>``         the temp directory (qmp.sock, sockets)
==========  ====================================  =====================================

:func:`collect` removes those whose owner is gone, the same way for each kind; every
VM start calls it.  QEMU itself dies with its owner (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.vm import netns

_vm_seq = itertools.count()


def vm_name(tag: str) -> str:
    """Namespace and temp-dir stem of a new VM of this process."""
    return f"xdph-{os.getpid()}-{tag}"


def tap_prefix() -> str:
    """Tap names of a new VM of this process: ``<prefix><i>`` (at most 15 characters)."""
    return f"xh{os.getpid()}v{next(_vm_seq) % 100}t"


@dataclass(frozen=True)
class Kind:
    """One kind of leftover: where to list names, how to read the owner, how to remove."""

    name: str
    pattern: re.Pattern[str]
    listing: Callable[[], Iterable[str]]
    remove: Callable[[str], None]


def _ls(d: Path) -> list[str]:
    return [p.name for p in d.iterdir()] if d.is_dir() else []


def _rmtree(name: str) -> None:
    shutil.rmtree(Path(tempfile.gettempdir()) / name, ignore_errors=True)


KINDS = (
    Kind("namespace", re.compile(r"^xdph-(\d+)-[0-9a-f]+$"),
         lambda: _ls(netns.NETNS_DIR), netns.delete_netns),
    Kind("tap", re.compile(r"^xh(\d+)v\d+t\d+$"),
         lambda: _ls(Path("/sys/class/net")), netns.delete_link),
    Kind("temp dir", re.compile(r"^xdph-(\d+)-[0-9a-f]+-\w+$"),
         lambda: _ls(Path(tempfile.gettempdir())), _rmtree),
)


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def owned(kind: Kind, pid: int) -> list[str]:
    """Names of ``kind`` that process ``pid`` created."""
    return [n for n in kind.listing() if (m := kind.pattern.match(n)) and int(m[1]) == pid]


def collect(kinds: Iterable[Kind] = KINDS) -> list[str]:
    """Remove every leftover whose owner process is gone; returns ``kind: name`` lines.

    Root-only kinds (namespaces, taps) are skipped for other users."""
    removed = []
    for kind in kinds:
        if kind.name != "temp dir" and os.geteuid() != 0:
            continue
        for name in kind.listing():
            m = kind.pattern.match(name)
            if m and int(m[1]) != os.getpid() and not alive(int(m[1])):
                kind.remove(name)
                removed.append(f"{kind.name}: {name}")
    return removed
