"""VP8/VP9 through libvpx's C API: decodable output, live bitrate changes, keyframes, sizes."""

from __future__ import annotations

import dataclasses
import fractions
import glob
import os
import random

import av
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from media_testkit import video_frame

from pyrtc.codecs import CodecError, VideoEncoder, get_decoder, get_encoder, vpx
from pyrtc.codecs.vpx import VpxEncoder

CODECS = ["VP8", "VP9"]


def libvpx() -> vpx.Libvpx:
    library = vpx.load()
    assert library is not None, "the PyAV wheel's libvpx should pass the layout checks"
    return library


def video_encoder(name: str, bitrate: int) -> VideoEncoder:
    encoder = get_encoder(name, bitrate)
    assert isinstance(encoder, VideoEncoder)
    return encoder


def noisy_frame(index: int, width: int = 320, height: int = 240) -> av.VideoFrame:
    """A moving ramp plus low-amplitude noise: every frame costs bits at any rate."""
    frame = av.VideoFrame(width, height, "yuv420p")
    luma = frame.planes[0]
    stride = luma.line_size
    ramp = bytes(((x + 4 * index) * 3) % 248 for x in range(stride + height))
    pattern = b"".join(ramp[y : y + stride] for y in range(height))
    noise = random.Random(index).randbytes(len(pattern)).translate(bytes(b & 7 for b in range(256)))
    # bytes below 248 plus bytes below 8 never carry: one big-integer add sums them bytewise
    total = int.from_bytes(pattern, "big") + int.from_bytes(noise, "big")
    luma.update(total.to_bytes(len(pattern), "big"))
    for plane in frame.planes[1:]:
        plane.update(bytes([(64 + 8 * index) % 256]) * plane.buffer_size)
    frame.pts = index * 3000
    frame.time_base = fractions.Fraction(1, 90000)
    return frame


def luma_difference(a: av.VideoFrame, b: av.VideoFrame) -> float:
    """Mean absolute luma difference over every 8th row."""
    total = count = 0
    for y in range(0, a.height, 8):
        row_a = bytes(a.planes[0])[y * a.planes[0].line_size :][: a.width]
        row_b = bytes(b.planes[0])[y * b.planes[0].line_size :][: b.width]
        total += sum(abs(p - q) for p, q in zip(row_a, row_b, strict=True))
        count += a.width
    return total / count


def test_library_passes_the_checks_and_reports_its_abi() -> None:
    library = libvpx()
    assert set(library.interfaces) == {"vp8", "vp9"}
    assert library.version.startswith("v1.")
    # libvpx 1.16's VPX_ENCODER_ABI_VERSION; a probe, not a table, finds it
    assert library.abi_version > 0


def test_other_libraries_and_missing_files_are_refused() -> None:
    assert vpx._load_from("/nonexistent/libvpx.so.9") is None
    libs = os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs")
    (opus,) = glob.glob(os.path.join(libs, "libopus*.so*"))
    assert vpx._load_from(opus) is None  # loads, but has no libvpx symbols


def test_a_wrong_abi_version_is_rejected_by_libvpx() -> None:
    library = libvpx()
    for wrong in (library.abi_version - 1, library.abi_version + 1):
        with pytest.raises(CodecError, match="ABI"):
            VpxEncoder(dataclasses.replace(library, abi_version=wrong), "vp8", (64, 48), 1000, 30)


@pytest.mark.parametrize("name", CODECS)
def test_sixty_frames_decode_with_ffmpeg_at_the_right_size(name: str) -> None:
    libvpx()
    encoder = video_encoder(name, 800_000)
    decoder = get_decoder(name)
    worst = 0.0
    for i in range(60):
        source = video_frame(i)
        (encoded,) = encoder.encode(source)
        assert encoded.timestamp == i * 3000
        assert encoded.keyframe == (i == 0)
        (decoded,) = decoder.decode(encoded.data, encoded.timestamp)
        assert (decoded.width, decoded.height, decoded.pts) == (320, 240, i * 3000)
        worst = max(worst, luma_difference(source, decoded))
    encoder.close()
    assert worst < 3  # the picture survives (unrelated frames differ by ~30)


@pytest.mark.parametrize("name", CODECS)
def test_bitrate_follows_the_target_live_without_keyframes(name: str) -> None:
    libvpx()
    encoder = video_encoder(name, 2_000_000)
    sizes: list[int] = []
    keyframes: list[int] = []
    for i in range(180):
        if i == 60:
            encoder.target_bitrate = 300_000
        elif i == 120:
            encoder.target_bitrate = 2_000_000
        for item in encoder.encode(noisy_frame(i)):
            sizes.append(len(item.data))
            if item.keyframe:
                keyframes.append(i)
        assert not encoder.pending_bitrate
    encoder.close()
    assert len(sizes) == 180 and keyframes == [0]
    high, low, raised = (sum(sizes[n - 30 : n]) / 30 for n in (60, 120, 180))
    assert high > 5000  # about 8300 bytes per frame at 2 Mbit/s and 30 fps
    assert low <= 0.5 * high  # 300 kbit/s is 1250 bytes; libvpx's qmax 56 floor stops above
    assert raised > 1.5 * low


@pytest.mark.parametrize("name", CODECS)
def test_request_keyframe_and_force_keyframe(name: str) -> None:
    libvpx()
    encoder = video_encoder(name, 500_000)
    flags = []
    for i in range(8):
        if i == 3:
            encoder.request_keyframe()
        flags += [item.keyframe for item in encoder.encode(video_frame(i), force_keyframe=i == 6)]
    encoder.close()
    assert flags == [True, False, False, True, False, False, True, False]


@pytest.mark.parametrize("name", CODECS)
def test_resolution_change_reopens_with_a_keyframe(name: str) -> None:
    libvpx()
    encoder = video_encoder(name, 500_000)
    decoder = get_decoder(name)
    sizes = [(320, 240)] * 3 + [(160, 120)] * 3 + [(322, 178)] * 2
    for i, (width, height) in enumerate(sizes):
        (encoded,) = encoder.encode(video_frame(i, width, height))
        assert encoded.keyframe == (i in (0, 3, 6))
        (decoded,) = decoder.decode(encoded.data, encoded.timestamp)
        assert (decoded.width, decoded.height) == (width, height)
    encoder.close()


@pytest.mark.parametrize("name", CODECS)
def test_close_then_encode_again_starts_a_new_stream(name: str) -> None:
    libvpx()
    encoder = video_encoder(name, 500_000)
    first = [e for i in range(3) for e in encoder.encode(video_frame(i))]
    encoder.close()
    encoder.close()  # idempotent
    encoder.target_bitrate = 250_000
    assert not encoder.pending_bitrate  # nothing open, nothing waits
    decoder = get_decoder(name)
    second = [e for i in range(3, 6) for e in encoder.encode(video_frame(i))]
    encoder.close()
    assert [e.keyframe for e in first + second] == [True, False, False, True, False, False]
    assert [e.timestamp for e in second] == [9000, 12000, 15000]
    for item in second:
        (decoded,) = decoder.decode(item.data, item.timestamp)
        assert (decoded.width, decoded.height) == (320, 240)


def test_other_pixel_formats_are_converted() -> None:
    libvpx()
    encoder = video_encoder("VP8", 500_000)
    source = video_frame(0).reformat(format="rgb24")
    (encoded,) = encoder.encode(source)
    encoder.close()
    assert encoded.keyframe
    assert source.format.name == "rgb24"  # the caller's frame is untouched


def test_extreme_targets_are_clamped_not_fatal() -> None:
    libvpx()
    encoder = video_encoder("VP9", 100_000_000_000)
    encoder.encode(video_frame(0))
    for target in (1, 999, 10**13):
        encoder.target_bitrate = target
        assert len(encoder.encode(video_frame(1))) == 1
    encoder.close()


@pytest.mark.parametrize("codec", ["vp8", "vp9"])
def test_direct_encoder_refuses_frames_it_cannot_take(codec: str) -> None:
    encoder = VpxEncoder(libvpx(), codec, (320, 240), 500_000, 30)
    with pytest.raises(CodecError):
        encoder.encode(video_frame(0, 160, 120), 0, keyframe=False)
    with pytest.raises(CodecError):
        encoder.encode(video_frame(0).reformat(format="yuv444p"), 0, keyframe=False)
    (encoded,) = encoder.encode(video_frame(0), 0, keyframe=False)
    assert encoded.keyframe
    encoder.close()
    with pytest.raises(CodecError):
        encoder.encode(video_frame(1), 3000, keyframe=False)
    with pytest.raises(CodecError):
        VpxEncoder(libvpx(), codec, (0, 240), 500_000, 30)


@settings(max_examples=25, deadline=None)
@given(
    codec=st.sampled_from(CODECS),
    width=st.integers(min_value=1, max_value=70),
    height=st.integers(min_value=1, max_value=70),
)
def test_any_size_round_trips(codec: str, width: int, height: int) -> None:
    libvpx()
    encoder = video_encoder(codec, 300_000)
    decoder = get_decoder(codec)
    for i in range(2):
        (encoded,) = encoder.encode(video_frame(i, width, height))
        (decoded,) = decoder.decode(encoded.data, encoded.timestamp)
        assert (decoded.width, decoded.height) == (width, height)
    encoder.close()
