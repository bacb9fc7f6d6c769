"""Sans-I/O WebRTC data channels over an SCTP association (RFC 8831, DCEP RFC 8832).

:class:`DataChannelManager` wraps an :class:`~pyrtc.sctp.Association` and is itself a
:class:`pyrtc.sansio.ConnectionCore`: the shell feeds it SCTP packets exactly as it would feed
the association. It maps channels to SCTP streams (even ids for the DTLS client, odd for the
DTLS server, RFC 8832 §6), runs the DATA_CHANNEL_OPEN / ACK exchange, chooses PPIDs for
string, binary and empty messages, and closes channels by resetting their streams.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from pyrtc.datachannel.dcep import (
    ACK,
    PARTIAL_RELIABLE_REXMIT,
    PARTIAL_RELIABLE_TIMED,
    PPID_BINARY,
    PPID_BINARY_EMPTY,
    PPID_DCEP,
    PPID_STRING,
    PPID_STRING_EMPTY,
    RELIABLE,
    UNORDERED,
    DataChannelOpen,
)
from pyrtc.datachannel.errors import DataChannelError, DcepParseError
from pyrtc.datachannel.events import (
    ChannelBufferedAmountLow,
    ChannelClosed,
    ChannelMessage,
    ChannelOpened,
    ChannelParameters,
)
from pyrtc.sansio import Event
from pyrtc.sctp import (
    Association,
    AssociationClosed,
    AssociationEstablished,
    BufferedAmountLow,
    MessageReceived,
    OutgoingStreamsReset,
    SctpError,
    StreamsReset,
)

_MAX_ID = 65534  # 65535 is reserved (RFC 8832 §6)


class ChannelState(enum.Enum):
    """``RTCDataChannel.readyState`` values."""

    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass
class DataChannel:
    """The manager's record of one channel."""

    channel_id: int
    parameters: ChannelParameters
    state: ChannelState = ChannelState.CONNECTING
    remote: bool = False
    acked: bool = True
    """False while our DATA_CHANNEL_OPEN is unanswered: messages go ordered until then."""
    outgoing_reset: bool = False
    incoming_reset: bool = False


class DataChannelManager:
    """Data channels multiplexed over one association."""

    def __init__(self, association: Association, *, dtls_client: bool) -> None:
        self.association = association
        self.dtls_client = dtls_client
        self._channels: dict[int, DataChannel] = {}
        self._events: deque[Event] = deque()
        self._now = 0.0
        self._flush_due = False
        self.dropped_messages = 0
        """Messages ignored: unknown channel, unknown PPID, bad UTF-8 or DCEP."""

    # ------------------------------------------------------------------ channels

    def create_channel(self, parameters: ChannelParameters, channel_id: int | None = None) -> int:
        """Open a channel and return its id (RFC 8832 §6; negotiated ones per RFC 8831 §6.5).

        A negotiated channel needs ``channel_id`` and sends no DCEP message; otherwise the id
        is the lowest free one of our parity unless given.
        """
        if parameters.max_retransmits is not None and parameters.max_packet_life_time is not None:
            raise DataChannelError("max_retransmits and max_packet_life_time are exclusive")
        if channel_id is None:
            if parameters.negotiated:
                raise DataChannelError("a negotiated channel needs an id")
            channel_id = self._free_id()
        if not 0 <= channel_id <= _MAX_ID:
            raise DataChannelError(f"invalid channel id {channel_id}")
        if channel_id in self._channels:
            raise DataChannelError(f"channel id {channel_id} is in use")
        # Encoded for every channel: it checks the parameters. The id is taken only once the
        # OPEN is queued, so a refused channel leaves nothing behind.
        open_message = self._open_message(parameters).encode()
        if not parameters.negotiated:
            self.association.send(channel_id, open_message, PPID_DCEP)
            self._flush_due = True
        channel = DataChannel(channel_id, parameters, acked=parameters.negotiated)
        self._channels[channel_id] = channel
        if self.association.established:
            self._open(channel)
        return channel_id

    def channel(self, channel_id: int) -> DataChannel:
        """The record of a known channel."""
        try:
            return self._channels[channel_id]
        except KeyError:
            raise DataChannelError(f"unknown channel {channel_id}") from None

    @property
    def channels(self) -> list[DataChannel]:
        return list(self._channels.values())

    def send(self, channel_id: int, data: str | bytes) -> None:
        """Send one message with the PPID for its type (RFC 8831 §6.6)."""
        channel = self.channel(channel_id)
        if channel.state is not ChannelState.OPEN:
            raise DataChannelError(f"channel {channel_id} is {channel.state.value}")
        if isinstance(data, str):
            payload = data.encode()
            ppid = PPID_STRING if payload else PPID_STRING_EMPTY
        else:
            payload = bytes(data)
            ppid = PPID_BINARY if payload else PPID_BINARY_EMPTY
        params = channel.parameters
        lifetime = params.max_packet_life_time
        self.association.send(
            channel_id,
            payload or b"\x00",
            ppid,
            ordered=params.ordered or not channel.acked,
            max_retransmits=params.max_retransmits,
            lifetime=None if lifetime is None else lifetime / 1000,
        )

    def close(self, channel_id: int) -> None:
        """Close by resetting the channel's outgoing stream (RFC 8831 §6.7)."""
        channel = self.channel(channel_id)
        if channel.state in (ChannelState.CLOSING, ChannelState.CLOSED):
            return
        channel.state = ChannelState.CLOSING
        self._reset_outgoing(channel)

    def buffered_amount(self, channel_id: int) -> int:
        """Bytes sent on the channel and not yet handed to the network."""
        return self.association.buffered_amount(self.channel(channel_id).channel_id)

    def set_buffered_amount_low_threshold(self, channel_id: int, threshold: int) -> None:
        """Emit :class:`ChannelBufferedAmountLow` when the channel drains to ``threshold``."""
        self.association.set_buffered_amount_low_threshold(
            self.channel(channel_id).channel_id, threshold
        )

    # ------------------------------------------------------------------ sans-I/O interface

    def receive(self, data: bytes, now: float) -> None:
        self._now = now
        self.association.receive(data, now)

    def datagrams_to_send(self, now: float) -> list[bytes]:
        self._now = now
        self._flush_due = False
        return self.association.datagrams_to_send(now)

    def get_timer(self) -> float | None:
        if self._flush_due:
            return self._now  # replies queued while translating events go out at once
        return self.association.get_timer()

    def handle_timer(self, now: float) -> None:
        self._now = now
        self._flush_due = False
        self.association.handle_timer(now)

    def next_event(self) -> Event | None:
        """Translate association events lazily so unread messages still count against the
        association's receive window."""
        while not self._events:
            event = self.association.next_event()
            if event is None:
                return None
            self._translate(event)
        return self._events.popleft()

    # ------------------------------------------------------------------ internals

    def _free_id(self) -> int:
        for channel_id in range(0 if self.dtls_client else 1, _MAX_ID + 1, 2):
            if channel_id not in self._channels:
                return channel_id
        raise DataChannelError("no free channel id")

    @staticmethod
    def _open_message(params: ChannelParameters) -> DataChannelOpen:
        if params.max_retransmits is not None:
            kind, reliability = PARTIAL_RELIABLE_REXMIT, params.max_retransmits
        elif params.max_packet_life_time is not None:
            kind, reliability = PARTIAL_RELIABLE_TIMED, params.max_packet_life_time
        else:
            kind, reliability = RELIABLE, 0
        if not params.ordered:
            kind |= UNORDERED
        return DataChannelOpen(kind, params.priority, reliability, params.label, params.protocol)

    def _open(self, channel: DataChannel) -> None:
        channel.state = ChannelState.OPEN
        self._events.append(ChannelOpened(channel.channel_id, channel.parameters, channel.remote))

    def _reset_outgoing(self, channel: DataChannel) -> None:
        try:
            self.association.reset_streams([channel.channel_id])
        except SctpError:
            # No association (yet or any more) or no RE-CONFIG support: nothing to tell.
            channel.outgoing_reset = channel.incoming_reset = True
            self._closed(channel)
            return
        self._flush_due = True

    def _closed(self, channel: DataChannel) -> None:
        if channel.state is ChannelState.CLOSED:
            return
        channel.state = ChannelState.CLOSED
        del self._channels[channel.channel_id]
        self._events.append(ChannelClosed(channel.channel_id))

    def _translate(self, event: Event) -> None:
        kind = type(event)
        if kind is MessageReceived:
            assert isinstance(event, MessageReceived)
            self._on_message(event)
        elif kind is BufferedAmountLow:
            assert isinstance(event, BufferedAmountLow)
            if event.stream_id in self._channels:
                self._events.append(ChannelBufferedAmountLow(event.stream_id))
        elif kind is StreamsReset:
            assert isinstance(event, StreamsReset)
            for sid in event.stream_ids or tuple(self._channels):
                channel = self._channels.get(sid)
                if channel is None:
                    continue
                channel.incoming_reset = True
                if channel.state is not ChannelState.CLOSING:
                    channel.state = ChannelState.CLOSING
                    self._reset_outgoing(channel)
                if channel.outgoing_reset:
                    self._closed(channel)
        elif kind is OutgoingStreamsReset:
            assert isinstance(event, OutgoingStreamsReset)
            for sid in event.stream_ids:
                channel = self._channels.get(sid)
                if channel is not None:
                    channel.outgoing_reset = True
                    if channel.incoming_reset:
                        self._closed(channel)
        elif kind is AssociationEstablished:
            self._events.append(event)
            for channel in self._channels.values():
                if channel.state is ChannelState.CONNECTING:
                    self._open(channel)
        elif kind is AssociationClosed:
            for channel in list(self._channels.values()):
                self._closed(channel)
            self._events.append(event)
        else:
            self._events.append(event)

    def _on_message(self, message: MessageReceived) -> None:
        sid, ppid, data = message.stream_id, message.ppid, message.data
        if ppid == PPID_DCEP:
            self._on_dcep(sid, data)
            return
        channel = self._channels.get(sid)
        if channel is None or channel.state is ChannelState.CLOSED:
            self.dropped_messages += 1
            return
        payload: str | bytes
        if ppid == PPID_BINARY:
            payload = data
        elif ppid == PPID_STRING:
            try:
                payload = data.decode()
            except UnicodeDecodeError:
                self.dropped_messages += 1
                return
        elif ppid == PPID_STRING_EMPTY:
            payload = ""
        elif ppid == PPID_BINARY_EMPTY:
            payload = b""
        else:
            self.dropped_messages += 1
            return
        self._events.append(ChannelMessage(sid, payload))

    def _on_dcep(self, sid: int, data: bytes) -> None:
        """DATA_CHANNEL_OPEN / ACK handling (RFC 8832 §6)."""
        if data == ACK:
            channel = self._channels.get(sid)
            if channel is not None:
                channel.acked = True
            return
        try:
            request = DataChannelOpen.decode(data)
        except DcepParseError:
            self.dropped_messages += 1
            return
        # The opener uses its own parity: the peer is the DTLS server when we are the client.
        if sid in self._channels or sid % 2 == (0 if self.dtls_client else 1):
            self.dropped_messages += 1
            return
        params = ChannelParameters(
            label=request.label,
            protocol=request.protocol,
            ordered=request.ordered,
            max_retransmits=request.max_retransmits,
            max_packet_life_time=request.max_packet_life_time,
            priority=request.priority,
        )
        channel = DataChannel(sid, params, remote=True)
        self._channels[sid] = channel
        if self.association.established:
            # An OPEN translated after the association went down gets no ACK; the channel
            # opens and is closed with the AssociationClosed that follows it.
            self.association.send(sid, ACK, PPID_DCEP)
            self._flush_due = True
        self._open(channel)
