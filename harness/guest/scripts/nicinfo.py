# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest side: describe network interfaces as JSON (stdlib only, runs in the guest).

Usage: python3 - IFNAME [IFNAME...]  ->  {"IFNAME": {...}, ...}
Driver and features from ethtool, speed from sysfs, and the netdev genetlink
family's ``dev-get`` for xdp-features / xdp-rx-metadata-features / xsk-features.
"""

import json
import os
import socket
import struct
import subprocess
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NETDEV_CMD_DEV_GET = 1
NETDEV_A_DEV_IFINDEX = 1
ATTRS = {3: "xdp_features", 5: "xdp_rx_metadata_features", 6: "xsk_features"}
BITS = {
    "xdp_features": ["basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload", "rx-sg",
                     "ndo-xmit-sg"],
    "xdp_rx_metadata_features": ["timestamp", "hash", "vlan-tag"],
    "xsk_features": ["tx-timestamp", "tx-checksum", "tx-launch-time-fifo"],
}


def nla(kind, payload):
    length = 4 + len(payload)
    return struct.pack("HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def parse_attrs(data):
    out = {}
    while len(data) >= 4:
        length, kind = struct.unpack_from("HH", data)
        if length < 4:
            break
        out[kind & 0x3FFF] = data[4:length]
        data = data[(length + 3) & ~3:]
    return out


def genl(sock, family, cmd, attrs, seq):
    body = struct.pack("BBH", cmd, 1, 0) + attrs
    sock.send(struct.pack("IHHII", 16 + len(body), family, 1, seq, 0) + body)  # NLM_F_REQUEST
    reply = sock.recv(65536)
    length, kind = struct.unpack_from("IH", reply)
    if kind == 2:  # NLMSG_ERROR
        err = struct.unpack_from("i", reply, 16)[0]
        if err:
            raise OSError(-err, os.strerror(-err))
    return parse_attrs(reply[20:length])


def netdev_attrs(ifindex):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    try:
        fam = genl(sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                   nla(CTRL_ATTR_FAMILY_NAME, b"netdev\0"), 1)
        family = struct.unpack("H", fam[CTRL_ATTR_FAMILY_ID][:2])[0]
        attrs = genl(sock, family, NETDEV_CMD_DEV_GET,
                     nla(NETDEV_A_DEV_IFINDEX, struct.pack("I", ifindex)), 2)
    finally:
        sock.close()
    result = {}
    for num, name in ATTRS.items():
        if num in attrs:
            value = int.from_bytes(attrs[num][:8], "little")
            result[name] = [b for i, b in enumerate(BITS[name]) if value >> i & 1]
    return result


VIRTIO_BITS = {57: "hash_report", 60: "rss", 22: "mq", 15: "mrg_rxbuf"}


def virtio_features(ifname):
    """Negotiated virtio feature bits by name (virtio devices only)."""
    try:
        with open(f"/sys/class/net/{ifname}/device/features") as f:
            bits = f.read().strip()
    except OSError:
        return None
    return {name: len(bits) > bit and bits[bit] == "1" for bit, name in VIRTIO_BITS.items()}


def ethtool(*args):
    p = subprocess.run(["ethtool", *args], capture_output=True, text=True)
    return p.stdout if p.returncode == 0 else ""


def describe(ifname):
    info = {"name": ifname}
    drv = dict(line.split(": ", 1) for line in ethtool("-i", ifname).splitlines() if ": " in line)
    info["driver"] = drv.get("driver")
    info["bus_info"] = drv.get("bus-info")
    try:
        with open(f"/sys/class/net/{ifname}/speed") as f:
            info["speed_mbps"] = int(f.read())
    except (OSError, ValueError):
        info["speed_mbps"] = None
    feats = {}
    for line in ethtool("-k", ifname).splitlines()[1:]:
        if ": " in line:
            key, val = line.strip().split(": ", 1)
            feats[key] = val.split()[0] == "on"
    info["features"] = feats
    info["virtio_features"] = virtio_features(ifname)
    info["queues"] = len([q for q in os.listdir(f"/sys/class/net/{ifname}/queues")
                          if q.startswith("rx-")])
    try:
        info.update(netdev_attrs(socket.if_nametoindex(ifname)))
    except OSError as e:
        info["netdev_error"] = str(e)
    return info


if __name__ == "__main__":
    print(json.dumps({name: describe(name) for name in sys.argv[1:]}))
