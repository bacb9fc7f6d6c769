"""The report pieces the sender and receiver share: DLSR/DLRR units, RTT measurement, stats."""

from __future__ import annotations

import random

from pyrtc.media import VP8, JitterBuffer
from pyrtc.rtcp import (
    DlrrReport,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtcpXrPacket,
    XrDlrrBlock,
    ntp_middle32,
    seconds_to_ntp,
)
from pyrtc.rtpsession import RtpReceiver, RtpSender
from pyrtc.rtpsession.reports import delay_since

SSRC = 1000
LOCAL = 3000


def make_receiver(jitter_buffer: JitterBuffer) -> RtpReceiver:
    return RtpReceiver(
        SSRC,
        90000,
        jitter_buffer,
        local_ssrc=LOCAL,
        cname="rx",
        rrtr=True,
        ntp_offset=0.0,
        rng=random.Random(1),
    )


def test_delay_since_counts_in_1_65536_seconds_and_saturates() -> None:
    assert delay_since(10.0, 11.5) == 98304
    assert delay_since(10.0, 10.0) == 0
    assert delay_since(0.0, 1e6) == 0xFFFFFFFF


def test_sender_and_receiver_map_now_to_ntp_with_their_offset() -> None:
    receiver = make_receiver(JitterBuffer(90000, VP8))
    sender = RtpSender(1, 96, 90000, cname="tx", ntp_offset=100.0, rng=random.Random(2))
    assert receiver.ntp(5000.25) == seconds_to_ntp(5000.25)
    assert sender.ntp(5000.25) == seconds_to_ntp(5100.25)


def test_receiver_measures_rtt_only_from_the_dlrr_entry_about_its_own_ssrc() -> None:
    jitter_buffer = JitterBuffer(90000, VP8, rtt=0.05)
    receiver = make_receiver(jitter_buffer)
    receiver.receive_rtcp(RtcpSrPacket(SSRC, RtcpSenderInfo(seconds_to_ntp(1.0), 0, 0, 0)), 4.0)
    remote = receiver.stats()[1]
    assert remote["type"] == "remote-outbound-rtp" and "roundTripTime" not in remote
    assert remote["roundTripTimeMeasurements"] == 0 and remote["totalRoundTripTime"] == 0.0

    sent = 5000.0
    lrr = ntp_middle32(receiver.ntp(sent))
    # the peer held our RRTR 20 ms; the answer is back 100 ms after it left: RTT 80 ms
    entries = [DlrrReport(LOCAL + 1, lrr, 0), DlrrReport(LOCAL, lrr, delay_since(0.0, 0.02))]
    receiver.receive_rtcp(RtcpXrPacket(SSRC, [XrDlrrBlock(entries)]), sent + 0.1)

    assert receiver.round_trip_time is not None and abs(receiver.round_trip_time - 0.08) < 1e-4
    assert receiver.round_trip_time_measurements == 1
    assert jitter_buffer.rtt == receiver.round_trip_time
    remote = receiver.stats()[1]
    assert remote["roundTripTime"] == receiver.round_trip_time
    assert remote["totalRoundTripTime"] == receiver.round_trip_time
    assert remote["roundTripTimeMeasurements"] == 1
