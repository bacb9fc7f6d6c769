"""Events an :class:`~pyrtc.sctp.Association` reports to the application."""

from __future__ import annotations

from dataclasses import dataclass

from pyrtc.sansio import Event


@dataclass(frozen=True)
class AssociationEstablished(Event):
    """The handshake completed (RFC 9260 §5.1); messages can flow both ways."""

    outbound_streams: int
    inbound_streams: int
    peer_max_message_size: int


@dataclass(frozen=True)
class MessageReceived(Event):
    """A complete user message arrived on ``stream_id`` (reassembled, in order if ordered)."""

    stream_id: int
    ppid: int
    data: bytes
    ordered: bool


@dataclass(frozen=True)
class StreamsReset(Event):
    """The peer reset these incoming streams (RFC 6525 §5.2.2): their SSNs restart at 0."""

    stream_ids: tuple[int, ...]


@dataclass(frozen=True)
class OutgoingStreamsReset(Event):
    """Our reset request for these outgoing streams succeeded (RFC 6525 §5.1.2)."""

    stream_ids: tuple[int, ...]


@dataclass(frozen=True)
class BufferedAmountLow(Event):
    """Unsent bytes on ``stream_id`` fell to or below the stream's low threshold.

    See :meth:`~pyrtc.sctp.Association.set_buffered_amount_low_threshold`.
    """

    stream_id: int


@dataclass(frozen=True)
class AssociationClosed(Event):
    """The association ended: graceful shutdown, ABORT (ours or the peer's) or failure.

    ``reason`` is ``None`` after a clean SHUTDOWN sequence and a short text otherwise.
    """

    reason: str | None
