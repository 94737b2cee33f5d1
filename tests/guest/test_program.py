# SPDX-License-Identifier: GPL-2.0-or-later
"""A user's program: what its object declares, the record contract per path, and the
refusals before any boot (``run --program``, the pytest plugin's options)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.guest.program import NEEDS, PARTS, user_program
from harness.paths import REPO
from tests.conftest import xdp_hints

MINIMAL = """#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp") int minimal(struct xdp_md *ctx) { return XDP_PASS; }
SEC("tc") int minimal_tc(struct __sk_buff *skb) { return 0; }
char _license[] SEC("license") = "GPL";
"""


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    src = tmp_path / "minimal.bpf.c"
    src.write_text(MINIMAL)
    return src


def test_contract_example_serves_every_path() -> None:
    prog = user_program(REPO / "examples/contract_xdp.bpf.c")
    assert prog.prog == "contract_xdp" and prog.dev_bound
    # every path but the size sweep (blobs only the harness's own program writes) and
    # xdp-late (our program's own check of the drivers), and the tunnels (the id inside
    # GRE/VXLAN frames: our parser's)
    assert {p: prog.missing(p) for p in NEEDS} == {**{p: [] for p in NEEDS},
                                                   "meta-sizes": [PARTS["sweep"]],
                                                   "xdp-late": [PARTS["late"]],
                                                   "gre": [PARTS["encap"]],
                                                   "vxlan": [PARTS["encap"]]}
    assert prog.runner_args("/r/x.o") == ["--xdp-obj", "/r/x.o", "--xdp-prog", "contract_xdp",
                                          "--xdp-dev-bound"]


def test_own_layouts_declare_what_they_use() -> None:
    meta = user_program(REPO / "examples/user_meta.bpf.c", tc_section="tc")
    assert meta.info.programs == {"user_meta_xdp": "xdp", "user_meta_tc": "tc"}
    assert meta.tc_prog == "user_meta_tc" and meta.info.maps["out"] == 27
    assert meta.missing("xdp") == [PARTS["records"]]
    assert meta.missing("pass") == [PARTS["meta"]]  # cfg: from xdp_hints_bpf.h
    assert meta.missing("skb") == []
    xsk = user_program(REPO / "examples/user_xsk.bpf.c")
    assert xsk.missing("xsk") == [PARTS["meta"]]


def test_minimal_program_lacks_everything(minimal: Path) -> None:
    prog = user_program(minimal)
    assert prog.prog == "minimal" and not prog.dev_bound
    assert prog.missing("veth") == [PARTS["meta"], PARTS["cfg"], PARTS["tx_port"]]
    assert "--xdp-dev-bound" not in prog.runner_args("/x")


@pytest.mark.parametrize("spec,message", [
    ("{src}:nope", "no program or section 'nope'"),
    ("{src}:minimal_tc", "not an XDP program"),
    ("{dir}/absent.bpf.c", "program not found"),
])
def test_bad_program_specs(minimal: Path, spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        user_program(spec.format(src=minimal, dir=minimal.parent))


def test_plugin_builds_source_text(tmp_path: Path) -> None:
    from harness.plugin.program import build
    prog = build(MINIMAL.replace("minimal", "inline_prog"), tmp_path / "src", section="xdp")
    assert prog.prog == "inline_prog" and prog.source.parent == tmp_path / "src"


def test_compile_error_quotes_the_compiler(tmp_path: Path) -> None:
    src = tmp_path / "broken.bpf.c"
    src.write_text("int broken(void) { return nope; }\n")
    with pytest.raises(UsageError, match="(?s)does not compile.*nope"):
        user_program(src)


def test_run_refuses_before_boot(minimal: Path) -> None:
    r = xdp_hints("run", "--program", str(minimal), "--nic", "virtio-net", timeout=120)
    assert r.returncode == 2
    assert "serves no path" in r.stderr and "struct xh_rec" in r.stderr
    r = xdp_hints("run", "--program", f"{REPO}/examples/user_meta.bpf.c", "--path", "xdp,pass",
                  "--nic", "virtio-net", timeout=120)
    assert r.returncode == 2, r.stderr
    assert "does not follow the record contract on path xdp" in r.stderr
    assert "path pass (missing: struct xh_meta" in r.stderr


def _pytest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=300)


def test_plugin_collects_per_nic_without_booting() -> None:
    r = _pytest("--collect-only", "-q", "examples/")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "test_user_meta.py::test_hash_and_timestamp_at_tc[igc]" in r.stdout
    assert "test_user_meta.py::test_hash_and_timestamp_at_tc[virtio-net]" in r.stdout
    r = _pytest("--collect-only", "-q", "--xdp-nic", "virtio-net", "examples/")
    assert "[igc]" not in r.stdout and "[virtio-net]" in r.stdout
    r = _pytest("--collect-only", "-q", "--xdp-nic", "bogus", "examples/")
    assert r.returncode == 4 and "unknown NIC kind" in r.stderr
