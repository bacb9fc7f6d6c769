"""RtpReceiver unit tests: RTX unwrapping, NACK and PLI feedback, RR with LSR/DLSR, BYE."""

from __future__ import annotations

import random

from pyrtc.media import VP8, JitterBuffer, vp8_packetize
from pyrtc.rtcp import (
    RtcpByePacket,
    RtcpNackPacket,
    RtcpPliPacket,
    RtcpRrPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    ntp_middle32,
    parse_compound,
    seconds_to_ntp,
)
from pyrtc.rtp import RtpPacket, wrap_rtx
from pyrtc.rtpsession import (
    ByeReceived,
    FrameReceived,
    RtpReceiver,
    SenderReportReceived,
)
from pyrtc.sansio import Event

SSRC = 1000
RTX = 2000
LOCAL = 3000


def make_receiver(jb: JitterBuffer | None = None, **kwargs: object) -> RtpReceiver:
    options: dict[str, object] = {
        "local_ssrc": LOCAL,
        "cname": "rx",
        "rtx_ssrc": RTX,
        "rtx_payload_types": {97: 96},
        "rng": random.Random(3),
    }
    options.update(kwargs)
    jitter_buffer = jb or JitterBuffer(90000, VP8, rtt=0.05)
    return RtpReceiver(SSRC, 90000, jitter_buffer, **options)  # type: ignore[arg-type]


def frame_packets(first_seq: int, timestamp: int, data: bytes) -> list[RtpPacket]:
    payloads = vp8_packetize(data, mtu=500)
    last = len(payloads) - 1
    return [
        RtpPacket(96, i == last, (first_seq + i) & 0xFFFF, timestamp, SSRC, payload)
        for i, payload in enumerate(payloads)
    ]


def events(receiver: RtpReceiver) -> list[Event]:
    out = []
    while (event := receiver.next_event()) is not None:
        out.append(event)
    return out


def test_rtx_packet_is_unwrapped_and_completes_the_frame() -> None:
    receiver = make_receiver()
    key = b"\x10" + b"k" * 1200
    packets = frame_packets(65534, 0, key)  # wraps inside the frame
    assert len(packets) == 3
    receiver.receive(packets[0], 0.0)
    receiver.receive(packets[2], 0.001)
    (nack_datagram,) = receiver.datagrams_to_send(0.001)
    (nack,) = parse_compound(nack_datagram)  # reduced-size: the NACK alone
    assert isinstance(nack, RtcpNackPacket)
    assert (nack.ssrc, nack.media_ssrc, nack.lost) == (LOCAL, SSRC, [65535])
    rtx = wrap_rtx(packets[1], 97, 500, RTX)
    receiver.receive(rtx, 0.05)
    (event,) = [e for e in events(receiver) if isinstance(e, FrameReceived)]
    assert event.ssrc == SSRC and event.frame.data == key and event.frame.keyframe
    assert receiver.retransmitted_packets_received == 1
    assert receiver.statistics.packets_lost == 0 and receiver.packets_received == 3
    assert receiver.nack_count == 1


def test_unusable_rtx_packets_are_discarded() -> None:
    receiver = make_receiver()
    packet = frame_packets(10, 0, b"\x10" + b"k" * 100)[0]
    receiver.receive(wrap_rtx(packet, 99, 1, RTX), 0.0)  # no apt for payload type 99
    receiver.receive(RtpPacket(97, 0, 2, 0, RTX, b""), 0.0)  # padding-only probe
    receiver.receive(RtpPacket(96, 0, 2, 0, 4242, b"xx"), 0.0)  # another SSRC entirely
    assert receiver.packets_discarded == 2 and receiver.packets_received == 0
    assert receiver.get_timer() is None


def test_compound_feedback_without_rtcp_rsize() -> None:
    receiver = make_receiver(reduced_size=False)
    packets = frame_packets(100, 0, b"\x10" + b"k" * 1200)
    receiver.receive(packets[0], 0.0)
    receiver.receive(packets[2], 0.0)
    rr, sdes, nack = parse_compound(receiver.datagrams_to_send(0.0)[0], strict=True)
    assert isinstance(rr, RtcpRrPacket) and rr.ssrc == LOCAL
    assert rr.reports[0].ssrc == SSRC and rr.reports[0].highest_sequence == 102
    assert isinstance(sdes, RtcpSdesPacket) and sdes.chunks[0].items == [(1, b"rx")]
    assert isinstance(nack, RtcpNackPacket) and nack.lost == [101]


def test_nack_retries_follow_the_jitter_buffer_timing() -> None:
    receiver = make_receiver(JitterBuffer(90000, VP8, rtt=0.05, max_nack_retries=3))
    packets = frame_packets(0, 0, b"\x10" + b"k" * 1200)
    receiver.receive(packets[0], 0.0)
    receiver.receive(packets[2], 0.0)
    nack_times = []
    now = 0.0
    for _ in range(20):
        if receiver.datagrams_to_send(now):
            nack_times.append(now)
        timer = receiver.get_timer()
        if timer is None or timer > 1.0:
            break
        now = max(now, timer)
        receiver.handle_timer(now)
    # first at once, then every RTT, three in all (plus RRs on their own schedule)
    assert nack_times[:3] == [0.0, 0.05, 0.1]


def test_keyframe_requests_are_rate_limited() -> None:
    receiver = make_receiver(keyframe_request_interval=0.5)
    assert receiver.request_keyframe(1.0)
    assert not receiver.request_keyframe(1.2)
    assert receiver.request_keyframe(1.5)
    datagrams = receiver.datagrams_to_send(1.5)
    assert len(datagrams) == 2
    for datagram in datagrams:
        (pli,) = parse_compound(datagram)
        assert isinstance(pli, RtcpPliPacket) and (pli.ssrc, pli.media_ssrc) == (LOCAL, SSRC)
    assert receiver.pli_count == 2


def test_jitter_buffer_keyframe_request_becomes_a_pli() -> None:
    receiver = make_receiver()
    delta = frame_packets(0, 0, b"\x11" + b"d" * 100)  # a delta frame first: no keyframe yet
    receiver.receive(delta[0], 0.0)
    plis = [
        p
        for d in receiver.datagrams_to_send(0.0)
        for p in parse_compound(d)
        if isinstance(p, RtcpPliPacket)
    ]
    assert len(plis) == 1 and receiver.pli_count == 1


def test_receiver_report_carries_lsr_and_dlsr() -> None:
    receiver = make_receiver(rtcp_interval=1.0)
    for i, packet in enumerate(frame_packets(0, 0, b"\x10" + b"k" * 1200)):
        receiver.receive(packet, 0.001 * i)
    receiver.datagrams_to_send(0.0)
    ntp = seconds_to_ntp(5000.25)
    sr = RtcpSrPacket(SSRC, RtcpSenderInfo(ntp, 1234, 3, 1200))
    receiver.receive_rtcp(sr, 0.2)
    receiver.receive_rtcp(RtcpSrPacket(SSRC + 1, RtcpSenderInfo(1, 1, 1, 1)), 0.3)  # not ours
    assert [e for e in events(receiver) if isinstance(e, SenderReportReceived)] == [
        SenderReportReceived(SSRC, ntp, 1234, 3, 1200)
    ]
    timer = receiver.get_timer()
    assert timer is not None
    while timer is not None and timer < 0.5:  # jitter-buffer deadlines before the first RR
        receiver.handle_timer(timer)
        timer = receiver.get_timer()
    rr_time = timer or 0.0
    receiver.handle_timer(rr_time)
    rr, _sdes = parse_compound(receiver.datagrams_to_send(rr_time)[-1], strict=True)
    assert isinstance(rr, RtcpRrPacket)
    (block,) = rr.reports
    assert block.lsr == ntp_middle32(ntp)
    assert block.dlsr == round((rr_time - 0.2) * 65536)
    assert (block.fraction_lost, block.packets_lost, block.highest_sequence) == (0, 0, 2)
    inbound, remote = receiver.stats()
    assert inbound["type"] == "inbound-rtp" and inbound["packetsReceived"] == 3
    assert remote == {
        "type": "remote-outbound-rtp",
        "ssrc": SSRC,
        "packetsSent": 3,
        "bytesSent": 1200,
        "remoteTimestamp": (5000.25 - 2_208_988_800) * 1000,
        "roundTripTimeMeasurements": 0,
        "totalRoundTripTime": 0.0,
    }


def test_bye_ends_the_stream() -> None:
    receiver = make_receiver()
    receiver.receive(frame_packets(0, 0, b"\x10" + b"k" * 100)[0], 0.0)
    receiver.receive_rtcp(RtcpByePacket([SSRC + 5]), 0.1)
    assert not receiver.ended
    receiver.receive_rtcp(RtcpByePacket([SSRC, RTX], b"bye"), 0.2)
    receiver.receive_rtcp(RtcpByePacket([SSRC]), 0.3)  # a repeated BYE: one event
    assert [e for e in events(receiver) if isinstance(e, ByeReceived)] == [
        ByeReceived(SSRC, b"bye")
    ]
    assert receiver.ended and receiver.get_timer() is None
    received = receiver.packets_received
    receiver.receive(frame_packets(1, 3000, b"\x11" + b"d" * 100)[0], 0.4)
    assert receiver.packets_received == received


def test_audio_stream_without_nack() -> None:
    receiver = make_receiver(JitterBuffer(48000, min_delay=0.02), rtx_ssrc=None)
    for seq in (0, 1, 3):
        receiver.receive(RtpPacket(111, 0, seq, 960 * seq, SSRC, b"opus"), 0.02 * seq)
    now = 0.06
    for _ in range(10):
        timer = receiver.get_timer()
        if timer is None or timer > 0.2:
            break
        now = max(now, timer)
        receiver.handle_timer(now)
    frames = [e.frame for e in events(receiver) if isinstance(e, FrameReceived)]
    assert [(f.timestamp, f.lost) for f in frames] == [
        (0, False), (960, False), (1920, True), (2880, False)
    ]  # fmt: skip
    datagrams = receiver.datagrams_to_send(now)
    assert not any(isinstance(p, RtcpNackPacket) for d in datagrams for p in parse_compound(d))


def test_malformed_payloads_and_duplicates_are_discarded() -> None:
    receiver = make_receiver()
    packets = frame_packets(0, 0, b"\x10" + b"k" * 100)
    receiver.receive(packets[0], 0.0)
    receiver.receive(packets[0], 0.01)  # duplicate
    receiver.receive(RtpPacket(96, 1, 1, 3000, SSRC, b""), 0.02)  # empty VP8 payload
    assert receiver.packets_discarded == 2
    assert receiver.stats()[0]["packetsDiscarded"] == 2
