# SPDX-License-Identifier: GPL-2.0-or-later
"""CLI usage errors: one line, exit 2, before any boot; every subcommand has --help."""

from __future__ import annotations

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


@pytest.mark.parametrize("sub", ["boot", "ssh", "shell", "kernel", "image"])
def test_every_subcommand_has_help(sub):
    r = xdp_hints(sub, "--help", timeout=60)
    assert r.returncode == 0 and "usage: xdp-hints" in r.stdout
