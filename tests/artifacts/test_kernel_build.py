# SPDX-License-Identifier: GPL-2.0-or-later
"""Kernel builds from source, the pure parts: specs, config checking, patch errors, keys."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.artifacts import kernel_build as kb
from harness.artifacts import kernel_config as kcfg
from harness.artifacts import kernel_source as ks
from harness.artifacts import kernel_tree as ktree
from harness.errors import UsageError
from tests.conftest import xdp_hints

PATCHES = Path(__file__).resolve().parent.parent / "data" / "patches"


def test_source_specs() -> None:
    assert ks.parse("debian:sid-source") == ks.SourceSpec("debian", suite="sid")
    assert ks.parse("debian:bookworm-backports-source").suite == "bookworm-backports"
    assert ks.parse("tree:/x/linux") == ks.SourceSpec("tree", path=Path("/x/linux"))
    assert ks.parse("/x/linux").path == Path("/x/linux")
    assert ks.parse("tree:~/linux").path == Path.home() / "linux"
    with pytest.raises(ks.SourceError, match="debian:SUITE-source"):
        ks.parse("debian:sid")
    with pytest.raises(ks.SourceError, match="needs a path"):
        ks.parse("tree:")
    assert ks.is_build_spec("tree:.") and ks.is_build_spec("debian:trixie-source")
    assert not ks.is_build_spec("debian:sid") and not ks.is_build_spec("/boot/vmlinuz")


def _fake_tree(root: Path) -> Path:
    for f in ("Kconfig", "arch/x86/Kconfig", "scripts/kconfig/merge_config.sh"):
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text("")
    (root / "Makefile").write_text("VERSION = 7\nPATCHLEVEL = 2\nSUBLEVEL = 13\n")
    return root


def test_not_a_kernel_tree(tmp_path: Path) -> None:
    with pytest.raises(ks.SourceError, match="not a Linux kernel source tree"):
        ks.check_tree(tmp_path)
    with pytest.raises(ks.SourceError, match="not found"):
        ks.check_tree(tmp_path / "nope")
    ks.check_tree(_fake_tree(tmp_path))
    assert ks.kernel_version(tmp_path) == "7.2.13"


def test_fragment_parsing_and_checking() -> None:
    frag = kcfg.parse_fragment(
        "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\nCONFIG_S=\"x\"\n#x\n")
    assert frag == {"CONFIG_A": "y", "CONFIG_B": "n", "CONFIG_C": "m", "CONFIG_S": '"x"'}
    final = {"CONFIG_A": "y", "CONFIG_C": "y", "CONFIG_S": '"x"'}
    ours, user = Path("kconfigs/build.config"), Path("my.config")
    assert kcfg.unmet(final, [(ours, frag, True)]) == []
    # a user fragment means exactly what it says: =m is not met by =y
    assert kcfg.unmet(final, [(user, frag, False)]) == [("CONFIG_C", "m", "y", user)]
    # a later fragment overrides an earlier one
    assert kcfg.unmet({}, [(ours, {"CONFIG_X": "y"}, True), (user, {"CONFIG_X": "n"}, False)]) == []
    assert kcfg.satisfied("n", None, False) and not kcfg.satisfied("n", "m", False)


def test_unmet_options_name_their_dependencies(tmp_path: Path) -> None:
    tree = _fake_tree(tmp_path)
    (tree / "drivers").mkdir()
    (tree / "drivers" / "Kconfig").write_text(
        "config FOO\n\ttristate \"foo\"\n\tdepends on PCI && BAR\n\tdepends on !BAZ\n"
        "\thelp\n\t  depends on NOT_THIS\n\nconfig OTHER\n\tbool\n")
    lines = kcfg.describe_unmet(tree, [("CONFIG_FOO", "y", None, Path("x.config"))])
    assert lines == ["CONFIG_FOO=y (from x.config): have unset; depends on (PCI && BAR) && !BAZ"]


PATCH = PATCHES / "0001-igc-ipv6-udp-hash-type-l3.patch"


def _igc_tree(root: Path, line: str) -> Path:
    f = root / "drivers/net/ethernet/intel/igc/igc_main.c"
    f.parent.mkdir(parents=True)
    body = ["/* filler */"] * 7034 + [
        "\t[IGC_RSS_TYPE_HASH_IPV6]\t= XDP_RSS_TYPE_L3_IPV6,",
        "\t[IGC_RSS_TYPE_HASH_TCP_IPV6_EX] = XDP_RSS_TYPE_L4_IPV6_TCP_EX,",
        "\t[IGC_RSS_TYPE_HASH_UDP_IPV4]\t= XDP_RSS_TYPE_L4_IPV4_UDP,",
        line,
        "\t[IGC_RSS_TYPE_HASH_UDP_IPV6_EX] = XDP_RSS_TYPE_L4_IPV6_UDP_EX,",
        "\t[10] = XDP_RSS_TYPE_NONE, /* RSS Type above 9 \"Reserved\" by HW  */",
        "\t[11] = XDP_RSS_TYPE_NONE, /* keep array sized for SW bit-mask   */"]
    f.write_text("\n".join(body) + "\n")
    return f


def test_test_patch_applies_and_changes_one_line(tmp_path: Path) -> None:
    f = _igc_tree(tmp_path, "\t[IGC_RSS_TYPE_HASH_UDP_IPV6]\t= XDP_RSS_TYPE_L4_IPV6_UDP,")
    ktree.apply_patches(tmp_path, [PATCH])
    assert "= XDP_RSS_TYPE_L3_IPV6, /* test regression" in f.read_text()


def test_patch_that_does_not_apply_names_patch_and_hunk(tmp_path: Path) -> None:
    _igc_tree(tmp_path, "\t[IGC_RSS_TYPE_HASH_UDP_IPV6]\t= SOMETHING_ELSE,")
    with pytest.raises(ktree.PatchError) as e:
        ktree.apply_patches(tmp_path, [PATCH])
    msg = str(e.value)
    assert PATCH.name in msg and "@@ -7035,7 +7035,7 @@" in msg
    assert "drivers/net/ethernet/intel/igc/igc_main.c" in msg
    assert e.value.exit_code == 2
    not_a_patch = tmp_path / "x.patch"
    not_a_patch.write_text("hello\n")
    with pytest.raises(ktree.PatchError, match="not a patch"):
        ktree.apply_patches(tmp_path, [not_a_patch])


def test_failing_hunk() -> None:
    text = PATCH.read_text()
    assert ktree.failing_hunk(text, "drivers/net/ethernet/intel/igc/igc_main.c", 7035) \
        .startswith("@@ -7035,7")
    assert ktree.failing_hunk(text, "other.c", 7035) is None


def test_request_checks_files_first(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="patch not found"):
        kb.BuildRequest(".", patches=(tmp_path / "none.patch",)).check()
    with pytest.raises(UsageError, match="fragment not found"):
        kb.BuildRequest(".", fragments=(tmp_path / "none.config",)).check()
    with pytest.raises(UsageError, match="-j"):
        kb.BuildRequest(".", jobs=0).check()


def _git(tree: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(tree), *args], check=True, capture_output=True,
                          text=True, env={**ks.GIT_ID, "PATH": "/usr/bin:/bin"}).stdout.strip()


def test_git_identity_tracks_local_changes(tmp_path: Path) -> None:
    tree = _fake_tree(tmp_path)
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-qm", "base")
    head = _git(tree, "rev-parse", "HEAD")
    assert ks.git_identity(tree) == f"git:{head}"
    (tree / "Kconfig").write_text("# changed\n")
    changed = ks.git_identity(tree)
    assert changed.startswith(f"git:{head}+")
    (tree / "new.c").write_text("int x;\n")
    assert ks.git_identity(tree) not in (changed, f"git:{head}")
    src = ks.resolve(f"tree:{tree}")
    assert src.git and src.version == "7.2.13"


def test_checkout_is_a_copy_the_user_tree_never_changes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDP_HINTS_CACHE", str(tmp_path / "cache"))
    tree = _fake_tree(tmp_path / "linux")
    _igc_tree(tree, "\t[IGC_RSS_TYPE_HASH_UDP_IPV6]\t= XDP_RSS_TYPE_L4_IPV6_UDP,")
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-qm", "base")
    (tree / "Kconfig").write_text("# a local change\n")
    src = ks.resolve(f"tree:{tree}")
    work = tmp_path / "work"
    sha = ktree.checkout(src, work)
    assert sha == _git(tree, "rev-parse", "HEAD")
    assert (work / "Kconfig").read_text() == "# a local change\n"
    ktree.apply_patches(work, [PATCH])
    igc = "drivers/net/ethernet/intel/igc/igc_main.c"
    assert "test regression" in (work / igc).read_text()
    assert "test regression" not in (tree / igc).read_text()
    assert _git(tree, "status", "--porcelain") == "M Kconfig"
    # the next checkout restores the patched file (with a new mtime: it rebuilds)
    ktree.checkout(src, work)
    assert "test regression" not in (work / igc).read_text()
    assert not (tree / ".git" / "worktrees").exists()


def test_build_dir_is_shared_by_one_history(tmp_path: Path) -> None:
    tree = _fake_tree(tmp_path / "a")
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-qm", "root")
    clone = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", "--shared", str(tree), str(clone)], check=True)
    (clone / "Kconfig").write_text("# next\n")
    _git(clone, "commit", "-qam", "next")
    a, b = ks.resolve(f"tree:{tree}"), ks.resolve(f"tree:{clone}")
    assert a.identity != b.identity
    assert ktree.base_id(a) == ktree.base_id(b)


@pytest.mark.parametrize("argv, message", [
    (["kernel", "build", "/nonexistent/linux"], "kernel tree not found"),
    (["kernel", "build", "debian:sid"], "debian:SUITE-source"),
    (["kernel", "build", ".", "--patch", "/nonexistent.patch"], "patch not found"),
    (["run", "--patch", "/etc/hostname"], "--patch needs a kernel built from source"),
    (["bisect", "--tree", ".", "--good", "a", "--bad", "b", "--row", "igc/xdp"],
     "NIC/PATH/FIELD"),
    (["bisect", "--tree", ".", "--good", "a", "--bad", "b", "--row", "nope/xdp/hash"],
     "unknown NIC"),
])
def test_usage_errors(argv: list[str], message: str) -> None:
    p = xdp_hints(*argv, timeout=60)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr


def test_kernel_build_not_a_tree(tmp_path: Path) -> None:
    p = xdp_hints("kernel", "build", str(tmp_path), timeout=60)
    assert p.returncode == 2
    assert "not a Linux kernel source tree" in p.stderr


def test_build_stages_from_kbuild_lines() -> None:
    assert kb.stage_of("  CC      net/core/xdp.o".strip()) is None
    assert kb.stage_of("LD      vmlinux.o") == "link vmlinux"
    assert kb.stage_of("BTF     .btf.vmlinux.bin.o") == "BTF"
    assert kb.stage_of("BTF [M] drivers/net/veth.ko") == "modules"
    assert kb.stage_of("LD [M]  drivers/net/veth.ko") is None


def test_git_calls_ignore_an_inherited_git_dir(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`git bisect run` exports GIT_DIR to its steps: our git calls must not follow it
    (they would check our work tree out against the user's repository)."""
    ours, theirs = _fake_tree(tmp_path / "ours"), tmp_path / "theirs"
    theirs.mkdir()
    for t in (ours, theirs):
        _git(t, "init", "-q")
        (t / "x").write_text(str(t))
        _git(t, "add", "-A")
        _git(t, "commit", "-qm", t.name)
    monkeypatch.setenv("GIT_DIR", str(theirs / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(theirs))
    assert ks.git(ours, "log", "-1", "--format=%s").stdout.decode().strip() == "ours"
    assert "GIT_DIR" not in kb._make_env()


def test_plain_tree_is_snapshotted_not_touched(tmp_path: Path) -> None:
    tree = _fake_tree(tmp_path / "plain")
    src = ks.resolve(str(tree))
    assert not src.git and src.identity.startswith("plain:")
    work = tmp_path / "work"
    ktree.checkout(src, work)
    assert (work / "Makefile").read_text() == (tree / "Makefile").read_text()
    assert not (tree / ".git").exists()
    (tree / "Kconfig").write_text("# edited\n")
    assert ks.resolve(str(tree)).identity != src.identity
    ktree.checkout(ks.resolve(str(tree)), work)
    assert (work / "Kconfig").read_text() == "# edited\n"
