"""RTCP feedback messages (RFC 4585 §6): generic NACK, PLI, FIR, REMB and raw RTPFB/PSFB.

Transport-wide CC (RTPFB FMT 15) lives in :mod:`pyrtc.rtcp.twcc`, RFC 8888 feedback (RTPFB
FMT 11) in :mod:`pyrtc.rtcp.ccfb`. Feedback formats pyrtc does not decode (TMMBR/TMMBN, SLI,
RPSI, non-REMB application feedback, ...) are kept as :class:`RtcpRtpfbPacket` or
:class:`RtcpPsfbPacket` with their FCI bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import NamedTuple

from pyrtc.rtcp.base import RTCP_PSFB, RTCP_RTPFB, U32X2, RtcpPacket, need
from pyrtc.rtcp.errors import RtcpError
from pyrtc.rtcp.nack import circular_order, lost_from_nack_pairs, nack_pairs_from_lost

__all__ = [
    "PSFB_AFB",
    "PSFB_FIR",
    "PSFB_PLI",
    "PSFB_RPSI",
    "PSFB_SLI",
    "RTPFB_CCFB",
    "RTPFB_NACK",
    "RTPFB_TMMBN",
    "RTPFB_TMMBR",
    "RTPFB_TWCC",
    "FirEntry",
    "RtcpFirPacket",
    "RtcpNackPacket",
    "RtcpPliPacket",
    "RtcpPsfbPacket",
    "RtcpRembPacket",
    "RtcpRtpfbPacket",
]

RTPFB_NACK = 1
RTPFB_TMMBR = 3
RTPFB_TMMBN = 4
RTPFB_CCFB = 11
RTPFB_TWCC = 15

PSFB_PLI = 1
PSFB_SLI = 2
PSFB_RPSI = 3
PSFB_FIR = 4
PSFB_AFB = 15

_NACK_PAIR = struct.Struct("!HH")
_FIR_ENTRY = struct.Struct("!IB3x")
_REMB_HEADER = struct.Struct("!4sBBH")


def feedback_header(body: bytes, what: str) -> tuple[int, int]:
    """The packet-sender and media-source SSRCs that start every feedback message."""
    need(body, 8, what)
    ssrc, media_ssrc = U32X2.unpack_from(body)
    return ssrc, media_ssrc


@dataclass(slots=True)
class RtcpRtpfbPacket(RtcpPacket):
    """A transport-layer feedback message (PT 205) kept raw: format and FCI bytes."""

    fmt: int
    ssrc: int
    media_ssrc: int
    fci: bytes = b""

    @classmethod
    def _parse(cls, body: bytes, fmt: int) -> RtcpRtpfbPacket:
        ssrc, media_ssrc = feedback_header(body, "RTPFB packet")
        return cls(fmt, ssrc, media_ssrc, body[8:])

    def _encode(self) -> tuple[int, int, bytes]:
        return self.fmt, RTCP_RTPFB, U32X2.pack(self.ssrc, self.media_ssrc) + self.fci


@dataclass(slots=True)
class RtcpPsfbPacket(RtcpPacket):
    """A payload-specific feedback message (PT 206) kept raw: format and FCI bytes."""

    fmt: int
    ssrc: int
    media_ssrc: int
    fci: bytes = b""

    @classmethod
    def _parse(cls, body: bytes, fmt: int) -> RtcpPsfbPacket:
        ssrc, media_ssrc = feedback_header(body, "PSFB packet")
        return cls(fmt, ssrc, media_ssrc, body[8:])

    def _encode(self) -> tuple[int, int, bytes]:
        return self.fmt, RTCP_PSFB, U32X2.pack(self.ssrc, self.media_ssrc) + self.fci


@dataclass(slots=True)
class RtcpNackPacket(RtcpPacket):
    """Generic NACK (RTPFB FMT 1, RFC 4585 §6.2.1): the lost RTP sequence numbers.

    On parse ``lost`` lists each number once, ascending across wraparound
    (:func:`~pyrtc.rtcp.circular_order`); serializing re-encodes any list with
    :func:`~pyrtc.rtcp.nack_pairs_from_lost` (the fewest PID/BLP pairs).
    """

    ssrc: int
    media_ssrc: int
    lost: list[int] = field(default_factory=list)

    @classmethod
    def _parse(cls, body: bytes, fmt: int) -> RtcpNackPacket:
        ssrc, media_ssrc = feedback_header(body, "NACK")
        if len(body) % 4:
            raise RtcpError(f"NACK FCI of {len(body) - 8} bytes is not a list of 4-byte entries")
        pairs = _NACK_PAIR.iter_unpack(body[8:])
        return cls(ssrc, media_ssrc, circular_order(lost_from_nack_pairs(pairs)))

    def _encode(self) -> tuple[int, int, bytes]:
        pairs = nack_pairs_from_lost(self.lost)
        flat = [value for pair in pairs for value in pair]
        fci = struct.pack(f"!{len(flat)}H", *flat)
        return RTPFB_NACK, RTCP_RTPFB, U32X2.pack(self.ssrc, self.media_ssrc) + fci


@dataclass(slots=True)
class RtcpPliPacket(RtcpPacket):
    """Picture loss indication (PSFB FMT 1, RFC 4585 §6.3.1); it has no FCI."""

    ssrc: int
    media_ssrc: int

    @classmethod
    def _parse(cls, body: bytes, fmt: int) -> RtcpPliPacket:
        ssrc, media_ssrc = feedback_header(body, "PLI")
        if len(body) != 8:
            raise RtcpError(f"PLI carries {len(body) - 8} bytes of FCI, it must have none")
        return cls(ssrc, media_ssrc)

    def _encode(self) -> tuple[int, int, bytes]:
        return PSFB_PLI, RTCP_PSFB, U32X2.pack(self.ssrc, self.media_ssrc)


class FirEntry(NamedTuple):
    """One FIR FCI entry: the SSRC asked to send an intra frame and the command number."""

    ssrc: int
    sequence_number: int


@dataclass(slots=True)
class RtcpFirPacket(RtcpPacket):
    """Full intra request (PSFB FMT 4, RFC 5104 §4.3.1).

    ``media_ssrc`` is unused by FIR and SHALL be 0; it is kept so a packet round-trips.
    """

    ssrc: int
    entries: list[FirEntry] = field(default_factory=list)
    media_ssrc: int = 0

    @classmethod
    def _parse(cls, body: bytes, fmt: int) -> RtcpFirPacket:
        ssrc, media_ssrc = feedback_header(body, "FIR")
        if (len(body) - 8) % 8:
            raise RtcpError(f"FIR FCI of {len(body) - 8} bytes is not a list of 8-byte entries")
        entries = [FirEntry(*entry) for entry in _FIR_ENTRY.iter_unpack(body[8:])]
        return cls(ssrc, entries, media_ssrc)

    def _encode(self) -> tuple[int, int, bytes]:
        parts = [U32X2.pack(self.ssrc, self.media_ssrc)]
        parts.extend(_FIR_ENTRY.pack(ssrc, seq) for ssrc, seq in self.entries)
        return PSFB_FIR, RTCP_PSFB, b"".join(parts)


@dataclass(slots=True)
class RtcpRembPacket(RtcpPacket):
    """Receiver estimated maximum bitrate (PSFB FMT 15, draft-alvestrand-rmcat-remb-03).

    ``bitrate`` is in bits per second. It is sent as an 18-bit mantissa and a 6-bit exponent;
    the encoder picks the smallest exponent whose mantissa fits, so bitrates above 2**18 lose
    their low bits. ``media_ssrc`` SHALL be 0 and is kept for round trips.
    """

    ssrc: int
    bitrate: int
    ssrcs: list[int] = field(default_factory=list)
    media_ssrc: int = 0

    @classmethod
    def _parse(cls, body: bytes, fmt: int) -> RtcpRembPacket | RtcpPsfbPacket:
        ssrc, media_ssrc = feedback_header(body, "application layer feedback")
        if body[8:12] != b"REMB":
            return RtcpPsfbPacket(fmt, ssrc, media_ssrc, body[8:])
        need(body, 16, "REMB")
        _, num_ssrc, exp_mantissa, mantissa_low = _REMB_HEADER.unpack_from(body, 8)
        if len(body) != 16 + 4 * num_ssrc:
            raise RtcpError(f"REMB announces {num_ssrc} SSRCs in {len(body) - 16} bytes")
        mantissa = ((exp_mantissa & 0x03) << 16) | mantissa_low
        ssrcs = list(struct.unpack_from(f"!{num_ssrc}I", body, 16))
        return cls(ssrc, mantissa << (exp_mantissa >> 2), ssrcs, media_ssrc)

    def _encode(self) -> tuple[int, int, bytes]:
        if self.bitrate < 0:
            raise ValueError(f"REMB bitrate {self.bitrate} is negative")
        exponent = max(self.bitrate.bit_length() - 18, 0)
        if exponent > 63:
            raise ValueError(f"REMB bitrate {self.bitrate} is too large")
        if len(self.ssrcs) > 255:
            raise ValueError(f"{len(self.ssrcs)} REMB SSRCs do not fit in one packet")
        mantissa = self.bitrate >> exponent
        body = U32X2.pack(self.ssrc, self.media_ssrc) + _REMB_HEADER.pack(
            b"REMB", len(self.ssrcs), (exponent << 2) | (mantissa >> 16), mantissa & 0xFFFF
        )
        body += struct.pack(f"!{len(self.ssrcs)}I", *self.ssrcs)
        return PSFB_AFB, RTCP_PSFB, body
