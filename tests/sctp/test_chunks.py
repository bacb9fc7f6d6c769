"""SCTP chunk codec: byte layouts of RFC 9260 §3, round trips, checksum, malformed input."""

from __future__ import annotations

import contextlib
import struct

import pytest
from aiortc import rtcsctptransport as aiortc_sctp
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.sctp import SctpParseError, parse_packet, serialize_packet
from pyrtc.sctp.chunks import (
    AbortChunk,
    Chunk,
    CookieAckChunk,
    CookieEchoChunk,
    DataChunk,
    ErrorChunk,
    ForwardTsnChunk,
    HeartbeatAckChunk,
    HeartbeatChunk,
    InitAckChunk,
    InitChunk,
    OutgoingResetRequest,
    Packet,
    ReconfigChunk,
    ReconfigResponse,
    SackChunk,
    ShutdownAckChunk,
    ShutdownChunk,
    ShutdownCompleteChunk,
    UnknownChunk,
    decode_chunks,
    encode_packet,
    packet_checksum,
)


def roundtrip(chunk: Chunk) -> Chunk:
    data = serialize_packet(5000, 5000, 0x01020304, [chunk.encode()])
    packet = parse_packet(data)
    assert (packet.source_port, packet.destination_port, packet.verification_tag) == (
        5000,
        5000,
        0x01020304,
    )
    assert len(packet.chunks) == 1
    return packet.chunks[0]


# ---------------------------------------------------------------- byte layouts (RFC figures)


def test_data_chunk_layout() -> None:
    # RFC 9260 §3.3.1: type 0, flags UBE, length, TSN, stream id, SSN, PPID, user data.
    chunk = DataChunk(tsn=0x11223344, stream_id=7, ssn=9, ppid=51, user_data=b"hi!", flags=0x07)
    expected = bytes.fromhex("00070013 11223344 00070009 00000033 686921 00".replace(" ", ""))
    assert chunk.encode() == expected
    assert decode_chunks(expected, 0) == [chunk]


def test_init_chunk_layout() -> None:
    # RFC 9260 §3.3.2 fixed part, then Supported Extensions (RFC 5061 §4.2.7, padded) and
    # Forward-TSN-Supported (RFC 3758 §3.1).
    chunk = InitChunk(
        initiate_tag=0x0A0B0C0D,
        a_rwnd=0x00020000,
        outbound_streams=0xFFFF,
        inbound_streams=0x0400,
        initial_tsn=0xFFFFFFFE,
        params=[(0x8008, b"\x82\xc0"), (0xC000, b"")],
    )
    # The chunk length (0x20) includes the padding of the inner Supported Extensions parameter.
    expected = bytes.fromhex(
        "01000020 0a0b0c0d 00020000 ffff0400 fffffffe 80080006 82c00000 c0000004".replace(" ", "")
    )
    assert chunk.encode() == expected
    assert decode_chunks(expected, 0) == [chunk]


def test_sack_chunk_layout() -> None:
    # RFC 9260 §3.3.4: cumulative TSN, a_rwnd, #gaps, #dups, gap blocks, duplicate TSNs.
    chunk = SackChunk(100, 65536, [(2, 3), (5, 5)], [99])
    expected = bytes.fromhex(
        "0300001c 00000064 00010000 00020001 00020003 00050005 00000063".replace(" ", "")
    )
    assert chunk.encode() == expected
    assert decode_chunks(expected, 0) == [chunk]


def test_forward_tsn_layout() -> None:
    # RFC 3758 §3.2: new cumulative TSN then (stream, stream sequence) pairs.
    chunk = ForwardTsnChunk(0x10, [(1, 2), (3, 4)])
    expected = bytes.fromhex("c0000010 00000010 00010002 00030004".replace(" ", ""))
    assert chunk.encode() == expected
    assert decode_chunks(expected, 0) == [chunk]


def test_reconfig_layout() -> None:
    # RFC 6525 §4.1 Outgoing SSN Reset Request (type 13) and §4.4 response (type 16).
    request = ReconfigChunk([OutgoingResetRequest(1, 2, 3, [4, 5])])
    expected = bytes.fromhex(
        "82000018 000d0014 00000001 00000002 00000003 00040005".replace(" ", "")
    )
    assert request.encode() == expected
    assert decode_chunks(expected, 0) == [request]
    response = ReconfigChunk([ReconfigResponse(1, 1)])
    expected = bytes.fromhex("82000010 0010000c 00000001 00000001".replace(" ", ""))
    assert response.encode() == expected
    assert decode_chunks(expected, 0) == [response]


def test_empty_chunks_layout() -> None:
    assert CookieAckChunk().encode() == bytes.fromhex("0b000004")
    assert ShutdownAckChunk().encode() == bytes.fromhex("08000004")
    assert ShutdownCompleteChunk(flags=1).encode() == bytes.fromhex("0e010004")
    assert ShutdownChunk(5).encode() == bytes.fromhex("0700000800000005")


def test_checksum_is_crc32c_little_endian() -> None:
    # RFC 9260 Appendix B: CRC-32C over the packet with a zero checksum field, transmitted
    # so that it reads as the little-endian encoding of the CRC value.
    import crc32c as reference

    data = serialize_packet(5000, 5000, 0xDEADBEEF, [CookieAckChunk().encode()])
    zeroed = data[:8] + b"\x00" * 4 + data[12:]
    assert struct.unpack("<I", data[8:12])[0] == reference.crc32c(zeroed)
    assert packet_checksum(data) == reference.crc32c(zeroed)


def test_bad_checksum_rejected() -> None:
    data = bytearray(serialize_packet(5000, 5000, 1, [CookieAckChunk().encode()]))
    data[8] ^= 1
    with pytest.raises(SctpParseError, match="checksum"):
        parse_packet(bytes(data))


# ---------------------------------------------------------------- cross-check with aiortc


def test_aiortc_decodes_our_packets() -> None:
    init = InitChunk(0x1234, 131072, 1024, 2048, 77, [(0xC000, b""), (0x8008, b"\x82\xc0")])
    data = serialize_packet(5000, 5001, 0, [init.encode()])
    src, dst, tag, chunks = aiortc_sctp.parse_packet(data)
    assert (src, dst, tag) == (5000, 5001, 0)
    (theirs,) = chunks
    assert isinstance(theirs, aiortc_sctp.InitChunk)
    assert (theirs.initiate_tag, theirs.advertised_rwnd, theirs.initial_tsn) == (0x1234, 131072, 77)
    assert theirs.params == init.params

    sack = SackChunk(1000, 5000, [(2, 4)], [998])
    (theirs_sack,) = aiortc_sctp.parse_packet(serialize_packet(1, 2, 3, [sack.encode()]))[3]
    assert theirs_sack.cumulative_tsn == 1000
    assert theirs_sack.gaps == [(2, 4)]
    assert theirs_sack.duplicates == [998]


def test_we_decode_aiortc_packets() -> None:
    chunk = aiortc_sctp.DataChunk(flags=aiortc_sctp.SCTP_DATA_FIRST_FRAG)
    chunk.tsn, chunk.stream_id, chunk.stream_seq, chunk.protocol = 5, 1, 2, 53
    chunk.user_data = b"abcde"
    data = aiortc_sctp.serialize_packet(5000, 5000, 0xCAFEBABE, chunk)
    packet = parse_packet(data)
    assert packet.verification_tag == 0xCAFEBABE
    assert packet.chunks == [DataChunk(5, 1, 2, 53, b"abcde", 0x02)]

    fwd = aiortc_sctp.ForwardTsnChunk()
    fwd.cumulative_tsn, fwd.streams = 9, [(1, 3)]
    assert parse_packet(aiortc_sctp.serialize_packet(5000, 5000, 1, fwd)).chunks == [
        ForwardTsnChunk(9, [(1, 3)])
    ]


# ---------------------------------------------------------------- hypothesis round trips

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
params = st.lists(st.tuples(u16, st.binary(max_size=40)), max_size=4)
nonempty = st.binary(min_size=1, max_size=300)

chunk_strategy = st.one_of(
    st.builds(DataChunk, u32, u16, u16, u32, st.binary(max_size=300), st.integers(0, 15)),
    st.builds(InitChunk, u32, u32, u16, u16, u32, params),
    st.builds(InitAckChunk, u32, u32, u16, u16, u32, params),
    st.builds(
        SackChunk,
        u32,
        u32,
        st.lists(st.tuples(u16, u16), max_size=10),
        st.lists(u32, max_size=10),
    ),
    st.builds(HeartbeatChunk, st.binary(max_size=64)),
    st.builds(HeartbeatAckChunk, st.binary(max_size=64)),
    st.builds(AbortChunk, params, st.integers(0, 1)),
    st.builds(ErrorChunk, params),
    st.builds(ShutdownChunk, u32),
    st.builds(ShutdownAckChunk),
    st.builds(CookieEchoChunk, nonempty),
    st.builds(CookieAckChunk),
    st.builds(ShutdownCompleteChunk, st.integers(0, 1)),
    st.builds(ForwardTsnChunk, u32, st.lists(st.tuples(u16, u16), max_size=10)),
    st.builds(
        ReconfigChunk,
        st.lists(
            st.one_of(
                st.builds(OutgoingResetRequest, u32, u32, u32, st.lists(u16, max_size=6)),
                st.builds(ReconfigResponse, u32, u32),
            ),
            max_size=2,
        ),
    ),
    st.builds(
        UnknownChunk,
        st.integers(0, 255).filter(
            lambda t: t not in {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 130, 192}
        ),
        u8,
        st.binary(max_size=50),
    ),
)


@settings(max_examples=300)
@given(chunk_strategy)
def test_chunk_roundtrip(chunk: Chunk) -> None:
    assert roundtrip(chunk) == chunk


@given(st.lists(chunk_strategy, min_size=1, max_size=5), u16, u16, u32)
def test_packet_roundtrip(chunks: list[Chunk], src: int, dst: int, tag: int) -> None:
    packet = Packet(src, dst, tag, chunks)
    assert parse_packet(encode_packet(packet)) == packet


@given(st.binary(max_size=200))
def test_random_bytes_only_raise_parse_error(data: bytes) -> None:
    try:
        parse_packet(data)
    except SctpParseError as exc:
        assert isinstance(exc, ParseError)


@given(st.binary(max_size=200))
def test_random_chunk_bodies_only_raise_parse_error(body: bytes) -> None:
    # The checksum normally hides garbage; decode chunks directly to reach every decoder.
    with contextlib.suppress(SctpParseError):
        decode_chunks(body, 0)


@given(chunk_strategy, st.data())
def test_truncated_packets_only_raise_parse_error(chunk: Chunk, data: st.DataObject) -> None:
    encoded = chunk.encode()
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with contextlib.suppress(SctpParseError):
        decode_chunks(encoded[:cut], 0)
    truncated = serialize_packet(1, 2, 3, [encoded])[: 12 + cut]
    with contextlib.suppress(SctpParseError):
        parse_packet(truncated)


@pytest.mark.parametrize(
    "body",
    [
        "0300000c 00000001 00000001",  # SACK shorter than its fixed part
        "03000010 00000001 00000001 00050000",  # SACK claims 5 gap blocks
        "0000000c 00000001 00000000",  # DATA shorter than its header
        "c0000006 0000",  # FORWARD TSN length not a multiple of 4
        "07000004",  # SHUTDOWN without TSN
        "04000008 00020004",  # HEARTBEAT without Heartbeat Info
        "82000008 00100004",  # RE-CONFIG response too short
        "01000004",  # INIT without fixed part
        "01000018 00000001 00000002 00010001 00000001 0008ffff",  # parameter overruns
        "0b000002",  # chunk length below 4
        "0b000008",  # chunk length beyond the data
    ],
)
def test_malformed_chunks(body: str) -> None:
    data = bytes.fromhex(body.replace(" ", ""))
    with pytest.raises(SctpParseError):
        decode_chunks(data, 0)
