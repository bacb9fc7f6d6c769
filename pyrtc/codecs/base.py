"""What every encoder produces and the interface shared by all encoders and decoders."""

from __future__ import annotations

import fractions
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import av

from pyrtc.codecs.errors import CodecError


@dataclass(frozen=True)
class EncodedFrame:
    """One encoded frame (an access unit, not yet RTP-packetized).

    ``timestamp`` is in units of the codec's RTP clock rate (90 kHz for video, 48 kHz for
    Opus, 8 kHz for G.711 and G.722): the frame's ``pts`` for video, samples counted from the
    first frame for audio. The RTP sender adds its random offset and wraps it to 32 bits.
    ``keyframe`` is true for frames a decoder can start from (always true for audio).
    """

    data: bytes
    timestamp: int
    keyframe: bool
    audio_level: float | None = None
    """RMS level of the audio this frame encodes, linear: 1.0 is 0 dBov (a full-scale square
    wave), 0.0 silence (W3C ``audioLevel``). ``None`` for video and passthrough frames."""

    @classmethod
    def from_packet(cls, packet: av.Packet[Any], clock_rate: int) -> EncodedFrame:
        """Wrap a passthrough packet (``MediaPlayer(decode=False)``) for the RTP sender."""
        if packet.pts is None or packet.time_base is None:
            raise CodecError("a passthrough packet needs pts and time_base")
        time_base = fractions.Fraction(packet.time_base.numerator, packet.time_base.denominator)
        return cls(bytes(packet), int(packet.pts * time_base * clock_rate), packet.is_keyframe)


class Encoder(Protocol):
    """An encoder: frames in, :class:`EncodedFrame` out."""

    @property
    def clock_rate(self) -> int: ...

    def encode(
        self, frame: av.AudioFrame | av.VideoFrame, force_keyframe: bool = False
    ) -> list[EncodedFrame]: ...

    def close(self) -> None: ...


class Decoder(Protocol):
    """A decoder: one encoded frame and its RTP timestamp in, decoded frames out."""

    @property
    def clock_rate(self) -> int: ...

    def decode(self, data: bytes, timestamp: int) -> Sequence[av.AudioFrame | av.VideoFrame]: ...
