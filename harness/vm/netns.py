# SPDX-License-Identifier: GPL-2.0-or-later
"""Per-VM network namespace and the tap devices of the test NICs.

A tap is created in the host namespace (QEMU attaches to it by name), then
moved into the VM's namespace once QEMU holds it, so host-side traffic is sent
inside that namespace and never touches the machine's network. Deleting the
namespace deletes its taps. Names carry the owner's pid: harness.vm.leftovers
removes the ones whose harness process is gone.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from harness.errors import HarnessError

NETNS_DIR = Path("/run/netns")


class NetnsError(HarnessError):
    """ip(8) refused to create or move something."""


IP_TIMEOUT_S = 20
RTNL_FRAMES = ("rtnl_lock", "rtnl_dumpit", "rtnetlink_rcv_msg", "register_nexthop_notifier",
               "rtnl_net_lock", "__rtnl_")
STUCK_S = 60


def ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    cmd = ["ip", *(["-n", netns] if netns else []), *args]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=IP_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        raise NetnsError(f"{' '.join(cmd)}: no answer in {IP_TIMEOUT_S} s "
                         "(host network stack blocked? see `dmesg`)") from e
    if check and p.returncode != 0:
        raise NetnsError(f"{' '.join(cmd)}: {p.stderr.strip()}")
    return p.stdout


def create_netns(name: str) -> None:
    ip("netns", "add", name)
    ip("link", "set", "lo", "up", netns=name)


def delete_netns(name: str) -> None:
    if (NETNS_DIR / name).exists():
        ip("netns", "del", name, check=False)


def create_tap(name: str, multi_queue: bool = True) -> None:
    """A persistent tap with a vnet header (needed for virtio-net hash reports)."""
    ip("tuntap", "add", "dev", name, "mode", "tap", "vnet_hdr",
       *(["multi_queue"] if multi_queue else []))


def delete_link(name: str) -> None:
    if Path(f"/sys/class/net/{name}").exists():
        ip("link", "del", name, check=False)


def move_into(link: str, netns: str) -> None:
    """Move a host link into ``netns`` and bring it up (no address: raw L2 only)."""
    ip("link", "set", link, "netns", netns)
    # No IPv6 autoconf chatter (RS, MLD, DAD) into the guest: only our frames arrive.
    subprocess.run(["ip", "netns", "exec", netns, "sysctl", "-qw",
                    f"net.ipv6.conf.{link}.disable_ipv6=1"], capture_output=True,
                   timeout=IP_TIMEOUT_S)
    ip("link", "set", link, "up", netns=netns)


def rtnl_wedged() -> str | None:
    """Why the host's rtnl lock looks held forever, or None.

    After a host kernel Oops inside an rtnl section every netlink change blocks
    in D state; creating a tap or namespace would only add another stuck task.
    """
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    hz = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "D" or uptime - int(fields[19]) / hz < STUCK_S:
                continue
            stack = (proc / "stack").read_text()
        except (OSError, IndexError, ValueError):
            continue
        if any(f in stack for f in RTNL_FRAMES):
            comm = stat.split("(", 1)[1].rsplit(")", 1)[0]
            return (f"host network stack is wedged: task {proc.name} ({comm}) has waited "
                    f"for the rtnl lock for over {STUCK_S} s (a host kernel Oops? see "
                    "`dmesg`); taps and namespaces cannot be created until the host reboots")
    return None


def require_taps() -> None:
    """Raise unless taps can be made: as root, or in a user namespace (vm/userns.py)."""
    from harness.vm import userns
    if os.geteuid() != 0 and (why := userns.unavailable()) is not None:
        raise NetnsError(f"tap test NICs need root or a user namespace: {why}")
