"""What our cores send, read by aiortc; what aiortc sends, handled by our cores."""

from __future__ import annotations

import random

from aiortc import rtp as their
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters

from pyrtc.rtcp import is_rtcp
from pyrtc.rtp import ABS_SEND_TIME, MID, TRANSPORT_CC, HeaderExtensionsMap
from pyrtc.rtpsession import ReceiverReportReceived, RtpSender, RtpSession, TransportSequence

EXTMAP = HeaderExtensionsMap({1: MID, 2: ABS_SEND_TIME, 3: TRANSPORT_CC})


def their_map() -> their.HeaderExtensionsMap:
    extmap = their.HeaderExtensionsMap()
    extmap.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=ext_id, uri=uri)
                for ext_id, uri in EXTMAP.items()
            ]
        )
    )
    return extmap


def make_sender() -> RtpSender:
    return RtpSender(
        1111, 96, 90000, cname="pyrtc", rtx_ssrc=2222, rtx_payload_type=97, mid="v",
        extensions=EXTMAP, transport_sequence=TransportSequence(40), rng=random.Random(5),
    )  # fmt: skip


def test_aiortc_reads_our_packets_extensions_and_rtx() -> None:
    sender = make_sender()
    session = RtpSession(feedback_ssrc=1111, extensions=EXTMAP)
    session.add_sender(sender)
    sender.send_frame([b"first", b"second"], 1234, 3.0)
    datagrams = session.datagrams_to_send(3.0)
    extmap = their_map()
    parsed = [their.RtpPacket.parse(d, extmap) for d in datagrams]
    assert [p.payload for p in parsed] == [b"first", b"second"]
    assert [p.marker for p in parsed] == [0, 1]
    assert [p.extensions.transport_sequence_number for p in parsed] == [40, 41]
    assert {p.extensions.mid for p in parsed} == {"v"}
    assert {p.extensions.abs_send_time for p in parsed} == {round(3.0 * (1 << 18))}

    # aiortc asks for the second packet again (its own NACK encoding)
    nack = their.RtcpRtpfbPacket(fmt=1, ssrc=3333, media_ssrc=1111)
    nack.lost = [parsed[1].sequence_number]
    session.receive(bytes(nack), 3.1)
    (rtx_data,) = session.datagrams_to_send(3.1)
    rtx = their.RtpPacket.parse(rtx_data, extmap)
    assert (rtx.ssrc, rtx.payload_type) == (2222, 97)
    original = their.unwrap_rtx(rtx, payload_type=96, ssrc=1111)
    assert (original.sequence_number, original.payload) == (parsed[1].sequence_number, b"second")
    assert rtx.extensions.transport_sequence_number == 42


def test_aiortc_parses_our_rtcp_and_we_parse_theirs() -> None:
    sender = make_sender()
    session = RtpSession(feedback_ssrc=1111, extensions=EXTMAP)
    session.add_sender(sender)
    sender.send_frame([b"x" * 100], 0, 0.0)
    session.datagrams_to_send(0.0)
    timer = session.get_timer()
    assert timer is not None
    session.handle_timer(timer)
    (compound,) = [d for d in session.datagrams_to_send(timer) if is_rtcp(d)]
    sr, sdes = their.RtcpPacket.parse(compound)
    assert isinstance(sr, their.RtcpSrPacket) and sr.ssrc == 1111
    assert (sr.sender_info.packet_count, sr.sender_info.octet_count) == (1, 100)
    assert isinstance(sdes, their.RtcpSdesPacket)
    assert sdes.chunks[0].items == [(1, b"pyrtc")]

    # an aiortc receiver report about our stream gives us its numbers
    report = their.RtcpReceiverInfo(
        ssrc=1111, fraction_lost=128, packets_lost=3, highest_sequence=77, jitter=45,
        lsr=0, dlsr=0,
    )  # fmt: skip
    session.receive(bytes(their.RtcpRrPacket(ssrc=3333, reports=[report])), timer + 0.1)
    event = session.next_event()
    assert isinstance(event, ReceiverReportReceived)
    assert (event.fraction_lost, event.packets_lost, event.highest_sequence) == (0.5, 3, 77)
    assert sender.last_report is not None and sender.last_report.jitter == 45
    pli = their.RtcpPsfbPacket(fmt=1, ssrc=3333, media_ssrc=1111)
    session.receive(bytes(pli), timer + 0.2)
    assert sender.pli_count == 1
