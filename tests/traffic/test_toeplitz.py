# SPDX-License-Identifier: GPL-2.0-or-later
"""Toeplitz hash against the Microsoft RSS verification suite, and the CLI."""

from __future__ import annotations

import argparse
import json

import pytest

from harness.commands import rss_hash as cmd
from harness.traffic.toeplitz import MS_RSS_KEY, parse_key, rss_hash, rss_input, toeplitz_hash

# Verification vectors from Microsoft, "Verifying the RSS Hash Calculation"
# (learn.microsoft.com/en-us/windows-hardware/drivers/network/verifying-the-rss-hash-calculation),
# the same table as Intel 82599 datasheet 7.1.2.8.3 "RSS Verification Suite" and
# DPDK app/test/test_thash.c.  Columns: destination, dport, source, sport,
# 2-tuple (IP only) hash, 4-tuple (IP with TCP) hash.
IPV4_VECTORS = [
    ("161.142.100.80", 1766, "66.9.149.187", 2794, 0x323E8FC2, 0x51CCC178),
    ("65.69.140.83", 4739, "199.92.111.2", 14230, 0xD718262A, 0xC626B0EA),
    ("12.22.207.184", 38024, "24.19.198.95", 12898, 0xD2D0A5DE, 0x5C2B394A),
    ("209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xAFC7327F),
    ("202.188.127.2", 1303, "153.39.163.191", 44251, 0x5D1809C5, 0x10E828A2),
]
IPV6_VECTORS = [
    ("3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2CC18CD5, 0x40207D3D),
    ("ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0F0C461C, 0xDDE51BBF),
    (
        "fe80::200:f8ff:fe21:67cf",
        38024,
        "3ffe:1900:4545:3:200:f8ff:fe21:67cf",
        44251,
        0x4B61E985,
        0x02D1FEEF,
    ),
]
ALL_VECTORS = IPV4_VECTORS + IPV6_VECTORS


def test_default_key_is_microsofts() -> None:
    assert len(MS_RSS_KEY) == 40
    assert MS_RSS_KEY[:4] == bytes([0x6D, 0x5A, 0x56, 0xDA])
    assert MS_RSS_KEY[-2:] == bytes([0x01, 0xFA])


@pytest.mark.parametrize("dst,dport,src,sport,h2,h4", ALL_VECTORS)
def test_verification_suite(dst: str, dport: int, src: str, sport: int, h2: int, h4: int) -> None:
    assert rss_hash(src, dst) == h2
    assert rss_hash(src, dst, sport, dport) == h4
    # explicit key argument, same result
    assert rss_hash(src, dst, sport, dport, key=MS_RSS_KEY) == h4


def test_swapped_direction_differs() -> None:
    dst, dport, src, sport, _, h4 = IPV4_VECTORS[0]
    assert rss_hash(dst, src, dport, sport) != h4


def test_input_layout() -> None:
    data = rss_input("66.9.149.187", "161.142.100.80", 2794, 1766)
    assert data == bytes([66, 9, 149, 187, 161, 142, 100, 80, 0x0A, 0xEA, 0x06, 0xE6])
    assert len(rss_input("::1", "::2")) == 32
    assert len(rss_input("::1", "::2", 1, 2)) == 36


def test_single_bits() -> None:
    key = bytes(range(1, 41))
    # first input bit selects the first 32 key bits
    assert toeplitz_hash(key, b"\x80") == int.from_bytes(key[:4], "big")
    # last bit of the first byte selects key bits 7..38
    k = int.from_bytes(key, "big")
    assert toeplitz_hash(key, b"\x01") == (k >> (320 - 32 - 7)) & 0xFFFFFFFF
    assert toeplitz_hash(key, b"\x00" * 8) == 0


def test_input_errors() -> None:
    with pytest.raises(ValueError):
        rss_input("1.2.3.4", "::1")
    with pytest.raises(ValueError):
        rss_input("1.2.3.4", "1.2.3.5", 1, None)
    with pytest.raises(ValueError):
        rss_input("1.2.3.4", "1.2.3.5", 1, 70000)
    with pytest.raises(ValueError):
        toeplitz_hash(b"\x00" * 8, b"\x00" * 5)


def test_parse_key_forms() -> None:
    colon = ":".join(f"{b:02x}" for b in MS_RSS_KEY)
    assert parse_key(colon) == MS_RSS_KEY
    assert parse_key(MS_RSS_KEY.hex().upper()) == MS_RSS_KEY
    assert parse_key("0x" + MS_RSS_KEY.hex()) == MS_RSS_KEY
    for bad in ("", "xyz", "abc", "6d:5a:zz"):
        with pytest.raises(ValueError):
            parse_key(bad)


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="xdp-hints")
    sub = parser.add_subparsers()
    cmd.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_ipv4_default_key(capsys: pytest.CaptureFixture[str]) -> None:
    rc = _run(
        [
            "rss-hash",
            "--src",
            "66.9.149.187",
            "--dst",
            "161.142.100.80",
            "--sport",
            "2794",
            "--dport",
            "1766",
        ]
    )
    assert rc == 0
    assert capsys.readouterr().out.strip() == "0x51ccc178"


def test_cli_ipv6_colon_key_json(capsys: pytest.CaptureFixture[str]) -> None:
    key = ":".join(f"{b:02x}" for b in MS_RSS_KEY)
    rc = _run(
        [
            "rss-hash",
            "--key",
            key,
            "--src",
            "3ffe:501:8::260:97ff:fe40:efab",
            "--dst",
            "ff02::1",
            "--json",
        ]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["hash"] == "0x0f0c461c"
    assert out["tuple"] == 2


def test_cli_other_key_changes_hash(capsys: pytest.CaptureFixture[str]) -> None:
    rc = _run(["rss-hash", "--key", "11" * 40, "--src", "66.9.149.187", "--dst", "161.142.100.80"])
    assert rc == 0
    assert capsys.readouterr().out.strip() != "0x323e8fc2"


@pytest.mark.parametrize(
    "argv",
    [
        ["--src", "1.2.3.4", "--dst", "::1"],
        ["--src", "1.2.3.400", "--dst", "1.2.3.4"],
        ["--src", "1.2.3.4", "--dst", "1.2.3.5", "--sport", "1"],
        ["--src", "1.2.3.4", "--dst", "1.2.3.5", "--sport", "x", "--dport", "1"],
        ["--src", "1.2.3.4", "--dst", "1.2.3.5", "--sport", "1", "--dport", "65536"],
        ["--key", "zz", "--src", "1.2.3.4", "--dst", "1.2.3.5"],
        ["--key", "00" * 8, "--src", "1.2.3.4", "--dst", "1.2.3.5"],
    ],
)
def test_cli_bad_input(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["rss-hash", *argv]) == 2
    err = capsys.readouterr()
    assert err.out == ""
    assert len(err.err.strip().splitlines()) == 1
    assert "error" in err.err
