"""In-order frame assembly without a jitter buffer: push packets, get frames."""

from __future__ import annotations

from pyrtc.media.video import FRAME_START, VideoCodec


class Depacketizer:
    """Rebuilds the frames of one video stream from packets pushed in arrival order.

    A frame is the run of packets with one timestamp from a frame start (the codec's start
    flag, or the packet right after a marker) to the packet with the marker bit. A gap in
    the sequence numbers discards the frame being assembled; packets are then dropped until
    the next frame start. Use :class:`~pyrtc.media.JitterBuffer` when packets can be reordered.
    """

    def __init__(self, codec: VideoCodec) -> None:
        self.codec = codec
        self._payloads: list[bytes] = []
        self._timestamp = 0
        self._last_seq: int | None = None
        self._last_marker = False

    def push(
        self, payload: bytes, sequence_number: int, timestamp: int, marker: bool
    ) -> bytes | None:
        """Add one packet; returns the frame it completes, if any.

        Raises :class:`~pyrtc.media.DepacketizeError` for a malformed payload or frame.
        """
        info = self.codec.payload_info(payload)
        follows = self._last_seq is not None and sequence_number == (self._last_seq + 1) & 0xFFFF
        after_marker = follows and self._last_marker
        if self._payloads and (not follows or timestamp != self._timestamp):
            self._payloads = []
        self._last_seq = sequence_number
        self._last_marker = marker
        if not self._payloads:
            if not (info & FRAME_START or after_marker):
                return None
            self._timestamp = timestamp
        self._payloads.append(payload)
        if not marker:
            return None
        payloads, self._payloads = self._payloads, []
        return self.codec.depacketize(payloads)
