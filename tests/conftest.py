# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared fixtures. VM tests (marker ``vm``) boot real QEMU guests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
XH = [sys.executable, "-m", "harness.cli"]


@pytest.fixture(scope="session")
def guest_artifacts():
    """Default kernel, its boot files and the rootfs, built before any VM test starts."""
    from harness.artifacts import initramfs, kernels, rootfs
    kernel = kernels.resolve(None)
    return {"kernel": kernel, "boot": initramfs.ensure(kernel), "rootfs": rootfs.ensure()}


@pytest.fixture
def taps_usable():
    """Skip (with the reason) where tap devices cannot be created on this host."""
    from harness.vm import netns
    if os.geteuid() != 0:
        pytest.skip("tap test NICs need root")
    why = netns.rtnl_wedged()
    if why:
        pytest.skip(why)


def xdp_hints(*args: str, timeout: float = 900, env: dict | None = None,
              **kw) -> subprocess.CompletedProcess:
    """Run the CLI as a user would (a separate process)."""
    return subprocess.run([*XH, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, env={**os.environ, **(env or {})}, **kw)


def qemu_children(pid: int) -> list[int]:
    """PIDs of QEMU processes whose parent is ``pid``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            comm = stat.split("(", 1)[1].rsplit(")", 1)[0]
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid and comm.startswith("qemu-system"):
                found.append(int(proc.name))
    return found


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None
