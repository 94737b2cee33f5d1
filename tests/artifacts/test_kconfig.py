# SPDX-License-Identifier: GPL-2.0-or-later
"""User kernels: their .config checked against kconfigs/ (missing options named)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.artifacts import kernels
from tests.conftest import xdp_hints


def _fake_build(tmp_path, config_text: str) -> Path:
    boot = tmp_path / "linux" / "arch" / "x86" / "boot"
    boot.mkdir(parents=True)
    data = bytearray(0x800)
    data[0x202:0x206] = b"HdrS"
    data[0x20E:0x210] = (0x400).to_bytes(2, "little")
    data[0x600:0x610] = b"6.99.0 (x@y) #1\0"
    (boot / "bzImage").write_bytes(bytes(data))
    (tmp_path / "linux" / ".config").write_text(config_text)
    return boot / "bzImage"


def test_user_kernel_missing_options_are_named(tmp_path):
    from harness.artifacts import kconfig
    full = "\n".join(f"{k}=y" for k in kconfig.required())
    image = _fake_build(tmp_path, full.replace("CONFIG_DEBUG_INFO_BTF=y\n", "")
                        .replace("CONFIG_IGC=y", "CONFIG_IGC=m"))
    with pytest.raises(kernels.KernelError) as err:
        kernels.resolve(str(image))
    msg = str(err.value)
    assert "CONFIG_DEBUG_INFO_BTF=y (have unset)" in msg
    assert "CONFIG_IGC=y (have m)" in msg  # a module needs --modules
    assert "CONFIG_BPF_SYSCALL" not in msg


def test_user_kernel_with_complete_config_resolves(tmp_path):
    from harness.artifacts import kconfig
    image = _fake_build(tmp_path, "\n".join(f"{k}=y" for k in kconfig.required()))
    k = kernels.resolve(str(image))
    assert k.config == tmp_path / "linux" / ".config" and k.release == "6.99.0"


def test_user_kernel_missing_option_cli_exit_2(tmp_path):
    image = _fake_build(tmp_path, "CONFIG_BPF_SYSCALL=y\n")
    r = xdp_hints("boot", "--kernel", str(image), timeout=60)
    assert r.returncode == 2 and "CONFIG_XDP_SOCKETS" in r.stderr, r.stderr
