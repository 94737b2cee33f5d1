# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scripts run on the host: nicinfo's netlink attribute parsing."""

from __future__ import annotations


def test_nicinfo_netlink_attr_parsing():
    from harness.guest.scripts import nicinfo as gn
    payload = gn.nla(5, (0b011).to_bytes(8, "little")) + gn.nla(1, (4).to_bytes(4, "little"))
    attrs = gn.parse_attrs(payload)
    assert int.from_bytes(attrs[5], "little") == 3 and int.from_bytes(attrs[1], "little") == 4
