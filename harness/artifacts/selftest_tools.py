# SPDX-License-Identifier: GPL-2.0-or-later
"""The kernel's own BPF selftest tools, built on the host from Debian's linux source.

    from harness.artifacts.selftest_tools import build_xdp_hw_metadata
    tool = build_xdp_hw_metadata("sid", kernel.image)   # Path of the binary, cached

``xdp_hw_metadata`` (tools/testing/selftests/bpf: xdp_hw_metadata.c, its BPF
program progs/xdp_hw_metadata.c, network_helpers.c, xsk.c) is the kernel
developers' reference for XDP RX/TX metadata on real hardware.  It is built from
the guest kernel's own source (``debian:SUITE-source``, never copied into this
repository): libbpf from that tree (static), ``vmlinux.h`` dumped from the BTF in
the guest kernel image (``scripts/extract-vmlinux``), the skeleton by ``bpftool``,
the program with the BPF flags of :mod:`harness.artifacts.bpf_build`.  The
cache entry ``<cache>/selftest-tools/<key>`` is keyed by the source package, the
image's hash and the compilers; only the pieces the build needs are copied out of
the pristine tree into a scratch directory.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from harness.artifacts import kernel_source
from harness.artifacts.bpf_build import BPF_CFLAGS, _multiarch_include, _tool_version
from harness.errors import HarnessError
from harness.paths import cached, entry_lock, recipe_key, staged
from harness.progress import BuildStep, Emit, quiet

SELFTESTS = "tools/testing/selftests/bpf"
#: what the build copies out of the kernel tree
TREE_PARTS = ("tools/lib", "tools/include", "tools/build", "tools/scripts", "tools/arch/x86",
              "tools/testing/selftests/kselftest.h", SELFTESTS, "scripts/bpf_doc.py")
#: (host tool, Debian package) the build runs
REQUIRED = (("clang", "clang"), ("gcc", "gcc"), ("make", "make"), ("bpftool", "bpftool"),
            ("python3", "python3"))
BINARY = "xdp_hw_metadata"
#: what the selftests' Makefile adds to BPF_CFLAGS for a vmlinux.h of a kernel built with
#: -fms-extensions (anonymous struct members by tag) and for its programs' pointer compares
SELFTEST_BPF_FLAGS = ("-fms-extensions", "-Wno-microsoft-anon-tag",
                      "-Wno-compare-distinct-pointer-types")


class SelftestBuildError(HarnessError):
    """A selftest tool cannot be built (host tools missing, source and kernel differ, ...)."""


def _run(cmd: list[str], cwd: Path, stdout: Path | None = None) -> None:
    out = open(stdout, "wb") if stdout else subprocess.PIPE  # noqa: SIM115
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
    finally:
        if stdout:
            out.close()  # type: ignore[union-attr]
    if p.returncode != 0:
        raise SelftestBuildError(f"{' '.join(cmd[:3])} ... failed (rc {p.returncode}):\n"
                                 f"{p.stderr.decode(errors='replace')[-2000:]}")


def _image_hash(image: Path) -> str:
    h = hashlib.sha256()
    with open(image, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_host() -> None:
    """Raise SelftestBuildError naming the Debian packages of missing host tools."""
    missing = sorted({pkg for tool, pkg in REQUIRED if shutil.which(tool) is None})
    if missing:
        raise SelftestBuildError(f"building xdp_hw_metadata needs: apt-get install "
                                 f"{' '.join(missing)} (scripts/setup-host.sh)")


def build_xdp_hw_metadata(suite: str, image: Path, release: str | None = None,
                          emit: Emit = quiet) -> Path:
    """``xdp_hw_metadata`` for the kernel ``image`` from ``suite``'s linux source.

    ``release`` (uname -r of the image) is checked against the source's version
    when given, so a tool is never built from another kernel's source.
    """
    check_host()
    src = kernel_source.debian_source(suite, f"debian:{suite}-source", emit)
    if release and not release.startswith(src.version + "+") and release != src.version:
        raise SelftestBuildError(f"debian:{suite}-source is {src.version}, the kernel is "
                                 f"{release}: the tool must come from the kernel's own source")
    key = recipe_key("xdp-hw-metadata-v1", src.identity, _image_hash(image),
                     _tool_version("clang"), _tool_version("gcc"), *BPF_CFLAGS,
                     *SELFTEST_BPF_FLAGS)
    out = cached("selftest-tools", key)
    with entry_lock(out):
        if (out / BINARY).exists():
            return out / BINARY
        emit(BuildStep("selftest-tools", f"building {BINARY} from {src.identity}"))
        with staged(out) as (stage, scratch):
            _build(src.tree, image, scratch, stage / BINARY)
    return out / BINARY


def _build(tree: Path, image: Path, work: Path, binary: Path) -> None:
    src = work / "src"
    for part in TREE_PARTS:
        dest = src / part
        dest.parent.mkdir(parents=True, exist_ok=True)
        if (tree / part).is_dir():
            shutil.copytree(tree / part, dest, symlinks=True)
        else:
            shutil.copy2(tree / part, dest)
    lib, root, inc = work / "libbpf", work / "root", work / "include"
    for d in (lib, root, inc):
        d.mkdir()
    _run(["make", "-s", "-C", str(src / "tools/lib/bpf"), f"OUTPUT={lib}/", "BUILD_STATIC_ONLY=1",
          "-j2", f"DESTDIR={root}", "prefix=/usr", "install_headers", f"{lib}/libbpf.a"], work)
    vmlinux = work / "vmlinux"
    _run([str(tree / "scripts/extract-vmlinux"), str(image)], work, stdout=vmlinux)
    _run(["bpftool", "btf", "dump", "file", str(vmlinux), "format", "c"], work,
         stdout=inc / "vmlinux.h")
    sel = src / SELFTESTS
    includes = ["-I", str(inc), "-I", str(root / "usr/include"), "-I", str(sel),
                "-I", str(src / "tools/include"), "-I", str(src / "tools/include/uapi")]
    bpf_obj = work / "xdp_hw_metadata.bpf.o"
    _run(["clang", *BPF_CFLAGS, "-D__TARGET_ARCH_x86", *_multiarch_include(), *includes,
          *SELFTEST_BPF_FLAGS, "-c", str(sel / "progs/xdp_hw_metadata.c"),
          "-o", str(bpf_obj)], work)
    _run(["bpftool", "gen", "skeleton", str(bpf_obj), "name", "xdp_hw_metadata"], work,
         stdout=inc / "xdp_hw_metadata.skel.h")
    _run(["gcc", "-O2", "-g", *includes, str(sel / "xdp_hw_metadata.c"),
          str(sel / "network_helpers.c"), str(sel / "xsk.c"), str(lib / "libbpf.a"),
          "-lelf", "-lz", "-lpthread", "-o", str(binary)], work)
