"""What every encoder produces and the interface shared by all encoders and decoders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import av


@dataclass(frozen=True)
class EncodedFrame:
    """One encoded frame (an access unit, not yet RTP-packetized).

    ``timestamp`` is in units of the codec's RTP clock rate (90 kHz for video, 48 kHz for
    Opus, 8 kHz for G.711 and G.722) counted from the first frame; the RTP sender adds its
    random offset and wraps it to 32 bits. ``keyframe`` is true for frames a decoder can
    start from (always true for audio).
    """

    data: bytes
    timestamp: int
    keyframe: bool


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
