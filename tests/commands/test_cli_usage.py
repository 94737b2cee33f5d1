# SPDX-License-Identifier: GPL-2.0-or-later
"""CLI usage errors: one line, exit 2, before any boot; every subcommand has --help."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import xdp_hints


def test_missing_kernel_path_is_one_line_exit_2():
    r = xdp_hints("boot", "--kernel", "/does/not/exist", timeout=60)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "/does/not/exist" in lines[0], r.stderr


def test_unknown_nic_is_usage_error():
    r = xdp_hints("boot", "--nic", "e1000", timeout=60)
    assert r.returncode == 2 and "unknown NIC 'e1000'" in r.stderr


def test_ssh_without_command_is_usage_error():
    r = xdp_hints("ssh", "--kernel", "/does/not/exist", timeout=60)
    assert r.returncode == 2 and "no command given" in r.stderr


@pytest.mark.parametrize("sub", ["boot", "ssh", "shell", "kernel", "image", "run", "qemu", "bpf",
                                 "rss-hash", "report"])
def test_every_subcommand_has_help(sub):
    r = xdp_hints(sub, "--help", timeout=60)
    assert r.returncode == 0 and "usage: xdp-hints" in r.stdout


def test_missing_clang_is_one_line_exit_2_before_a_boot(tmp_path):
    """A host without clang (and no cached BPF build) gets exit 2 and one line naming it."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no gcc on this host")
    (bindir / "gcc").symlink_to(gcc)
    env = {"PATH": str(bindir), "XDP_HINTS_CACHE": str(tmp_path / "cache")}
    r = xdp_hints("run", "--nic", "virtio-net", "--backend", "socket", timeout=120, env=env)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "clang" in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "cache" / "logs").exists()  # nothing booted


def test_unwritable_json_is_exit_2_before_a_boot(tmp_path):
    r = xdp_hints("run", "--nic", "virtio-net", "--json", str(tmp_path / "no" / "r.json"),
                  timeout=60)
    assert r.returncode == 2 and "--json" in r.stderr and "does not exist" in r.stderr, r.stderr
    r = xdp_hints("run", "--nic", "virtio-net", "--junit", str(tmp_path), timeout=60)
    assert r.returncode == 2 and "--junit" in r.stderr and "is a directory" in r.stderr


@pytest.mark.parametrize("args,env,says", [
    (["boot", "--boot-timeout", "0"], {}, "--boot-timeout must be more than 0"),
    (["boot", "--boot-timeout", "-5"], {}, "--boot-timeout must be more than 0"),
    (["boot", "--memory", "16"], {}, "--memory 16: the guest needs at least 256 MB"),
    (["boot", "--kernel", "/etc/passwd"], {}, "/etc/passwd: not a kernel image"),
    (["boot", "--log-dir", "/etc/passwd/logs"], {}, "--log-dir /etc/passwd/logs"),
    (["boot", "--qemu", "/etc/passwd"], {}, "--qemu /etc/passwd: not an executable"),
    (["run", "--nic", "virtio-net", "--queues", "3"], {}, "--queues 3 is more than --cpus 2"),
    (["boot"], {"XDP_HINTS_CACHE": "/proc/xdp-hints-cache"},
     "XDP_HINTS_CACHE /proc/xdp-hints-cache: cannot be created"),
])
def test_bad_settings_name_the_option_before_a_boot(args, env, says):
    r = xdp_hints(*args, timeout=60, env=env)
    assert r.returncode == 2 and says in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize("args, says", [
    (["--nic", "virtio-net", "--rx-rule", "flow-type ether proto 0x86dd action 1"],
     "--rx-rule is for --nic igc only"),
    (["--nic", "igc", "--rx-rule", "flow-type ether proto 0x86dd"], "with an action"),
    (["--nic", "igc", "--rx-rule", "flow-type 'ether"], "No closing quotation"),
])
def test_bad_rx_rule_is_exit_2_before_a_boot(args, says):
    r = xdp_hints("run", *args, timeout=60)
    assert r.returncode == 2 and says in r.stderr, r.stderr
