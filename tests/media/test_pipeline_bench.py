"""The encoded-passthrough pipeline benchmark does the work it claims, on both sides.

Correctness only (no timing): every pre-encoded VP8 frame leaves the jitter buffer
byte-identical, both sides send the same number of RTP packets, loopback drops nothing, and
the datagrams on the wire are SRTP that the other stack's implementation accepts.
"""

from __future__ import annotations

import pytest
from aiortc.codecs.vpx import Vp8Encoder

from pyrtc.bench import media
from pyrtc.media import vp8_is_keyframe, vp8_packetize
from pyrtc.rtp import RtpPacket
from pyrtc.srtp import Profile

FRAMES = media.encoded_vp8_frames()


def test_frames_are_real_vp8_keyframe_then_deltas() -> None:
    assert len(FRAMES) == media.PIPELINE_FRAMES
    key_flags = [frame[0] & 1 == 0 for frame in FRAMES]  # P bit of the VP8 frame tag
    assert key_flags == [True] + [False] * (len(FRAMES) - 1)
    assert 5_000 < len(FRAMES[0]) < 60_000  # a 640x480 keyframe at 2 Mbit/s
    assert max(len(frame) for frame in FRAMES[1:]) > 5_000


def test_both_sides_packetize_into_the_same_packets() -> None:
    for picture_id, frame in enumerate(FRAMES, start=1000):
        ours = vp8_packetize(frame, media.PIPELINE_MTU, picture_id)
        theirs = Vp8Encoder._packetize(frame, picture_id)
        assert len(ours) == len(theirs)
        assert vp8_is_keyframe(ours[0]) == (frame is FRAMES[0])


@pytest.mark.parametrize("profile", media.PIPELINE_PROFILES, ids=lambda p: p.name)
def test_pyrtc_pipeline_delivers_every_frame(profile: Profile) -> None:
    pipeline = media.PyrtcPipeline(FRAMES, profile)
    per_run = sum(len(vp8_packetize(frame, media.PIPELINE_MTU)) for frame in FRAMES)
    try:
        for run in range(1, 4):  # the first run crosses sequence number 65535 -> 0
            assert pipeline.run() == list(FRAMES)
            assert pipeline.packets_sent == run * per_run
        assert pipeline.link.dropped == 0
    finally:
        pipeline.link.close()


@pytest.mark.parametrize("profile", media.PIPELINE_PROFILES, ids=lambda p: p.name)
def test_aiortc_pipeline_delivers_every_frame(profile: Profile) -> None:
    pipeline = media.AiortcPipeline(FRAMES, profile)
    per_run = sum(len(vp8_packetize(frame, media.PIPELINE_MTU)) for frame in FRAMES)
    try:
        # aiortc's jitter buffer hands out a frame when the next frame's first packet arrives.
        assert pipeline.run() == list(FRAMES[:-1])
        assert pipeline.run() == [FRAMES[-1], *FRAMES[:-1]]
        assert pipeline.packets_sent == 2 * per_run
        assert pipeline.link.dropped == 0
    finally:
        pipeline.link.close()


@pytest.mark.parametrize("profile", media.PIPELINE_PROFILES, ids=lambda p: p.name)
def test_cases_count_one_run_of_rtp_packets(profile: Profile) -> None:
    name = media.pipeline_case_name(profile, udp=True)
    (case,) = [c for c in media.cases() if c.name == name]
    assert case.target == (5.0 if profile in media.TARGET_PROFILES else None)
    assert case.baseline is not None
    assert case.ops_per_call == sum(
        len(vp8_packetize(frame, media.PIPELINE_MTU)) for frame in FRAMES
    )


@pytest.mark.parametrize("profile", media.PIPELINE_PROFILES, ids=lambda p: p.name)
def test_wire_format_is_srtp_libsrtp_accepts(profile: Profile) -> None:
    """Capture what pyrtc's pipeline sends and unprotect it with aiortc's libsrtp policy."""
    from pylibsrtp import Policy, Session

    pipeline = media.PyrtcPipeline(FRAMES[:2], profile)
    captured: list[bytes] = []
    transfer = pipeline.link.transfer

    def capture(datagrams: list[bytes]) -> list[bytes]:
        captured.extend(datagrams)
        return transfer(datagrams)

    pipeline.link.transfer = capture  # type: ignore[method-assign]
    try:
        assert pipeline.run() == list(FRAMES[:2])
    finally:
        pipeline.link.close()
    libsrtp_profile = {
        Profile.AEAD_AES_128_GCM: Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
        Profile.AEAD_AES_256_GCM: Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
        Profile.AES_CM_128_HMAC_SHA1_80: Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    }[profile]
    key, salt = media.srtp_keys(profile)
    session = Session(
        Policy(key=key + salt, ssrc_type=Policy.SSRC_ANY_INBOUND, srtp_profile=libsrtp_profile)
    )
    packets = [RtpPacket.parse(session.unprotect(datagram)) for datagram in captured]
    assert [p.sequence_number for p in packets] == [
        (media.FIRST_SEQUENCE + i) & 0xFFFF for i in range(len(captured))
    ]
    assert {p.ssrc for p in packets} == {media.SSRC}
    assert [p.timestamp for p in packets if p.marker] == [0, media.FRAME_TICKS]


def test_in_memory_variant_does_the_same_work_without_sockets() -> None:
    profile = Profile.AEAD_AES_128_GCM
    ours = media.PyrtcPipeline(FRAMES, profile, media.MemoryLink())
    theirs = media.AiortcPipeline(FRAMES, profile, media.MemoryLink())
    assert ours.run() == list(FRAMES)
    assert theirs.run() == list(FRAMES[:-1])
    assert ours.packets_sent == theirs.packets_sent
    name = media.pipeline_case_name(profile, udp=False)
    (case,) = [c for c in media.cases() if c.name == name]
    assert case.target is None and case.ops_per_call == ours.packets_sent
