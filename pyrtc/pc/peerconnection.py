"""``RTCPeerConnection``: JSEP (RFC 9429) over the transport stack, run by asyncio.

The connection owns one :class:`~pyrtc.pc.stack.TransportStack` (one BUNDLE group) and one
UDP socket per local address. Received datagrams go straight into the stack; sending, event
dispatch and the timer are coalesced into one flush per loop iteration, so a burst of
datagrams costs one pass over the SCTP, DTLS and ICE output.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import socket
from collections.abc import Sequence
from typing import Any, Literal

from pyrtc.datachannel import (
    ChannelBufferedAmountLow,
    ChannelClosed,
    ChannelMessage,
    ChannelOpened,
    ChannelParameters,
    DataChannelError,
)
from pyrtc.dtls import RTCCertificate
from pyrtc.emitter import EventEmitter
from pyrtc.ice import Candidate, RTCIceServer
from pyrtc.ice.agent import TurnServer
from pyrtc.ice.events import Transmit
from pyrtc.mediastreams import MediaStreamTrack
from pyrtc.net.batch import enable_gro, recv_many, send_many
from pyrtc.net.ice import host_addresses
from pyrtc.net.timer import DeadlineTimer
from pyrtc.pc.config import RTCConfiguration, RTCIceCandidate, RTCSessionDescription
from pyrtc.pc.datachannel import RTCDataChannel, payload_size
from pyrtc.pc.events import (
    ChannelFailed,
    DtlsStateChanged,
    IceGatheringStateChanged,
    IceStateChanged,
    LocalCandidate,
    MediaReceived,
)
from pyrtc.pc.jsep import (
    DATA_FORMAT,
    DATA_PROTO,
    InvalidAccessError,
    InvalidStateError,
    LocalParameters,
    RemoteParameters,
    Section,
    build_description,
    remote_parameters,
    sections_from_offer,
)
from pyrtc.pc.media_controller import MediaController
from pyrtc.pc.rtp import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from pyrtc.pc.stack import TransportStack
from pyrtc.sansio import Address, Datagram, Event
from pyrtc.sctp import AssociationClosed, SctpError
from pyrtc.sdp import SessionDescription

logger = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 262144
"""What we accept per data-channel message (our ``a=max-message-size``)."""
_READ_BATCH = 64
_READ_BUFSIZE = 65536
"""Room for the largest UDP payload: a longer buffer costs nothing (one scratch buffer)."""
_SOCKET_BUFFER = 4 << 20
"""SO_RCVBUF/SO_SNDBUF: SCTP bursts a whole window at once; with the 208 KiB default the
kernel drops datagrams of a burst on loopback (capped by net.core.rmem_max/wmem_max)."""


class _Socket:
    """One non-blocking UDP socket (a local base) watched with ``loop.add_reader``.

    Each readiness callback drains up to :data:`_READ_BATCH` datagrams into the stack (one
    ``recvmmsg`` on Linux) and then flushes once: with asyncio's datagram transports every
    datagram costs a loop iteration and a flush of its own.
    """

    def __init__(self, pc: RTCPeerConnection, sock: socket.socket) -> None:
        self.pc = pc
        self.sock = sock
        name = sock.getsockname()
        self.base: Address = (name[0], name[1])

    def readable(self) -> None:
        pc = self.pc
        stack = pc._stack
        if stack is None:
            return
        base = self.base
        now = pc._loop_time()
        try:
            received = recv_many(self.sock, _READ_BATCH, _READ_BUFSIZE)
        except OSError:
            pc.send_errors += 1  # an ICMP error reported on the socket
            received = []
        receive = stack.receive
        for data, addr in received:
            receive(data, addr, now, base)
        pc._flush()

    def send(self, datagrams: list[Datagram]) -> None:
        """Send a flush's datagrams with as few system calls as possible.

        A datagram the kernel refuses is counted in ``send_errors`` and skipped; when the
        socket would block, the rest is dropped and counted (UDP may drop, and the
        protocols above retransmit).
        """
        pc = self.pc
        sent = 0
        while sent < len(datagrams):  # each pass sends or drops at least one datagram
            rest = datagrams[sent:] if sent else datagrams
            try:
                count = send_many(self.sock, rest, gso=True)
            except OSError:
                pc.send_errors += 1  # unreachable, too large, ...: drop this one
                sent += 1
                continue
            except (TypeError, ValueError):  # not a numeric address: sendto resolves it
                for data, addr in rest:
                    self.sendto(data, addr)
                return
            if count == 0:
                pc.send_errors += len(rest)  # would block: drop the rest
                return
            sent += count

    def sendto(self, data: bytes, addr: Address) -> None:
        try:
            self.sock.sendto(data, addr)
        except OSError:
            self.pc.send_errors += 1  # full buffer or unreachable: UDP may drop


class RTCPeerConnection(EventEmitter):
    """A WebRTC peer connection with data channels (W3C webrtc section 4.4).

    The calls and names are aiortc's (and the W3C's): ``createOffer``, ``createAnswer``,
    ``setLocalDescription``, ``setRemoteDescription``, ``addIceCandidate``,
    ``createDataChannel``, ``getStats``, ``close`` and the ``on("event")`` decorator.

    pyrtc extensions: ``addresses`` pins the local IP addresses to gather on (default: every
    interface, loopback only when nothing else exists); ``trickle=True`` makes
    :meth:`setLocalDescription` return without waiting for gathering (candidates come with
    ``icecandidate`` events); without it, it waits so that :attr:`localDescription` holds every
    candidate, as aiortc does.

    Media: ``addTrack``, ``addTransceiver``, ``getTransceivers``, ``getSenders``,
    ``getReceivers`` and the ``track`` event (see :mod:`pyrtc.pc.rtp`).

    Events: ``datachannel``, ``track``, ``icecandidate`` (an :class:`RTCIceCandidate`,
    ``None`` at the end), ``negotiationneeded``, ``signalingstatechange``,
    ``icegatheringstatechange``, ``iceconnectionstatechange``, ``connectionstatechange``.
    """

    def __init__(
        self,
        configuration: RTCConfiguration | None = None,
        *,
        addresses: Sequence[str] | None = None,
        trickle: bool = False,
    ) -> None:
        super().__init__()
        self._configuration = configuration or RTCConfiguration()
        certificates = self._configuration.certificates
        self._certificate = certificates[0] if certificates else None
        self._addresses = list(addresses) if addresses is not None else None
        self._trickle = trickle
        self._stack: TransportStack | None = None
        self._sockets: dict[Address, _Socket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: DeadlineTimer | None = None
        self._flush_pending = False
        self._gathered: asyncio.Event | None = None
        self._gathering_started = False
        self._sections: list[Section] = []
        self._session_id = random.getrandbits(62)
        self._session_version = 0
        self._offerer: bool | None = None
        self._pending_remote: RTCSessionDescription | None = None
        self._current_remote: RTCSessionDescription | None = None
        self._pending_local_type: str | None = None
        self._current_local_type: str | None = None
        self._remote: RemoteParameters | None = None
        self._before_remote_offer: tuple[list[Section], RemoteParameters | None] | None = None
        """What a rollback of the pending remote offer restores (renegotiation)."""
        self._restart_pending = False
        self._data_wanted = False
        self._negotiation_queued = False
        self._channels: dict[int, RTCDataChannel] = {}
        self._unassigned: list[RTCDataChannel] = []
        self._channels_opened = 0
        self._channels_closed = 0
        self._closed = False
        self._signaling_state = "stable"
        self._gathering_state = "new"
        self._ice_state = "new"
        self._dtls_state = "new"
        self._connection_state = "new"
        self._can_trickle: bool | None = None
        self.failure_reason: str | None = None
        """Why ``connectionState`` became ``failed`` (pyrtc extension)."""
        self._media = MediaController(self)
        self.send_errors = 0

    # -- W3C attributes -----------------------------------------------------------------------

    @property
    def signalingState(self) -> str:
        return self._signaling_state

    @property
    def iceGatheringState(self) -> str:
        return self._gathering_state

    @property
    def iceConnectionState(self) -> str:
        return self._ice_state

    @property
    def connectionState(self) -> str:
        return self._connection_state

    @property
    def canTrickleIceCandidates(self) -> bool | None:
        """Whether the remote description announced ``a=ice-options:trickle``."""
        return self._can_trickle

    @property
    def localDescription(self) -> RTCSessionDescription | None:
        """The pending, else current, local description, with the candidates gathered so far
        (and ``a=end-of-candidates`` once gathering is complete)."""
        kind = self._pending_local_type or self._current_local_type
        return None if kind is None else RTCSessionDescription(self._describe(kind), kind)

    @property
    def currentLocalDescription(self) -> RTCSessionDescription | None:
        kind = self._current_local_type
        return None if kind is None else RTCSessionDescription(self._describe(kind), kind)

    @property
    def pendingLocalDescription(self) -> RTCSessionDescription | None:
        kind = self._pending_local_type
        return None if kind is None else RTCSessionDescription(self._describe(kind), kind)

    @property
    def remoteDescription(self) -> RTCSessionDescription | None:
        return self._pending_remote or self._current_remote

    @property
    def currentRemoteDescription(self) -> RTCSessionDescription | None:
        return self._current_remote

    @property
    def pendingRemoteDescription(self) -> RTCSessionDescription | None:
        return self._pending_remote

    @property
    def sctp(self) -> TransportStack | None:
        """The transport stack (ICE, DTLS, SCTP) once negotiation started (pyrtc extension)."""
        return self._stack

    def getConfiguration(self) -> RTCConfiguration:
        return self._configuration

    # -- JSEP ---------------------------------------------------------------------------------

    async def createOffer(self, iceRestart: bool = False) -> RTCSessionDescription:
        """An offer (RFC 9429 section 5.2): our sections plus a data section once a channel
        exists; ``iceRestart`` (or a :meth:`restartIce` before) gives new ICE credentials."""
        self._check_open()
        if self._signaling_state not in ("stable", "have-local-offer"):
            raise InvalidStateError(f"cannot create an offer in {self._signaling_state}")
        stack = self._ensure_stack(controlling=True)
        if (iceRestart or self._restart_pending) and self._remote is not None:
            stack.agent.restart(self._loop_time())
            self._restart_pending = False
        self._media.offer_sections(self._sections)
        if self._data_wanted and not any(s.kind == "application" for s in self._sections):
            mid = str(len(self._sections))
            self._sections.append(Section(mid, "application", DATA_PROTO, [DATA_FORMAT]))
        self._session_version += 1
        return RTCSessionDescription(self._describe("offer"), "offer")

    async def createAnswer(self) -> RTCSessionDescription:
        """The answer to the remote offer (RFC 9429 section 5.3)."""
        self._check_open()
        if self._signaling_state != "have-remote-offer":
            raise InvalidStateError(f"cannot create an answer in {self._signaling_state}")
        self._media.answer_sections(self._sections)
        self._session_version += 1
        return RTCSessionDescription(self._describe("answer"), "answer")

    async def setLocalDescription(self, description: RTCSessionDescription | None = None) -> None:
        """Apply our offer or answer (RFC 9429 section 5.5), or roll back a pending offer;
        without a description, create the offer or answer implicitly. Starts gathering and,
        unless ``trickle``, returns once gathering is complete."""
        self._check_open()
        if description is None:
            if self._signaling_state == "have-remote-offer":
                description = await self.createAnswer()
            else:
                description = await self.createOffer()
        kind = description.type
        if kind == "rollback":
            if self._signaling_state != "have-local-offer":
                raise InvalidStateError(f"nothing to roll back in {self._signaling_state}")
            self._pending_local_type = None
            self._set_signaling("stable")
            return
        if kind == "offer":
            if self._signaling_state not in ("stable", "have-local-offer"):
                raise InvalidStateError(f"cannot set a local offer in {self._signaling_state}")
            self._check_own(description)
            self._offerer = True
            self._pending_local_type = "offer"
            self._set_signaling("have-local-offer")
        elif kind == "answer":
            if self._signaling_state != "have-remote-offer":
                raise InvalidStateError(f"cannot set a local answer in {self._signaling_state}")
            self._check_own(description)
            self._pending_local_type = None
            self._current_local_type = "answer"
            self._current_remote, self._pending_remote = self._pending_remote, None
            self._media.apply_local_answer()
            self._set_signaling("stable")
            self._start_transport()
            self._start_media()
        else:
            raise InvalidAccessError(f"unsupported description type {kind!r}")
        await self._gather()
        if not self._trickle and self._gathered is not None:
            await self._gathered.wait()

    async def setRemoteDescription(self, description: RTCSessionDescription) -> None:
        """Apply the peer's offer or answer (RFC 9429 section 5.10), or roll back a pending
        remote offer."""
        self._check_open()
        kind = description.type
        if kind == "rollback":
            if self._signaling_state != "have-remote-offer":
                raise InvalidStateError(f"nothing to roll back in {self._signaling_state}")
            self._pending_remote = None
            if self._current_remote is None:
                self._discard_transport()
            elif self._before_remote_offer is not None:
                self._sections, self._remote = self._before_remote_offer
            self._before_remote_offer = None
            self._set_signaling("stable")
            return
        parsed = SessionDescription.parse(description.sdp)
        if kind == "offer":
            if self._signaling_state not in ("stable", "have-remote-offer"):
                raise InvalidStateError(f"cannot set a remote offer in {self._signaling_state}")
            if self._offerer is None or self._current_remote is None:
                self._ensure_stack(controlling=False)
            self._offerer = False
            self._before_remote_offer = (copy.deepcopy(self._sections), self._remote)
            self._sections = sections_from_offer(parsed)
            self._media.apply_remote_offer(self._sections, parsed)
            self._apply_remote(parsed, offer=True)
            self._pending_remote = description
            self._set_signaling("have-remote-offer")
        elif kind == "answer":
            if self._signaling_state != "have-local-offer":
                raise InvalidStateError(f"cannot set a remote answer in {self._signaling_state}")
            if len(parsed.media) != len(self._sections):
                raise InvalidAccessError("the answer's sections do not match the offer's")
            for section, media in zip(self._sections, parsed.media, strict=True):
                section.rejected = section.rejected or media.port == 0
            self._apply_remote(parsed, offer=False)
            self._media.apply_remote_answer(self._sections, parsed)
            self._current_remote, self._pending_remote = description, None
            self._current_local_type, self._pending_local_type = "offer", None
            self._set_signaling("stable")
            self._start_transport()
            self._start_media()
        else:
            raise InvalidAccessError(f"unsupported description type {kind!r}")
        self._schedule_flush()

    async def addIceCandidate(self, candidate: RTCIceCandidate | None) -> None:
        """Add a trickled remote candidate; ``None`` (or an empty candidate) is the remote
        end-of-candidates (RFC 8838 section 4.4)."""
        self._check_open()
        if self._stack is None or self.remoteDescription is None:
            raise InvalidStateError("addIceCandidate needs a remote description first")
        now = self._loop_time()
        if candidate is None or not getattr(candidate, "ip", None):
            self._stack.agent.add_remote_candidate(None, now)
        else:
            parsed = RTCIceCandidate.to_candidate(candidate)
            self._stack.agent.add_remote_candidate(parsed, now)
        self._schedule_flush()

    def restartIce(self) -> None:
        """Make the next offer an ICE restart (RFC 8445 section 9)."""
        self._restart_pending = True
        self._queue_negotiation()

    def createDataChannel(
        self,
        label: str,
        maxPacketLifeTime: int | None = None,
        maxRetransmits: int | None = None,
        ordered: bool = True,
        protocol: str = "",
        negotiated: bool = False,
        id: int | None = None,
    ) -> RTCDataChannel:
        """A new data channel (W3C webrtc section 6.1; RFC 8832 opens it once SCTP is up)."""
        self._check_open()
        if maxPacketLifeTime is not None and maxRetransmits is not None:
            raise ValueError("Cannot specify both maxPacketLifeTime and maxRetransmits")
        if negotiated and id is None:
            raise ValueError("a negotiated channel needs an id")
        if len(label.encode()) > 65535 or len(protocol.encode()) > 65535:
            raise TypeError("label and protocol are limited to 65535 bytes")
        parameters = ChannelParameters(
            label=label,
            protocol=protocol,
            ordered=ordered,
            max_retransmits=maxRetransmits,
            max_packet_life_time=maxPacketLifeTime,
            negotiated=negotiated,
        )
        channel = RTCDataChannel(self, parameters, id)
        if not self._data_wanted:
            self._data_wanted = True
            if not any(s.kind == "application" and not s.rejected for s in self._sections):
                self._queue_negotiation()
        if self._stack is not None and self._stack.channels is not None:
            self._register(channel)
        else:
            self._unassigned.append(channel)
        self._schedule_flush()
        return channel

    def addTrack(self, track: MediaStreamTrack) -> RTCRtpSender:
        """Send ``track``: on an unused transceiver of its kind, else a new ``sendrecv`` one
        (W3C webrtc section 5.1)."""
        self._check_open()
        if any(s.track is track for s in self.getSenders()):
            raise InvalidAccessError("the track is already being sent")
        for transceiver in self._media.transceivers:
            if (
                transceiver.kind == track.kind
                and transceiver.sender.track is None
                and not transceiver.stopped
            ):
                transceiver.sender._track = track
                if transceiver.direction in ("recvonly", "inactive"):
                    transceiver.direction = (
                        "sendrecv" if transceiver.direction == "recvonly" else "sendonly"
                    )
                self._queue_negotiation()
                return transceiver.sender
        return self.addTransceiver(track, "sendrecv").sender

    def addTransceiver(
        self, trackOrKind: MediaStreamTrack | str, direction: str = "sendrecv"
    ) -> RTCRtpTransceiver:
        """A new transceiver for a track or a kind (``"audio"``/``"video"``)."""
        self._check_open()
        if isinstance(trackOrKind, str):
            transceiver = RTCRtpTransceiver(trackOrKind, direction, None)
        else:
            transceiver = RTCRtpTransceiver(trackOrKind.kind, direction, trackOrKind)
        self._media.transceivers.append(transceiver)
        self._queue_negotiation()
        return transceiver

    def getTransceivers(self) -> list[RTCRtpTransceiver]:
        return list(self._media.transceivers)

    def getSenders(self) -> list[RTCRtpSender]:
        return [t.sender for t in self._media.transceivers]

    def getReceivers(self) -> list[RTCRtpReceiver]:
        return [t.receiver for t in self._media.transceivers]

    async def getStats(self) -> Any:
        """An ``RTCStatsReport`` (see :mod:`pyrtc.pc.stats`)."""
        from pyrtc.pc.stats import collect

        return collect(self)

    async def close(self) -> None:
        """Close every channel and the transport; ``connectionState`` becomes ``closed``."""
        if self._closed:
            return
        self._closed = True
        stack = self._stack
        self._media.close()
        if stack is not None:
            self._flush()  # the senders' BYE
            now = self._loop_time()
            stack.close(now)
            self._flush()
        if self._timer is not None:
            self._timer.cancel()
        for sock in self._sockets.values():
            if self._loop is not None:
                self._loop.remove_reader(sock.sock)
            sock.sock.close()
        self._sockets.clear()
        for channel in list(self._channels.values()) + self._unassigned:
            channel._set_state("closed")
        self._channels.clear()
        self._unassigned.clear()
        if self._gathered is not None:
            self._gathered.set()
        self._set_signaling("closed")
        self._ice_state = "closed"
        self._set_connection_state("closed")

    # -- data channels (called by RTCDataChannel) --------------------------------------------

    def _channel_send(self, channel: RTCDataChannel, data: str | bytes) -> int:
        """Queue one message on ``channel``; its size in bytes."""
        stack = self._stack
        assert stack is not None and stack.channels is not None and channel.id is not None
        limit = stack.channels.association.config.max_message_size
        size = payload_size(data)
        if size > limit:  # W3C webrtc section 6.2 send(): TypeError
            raise TypeError(f"message of {size} bytes exceeds the peer's max-message-size {limit}")
        try:
            stack.channels.send(channel.id, data)
        except (DataChannelError, SctpError) as exc:  # closing, or the association ended
            raise InvalidStateError(f"cannot send: {exc}") from exc
        self._schedule_flush()
        return size

    def _channel_close(self, channel: RTCDataChannel) -> None:
        stack = self._stack
        if stack is None or stack.channels is None or channel.id is None:
            if channel in self._unassigned:
                self._unassigned.remove(channel)
            channel._set_state("closed")
            return
        channel._set_state("closing")
        stack.channels.close(channel.id)
        self._schedule_flush()

    def _channel_buffered_amount(self, channel: RTCDataChannel) -> int:
        stack = self._stack
        if stack is None or stack.channels is None or channel.id not in self._channels:
            return 0
        assert channel.id is not None
        return stack.channels.buffered_amount(channel.id)

    def _channel_threshold(self, channel: RTCDataChannel) -> None:
        stack = self._stack
        if stack is not None and stack.channels is not None and channel.id in self._channels:
            assert channel.id is not None
            stack.channels.set_buffered_amount_low_threshold(
                channel.id, channel.bufferedAmountLowThreshold
            )

    def _register(self, channel: RTCDataChannel) -> None:
        stack = self._stack
        assert stack is not None
        channel_id = stack.add_channel(channel.parameters, channel.id)
        channel._set_id(channel_id)
        self._channels[channel_id] = channel
        self._channel_threshold(channel)

    # -- internals: transport -----------------------------------------------------------------

    def _loop_time(self) -> float:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._timer = DeadlineTimer(self._loop, self._on_timer)
        return self._loop.time()

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidStateError("RTCPeerConnection is closed")

    def _ensure_stack(self, controlling: bool) -> TransportStack:
        if self._stack is None:
            self._loop_time()
            certificate = self._certificate or RTCCertificate.generateCertificate()
            self._certificate = certificate
            self._stack = TransportStack(
                controlling,
                certificate,
                relay_only=self._configuration.iceTransportPolicy == "relay",
            )
        return self._stack

    def _discard_transport(self) -> None:
        """Forget a transport made for a remote offer that was rolled back."""
        if self._stack is not None and not self._gathering_started:
            self._stack = None
            self._sections = []
            self._offerer = None
            self._remote = None

    async def _gather(self) -> None:
        if self._gathering_started:
            return
        self._gathering_started = True
        stack = self._stack
        assert stack is not None
        loop = asyncio.get_running_loop()
        self._gathered = asyncio.Event()
        addresses = self._addresses
        if addresses is None:
            addresses = host_addresses(use_ipv4=True, use_ipv6=True)
        for address in addresses:
            try:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                raw = socket.socket(family, socket.SOCK_DGRAM)
            except OSError:
                continue
            try:
                raw.setblocking(False)
                for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                    raw.setsockopt(socket.SOL_SOCKET, option, _SOCKET_BUFFER)
                raw.bind((address, 0))
                enable_gro(raw)  # bursts arrive as one buffer where the kernel can coalesce
            except OSError:
                raw.close()  # an address that cannot be bound (e.g. tentative IPv6)
                continue
            sock = _Socket(self, raw)
            loop.add_reader(raw, sock.readable)
            self._sockets[sock.base] = sock
        if not self._sockets:
            raise InvalidAccessError("no local address could be bound")
        stun, turn = await self._servers()
        stack.gather(list(self._sockets), self._loop_time(), stun, turn)
        self._flush()

    async def _servers(self) -> tuple[list[Address], list[TurnServer]]:
        stun: list[Address] = []
        turn: list[TurnServer] = []
        loop = asyncio.get_running_loop()
        for given in self._configuration.iceServers or []:
            server = given
            if not isinstance(server, RTCIceServer):  # aiortc's RTCIceServer, same fields
                server = RTCIceServer(
                    urls=given.urls, username=given.username, credential=given.credential
                )
            for url in server.parsed_urls():
                if (url.scheme == "turn" and url.transport != "udp") or url.scheme == "turns":
                    logger.warning("skipping %s: only TURN over UDP is supported", url)
                    continue
                try:
                    infos = await loop.getaddrinfo(url.host, url.port, type=socket.SOCK_DGRAM)
                except OSError as exc:
                    logger.warning("cannot resolve %s: %s", url.host, exc)
                    continue
                address = (str(infos[0][4][0]), int(infos[0][4][1]))
                if url.scheme == "stun":
                    stun.append(address)
                elif server.username is not None and server.credential is not None:
                    turn.append(TurnServer(address, server.username, server.credential))
        return stun, turn

    def _apply_remote(self, parsed: SessionDescription, offer: bool) -> None:
        params = remote_parameters(parsed)
        stack = self._stack
        assert stack is not None
        self._can_trickle = any("trickle" in parsed.effective_ice_options(m) for m in parsed.media)
        if params is None:
            self._remote = None
            return
        now = self._loop_time()
        previous = self._remote
        changed = previous is None or (previous.ufrag, previous.pwd) != (params.ufrag, params.pwd)
        if previous is not None and changed and offer:
            stack.agent.restart(now)  # the peer restarts ICE: so do we (RFC 8445 section 9)
        self._remote = params
        if changed:
            stack.agent.set_remote_credentials(params.ufrag, params.pwd, now, lite=params.lite)
        for candidate in params.candidates:
            stack.agent.add_remote_candidate(candidate, now)
        if params.end_of_candidates:
            stack.agent.add_remote_candidate(None, now)

    def _start_transport(self) -> None:
        """Once offer and answer are both applied: start DTLS with the role the setup
        attributes give (RFC 8842 section 5; we answer ``active`` like browsers)."""
        stack, remote = self._stack, self._remote
        if stack is None or remote is None or stack.dtls is not None:
            return
        role: Literal["client", "server"]
        if self._offerer:
            role = "client" if remote.setup == "passive" else "server"
        else:
            role = "server" if remote.setup == "active" else "client"
        data_accepted = any(s.kind == "application" and not s.rejected for s in self._sections)
        stack.start(
            role,
            remote.fingerprints,
            remote_sctp_port=remote.sctp_port if data_accepted else None,
            remote_max_message_size=remote.max_message_size,
            now=self._loop_time(),
        )
        if stack.channels is not None:
            for channel in self._unassigned:
                self._register(channel)
            self._unassigned.clear()
        self._schedule_flush()

    def _start_media(self) -> None:
        if self._stack is not None:
            self._media.start(self._stack)
            self._schedule_flush()

    def _local_setup(self, kind: str) -> str:
        """``a=setup`` (RFC 8842 section 5): offers say ``actpass``; an answer keeps the role
        of a running DTLS association, else takes ``active`` unless the offerer did."""
        if kind == "offer":
            return "actpass"
        stack = self._stack
        if stack is not None and stack.dtls_role is not None:
            return "active" if stack.dtls_role == "client" else "passive"
        remote = self._remote
        if remote is not None and remote.setup == "active":
            return "passive"
        return "active"

    def _describe(self, kind: str) -> str:
        stack = self._stack
        assert stack is not None and self._certificate is not None
        fingerprints = [f for f in self._certificate.getFingerprints() if f.algorithm == "sha-256"]
        local = LocalParameters(
            ufrag=stack.agent.local_username,
            pwd=stack.agent.local_password,
            fingerprints=fingerprints,
            setup=self._local_setup(kind),
            candidates=list(stack.agent.local_candidates),
            end_of_candidates=self._gathering_state == "complete",
            max_message_size=MAX_MESSAGE_SIZE,
        )
        return build_description(
            self._sections, local, self._session_id, max(self._session_version, 1)
        )

    def _check_own(self, description: RTCSessionDescription) -> None:
        """The description must be one we created (W3C: no SDP munging of credentials)."""
        stack = self._stack
        assert stack is not None
        parsed = SessionDescription.parse(description.sdp)
        for media in parsed.media:
            credentials = parsed.effective_ice_credentials(media)
            if (
                media.port != 0
                and credentials is not None
                and credentials.ufrag != stack.agent.local_username
            ):
                raise InvalidAccessError("the description was not created by this connection")

    # -- internals: driving the stack ---------------------------------------------------------

    def _schedule_flush(self) -> None:
        if self._flush_pending or self._loop is None or self._stack is None:
            return
        self._flush_pending = True
        self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Dispatch events, send what the stack queued, re-arm the single timer."""
        self._flush_pending = False
        stack = self._stack
        loop = self._loop
        if stack is None or loop is None:
            return
        event = stack.next_event()
        for _ in range(4):  # sending can raise events (bufferedamountlow) that send more
            while event is not None:
                self._dispatch(event)
                event = stack.next_event()
            self._media.flush(stack, loop.time())
            self._send(stack.datagrams_to_send(loop.time()))
            event = stack.next_event()
            if event is None:
                break
        else:
            if event is not None:  # still busy: the rest in the next loop iteration
                self._dispatch(event)
            self._schedule_flush()
        if self._closed:
            return
        when = stack.get_timer()
        media_when = self._media.get_timer()
        if media_when is not None and (when is None or media_when < when):
            when = media_when
        if self._timer is not None:
            self._timer.arm(when)

    def _send(self, transmits: list[Transmit]) -> None:
        """Hand each socket its datagrams as one batch (on Linux one ``sendmmsg``, equal-sized
        runs as GSO messages)."""
        if not transmits:
            return
        sockets = self._sockets
        local = transmits[0][2]
        if all([transmit[2] == local for transmit in transmits]):  # the usual case: one socket
            sock = sockets.get(local)
            if sock is not None:
                sock.send([(transmit[0], transmit[1]) for transmit in transmits])
            return
        batches: dict[Address, list[Datagram]] = {}
        for data, addr, local in transmits:
            batch = batches.get(local)
            if batch is None:
                batch = batches[local] = []
            batch.append((data, addr))
        for local, datagrams in batches.items():
            sock = sockets.get(local)
            if sock is not None:
                sock.send(datagrams)

    def _on_timer(self, now: float) -> None:
        stack = self._stack
        if stack is None or self._closed:
            return
        stack.handle_timer(now)
        self._media.handle_timer(now)
        self._flush()

    def _dispatch(self, event: Event) -> None:
        kind = type(event)
        if kind is ChannelMessage:
            assert isinstance(event, ChannelMessage)
            channel = self._channels.get(event.channel_id)
            if channel is not None:
                channel._deliver(event.data)
        elif kind is ChannelBufferedAmountLow:
            assert isinstance(event, ChannelBufferedAmountLow)
            channel = self._channels.get(event.channel_id)
            if channel is not None:
                channel.emit("bufferedamountlow")
        elif kind is ChannelOpened:
            assert isinstance(event, ChannelOpened)
            self._channels_opened += 1
            if event.remote:
                channel = RTCDataChannel(self, event.parameters, event.channel_id)
                self._channels[event.channel_id] = channel
                channel._ready_state = "open"
                self.emit("datachannel", channel)
                channel.emit("open")
            elif (channel := self._channels.get(event.channel_id)) is not None:
                channel._set_state("open")
        elif kind is ChannelClosed:
            assert isinstance(event, ChannelClosed)
            channel = self._channels.pop(event.channel_id, None)
            if channel is not None:
                self._channels_closed += 1
                channel._set_state("closed")
        elif kind is ChannelFailed:
            assert isinstance(event, ChannelFailed)
            channel = self._channels.get(event.channel_id)
            if channel is not None and not self._closed and channel.listeners("error"):
                channel.emit("error", DataChannelError(f"SCTP association ended: {event.reason}"))
        elif kind is LocalCandidate:
            assert isinstance(event, LocalCandidate)
            self._on_local_candidate(event.candidate)
        elif kind is IceGatheringStateChanged:
            assert isinstance(event, IceGatheringStateChanged)
            self._gathering_state = event.state
            self.emit("icegatheringstatechange")
            if event.state == "complete" and self._gathered is not None:
                self._gathered.set()
        elif kind is IceStateChanged:
            assert isinstance(event, IceStateChanged)
            if self._ice_state != event.state and not self._closed:
                self._ice_state = event.state
                self.emit("iceconnectionstatechange")
                self._update_connection_state()
        elif kind is DtlsStateChanged:
            assert isinstance(event, DtlsStateChanged)
            self._dtls_state = event.state
            if event.state == "connected":
                self._start_media()
            if event.reason is not None:
                self.failure_reason = event.reason
                logger.warning("%s", event.reason)
            self._update_connection_state()
        elif kind is AssociationClosed:
            for channel in list(self._channels.values()):
                channel._set_state("closed")
            self._channels.clear()
        elif kind is MediaReceived:
            assert isinstance(event, MediaReceived)
            self._media.receive(event.data, self._loop_time())

    def _on_local_candidate(self, candidate: Candidate | None) -> None:
        if candidate is None:
            self.emit("icecandidate", None)
            return
        index, mid = next(
            ((i, s.mid) for i, s in enumerate(self._sections) if not s.rejected), (0, "0")
        )
        self.emit("icecandidate", RTCIceCandidate.from_candidate(candidate, mid, index))

    def _update_connection_state(self) -> None:
        """W3C webrtc section 4.3.3 from the ICE and DTLS transport states; a DTLS
        close_notify from the peer ends the connection (``closed``)."""
        ice, dtls = self._ice_state, self._dtls_state
        if self._closed:
            state = "closed"
        elif ice == "failed" or dtls == "failed":
            state = "failed"
            if self.failure_reason is None:
                self.failure_reason = "ICE failed: no candidate pair works"
        elif dtls == "closed":
            state = "closed"
        elif ice == "disconnected":
            state = "disconnected"
        elif ice in ("connected", "completed") and dtls == "connected":
            state = "connected"
        elif ice == "new" and dtls == "new":
            state = "new"
        else:
            state = "connecting"
        self._set_connection_state(state)

    def _set_connection_state(self, state: str) -> None:
        if state != self._connection_state:
            self._connection_state = state
            self.emit("connectionstatechange")

    def _set_signaling(self, state: str) -> None:
        if state != self._signaling_state:
            self._signaling_state = state
            self.emit("signalingstatechange")
            if state == "stable" and self._negotiation_queued:
                self._negotiation_queued = False
                self._queue_negotiation()

    def _queue_negotiation(self) -> None:
        """Fire ``negotiationneeded`` from the event loop once signaling is stable."""
        if self._signaling_state != "stable":
            self._negotiation_queued = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_soon(self._fire_negotiation)

    def _fire_negotiation(self) -> None:
        if not self._closed and self._signaling_state == "stable":
            self.emit("negotiationneeded")
