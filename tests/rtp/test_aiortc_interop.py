"""Cross-check with aiortc.rtp.RtpPacket: each side parses what the other serializes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensions as AiortcExtensions
from aiortc.rtp import HeaderExtensionsMap as AiortcMap
from aiortc.rtp import RtpPacket as AiortcPacket
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.rtp import (
    ABS_SEND_TIME,
    AUDIO_LEVEL,
    MID,
    REPAIRED_RTP_STREAM_ID,
    RTP_STREAM_ID,
    TOFFSET,
    TRANSPORT_CC,
    AudioLevel,
    HeaderExtensions,
    HeaderExtensionsMap,
    RtpPacket,
)

EXTMAP = [
    (1, AUDIO_LEVEL),
    (2, ABS_SEND_TIME),
    (3, TRANSPORT_CC),
    (4, MID),
    (10, RTP_STREAM_ID),
    (11, REPAIRED_RTP_STREAM_ID),
    (14, TOFFSET),
]
OURS_MAP = HeaderExtensionsMap(EXTMAP)
AIORTC_MAP = AiortcMap()
AIORTC_MAP.configure(
    RTCRtpParameters(
        headerExtensions=[RTCRtpHeaderExtensionParameters(id=i, uri=u) for i, u in EXTMAP]
    )
)

token = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=20
)


@dataclass
class Fields:
    payload_type: int
    marker: int
    sequence_number: int
    timestamp: int
    ssrc: int
    csrc: list[int]
    payload: bytes
    padding_size: int
    extensions: HeaderExtensions


extension_values = st.builds(
    HeaderExtensions,
    abs_send_time=st.none() | st.integers(0, 0xFFFFFF),
    audio_level=st.none() | st.builds(AudioLevel, st.booleans(), st.integers(0, 127)),
    mid=st.none() | token,
    repaired_rtp_stream_id=st.none() | token,
    rtp_stream_id=st.none() | token,
    transport_sequence_number=st.none() | st.integers(0, 0xFFFF),
)
packets = st.builds(
    Fields,
    payload_type=st.integers(0, 127),
    marker=st.integers(0, 1),
    sequence_number=st.integers(0, 0xFFFF),
    timestamp=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    csrc=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15),
    payload=st.binary(max_size=1500),
    padding_size=st.integers(0, 255),
    extensions=extension_values,
)


def header_fields(packet: Any) -> tuple[Any, ...]:
    return (
        packet.version,
        packet.payload_type,
        packet.marker,
        packet.sequence_number,
        packet.timestamp,
        packet.ssrc,
        list(packet.csrc),
        packet.payload,
        packet.padding_size,
    )


def typed(values: AiortcExtensions | HeaderExtensions) -> tuple[Any, ...]:
    audio = None if values.audio_level is None else tuple(values.audio_level)
    return (
        values.abs_send_time,
        audio,
        values.mid,
        values.repaired_rtp_stream_id,
        values.rtp_stream_id,
        values.transport_sequence_number,
    )


@settings(max_examples=300)
@given(packets)
def test_aiortc_serializes_we_parse(fields: Fields) -> None:
    theirs = AiortcPacket(
        payload_type=fields.payload_type,
        marker=fields.marker,
        sequence_number=fields.sequence_number,
        timestamp=fields.timestamp,
        ssrc=fields.ssrc,
        payload=fields.payload,
    )
    theirs.csrc = fields.csrc
    theirs.padding_size = fields.padding_size
    ext = fields.extensions
    theirs.extensions = AiortcExtensions(
        abs_send_time=ext.abs_send_time,
        audio_level=ext.audio_level,
        mid=ext.mid,
        repaired_rtp_stream_id=ext.repaired_rtp_stream_id,
        rtp_stream_id=ext.rtp_stream_id,
        transport_sequence_number=ext.transport_sequence_number,
    )
    data = theirs.serialize(AIORTC_MAP)
    ours = RtpPacket.parse(data)
    assert header_fields(ours) == header_fields(theirs)
    assert typed(OURS_MAP.decode(ours.extensions)) == typed(ext)
    # and back through aiortc from our re-serialization (extensions untouched: verbatim)
    again = AiortcPacket.parse(RtpPacket.parse(data).serialize(), AIORTC_MAP)
    assert header_fields(again) == header_fields(theirs)
    assert typed(again.extensions) == typed(ext)


@settings(max_examples=300)
@given(packets, st.none() | st.integers(-(2**23), 2**23 - 1))
def test_we_serialize_aiortc_parses(fields: Fields, toffset: int | None) -> None:
    fields.extensions.transmission_offset = toffset
    ours = RtpPacket(
        payload_type=fields.payload_type,
        marker=fields.marker,
        sequence_number=fields.sequence_number,
        timestamp=fields.timestamp,
        ssrc=fields.ssrc,
        payload=fields.payload,
        csrc=fields.csrc,
        extensions=OURS_MAP.encode(fields.extensions),
        padding_size=fields.padding_size,
    )
    theirs = AiortcPacket.parse(ours.serialize(), AIORTC_MAP)
    assert header_fields(theirs) == header_fields(ours)
    assert typed(theirs.extensions) == typed(fields.extensions)
    assert theirs.extensions.transmission_offset == toffset
