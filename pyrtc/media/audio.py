"""Audio RTP payload formats: Opus (RFC 7587), PCMU/PCMA (G.711) and G.722 (RFC 3551).

None of them fragments: one encoded frame is one RTP payload, and the depacketized frame is
the payload itself. What differs is how far the RTP timestamp advances per payload.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyrtc.media.errors import DepacketizeError, PacketizeError

# RFC 6716 §3.1: frame duration in units of 2.5 ms (48 kHz: 120 samples) by TOC config.
_OPUS_FRAME_UNITS = (
    (4, 8, 16, 24) * 3  # configs 0..11: SILK-only 10/20/40/60 ms
    + (4, 8) * 2  # 12..15: hybrid 10/20 ms
    + (1, 2, 4, 8) * 4  # 16..31: CELT-only 2.5/5/10/20 ms
)


def opus_samples(payload: bytes) -> int:
    """Samples at 48 kHz in one Opus packet, from its TOC byte (RFC 6716 §3.1, RFC 7587 §4.1)."""
    if not payload:
        raise DepacketizeError("Opus payload is empty")
    toc = payload[0]
    code = toc & 0x03
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        if len(payload) < 2:
            raise DepacketizeError("Opus code 3 packet lacks its frame count byte")
        frames = payload[1] & 0x3F
        if frames == 0:
            raise DepacketizeError("Opus code 3 packet has a frame count of 0")
    samples = frames * _OPUS_FRAME_UNITS[toc >> 3] * 120
    if samples > 5760:  # §3.2.5: at most 120 ms per packet
        raise DepacketizeError("Opus packet is longer than 120 ms")
    return samples


@dataclass(frozen=True)
class AudioCodec:
    """An audio payload format: its RTP clock rate and timestamp advance per payload."""

    name: str
    clock_rate: int

    def packetize(self, frame: bytes, mtu: int = 1200) -> list[bytes]:
        """The single payload carrying ``frame`` (no audio format here fragments)."""
        if not frame:
            raise PacketizeError(f"{self.name} frame is empty")
        if len(frame) > mtu:
            raise PacketizeError(f"a {len(frame)}-byte {self.name} frame exceeds the MTU {mtu}")
        return [frame]

    def depacketize(self, payloads: list[bytes]) -> bytes:
        """The frame of one payload (audio frames are never split)."""
        if len(payloads) != 1 or not payloads[0]:
            raise DepacketizeError(f"{self.name} frame is one non-empty payload")
        return payloads[0]

    def timestamp_increment(self, payload: bytes) -> int:
        """How far the RTP timestamp advances for this payload.

        Opus counts 48 kHz samples (RFC 7587 §4.1). G.711 sends one byte per 8 kHz sample.
        G.722 samples at 16 kHz with 4 bits per sample (two samples a byte) but its RTP clock
        runs at 8000 Hz for historical reasons (RFC 3551 §4.5.2), so it too advances by one per
        byte.
        """
        if self.name == "opus":
            return opus_samples(payload)
        return len(payload)


OPUS = AudioCodec("opus", 48000)
PCMU = AudioCodec("PCMU", 8000)
PCMA = AudioCodec("PCMA", 8000)
G722 = AudioCodec("G722", 8000)
