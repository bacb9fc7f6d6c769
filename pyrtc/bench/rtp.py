"""RTP packet parse/serialize: pyrtc's Cython codec against ``aiortc.rtp.RtpPacket``.

Every packet carries a one-byte extension block with mid, abs-send-time and
transport-wide-cc, as a browser sends. Each call handles a batch of distinct packets.

pyrtc parses lazily: ``RtpPacket.parse`` validates the whole packet but creates the
payload ``bytes`` and the extension dict only when read. aiortc's parse always copies the
payload and walks the extension elements (decoding them only when given a map), so:

- ``parse (lazy)``: our bare parse against aiortc's parse without a map (we do less).
- ``parse + payload + raw elements``: we also build the payload and ``{id: bytes}``;
  at least aiortc's work (it splits the elements too, then drops them).
- ``parse + decode mid/ast/twcc``: both sides decode the three typed values and read the
  payload.
- ``set ast+twcc, serialize``: both sides set a new sequence number, abs-send-time and
  transport-wide sequence number on a packet and serialize it.
- ``RTX wrap + serialize``: build the retransmission of a packet and serialize it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pyrtc.bench import Case
from pyrtc.rtp import (
    ABS_SEND_TIME,
    MID,
    TRANSPORT_CC,
    HeaderExtensionsMap,
    RtpPacket,
    encode_abs_send_time,
    encode_transport_cc,
    wrap_rtx,
)

BATCH = 100
MID_ID, AST_ID, TCC_ID = 1, 2, 3
EXTMAP = [(MID_ID, MID), (AST_ID, ABS_SEND_TIME), (TCC_ID, TRANSPORT_CC)]
HEADER_SIZE = 12 + 4 + 12  # fixed header, extension header, 9 bytes of elements padded to 12


def _packets(size: int) -> list[bytes]:
    payload = os.urandom(size - HEADER_SIZE)
    out = []
    for i in range(BATCH):
        packet = RtpPacket(
            payload_type=96,
            marker=i == BATCH - 1,
            sequence_number=1000 + i,
            timestamp=90000 + 3000 * (i // 10),
            ssrc=0x12345678,
            payload=payload,
        )
        packet.extensions = {
            MID_ID: b"0",
            AST_ID: encode_abs_send_time(i * 1000),
            TCC_ID: encode_transport_cc(i),
        }
        out.append(packet.serialize())
    return out


def _cases(size: int) -> list[Case]:
    datagrams = _packets(size)
    ext_map = HeaderExtensionsMap(EXTMAP)
    parse = RtpPacket.parse
    decode = ext_map.decode

    def parse_lazy() -> None:
        for data in datagrams:
            parse(data)

    def parse_raw() -> None:
        for data in datagrams:
            packet = parse(data)
            packet.extensions  # noqa: B018 - the read is the work being measured
            packet.payload  # noqa: B018

    def parse_decode() -> None:
        for data in datagrams:
            packet = parse(data)
            decode(packet.extensions)
            packet.payload  # noqa: B018

    sender = RtpPacket.parse(datagrams[0])
    sender.extensions  # noqa: B018 - built once, as a sender keeps its packet template

    def serialize() -> None:
        elements = sender.extensions
        for i in range(BATCH):
            sender.sequence_number = i
            elements[AST_ID] = encode_abs_send_time(i)
            elements[TCC_ID] = encode_transport_cc(i)
            sender.serialize()

    lost = [parse(data) for data in datagrams]

    def rtx() -> None:
        for i, packet in enumerate(lost):
            wrap_rtx(packet, 97, i, 0x9ABCDEF0).serialize()

    baselines = _aiortc_cases(datagrams)
    ours: list[tuple[str, Callable[[], object], float | None]] = [
        ("parse (lazy)", parse_lazy, None),
        ("parse + payload + raw elements", parse_raw, 5.0),
        ("parse + decode mid/ast/twcc", parse_decode, 5.0),
        ("set ast+twcc, serialize", serialize, 2.0),
        ("RTX wrap + serialize", rtx, None),
    ]
    return [
        Case(
            group="rtp",
            name=f"{name}, {size} B",
            ours=fn,
            baseline=None if baselines is None else baselines[name],
            baseline_name="aiortc 1.16",
            target=target,
            ops_per_call=BATCH,
            bytes_per_op=size,
        )
        for name, fn, target in ours
    ]


def _aiortc_cases(datagrams: list[bytes]) -> dict[str, Callable[[], object]] | None:
    try:
        from aiortc import rtp as artp
        from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
    except ImportError:
        return None
    ext_map = artp.HeaderExtensionsMap()
    ext_map.configure(
        RTCRtpParameters(
            headerExtensions=[RTCRtpHeaderExtensionParameters(id=i, uri=u) for i, u in EXTMAP]
        )
    )
    parse = artp.RtpPacket.parse

    def parse_lazy() -> None:
        for data in datagrams:
            parse(data)

    def parse_raw() -> None:
        for data in datagrams:
            parse(data).payload  # noqa: B018

    def parse_decode() -> None:
        for data in datagrams:
            parse(data, ext_map).payload  # noqa: B018

    sender = parse(datagrams[0], ext_map)

    def serialize() -> None:
        extensions = sender.extensions
        for i in range(BATCH):
            sender.sequence_number = i
            extensions.abs_send_time = i
            extensions.transport_sequence_number = i
            sender.serialize(ext_map)

    lost = [parse(data, ext_map) for data in datagrams]

    def rtx() -> None:
        for i, packet in enumerate(lost):
            artp.wrap_rtx(packet, 97, i, 0x9ABCDEF0).serialize(ext_map)

    return {
        "parse (lazy)": parse_lazy,
        "parse + payload + raw elements": parse_raw,
        "parse + decode mid/ast/twcc": parse_decode,
        "set ast+twcc, serialize": serialize,
        "RTX wrap + serialize": rtx,
    }


def cases() -> list[Case]:
    return _cases(1200) + _cases(100)
