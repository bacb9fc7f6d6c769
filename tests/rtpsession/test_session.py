"""RtpSession: demultiplexing, routing by SSRC, transport feedback events, bad input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.rtcp import (
    DlrrReport,
    FirEntry,
    RtcpByePacket,
    RtcpFirPacket,
    RtcpNackPacket,
    RtcpPacket,
    RtcpPliPacket,
    RtcpReceiverInfo,
    RtcpRembPacket,
    RtcpRrPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtcpTransportCcPacket,
    RtcpXrPacket,
    TwccPacketStatus,
    XrDlrrBlock,
    XrRrtrBlock,
    is_rtcp,
    ntp_middle32,
    parse_compound,
    serialize_compound,
)
from pyrtc.rtp import RtpPacket
from pyrtc.rtpsession import (
    BitrateEstimateReceived,
    ByeReceived,
    KeyframeRequested,
    RtpSender,
    RtpSession,
    SenderReportReceived,
    TransportFeedbackReceived,
)
from pyrtc.rtpsession.reports import delay_since
from pyrtc.sansio import Event

from .helpers import RECEIVER_SSRC, SENDER_SSRC, video_pair


def drain(session: RtpSession) -> list[Event]:
    out = []
    while (event := session.next_event()) is not None:
        out.append(event)
    return out


def test_compound_rtcp_is_routed_by_ssrc() -> None:
    send_session, sender, recv_session, receiver = video_pair()
    peer = 0x7777
    compound = serialize_compound(
        [
            RtcpSrPacket(SENDER_SSRC, RtcpSenderInfo(1 << 32, 90000, 5, 500)),
            RtcpPliPacket(peer, SENDER_SSRC),
            RtcpFirPacket(peer, [FirEntry(SENDER_SSRC, 1)]),
            RtcpRembPacket(peer, 1_000_000, [SENDER_SSRC]),
            RtcpTransportCcPacket(peer, SENDER_SSRC, 0, 0, [TwccPacketStatus(5, 1000)]),
            RtcpByePacket([SENDER_SSRC]),
        ]
    )
    # the sender side gets PLI/FIR/REMB/TWCC; the receiver side gets the SR and the BYE
    send_session.receive(compound, 1.0)
    recv_session.receive(compound, 1.0)
    sent_events = drain(send_session)
    assert [type(e) for e in sent_events] == [
        BitrateEstimateReceived,
        TransportFeedbackReceived,
        KeyframeRequested,  # the FIR just after the PLI is rate-limited
    ]
    assert sent_events[0] == BitrateEstimateReceived(1_000_000, (SENDER_SSRC,))
    assert sender.pli_count == 1 and sender.fir_count == 1
    # transport-level feedback is reported by any session; the streams' events follow
    assert drain(recv_session)[2:] == [
        SenderReportReceived(SENDER_SSRC, 1 << 32, 90000, 5, 500),
        ByeReceived(SENDER_SSRC, None),
    ]
    assert receiver.ended


def test_malformed_and_unknown_input_is_counted() -> None:
    _, _, recv_session, _ = video_pair()
    recv_session.receive(b"\x80\x60\x00", 0.0)  # RTP header cut short
    recv_session.receive(b"\x81\xc9\x00\x09" + bytes(8), 0.0)  # RR whose length lies
    recv_session.receive(RtpPacket(96, 0, 1, 0, 0x4242, b"x").serialize(), 0.0)
    assert (recv_session.malformed, recv_session.unknown) == (2, 1)
    assert recv_session.datagrams_to_send(0.0) == []


def test_transport_cc_feedback_is_sent_from_the_feedback_ssrc() -> None:
    _, _, recv_session, receiver = video_pair()
    packet = RtpPacket(
        96, 1, 1, 0, SENDER_SSRC, b"\x10\x00\x00\x00\x10k", extensions={3: b"\x00\x09"}
    )
    recv_session.receive(packet.serialize(), 1.0)
    timer = recv_session.get_timer()
    assert timer is not None and timer <= 1.1
    recv_session.handle_timer(1.1)
    datagrams = recv_session.datagrams_to_send(1.1)
    feedback = [
        p for d in datagrams for p in parse_compound(d) if isinstance(p, RtcpTransportCcPacket)
    ]
    assert len(feedback) == 1
    assert feedback[0].ssrc == RECEIVER_SSRC and feedback[0].media_ssrc == SENDER_SSRC
    assert feedback[0].packets == [TwccPacketStatus(9, 1_000_000)]
    assert receiver.packets_received == 1


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_random_datagrams_never_raise(data: bytes) -> None:
    send_session, _, recv_session, _ = video_pair()
    for session in (send_session, recv_session):
        session.receive(data, 0.5)
        session.receive(b"\x80" + data[1:], 0.5)  # as RTP with version 2
        session.receive(b"\x80\xc8" + data[2:], 0.5)  # as an SR
        timer = session.get_timer()
        if timer is not None:
            session.handle_timer(timer)
        session.datagrams_to_send(1.0)
        drain(session)


ssrcs = st.sampled_from([SENDER_SSRC, RECEIVER_SSRC, 0, 0xFFFFFFFF])
u32 = st.integers(0, 0xFFFFFFFF)
report_blocks = st.builds(
    RtcpReceiverInfo,
    ssrcs,
    st.integers(0, 255),
    st.integers(-(1 << 23), (1 << 23) - 1),
    u32,
    u32,
    u32,
    u32,
)
rtcp_packets = st.one_of(
    st.builds(
        RtcpSrPacket,
        ssrcs,
        st.builds(RtcpSenderInfo, st.integers(0, (1 << 64) - 1), u32, u32, u32),
        st.lists(report_blocks, max_size=3),
    ),
    st.builds(RtcpRrPacket, ssrcs, st.lists(report_blocks, max_size=3)),
    st.builds(RtcpNackPacket, ssrcs, ssrcs, st.lists(st.integers(0, 0xFFFF), max_size=40)),
    st.builds(RtcpPliPacket, ssrcs, ssrcs),
    st.builds(
        RtcpFirPacket, ssrcs, st.lists(st.builds(FirEntry, ssrcs, st.integers(0, 255)), max_size=3)
    ),
    st.builds(RtcpByePacket, st.lists(ssrcs, max_size=3)),
    st.builds(RtcpRembPacket, ssrcs, st.integers(0, 1 << 40), st.lists(ssrcs, max_size=3)),
    st.builds(
        RtcpXrPacket,
        ssrcs,
        st.lists(
            st.one_of(
                st.builds(XrRrtrBlock, st.integers(0, (1 << 64) - 1)),
                st.builds(
                    XrDlrrBlock, st.lists(st.builds(DlrrReport, ssrcs, u32, u32), max_size=2)
                ),
            ),
            max_size=2,
        ),
    ),
)


@settings(max_examples=150)
@given(st.lists(rtcp_packets, min_size=1, max_size=5), st.floats(0, 1e6))
def test_well_formed_rtcp_with_any_values_never_raises(
    packets: list[RtcpPacket], now: float
) -> None:
    send_session, sender, recv_session, _ = video_pair()
    sender.send_frame([b"\x10\x00\x00\x00\x10k"] * 3, 0, now)
    data = serialize_compound(packets)
    for session in (send_session, recv_session):
        session.receive(data, now)
        timer = session.get_timer()
        if timer is not None:
            session.handle_timer(max(timer, now))
        for datagram in session.datagrams_to_send(now):
            assert parse_compound(datagram) if is_rtcp(datagram) else RtpPacket.parse(datagram)
        drain(session)


def test_a_receiver_keeps_the_rtt_it_measured_and_the_others_get_the_senders() -> None:
    """RFC 3611 DLRR gives a receiver its own RTT; an SR/RR RTT measured by a sender of the
    same session must not overwrite it, only fill in for receivers that have none."""
    _, _, recv_session, own = video_pair(rrtr=True)
    _, sender, _, other = video_pair(ssrc_base=1)
    recv_session.add_sender(sender)  # a two-way session: its sender measures from RRs
    recv_session.add_receiver(other)
    sent = 100.0
    # our RRTR and our SR both left at ``sent``; the peer held the RRTR 20 ms and answers
    # it with a DLRR, and reports on our stream echoing the SR with DLSR 0, in one compound
    # arriving 200 ms later: RTT 180 ms for the receiver, 200 ms for the sender
    dlrr = DlrrReport(RECEIVER_SSRC, ntp_middle32(own.ntp(sent)), delay_since(0.0, 0.02))
    compound = serialize_compound(
        [
            RtcpRrPacket(0x5555, [report_about(sender, ntp_middle32(sender.ntp(sent)))]),
            RtcpXrPacket(SENDER_SSRC, [XrDlrrBlock([dlrr])]),
        ]
    )
    recv_session.receive(compound, sent + 0.2)
    assert sender.round_trip_time is not None and abs(sender.round_trip_time - 0.2) < 1e-4
    assert own.round_trip_time is not None and abs(own.round_trip_time - 0.18) < 1e-4
    assert own.jitter_buffer.rtt == own.round_trip_time
    assert other.round_trip_time is None and other.jitter_buffer.rtt == sender.round_trip_time
    # a later SR/RR RTT (500 ms) alone: the receiver with none follows it, the other keeps its own
    rr = RtcpRrPacket(0x5555, [report_about(sender, ntp_middle32(sender.ntp(sent + 1.0)))])
    recv_session.receive(serialize_compound([rr]), sent + 1.5)
    assert abs(other.jitter_buffer.rtt - 0.5) < 1e-4
    assert own.jitter_buffer.rtt == own.round_trip_time


def report_about(sender: RtpSender, lsr: int) -> RtcpReceiverInfo:
    """A report block about ``sender``'s stream echoing ``lsr`` with DLSR 0."""
    return RtcpReceiverInfo(sender.ssrc, 0, 0, 0, 0, lsr, 0)
