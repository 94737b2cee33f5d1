# SPDX-License-Identifier: GPL-2.0-or-later
"""Unit tests of the boot spine's pure logic and of CLI input errors (no VM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.artifacts import debian_apt, kernels
from harness.paths import recipe_key
from harness.vm import machine as vm
from harness.vm import qemu_cmd
from harness.vm.accel import _tcg
from harness.vm.console import CRASH_RE, WARN_RE
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


@pytest.mark.parametrize("sub", ["boot", "ssh", "shell", "kernel", "image"])
def test_every_subcommand_has_help(sub):
    r = xdp_hints(sub, "--help", timeout=60)
    assert r.returncode == 0 and "usage: xdp-hints" in r.stdout


def test_modules_dir_must_hold_a_module_tree(tmp_path):
    image = tmp_path / "bzImage"
    image.write_bytes(b"\0" * 0x300)
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
    (tmp_path / "vmlinux").write_bytes(b"junk Linux version 6.1.0-x (gcc) junk")
    (tmp_path / "mods" / "lib" / "modules" / "6.1.0-x" / "kernel").mkdir(parents=True)
    k = kernels.resolve(str(tmp_path / "vmlinux"), modules=tmp_path / "mods")
    assert k.release == "6.1.0-x" and k.modules == tmp_path / "mods" / "lib" / "modules"


def test_host_mirror_from_deb822(tmp_path, monkeypatch):
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: x\n\n"
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n")
    monkeypatch.setattr(debian_apt, "SOURCES_DIR", d)
    monkeypatch.setattr(debian_apt, "SOURCES_LIST", tmp_path / "none")
    monkeypatch.delenv("XDP_HINTS_DEBIAN_MIRROR", raising=False)
    assert debian_apt.host_mirror() == "http://mirror.example/debian"
    monkeypatch.setenv("XDP_HINTS_DEBIAN_MIRROR", "http://other/debian/")
    assert debian_apt.host_mirror() == "http://other/debian"


def test_host_mirror_from_sources_list(tmp_path, monkeypatch):
    (tmp_path / "sources.list").write_text(
        "# c\ndeb [arch=amd64] http://m.example/debian bookworm main\n")
    monkeypatch.setattr(debian_apt, "SOURCES_DIR", tmp_path / "nodir")
    monkeypatch.setattr(debian_apt, "SOURCES_LIST", tmp_path / "sources.list")
    monkeypatch.delenv("XDP_HINTS_DEBIAN_MIRROR", raising=False)
    assert debian_apt.host_mirror() == "http://m.example/debian"


def test_depends_names():
    dep = "linux-base-amd64 (= 7.2), a | b, linux-modules-7.2:amd64 (= 1)"
    assert debian_apt.depends_names(dep) == ["linux-base-amd64", "a", "linux-modules-7.2"]


def test_recipe_key_changes_with_file_contents(tmp_path):
    f = tmp_path / "recipe"
    f.write_text("a")
    k1 = recipe_key("x", files=[f])
    f.write_text("b")
    assert recipe_key("x", files=[f]) != k1
    assert recipe_key("y", files=[f]) != recipe_key("x", files=[f])


def test_kernel_cmdline_modular_and_builtin():
    k = kernels.Kernel(Path("/k"), "7.2", Path("/m"), "debian:sid")
    line = vm.kernel_cmdline(k, True, "52:54:00:00:00:01", "ssh-ed25519 AAAA", "h", "foo=1")
    assert "rdinit=/init" in line and "xdph.sshkey=ssh-ed25519:AAAA" in line
    assert line.endswith("foo=1") and "root=" not in line
    line = vm.kernel_cmdline(k, False, "52:54:00:00:00:01", "ssh-ed25519 AAAA", "h", "")
    assert "root=/dev/vda" in line and "rdinit" not in line


def test_qemu_command_has_nics_and_snapshot(tmp_path):
    q = qemu_cmd.Qemu(Path("/usr/bin/qemu-system-x86_64"), own_build=False)
    nics = [qemu_cmd.NicArgs("virtio-net", "tn0", "tnic0", "tap0", "52:54:00:00:00:02", 4),
            qemu_cmd.NicArgs("igc", "tn1", "tnic1", "", "52:54:00:00:00:03", 2, "socket",
                             tmp_path / "q", tmp_path / "h")]
    argv = qemu_cmd.command(q, _tcg(), name="n", kernel=Path("/k"), initramfs=Path("/i"),
                            append="a", rootfs=Path("/r"), modules_disk=Path("/m"), cpus=2,
                            memory_mb=512, ssh_port=2222, mgmt_mac="52:54:00:00:00:01",
                            qmp_socket=tmp_path / "qmp", nics=nics)
    joined = " ".join(argv)
    assert "file=/r,if=none,id=root,format=raw,snapshot=on" in joined
    assert "tap,id=tn0,ifname=tap0,script=no,downscript=no,vhost=off,queues=4" in joined
    assert "mq=on,vectors=10,rss=on,hash=on" in joined
    assert f"dgram,id=tn1,local.type=unix,local.path={tmp_path / 'q'}" in joined
    assert "igc,netdev=tn1,id=tnic1" in joined
    assert "hostfwd=tcp:127.0.0.1:2222-:22" in joined
    assert "-L" not in argv  # distribution QEMU knows its firmware


def test_unknown_nic_kind_rejected():
    with pytest.raises(qemu_cmd.QemuError, match="unknown NIC"):
        qemu_cmd.NicArgs("e1000", "a", "b", "c", "d", 1).args()


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


def test_nicinfo_netlink_attr_parsing():
    from harness.guest.scripts import nicinfo as gn
    payload = gn.nla(5, (0b011).to_bytes(8, "little")) + gn.nla(1, (4).to_bytes(4, "little"))
    attrs = gn.parse_attrs(payload)
    assert int.from_bytes(attrs[5], "little") == 3 and int.from_bytes(attrs[1], "little") == 4


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


def test_staged_replaces_atomically_and_cleans_up_on_failure(tmp_path):
    from harness.paths import staged
    out = tmp_path / "kind" / "key"
    with staged(out) as (stage, scratch):
        (stage / "artifact").write_text("v1")
        (scratch / "junk").write_text("x")
    assert (out / "artifact").read_text() == "v1"
    with pytest.raises(RuntimeError), staged(out) as (stage, _scratch):
        (stage / "artifact").write_text("half-built")
        raise RuntimeError("build failed")
    assert (out / "artifact").read_text() == "v1"
    assert sorted(p.name for p in out.parent.iterdir()) == ["key"]


def test_unknown_debian_suite_is_one_line_exit_2():
    r = xdp_hints("boot", "--kernel", "debian:nosuch", timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "unknown Debian suite 'nosuch'" in r.stderr


def test_tcg_single_threaded_unless_asked(monkeypatch):
    from harness.vm.accel import _tcg
    monkeypatch.delenv("XDP_HINTS_TCG_THREAD", raising=False)
    assert "tcg,thread=single" in _tcg().args
    monkeypatch.setenv("XDP_HINTS_TCG_THREAD", "multi")
    assert "tcg,thread=multi" in _tcg().args


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
