# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest side: hardware RX timestamps of test packets through an af_packet mmap ring.

Usage: python3 tpacket_rx.py IFNAME [PIDFILE]  ->  "ready", then one JSON line per
test frame: {"id": N, "hw": ns or null, "status": tp_status}; stops on SIGTERM.

A TPACKET_V3 RX ring (as libpcap and tcpdump read packets) on IFNAME with
PACKET_TIMESTAMP = SOF_TIMESTAMPING_RAW_HARDWARE: the kernel fills each frame's
tp_sec/tp_nsec in tpacket_rcv (tpacket_get_timestamp) and sets
TP_STATUS_TS_RAW_HARDWARE when the skb carried a hardware stamp.  ``hw`` is
that stamp, with the 32-bit tp_sec read as signed: a negative ktime (a kernel
address in the stamp field) stays negative.
"""

import json
import mmap
import os
import select
import signal
import socket
import struct
import sys

SOL_PACKET, PACKET_RX_RING, PACKET_VERSION, PACKET_TIMESTAMP = 263, 5, 10, 17
TPACKET_V3 = 2
SOF_TIMESTAMPING_RAW_HARDWARE = 1 << 6
TP_STATUS_USER = 1
TP_STATUS_TS_RAW_HARDWARE = 1 << 31
ETH_P_ALL = 3
MAGIC = b"XDPHINT1"
BLOCK_SIZE, BLOCK_NR, FRAME_SIZE = 1 << 16, 16, 2048
RETIRE_MS = 20  # a block is handed to us at the latest this long after its first frame


def frames(ring: mmap.mmap, off: int):
    """(tp_sec, tp_nsec, tp_status, frame bytes) of every packet in the block at ``off``."""
    num, first = struct.unpack_from("<II", ring, off + 12)
    pkt = off + first
    for _ in range(num):
        nxt, sec, nsec, snaplen, _len, status, mac = struct.unpack_from("<IIIIIIH", ring, pkt)
        yield sec, nsec, status, ring[pkt + mac:pkt + mac + snaplen]
        pkt += nxt


def record(sec: int, nsec: int, status: int, data: bytes) -> dict | None:
    pos = data.find(MAGIC)
    if pos < 0 or len(data) < pos + 16:
        return None
    pid = struct.unpack_from("<I", data, pos + 8)[0]
    hw = None
    if status & TP_STATUS_TS_RAW_HARDWARE:
        hw = (sec - (1 << 32) if sec >= 1 << 31 else sec) * 10**9 + nsec
    return {"id": pid, "hw": hw, "status": status}


def main() -> None:
    ifname = sys.argv[1]
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write(f"{os.getpid()}\n")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
    s.setsockopt(SOL_PACKET, PACKET_TIMESTAMP, SOF_TIMESTAMPING_RAW_HARDWARE)
    req = struct.pack("<7I", BLOCK_SIZE, BLOCK_NR, FRAME_SIZE,
                      BLOCK_SIZE * BLOCK_NR // FRAME_SIZE, RETIRE_MS, 0, 0)
    s.setsockopt(SOL_PACKET, PACKET_RX_RING, req)
    ring = mmap.mmap(s.fileno(), BLOCK_SIZE * BLOCK_NR)
    s.bind((ifname, ETH_P_ALL))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    blk = 0
    while True:
        off = blk * BLOCK_SIZE
        if not struct.unpack_from("<I", ring, off + 8)[0] & TP_STATUS_USER:
            select.select([s], [], [], 1.0)
            continue
        for sec, nsec, status, data in frames(ring, off):
            rec = record(sec, nsec, status, data)
            if rec is not None:
                print(json.dumps(rec), flush=True)
        struct.pack_into("<I", ring, off + 8, 0)  # back to the kernel
        blk = (blk + 1) % BLOCK_NR


if __name__ == "__main__":
    main()
