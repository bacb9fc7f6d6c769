"""Encoders and decoders through PyAV: round trips, keyframes, bitrate changes, bad input."""

from __future__ import annotations

import contextlib
import math
import os
from array import array
from fractions import Fraction

import av
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from media_testkit import best_correlation, mono_samples, sine_frames, video_frame

from pyrtc.codecs import (
    CODECS,
    AudioEncoder,
    CodecError,
    CodecUnavailableError,
    DecodeError,
    VideoEncoder,
    can_decode,
    can_encode,
    codec_info,
    get_decoder,
    get_encoder,
    vpx,
)
from pyrtc.codecs.audio import pcm_level
from pyrtc.errors import ParseError

VIDEO = ["VP8", "VP9", "H264", "AV1"]
AUDIO = ["opus", "PCMU", "PCMA", "G722"]


def need(name: str) -> None:
    if not can_encode(name) or not can_decode(name):
        info = codec_info(name)
        pytest.skip(f"this FFmpeg lacks {info.encoder} or all of {info.decoders}")


def video_encoder(name: str, bitrate: int = 500_000) -> VideoEncoder:
    encoder = get_encoder(name, bitrate)
    assert isinstance(encoder, VideoEncoder)
    return encoder


def test_registry_names_and_clock_rates() -> None:
    assert {name: info.clock_rate for name, info in CODECS.items()} == {
        "VP8": 90000,
        "VP9": 90000,
        "H264": 90000,
        "AV1": 90000,
        "opus": 48000,
        "PCMU": 8000,
        "PCMA": 8000,
        "G722": 8000,
    }
    assert codec_info("h264") is codec_info("H264")  # SDP names are case-insensitive
    assert codec_info("OPUS").channels == 2
    with pytest.raises(CodecUnavailableError):
        codec_info("iLBC")
    with pytest.raises(CodecUnavailableError):
        get_encoder("H265")


@pytest.mark.parametrize("name", VIDEO)
def test_video_round_trip_and_forced_keyframe(name: str) -> None:
    need(name)
    encoder = video_encoder(name)
    decoder = get_decoder(name)
    encoded = []
    decoded = []
    for i in range(8):
        out = encoder.encode(video_frame(i), force_keyframe=i == 4)
        assert len(out) == 1
        encoded.extend(out)
        for item in out:
            decoded.extend(decoder.decode(item.data, item.timestamp))
    encoder.close()
    assert [e.keyframe for e in encoded] == [True, False, False, False, True, False, False, False]
    assert [e.timestamp for e in encoded] == [3000 * i for i in range(8)]
    assert len(decoded) == 8
    for i, frame in enumerate(decoded):
        assert isinstance(frame, av.VideoFrame)
        assert (frame.width, frame.height) == (320, 240)
        assert frame.pts == 3000 * i
        assert frame.time_base == Fraction(1, 90000)


@pytest.mark.parametrize("name", VIDEO)
def test_request_keyframe_resolution_change_and_caller_frame_untouched(name: str) -> None:
    need(name)
    encoder = video_encoder(name)
    decoder = get_decoder(name)
    frame = video_frame(0)
    assert encoder.encode(frame)[0].keyframe
    assert (frame.pts, frame.pict_type) == (0, 0)
    assert not encoder.encode(video_frame(1))[0].keyframe
    encoder.request_keyframe()  # what an RTCP PLI does
    assert encoder.encode(video_frame(2))[0].keyframe
    assert not encoder.encode(video_frame(3))[0].keyframe
    small = encoder.encode(video_frame(4, 160, 120))  # a new size restarts with a keyframe
    assert small[0].keyframe
    (frame,) = decoder.decode(small[0].data, small[0].timestamp)
    assert (frame.width, frame.height) == (160, 120)


def test_frames_without_pts_and_other_pixel_formats() -> None:
    need("VP8")
    encoder = video_encoder("VP8")
    first = video_frame(0).reformat(format="rgb24")
    first.pts = None
    second = video_frame(1).reformat(format="rgb24")
    second.pts = None
    out = encoder.encode(first) + encoder.encode(second)
    assert [e.timestamp for e in out] == [0, 3000]
    with pytest.raises(CodecError):
        encoder.encode(sine_frames(1)[0])


def rate(encoder: VideoEncoder, start: int, count: int) -> tuple[int, list[bool]]:
    """Bits spent on ``count`` noisy frames from ``start``, and their keyframe flags."""
    bits = 0
    flags = []
    for i in range(start, start + count):
        for item in encoder.encode(video_frame(i, noise=True)):
            bits += 8 * len(item.data)
            flags.append(item.keyframe)
    return bits, flags


def test_h264_bitrate_follows_target_in_place_without_keyframe() -> None:
    need("H264")
    encoder = video_encoder("H264", 1_000_000)
    rate(encoder, 0, 30)
    high, _ = rate(encoder, 30, 30)
    encoder.target_bitrate = 200_000
    rate(encoder, 60, 30)  # let the VBV buffer drain
    low, flags = rate(encoder, 90, 30)
    assert not encoder.pending_bitrate
    assert flags == [False] * 30  # no keyframe was needed
    assert high > 700_000  # about 1 Mbit/s over one second
    assert low < high / 3  # about 200 kbit/s


@pytest.mark.parametrize("name", ["VP8", "VP9", "AV1"])
def test_bitrate_change_waits_for_next_keyframe_where_ffmpeg_cannot_reconfigure(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    need(name)
    monkeypatch.setattr(vpx, "load", lambda: None)  # VP8/VP9 on FFmpeg's libvpx wrapper
    encoder = video_encoder(name, 1_000_000)
    rate(encoder, 0, 15)
    high, _ = rate(encoder, 15, 30)
    encoder.target_bitrate = 150_000
    _, flags = rate(encoder, 45, 10)
    assert flags == [False] * 10  # the change alone never forces a keyframe
    assert encoder.pending_bitrate
    encoder.request_keyframe()
    _, flags = rate(encoder, 55, 20)
    assert flags[0] and not any(flags[1:])
    assert not encoder.pending_bitrate
    low, _ = rate(encoder, 75, 30)
    assert low < high / 2


def test_h264_raise_above_open_ceiling_waits_for_keyframe() -> None:
    need("H264")
    encoder = video_encoder("H264", 300_000)
    rate(encoder, 0, 5)
    encoder.target_bitrate = 250_000  # below the ceiling: in place
    rate(encoder, 5, 1)
    assert not encoder.pending_bitrate
    encoder.target_bitrate = 2_000_000
    _, flags = rate(encoder, 6, 3)
    assert flags == [False] * 3 and encoder.pending_bitrate
    encoder.request_keyframe()
    _, flags = rate(encoder, 9, 1)
    assert flags == [True] and not encoder.pending_bitrate


def test_bitrate_must_be_positive() -> None:
    need("VP8")
    encoder = video_encoder("VP8")
    with pytest.raises(CodecError):
        encoder.target_bitrate = 0


@pytest.mark.parametrize("name", AUDIO)
def test_audio_round_trip_sine(name: str) -> None:
    need(name)
    encoder = get_encoder(name)
    assert isinstance(encoder, AudioEncoder)
    decoder = get_decoder(name)
    info = codec_info(name)
    source = sine_frames(25)  # 500 ms of 440 Hz at 48 kHz stereo
    encoded = [item for frame in source for item in encoder.encode(frame)]
    assert len(encoded) >= 23
    step = info.clock_rate // 50
    assert [e.timestamp for e in encoded] == [step * i for i in range(len(encoded))]
    assert all(e.keyframe for e in encoded)
    decoded = [f for e in encoded for f in decoder.decode(e.data, e.timestamp)]
    assert decoded[1].pts == step
    assert decoded[1].time_base == Fraction(1, info.clock_rate)
    rate = decoded[0].sample_rate
    expected = 48000 if name == "opus" else 16000 if name == "G722" else 8000
    assert rate == expected
    assert all(f.format.name == "s16" for f in decoded)
    reference = mono_samples(source)[:: 48000 // rate]
    window = rate // 10  # 100 ms is plenty for a 440 Hz tone
    skip = rate // 10  # past codec start-up
    received = mono_samples(decoded)[skip : skip + window + rate // 50]
    assert best_correlation(reference[skip : skip + window], received, max_lag=rate // 50) > 0.95


def test_g711_payload_is_one_byte_per_sample() -> None:
    need("PCMU")
    encoder = get_encoder("PCMU")
    encoded = [item for frame in sine_frames(5) for item in encoder.encode(frame)]
    assert {len(e.data) for e in encoded} == {160}


@settings(max_examples=40)
@given(
    st.sampled_from(["VP8", "VP9", "H264", "AV1", "opus", "PCMU", "PCMA", "G722"]),
    st.binary(max_size=300),
)
def test_random_bytes_only_raise_decode_error(name: str, data: bytes) -> None:
    if not can_decode(name):
        return
    decoder = get_decoder(name)
    try:
        frames = decoder.decode(data, 1234)
    except DecodeError as exc:
        assert isinstance(exc, ParseError)
    else:
        assert all(f.pts is not None for f in frames)


@pytest.mark.parametrize("name", ["VP8", "H264"])
def test_truncated_frames_only_raise_decode_error(name: str) -> None:
    need(name)
    encoder = video_encoder(name)
    decoder = get_decoder(name)
    key = encoder.encode(video_frame(0))[0]
    for cut in (1, 5, len(key.data) // 2):
        with contextlib.suppress(DecodeError):  # anything else escaping fails the test
            decoder.decode(key.data[:cut], 0)
    # the decoder still works afterwards
    fresh = get_decoder(name)
    assert len(fresh.decode(key.data, 0)) == 1


@pytest.mark.parametrize("name", VIDEO)
def test_rate_control_holds_the_target(name: str) -> None:
    need(name)
    encoder = video_encoder(name, 300_000)
    rate(encoder, 0, 30)
    bits, flags = rate(encoder, 30, 30)  # the second second of 30 fps noise
    encoder.close()
    assert 150_000 < bits < 480_000  # SVT-AV1 overshoots most on noise (about 1.5x)
    assert not any(flags)


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="Linux scheduling API")
def test_encoders_leave_the_callers_scheduling_policy_alone() -> None:
    # SVT-AV1 makes its caller SCHED_FIFO when running as root; children would inherit it.
    before = os.sched_getscheduler(0)
    for name in ("VP8", "H264", "AV1"):
        encoder = get_encoder(name, 300_000)
        for number in range(3):
            frame = av.VideoFrame(320, 240, "yuv420p")
            frame.pts, frame.time_base = number, Fraction(1, 30)
            encoder.encode(frame)
        assert os.sched_getscheduler(0) == before, name


def test_pcm_level_is_rms_relative_to_full_scale() -> None:
    square = array("h", [32767, -32767] * 480).tobytes()
    assert pcm_level(square) == pytest.approx(1.0)
    assert pcm_level(bytes(1920)) == 0.0
    assert pcm_level(b"") == 0.0
    assert pcm_level(square + b"\x01") == pytest.approx(1.0)  # a stray odd byte is ignored
    half_sine = bytes(sine_frames(1, layout="mono")[0].planes[0])[:1920]
    assert pcm_level(half_sine) == pytest.approx(16000 / 32767 / math.sqrt(2), rel=0.01)


@pytest.mark.parametrize("name", AUDIO)
def test_encoded_audio_frames_carry_the_level_they_encode(name: str) -> None:
    """RFC 6464 input: each 20 ms frame's RMS level, here a sine at half of full scale
    (about -9 dBov) and then silence."""
    need(name)
    encoder = get_encoder(name)
    loud = [item for frame in sine_frames(10) for item in encoder.encode(frame)]
    expected = 16000 / 32767 / math.sqrt(2)
    assert loud and all(item.audio_level == pytest.approx(expected, rel=0.05) for item in loud[1:])
    silence = sine_frames(5)
    for frame in silence:
        frame.planes[0].update(bytes(frame.planes[0].buffer_size))
    quiet = [item for frame in silence for item in encoder.encode(frame)]
    assert quiet[-1].audio_level == 0.0


def test_video_frames_have_no_audio_level() -> None:
    encoder = video_encoder("VP8")
    (item,) = encoder.encode(video_frame(0))
    assert item.audio_level is None
