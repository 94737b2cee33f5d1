# SPDX-License-Identifier: GPL-2.0-or-later
"""``xdp-hints run`` argument parsing and the test NIC backend choice."""

from __future__ import annotations

import pytest


def test_run_cli_parsing_and_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.cli import build_parser
    from harness.commands import vm_options as vmargs
    args = build_parser().parse_args(["run", "--nic", "igc", "--path", "xdp,xsk-zc",
                                      "--backend", "socket", "--packets", "12"])
    assert args.nic == ["igc"] and args.path == ["xdp", "xsk-zc"] and args.packets == 12
    assert vmargs.resolve_backend("socket") == ("socket", "asked for")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--path", "xdp,bogus"])
    # "all": every path, opt-in ones too (as a matrix TOML's paths = "all")
    from harness.nics.base import CLI_PATHS, OPT_IN_PATHS
    every = build_parser().parse_args(["run", "--path", "all"]).path
    assert every == list(CLI_PATHS) and set(OPT_IN_PATHS) <= set(every)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--path", "all,xdp"])
    monkeypatch.setattr(vmargs.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(vmargs.userns, "unavailable", lambda: "no userns here")
    assert vmargs.resolve_backend("auto") == ("socket", "not root, and no userns here")
    monkeypatch.setattr(vmargs.userns, "unavailable", lambda: None)
    assert vmargs.resolve_backend("auto") == ("tap", "in a user namespace")
    monkeypatch.setattr(vmargs.os, "geteuid", lambda: 0)
    from harness.vm import netns
    monkeypatch.setattr(netns, "rtnl_wedged", lambda: "rtnl wedged")
    assert vmargs.resolve_backend("auto") == ("socket", "taps unusable: rtnl wedged")
    monkeypatch.setattr(netns, "rtnl_wedged", lambda: None)
    assert vmargs.resolve_backend("auto") == ("tap", "default")
