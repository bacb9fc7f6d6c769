"""Shared builders for the rtpsession tests: a video sender/receiver pair over RtpSessions."""

from __future__ import annotations

import random

from pyrtc.media import VP8, JitterBuffer, vp8_packetize
from pyrtc.rtp import ABS_SEND_TIME, MID, TRANSPORT_CC, HeaderExtensionsMap
from pyrtc.rtpsession import RtpReceiver, RtpSender, RtpSession

SENDER_SSRC = 0x11111111
RTX_SSRC = 0x22222222
RECEIVER_SSRC = 0x33333333
EXTENSIONS = HeaderExtensionsMap({1: MID, 2: ABS_SEND_TIME, 3: TRANSPORT_CC})


def vp8_frame(index: int, size: int = 3000) -> bytes:
    """A VP8-looking frame: the first is a keyframe (P bit clear), ``size`` bytes."""
    header = b"\x10" if index == 0 else b"\x11"
    return header + bytes([index & 0xFF]) * (size - 1)


def video_pair(
    *,
    rtx: bool = True,
    seed: int = 1,
    min_delay: float = 0.1,
    nack: bool = True,
    ssrc_base: int = 0,
    rrtr: bool = False,
) -> tuple[RtpSession, RtpSender, RtpSession, RtpReceiver]:
    """Sender side and receiver side sessions for one VP8 stream with NACK (and RTX).

    ``ssrc_base`` is added to every SSRC, so that two pairs can share sessions.
    """
    media, rtx_ssrc, feedback = (
        SENDER_SSRC + ssrc_base,
        RTX_SSRC + ssrc_base,
        RECEIVER_SSRC + ssrc_base,
    )
    rng = random.Random(seed)
    send_session = RtpSession(feedback_ssrc=media, extensions=EXTENSIONS)
    sender = RtpSender(
        media,
        96,
        90000,
        cname="sender",
        rtx_ssrc=rtx_ssrc if rtx else None,
        rtx_payload_type=97 if rtx else None,
        mid="0",
        extensions=EXTENSIONS,
        transport_sequence=send_session.transport_sequence,
        rng=rng,
    )
    send_session.add_sender(sender)
    recv_session = RtpSession(feedback_ssrc=feedback, extensions=EXTENSIONS)
    # the playout delay leaves room for one NACK round trip before a frame is due
    jb = JitterBuffer(90000, VP8, min_delay=min_delay, nack=nack)
    receiver = RtpReceiver(
        media,
        90000,
        jb,
        local_ssrc=feedback,
        cname="receiver",
        rtx_ssrc=rtx_ssrc if rtx else None,
        rtx_payload_types={97: 96} if rtx else None,
        rrtr=rrtr,
        rng=rng,
    )
    recv_session.add_receiver(receiver)
    return send_session, sender, recv_session, receiver


def send_video(sender: RtpSender, index: int, now: float, size: int = 3000) -> None:
    """Packetize and send frame ``index`` of a 30 fps stream."""
    payloads = vp8_packetize(vp8_frame(index, size), mtu=1000)
    sender.send_frame(payloads, 3000 * index, now, keyframe=index == 0)
