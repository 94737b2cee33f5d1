# SPDX-License-Identifier: GPL-2.0-or-later
"""VM lifecycle pure parts: the kernel command line, teardown order."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.artifacts import kernels
from harness.vm import machine as vm


def test_kernel_cmdline_modular_and_builtin():
    k = kernels.Kernel(Path("/k"), "7.2", Path("/m"), "debian:sid")
    line = vm.kernel_cmdline(k, True, "52:54:00:00:00:01", "ssh-ed25519 AAAA", "h", "foo=1")
    assert "rdinit=/init" in line and "xdph.sshkey=ssh-ed25519:AAAA" in line
    assert line.endswith("foo=1") and "root=" not in line
    line = vm.kernel_cmdline(k, False, "52:54:00:00:00:01", "ssh-ed25519 AAAA", "h", "")
    assert "root=/dev/vda" in line and "rdinit" not in line


def test_teardown_runs_every_step_even_when_one_fails(tmp_path):
    class BrokenQmp:
        connected = False

        def close(self):
            raise RuntimeError("monitor went away")

    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(RuntimeError, match="monitor went away"):
        vm._teardown(None, None, BrokenQmp(), "", [], work)
    assert not work.exists()
    work.mkdir()
    vm._teardown(None, None, BrokenQmp(), "", [], work, raise_errors=False)
    assert not work.exists()


def test_leftovers_of_a_dead_owner_are_collected(tmp_path, monkeypatch):
    """SIGKILL leaves a namespace, a tap and a temp dir named with the dead owner's pid;
    the next start removes all three (live owners' resources stay)."""
    import os
    import subprocess
    import tempfile

    from harness.vm import leftovers, netns
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    ns, tap = f"xdph-{dead.pid}-abc123", f"xh{dead.pid}v7t0"
    tmp = tmp_path / f"xdph-{dead.pid}-abc123-x1y2"
    mine = tmp_path / f"xdph-{os.getpid()}-abc123-x1y2"
    tmp.mkdir()
    mine.mkdir()
    root = os.geteuid() == 0 and netns.rtnl_wedged() is None
    if root:
        netns.create_netns(ns)
        netns.create_tap(tap, multi_queue=True)
    try:
        removed = leftovers.collect()
        assert f"temp dir: {tmp.name}" in removed and not tmp.exists()
        assert mine.exists()  # a live owner's
        if root:
            assert f"namespace: {ns}" in removed and f"tap: {tap}" in removed
            assert not Path(f"/sys/class/net/{tap}").exists()
            assert not (netns.NETNS_DIR / ns).exists()
    finally:
        netns.delete_link(tap)
        if (netns.NETNS_DIR / ns).exists():
            netns.delete_netns(ns)
