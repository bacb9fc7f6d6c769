"""RTCP parsing and serialization: pyrtc.rtcp against aiortc's ``aiortc.rtp`` RTCP classes."""

from __future__ import annotations

from collections.abc import Callable

from pyrtc.bench import Case
from pyrtc.rtcp import (
    RtcpNackPacket,
    RtcpReceiverInfo,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
    parse_compound,
    serialize_compound,
)

BATCH = 100


def _sr_sdes(i: int) -> list[RtcpSrPacket | RtcpSdesPacket]:
    report = RtcpReceiverInfo(0x1000 + i, 3, 12, 0x10000 + i, 77, 0x12345678, 0x8000)
    return [
        RtcpSrPacket(i, RtcpSenderInfo(0xE54A1B2C80000000 + i, 90000 * i, i, 1200 * i), [report]),
        RtcpSdesPacket([RtcpSourceInfo(i, [(1, b"{8c5d2e6a-8c56-4e9a-9d47-1a2b3c4d5e6f}")])]),
    ]


def _batch(fn: Callable[[bytes], object], datas: list[bytes]) -> Callable[[], object]:
    def run() -> object:
        for data in datas:
            fn(data)
        return None

    return run


def cases() -> list[Case]:
    compounds = [serialize_compound(_sr_sdes(i)) for i in range(BATCH)]
    nacks = [bytes(RtcpNackPacket(1, 2, [i, i + 1, i + 3, i + 20])) for i in range(BATCH)]
    objects = [_sr_sdes(i) for i in range(BATCH)]
    try:
        from aiortc import rtp as aiortc_rtp
    except ImportError:
        base_parse = base_serialize = None
    else:
        base_parse = aiortc_rtp.RtcpPacket.parse
        their_objects = [aiortc_rtp.RtcpPacket.parse(data) for data in compounds]

        def base_serialize() -> object:
            for packets in their_objects:
                b"".join(bytes(p) for p in packets)
            return None

    def ours_serialize() -> object:
        for packets in objects:
            serialize_compound(packets)
        return None

    return [
        Case(
            group="rtcp",
            name="parse SR+SDES compound",
            ours=_batch(parse_compound, compounds),
            baseline=None if base_parse is None else _batch(base_parse, compounds),
            baseline_name="aiortc 1.16",
            ops_per_call=BATCH,
            bytes_per_op=len(compounds[0]),
        ),
        Case(
            group="rtcp",
            name="parse generic NACK",
            ours=_batch(parse_compound, nacks),
            baseline=None if base_parse is None else _batch(base_parse, nacks),
            baseline_name="aiortc 1.16",
            ops_per_call=BATCH,
        ),
        Case(
            group="rtcp",
            name="serialize SR+SDES compound",
            ours=ours_serialize,
            baseline=base_serialize,
            baseline_name="aiortc 1.16",
            ops_per_call=BATCH,
        ),
    ]
