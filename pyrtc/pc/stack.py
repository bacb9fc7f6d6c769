"""The WebRTC transport stack of one BUNDLE group as one sans-I/O core.

:class:`TransportStack` joins the ICE agent (RFC 8445), DTLS (RFC 6347, DTLS-SRTP keying of
RFC 5764) and SCTP with data channels (RFC 8261, RFC 8831, RFC 8832) on one ICE component,
and demultiplexes what arrives on it by first byte (RFC 7983 section 7): 0-3 STUN to the
agent, 20-63 DTLS, 128-191 SRTP/SRTCP (reported as :class:`~pyrtc.pc.events.MediaReceived`).

It has the multi-homed shape of :class:`pyrtc.ice.agent.Agent` (``receive(data, addr, now,
local)`` and :class:`~pyrtc.ice.events.Transmit` items), so the asyncio shell of
:class:`pyrtc.pc.RTCPeerConnection` and :class:`pyrtc.sim.Simulator` both drive it.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Sequence
from typing import Any, Literal

from pyrtc.datachannel import ChannelClosed, ChannelParameters, DataChannelManager
from pyrtc.dtls import (
    ApplicationDataReceived,
    ConnectionClosed,
    ConnectionFailed,
    DtlsConnection,
    HandshakeCompleted,
    RTCCertificate,
    RTCDtlsFingerprint,
)
from pyrtc.errors import Error
from pyrtc.ice.agent import Agent, TurnServer
from pyrtc.ice.events import (
    CandidateGathered,
    DataReceived,
    GatheringStateChanged,
    StateChanged,
    Transmit,
)
from pyrtc.pc.events import (
    ChannelFailed,
    DtlsStateChanged,
    IceGatheringStateChanged,
    IceStateChanged,
    LocalCandidate,
    MediaReceived,
)
from pyrtc.sansio import Address, Event
from pyrtc.sctp import Association, AssociationClosed, SctpConfig

_CONNECTED = ("connected", "completed")
_USABLE = ("connected", "completed", "disconnected")
"""ICE states with a selected pair that still takes data (consent may come back)."""


_transmit = functools.partial(tuple.__new__, Transmit)
"""``Transmit`` from a ``(data, addr, local)`` tuple without the Python-level ``__new__``
of a named tuple: the per-datagram constructor of the data path."""


class TransportError(Error):
    """A transport-stack operation that is not possible in the current state."""


class TransportStack:
    """ICE + DTLS + SCTP + data channels over one ICE component (RFC 8843 BUNDLE).

    Create it, :meth:`gather` on the local bases, then :meth:`start` once the remote
    description is known (DTLS role, the peer's fingerprints and SCTP parameters) and feed
    the remote ICE credentials and candidates to :attr:`agent`.
    """

    def __init__(
        self,
        controlling: bool,
        certificate: RTCCertificate,
        *,
        local_sctp_port: int = 5000,
        **agent_options: Any,
    ) -> None:
        self.agent = Agent(controlling, **agent_options)
        self.certificate = certificate
        self.local_sctp_port = local_sctp_port
        self.dtls: DtlsConnection | None = None
        self.channels: DataChannelManager | None = None
        self.dtls_role: str | None = None
        self.dtls_state = "new"
        self.srtp_profile: int | None = None
        self.peer_certificate: bytes | None = None
        self.bytes_sent = 0
        self.bytes_received = 0
        self.packets_sent = 0
        self.packets_received = 0
        self.dropped = 0
        """Datagrams of no known kind (RFC 7983 ranges) or arriving before DTLS exists."""
        self._events: deque[Event] = deque()
        self._selected: tuple[Address, Address] | None = None
        """(base, remote address) of the selected pair: the data fast path."""
        self._dtls_started = False
        self._outbox: list[Transmit] = []

    # -- configuration -----------------------------------------------------------------------

    def gather(
        self,
        bases: Sequence[Address],
        now: float,
        stun_servers: Sequence[Address] = (),
        turn_servers: Sequence[TurnServer] = (),
    ) -> None:
        """Gather local candidates on the bound ``bases`` (see :meth:`Agent.gather`)."""
        self.agent.gather(bases, now, stun_servers, turn_servers)
        self._drain_agent(now)

    def start(
        self,
        dtls_role: Literal["client", "server"],
        remote_fingerprints: list[RTCDtlsFingerprint],
        *,
        remote_sctp_port: int | None,
        remote_max_message_size: int,
        now: float,
    ) -> None:
        """Create the DTLS connection (``"client"`` or ``"server"``, RFC 8842 section 5) and,
        when ``remote_sctp_port`` is given, the SCTP association with its data channels.

        The DTLS client sends its ClientHello as soon as ICE selects a pair.
        """
        if self.dtls is not None:
            raise TransportError("the transport was started already")
        self.dtls_role = dtls_role
        self.dtls = DtlsConnection(
            dtls_role, self.certificate, remote_fingerprints=remote_fingerprints
        )
        if remote_sctp_port is not None:
            config = SctpConfig(
                local_port=self.local_sctp_port,
                remote_port=remote_sctp_port,
                max_message_size=remote_max_message_size,
            )
            self.channels = DataChannelManager(
                Association(config), dtls_client=dtls_role == "client"
            )
        self._set_dtls("connecting")
        self._maybe_start_dtls(now)

    def add_channel(self, parameters: ChannelParameters, channel_id: int | None) -> int:
        """Open a data channel; returns its SCTP stream id (RFC 8832 section 6)."""
        if self.channels is None:
            raise TransportError("no SCTP transport was negotiated")
        return self.channels.create_channel(parameters, channel_id)

    def close(self, now: float) -> None:
        """Abort SCTP, send DTLS close_notify, close the ICE agent."""
        if self.channels is not None and self.channels.association.established:
            self.channels.association.abort("closed by the application")
            self._flush_sctp(now)
        if self.dtls is not None and self.dtls.is_established:
            self.dtls.close()
            self._flush_dtls(now)
        self.agent.close(now)
        self._drain_agent(now)
        if self.dtls_state not in ("failed", "closed"):
            self._set_dtls("closed")

    # -- sans-I/O interface ------------------------------------------------------------------

    def receive(self, data: bytes, addr: Address, now: float, local: Address) -> None:
        """Feed one datagram that arrived from ``addr`` on the base ``local``."""
        self.packets_received += 1
        self.bytes_received += len(data)
        selected = self._selected
        if selected is not None and data and data[0] > 3 and selected == (local, addr):
            self._demux(data, now)  # not STUN, from the selected pair: the agent has no part
            return
        self.agent.receive(data, addr, now, local)
        self._drain_agent(now)

    def handle_timer(self, now: float) -> None:
        """Run whichever of the agent, DTLS and SCTP timers are due."""
        deadline = self.agent.get_timer()
        if deadline is not None and deadline <= now:
            self.agent.handle_timer(now)
            self._drain_agent(now)
        dtls = self.dtls
        if dtls is not None:
            deadline = dtls.get_timer()
            if deadline is not None and deadline <= now:
                dtls.handle_timer(now)
                self._drain_dtls(now)
        channels = self.channels
        if channels is not None:
            deadline = channels.get_timer()
            if deadline is not None and deadline <= now:
                channels.handle_timer(now)

    def get_timer(self) -> float | None:
        """The earliest deadline of the agent, DTLS and SCTP."""
        best = self.agent.get_timer()
        for core in (self.dtls, self.channels):
            if core is not None:
                deadline = core.get_timer()
                if deadline is not None and (best is None or deadline < best):
                    best = deadline
        return best

    def datagrams_to_send(self, now: float) -> list[Transmit]:
        """SCTP packets go into DTLS records, DTLS datagrams onto the selected pair."""
        self._flush_sctp(now)
        self._flush_dtls(now)
        out = self.agent.datagrams_to_send(now)
        if self._outbox:
            out += self._outbox
            self._outbox = []
        self.packets_sent += len(out)
        self.bytes_sent += sum([len(transmit[0]) for transmit in out])
        return out

    def send(self, datagrams: list[bytes], now: float) -> None:
        """Send application datagrams (DTLS records, SRTP/SRTCP) on the selected pair;
        :class:`~pyrtc.ice.IceError` when the agent has no usable pair."""
        selected = self._selected
        if selected is not None:  # a host pair: no relay or agent bookkeeping in between
            base, remote = selected
            self._outbox += [_transmit((d, remote, base)) for d in datagrams]
            return
        send = self.agent.send
        for datagram in datagrams:
            send(datagram, now)

    def next_event(self) -> Event | None:
        if self._events:
            return self._events.popleft()
        if self.channels is not None:
            self._drain_channels()
            if self._events:
                return self._events.popleft()
        return None

    # -- internals ---------------------------------------------------------------------------

    def _flush_sctp(self, now: float) -> None:
        channels, dtls = self.channels, self.dtls
        if channels is None or dtls is None or not dtls.is_established:
            return
        packets = channels.datagrams_to_send(now)
        if packets:
            dtls.send_many(packets)

    def _flush_dtls(self, now: float) -> None:
        dtls = self.dtls
        if dtls is None or not self._dtls_started or self.agent.state not in _USABLE:
            return  # held in DTLS until a pair is selected (or sent again once it is)
        self.send(dtls.datagrams_to_send(now), now)

    def _drain_agent(self, now: float) -> None:
        agent = self.agent
        while (event := agent.next_event()) is not None:
            kind = type(event)
            if kind is DataReceived:
                assert isinstance(event, DataReceived)
                self._demux(event.data, now)
            elif kind is CandidateGathered:
                assert isinstance(event, CandidateGathered)
                self._events.append(LocalCandidate(event.candidate))
            elif kind is GatheringStateChanged:
                assert isinstance(event, GatheringStateChanged)
                self._events.append(IceGatheringStateChanged(event.state))
                if event.state == "complete":
                    self._events.append(LocalCandidate(None))
            elif kind is StateChanged:
                assert isinstance(event, StateChanged)
                self._on_ice_state(event.state, now)

    def _on_ice_state(self, state: str, now: float) -> None:
        selected = self.agent.selected_pair
        self._selected = None
        if selected is not None and state in _CONNECTED and selected[0].type == "host":
            local, remote = selected  # a host candidate is its own base
            self._selected = ((local.address, local.port), (remote.address, remote.port))
        self._events.append(IceStateChanged(state))
        self._maybe_start_dtls(now)

    def _maybe_start_dtls(self, now: float) -> None:
        dtls = self.dtls
        if dtls is None or self._dtls_started or self.agent.state not in _CONNECTED:
            return
        self._dtls_started = True
        if self.dtls_role == "client":
            dtls.connect(now)

    def _demux(self, data: bytes, now: float) -> None:
        first = data[0]
        if 19 < first < 64:
            self._on_dtls(data, now)
        elif 127 < first < 192:
            self._events.append(MediaReceived(data))
        else:
            self.dropped += 1

    def _on_dtls(self, data: bytes, now: float) -> None:
        dtls = self.dtls
        if dtls is None:
            self.dropped += 1  # the peer is faster than our signaling: DTLS retransmits
            return
        payload = dtls.receive_data(data, now)
        if payload is None:
            self._drain_dtls(now)
        elif self.channels is not None:
            self.channels.receive(payload, now)
        else:
            self.dropped += 1

    def _drain_dtls(self, now: float) -> None:
        dtls = self.dtls
        assert dtls is not None
        channels = self.channels
        while (event := dtls.next_event()) is not None:
            kind = type(event)
            if kind is ApplicationDataReceived:
                assert isinstance(event, ApplicationDataReceived)
                if channels is not None:
                    channels.receive(event.data, now)
                else:
                    self.dropped += 1
            elif kind is HandshakeCompleted:
                assert isinstance(event, HandshakeCompleted)
                self.srtp_profile = event.srtp_profile
                self.peer_certificate = event.peer_certificate
                self._set_dtls("connected")
                if channels is not None:
                    channels.association.connect()
            elif kind is ConnectionFailed:
                assert isinstance(event, ConnectionFailed)
                who = "the peer" if event.remote else "we"
                self._set_dtls("failed", f"DTLS failed ({who} gave up): {event.reason}")
            elif kind is ConnectionClosed:
                self._set_dtls("closed")

    def _drain_channels(self) -> None:
        """Move the channel events over; channels closed by a failed or aborted association
        (their ``ChannelClosed`` events precede its ``AssociationClosed``) get a
        :class:`~pyrtc.pc.events.ChannelFailed` first."""
        channels = self.channels
        assert channels is not None
        append = self._events.append
        closing: list[ChannelClosed] = []
        while (event := channels.next_event()) is not None:
            kind = type(event)
            if kind is ChannelClosed:
                assert isinstance(event, ChannelClosed)
                closing.append(event)
                continue
            if kind is AssociationClosed and closing:
                assert isinstance(event, AssociationClosed)
                if event.reason is not None:
                    for closed in closing:
                        append(ChannelFailed(closed.channel_id, event.reason))
            self._events.extend(closing)
            closing.clear()
            append(event)
        self._events.extend(closing)

    def _set_dtls(self, state: str, reason: str | None = None) -> None:
        if state != self.dtls_state:
            self.dtls_state = state
            self._events.append(DtlsStateChanged(state, reason))
