"""The native packet fast paths (pyrtc._native.sctp_packet) against the Python codec."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc._native.crc32c import crc32c
from pyrtc._native.sctp_packet import encode_data_chunk, parse_data_packet, serialize
from pyrtc.sctp.chunks import DataChunk, SackChunk, decode_chunks, parse_packet
from pyrtc.sctp.errors import SctpParseError

PORT = st.integers(0, 0xFFFF)
U32 = st.integers(0, 0xFFFFFFFF)
U16 = st.integers(0, 0xFFFF)


def reference_packet(src: int, dst: int, tag: int, chunks: list[bytes]) -> bytes:
    """RFC 9260 §3.1 common header and Appendix B checksum, built step by step."""
    header = struct.pack("!HHI", src, dst, tag)
    body = b"".join(chunks)
    crc = crc32c(header + bytes(4) + body)
    return header + struct.pack("<I", crc) + body


DATA_CHUNKS = st.builds(
    DataChunk, U32, U16, U16, U32, st.binary(min_size=1, max_size=1300), st.integers(0, 15)
)


@settings(max_examples=150)
@given(PORT, PORT, U32, st.lists(DATA_CHUNKS, min_size=1, max_size=3))
def test_serialize_matches_the_reference(
    src: int, dst: int, tag: int, chunks: list[DataChunk]
) -> None:
    encoded = [chunk.encode() for chunk in chunks]
    packet = serialize(src, dst, tag, encoded)
    assert packet == reference_packet(src, dst, tag, encoded)
    parsed = parse_packet(packet)
    assert (parsed.source_port, parsed.destination_port, parsed.verification_tag) == (
        src,
        dst,
        tag,
    )
    assert parsed.chunks == chunks


@settings(max_examples=150)
@given(PORT, PORT, U32, DATA_CHUNKS)
def test_parse_data_packet_agrees_with_the_general_parser(
    src: int, dst: int, tag: int, chunk: DataChunk
) -> None:
    packet = serialize(src, dst, tag, [chunk.encode()])
    fields = parse_data_packet(packet)
    assert fields is not None
    *header, flags, tsn, sid, ssn, ppid, user_data = fields
    assert header == [src, dst, tag]
    assert DataChunk(tsn, sid, ssn, ppid, user_data, flags) == chunk
    # A second chunk, a flipped bit or a cut leaves the packet to the general parser.
    sack = SackChunk(1, 2, [], []).encode()
    assert parse_data_packet(serialize(src, dst, tag, [chunk.encode(), sack])) is None
    corrupted = bytearray(packet)
    corrupted[-1] ^= 0x40
    assert parse_data_packet(bytes(corrupted)) is None
    assert parse_data_packet(packet[:-1]) is None


@settings(max_examples=300)
@given(st.binary(max_size=120))
def test_parse_data_packet_only_accepts_what_the_general_parser_reads_as_one_data_chunk(
    body: bytes,
) -> None:
    # Random chunk bytes behind a valid header and checksum: the fast path must accept
    # exactly the packets that decode to a single DATA chunk, with the same fields.
    packet = reference_packet(5000, 5000, 7, [body])
    fields = parse_data_packet(packet)
    try:
        chunks = decode_chunks(packet)
    except SctpParseError:
        chunks = []
    if fields is None:
        assert not (len(chunks) == 1 and isinstance(chunks[0], DataChunk))
    else:
        *_, flags, tsn, sid, ssn, ppid, user_data = fields
        assert chunks == [DataChunk(tsn, sid, ssn, ppid, user_data, flags)]


@settings(max_examples=300)
@given(st.binary(max_size=64))
def test_parse_data_packet_never_crashes_on_random_bytes(data: bytes) -> None:
    parse_data_packet(data)
    parse_data_packet(b"\x13\x88\x13\x88\x00\x00\x00\x07" + bytes(4) + b"\x00" + data)


@settings(max_examples=200)
@given(
    st.integers(0, 0xFF),
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFFFFFF),
    st.binary(max_size=1300),
)
def test_native_data_chunk_encoding_is_the_reference(
    flags: int, tsn: int, sid: int, ssn: int, ppid: int, data: bytes
) -> None:
    expected = DataChunk(tsn, sid, ssn, ppid, data, flags).encode()
    assert encode_data_chunk(flags, tsn, sid, ssn, ppid, data) == expected


def test_native_data_chunk_encoding_checks_ranges() -> None:
    for flags, sid, ssn in ((0x100, 0, 0), (0, 0x10000, 0), (0, 0, 0x10000)):
        with pytest.raises(ValueError):
            encode_data_chunk(flags, 1, sid, ssn, 0, b"x")
    with pytest.raises(ValueError):
        encode_data_chunk(0, 1, 0, 0, 0, bytes(0xFFFF - 15))
    with pytest.raises(OverflowError):
        encode_data_chunk(0, 1 << 32, 0, 0, 0, b"x")
