"""ChannelData messages (RFC 8656 §12.4-§12.6): a 4-byte header instead of a STUN message.

::

    0                   1                   2                   3
    |         Channel Number        |            Length             |
    |                       Application Data (Length bytes)         |

Over UDP the data may be followed by up to 3 padding bytes; over TCP and TLS it must be padded
to a multiple of 4 bytes so that the next message starts aligned (§12.5). Channel numbers
0x5000-0xFFFF are reserved: such messages are discarded (§12.6).
"""

from __future__ import annotations

from pyrtc.turn.errors import TurnParseError

MIN_CHANNEL = 0x4000
"""Lowest channel number a client may bind (RFC 8656 §12)."""
MAX_CHANNEL = 0x4FFF
"""Highest channel number a client may bind (RFC 8656 §12)."""
MAX_DATA = 0xFFFF
"""The length field is 16 bits."""


def is_channel_data(data: bytes) -> bool:
    """Whether ``data`` starts like ChannelData: first byte 64..79 (RFC 7983 §7)."""
    return len(data) >= 4 and 0x40 <= data[0] <= 0x4F


def encode_channel_data(channel: int, data: bytes, *, pad: bool = False) -> bytes:
    """Frame ``data`` for ``channel`` (RFC 8656 §12.4); ``pad`` to 4 bytes for TCP/TLS (§12.5)."""
    if not MIN_CHANNEL <= channel <= MAX_CHANNEL:
        raise ValueError(f"channel number 0x{channel:04x} outside 0x4000..0x4fff")
    length = len(data)
    if length > MAX_DATA:
        raise ValueError(f"{length} bytes do not fit in one ChannelData message")
    header = ((channel << 16) | length).to_bytes(4)
    return header + data + bytes(-length & 3) if pad else header + data


def parse_channel_data(data: bytes) -> tuple[int, bytes]:
    """``(channel, application data)`` of one ChannelData message (RFC 8656 §12.4, §12.6).

    Accepts the message with or without its padding (at most 3 bytes); raises
    :class:`TurnParseError` on a bad channel number or a length that does not fit.
    """
    if len(data) < 4:
        raise TurnParseError(f"ChannelData of {len(data)} bytes is shorter than its header")
    channel = (data[0] << 8) | data[1]
    if not MIN_CHANNEL <= channel <= MAX_CHANNEL:
        raise TurnParseError(f"channel number 0x{channel:04x} outside 0x4000..0x4fff")
    length = (data[2] << 8) | data[3]
    if not length + 4 <= len(data) <= length + 7:
        raise TurnParseError(f"ChannelData length {length} does not match {len(data) - 4} bytes")
    return channel, bytes(data[4 : 4 + length])
