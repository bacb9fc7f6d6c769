"""TwccRecorder: feedback content, late packets, wraparound, splitting, wire round trip."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.rtcp import RtcpTransportCcPacket, parse_compound, serialize_compound
from pyrtc.rtpsession import TwccRecorder


def statuses(packets: list[RtcpTransportCcPacket]) -> list[tuple[int, int | None]]:
    return [(s.sequence_number, s.receive_time_us) for p in packets for s in p.packets]


def wire(packets: list[RtcpTransportCcPacket]) -> list[RtcpTransportCcPacket]:
    if not packets:
        return []
    parsed = parse_compound(serialize_compound(packets))
    assert all(isinstance(p, RtcpTransportCcPacket) for p in parsed)
    return parsed  # type: ignore[return-value]


def test_feedback_reports_arrivals_and_gaps_across_the_wrap() -> None:
    recorder = TwccRecorder(1, interval=0.1)
    assert not recorder.pending and recorder.feedback(2) == []
    for seq, t in [(65534, 10.0), (65535, 10.001), (1, 10.0105), (0, 10.004)]:
        recorder.record(seq, t)
    (packet,) = wire(recorder.feedback(2))
    assert (packet.ssrc, packet.media_ssrc, packet.fb_pkt_count) == (1, 2, 0)
    assert statuses([packet]) == [
        (65534, 10_000_000), (65535, 10_001_000), (0, 10_004_000), (1, 10_010_500)
    ]  # fmt: skip
    recorder.record(4, 10.2)
    (packet,) = wire(recorder.feedback(2))
    assert packet.fb_pkt_count == 1
    assert statuses([packet]) == [(2, None), (3, None), (4, 10_200_000)]


def test_a_late_packet_is_reported_again_with_its_neighbours() -> None:
    recorder = TwccRecorder(1)
    for seq in (10, 12):
        recorder.record(seq, seq / 100)
    assert statuses(recorder.feedback(0)) == [(10, 100_000), (11, None), (12, 120_000)]
    recorder.record(11, 0.2)  # arrived after it was reported lost
    assert statuses(recorder.feedback(0)) == [(11, 200_000), (12, 120_000)]
    recorder.record(11, 0.3)  # a duplicate changes nothing
    assert recorder.feedback(0) == []


def test_big_time_gaps_are_split() -> None:
    recorder = TwccRecorder(1, max_statuses=300)
    for seq in range(250):
        recorder.record(seq, 1.0 + seq * 0.001)
    packets = recorder.feedback(0)
    assert [len(p.packets) for p in packets] == [250]
    assert statuses(wire(packets)) == [(s, round((1.0 + s * 0.001) * 1e6)) for s in range(250)]
    recorder.record(250, 2.0)
    recorder.record(251, 12.0)  # 10 s later: the 16-bit delta cannot say it
    packets = wire(recorder.feedback(0))
    assert len(packets) == 2
    assert statuses(packets) == [(250, 2_000_000), (251, 12_000_000)]


def test_after_a_jump_only_the_recent_numbers_are_reported() -> None:
    recorder = TwccRecorder(1, max_statuses=100)
    recorder.record(0, 0.0)
    recorder.feedback(0)
    recorder.record(5000, 0.1)
    (packet,) = recorder.feedback(0)
    assert len(packet.packets) == 100 and packet.packets[-1] == (5000, 100_000)


def test_reference_time_wraps_its_24_bits() -> None:
    recorder = TwccRecorder(1)
    day = 600_000.0  # the 64 ms reference counter passes 2**23 after about 6.2 days
    recorder.record(7, day)
    recorder.record(8, day + 0.0125)
    (packet,) = wire(recorder.feedback(0))
    assert -(1 << 23) <= packet.reference_time < 1 << 23
    (first, second) = packet.packets
    assert second.receive_time_us is not None and first.receive_time_us is not None
    assert second.receive_time_us - first.receive_time_us == 12_500


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 0xFFFF), st.floats(0, 100, allow_nan=False)), max_size=60))
def test_any_arrivals_give_feedback_that_serializes(arrivals: list[tuple[int, float]]) -> None:
    recorder = TwccRecorder(1, max_statuses=300)
    for seq, t in arrivals:
        recorder.record(seq, t)
        if seq % 7 == 0:
            wire(recorder.feedback(0))
    wire(recorder.feedback(0))


def test_memory_is_bounded_between_feedbacks() -> None:
    recorder = TwccRecorder(1)
    for n in range(3 * 0x10000):
        recorder.record(n & 0xFFFF, n * 1e-6)
    assert len(recorder._arrivals) == 0x10000
    (packet, *_) = recorder.feedback(0)
    assert len(recorder._arrivals) <= recorder.max_statuses
    assert packet.packets[-1].sequence_number == 0xFFFF  # the last one kept
