"""Trace records and the pcap writer of pyrtc.sim."""

from __future__ import annotations

import io
import ipaddress
import struct

from pyrtc.sim import Link, Nat, PcapWriter, Simulator, TraceRecord
from pyrtc.sim.trace import _checksum
from tests.sim.helpers import Recorder


def _fold(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def _read_pcap(blob: bytes) -> list[tuple[float, bytes]]:
    magic, major, minor, _, _, snaplen, linktype = struct.unpack_from("<IHHiIII", blob)
    assert (magic, major, minor, snaplen, linktype) == (0xA1B2C3D4, 2, 4, 65535, 101)
    packets = []
    offset = 24
    while offset < len(blob):
        seconds, micros, incl, orig = struct.unpack_from("<IIII", blob, offset)
        assert incl == orig
        packets.append((seconds + micros / 1e6, blob[offset + 16 : offset + 16 + incl]))
        offset += 16 + incl
    return packets


def test_internet_checksum_vector() -> None:
    header = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    assert _checksum(header) == 0xB861


def test_trace_records_every_step_of_a_datagram() -> None:
    sim = Simulator(seed=5)
    records: list[TraceRecord] = []
    sim.add_tracer(records.append)
    a, b = Recorder(echo=True), Recorder(echo=True)
    sim.add_endpoint(("192.0.2.1", 5000), a)
    sim.add_endpoint(("198.51.100.2", 6000), b)
    sim.set_link("192.0.2.1", "198.51.100.2", Link(delay=0.01, duplicate=1.0))
    sim.set_link("198.51.100.2", "192.0.2.1", Link(delay=0.01, drop=lambda i, d: i == 1))
    a.outbox.append((b"hi", ("198.51.100.2", 6000)))
    sim.run_for(0.015)
    lines = [str(r) for r in records]
    assert [r.kind for r in records] == [
        "send",
        "duplicate",
        "deliver",
        "send",
        "deliver",
        "send",
        "drop",
    ]
    assert lines[0] == "    0.000000 send      192.0.2.1:5000 -> 198.51.100.2:6000 2 B"
    assert lines[-1].endswith("(scripted)")
    assert records[2].time == 0.01 and records[2].size == 2


def test_pcap_has_valid_ipv4_udp_packets_with_translated_addresses() -> None:
    sim = Simulator(seed=5)
    out = io.BytesIO()
    sim.add_tracer(PcapWriter(out, kind="deliver"))
    nat = Nat("203.0.113.1")
    client, server = Recorder(echo=True), Recorder(echo=True)
    sim.add_endpoint(("10.0.0.2", 4000), client, behind=nat)
    sim.add_endpoint(("198.51.100.2", 3478), server)
    client.outbox.append((b"x" * 101, ("198.51.100.2", 3478)))
    sim.run_for(0.0035)  # three deliveries: server, client, server
    packets = _read_pcap(out.getvalue())
    assert [round(t, 6) for t, _ in packets] == [0.001, 0.002, 0.003]
    for _, packet in packets:
        assert packet[0] == 0x45 and packet[9] == 17
        assert _fold(packet[:20]) == 0xFFFF  # header checksum verifies
        (total_length,) = struct.unpack_from("!H", packet, 2)
        assert total_length == len(packet) == 20 + 8 + 101
        assert packet[28:] == b"x" * 101
    src = ipaddress.ip_address(packets[0][1][12:16])
    dst = ipaddress.ip_address(packets[0][1][16:20])
    assert (str(src), str(dst)) == ("203.0.113.1", "198.51.100.2")
    sport, dport, length, _ = struct.unpack_from("!HHHH", packets[0][1], 20)
    assert sport == nat.mappings[0].external[1] and dport == 3478 and length == 109
    # the delivery to the client shows its private address (after translation)
    assert str(ipaddress.ip_address(packets[1][1][16:20])) == "10.0.0.2"


def test_pcap_ipv6_udp_checksum_verifies() -> None:
    sim = Simulator()
    out = io.BytesIO()
    sim.add_tracer(PcapWriter(out))
    a = Recorder(echo=True)
    sim.add_endpoint(("2001:db8::1", 5000), a)
    sim.add_endpoint(("2001:db8::2", 6000), Recorder(echo=True))
    a.outbox.append((b"odd", ("2001:db8::2", 6000)))
    sim.run_for(0.0015)
    packets = _read_pcap(out.getvalue())  # a's datagram and the echo, both sends
    assert [round(t, 6) for t, _ in packets] == [0.0, 0.001]
    packet = packets[0][1]
    assert packet[0] >> 4 == 6 and packet[6] == 17
    (payload_length,) = struct.unpack_from("!H", packet, 4)
    assert payload_length == 8 + 3 == len(packet) - 40
    pseudo = packet[8:40] + struct.pack("!IxxxB", payload_length, 17)
    assert _fold(pseudo + packet[40:]) == 0xFFFF
    assert packet[48:] == b"odd"
