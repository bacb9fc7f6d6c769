"""An asyncio client of the signaling protocol (what a Python peer or a bot uses)."""

from __future__ import annotations

import json
import ssl as ssl_module
from collections.abc import AsyncIterator

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from pyrtc.signaling.errors import SignalingError
from pyrtc.signaling.protocol import (
    CLOSE_CODES,
    Answer,
    Candidate,
    ClientMessage,
    ErrorMessage,
    IceCandidate,
    Join,
    Joined,
    Leave,
    Offer,
    PeerJoined,
    PeerLeft,
    Ping,
    ServerMessage,
    encode_client_message,
    parse_server_message,
)


class SignalingClient:
    """One participant: connect and join with :meth:`connect`, then send and receive.

    :attr:`peers` (id -> user name) follows the presence messages as they are received.
    Fatal errors from the server and the end of the connection raise
    :class:`SignalingError` from :meth:`receive` (code ``"closed"`` for a close without
    an error message); a non-fatal ``unknown-peer`` error is returned as an
    :class:`ErrorMessage`.
    """

    def __init__(self, ws: ClientConnection, joined: Joined) -> None:
        self._ws = ws
        self.room = joined.room
        self.id = joined.id
        self.user = joined.user
        self.peers = {peer.id: peer.user for peer in joined.peers}

    @classmethod
    async def connect(
        cls,
        url: str,
        room: str,
        token: str,
        *,
        ssl: ssl_module.SSLContext | None = None,
        origin: str | None = None,
        open_timeout: float = 10.0,
        max_size: int = 1 << 20,
    ) -> SignalingClient:
        """Open ``url`` (``ws://`` or ``wss://``), join ``room`` and wait for ``joined``.

        Raises :class:`SignalingError` with the server's code when the handshake (for
        example ``bad-origin``) or the join (``token-expired``, ``room-full``...) is refused.
        A ``wss://`` URL without ``ssl`` verifies the server against the system CAs.
        """
        if ssl is None and url.startswith("wss:"):
            ssl = ssl_module.create_default_context()
        try:
            ws = await connect(
                url,
                ssl=ssl,
                origin=Origin(origin) if origin is not None else None,
                open_timeout=open_timeout,
                max_size=max_size,
                compression=None,
                proxy=None,
            )
        except InvalidStatus as exc:
            raise _http_error(exc) from None
        try:
            await ws.send(encode_client_message(Join(room, token)))
            first = await _receive(ws)
        except BaseException:
            await ws.close()
            raise
        if not isinstance(first, Joined):
            await ws.close()
            raise SignalingError("bad-message", f"expected 'joined', got {first!r}")
        return cls(ws, first)

    @property
    def close_code(self) -> int | None:
        """The WebSocket close code once the connection is closed."""
        return self._ws.close_code

    async def send(self, message: ClientMessage) -> None:
        """Send any client message."""
        await self._ws.send(encode_client_message(message))

    async def send_offer(self, to: str, sdp: str) -> None:
        """Send an SDP offer to participant ``to``."""
        await self.send(Offer(to, sdp))

    async def send_answer(self, to: str, sdp: str) -> None:
        """Send an SDP answer to participant ``to``."""
        await self.send(Answer(to, sdp))

    async def send_candidate(self, to: str, candidate: IceCandidate | None) -> None:
        """Trickle one ICE candidate to ``to`` (``None``: end of candidates)."""
        await self.send(Candidate(to, candidate))

    async def ping(self) -> None:
        """Send a keep-alive; the server answers with ``pong``."""
        await self.send(Ping())

    async def receive(self) -> ServerMessage:
        """The next message from the server (presence updates :attr:`peers` first)."""
        message = await _receive(self._ws)
        match message:
            case PeerJoined(peer):
                self.peers[peer.id] = peer.user
            case PeerLeft(ident):
                self.peers.pop(ident, None)
        return message

    def __aiter__(self) -> AsyncIterator[ServerMessage]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[ServerMessage]:
        while True:
            try:
                yield await self.receive()
            except SignalingError as exc:
                if exc.code == "closed":
                    return
                raise

    async def leave(self) -> None:
        """Leave the room; the server closes the connection normally (1000)."""
        try:
            await self.send(Leave())
            await self._ws.wait_closed()
        except ConnectionClosed:
            pass

    async def close(self) -> None:
        """Close the connection without a ``leave`` message (the room sees ``peer-left``)."""
        await self._ws.close()


async def _receive(ws: ClientConnection) -> ServerMessage:
    try:
        text = await ws.recv()
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd is not None else None
        raise SignalingError("closed", "the connection is closed", code) from None
    if isinstance(text, bytes):
        raise SignalingError("bad-message", "the server sent a binary message")
    message = parse_server_message(text)
    if isinstance(message, ErrorMessage) and CLOSE_CODES.get(message.code) is not None:
        # A fatal error: the server closes next; report the close code with it.
        await ws.wait_closed()
        code = ws.close_code
        raise SignalingError(message.code, message.message, code)
    return message


def _http_error(exc: InvalidStatus) -> SignalingError:
    status = exc.response.status_code
    try:
        body = json.loads(exc.response.body)
        return SignalingError(str(body["code"]), str(body["message"]))
    except (ValueError, KeyError, TypeError):
        return SignalingError("http-error", f"the server answered HTTP {status}")
