"""Split a TURN byte stream (TCP or TLS) into STUN messages and ChannelData frames.

Over a stream, STUN messages are delimited by their own length field (RFC 8489 §6.2.2) and
ChannelData by its length field plus padding to a multiple of 4 bytes (RFC 8656 §12.5). The
first two bits tell them apart: ``00`` starts a STUN message, ``01`` a ChannelData message
(channel numbers 0x4000-0x4FFF). Anything else means the stream lost its framing, which
cannot be recovered: the connection must be closed.
"""

from __future__ import annotations

from pyrtc.stun.constants import HEADER_LENGTH, MAGIC_COOKIE
from pyrtc.turn.errors import TurnParseError

_COOKIE = MAGIC_COOKIE.to_bytes(4)


class StreamFramer:
    """Reassemble frames from arbitrary chunks of a TURN stream.

    :meth:`feed` returns every complete frame: STUN messages whole, ChannelData without its
    padding (so each frame can go to :meth:`pyrtc.turn.TurnClient.receive` as if it were a
    UDP datagram). Between calls at most one incomplete frame (under 64 KiB + header) is
    kept. When the stream turns to garbage, the frames before it are still returned and
    :attr:`error` is set: the caller must then close the connection; any later :meth:`feed`
    raises that error.
    """

    __slots__ = ("_buffer", "error")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.error: TurnParseError | None = None
        """Why the framing was lost, or ``None`` while the stream is sound."""

    @property
    def buffered(self) -> int:
        """Bytes of an incomplete frame waiting for the rest."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data`` from the stream; return the frames it completed, in order."""
        if self.error is not None:
            raise self.error
        buffer = self._buffer
        buffer += data
        frames: list[bytes] = []
        pos = 0
        end = len(buffer)
        while end - pos >= 4:
            first = buffer[pos]
            length = (buffer[pos + 2] << 8) | buffer[pos + 3]
            if first < 0x40:
                if length & 3:
                    return self._fail(frames, f"STUN length {length} is not a multiple of 4")
                if end - pos >= 8 and buffer[pos + 4 : pos + 8] != _COOKIE:
                    return self._fail(frames, "STUN message without the magic cookie")
                size = HEADER_LENGTH + length
                if end - pos < size:
                    break
                frames.append(bytes(buffer[pos : pos + size]))
            elif first <= 0x4F:
                size = 4 + length + (-length & 3)
                if end - pos < size:
                    break
                frames.append(bytes(buffer[pos : pos + 4 + length]))
            else:
                return self._fail(frames, f"byte 0x{first:02x} starts neither STUN nor ChannelData")
            pos += size
        del buffer[:pos]
        return frames

    def _fail(self, frames: list[bytes], reason: str) -> list[bytes]:
        self._buffer.clear()
        self.error = TurnParseError(f"TURN stream framing lost: {reason}")
        return frames
