"""pyrtc's SCTP encodings checked by an independent decoder: Wireshark's SCTP dissector.

A full association between two ``pyrtc.sctp`` cores (INIT .. COOKIE-ACK, DATA with a DCEP
DATA_CHANNEL_OPEN, DATA, SACK, FORWARD-TSN, RE-CONFIG, SHUTDOWN .. SHUTDOWN-COMPLETE) is written
to a libpcap file as raw IPv4 (protocol 132) and read back with ``tshark``; every field tshark
reports must match what pyrtc meant to send, and tshark must find every CRC-32C correct.

Skipped when tshark is not installed, except under ``CI`` where it is required (``.ci/run``
installs Debian's ``tshark``): there the missing tool fails the test.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from pyrtc.datachannel import DataChannelOpen
from pyrtc.datachannel.dcep import ACK, PPID_DCEP, PPID_STRING
from pyrtc.sctp import Association, SctpConfig
from pyrtc.sctp.chunks import DATA, DataChunk, parse_packet
from pyrtc.sctp.pair import MemoryPair

CLIENT_PORT, SERVER_PORT = 5000, 5001
CLIENT_IP, SERVER_IP = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 1])
LOST_PPID = 54  # the partially reliable message the test loses, so that FORWARD-TSN follows
OPEN = DataChannelOpen(0x00, 256, 0, "chat", "proto")
FIELDS = [
    "frame.number",
    "sctp.srcport",
    "sctp.dstport",
    "sctp.verification_tag",
    "sctp.checksum.status",
    "sctp.chunk_type",
    "sctp.init_nr_out_streams",
    "sctp.init_credit",
    "sctp.initack_nr_out_streams",
    "sctp.initack_credit",
    "sctp.parameter_type",
    "sctp.data_tsn_raw",
    "sctp.data_sid",
    "sctp.data_ssn",
    "sctp.data_payload_proto_id",
    "sctp.sack_cumulative_tsn_ack_raw",
    "sctp.forward_tsn_tsn",
    "sctp.parameter_reconfig_sid",
    "sctp.parameter_senders_last_assigned_tsn",
    "sctp.parameter_reconfig_response_result",
    "sctp.shutdown_cumulative_tsn_ack",
    "rtcdc.message_type",
    "rtcdc.channel_type",
    "rtcdc.priority",
    "rtcdc.label",
    "rtcdc.protocol",
]


def _tshark() -> str:
    found = shutil.which("tshark")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is required under CI (apt-get install tshark)")
        pytest.skip("tshark is not installed (apt-get install tshark)")
    return found


def association_packets() -> list[bytes]:
    """Every packet of one scripted association, in the order it was sent."""
    sent: list[bytes] = []
    lost = [False]

    def record(packet: bytes) -> bool:
        sent.append(packet)
        chunks = parse_packet(packet).chunks
        drop = not lost[0] and any(isinstance(c, DataChunk) and c.ppid == LOST_PPID for c in chunks)
        lost[0] = lost[0] or drop
        return drop

    client = Association(SctpConfig(local_port=CLIENT_PORT, remote_port=SERVER_PORT))
    server = Association(SctpConfig(local_port=SERVER_PORT, remote_port=CLIENT_PORT))
    pair = MemoryPair(client, server, drop=record)
    client.connect()
    assert pair.run(lambda: client.established and server.established)
    client.send(0, OPEN.encode(), PPID_DCEP)
    assert pair.run(lambda: len(pair.server_events) >= 2)  # established + the OPEN
    server.send(0, ACK, PPID_DCEP)
    client.send(0, b"hello tshark", PPID_STRING)
    client.send(1, b"lost", LOST_PPID, ordered=False, max_retransmits=0)
    assert pair.run(lambda: lost[0] and client.stats().abandoned_messages > 0)
    assert pair.run(lambda: _has_chunk(sent, 192))  # FORWARD-TSN
    client.reset_streams([0])
    assert pair.run(lambda: _has_chunk(sent, 130, count=2))  # request and response
    client.shutdown()
    assert pair.run(lambda: _has_chunk(sent, 14))  # SHUTDOWN-COMPLETE
    return sent


def _has_chunk(packets: list[bytes], kind: int, count: int = 1) -> bool:
    return sum(_chunk_types(p).count(kind) for p in packets) >= count


def _chunk_types(packet: bytes) -> list[int]:
    types, pos = [], 12
    while pos + 4 <= len(packet):
        kind, _, length = struct.unpack_from("!BBH", packet, pos)
        types.append(kind)
        pos += length + (-length % 4)
    return types


def ipv4(packet: bytes, ident: int) -> bytes:
    """A minimal IPv4 header (RFC 791) carrying ``packet`` as protocol 132 (SCTP)."""
    client_sent = struct.unpack_from("!H", packet)[0] == CLIENT_PORT
    src, dst = (CLIENT_IP, SERVER_IP) if client_sent else (SERVER_IP, CLIENT_IP)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(packet), ident, 0, 64, 132, 0, src, dst)
    total = sum(struct.unpack("!10H", header))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return header[:10] + struct.pack("!H", ~total & 0xFFFF) + header[12:] + packet


def write_pcap(path: Path, packets: list[bytes]) -> None:
    """libpcap file, link type 101 (LINKTYPE_RAW: each record starts with the IP header)."""
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for i, packet in enumerate(packets):
            frame = ipv4(packet, i + 1)
            f.write(struct.pack("<IIII", 0, i * 1000, len(frame), len(frame)) + frame)


@pytest.fixture(scope="module")
def decoded(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], list[dict[str, str]]]:
    _tshark()
    packets = association_packets()
    path = tmp_path_factory.mktemp("tshark") / "association.pcap"
    write_pcap(path, packets)
    return packets, run_tshark(path)


def run_tshark(path: Path) -> list[dict[str, str]]:
    """tshark's reading of ``path``: one dict per frame, repeated fields joined by commas."""
    command = [_tshark(), "-n", "-r", str(path), "-T", "fields"]
    command += ["-o", "sctp.checksum:CRC-32c", "-o", "sctp.relative_tsns:FALSE"]
    command += ["-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=/t"]
    for name in FIELDS:
        command += ["-e", name]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    return [dict(zip(FIELDS, line.split("\t"), strict=True)) for line in out.splitlines()]


def ints(value: str) -> list[int]:
    return [int(v, 0) for v in value.split(",") if v]


def test_every_packet_decoded_with_a_good_checksum(
    decoded: tuple[list[bytes], list[dict[str, str]]],
) -> None:
    packets, rows = decoded
    assert len(rows) == len(packets) > 10
    for packet, row in zip(packets, rows, strict=True):
        assert row["sctp.checksum.status"] == "1"  # Wireshark's PROTO_CHECKSUM_E_GOOD
        assert ints(row["sctp.chunk_type"]) == _chunk_types(packet)
        header = parse_packet(packet)
        assert int(row["sctp.srcport"]) == header.source_port
        assert int(row["sctp.dstport"]) == header.destination_port
        assert int(row["sctp.verification_tag"], 0) == header.verification_tag


def test_the_whole_association_is_there(
    decoded: tuple[list[bytes], list[dict[str, str]]],
) -> None:
    _, rows = decoded
    seen = [kind for row in rows for kind in ints(row["sctp.chunk_type"])]
    # INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK open it; SHUTDOWN, -ACK, -COMPLETE close it.
    assert seen[:4] == [1, 2, 10, 11]
    assert seen[-3:] == [7, 8, 14]
    assert {DATA, 3, 192, 130} <= set(seen)


def test_init_fields(decoded: tuple[list[bytes], list[dict[str, str]]]) -> None:
    _, rows = decoded
    init, init_ack = rows[0], rows[1]
    for row, prefix in ((init, "sctp.init_"), (init_ack, "sctp.initack_")):
        assert int(row[prefix + "nr_out_streams"]) == 65535
        assert int(row[prefix + "credit"]) == 1024 * 1024
        # Forward-TSN-Supported (0xc000) and Supported Extensions (0x8008) in both.
        assert {0xC000, 0x8008} <= set(ints(row["sctp.parameter_type"]))
    assert 7 in ints(init_ack["sctp.parameter_type"])  # State Cookie


def test_data_and_dcep(decoded: tuple[list[bytes], list[dict[str, str]]]) -> None:
    packets, rows = decoded
    ours = [c for p in packets for c in parse_packet(p).chunks if isinstance(c, DataChunk)]
    theirs = [
        (tsn, sid, ssn, ppid)
        for row in rows
        for tsn, sid, ssn, ppid in zip(
            ints(row["sctp.data_tsn_raw"]),
            ints(row["sctp.data_sid"]),
            ints(row["sctp.data_ssn"]),
            ints(row["sctp.data_payload_proto_id"]),
            strict=True,
        )
    ]
    assert theirs == [(c.tsn, c.stream_id, c.ssn, c.ppid) for c in ours]
    # OPEN, then "hello" bundled with the lost message, the ACK, "hello" retransmitted.
    assert [ppid for *_, ppid in theirs] == [
        PPID_DCEP,
        PPID_STRING,
        LOST_PPID,
        PPID_DCEP,
        PPID_STRING,
    ]
    [opened] = [row for row in rows if row["rtcdc.label"]]
    assert int(opened["rtcdc.message_type"], 0) == 3  # DATA_CHANNEL_OPEN
    assert int(opened["rtcdc.channel_type"], 0) == OPEN.channel_type
    assert int(opened["rtcdc.priority"]) == OPEN.priority
    assert (opened["rtcdc.label"], opened["rtcdc.protocol"]) == ("chat", "proto")
    acks = [row for row in rows if row["rtcdc.message_type"] and not row["rtcdc.label"]]
    assert [int(row["rtcdc.message_type"], 0) for row in acks] == [2]  # DATA_CHANNEL_ACK


def test_sack_forward_tsn_reconfig_shutdown(
    decoded: tuple[list[bytes], list[dict[str, str]]],
) -> None:
    packets, rows = decoded
    data = [c for p in packets for c in parse_packet(p).chunks if isinstance(c, DataChunk)]
    client_tsns = {c.tsn for c in data if c.ppid != PPID_DCEP or c.user_data != ACK}
    lost_tsn = next(c.tsn for c in data if c.ppid == LOST_PPID)
    sacked = {tsn for row in rows for tsn in ints(row["sctp.sack_cumulative_tsn_ack_raw"])}
    assert max(client_tsns) in sacked
    [forward] = [row for row in rows if row["sctp.forward_tsn_tsn"]]
    assert ints(forward["sctp.forward_tsn_tsn"]) == [lost_tsn]
    [request] = [row for row in rows if row["sctp.parameter_reconfig_sid"]]
    assert ints(request["sctp.parameter_reconfig_sid"]) == [0]
    assert ints(request["sctp.parameter_senders_last_assigned_tsn"]) == [max(client_tsns)]
    [response] = [row for row in rows if row["sctp.parameter_reconfig_response_result"]]
    assert ints(response["sctp.parameter_reconfig_response_result"]) == [1]  # performed
    [shutdown] = [row for row in rows if row["sctp.shutdown_cumulative_tsn_ack"]]
    server_tsns = [c.tsn for c in data if c.user_data == ACK]
    assert ints(shutdown["sctp.shutdown_cumulative_tsn_ack"]) == server_tsns


def test_tshark_sees_a_corrupted_checksum(tmp_path: Path) -> None:
    """The checksum check is live: one flipped payload bit makes tshark report it bad."""
    _tshark()
    [init, *_] = association_packets()
    corrupted = bytearray(init)
    corrupted[-1] ^= 0x01
    write_pcap(tmp_path / "bad.pcap", [init, bytes(corrupted)])
    assert [row["sctp.checksum.status"] for row in run_tshark(tmp_path / "bad.pcap")] == ["1", "0"]
