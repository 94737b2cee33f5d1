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
