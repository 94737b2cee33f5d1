# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest side: hardware RX timestamps of test packets through SO_TIMESTAMPING.

Usage: python3 tsrx.py IFNAME [PIDFILE]  ->  "ready", then one JSON line per test frame:
{"id": N, "hw": ns or null, "sw": ns or null}; stops on SIGTERM.

A packet socket (ETH_P_ALL) on IFNAME with SOF_TIMESTAMPING_RX_HARDWARE |
RAW_HARDWARE: the socket layer resolves the skb's hardware stamp (igc keeps a
netdev_data pointer in skb_hwtstamps and the stamp is fetched through
ndo_get_tstamp), which a TC program cannot read.
"""

import json
import os
import signal
import socket
import struct
import sys

SO_TIMESTAMPING = 37
SOF_RX_HW, SOF_RX_SW, SOF_SW, SOF_RAW_HW = 1 << 2, 1 << 3, 1 << 4, 1 << 6
ETH_P_ALL = 3
MAGIC = b"XDPHINT1"


def main() -> None:
    ifname = sys.argv[1]
    if len(sys.argv) > 2:  # our own pid: a `setsid ... & echo $!` may name another process
        with open(sys.argv[2], "w") as f:
            f.write(f"{os.getpid()}\n")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, SOF_RX_HW | SOF_RX_SW | SOF_SW | SOF_RAW_HW)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        data, anc, _flags, addr = s.recvmsg(65536, 1024)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        pos = data.find(MAGIC)
        if pos < 0 or len(data) < pos + 16:
            continue
        pid = struct.unpack_from("<I", data, pos + 8)[0]
        hw = sw = None
        for _lvl, typ, d in anc:
            if typ == SO_TIMESTAMPING and len(d) >= 48:
                t = struct.unpack("6q", d[:48])
                sw = t[0] * 10**9 + t[1] or None
                hw = t[4] * 10**9 + t[5] or None
        print(json.dumps({"id": pid, "hw": hw, "sw": sw}), flush=True)


if __name__ == "__main__":
    main()
