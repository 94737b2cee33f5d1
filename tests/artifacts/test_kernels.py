# SPDX-License-Identifier: GPL-2.0-or-later
"""Kernel specs: user kernel paths and module trees, unknown Debian suites."""

from __future__ import annotations

import pytest

from harness.artifacts import kernels
from tests.conftest import xdp_hints


def test_modules_dir_must_hold_a_module_tree(tmp_path):
    image = tmp_path / "bzImage"
    image.write_bytes(b"\0" * 0x202 + b"HdrS" + b"\0" * 0xFA)
    with pytest.raises(kernels.KernelError, match="no lib/modules"):
        kernels.resolve(str(image), modules=tmp_path)


def test_local_kernel_release_from_bzimage_header(tmp_path):
    data = bytearray(0x1000)
    data[0x202:0x206] = b"HdrS"
    data[0x20E:0x210] = (0x400).to_bytes(2, "little")
    data[0x600:0x620] = b"6.99.0-test (builder@host) #1\0"
    (tmp_path / "bzImage").write_bytes(bytes(data))
    k = kernels.resolve(str(tmp_path / "bzImage"))
    assert k.release == "6.99.0-test" and not k.modular


def test_local_kernel_with_modules_tree(tmp_path):
    (tmp_path / "vmlinux").write_bytes(b"\x7fELF junk Linux version 6.1.0-x (gcc) junk")
    (tmp_path / "mods" / "lib" / "modules" / "6.1.0-x" / "kernel").mkdir(parents=True)
    k = kernels.resolve(str(tmp_path / "vmlinux"), modules=tmp_path / "mods")
    assert k.release == "6.1.0-x" and k.modules == tmp_path / "mods" / "lib" / "modules"


def test_unknown_debian_suite_is_one_line_exit_2():
    r = xdp_hints("boot", "--kernel", "debian:nosuch", timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "unknown Debian suite 'nosuch'" in r.stderr


def test_a_file_that_is_no_kernel_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(kernels.KernelError, match="not a kernel image"):
        kernels.resolve(str(tmp_path / "notes.txt"))
