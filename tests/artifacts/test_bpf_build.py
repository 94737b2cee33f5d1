# SPDX-License-Identifier: GPL-2.0-or-later
"""Host build of the guest BPF object + runner, and the guest_runner plumbing.

No BPF is loaded here (that happens in a guest: tests/test_guest_bpf_vm.py).
The object is checked by reading its ELF sections and BTF; the runner's
``abi``/``--help`` run on the host; GuestRunner is driven against a fake VM
whose "SSH" runs commands locally and a fake runner script.
"""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.artifacts import bpf_build
from harness.guest.runner import META_SIZE, GuestRunner, RunnerError, parse_lines
from tests.fake_wait import WAIT

MISSING = bpf_build.missing_packages()
needs_toolchain = pytest.mark.skipif(
    bool(MISSING), reason=f"host lacks packages for the guest BPF build: {' '.join(MISSING)}"
)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """One build into a private cache (so the test never trusts a stale cache)."""
    if MISSING:
        pytest.skip(f"host lacks {' '.join(MISSING)}")
    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get("XDP_HINTS_CACHE")
    os.environ["XDP_HINTS_CACHE"] = str(cache)
    try:
        yield bpf_build.build()
    finally:
        if old is None:
            os.environ.pop("XDP_HINTS_CACHE", None)
        else:
            os.environ["XDP_HINTS_CACHE"] = old


def elf_sections(path: Path) -> dict[str, bytes]:
    """Section name -> contents of an ELF64 little-endian file (enough for BPF objects)."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF", "not an ELF file"
    assert data[4] == 2 and data[5] == 1, "expected ELF64 little endian"
    e_shoff = struct.unpack_from("<Q", data, 0x28)[0]
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = []
    for i in range(e_shnum):
        name, _typ, _flags, _addr, off, size = struct.unpack_from(
            "<IIQQQQ", data, e_shoff + i * e_shentsize)
        headers.append((name, off, size))
    str_off, str_size = headers[e_shstrndx][1], headers[e_shstrndx][2]
    strtab = data[str_off:str_off + str_size]
    out = {}
    for name, off, size in headers:
        n = strtab[name:strtab.index(b"\0", name)].decode()
        out[n] = data[off:off + size]
    return out


@needs_toolchain
def test_build_outputs_and_cache_reuse(artifacts):
    assert artifacts.bpf_object.is_file() and artifacts.runner.is_file()
    assert os.access(artifacts.runner, os.X_OK)
    assert artifacts.dir.name == artifacts.key == bpf_build.build_key()
    before = artifacts.runner.stat().st_mtime_ns
    again = bpf_build.build()
    assert again.dir == artifacts.dir
    assert again.runner.stat().st_mtime_ns == before, "second build did not reuse the cache"


@needs_toolchain
def test_object_sections(artifacts):
    secs = elf_sections(artifacts.bpf_object)
    for name in ("xdp", "xdp/cpumap", "tc", ".maps", ".rodata.cfg", "license", ".BTF",
                 ".BTF.ext"):
        assert name in secs, f"section {name} missing; have {sorted(secs)}"
    assert secs["license"].rstrip(b"\0") == b"GPL"
    # struct xh_cfg: 4 x u32 (mode, kfuncs, cpumap_key, flags), all zero until the runner
    # fills it; the runner's struct is the same size
    assert len(secs[".rodata.cfg"]) == 16
    assert secs[".rodata.cfg"] == bytes(16)
    abi = json.loads(subprocess.run([str(artifacts.runner), "abi"], capture_output=True,
                                    text=True, timeout=30, check=True).stdout)
    assert abi["cfg_size"] == len(secs[".rodata.cfg"])
    # relocations against the kfunc externs exist only if the programs call them
    assert ".relxdp" in secs and ".reltc" in secs


@needs_toolchain
@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool not installed")
def test_object_btf_programs_maps_kfuncs(artifacts):
    out = subprocess.run(["bpftool", "btf", "dump", "file", str(artifacts.bpf_object)],
                         capture_output=True, text=True, check=True).stdout
    for prog in ("xh_xdp_dev", "xh_xdp_veth", "xh_xdp_cpumap", "xh_tc"):
        assert f"FUNC '{prog}'" in out and "linkage=global" in out, prog
    for kf in ("bpf_xdp_metadata_rx_timestamp", "bpf_xdp_metadata_rx_hash",
               "bpf_xdp_metadata_rx_vlan_tag", "bpf_dynptr_from_skb_meta"):
        line = next((ln for ln in out.splitlines() if f"FUNC '{kf}'" in ln), "")
        assert "linkage=extern" in line, f"{kf} is not an extern kfunc: {line!r}"
    maps_sec = out.split("DATASEC '.maps'")[1].split("DATASEC")[0]
    for m in ("events", "stats", "tx_port", "cpu_map", "xsks"):
        assert f"VAR '{m}'" in maps_sec, f"map {m} missing"
    # the kfunc's hash-type argument must be an enum pointer (libbpf checks the
    # prototype against the kernel's; an int pointer would silently not resolve)
    assert "ENUM 'xdp_rss_hash_type'" in out


@needs_toolchain
def test_runner_abi_and_usage(artifacts):
    r = subprocess.run([str(artifacts.runner), "abi"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    abi = json.loads(r.stdout)
    assert abi["meta_size"] == META_SIZE
    assert abi["meta_magic"] == 0x31484D58
    assert abi["pkt_magic"] == "XDPHINT1"
    r = subprocess.run([str(artifacts.runner), "run"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "--ifname is required" in r.stderr
    r = subprocess.run([str(artifacts.runner), "--help"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0 and "--no-meta" in r.stdout
    r = subprocess.run([str(artifacts.runner), "run", "--no-meta"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "--ifname is required" in r.stderr, "--no-meta is known"
    r = subprocess.run([str(artifacts.runner), "run", "--ifname", "lo", "--mode", "bogus"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    r = subprocess.run([str(artifacts.runner), "run", "--ifname", "no-such-if0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert json.loads(r.stdout.splitlines()[0])["event"] == "error"


@needs_toolchain
def test_runner_links_only_against_sonames_the_guest_has(artifacts):
    if shutil.which("readelf") is None:
        pytest.skip("readelf not installed")
    out = subprocess.run(["readelf", "-d", str(artifacts.runner)], capture_output=True,
                         text=True, check=True).stdout
    needed = {ln.split("[")[1].rstrip("]") for ln in out.splitlines() if "(NEEDED)" in ln}
    assert {"libbpf.so.1", "libxdp.so.1", "libc.so.6"} <= needed
    assert needed <= {"libbpf.so.1", "libxdp.so.1", "libc.so.6", "libelf.so.1", "libz.so.1"}


def test_key_changes_with_sources(tmp_path, monkeypatch):
    src = tmp_path / "guest-bpf"
    shutil.copytree(bpf_build.SRC_DIR, src,
                    ignore=shutil.ignore_patterns("*.o", "xdp-hints-guest"))
    monkeypatch.setattr(bpf_build, "SRC_DIR", src)
    k1 = bpf_build.build_key()
    assert bpf_build.build_key() == k1
    f = src / "xdp_hints_common.h"
    f.write_text(f.read_text() + "\n/* changed */\n")
    assert bpf_build.build_key() != k1


# --- one source of truth for flags: guest-bpf/flags.mk -----------------------------

needs_make = pytest.mark.skipif(shutil.which("make") is None or shutil.which("gcc") is None,
                                reason="make/gcc not installed")


def _make_commands(src: Path) -> list[list[str]]:
    """The compiler lines ``make -C src`` would run (dry run, nothing is built)."""
    out = subprocess.run(["make", "-n", "-B", "--no-print-directory", "-C", str(src), "all"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return [shlex.split(ln) for ln in out.splitlines() if ln.split(" ", 1)[0] in ("clang", "gcc")]


def _bpf_build_commands(out: Path) -> list[list[str]]:
    """bpf_build's compiler lines in the Makefile's terms (paths relative to guest-bpf/)."""
    src = str(bpf_build.SRC_DIR)
    result = []
    for cmd in bpf_build.commands(out):
        norm: list[str] = []
        for a in cmd:
            if a == src and norm and norm[-1] == "-I":
                norm[-1] = "-I."
            elif a.startswith((src + "/", f"{out}/")):
                norm.append(Path(a).name)
            else:
                norm.append(a)
        result.append(norm)
    return result


@needs_make
def test_makefile_and_bpf_build_run_the_same_commands(tmp_path):
    assert _make_commands(bpf_build.SRC_DIR) == _bpf_build_commands(tmp_path / "out")


@needs_make
def test_flag_twin_check_catches_a_makefile_of_its_own(tmp_path, monkeypatch):
    """The check above can fail: a flag written into the Makefile alone is a difference."""
    src = tmp_path / "guest-bpf"
    shutil.copytree(bpf_build.SRC_DIR, src,
                    ignore=shutil.ignore_patterns("*.o", "xdp-hints-guest"))
    monkeypatch.setattr(bpf_build, "SRC_DIR", src)
    assert _make_commands(src) == _bpf_build_commands(tmp_path / "out")
    mk = src / "Makefile"
    mk.write_text(mk.read_text().replace("gcc $(CFLAGS)", "gcc $(CFLAGS) -DTWIN"))
    assert _make_commands(src) != _bpf_build_commands(tmp_path / "out")


def test_flags_come_from_flags_mk():
    flags = bpf_build.read_flags(bpf_build.SRC_DIR / bpf_build.FLAGS_FILE)
    assert bpf_build.BPF_CFLAGS == flags["BPF_CFLAGS"] and "-Werror" in flags["BPF_CFLAGS"]
    assert bpf_build.CFLAGS == flags["CFLAGS"] and "-Werror" in flags["CFLAGS"]
    assert bpf_build.LDLIBS == flags["LDLIBS"]
    assert bpf_build.RUNNER_SOURCES == flags["RUNNER_SRCS"]
    assert bpf_build.TOOLS_SOURCES == flags["TOOLS_SRCS"]
    assert bpf_build.TOOLS_LDFLAGS == flags["TOOLS_LDFLAGS"]
    # every runner and tools source exists and is part of the cache key, flags.mk too
    user = set(bpf_build.RUNNER_SOURCES) | set(bpf_build.TOOLS_SOURCES)
    keyed = {p.name for p in bpf_build.sources()}
    assert user | {bpf_build.FLAGS_FILE, "Makefile"} <= keyed
    assert all((bpf_build.SRC_DIR / f).is_file() for f in user)
    # and every C file of guest-bpf is a BPF program or a runner or tools source
    c_files = {p.name for p in bpf_build.SRC_DIR.glob("*.c")}
    assert c_files == user | {bpf_build.BPF_SOURCE,
                                                         bpf_build.TCH_SOURCE,
                                                         bpf_build.STK_SOURCE}


def test_read_flags_refuses_what_it_cannot_read(tmp_path):
    f = tmp_path / "flags.mk"
    f.write_text("# comment\nA := -x  -y # trailing\n\nB :=\n")
    assert bpf_build.read_flags(f) == {"A": ("-x", "-y"), "B": ()}
    for bad in ("A += -x\n", "A := $(B)\n", "ifeq (a,b)\n", "A = -x\n"):
        f.write_text(bad)
        with pytest.raises(bpf_build.BpfBuildError, match="NAME := words"):
            bpf_build.read_flags(f)


def test_key_changes_with_flags_mk(tmp_path, monkeypatch):
    src = tmp_path / "guest-bpf"
    shutil.copytree(bpf_build.SRC_DIR, src,
                    ignore=shutil.ignore_patterns("*.o", "xdp-hints-guest"))
    monkeypatch.setattr(bpf_build, "SRC_DIR", src)
    k1 = bpf_build.build_key()
    f = src / bpf_build.FLAGS_FILE
    f.write_text(f.read_text().replace("CFLAGS := -O2", "CFLAGS := -O1"))
    assert bpf_build.build_key() != k1


def test_missing_packages_are_named(monkeypatch, tmp_path):
    monkeypatch.setattr(bpf_build, "REQUIRED", (("no-such-compiler-xyz", "clang-99"),
                                                ("/no/such/header.h", "libfoo-dev")))
    assert bpf_build.missing_packages() == ["clang-99", "libfoo-dev"]
    with pytest.raises(bpf_build.BpfBuildError, match="clang-99 libfoo-dev"):
        bpf_build.compile_into(tmp_path / "out")


@needs_toolchain
def test_compile_error_is_reported(tmp_path, monkeypatch):
    src = tmp_path / "guest-bpf"
    shutil.copytree(bpf_build.SRC_DIR, src)
    bad = src / "xdp_hints.bpf.c"
    bad.write_text(bad.read_text() + "\nthis is not C;\n")
    monkeypatch.setattr(bpf_build, "SRC_DIR", src)
    with pytest.raises(bpf_build.BpfBuildError, match="clang"):
        bpf_build.compile_into(tmp_path / "out")


# --- guest_runner against a fake VM ----------------------------------------------

def test_parse_lines():
    text = "\n".join([
        '{"event":"ready","mode":"pass"}',
        '{"point":"xdp","id":3,"rx_hash_rc":0}',
        "garbage",
        '{"point":"tc","id":3,"meta_found":true}',
        '[1,2]',
        '{"event":"exit","rc":0,"records":2}',
    ])
    recs, events, junk = parse_lines(text)
    assert [r["point"] for r in recs] == ["xdp", "tc"]
    assert [e["event"] for e in events] == ["ready", "exit"]
    assert junk == ["garbage", "[1,2]"]


class _LocalSsh:
    """Runs 'guest' commands on the host with bash; put() copies files."""

    def run(self, cmd: str, timeout: float = 60.0, stdin: bytes | None = None):
        p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True,
                           timeout=timeout)
        return type("Result", (), {"rc": p.returncode, "stdout": p.stdout,
                                   "stderr": p.stderr})()

    def check(self, cmd: str, timeout: float = 60.0) -> str:
        r = self.run(cmd, timeout)
        if r.rc != 0:
            raise RuntimeError(f"{cmd}: {r.stderr}")
        return r.stdout

    def put(self, local, remote, mode=None):
        shutil.copy(local, remote)
        if mode is not None:
            os.chmod(remote, mode)

    def put_many(self, files):
        for local, remote, mode in files:
            self.put(local, remote, mode)


FAKE_RUNNER = textwrap.dedent("""\
    #!{python}
    import json, signal, sys, time
    args = sys.argv[1:]
    if args[0] == "abi":
        print(json.dumps({{"meta_size": {meta}}})); sys.exit(0)
    ifname = args[args.index("--ifname") + 1]
    if ifname == "bad0":
        print(json.dumps({{"event": "error", "stage": "load", "errno": 13,
                          "error": "Permission denied", "msg": "verifier said no"}}))
        print("libbpf: prog 'xh_xdp_dev': failed to load", file=sys.stderr)
        print(json.dumps({{"event": "exit", "rc": 1, "records": 0}}))
        sys.exit(1)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    if "--hold" in args:  # loaded: wait for the go file (or a stop)
        import os
        go = args[args.index("--hold") + 1]
        print(json.dumps({{"event": "held"}}), flush=True)
        while not os.path.exists(go) and not stop:
            time.sleep(0.01)
        if stop:
            print(json.dumps({{"event": "exit", "rc": 1, "records": 0}}))
            sys.exit(1)
        if "--upper-obj" in args and "--upper" not in args:  # named by the release
            uppers = open(go).read().split()
    ready = {{"event": "ready", "mode": args[args.index("--mode") + 1], "ifname": ifname}}
    if ifname != "old0":  # old0: a runner from before --no-meta (no meta_write)
        ready["meta_write"] = "--no-meta" not in args
    if "--hold" in args and "--upper-obj" in args:
        ready["upper"] = uppers
    print(json.dumps(ready), flush=True)
    if ifname == "die0":  # a runner that dies without its exit event
        import os
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGABRT)
    n = 0
    while not stop:
        n += 1
        # compact, as the real runner writes them (the guest greps '"point":"tc"')
        print(json.dumps({{"point": "xdp", "id": n, "rx_hash_rc": 0}}, separators=(",", ":")),
              flush=True)
        print(json.dumps({{"point": "tc", "id": n, "meta_found": True}}, separators=(",", ":")),
              flush=True)
        time.sleep(0.05)
    print(json.dumps({{"event": "stats", "xdp": {{"seen": n}}}}))
    print(json.dumps({{"event": "exit", "rc": 0, "records": 2 * n}}))
""")


@pytest.fixture
def fake_runner(tmp_path):
    vm = type("FakeVM", (), {"ssh": _LocalSsh()})()
    remote = tmp_path / "guest"
    remote.mkdir()
    art = bpf_build.BpfArtifacts(tmp_path / "art", "fake")
    art.dir.mkdir()
    shebang, body = FAKE_RUNNER.format(python=sys.executable, meta=META_SIZE).split("\n", 1)
    art.runner.write_text(f"{shebang}\n{WAIT}{body}")
    art.tools.write_text(f"{shebang}\n{WAIT}sys.exit(2)\n")  # xh-tools: its wait
    art.tools.chmod(0o755)
    for obj in (art.bpf_object, art.store_object, art.tc_helpers_object, art.stacked_object):
        obj.write_bytes(b"\x7fELF")
    runner = GuestRunner(vm, artifacts=art, remote_dir=str(remote))
    runner.install()
    return runner


def test_observe_collects_records_and_stops(fake_runner):
    with fake_runner.observe("eth1", mode="veth", ready_timeout=20) as obs:
        assert obs.ready == {"event": "ready", "mode": "veth", "ifname": "eth1",
                             "meta_write": True}
        got = obs.wait_for(3, point="xdp", timeout=20, poll_s=0.1)
        assert len(got) >= 3
    assert obs.stopped
    assert obs.exit == {"event": "exit", "rc": 0, "records": len(obs.records)}
    assert obs.stats["xdp"]["seen"] >= 3
    idx = obs.index("xdp")
    assert set(idx) == set(obs.index("tc")) and 1 in idx
    assert obs.points() == {"xdp", "tc"}
    assert "--mode veth" in " ".join(obs.argv)
    # the process is gone
    pid = Path(obs.pid_path).read_text().strip()
    assert subprocess.run(["kill", "-0", pid], capture_output=True).returncode != 0


def test_observe_raises_with_errors_and_stderr(fake_runner):
    with pytest.raises(RunnerError) as ei:
        fake_runner.observe("bad0", ready_timeout=20)
    msg = str(ei.value)
    assert "load: verifier said no (Permission denied)" in msg
    assert "failed to load" in msg


def test_observe_no_meta_is_passed_and_checked(fake_runner):
    with fake_runner.observe("eth1", mode="pass", no_meta=True, ready_timeout=20) as obs:
        assert obs.ready["meta_write"] is False
    assert "--no-meta" in obs.argv
    with pytest.raises(RunnerError, match="ignored --no-meta"):
        fake_runner.observe("old0", mode="pass", no_meta=True, ready_timeout=20)
    with fake_runner.observe("old0", mode="pass", ready_timeout=20) as obs:
        assert "--no-meta" not in obs.argv


def test_wait_for_then_stop_in_one_round_trip(fake_runner):
    obs = fake_runner.observe("eth1", mode="pass", ready_timeout=20)
    got = obs.wait_for(3, point="tc", timeout=20, stop=True)
    assert obs.stopped and len(got) >= 3
    assert obs.exit == {"event": "exit", "rc": 0, "records": len(obs.records)}
    assert obs.stats["xdp"]["seen"] >= 3
    obs.stop()  # already stopped: nothing more
    # the deadline stops it too, with whatever arrived
    obs = fake_runner.observe("eth1", mode="pass", ready_timeout=20)
    got = obs.wait_for(10**6, point="tc", timeout=1, stop=True)
    assert obs.stopped and obs.exit["rc"] == 0 and got == obs.by_point("tc")


def test_held_runner_loads_first_and_attaches_on_release(fake_runner):
    """hold=True: launched with another runner's start, ready only once released."""
    held = fake_runner.observe("eth2", mode="cpumap", hold=True)
    assert not held.launched and "--hold" in held.argv
    with fake_runner.observe("eth1", mode="pass", ready_timeout=20, also=held) as obs:
        assert held.launched and obs.ready["mode"] == "pass"
        deadline = time.monotonic() + 20
        while '"held"' not in Path(held.out_path).read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert '"ready"' not in Path(held.out_path).read_text()  # waits for its go file
    held.release()
    assert held.ready["mode"] == "cpumap"
    assert held.wait_for(2, point="xdp", timeout=20, poll_s=0.1)
    held.stop()
    assert held.exit["rc"] == 0 and held.records
    # a stacked run's upper devices come with the release
    held = fake_runner.observe("eth1", mode="pass", hold=True, upper_later=True)
    assert "--upper-obj" in held.argv and "--upper" not in held.argv
    with held.release(upper=["eth1.5", "xhgre0"]) as obs:
        assert obs.ready["upper"] == ["eth1.5", "xhgre0"]
    # launched on its own (the scenario does so while it prepares the NIC)
    held = fake_runner.observe("eth1", mode="xsk", hold=True)
    held.launch()
    with pytest.raises(ValueError):
        held.launch()
    with held.release() as obs:
        assert obs.ready["mode"] == "xsk"


def test_held_runner_stopped_unreleased(fake_runner):
    held = fake_runner.observe("eth1", mode="veth", hold=True)
    held.stop()  # never launched: nothing to stop
    assert held.stopped and not held.records
    held = fake_runner.observe("eth1", mode="veth", hold=True)
    with fake_runner.observe("eth1", mode="pass", ready_timeout=20, also=held):
        deadline = time.monotonic() + 20
        while '"held"' not in Path(held.out_path).read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    held.stop()
    assert held.exit == {"event": "exit", "rc": 1, "records": 0} and not held.records
    with fake_runner.observe("eth1", mode="pass", ready_timeout=20) as obs:
        with pytest.raises(ValueError):
            obs.release()


def test_runner_death_is_explained(fake_runner):
    with fake_runner.observe("die0", mode="pass", ready_timeout=20) as obs:
        time.sleep(1)
    assert obs.exit is None
    assert "no exit event; killed by SIGABRT (status 134)" in obs.stderr, obs.stderr


def test_describe_status():
    from harness.guest.runner import describe_status
    assert describe_status("0\n") == "exited with status 0"
    assert describe_status("143") == "killed by SIGTERM (status 143)"
    assert describe_status("").startswith("exit status unknown")


def test_observe_rejects_unknown_mode(fake_runner):
    with pytest.raises(ValueError):
        fake_runner.observe("eth1", mode="teleport")


@needs_toolchain
def test_userspace_frame_parser_matches_ground_truth(artifacts):
    """The AF_XDP reader's parser (twin of the BPF one) on every packet kind."""
    from harness.traffic.packets import ETH_P_IP, ETH_P_IPV6, IPPROTO_TCP, IPPROTO_UDP, make_plan
    plan = make_plan(36, dst_mac="02:00:00:00:00:02", seed=7, first_id=1000)
    bad = [
        plan[0].frame[:30],                                   # truncated
        plan[0].frame.replace(b"XDPHINT1", b"XDPHINT2"),      # wrong magic
        bytes.fromhex("ffffffffffff020000000001" "0806") + bytes(28),  # ARP
    ]
    # IPv4 non-first fragment of a test frame: no L4 header, must not match
    v4 = next(p for p in plan if p.l3 == "ipv4" and not p.vlans)
    frag = bytearray(v4.frame)
    frag[14 + 6] = 0x00
    frag[14 + 7] = 0x10
    bad.append(bytes(frag))
    # lines that are no hex frame (xh_hex.h is strict): an odd digit count, a non-hex digit
    junk = [plan[0].frame.hex() + "a", plan[0].frame.hex()[:-2] + "zz"]
    stdin = "".join(f.hex() + "\n" for f in [p.frame for p in plan] + bad) + \
        "".join(f"{ln}\n" for ln in junk)
    r = subprocess.run([str(artifacts.runner), "parse"], input=stdin, capture_output=True,
                       text=True, timeout=30, check=True)
    out = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert len(out) == len(plan) + len(bad) + len(junk)
    for p, o in zip(plan, out, strict=False):
        assert o["match"] is True, (p.kind, o)
        assert o["id"] == p.id and o["pkt_flags"] == p.flags
        assert o["pkt_len"] == len(p.frame)
        assert o["eth_proto"] == (ETH_P_IP if p.l3 == "ipv4" else ETH_P_IPV6)
        assert o["l4_proto"] == (IPPROTO_TCP if p.l4 == "tcp" else IPPROTO_UDP)
        assert o["frame_vlan_count"] == len(p.vlans)
        for i, (tpid, tci) in enumerate(p.vlans):
            assert (o[f"frame_vlan{i}_proto"], o[f"frame_vlan{i}_tci"]) == (tpid, tci)
    assert [o["match"] for o in out[len(plan):]] == [False] * (len(bad) + len(junk))


def _ring_frame(pid: int, lead: int = 42) -> bytes:
    return b"\x00" * lead + b"XDPHINT1" + struct.pack("<II", pid, 0) + b"\x00" * 4


def _ring_block(pkts: list[tuple[int, int, int, bytes]]) -> bytes:
    """One TPACKET_V3 ring block: tpacket_block_desc, then tpacket3_hdr + frame per packet."""
    buf = bytearray(4096)
    first = 48
    struct.pack_into("<III", buf, 8, 1, len(pkts), first)  # TP_STATUS_USER, num, offset
    off = first
    for i, (sec, nsec, status, data) in enumerate(pkts):
        mac = 80
        nxt = 0 if i == len(pkts) - 1 else mac + len(data) + 8
        struct.pack_into("<IIIIIIH", buf, off, nxt, sec, nsec, len(data), len(data), status,
                         mac)
        buf[off + mac:off + mac + len(data)] = data
        off += nxt
    return bytes(buf)


@needs_toolchain
def test_tpacket_ring_block_parser(artifacts):
    """The guest's TPACKET_V3 reader (xh_stamps.c) on crafted block bytes: ids, signed
    tp_sec, the hardware-stamp status bit, frames that are no test frames."""
    hw = (1 << 31) | 1  # TP_STATUS_TS_RAW_HARDWARE | TP_STATUS_USER
    ptr = -0x0000777F00001234  # 0xffff8880ffffedcc read as a signed ktime
    sec, nsec = ptr // 10**9, ptr % 10**9
    short = b"\x00" * 30 + b"XDPHINT1" + b"\x01\x02\x03\x04"  # magic, but no 16 bytes
    block = _ring_block([(1_900_000_000, 4242, hw, _ring_frame(7)),
                         (sec & 0xFFFFFFFF, nsec, hw, _ring_frame(0xDEADBEEF, lead=3)),
                         (5, 6, 1, _ring_frame(9)),  # no hardware stamp: software time only
                         (5, 6, hw, b"\x00" * 60),  # not a test frame
                         (5, 6, hw, short),
                         (0, 0, hw, _ring_frame(10))])
    r = subprocess.run([str(artifacts.tools), "tpacket-parse"], input=block,
                       capture_output=True, timeout=30, check=True)
    assert r.stdout.decode().splitlines() == [
        '{"id": 7, "hw": 1900000000000004242, "status": 2147483649}',
        f'{{"id": 3735928559, "hw": {ptr}, "status": 2147483649}}',
        '{"id": 9, "hw": null, "status": 1}',
        '{"id": 10, "hw": 0, "status": 2147483649}']
    # a block claiming more frames than its bytes hold: parsed up to the end, no more
    cut = subprocess.run([str(artifacts.tools), "tpacket-parse"], input=block[:200],
                         capture_output=True, timeout=30, check=True)
    assert cut.stdout.decode().splitlines() == [
        '{"id": 7, "hw": 1900000000000004242, "status": 2147483649}']


def _read_lines(fd: int, n: int, timeout_s: float = 20) -> list[str]:
    """``n`` lines from pipe ``fd`` (fewer if the deadline passes first)."""
    buf, end = b"", time.monotonic() + timeout_s
    while buf.count(b"\n") < n and time.monotonic() < end:
        if select.select([fd], [], [], 0.1)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
    return buf.decode().splitlines()[:n]


def _packet_socket_or_skip() -> socket.socket:
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    except PermissionError:
        pytest.skip("needs CAP_NET_RAW (packet sockets on lo)")
    s.bind(("lo", 0))
    return s


@needs_toolchain
@pytest.mark.parametrize("kind", ["tsrx", "tpacket"])
def test_stamp_receiver_on_loopback(artifacts, tmp_path, kind):
    """The real receivers on the host's lo: ready, pid file, one line per test frame
    (tsrx skips the copy lo sends, PACKET_OUTGOING; the ring shows both), software
    stamp, no hardware stamp, exit 0 on SIGTERM."""
    tx = _packet_socket_or_skip()
    pidfile = tmp_path / "rx.pid"
    p = subprocess.Popen([str(artifacts.tools), kind, "lo", str(pidfile)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None
    out = p.stdout.fileno()
    try:
        assert _read_lines(out, 1) == ["ready"]
        assert pidfile.read_text() == f"{p.pid}\n"
        base = 0x5A000000 + os.getpid() % 0x10000 * 16  # ours, not another test's
        t0 = time.time_ns()
        for i in range(3):
            tx.send(b"\xff" * 6 + b"\x02" * 6 + b"\x88\xb5" + _ring_frame(base + i, lead=i))
        lines = _read_lines(out, 3 if kind == "tsrx" else 6)
    finally:
        p.terminate()
        rc = p.wait(timeout=10)
        tx.close()
    assert rc == 0, p.stderr.read() if p.stderr else b""
    assert _read_lines(out, 1, timeout_s=0.5) == []  # nothing more (tsrx: no outgoing copy)
    recs = [json.loads(ln) for ln in lines]
    ids = [r["id"] for r in recs if base <= r["id"] < base + 3]
    assert len(ids) == len(recs)
    assert ids == ([base, base + 1, base + 2] if kind == "tsrx"
                   else [base, base, base + 1, base + 1, base + 2, base + 2])
    assert all(r["hw"] is None for r in recs)
    if kind == "tsrx":
        assert all(t0 - 10**9 < r["sw"] < time.time_ns() + 10**9 for r in recs)
        assert list(recs[0]) == ["id", "hw", "sw"]
    else:
        assert all(r["status"] & 1 for r in recs)  # TP_STATUS_USER
        assert list(recs[0]) == ["id", "hw", "status"]


def test_wait_blocks_until_lines_process_end_or_timeout(artifacts, tmp_path):
    """xh-tools' ``wait``: N matching lines (substring or ^prefix), the process's end
    (exit 3 with a file, 0 without), or the timeout (exit 1); appended lines count."""
    w = [str(artifacts.tools), "wait"]
    f = tmp_path / "out.jsonl"
    writer = subprocess.Popen(["sh", "-c", f"sleep 0.3; echo 'x \"point\":\"tc\"' >> {f}; "
                               f"echo '{{\"point\":\"xdp\"}}' >> {f}; sleep 0.3; "
                               f"echo '{{\"point\":\"tc\"}}' >> {f}"])
    t0 = time.monotonic()
    r = subprocess.run([*w, str(f), "--match", '"point":"tc"', "--count", "2",
                        "--timeout", "10"])
    writer.wait()
    assert r.returncode == 0 and 0.5 < time.monotonic() - t0 < 5
    assert subprocess.run([*w, str(f), "--match", "^{", "--count", "2",
                           "--timeout", "1"]).returncode == 0
    assert subprocess.run([*w, str(f), "--match", "^{", "--count", "3",
                           "--timeout", "0.3"]).returncode == 1
    sleeper = subprocess.Popen(["sleep", "0.3"])
    assert subprocess.run([*w, str(f), "--match", "nothing", "--pid", str(sleeper.pid),
                           "--timeout", "10"]).returncode == 3
    sleeper.wait()
    (tmp_path / "pid").write_text(f"{sleeper.pid}\n")
    assert subprocess.run([*w, "--pid-file", str(tmp_path / "pid"),
                           "--timeout", "10"]).returncode == 0
    assert subprocess.run([*w, "--count", "1"]).returncode == 2
    # --carrier: sysfs polled (lo's carrier is up; a missing interface times out)
    assert subprocess.run([*w, "--carrier", "lo", "--timeout", "5"]).returncode == 0
    assert subprocess.run([*w, "--carrier", "xh-none0", "--timeout", "0.2"]).returncode == 1


def test_rxfh_usage_and_refusals(artifacts):
    """xh-tools' ``rxfh``: a bad flow or field letter is refused before any ioctl
    (exit 2); a device without RSS gives one ``FLOW -errno`` line per flow, exit 0."""
    t = [str(artifacts.tools), "rxfh"]
    for bad in ([], ["lo", "tcp9"], ["lo", "udp4=sdq"], ["x" * 20, "tcp4"]):
        r = subprocess.run([*t, *bad], capture_output=True, text=True)
        assert r.returncode == 2 and r.stdout == "" and "rxfh" in r.stderr, bad
    r = subprocess.run([*t, "lo", "tcp4", "udp6"], capture_output=True, text=True)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == ["tcp4", "udp6"]
    assert all(re.fullmatch(r"\w+ -\d+", ln) for ln in lines), lines


def test_spawn_pid_status_and_wait_prints(artifacts, tmp_path):
    """xh-tools' ``spawn``: the pid file is there when it returns, the program runs in
    a new session (its watcher's) with stdout/stderr in their files, its status (128 + signal) lands
    in the status file; ``wait --cat/--cat-sep/--alive`` print after the wait as
    ``cat F; echo; echo SEP; cat G`` and ``kill -0 && echo MARK`` did."""
    t = str(artifacts.tools)
    f = {k: str(tmp_path / k) for k in ("pid", "status", "out", "err")}
    spawn = [t, "spawn", "--pid-file", f["pid"], "--status-file", f["status"],
             "--out", f["out"], "--err", f["err"], "--"]
    r = subprocess.run([*spawn, "sh", "-c", "echo out; echo err >&2; exec sleep 30"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "", r.stderr
    pid = int(Path(f["pid"]).read_text())
    assert os.getsid(pid) not in (os.getsid(0), pid)  # the watcher's new session
    w = [t, "wait", f["out"], "--pid-file", f["pid"], "--timeout", "10",
         "--cat", f["out"], "--cat", f["err"], "--cat-sep", "SEP", "--alive", "ALIVE"]
    r = subprocess.run(w, capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (0, "out\n\nSEP\nerr\nALIVE\n")
    os.kill(pid, signal.SIGTERM)
    r = subprocess.run([t, "wait", "--pid", str(pid), "--timeout", "10", "--cat", f["out"]],
                       capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (0, "out\n")  # ended: no ALIVE asked, none printed
    for _ in range(100):
        if Path(f["status"]).exists():
            break
        time.sleep(0.02)
    assert Path(f["status"]).read_text() == f"{128 + signal.SIGTERM}\n"
    # only --cat: nothing to wait for; a missing file prints as empty
    r = subprocess.run([t, "wait", "--cat", str(tmp_path / "none"), "--cat", f["out"],
                        "--cat-sep", "S"], capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (0, "\nS\nout\n")
    # a program that cannot start: spawned, exit 127 in the status, the reason in err
    r = subprocess.run([*spawn, str(tmp_path / "missing")], capture_output=True, timeout=30)
    assert r.returncode == 0
    for _ in range(100):
        if Path(f["status"]).read_text() == "127\n":
            break
        time.sleep(0.02)
    assert Path(f["status"]).read_text() == "127\n"
    assert "missing" in Path(f["err"]).read_text()
    assert subprocess.run([t, "spawn", "--pid-file", f["pid"], "--", "true"],
                          capture_output=True).returncode == 2
