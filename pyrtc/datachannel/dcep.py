"""Data Channel Establishment Protocol messages (RFC 8832 §5) and WebRTC PPIDs (RFC 8831 §8)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pyrtc.datachannel.errors import DataChannelError, DcepParseError

# SCTP Payload Protocol Identifiers (RFC 8831 §8, RFC 8832 §8.1).
PPID_DCEP = 50
PPID_STRING = 51
PPID_BINARY = 53
PPID_STRING_EMPTY = 56
PPID_BINARY_EMPTY = 57

MESSAGE_ACK = 0x02
MESSAGE_OPEN = 0x03

# Channel types (RFC 8832 §5.1): the 0x80 bit means unordered.
RELIABLE = 0x00
PARTIAL_RELIABLE_REXMIT = 0x01
PARTIAL_RELIABLE_TIMED = 0x02
UNORDERED = 0x80
_CHANNEL_TYPES = {0x00, 0x01, 0x02, 0x80, 0x81, 0x82}

_open_fixed = struct.Struct("!BBHIHH")
ACK = bytes([MESSAGE_ACK])


@dataclass(frozen=True, slots=True)
class DataChannelOpen:
    """DATA_CHANNEL_OPEN (RFC 8832 §5.1).

    ``reliability`` is the retransmission count for ``PARTIAL_RELIABLE_REXMIT`` types and
    the lifetime in milliseconds for ``PARTIAL_RELIABLE_TIMED``; 0 for reliable channels.
    """

    channel_type: int
    priority: int
    reliability: int
    label: str
    protocol: str

    def encode(self) -> bytes:
        """The message; :class:`DataChannelError` when a field does not fit its wire size
        (16-bit priority, label and protocol lengths, 32-bit reliability) or a text is not
        encodable as UTF-8."""
        try:
            label = self.label.encode()
            protocol = self.protocol.encode()
            fixed = _open_fixed.pack(
                MESSAGE_OPEN,
                self.channel_type,
                self.priority,
                self.reliability,
                len(label),
                len(protocol),
            )
        except (struct.error, UnicodeEncodeError) as exc:
            raise DataChannelError(f"parameters do not fit DATA_CHANNEL_OPEN: {exc}") from None
        return fixed + label + protocol

    @classmethod
    def decode(cls, data: bytes) -> DataChannelOpen:
        if len(data) < _open_fixed.size:
            raise DcepParseError("DATA_CHANNEL_OPEN too short")
        kind, channel_type, priority, reliability, label_len, protocol_len = (
            _open_fixed.unpack_from(data)
        )
        if kind != MESSAGE_OPEN:
            raise DcepParseError(f"not a DATA_CHANNEL_OPEN: type {kind:#x}")
        if channel_type not in _CHANNEL_TYPES:
            raise DcepParseError(f"unknown channel type {channel_type:#x}")
        end = _open_fixed.size + label_len + protocol_len
        if len(data) != end:
            raise DcepParseError("DATA_CHANNEL_OPEN label/protocol lengths do not match")
        try:
            label = data[_open_fixed.size : _open_fixed.size + label_len].decode()
            protocol = data[_open_fixed.size + label_len : end].decode()
        except UnicodeDecodeError as exc:
            raise DcepParseError("label or protocol is not UTF-8") from exc
        return cls(channel_type, priority, reliability, label, protocol)

    @property
    def ordered(self) -> bool:
        return not self.channel_type & UNORDERED

    @property
    def max_retransmits(self) -> int | None:
        return self.reliability if self.channel_type & 0x7F == PARTIAL_RELIABLE_REXMIT else None

    @property
    def max_packet_life_time(self) -> int | None:
        return self.reliability if self.channel_type & 0x7F == PARTIAL_RELIABLE_TIMED else None
