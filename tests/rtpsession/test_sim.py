"""Sender and receiver sessions over the deterministic simulator, with loss and delay."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from pyrtc.media import vp8_packetize
from pyrtc.rtcp import is_rtcp
from pyrtc.rtp import RtpPacket
from pyrtc.rtpsession import (
    FrameReceived,
    KeyframeRequested,
    ReceiverReportReceived,
    RtpReceiver,
    RtpSender,
    RtpSession,
    SenderReportReceived,
    TransportFeedbackReceived,
)
from pyrtc.sim import Link, PairEndpoint, Simulator, TraceRecord

from .helpers import SENDER_SSRC, send_video, video_pair, vp8_frame


class Run(NamedTuple):
    sim: Simulator
    a: PairEndpoint[RtpSession]
    b: PairEndpoint[RtpSession]
    sender: RtpSender
    receiver: RtpReceiver
    frames: int


def run_video(
    seconds: float, link: Link, *, seed: int = 5, rtx: bool = True, nack: bool = True
) -> Run:
    """Send 30 fps VP8 for ``seconds`` over ``link``, then let the feedback settle 1 s."""
    sim = Simulator(seed=seed)
    send_session, sender, recv_session, receiver = video_pair(rtx=rtx, nack=nack)
    a, b = sim.add_pair(send_session, recv_session, link=link)
    frames = int(seconds * 30)
    for index in range(frames):
        sim.call_at(index / 30, lambda i=index: send_video(sender, i, sim.now))
    sim.run_for(seconds + 1.0)
    return Run(sim, a, b, sender, receiver, frames)


def test_nack_rtx_recovers_every_lost_packet_at_5_percent_loss() -> None:
    run = run_video(6.0, Link(delay=0.04, loss=0.05))
    received = run.b.events_of(FrameReceived)
    assert [e.frame.data for e in received] == [vp8_frame(i) for i in range(run.frames)]
    assert not any(e.frame.lost for e in received)
    dropped = run.sim.link(run.a.address[0], run.b.address[0]).stats.dropped
    assert dropped > 20  # losses happened (RTP, RTX and RTCP alike)
    sender, receiver = run.sender, run.receiver
    assert sender.retransmitted_packets_sent >= 20
    assert 20 <= receiver.retransmitted_packets_received <= sender.retransmitted_packets_sent
    assert receiver.nack_count > 0 and sender.nack_count > 0
    # every media packet was eventually received: nothing is counted lost
    assert receiver.statistics.packets_lost <= 0
    assert receiver.statistics.expected == sender.packets_sent


def test_plain_retransmission_without_rtx() -> None:
    run = run_video(4.0, Link(delay=0.04, loss=0.05), rtx=False)
    received = run.b.events_of(FrameReceived)
    assert [e.frame.data for e in received] == [vp8_frame(i) for i in range(run.frames)]
    assert run.sender.retransmitted_packets_sent > 0
    assert run.receiver.retransmitted_packets_received == 0  # no RTX stream
    # a retransmission counts as the packet received: nothing lost in the end
    assert run.receiver.packets_received >= run.sender.packets_sent
    assert run.receiver.statistics.packets_lost <= 0


def test_sr_rr_round_trip_time_matches_the_simulated_delay() -> None:
    run = run_video(5.0, Link(delay=0.04))
    reports = run.a.events_of(ReceiverReportReceived)
    rtts = [r.round_trip_time for r in reports if r.round_trip_time is not None]
    assert len(rtts) >= 3
    for rtt in rtts:
        assert abs(rtt - 0.08) < 0.001  # 2 x 40 ms, NTP compact form is 1/65536 s
    assert all(r.fraction_lost == 0 and r.packets_lost == 0 for r in reports)
    assert abs((run.sender.round_trip_time or 0) - 0.08) < 0.001
    srs = run.b.events_of(SenderReportReceived)
    assert len(srs) >= 3
    assert all(0 < sr.packet_count <= run.sender.packets_sent for sr in srs)
    assert [sr.packet_count for sr in srs] == sorted(sr.packet_count for sr in srs)
    # one-way media: the receive side has no sender of its own, so no RTT to share
    assert run.receiver.jitter_buffer.rtt == 0.1 and run.receiver.round_trip_time is None


def test_receive_only_side_gets_rtt_from_xr_rrtr_dlrr() -> None:
    sim = Simulator(seed=4)
    send_session, sender, recv_session, receiver = video_pair(rrtr=True)
    sim.add_pair(send_session, recv_session, link=Link(delay=0.025))
    for index in range(120):
        sim.call_at(index / 30, lambda i=index: send_video(sender, i, sim.now))
    sim.run_for(5.0)
    assert receiver.round_trip_time_measurements >= 2
    assert receiver.round_trip_time is not None and abs(receiver.round_trip_time - 0.05) < 0.001
    assert receiver.jitter_buffer.rtt == receiver.round_trip_time
    remote = receiver.stats()[1]
    assert remote["type"] == "remote-outbound-rtp" and remote["roundTripTime"] > 0


def is_media(data: bytes) -> bool:
    return not is_rtcp(data) and RtpPacket.parse(data).ssrc == SENDER_SSRC


def test_fraction_lost_and_cumulative_loss_without_repair() -> None:
    dropped: list[int] = []

    def drop(index: int, data: bytes) -> bool:
        if is_media(data) and index % 10 == 3:
            dropped.append(RtpPacket.parse(data).sequence_number)
            return True
        return False

    run = run_video(3.0, Link(delay=0.02, drop=drop), nack=False)
    reports = run.a.events_of(ReceiverReportReceived)
    assert len(reports) >= 3
    assert run.sender.retransmitted_packets_sent == 0
    for report in reports[1:]:
        # a tenth of the datagrams, nearly all RTP: about 10 % of the media packets lost
        assert 0.08 < report.fraction_lost < 0.13
    last = reports[-1]
    highest = last.highest_sequence & 0xFFFF
    first = run.receiver.statistics.base_seq
    lost = [seq for seq in dropped if (seq - first) & 0xFFFF <= (highest - first) & 0xFFFF]
    assert last.packets_lost == len(lost)


def test_bidirectional_sessions_share_rtt_with_their_receivers() -> None:
    sim = Simulator(seed=2)
    session_a, sender_a, session_b, receiver_b = video_pair(seed=1)
    other_b, sender_b, other_a, receiver_a = video_pair(seed=2, ssrc_base=1)
    session_a.add_receiver(other_a.receivers[0])
    session_b.add_sender(other_b.senders[0])
    sim.add_pair(session_a, session_b, link=Link(delay=0.03))
    for index in range(90):
        now = index / 30
        sim.call_at(now, lambda i=index: send_video(sender_a, i, sim.now))
        sim.call_at(now + 0.001, lambda i=index: send_video(sender_b, i, sim.now))
    sim.run_for(4.0)
    assert receiver_a is session_a.receivers[0] and receiver_b is session_b.receivers[0]
    for receiver in (receiver_a, receiver_b):
        assert abs(receiver.jitter_buffer.rtt - 0.06) < 0.001
        assert receiver.frames_received == 90


def test_transport_wide_feedback_matches_arrivals() -> None:
    sim = Simulator(seed=3)
    send_session, sender, recv_session, _ = video_pair()
    a, b = sim.add_pair(send_session, recv_session, link=Link(delay=0.03, jitter=0.01, loss=0.05))
    arrivals: dict[int, float] = {}
    sends: dict[int, tuple[float, int]] = {}

    def trace(record: TraceRecord) -> None:
        if is_rtcp(record.data) or record.kind not in ("send", "deliver"):
            return
        value = RtpPacket.parse(record.data).extensions[3]
        number = int.from_bytes(value, "big")
        if record.kind == "deliver" and record.dst == b.address:
            arrivals[number] = record.time
        elif record.kind == "send" and record.src == a.address:
            sends[number] = (record.time, len(record.data))

    sim.add_tracer(trace)
    for index in range(30):
        sim.call_at(index / 30, lambda i=index: send_video(sender, i, sim.now))
    sim.run_for(1.5)
    feedback = [e.feedback for e in a.events_of(TransportFeedbackReceived)]
    assert len(feedback) >= 8  # about every 100 ms while packets arrive
    reported: dict[int, int | None] = {}
    for packet in feedback:
        for status in packet.packets:
            if status.receive_time_us is not None or status.sequence_number not in reported:
                reported[status.sequence_number] = status.receive_time_us
    sent = send_session.transport_sequence.value  # transport seqs 0 .. sent-1 were used
    assert set(arrivals) <= set(range(sent)) and len(arrivals) < sent  # some were lost
    for seq in range(min(reported), max(reported) + 1):
        if seq in arrivals:
            time_us = reported[seq]
            assert time_us is not None and abs(time_us - arrivals[seq] * 1e6) <= 125
        else:
            assert reported[seq] is None
    assert max(reported) == max(arrivals) and min(reported) == min(arrivals)
    assert [p.fb_pkt_count for p in feedback] == list(range(len(feedback)))
    # the events match every reported packet with its send time and size
    matched = [m for e in a.events_of(TransportFeedbackReceived) for m in e.packets]
    assert len(matched) == sum(len(p.packets) for p in feedback)
    for m in matched:
        assert (m.send_time, m.size) == sends[m.sequence_number]
        if m.receive_time is None:
            assert m.sequence_number not in arrivals or reported[m.sequence_number] is not None
        else:
            assert abs(m.receive_time - arrivals[m.sequence_number]) <= 125e-6


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_recovery_with_jitter_reordering_and_duplicates(seed: int) -> None:
    link = Link(delay=0.03, jitter=0.01, loss=0.05, reorder=0.02, duplicate=0.01)
    run = run_video(4.0, link, seed=seed)
    received = run.b.events_of(FrameReceived)
    assert [e.frame.data for e in received] == [vp8_frame(i) for i in range(run.frames)]
    assert run.sender.retransmitted_packets_sent > 0
    stats = run.receiver.statistics
    assert stats.expected == run.sender.packets_sent
    assert stats.packets_lost <= 0  # duplicates may make it negative, as RFC 3550 counts them
    assert run.receiver.stats()[0]["jitter"] > 0


def test_pli_closes_the_loop_to_a_new_keyframe() -> None:
    """The first keyframe is lost and NACK is off: the receiver's PLI makes the sender's
    application encode a keyframe, after which frames flow."""
    sim = Simulator(seed=6)
    send_session, sender, recv_session, receiver = video_pair(nack=False)
    keyframe_wanted = [True]
    keyframes: list[int] = []

    def on_event(now: float, event: object) -> None:
        if isinstance(event, KeyframeRequested):
            keyframe_wanted[0] = True

    def send(index: int) -> None:
        key = keyframe_wanted[0]
        keyframe_wanted[0] = False
        if key:
            keyframes.append(index)
        frame = (b"\x10" if key else b"\x11") + bytes([index]) * 2000
        sender.send_frame(vp8_packetize(frame, mtu=1000), 3000 * index, sim.now, keyframe=key)

    lost_first_frame = Link(delay=0.02, drop=lambda index, data: index < 3)  # frame 0: 3 packets
    a, b = sim.add_pair(send_session, recv_session, link=lost_first_frame, on_event=on_event)
    for index in range(60):
        sim.call_at(index / 30, lambda i=index: send(i))
    sim.run_for(3.0)
    requests = a.events_of(KeyframeRequested)
    assert requests and requests[0] == KeyframeRequested(SENDER_SSRC, "pli")
    assert sender.key_frames_sent == 2 and sender.pli_count >= 1 and receiver.pli_count >= 1
    frames = [e.frame for e in b.events_of(FrameReceived)]
    assert frames and frames[0].keyframe and frames[0].data[0] == 0x10
    # the jitter buffer asks for a keyframe when none came in time (its max_delay, 0.5 s)
    assert len(keyframes) == 2 and 15 <= keyframes[1] <= 20
    assert [f.data[1] for f in frames] == list(range(keyframes[1], 60))
