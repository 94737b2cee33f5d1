# SPDX-License-Identifier: GPL-2.0-or-later
"""Kernels built from source, end to end: Debian sid's linux source with the lean config,
booted and judged; the test regression patch judged against its base; bisect over a
synthetic history; bad input (patch, fragment, compile error, Ctrl-C).

The base build is the one ``scripts/run-tests.sh`` makes before pytest (cached); every
later build here shares its build directory, so each is incremental.  Tests run in file
order: the base first.
"""

from __future__ import annotations

import difflib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, xdp_hints

pytestmark = pytest.mark.vm

SRC = "debian:sid-source"
PATCH = REPO / "tests" / "data" / "patches" / "0001-igc-ipv6-udp-hash-type-l3.patch"
TIMER1_PATCH = REPO / "tests" / "data" / "patches" / "0002-igc-rx-timestamp-reads-timer1.patch"
OK = ("pass", "expected-unsupported", "known-bug", "skip")
BUILD_TIMEOUT = 3600


def _skip_without_igc() -> None:
    from harness.artifacts.qemu_build import find_qemu
    if find_qemu() is None:
        pytest.skip("no QEMU build with igc in the cache (run: xdp-hints qemu build)")


@pytest.fixture(scope="module")
def base() -> dict:
    p = xdp_hints("kernel", "build", SRC, "--json", timeout=BUILD_TIMEOUT)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def source_tree(base: dict) -> Path:
    from harness.artifacts import kernel_source
    return kernel_source.resolve(SRC).tree


def test_base_build_is_bootable_like_a_debian_kernel(base: dict) -> None:
    from harness.artifacts.kernel_build import has_btf
    assert base["release"].startswith("7.")
    image, modules = Path(base["image"]), Path(base["modules"]) / base["release"]
    assert image.is_file() and (modules / "modules.dep").is_file()
    igc = list(modules.rglob("igc.ko"))
    assert igc and has_btf(igc[0]), "igc.ko without BTF"
    cfg = Path(base["config"]).read_text()
    for opt in ("CONFIG_DEBUG_INFO_BTF=y", "CONFIG_XDP_SOCKETS=y", "CONFIG_IGC=m"):
        assert opt in cfg
    assert "CONFIG_DRM=y" not in cfg and "CONFIG_SOUND=y" not in cfg  # lean
    assert Path(base["initramfs"]).is_file() and Path(base["modules_disk"]).is_file()
    again = xdp_hints("kernel", "build", SRC, "--json", timeout=600)
    assert again.returncode == 0 and json.loads(again.stdout)["cached"] is True


def test_built_kernel_passes_the_suite(base: dict, tmp_path: Path, taps_usable) -> None:
    _skip_without_igc()
    out = tmp_path / "run.json"
    p = xdp_hints("run", "--kernel", SRC, "--nic", "igc,virtio-net", "--path", "xdp,pass",
                  "--packets", "24", "--json", str(out), timeout=1800)
    doc = json.loads(out.read_text())
    bad = [r for r in doc["results"] if r["verdict"] not in OK]
    assert p.returncode == 0 and not bad, (p.stdout[-3000:], bad)
    assert doc["kernel"] == base["release"]
    assert {r["nic"] for r in doc["results"]} == {"igc", "virtio-net"}


def test_regression_patch_against_its_base(base: dict, tmp_path: Path, taps_usable) -> None:
    """The patched igc reports UDP/IPv6 as L3: exactly igc's hash_type rows regress."""
    _skip_without_igc()
    out = tmp_path / "new.json"
    p = xdp_hints("run", "--kernel", SRC, "--patch", str(PATCH), "--baseline", SRC,
                  "--nic", "igc,virtio-net", "--path", "xdp,pass", "--packets", "24",
                  "--json", str(out), timeout=3600)
    assert p.returncode == 1, (p.stdout[-3000:], p.stderr[-3000:])
    new = json.loads(out.read_text())
    base_doc = json.loads(out.with_name("new.baseline.json").read_text())
    failed = {(r["nic"], r["path"], r["field"]) for r in new["results"] if r["verdict"] == "fail"}
    assert failed and {(n, f) for n, _, f in failed} == {("igc", "hash_type")}, failed
    assert not [r for r in base_doc["results"] if r["verdict"] not in OK]
    regressions = [ln for ln in p.stdout.splitlines() if ln.startswith("regression")]
    assert len(regressions) == len(failed)
    assert all(" igc " in ln and " hash_type:" in ln for ln in regressions), p.stdout


def test_kfunc_reading_timer1_fails_the_timestamp_rows(base: dict, tmp_path: Path,
                                                     taps_usable) -> None:
    """igc's rx_timestamp kfunc patched to read timer 1: the model's timer 1 runs its own
    deterministic sequence, so exactly igc's XDP timestamp rows fail (the skb rows read
    timer 0 through the unpatched ndo_get_tstamp and pass)."""
    _skip_without_igc()
    out = tmp_path / "t1.json"
    p = xdp_hints("run", "--kernel", SRC, "--patch", str(TIMER1_PATCH), "--nic", "igc",
                  "--path", "skb,xdp", "--packets", "16", "--json", str(out), timeout=3600)
    assert p.returncode == 1, (p.stdout[-3000:], p.stderr[-3000:])
    doc = json.loads(out.read_text())
    failed = {(r["path"], r["field"]) for r in doc["results"] if r["verdict"] == "fail"}
    assert failed == {("xdp", "timestamp")}, failed
    ok = {(r["path"], r["field"]) for r in doc["results"] if r["verdict"] == "pass"}
    assert ("skb", "timestamp") in ok, doc["results"]


def _git(tree: Path, *args: str) -> str:
    from harness.artifacts.kernel_source import GIT_ID
    return subprocess.run(["git", "-C", str(tree), *args], check=True, capture_output=True,
                          text=True, env={**os.environ, **GIT_ID}).stdout.strip()


def test_bisect_names_the_bad_commit(source_tree: Path, tmp_path: Path, taps_usable) -> None:
    _skip_without_igc()
    clone = tmp_path / "linux"
    subprocess.run(["git", "clone", "-q", "--shared", str(source_tree), str(clone)], check=True)
    good = _git(clone, "rev-parse", "HEAD")
    (clone / "README").write_text((clone / "README").read_text() + "\nxdp-hints: good\n")
    _git(clone, "commit", "-qam", "good: README only")
    _git(clone, "apply", str(PATCH))
    _git(clone, "commit", "-qam", "bad: igc reports UDP/IPv6 as L3")
    bad = _git(clone, "rev-parse", "HEAD")
    p = xdp_hints("bisect", "--tree", str(clone), "--good", good, "--bad", bad,
                  "--row", "igc/xdp/hash_type", "--packets", "16", timeout=3600)
    assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-3000:])
    assert f"first bad commit: {bad}" in p.stdout
    assert "row igc/xdp/hash_type: pass -> fail" in p.stdout
    assert _git(clone, "rev-parse", "HEAD") == bad  # the user's checkout: untouched
    assert not (clone / ".git" / "BISECT_LOG").exists()
    assert _git(clone, "worktree", "list").count("\n") == 0


def _append_patch(tree: Path, rel: str, text: str) -> str:
    """A patch adding ``text`` at the end of ``rel`` (never inside a comment)."""
    old = (tree / rel).read_text().splitlines(keepends=True)
    new = old + [text + "\n"]
    return "".join(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}"))


def test_compile_error_quotes_the_error_and_the_log(source_tree: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.patch"
    broken.write_text(_append_patch(source_tree, "drivers/net/veth.c",
                                    "#error xdp-hints test: a compile error"))
    p = xdp_hints("kernel", "build", SRC, "--patch", str(broken), timeout=BUILD_TIMEOUT)
    assert p.returncode == 2, p.stderr[-2000:]
    assert "xdp-hints test: a compile error" in p.stderr and "veth.c" in p.stderr
    log = next(w for w in p.stderr.split() if w.endswith(".log"))
    assert Path(log).is_file()


def test_fragment_option_that_cannot_be_set(source_tree: Path, tmp_path: Path) -> None:
    frag = tmp_path / "i915.config"
    frag.write_text("CONFIG_DRM_I915=y\nCONFIG_VETH=m\n")
    p = xdp_hints("kernel", "build", SRC, "--config", str(frag), timeout=900)
    assert p.returncode == 2, p.stderr[-2000:]
    assert "CONFIG_DRM_I915=y (from i915.config): have unset; depends on" in p.stderr
    assert "CONFIG_VETH" not in p.stderr.split("did not survive")[1].split("\n")[0]


def test_patch_that_does_not_apply(tmp_path: Path) -> None:
    stale = tmp_path / "stale.patch"
    stale.write_text(PATCH.read_text().replace("[IGC_RSS_TYPE_HASH_UDP_IPV4]",
                                               "[IGC_RSS_TYPE_HASH_UDP_IPV4_X]"))
    p = xdp_hints("kernel", "build", SRC, "--patch", str(stale), timeout=900)
    assert p.returncode == 2
    assert "stale.patch does not apply: hunk @@ -7035,7 +7035,7 @@ of " \
           "drivers/net/ethernet/intel/igc/igc_main.c" in p.stderr, p.stderr


def test_ctrl_c_during_a_build(source_tree: Path, tmp_path: Path) -> None:
    from harness.artifacts import kernel_build
    from harness.paths import cache_dir
    touch = tmp_path / "touch.patch"
    touch.write_text(_append_patch(source_tree, "net/core/xdp.c", "/* xdp-hints ctrl-c */"))
    kernels = cache_dir() / kernel_build.KIND
    kernels.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in kernels.iterdir()}
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "kernel", "build", SRC,
                             "--patch", str(touch)], cwd=REPO, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "XDP_HINTS_PROGRESS": "1"})
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 900
    while "compile:" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.read(1) or ""
        if proc.poll() is not None:
            break
    time.sleep(5)
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 2, seen + rest
    assert "interrupted" in rest
    assert {p.name for p in kernels.iterdir()} == before  # no half-written entry
    assert _git(source_tree, "status", "--porcelain") == ""
    left = subprocess.run(["pgrep", "-f", "make O=.*kernel-build"], capture_output=True)
    assert left.returncode == 1, left.stdout
