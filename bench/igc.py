# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest RX packets/s through the emulated igc vs virtio-net, in the same VM.

    python3 bench/igc.py [--seconds 10] [--kernel debian:sid] [--size 64]

Boots one VM with two test NICs (igc and virtio-net, each a multi-queue tap),
blasts UDP frames from the host into each tap in turn for ``--seconds`` and
reads the driver's ``rx_packets`` counter in the guest before and after.
Prints both rates and the igc/virtio-net ratio (JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.traffic.packets import build_frame  # noqa: E402
from harness.traffic.sender import open_packet_socket  # noqa: E402

HOST_MAC = "02:00:00:00:77:01"


def _rx_packets(vm, ifname: str) -> int:
    return int(vm.ssh.check(f"cat /sys/class/net/{ifname}/statistics/rx_packets"))


def _irqs(vm, nic) -> int:
    """Guest interrupts of the NIC (by interface name, or virtio's 'virtioN-input')."""
    out = vm.ssh.check("cat /proc/interrupts")
    dev = vm.ssh.check(f"basename $(readlink /sys/class/net/{nic.guest_ifname}/device)").strip()
    keys = [nic.guest_ifname + "-", nic.guest_ifname + " ", dev + "-input"]
    total = 0
    for ln in out.splitlines():
        if any(k in ln + " " for k in keys):
            total += sum(int(x) for x in ln.split()[1:] if x.isdigit())
    return total


def measure(vm, nic, seconds: float, size: int) -> dict:
    """Send as fast as the tap takes frames for ``seconds``; guest-counted RX rate."""
    frames = [build_frame(src_mac=HOST_MAC, dst_mac=nic.mac, src_ip="10.77.0.1",
                          dst_ip="10.77.0.2", sport=1024 + i, dport=9, l4="udp",
                          payload=bytes(max(0, size - 42)))
              for i in range(64)]
    if nic.backend == "socket":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(nic.host_sock))
        sock.connect(str(nic.qemu_sock))
    else:
        sock = open_packet_socket(nic.tap, nic.netns)
    sent = 0
    before = _rx_packets(vm, nic.guest_ifname)
    irq0 = _irqs(vm, nic)
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < seconds:
            for f in frames:
                try:
                    sock.send(f)
                    sent += 1
                except OSError:
                    time.sleep(0.0005)
    finally:
        sock.close()
    elapsed = time.monotonic() - t0
    time.sleep(1.0)                       # let the guest drain its rings
    got = _rx_packets(vm, nic.guest_ifname) - before
    irqs = _irqs(vm, nic) - irq0
    return {"nic": nic.kind, "backend": nic.backend, "sent": sent, "received": got,
            "seconds": round(elapsed, 2),
            "rx_pps": round(got / elapsed, 1), "irqs": irqs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=64, help="frame size in bytes")
    ap.add_argument("--kernel", default=None, help="kernel spec (default: the spine's)")
    ap.add_argument("--backend", choices=["auto", "tap", "socket"], default="auto",
                    help="test NIC backend (auto: tap if usable, else unix datagram socket)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from harness.vm.machine import NicSpec, VMSpec, running_vm

    backend = args.backend
    if backend == "auto":
        from harness.vm import netns
        backend = "tap" if os.geteuid() == 0 and netns.rtnl_wedged() is None else "socket"
    spec = VMSpec(kernel=args.kernel, append="xdph.modules=igc",
                  nics=[NicSpec(kind="igc", queues=2, backend=backend),
                        NicSpec(kind="virtio-net", queues=2, backend=backend)])
    with running_vm(spec) as vm:
        results = []
        for nic in vm.test_nics:
            if not nic.guest_ifname:
                print(f"{nic.kind}: no guest interface", file=sys.stderr)
                return 2
            vm.ssh.check(f"ip link set {nic.guest_ifname} up")
            time.sleep(3)
            results.append(measure(vm, nic, args.seconds, args.size))
    by = {r["nic"]: r for r in results}
    ratio = by["igc"]["rx_pps"] / by["virtio-net"]["rx_pps"] if by["virtio-net"]["rx_pps"] else 0
    if args.json:
        print(json.dumps({"results": results, "igc_over_virtio": round(ratio, 3)}))
    else:
        for r in results:
            print(f"{r['nic']:>10}: {r['rx_pps']:>10.0f} pkt/s  "
                  f"(received {r['received']} of {r['sent']} sent in {r['seconds']} s, "
                  f"{r['irqs']} guest interrupts)")
        print(f"igc / virtio-net = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
