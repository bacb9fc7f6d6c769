"""``RTCDataChannel``: the W3C object over :class:`pyrtc.datachannel.DataChannelManager`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyrtc.datachannel import ChannelParameters
from pyrtc.emitter import EventEmitter
from pyrtc.pc.jsep import InvalidStateError

if TYPE_CHECKING:
    from pyrtc.pc.peerconnection import RTCPeerConnection


def payload_size(data: str | bytes) -> int:
    """The bytes a message takes on the wire: a string is sent as UTF-8 (RFC 8831 section
    6.6), so ``bytesSent``/``bytesReceived`` and ``max-message-size`` count those."""
    if isinstance(data, str):
        return len(data) if data.isascii() else len(data.encode())
    return len(data)


class RTCDataChannel(EventEmitter):
    """A data channel (W3C webrtc section 6.2) with aiortc's attribute names.

    Events: ``open``, ``message`` (``str`` or ``bytes``), ``bufferedamountlow``, ``close``
    and ``error``. Create it with :meth:`RTCPeerConnection.createDataChannel`; channels the
    peer opens arrive with the connection's ``datachannel`` event.
    """

    def __init__(
        self,
        owner: RTCPeerConnection,
        parameters: ChannelParameters,
        channel_id: int | None,
    ) -> None:
        super().__init__()
        self._owner = owner
        self._parameters = parameters
        self._id = channel_id
        self._ready_state = "connecting"
        self._threshold = 0
        self.messages_sent = 0
        self.bytes_sent = 0
        self.messages_received = 0
        self.bytes_received = 0

    @property
    def label(self) -> str:
        return self._parameters.label

    @property
    def protocol(self) -> str:
        return self._parameters.protocol

    @property
    def ordered(self) -> bool:
        return self._parameters.ordered

    @property
    def maxRetransmits(self) -> int | None:
        return self._parameters.max_retransmits

    @property
    def maxPacketLifeTime(self) -> int | None:
        return self._parameters.max_packet_life_time

    @property
    def negotiated(self) -> bool:
        return self._parameters.negotiated

    @property
    def id(self) -> int | None:
        """The SCTP stream id; ``None`` until the DTLS role (and so the parity) is known."""
        return self._id

    @property
    def readyState(self) -> str:
        return self._ready_state

    @property
    def bufferedAmount(self) -> int:
        """Bytes queued by :meth:`send` and not yet handed to the network."""
        return self._owner._channel_buffered_amount(self)

    @property
    def bufferedAmountLowThreshold(self) -> int:
        return self._threshold

    @bufferedAmountLowThreshold.setter
    def bufferedAmountLowThreshold(self, value: int) -> None:
        if not 0 <= value < 2**32:
            raise ValueError("bufferedAmountLowThreshold must be in 0..2^32-1")
        self._threshold = value
        self._owner._channel_threshold(self)

    @property
    def parameters(self) -> ChannelParameters:
        return self._parameters

    def send(self, data: str | bytes) -> None:
        """Queue one message: ``str`` is sent as a string, ``bytes`` as binary (RFC 8831
        section 6.6). Raises ``InvalidStateError`` unless the channel is open, ``TypeError``
        for other types and for messages larger than the peer's ``a=max-message-size``."""
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"cannot send {type(data).__name__}, only str or bytes")
        if self._ready_state != "open":
            raise InvalidStateError(f"RTCDataChannel is not open ({self._ready_state})")
        if not isinstance(data, str):
            data = bytes(data)
        self.bytes_sent += self._owner._channel_send(self, data)
        self.messages_sent += 1

    def close(self) -> None:
        """Close the channel (RFC 8831 section 6.7: its SCTP stream is reset)."""
        if self._ready_state in ("closing", "closed"):
            return
        self._owner._channel_close(self)

    # -- driven by the peer connection ------------------------------------------------------

    def _set_id(self, channel_id: int) -> None:
        self._id = channel_id

    def _set_state(self, state: str) -> None:
        if state == self._ready_state:
            return
        self._ready_state = state
        if state == "open":
            self.emit("open")
        elif state == "closed":
            self.emit("close")

    def _deliver(self, data: str | bytes) -> None:
        self.messages_received += 1
        self.bytes_received += payload_size(data)
        self.emit("message", data)
