"""MediaTransport (SRTP keyed like DTLS-SRTP around one RtpSession), sans-I/O: over
``pyrtc.sim`` with 5 % loss NACK/RTX repairs every frame through SRTP; tampered and replayed
datagrams are dropped and counted."""

from __future__ import annotations

import os
import random

import pytest

from pyrtc.dtls import SrtpKeyingMaterial
from pyrtc.dtls.suites import SrtpProfile
from pyrtc.media import VP8, JitterBuffer, vp8_packetize
from pyrtc.pc.rtp import MediaFrameReceived, MediaTransport
from pyrtc.rtp import MID, TRANSPORT_CC, HeaderExtensionsMap
from pyrtc.rtpsession import RtpReceiver, RtpSender
from pyrtc.sim import Link, Simulator

EXTENSIONS = HeaderExtensionsMap({3: TRANSPORT_CC, 4: MID})


def transports(profile: SrtpProfile) -> tuple[MediaTransport, MediaTransport]:
    """The DTLS client's and the server's transports for the same exported material."""
    key = 16 if profile != SrtpProfile.AEAD_AES_256_GCM else 32
    salt = 14 if profile in (1, 2) else 12
    material = os.urandom(2 * (key + salt))
    client = SrtpKeyingMaterial.from_exported(profile, material, is_client=True)
    server = SrtpKeyingMaterial.from_exported(profile, material, is_client=False)
    return MediaTransport(client, EXTENSIONS), MediaTransport(server, EXTENSIONS)


def stream(a: MediaTransport, b: MediaTransport) -> tuple[RtpSender, RtpReceiver]:
    sender = RtpSender(
        1111,
        96,
        90000,
        cname="a",
        rtx_ssrc=2222,
        rtx_payload_type=97,
        mid="0",
        extensions=EXTENSIONS,
        transport_sequence=a.session.transport_sequence,
        rng=random.Random(1),
    )
    a.session.add_sender(sender)
    receiver = RtpReceiver(
        1111,
        90000,
        JitterBuffer(90000, VP8, min_delay=0.1),
        local_ssrc=3333,
        cname="b",
        rtx_ssrc=2222,
        rtx_payload_types={97: 96},
        rng=random.Random(2),
    )
    b.session.add_receiver(receiver)
    return sender, receiver


@pytest.mark.parametrize("profile", list(SrtpProfile), ids=lambda p: p.name)
def test_lossy_link_repaired_through_srtp(profile: SrtpProfile) -> None:
    a, b = transports(profile)
    sender, receiver = stream(a, b)
    sim = Simulator(seed=4)
    _, node_b = sim.add_pair(a, b, link=Link(delay=0.03, loss=0.05))

    def send(index: int) -> None:
        frame = (b"\x10" if index == 0 else b"\x11") + bytes([index]) * 2500
        sender.send_frame(vp8_packetize(frame, mtu=1000), 3000 * index, sim.now)

    for index in range(90):
        sim.call_at(index / 30, lambda i=index: send(i))
    sim.run_for(4.0)
    frames = node_b.events_of(MediaFrameReceived)
    assert [f.data[1] for f in frames] == list(range(90))  # every frame, in order
    assert sender.retransmitted_packets_sent > 0 and sender.nack_count > 0
    assert receiver.stats()[0]["retransmittedPacketsReceived"] > 0
    assert a.srtp_errors == b.srtp_errors == 0  # RTCP (NACK, RR, TWCC) went through SRTCP


def test_tampered_and_replayed_datagrams_are_dropped() -> None:
    a, b = transports(SrtpProfile.AEAD_AES_128_GCM)
    sender, _ = stream(a, b)
    sender.send_frame(vp8_packetize(b"\x10" + bytes(500), mtu=1000), 0, 0.0, keyframe=True)
    (datagram,) = a.datagrams_to_send(0.0)
    assert bytes(64) not in datagram  # the zero payload went out encrypted
    tampered = bytearray(datagram)
    tampered[-1] ^= 1
    b.receive(bytes(tampered), 0.01)
    assert b.srtp_errors == 1
    b.receive(datagram, 0.01)
    b.receive(datagram, 0.02)  # the replay check of RFC 3711 section 3.3.2
    assert b.srtp_errors == 2
    b.receive(b"\x80", 0.03)
    assert b.srtp_errors == 3
    now = 0.03
    while (event := b.next_event()) is None and now < 1.0:
        now = b.get_timer() or 1.0
        b.handle_timer(now)
    assert isinstance(event, MediaFrameReceived) and event.keyframe
