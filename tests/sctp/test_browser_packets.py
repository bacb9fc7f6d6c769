"""Decrypted SCTP packets from a real Chromium 156 session decode with ``pyrtc.sctp``.

``fixtures/chromium_sctp.json`` was recorded by ``fixtures/capture_chromium_sctp.py`` (see its
docstring): every SCTP packet Chromium (dcSCTP) sent to pyrtc, as pyrtc received it after DTLS.
Each one must pass the CRC-32C check, decode to the expected chunks and fields, and re-encode
byte for byte. The tests pin this one capture: a new capture can bundle or time packets
differently (one gave 15 packets instead of 14), so re-capturing means re-checking the counts
and positions asserted here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyrtc.datachannel import DataChannelOpen
from pyrtc.datachannel.dcep import (
    ACK,
    PPID_BINARY,
    PPID_BINARY_EMPTY,
    PPID_DCEP,
    PPID_STRING,
    PPID_STRING_EMPTY,
)
from pyrtc.sctp import SctpParseError, parse_packet
from pyrtc.sctp.chunks import (
    PARAM_FORWARD_TSN_SUPPORTED,
    PARAM_STATE_COOKIE,
    PARAM_SUPPORTED_EXTENSIONS,
    CookieAckChunk,
    CookieEchoChunk,
    DataChunk,
    InitAckChunk,
    InitChunk,
    OutgoingResetRequest,
    Packet,
    ReconfigChunk,
    ReconfigResponse,
    SackChunk,
    encode_packet,
    find_param,
)

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "chromium_sctp.json").read_text())
SESSIONS: dict[str, Any] = FIXTURES["sessions"]
RAW = {name: [bytes.fromhex(h) for h in s["packets"]] for name, s in SESSIONS.items()}
PACKETS = {name: [parse_packet(raw) for raw in packets] for name, packets in RAW.items()}


def kinds(packet: Packet) -> list[str]:
    return [type(chunk).__name__ for chunk in packet.chunks]


def data_chunks(session: str) -> list[DataChunk]:
    return [c for p in PACKETS[session] for c in p.chunks if isinstance(c, DataChunk)]


def test_recorded_from_chromium_156() -> None:
    assert FIXTURES["chromium"].startswith("156.")
    assert {name: len(packets) for name, packets in RAW.items()} == {
        "chromium_offers": 14,
        "pyrtc_offers": 7,
    }


@pytest.mark.parametrize("session", list(SESSIONS))
def test_every_packet_reencodes_byte_for_byte(session: str) -> None:
    for raw, packet in zip(RAW[session], PACKETS[session], strict=True):
        assert packet.source_port == packet.destination_port == 5000
        assert encode_packet(packet) == raw


@pytest.mark.parametrize("session", list(SESSIONS))
def test_a_flipped_bit_fails_the_checksum(session: str) -> None:
    for raw in RAW[session]:
        corrupted = bytearray(raw)
        corrupted[-1] ^= 0x01
        with pytest.raises(SctpParseError, match="checksum"):
            parse_packet(bytes(corrupted))


@pytest.mark.parametrize("session", list(SESSIONS))
def test_handshake_chunks(session: str) -> None:
    init, init_ack, cookie_echo, cookie_ack = PACKETS[session][:4]
    # Both ends send INIT (pyrtc connects as soon as DTLS is up, so does Chromium).
    assert kinds(init) == ["InitChunk"] and init.verification_tag == 0
    chunk = init.chunks[0]
    assert type(chunk) is InitChunk
    assert chunk.a_rwnd == 5 * 1024 * 1024
    assert chunk.outbound_streams == chunk.inbound_streams == 65535
    assert find_param(chunk.params, PARAM_FORWARD_TSN_SUPPORTED) == b""
    # Supported Extensions: RE-CONFIG (130) and FORWARD-TSN (192); no AUTH, no I-DATA.
    assert find_param(chunk.params, PARAM_SUPPORTED_EXTENSIONS) == bytes([130, 192])
    ack = init_ack.chunks[0]
    assert type(ack) is InitAckChunk and init_ack.verification_tag != 0
    cookie = find_param(ack.params, PARAM_STATE_COOKIE)
    assert cookie is not None and cookie.startswith(b"dcSCTP00")
    assert find_param(ack.params, PARAM_SUPPORTED_EXTENSIONS) == bytes([130, 192])
    assert type(cookie_echo.chunks[0]) is CookieEchoChunk
    assert type(cookie_ack.chunks[0]) is CookieAckChunk
    tags = {p.verification_tag for p in PACKETS[session][1:]}
    assert len(tags) == 1  # every packet after INIT carries the same tag


def test_dcep_open_from_chromium() -> None:
    opens = [c for c in data_chunks("chromium_offers") if c.ppid == PPID_DCEP]
    assert [DataChannelOpen.decode(c.user_data) for c in opens] == [
        DataChannelOpen(0x00, 256, 0, "fixture-reliable", "fixture-proto"),
        # ordered: false, maxRetransmits: 0 -> PARTIAL_RELIABLE_REXMIT_UNORDERED, 0 retransmits
        DataChannelOpen(0x81, 256, 0, "fixture-unordered", ""),
    ]
    # Chromium as the DTLS server opens odd stream ids (RFC 8832 §6).
    assert [c.stream_id for c in opens] == [1, 3]
    assert all(c.ssn == 0 for c in opens)


def test_user_messages_and_ppids() -> None:
    user = [c for c in data_chunks("chromium_offers") if c.ppid != PPID_DCEP]
    assert [(c.stream_id, c.ssn, c.ppid, c.user_data) for c in user] == [
        (1, 1, PPID_STRING, b"hello from chromium"),
        (1, 2, PPID_BINARY, b"\x01\x02\x03\x04"),
        (1, 3, PPID_STRING_EMPTY, b"\x00"),  # empty messages carry one byte (RFC 8831 §6.6)
        (1, 4, PPID_BINARY_EMPTY, b"\x00"),
        (3, 1, PPID_STRING, b"unordered hello"),
    ]
    tsns = [c.tsn for c in data_chunks("chromium_offers")]
    assert tsns == list(range(tsns[0], tsns[0] + 7))
    # Every message fits in one chunk (B+E). Even the unordered channel's message went ordered
    # (no U bit, SSN 1): Chromium sent it before pyrtc's DATA_CHANNEL_ACK arrived, and until
    # then the channel's messages must be ordered (RFC 8832 §6).
    assert [c.flags for c in user] == [0x03] * 5


def test_dcep_ack_and_echo_when_pyrtc_offers() -> None:
    chunks = data_chunks("pyrtc_offers")
    assert [(c.stream_id, c.ppid, c.user_data) for c in chunks] == [
        # Chromium answers with a=setup:active: pyrtc is the DTLS server and opens stream 1.
        (1, PPID_DCEP, ACK),
        (1, PPID_STRING, b"echo me"),
    ]
    # The ACK is bundled behind a SACK of pyrtc's DATA_CHANNEL_OPEN.
    assert kinds(PACKETS["pyrtc_offers"][5]) == ["SackChunk", "DataChunk"]


@pytest.mark.parametrize("session", list(SESSIONS))
def test_sacks(session: str) -> None:
    sacks = [c for p in PACKETS[session] for c in p.chunks if isinstance(c, SackChunk)]
    assert sacks
    for sack in sacks:
        assert sack.gaps == [] and sack.duplicates == []
        assert 0 < sack.a_rwnd <= 5 * 1024 * 1024


def test_stream_reset_when_chromium_closes_a_channel() -> None:
    request, response = PACKETS["chromium_offers"][-2:]
    [chunk] = request.chunks
    assert type(chunk) is ReconfigChunk
    [param] = chunk.params
    assert type(param) is OutgoingResetRequest
    assert param.streams == [1]  # the closed "fixture-reliable" channel
    assert param.last_tsn == data_chunks("chromium_offers")[-1].tsn
    [chunk] = response.chunks
    assert type(chunk) is ReconfigChunk
    [answer] = chunk.params
    assert type(answer) is ReconfigResponse
    assert answer.result == 1  # Success - Performed (RFC 6525 §4.4), for pyrtc's own request
