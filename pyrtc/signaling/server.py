"""The asyncio shell of the signaling server: HTTP(S) + WebSocket on the ``websockets`` library.

One listening socket serves

* ``GET /`` and the demo page's files from ``pyrtc/signaling/static/``;
* ``GET /ws``: the signaling WebSocket, driven by the sans-I/O :class:`~pyrtc.signaling.hub.Hub`;
* ``GET /api/turn``: ephemeral TURN credentials for the bearer of a valid token.

A browser ``Origin`` must be one of the server's own origins or configured ones (requests
without ``Origin``, which browsers always send, come from native clients and pass). Plain
HTTP is only allowed on a loopback address unless ``insecure`` is set.
"""

from __future__ import annotations

import asyncio
import http
import ipaddress
import json
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from pyrtc.net.timer import DeadlineTimer
from pyrtc.signaling.auth import Identity, TokenVerifier
from pyrtc.signaling.errors import AuthError, ConfigError
from pyrtc.signaling.hub import (
    Close,
    ErrorSent,
    Hub,
    ParticipantJoined,
    ParticipantLeft,
    Send,
)
from pyrtc.signaling.limits import Limits
from pyrtc.signaling.protocol import CLOSE_TRY_AGAIN_LATER
from pyrtc.turn import rest_credentials

logger = logging.getLogger("pyrtc.signaling")

STATIC_DIR = Path(__file__).parent / "static"
_STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
# Everything the page needs comes from this server; no inline script, no third party.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; media-src 'self' blob:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class _Link:
    """The shell's side of one connection: its socket, outbox and writer task."""

    ws: ServerConnection
    outbox: asyncio.Queue[Send | Close]
    writer: asyncio.Task[None]
    closing: list[asyncio.Task[None]] = field(default_factory=list)


@dataclass(frozen=True)
class TurnRestConfig:
    """coturn ``--use-auth-secret`` settings for the ``/api/turn`` endpoint."""

    secret: str
    uris: tuple[str, ...]
    ttl: int = 86400


@dataclass(frozen=True)
class ServerConfig:
    """Everything :class:`SignalingServer` needs; only ``verifier`` has no default."""

    verifier: TokenVerifier
    host: str = "127.0.0.1"
    port: int = 8080
    limits: Limits = field(default_factory=Limits)
    ssl: ssl.SSLContext | None = None
    insecure: bool = False
    """Allow plain HTTP on a non-loopback address (never needed for local tests)."""
    origins: tuple[str, ...] = ()
    """Extra allowed browser origins besides the server's own (``https://app.example``)."""
    turn: TurnRestConfig | None = None


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _json_response(status: http.HTTPStatus, body: dict[str, Any]) -> Response:
    data = json.dumps(body).encode()
    headers = Headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ]
    )
    return Response(status.value, status.phrase, headers, data)


def _error(status: http.HTTPStatus, code: str, message: str) -> Response:
    return _json_response(status, {"code": code, "message": message})


class SignalingServer:
    """The signaling server; use ``async with SignalingServer(config) as server:``."""

    def __init__(self, config: ServerConfig, wall_clock: Callable[[], float] = time.time) -> None:
        if config.ssl is None and not config.insecure and not is_loopback(config.host):
            raise ConfigError(
                f"refusing plain HTTP on non-loopback {config.host!r}: give a TLS certificate "
                "(--tls-cert/--tls-key or --self-signed) or --insecure"
            )
        self.config = config
        self._wall = wall_clock
        self.hub = Hub(config.limits, self._authenticate)
        self._files = {
            path: ((STATIC_DIR / name).read_bytes(), kind)
            for path, (name, kind) in _STATIC_FILES.items()
        }
        self._server: Server | None = None
        self._links: dict[int, _Link] = {}
        self._timer: DeadlineTimer | None = None

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on the configured address (port 0 picks a free port)."""
        limits = self.config.limits
        self._timer = DeadlineTimer(asyncio.get_running_loop(), self._on_timer)
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            ssl=self.config.ssl,
            process_request=self._process_request,
            # The hub answers messages up to the limit with an error; this hard cap keeps
            # memory bounded for anything bigger (close 1009 without an error message).
            max_size=4 * limits.max_message_size,
            compression=None,
            max_queue=16,
            ping_interval=20,
            ping_timeout=20,
            open_timeout=10,
            close_timeout=5,
            server_header=None,
        )

    async def close(self) -> None:
        """Close every connection (1001) and stop listening."""
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
            self._server = None
        # After the handlers finished: their last pump may have re-armed it.
        if self._timer is not None:
            self._timer.cancel()

    async def __aenter__(self) -> SignalingServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        """The TCP port actually bound."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """``http(s)://host:port/``, the demo page."""
        scheme = "https" if self.config.ssl is not None else "http"
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"{scheme}://{host}:{self.port}/"

    @property
    def ws_url(self) -> str:
        """``ws(s)://host:port/ws``, the signaling endpoint."""
        return self.url.replace("http", "ws", 1) + "ws"

    def allowed_origins(self) -> set[str]:
        """Browser origins accepted on ``/ws``: this server's own names and configured ones."""
        scheme = "https" if self.config.ssl is not None else "http"
        hosts = {"localhost", "127.0.0.1", "[::1]"}
        if self.config.host not in ("", "0.0.0.0", "::"):
            host = self.config.host
            hosts.add(f"[{host}]" if ":" in host else host)
        own = {f"{scheme}://{host}:{self.port}" for host in hosts}
        return own | set(self.config.origins)

    # -- HTTP --------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        ip = str(connection.remote_address[0])
        if not self.hub.charge_ip(ip, asyncio.get_running_loop().time()):
            return _error(http.HTTPStatus.TOO_MANY_REQUESTS, "rate-limited", "slow down")
        path = urlsplit(request.path).path
        if path == "/ws":
            origins = request.headers.get_all("Origin")
            if origins and (len(origins) > 1 or origins[0] not in self.allowed_origins()):
                origin = ", ".join(origins)
                logger.info("refused origin %r from %s", origin, ip)
                return _error(http.HTTPStatus.FORBIDDEN, "bad-origin", "origin not allowed")
            return None
        if path == "/api/turn":
            return self._turn_credentials(request)
        found = self._files.get(path)
        if found is None:
            return _error(http.HTTPStatus.NOT_FOUND, "not-found", "no such page")
        body, kind = found
        headers = Headers([("Content-Type", kind), ("Content-Length", str(len(body)))])
        headers.update(_PAGE_HEADERS)
        return Response(200, "OK", headers, body)

    def _turn_credentials(self, request: Request) -> Response:
        """TURN REST API response (draft-uberti-behave-turn-rest-00 §2.2) plus ``iceServers``."""
        turn = self.config.turn
        if turn is None:
            # "No TURN server here" is not a failure for the page: it uses host candidates.
            return Response(204, "No Content", Headers([("Cache-Control", "no-store")]))
        values = request.headers.get_all("Authorization")
        scheme, _, token = (values[0] if len(values) == 1 else "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _error(http.HTTPStatus.UNAUTHORIZED, "token-invalid", "send a Bearer token")
        try:
            identity = self.config.verifier.verify(token.strip(), None, self._wall())
        except AuthError as exc:
            return _error(http.HTTPStatus.UNAUTHORIZED, exc.code, exc.message)
        username, password = rest_credentials(turn.secret, identity.user, turn.ttl, self._wall())
        return _json_response(
            http.HTTPStatus.OK,
            {
                "username": username,
                "password": password,
                "ttl": turn.ttl,
                "uris": list(turn.uris),
                "iceServers": [
                    {"urls": list(turn.uris), "username": username, "credential": password}
                ],
            },
        )

    # -- WebSocket ---------------------------------------------------------------------

    def _authenticate(self, token: str, room: str) -> Identity:
        return self.config.verifier.verify(token, room, self._wall())

    async def _handle(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        conn = self.hub.connect(str(ws.remote_address[0]), loop.time())
        outbox: asyncio.Queue[Send | Close] = asyncio.Queue()
        link = self._links[conn] = _Link(ws, outbox, asyncio.create_task(self._write(ws, outbox)))
        self._pump()
        try:
            async for message in ws:
                self.hub.receive(conn, message, loop.time())
                self._pump()
        except ConnectionClosed:
            pass
        finally:
            self.hub.disconnect(conn, loop.time())
            del self._links[conn]
            self._pump()
            link.writer.cancel()
            await asyncio.gather(link.writer, *link.closing, return_exceptions=True)

    @staticmethod
    async def _write(ws: ServerConnection, outbox: asyncio.Queue[Send | Close]) -> None:
        try:
            while True:
                action = await outbox.get()
                if isinstance(action, Close):
                    await ws.close(action.code, action.reason)
                    return
                await ws.send(action.text)
        except ConnectionClosed:
            return

    def _pump(self) -> None:
        """Hand the hub's actions to the connections' writers, log events, re-arm the timer."""
        limit = self.config.limits.max_send_queue
        while actions := self.hub.messages_to_send():
            for action in actions:
                link = self._links.get(action.conn)
                if link is None or link.closing:
                    continue
                if isinstance(action, Send) and link.outbox.qsize() >= limit:
                    self._drop_slow_reader(action.conn, link)
                    continue
                link.outbox.put_nowait(action)
        while (event := self.hub.next_event()) is not None:
            match event:
                case ParticipantJoined(room, peer, ip):
                    logger.info("%s joined %s as %s (%s)", peer.user, room, peer.id, ip)
                case ParticipantLeft(room, peer_id):
                    logger.info("%s left %s", peer_id, room)
                case ErrorSent(conn, ip, code, message, fatal):
                    what = "closed" if fatal else "warned"
                    logger.info("connection %d from %s %s: %s (%s)", conn, ip, what, code, message)
        if self._timer is not None:
            self._timer.arm(self.hub.get_timer())

    def _drop_slow_reader(self, conn: int, link: _Link) -> None:
        """Close a connection whose client stopped reading (its writer is stuck in send).

        The hub takes it out of its room now; the error message cannot get through a full
        pipe, so the close is started beside the stuck writer and, if the client never
        answers it, websockets aborts the TCP connection after ``close_timeout``.
        """
        self.hub.abort(conn, "slow-consumer", "messages are piling up unread")
        link.writer.cancel()
        link.closing.append(
            asyncio.create_task(link.ws.close(CLOSE_TRY_AGAIN_LATER, "slow-consumer"))
        )

    def _on_timer(self, now: float) -> None:
        self.hub.handle_timer(now)
        self._pump()
