"""Typed RTP header extension values: URIs and per-value codecs (RFC 8285 elements).

:class:`pyrtc.rtp.RtpPacket` keeps extension elements raw (``{id: bytes}``). The codecs here
turn one element's bytes into a typed value and back. Each ``decode_*`` returns ``None`` for
a value of unexpected length or content (a peer sending something odd must not break
reception); each ``encode_*`` raises ``ValueError`` for a value it cannot represent.
:class:`pyrtc.rtp.HeaderExtensionsMap` (native) applies them by negotiated id.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
RTP_STREAM_ID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
REPAIRED_RTP_STREAM_ID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
TRANSPORT_CC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
PLAYOUT_DELAY = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
VIDEO_ORIENTATION = "urn:3gpp:video-orientation"
ABS_CAPTURE_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
TOFFSET = "urn:ietf:params:rtp-hdrext:toffset"


class AudioLevel(NamedTuple):
    """RFC 6464 §3: voice activity flag and level in -dBov (0 loudest, 127 silence)."""

    voice_activity: bool
    level: int


class PlayoutDelay(NamedTuple):
    """webrtc playout-delay: minimum and maximum delay in milliseconds (10 ms steps)."""

    min_ms: int
    max_ms: int


class VideoOrientation(NamedTuple):
    """3GPP TS 26.114 CVO byte: back-facing camera (C), horizontal flip (F), rotation."""

    back_camera: bool
    flip: bool
    rotation: int  # degrees clockwise: 0, 90, 180 or 270


class AbsCaptureTime(NamedTuple):
    """webrtc abs-capture-time: NTP capture time (UQ32.32) and optional clock offset (Q32.32)."""

    timestamp: int
    clock_offset: int | None = None


def _check(value: int, low: int, high: int, what: str) -> int:
    if not low <= value <= high:
        raise ValueError(f"{what} {value} is outside {low}..{high}")
    return value


def decode_sdes_string(data: bytes) -> str | None:
    """MID (RFC 9143 BUNDLE), RtpStreamId and RepairedRtpStreamId (RFC 8852 §3) values.

    Like libwebrtc, the text ends at the first NUL byte; empty or non-UTF-8 text is None.
    """
    text = data.split(b"\0", 1)[0]
    if not text:
        return None
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        return None


def encode_sdes_string(value: str) -> bytes:
    """Inverse of :func:`decode_sdes_string`: 1 to 255 UTF-8 bytes without NUL."""
    data = value.encode("utf-8")
    if not 0 < len(data) <= 255 or b"\0" in data:
        raise ValueError(f"{value!r} cannot be an SDES header extension (1-255 bytes, no NUL)")
    return data


def decode_abs_send_time(data: bytes) -> int | None:
    """abs-send-time: 24-bit 6.18 fixed-point seconds (the raw integer)."""
    if len(data) != 3:
        return None
    return int.from_bytes(data, "big")


def encode_abs_send_time(value: int) -> bytes:
    """Inverse of :func:`decode_abs_send_time` (see :func:`abs_send_time_from_seconds`)."""
    if not 0 <= value <= 0xFFFFFF:  # inline check: called for every packet sent
        raise ValueError(f"abs-send-time {value} is outside 0..{0xFFFFFF}")
    return value.to_bytes(3, "big")


def abs_send_time_from_seconds(seconds: float) -> int:
    """The abs-send-time value for a time in seconds (wraps every 64 s)."""
    return round(seconds * (1 << 18)) & 0xFFFFFF


def abs_send_time_to_seconds(value: int) -> float:
    """Seconds (0 to 64) represented by an abs-send-time value."""
    return value / (1 << 18)


def decode_transport_cc(data: bytes) -> int | None:
    """transport-wide-cc-01: the 16-bit transport-wide sequence number."""
    if len(data) != 2:
        return None
    return int.from_bytes(data, "big")


def encode_transport_cc(value: int) -> bytes:
    """Inverse of :func:`decode_transport_cc`."""
    if not 0 <= value <= 0xFFFF:  # inline check: called for every packet sent
        raise ValueError(f"transport-wide sequence number {value} is outside 0..{0xFFFF}")
    return value.to_bytes(2, "big")


def decode_audio_level(data: bytes) -> AudioLevel | None:
    """ssrc-audio-level (RFC 6464 §3): V bit and 7-bit level."""
    if len(data) != 1:
        return None
    return AudioLevel(bool(data[0] & 0x80), data[0] & 0x7F)


def audio_level_from_linear(level: float) -> int:
    """RFC 6464 §3 level (-dBov, 0 loudest .. 127 silence) of a linear RMS level where 1.0
    is 0 dBov (a full-scale square wave) and 0.0 digital silence."""
    if not level > 0.0:
        return 127
    return min(127, max(0, round(-20.0 * math.log10(min(level, 1.0)))))


def encode_audio_level(value: tuple[bool, int]) -> bytes:
    """Inverse of :func:`decode_audio_level`; accepts any ``(voice_activity, level)`` pair."""
    voice_activity, level = value
    _check(level, 0, 127, "audio level")
    return bytes([(0x80 if voice_activity else 0) | level])


def decode_playout_delay(data: bytes) -> PlayoutDelay | None:
    """playout-delay: two 12-bit delays in 10 ms units."""
    if len(data) != 3:
        return None
    bits = int.from_bytes(data, "big")
    return PlayoutDelay((bits >> 12) * 10, (bits & 0xFFF) * 10)


def encode_playout_delay(value: tuple[int, int]) -> bytes:
    """Inverse of :func:`decode_playout_delay`: delays are multiples of 10 ms up to 40950."""
    low, high = value
    for delay in (low, high):
        _check(delay, 0, 40950, "playout delay (ms)")
        if delay % 10:
            raise ValueError(f"playout delay {delay} ms is not a multiple of 10 ms")
    return ((low // 10) << 12 | (high // 10)).to_bytes(3, "big")


def decode_video_orientation(data: bytes) -> VideoOrientation | None:
    """Coordination of video orientation (3GPP TS 26.114 §7.4.5): ``0000 C F R1 R0``."""
    if len(data) != 1:
        return None
    bits = data[0]
    return VideoOrientation(bool(bits & 0x08), bool(bits & 0x04), (bits & 0x03) * 90)


def encode_video_orientation(value: VideoOrientation) -> bytes:
    """Inverse of :func:`decode_video_orientation`; rotation is 0, 90, 180 or 270."""
    if value.rotation not in (0, 90, 180, 270):
        raise ValueError(f"rotation {value.rotation} is not 0, 90, 180 or 270")
    bits = (0x08 if value.back_camera else 0) | (0x04 if value.flip else 0)
    return bytes([bits | value.rotation // 90])


def decode_abs_capture_time(data: bytes) -> AbsCaptureTime | None:
    """abs-capture-time: 8-byte NTP timestamp, optionally an 8-byte signed clock offset."""
    if len(data) == 8:
        return AbsCaptureTime(int.from_bytes(data, "big"))
    if len(data) == 16:
        return AbsCaptureTime(
            int.from_bytes(data[:8], "big"), int.from_bytes(data[8:], "big", signed=True)
        )
    return None


def encode_abs_capture_time(value: AbsCaptureTime) -> bytes:
    """Inverse of :func:`decode_abs_capture_time`."""
    data = _check(value.timestamp, 0, (1 << 64) - 1, "capture time").to_bytes(8, "big")
    if value.clock_offset is not None:
        _check(value.clock_offset, -(1 << 63), (1 << 63) - 1, "clock offset")
        data += value.clock_offset.to_bytes(8, "big", signed=True)
    return data


def decode_toffset(data: bytes) -> int | None:
    """Transmission time offset (RFC 5450 §2): 24-bit signed, in RTP timestamp units."""
    if len(data) != 3:
        return None
    return int.from_bytes(data, "big", signed=True)


def encode_toffset(value: int) -> bytes:
    """Inverse of :func:`decode_toffset`."""
    return _check(value, -(1 << 23), (1 << 23) - 1, "toffset").to_bytes(3, "big", signed=True)


_Codec = tuple[str, Callable[[bytes], Any], Callable[[Any], bytes]]

# URI -> (HeaderExtensions field, decode, encode); HeaderExtensionsMap applies them by id
CODECS: dict[str, _Codec] = {
    MID: ("mid", decode_sdes_string, encode_sdes_string),
    RTP_STREAM_ID: ("rtp_stream_id", decode_sdes_string, encode_sdes_string),
    REPAIRED_RTP_STREAM_ID: ("repaired_rtp_stream_id", decode_sdes_string, encode_sdes_string),
    ABS_SEND_TIME: ("abs_send_time", decode_abs_send_time, encode_abs_send_time),
    TRANSPORT_CC: ("transport_sequence_number", decode_transport_cc, encode_transport_cc),
    AUDIO_LEVEL: ("audio_level", decode_audio_level, encode_audio_level),
    PLAYOUT_DELAY: ("playout_delay", decode_playout_delay, encode_playout_delay),
    VIDEO_ORIENTATION: ("video_orientation", decode_video_orientation, encode_video_orientation),
    ABS_CAPTURE_TIME: ("abs_capture_time", decode_abs_capture_time, encode_abs_capture_time),
    TOFFSET: ("transmission_offset", decode_toffset, encode_toffset),
}
