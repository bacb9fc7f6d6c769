"""Byte-exact fixtures hand-assembled from the RFC figures: parse -> fields -> same bytes."""

from __future__ import annotations

import pytest

from pyrtc.rtcp import (
    CcfbMetric,
    CcfbReportBlock,
    DlrrReport,
    FirEntry,
    RtcpAppPacket,
    RtcpByePacket,
    RtcpCcfbPacket,
    RtcpFirPacket,
    RtcpNackPacket,
    RtcpPacket,
    RtcpPliPacket,
    RtcpPsfbPacket,
    RtcpRawPacket,
    RtcpReceiverInfo,
    RtcpRembPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
    RtcpTransportCcPacket,
    RtcpXrPacket,
    XrDlrrBlock,
    XrRawBlock,
    XrRrtrBlock,
    parse_compound,
    serialize_compound,
)


def hexdata(text: str) -> bytes:
    """Hex with '#' comments and any whitespace."""
    return bytes.fromhex("".join(line.split("#")[0] for line in text.splitlines()))


REPORT_BLOCK = RtcpReceiverInfo(
    ssrc=0x9ABCDEF0,
    fraction_lost=0x40,
    packets_lost=-2,
    highest_sequence=0x00010005,
    jitter=42,
    lsr=0x4A1B2C80,
    dlsr=0x00018000,
)
REPORT_BLOCK_HEX = """
    9a bc de f0              # SSRC_1 (SSRC of first source)
    40 ff ff fe              # fraction lost 64/256 | cumulative lost -2 (24-bit signed)
    00 01 00 05              # extended highest sequence number: cycle 1, seq 5
    00 00 00 2a              # interarrival jitter 42
    4a 1b 2c 80              # LSR: middle 32 bits of the SR's NTP timestamp
    00 01 80 00              # DLSR: 1.5 s in 1/65536 s
"""

FIXTURES: list[tuple[str, str, RtcpPacket]] = [
    (
        "SR with one report block (RFC 3550 6.4.1)",
        """
        81 c8 00 0c          # V=2 P=0 RC=1 | PT=200 SR | length 12 words
        12 34 56 78          # SSRC of sender
        e5 4a 1b 2c 80 00 00 00   # NTP timestamp: 0xe54a1b2c.5 s
        00 01 e2 40          # RTP timestamp 123456
        00 00 00 64          # sender's packet count 100
        00 00 3e 80          # sender's octet count 16000
        """
        + REPORT_BLOCK_HEX,
        RtcpSrPacket(
            ssrc=0x12345678,
            sender_info=RtcpSenderInfo(0xE54A1B2C80000000, 123456, 100, 16000),
            reports=[REPORT_BLOCK],
        ),
    ),
    (
        "SR with a profile-specific extension and no report block",
        """
        80 c8 00 08          # RC=0 | SR | 8 words
        00 00 00 01          # SSRC
        00 00 00 00 00 00 00 02   # NTP timestamp
        00 00 00 03  00 00 00 04  00 00 00 05   # RTP ts, packets, octets
        de ad be ef ca fe ba be   # profile-specific extension, kept as bytes
        """,
        RtcpSrPacket(1, RtcpSenderInfo(2, 3, 4, 5), [], b"\xde\xad\xbe\xef\xca\xfe\xba\xbe"),
    ),
    (
        "RR with one report block (RFC 3550 6.4.2)",
        """
        81 c9 00 07          # RC=1 | PT=201 RR | 7 words
        12 34 56 78          # SSRC of packet sender
        """
        + REPORT_BLOCK_HEX,
        RtcpRrPacket(ssrc=0x12345678, reports=[REPORT_BLOCK]),
    ),
    (
        "SDES with two chunks (RFC 3550 6.5)",
        """
        82 ca 00 07          # SC=2 | PT=202 SDES | 7 words
        11 11 11 11          # chunk 1: SSRC
        01 09 75 73 65 72 40 68 6f 73 74   # CNAME, 9 octets, "user@host"
        00                   # end of list; already on a 32-bit boundary
        22 22 22 22          # chunk 2: SSRC
        02 02 61 62          # NAME, 2 octets, "ab"
        00 00 00 00          # end of list + padding to the boundary: a whole null word
        """,
        RtcpSdesPacket(
            [
                RtcpSourceInfo(0x11111111, [(1, b"user@host")]),
                RtcpSourceInfo(0x22222222, [(2, b"ab")]),
            ]
        ),
    ),
    (
        "BYE with two sources and a reason (RFC 3550 6.6)",
        """
        82 cb 00 04          # SC=2 | PT=203 BYE | 4 words
        00 00 00 0a 00 00 00 0b   # SSRC/CSRC list
        05 65 6e 64 65 64 00 00   # reason: length 5, "ended", padded with nulls
        """,
        RtcpByePacket([10, 11], b"ended"),
    ),
    (
        "BYE without a reason",
        "81 cb 00 01  00 00 00 0a",
        RtcpByePacket([10]),
    ),
    (
        "APP (RFC 3550 6.7)",
        """
        85 cc 00 04          # subtype 5 | PT=204 APP | 4 words
        00 00 00 07          # SSRC
        50 59 52 54          # name "PYRT"
        01 02 03 04 05 06 07 08   # application-dependent data
        """,
        RtcpAppPacket(5, 7, b"PYRT", bytes(range(1, 9))),
    ),
    (
        "generic NACK (RFC 4585 6.2.1)",
        """
        81 cd 00 04          # FMT=1 | PT=205 RTPFB | 4 words
        00 00 00 01          # SSRC of packet sender
        00 00 00 02          # SSRC of media source
        00 64 80 05          # PID 100, BLP bits 0, 2, 15: lost 101, 103, 116 too
        00 c8 00 00          # PID 200, BLP 0
        """,
        RtcpNackPacket(1, 2, [100, 101, 103, 116, 200]),
    ),
    (
        "generic NACK across the sequence number wrap",
        """
        81 cd 00 03  00 00 00 01  00 00 00 02
        ff fe 00 07          # PID 65534, BLP bits 0-2: 65535, 0, 1
        """,
        RtcpNackPacket(1, 2, [65534, 65535, 0, 1]),
    ),
    (
        "TMMBR (RFC 5104 4.2.1) kept raw",
        """
        83 cd 00 04  00 00 00 01  00 00 00 00   # FMT=3 | RTPFB, media SSRC unused
        00 00 00 02  08 1e 84 64                # FCI: SSRC, exp/mantissa/overhead
        """,
        RtcpRtpfbPacket(3, 1, 0, bytes.fromhex("00000002081e8464")),
    ),
    (
        "PLI (RFC 4585 6.3.1)",
        "81 ce 00 02  00 00 00 01  00 00 00 02   # FMT=1 | PT=206 PSFB | no FCI",
        RtcpPliPacket(1, 2),
    ),
    (
        "FIR (RFC 5104 4.3.1)",
        """
        84 ce 00 04          # FMT=4 | PSFB | 4 words
        00 00 00 01          # SSRC of packet sender
        00 00 00 00          # SSRC of media source: unused, 0
        00 00 00 02  07 00 00 00   # FCI: SSRC 2, command seq nr 7, reserved
        """,
        RtcpFirPacket(1, [FirEntry(2, 7)]),
    ),
    (
        "REMB (draft-alvestrand-rmcat-remb-03 2.2)",
        """
        8f ce 00 05          # FMT=15 AFB | PSFB | 5 words
        00 00 00 01  00 00 00 00   # sender SSRC, media SSRC 0
        52 45 4d 42          # unique identifier "REMB"
        01                   # Num SSRC 1
        0b d0 90             # BR Exp 2 | BR Mantissa 0x3d090: 250000 << 2 = 1 Mbit/s
        00 00 00 03          # SSRC feedback
        """,
        RtcpRembPacket(1, 1_000_000, [3]),
    ),
    (
        "SLI (RFC 4585 6.3.2) kept raw",
        "82 ce 00 03  00 00 00 01  00 00 00 02  00 08 00 41",
        RtcpPsfbPacket(2, 1, 2, bytes.fromhex("00080041")),
    ),
    (
        "transport-cc: run-length chunk, then a 2-bit vector with a negative delta",
        # 20 packets from base 65534 (wrapping to 0): 15 received with small deltas, 3 lost,
        # one received 2 ms before its predecessor (large/negative delta), one small.
        """
        af cd 00 0a          # P=1 FMT=15 | PT=205 | 10 words (2 bytes of padding)
        11 22 33 44          # SSRC of packet sender
        55 66 77 88          # SSRC of media source
        ff fe 00 14          # base sequence number 65534 | packet status count 20
        00 01 00 05          # reference time 256 (16.384 s) | fb pkt count 5
        20 0f                # run-length chunk: T=0, S=01 small delta, run 15
        c0 90                # 2-bit vector: 00 00 00 10 01 (+2 unused symbols)
        04 01 01 01 01 01 01 01 01 01 01 01 01 01 01   # 15 small deltas (250 us units)
        ff f8                # large delta -8 (-2 ms)
        10                   # small delta 16 (4 ms)
        00 02                # padding, count 2
        """,
        RtcpTransportCcPacket(
            0x11223344,
            0x55667788,
            reference_time=256,
            fb_pkt_count=5,
            packets=[((65534 + i) & 0xFFFF, 16385000 + 250 * i) for i in range(15)]
            + [(13, None), (14, None), (15, None), (16, 16386500), (17, 16390500)],
        ),
    ),
    (
        "transport-cc: 1-bit vector, long lost run, negative reference time",
        """
        af cd 00 09          # P=1 FMT=15 | PT=205 | 9 words
        00 00 00 01  00 00 00 02
        01 00 03 f7          # base sequence number 256 | status count 1015
        ff ff ff 00          # reference time -1 (-64 ms) | fb pkt count 0
        ac ff                # 1-bit vector: 1 0 1 1 0 0 1 1 1 1 1 1 1 1
        03 e8                # run-length: not received x 1000
        20 01                # run-length: small delta x 1
        00 01 01 01 01 01 01 01 01 01 01   # 11 small deltas for the vector
        ff                   # small delta 255 (63.75 ms)
        00 02                # padding
        """,
        RtcpTransportCcPacket(
            1,
            2,
            reference_time=-1,
            fb_pkt_count=0,
            packets=[
                (256, -64000),
                (257, None),
                (258, -63750),
                (259, -63500),
                (260, None),
                (261, None),
                *[(262 + i, -63250 + 250 * i) for i in range(8)],
                *[(270 + i, None) for i in range(1000)],
                (1270, -61500 + 63750),
            ],
        ),
    ),
    (
        "congestion control feedback (RFC 8888 3.1)",
        """
        8b cd 00 09          # FMT=11 | PT=205 | 9 words
        00 00 00 01          # SSRC of RTCP packet sender
        aa aa aa aa          # SSRC of 1st RTP stream
        00 10 00 03          # begin_seq 16 | num_reports 3
        a1 00                # R=1 ECN=01 ATO=0x100 (250 ms)
        00 00                # not received
        ff ff                # R=1 ECN=11 (CE) ATO=0x1fff (overflow)
        00 00                # padding to 32 bits (odd number of metrics)
        bb bb bb bb          # SSRC of 2nd RTP stream
        ff fe 00 02          # begin_seq 65534 | num_reports 2
        80 00 80 01          # received ATO 0, received ATO 1
        12 34 56 78          # report timestamp (compact NTP)
        """,
        RtcpCcfbPacket(
            1,
            [
                CcfbReportBlock(
                    0xAAAAAAAA,
                    16,
                    [CcfbMetric(True, 1, 0x100), CcfbMetric(False), CcfbMetric(True, 3, 0x1FFF)],
                ),
                CcfbReportBlock(
                    0xBBBBBBBB, 65534, [CcfbMetric(True, 0, 0), CcfbMetric(True, 0, 1)]
                ),
            ],
            0x12345678,
        ),
    ),
    (
        "XR with RRTR, DLRR and an undecoded block (RFC 3611 4.4, 4.5)",
        """
        80 cf 00 0a          # PT=207 XR | 10 words
        00 00 00 01          # SSRC of originator
        04 00 00 02          # BT=4 RRTR | reserved | block length 2
        e5 4a 1b 2c 80 00 00 00   # NTP timestamp
        05 00 00 03          # BT=5 DLRR | reserved | block length 3
        00 00 00 02  4a 1b 2c 80  00 00 80 00   # SSRC_1 | LRR | DLRR (0.5 s)
        06 e0 00 01          # BT=6 statistics summary, kept raw
        00 00 00 2a
        """,
        RtcpXrPacket(
            1,
            [
                XrRrtrBlock(0xE54A1B2C80000000),
                XrDlrrBlock([DlrrReport(2, 0x4A1B2C80, 0x8000)]),
                XrRawBlock(6, 0xE0, b"\x00\x00\x00\x2a"),
            ],
        ),
    ),
    (
        "unknown packet type (IJ, RFC 5450) kept raw",
        "81 c3 00 01  00 00 00 2a",
        RtcpRawPacket(195, 1, b"\x00\x00\x00\x2a"),
    ),
]


@pytest.mark.parametrize(
    ("hex_text", "packet"), [f[1:] for f in FIXTURES], ids=[f[0] for f in FIXTURES]
)
def test_fixture_round_trip(hex_text: str, packet: RtcpPacket) -> None:
    data = hexdata(hex_text)
    assert parse_compound(data) == [packet]
    assert bytes(packet) == data


def test_compound_of_all_fixtures_round_trips() -> None:
    packets = [packet for _, _, packet in FIXTURES]
    data = serialize_compound(packets)
    assert data == b"".join(hexdata(text) for _, text, _ in FIXTURES)
    assert parse_compound(data) == packets
