"""RtpSender unit tests: numbering, extensions, history, NACK/RTX, PLI/FIR, SR, RR, BYE."""

from __future__ import annotations

import random

import pytest

from pyrtc.rtcp import (
    DlrrReport,
    FirEntry,
    RtcpByePacket,
    RtcpFirPacket,
    RtcpNackPacket,
    RtcpPliPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpSdesPacket,
    RtcpSrPacket,
    RtcpXrPacket,
    XrDlrrBlock,
    XrRrtrBlock,
    is_rtcp,
    ntp_middle32,
    parse_compound,
)
from pyrtc.rtp import (
    ABS_SEND_TIME,
    AUDIO_LEVEL,
    MID,
    REPAIRED_RTP_STREAM_ID,
    RTP_STREAM_ID,
    TRANSPORT_CC,
    HeaderExtensionsMap,
    RtpPacket,
    abs_send_time_from_seconds,
    unwrap_rtx,
)
from pyrtc.rtpsession import (
    KeyframeRequested,
    ReceiverReportReceived,
    RtpSender,
    RtpSessionError,
    TransportSequence,
)
from pyrtc.sansio import Event

SSRC = 1000
RTX = 2000
PEER = 3000
EXTMAP = HeaderExtensionsMap(
    {1: MID, 2: ABS_SEND_TIME, 3: TRANSPORT_CC, 4: RTP_STREAM_ID, 5: REPAIRED_RTP_STREAM_ID,
     6: AUDIO_LEVEL}
)  # fmt: skip


def make_sender(**kwargs: object) -> RtpSender:
    options: dict[str, object] = {"cname": "me", "rng": random.Random(1)}
    options.update(kwargs)
    return RtpSender(SSRC, 96, 90000, **options)  # type: ignore[arg-type]


def rtp(sender: RtpSender, now: float = 0.0) -> list[RtpPacket]:
    return [RtpPacket.parse(d) for d in sender.datagrams_to_send(now) if not is_rtcp(d)]


def events(sender: RtpSender) -> list[Event]:
    out = []
    while (event := sender.next_event()) is not None:
        out.append(event)
    return out


def test_frame_packets_numbering_marker_and_extensions() -> None:
    counter = TransportSequence(65535)
    sender = make_sender(mid="v", rid="hi", extensions=EXTMAP, transport_sequence=counter)
    sender.sequence_number = 65534
    sender.send_frame([b"a", b"b", b"c"], 0x1_0000_0005, 2.5)  # timestamp taken mod 2**32
    packets = rtp(sender)
    assert [p.sequence_number for p in packets] == [65534, 65535, 0]
    assert [p.marker for p in packets] == [0, 0, 1]
    assert {(p.ssrc, p.payload_type, p.timestamp) for p in packets} == {(SSRC, 96, 5)}
    assert [p.payload for p in packets] == [b"a", b"b", b"c"]
    values = [EXTMAP.decode(p.extensions) for p in packets]
    assert [v.transport_sequence_number for v in values] == [65535, 0, 1]
    assert {(v.mid, v.rtp_stream_id, v.abs_send_time) for v in values} == {
        ("v", "hi", abs_send_time_from_seconds(2.5))
    }
    assert sender.packets_sent == 3 and sender.bytes_sent == 3


def test_transport_sequence_remembers_what_was_sent() -> None:
    counter = TransportSequence(65534, history=4)
    sender = make_sender(extensions=EXTMAP, transport_sequence=counter)
    sender.send_frame([b"a", b"bb", b"ccc"], 0, 7.0)
    sizes = [len(d) for d in sender.datagrams_to_send(7.0)]
    assert [counter.lookup(n) for n in (65534, 65535, 0)] == [(7.0, size) for size in sizes]
    assert counter.lookup(1) is None and counter.value == 1
    sender.send_frame([b"d", b"e"], 0, 8.0)  # 4 slots: number 2 takes the slot of 65534
    assert counter.lookup(65534) is None and counter.lookup(0) is not None
    assert counter.lookup(2) is not None and counter.lookup(2)[0] == 8.0  # type: ignore[index]
    with pytest.raises(ValueError):
        TransportSequence(history=0)


def test_audio_level_and_unnegotiated_extensions() -> None:
    sender = make_sender(extensions=HeaderExtensionsMap({6: AUDIO_LEVEL}), mid="a")
    sender.send_frame([b"x"], 0, 0.0, audio_level=(True, 30))
    (packet,) = rtp(sender)
    assert packet.extensions == {6: bytes([0x80 | 30])}  # no MID: not in the map
    bare = make_sender()
    bare.send_frame([b"x"], 0, 0.0, audio_level=(True, 30))
    assert rtp(bare)[0].extensions == {}


def test_nack_answered_with_rtx() -> None:
    sender = make_sender(
        rtx_ssrc=RTX, rtx_payload_type=97, mid="v", rid="hi", extensions=EXTMAP,
        transport_sequence=TransportSequence(),
    )  # fmt: skip
    sender.send_frame([b"one", b"two", b"three"], 9000, 0.0)
    originals = {p.sequence_number: p for p in rtp(sender)}
    first = min(originals, key=lambda s: (s - sender.sequence_number) & 0xFFFF)
    lost = [(first + 1) & 0xFFFF, (first + 2) & 0xFFFF]
    sender.receive_rtcp(RtcpNackPacket(PEER, SSRC, lost), 0.05)
    rtx_packets = rtp(sender, 0.05)
    assert [(p.ssrc, p.payload_type) for p in rtx_packets] == [(RTX, 97), (RTX, 97)]
    assert rtx_packets[1].sequence_number == (rtx_packets[0].sequence_number + 1) & 0xFFFF
    for rtx_packet, seq in zip(rtx_packets, lost, strict=True):
        restored = unwrap_rtx(rtx_packet, 96, SSRC)
        original = originals[seq]
        assert (restored.sequence_number, restored.payload, restored.marker) == (
            seq, original.payload, original.marker
        )  # fmt: skip
        value = EXTMAP.decode(rtx_packet.extensions)
        assert (value.mid, value.rtp_stream_id, value.repaired_rtp_stream_id) == ("v", None, "hi")
        assert value.abs_send_time == abs_send_time_from_seconds(0.05)
    tcc = [EXTMAP.decode(p.extensions).transport_sequence_number for p in rtx_packets]
    assert tcc == [3, 4]  # RTX packets take new transport-wide numbers
    assert sender.nack_count == 1 and sender.retransmitted_packets_sent == 2
    assert sender.retransmitted_bytes_sent == len(b"two") + len(b"three")


def test_nack_without_rtx_resends_the_packet_and_rate_limits_by_rtt() -> None:
    sender = make_sender()
    sender.send_frame([b"p0", b"p1"], 0, 0.0)
    original = rtp(sender)[0]
    nack = RtcpNackPacket(PEER, SSRC, [original.sequence_number])
    sender.receive_rtcp(nack, 0.01)
    (again,) = rtp(sender)
    assert again.serialize() == original.serialize()
    sender.receive_rtcp(nack, 0.05)  # within the 100 ms default RTT: not again
    assert rtp(sender) == []
    sender.receive_rtcp(nack, 0.111)
    assert len(rtp(sender)) == 1
    sender.receive_rtcp(RtcpNackPacket(PEER, SSRC + 1, [original.sequence_number]), 0.5)
    sender.receive_rtcp(RtcpNackPacket(PEER, SSRC, [(original.sequence_number - 5) & 0xFFFF]), 0.5)
    assert rtp(sender) == []  # another stream's NACK, and a packet never sent
    assert sender.nack_count == 4 and sender.retransmitted_packets_sent == 2


def test_history_is_bounded_by_count_and_age() -> None:
    sender = make_sender(history_packets=10, history_age=0.5)
    for i in range(50):
        sender.send_frame([b"x" * 100], i, i * 0.001)
    assert sender.history_size == 10
    sent = rtp(sender)
    sender.receive_rtcp(RtcpNackPacket(PEER, SSRC, [p.sequence_number for p in sent]), 0.06)
    assert [p.sequence_number for p in rtp(sender)] == [p.sequence_number for p in sent[-10:]]
    sender.send_frame([b"y"], 99, 1.0)  # everything older than 0.5 s goes
    assert sender.history_size == 1
    assert [p.timestamp for p in rtp(sender, 1.0)] == [99]
    sender.receive_rtcp(RtcpNackPacket(PEER, SSRC, [sent[-1].sequence_number]), 1.0)
    assert rtp(sender, 1.0) == []
    with pytest.raises(ValueError):
        make_sender(history_packets=40000)


def test_history_answers_after_sequence_wraparound() -> None:
    sender = make_sender()
    sender.sequence_number = 65530
    for i in range(12):
        sender.send_frame([bytes([i])], i, 0.0)
    rtp(sender)
    sender.receive_rtcp(RtcpNackPacket(PEER, SSRC, [65535, 0, 3]), 0.01)
    assert [(p.sequence_number, p.payload) for p in rtp(sender)] == [
        (65535, b"\x05"), (0, b"\x06"), (3, b"\x09")
    ]  # fmt: skip


def test_pli_and_fir_become_rate_limited_keyframe_requests() -> None:
    sender = make_sender(keyframe_request_interval=0.3)
    sender.receive_rtcp(RtcpPliPacket(PEER, SSRC), 1.0)
    sender.receive_rtcp(RtcpPliPacket(PEER, SSRC), 1.1)  # within 300 ms: no new event
    sender.receive_rtcp(RtcpPliPacket(PEER, SSRC + 1), 1.5)  # not ours
    sender.receive_rtcp(RtcpPliPacket(PEER, SSRC), 1.31)
    assert events(sender) == [KeyframeRequested(SSRC, "pli"), KeyframeRequested(SSRC, "pli")]
    assert sender.pli_count == 3
    fir = RtcpFirPacket(PEER, [FirEntry(SSRC + 1, 0), FirEntry(SSRC, 7)])
    sender.receive_rtcp(fir, 2.0)
    sender.receive_rtcp(fir, 2.5)  # the same command repeated (RFC 5104 §4.3.1.2): ignored
    sender.receive_rtcp(RtcpFirPacket(PEER, [FirEntry(SSRC, 8)]), 2.6)
    assert events(sender) == [KeyframeRequested(SSRC, "fir"), KeyframeRequested(SSRC, "fir")]
    assert sender.fir_count == 2


def test_sender_report_on_the_rtcp_interval() -> None:
    sender = make_sender(rtcp_interval=1.0, ntp_offset=1000.0)
    assert sender.get_timer() is None  # nothing to report before the first frame
    sender.send_frame([b"a" * 10, b"b" * 20], 90000, 10.0)
    first = sender.get_timer()
    assert first is not None and 10.0 + 0.5 * 0.5 / 1.22 <= first <= 10.0 + 0.5 * 1.5 / 1.21
    sender.handle_timer(first - 0.001)  # early: nothing
    rtp(sender)
    assert sender.datagrams_to_send(first) == []
    sender.handle_timer(first)
    (datagram,) = sender.datagrams_to_send(first)
    sr, sdes = parse_compound(datagram, strict=True)
    assert isinstance(sr, RtcpSrPacket) and isinstance(sdes, RtcpSdesPacket)
    assert sr.ssrc == SSRC and sr.reports == []
    info = sr.sender_info
    assert info.ntp_timestamp == sender.ntp(first)
    assert abs(info.ntp_timestamp / 2**32 - (first + 1000.0)) < 1e-9
    assert info.rtp_timestamp == 90000 + round((first - 10.0) * 90000)
    assert (info.packet_count, info.octet_count) == (2, 30)
    assert sdes.chunks[0].ssrc == SSRC and sdes.chunks[0].items == [(1, b"me")]
    following = sender.get_timer()
    assert following is not None and first + 0.41 <= following <= first + 1.24


def test_receiver_reports_give_loss_jitter_and_round_trip_time() -> None:
    sender = make_sender(ntp_offset=0.0)
    sr_time = 100.0
    lsr = ntp_middle32(sender.ntp(sr_time))
    block = RtcpReceiverInfo(SSRC, 64, 12, 0x10005, 900, lsr, 65536 // 4)  # DLSR 250 ms
    other = RtcpReceiverInfo(SSRC + 1, 0, 0, 0, 0, 0, 0)
    sender.receive_rtcp(RtcpRrPacket(PEER, [other, block]), sr_time + 0.25 + 0.08)
    sender.receive_rtcp(RtcpRrPacket(PEER, [RtcpReceiverInfo(SSRC, 0, 12, 6, 0, 0, 0)]), 101.0)
    first, second = events(sender)
    assert isinstance(first, ReceiverReportReceived)
    assert (first.ssrc, first.fraction_lost, first.packets_lost) == (SSRC, 0.25, 12)
    assert first.highest_sequence == 0x10005 and first.jitter == 900 / 90000
    assert first.round_trip_time is not None and abs(first.round_trip_time - 0.08) < 2e-5
    assert isinstance(second, ReceiverReportReceived) and second.round_trip_time is None
    assert sender.round_trip_time == first.round_trip_time
    outbound, remote = sender.stats()
    assert outbound["type"] == "outbound-rtp" and remote["type"] == "remote-inbound-rtp"
    assert remote["roundTripTime"] == first.round_trip_time
    assert remote["roundTripTimeMeasurements"] == 1 and remote["reportsReceived"] == 2


def test_rrtr_is_answered_with_dlrr_in_the_next_sender_report() -> None:
    sender = make_sender()
    sender.send_frame([b"a"], 0, 0.0)
    rtp(sender)
    ntp = 0x0001_2345_6789_0000
    sender.receive_rtcp(RtcpXrPacket(PEER, [XrRrtrBlock(ntp)]), 0.1)
    timer = sender.get_timer()
    assert timer is not None and timer > 0.1
    sender.handle_timer(timer)
    _sr, _sdes, xr = parse_compound(sender.datagrams_to_send(timer)[0], strict=True)
    assert isinstance(xr, RtcpXrPacket) and xr.ssrc == SSRC
    (block,) = xr.blocks
    assert isinstance(block, XrDlrrBlock)
    assert block.reports == [DlrrReport(PEER, ntp_middle32(ntp), round((timer - 0.1) * 65536))]
    following = sender.get_timer()
    assert following is not None
    sender.handle_timer(following)  # answered once: the next SR has no DLRR
    assert len(parse_compound(sender.datagrams_to_send(following)[0])) == 2


def test_stop_sends_bye_for_both_ssrcs_and_refuses_more_frames() -> None:
    sender = make_sender(rtx_ssrc=RTX, rtx_payload_type=97)
    sender.send_frame([b"a"], 0, 0.0)
    rtp(sender)
    sender.stop(1.0, b"done")
    (datagram,) = sender.datagrams_to_send(1.0)
    sr, _sdes, bye = parse_compound(datagram, strict=True)
    assert isinstance(sr, RtcpSrPacket)
    assert isinstance(bye, RtcpByePacket) and bye.sources == [SSRC, RTX] and bye.reason == b"done"
    assert sender.get_timer() is None
    with pytest.raises(RtpSessionError):
        sender.send_frame([b"b"], 0, 2.0)
    sender.stop(2.0)
    assert sender.datagrams_to_send(2.0) == []


def test_stop_before_sending_uses_an_empty_receiver_report() -> None:
    sender = make_sender()
    sender.stop(0.0)
    rr, _sdes, bye = parse_compound(sender.datagrams_to_send(0.0)[0], strict=True)
    assert isinstance(rr, RtcpRrPacket) and rr.reports == [] and isinstance(bye, RtcpByePacket)


def test_outbound_stats_names() -> None:
    sender = make_sender()
    sender.send_frame([b"abc"], 0, 0.0, keyframe=True)
    sender.send_frame([b"de", b"f"], 3000, 0.03)
    (outbound,) = sender.stats()
    assert outbound == {
        "type": "outbound-rtp",
        "ssrc": SSRC,
        "packetsSent": 3,
        "bytesSent": 6,
        "headerBytesSent": 36,
        "framesSent": 2,
        "keyFramesEncoded": 1,
        "retransmittedPacketsSent": 0,
        "retransmittedBytesSent": 0,
        "nackCount": 0,
        "pliCount": 0,
        "firCount": 0,
    }


def test_rtx_needs_both_ssrc_and_payload_type() -> None:
    with pytest.raises(ValueError):
        make_sender(rtx_ssrc=RTX)
