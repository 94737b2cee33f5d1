# SPDX-License-Identifier: GPL-2.0-or-later
"""GRE (TEB) and VXLAN frames (harness.traffic.packets.encapsulate): outer headers as
the wire has them, the inner frame unchanged, the record's outer truth; and the C
function the NIC's XDP parser uses to find the inner frame (xh_stacked.h), built
with the host's gcc and fed the same frames."""

from __future__ import annotations

import ipaddress
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from harness.traffic.checksum import inet_checksum, pseudo_header
from harness.traffic.packets import (
    ETH_P_TEB,
    VXLAN_PORT,
    SentPacket,
    encapsulate,
    make_plan,
    outer_packet,
)

SRC = Path(__file__).resolve().parents[2] / "guest-bpf"
NIC_MAC = "52:54:00:12:34:56"
OUTER = dict(src_mac="02:58:44:50:00:02", dst_mac=NIC_MAC, src_ip="198.51.100.2",
             dst_ip="198.51.100.1")
PLAN = make_plan(4, NIC_MAC, kinds=["ipv4-udp", "ipv6-tcp"], first_id=7)


def _ipv4(frame: bytes) -> bytes:
    assert frame[12:14] == b"\x08\x00"
    hdr = frame[14:34]
    assert hdr[0] == 0x45 and inet_checksum(hdr) == 0  # valid header checksum
    assert struct.unpack("!H", hdr[2:4])[0] == len(frame) - 14
    assert hdr[12:16] == ipaddress.ip_address(OUTER["src_ip"]).packed
    assert hdr[16:20] == ipaddress.ip_address(OUTER["dst_ip"]).packed
    return hdr


@pytest.mark.parametrize("pkt", PLAN, ids=lambda p: p.kind)
def test_gre_frame(pkt: SentPacket) -> None:
    t = encapsulate(pkt, "gre", **OUTER)
    assert t.frame[:6] == bytes.fromhex(NIC_MAC.replace(":", ""))
    assert _ipv4(t.frame)[9] == 47
    assert t.frame[34:38] == struct.pack("!HH", 0, ETH_P_TEB)
    assert t.frame[38:] == pkt.frame
    assert t.kind == f"gre:{pkt.kind}" and t.encap and t.encap["type"] == "gre"
    assert (t.src_ip, t.dport, t.l4) == (pkt.src_ip, pkt.dport, pkt.l4)  # inner 5-tuple


@pytest.mark.parametrize("pkt", PLAN, ids=lambda p: p.kind)
def test_vxlan_frame(pkt: SentPacket) -> None:
    t = encapsulate(pkt, "vxlan", vni=0x123456, **OUTER)
    assert _ipv4(t.frame)[9] == 17
    sport, dport, ulen, _ = struct.unpack("!HHHH", t.frame[34:42])
    assert dport == VXLAN_PORT and 49152 <= sport < 65536 and ulen == len(t.frame) - 34
    seg = t.frame[34:]
    src, dst = (ipaddress.ip_address(OUTER[k]).packed for k in ("src_ip", "dst_ip"))
    assert inet_checksum(pseudo_header(src, dst, 17, len(seg)) + seg) == 0
    assert t.frame[42] == 0x08 and t.frame[46:49] == bytes.fromhex("123456")
    assert t.frame[50:] == pkt.frame
    assert t.encap == {"type": "vxlan", **OUTER, "sport": sport, "dport": 4789,
                       "vni": 0x123456}
    assert SentPacket.from_dict(t.to_dict()) == t
    o = outer_packet(t)
    assert (o.src_ip, o.dst_ip, o.sport, o.dport, o.l3, o.l4) == (
        OUTER["src_ip"], OUTER["dst_ip"], sport, 4789, "ipv4", "udp")


def test_source_port_follows_the_inner_flow() -> None:
    a, b = (encapsulate(p, "vxlan", **OUTER).encap for p in PLAN[:2])
    assert a and b and a["sport"] != b["sport"]
    again = encapsulate(PLAN[0], "vxlan", **OUTER).encap
    assert again and again["sport"] == a["sport"]


def test_bad_requests() -> None:
    with pytest.raises(ValueError, match="unknown encapsulation"):
        encapsulate(PLAN[0], "geneve", **OUTER)
    with pytest.raises(ValueError, match="already tunnelled"):
        encapsulate(encapsulate(PLAN[0], "gre", **OUTER), "gre", **OUTER)
    with pytest.raises(ValueError, match="not VXLAN"):
        outer_packet(encapsulate(PLAN[0], "gre", **OUTER))


PROBE_C = r"""
#include <stdio.h>
#include "xh_stacked.h"
int main(void)
{
	unsigned char b[XH_ENCAP_PEEK];
	unsigned int x;
	int i, n;

	while (1) {
		for (i = 0; i < XH_ENCAP_PEEK; i++) {
			n = scanf("%2x", &x);
			if (n != 1)
				return 0;
			b[i] = (unsigned char)x;
		}
		printf("%u\n", xh_encap_inner(b));
	}
}
"""


@pytest.fixture(scope="module")
def encap_probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    d = tmp_path_factory.mktemp("encap")
    (d / "probe.c").write_text(PROBE_C)
    subprocess.run(["gcc", "-Wall", "-Werror", "-I", str(SRC), "-o", str(d / "probe"),
                    str(d / "probe.c")], check=True)
    return d / "probe"


def test_c_parser_finds_the_inner_frame(encap_probe: Path) -> None:
    gre = encapsulate(PLAN[0], "gre", **OUTER)
    vx = encapsulate(PLAN[1], "vxlan", **OUTER)
    bad_port = bytearray(vx.frame)
    bad_port[37] ^= 1  # UDP port 4788: not VXLAN
    no_i_flag = bytearray(vx.frame)
    no_i_flag[42] = 0
    frames = [gre.frame, vx.frame, PLAN[0].frame, bytes(bad_port), bytes(no_i_flag)]
    out = subprocess.run([str(encap_probe)], input="".join(f[:50].hex() for f in frames),
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["38", "50", "0", "0", "0"]
    assert gre.frame[38:] == PLAN[0].frame and vx.frame[50:] == PLAN[1].frame
