# SPDX-License-Identifier: GPL-2.0-or-later
"""Private apt configuration: the host mirror from its sources, dependency names."""

from __future__ import annotations

from harness.artifacts import debian_apt


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
