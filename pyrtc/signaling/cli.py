"""The ``pyrtc serve``, ``pyrtc token`` and ``pyrtc bot`` subcommands (registered by
:mod:`pyrtc.cli`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
import tempfile
import time
from pathlib import Path

from rich.console import Console

from pyrtc.signaling.auth import TokenIssuer, TokenVerifier
from pyrtc.signaling.errors import ConfigError, SignalingError
from pyrtc.signaling.limits import Limits
from pyrtc.signaling.server import ServerConfig, SignalingServer, TurnRestConfig, is_loopback
from pyrtc.signaling.tls import (
    LOCAL_NAMES,
    certificate_fingerprint,
    server_context,
    write_self_signed,
)

SECRET_ENV = "PYRTC_SIGNALING_SECRET"
TURN_SECRET_ENV = "PYRTC_TURN_SECRET"

# No wrapping: URLs and paths must stay copyable (and parseable by tests).
console = Console(soft_wrap=True)


def _key_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--secret", help=f"HS256 shared secret, 32+ bytes (default: ${SECRET_ENV})")
    group.add_argument("--jwt-key", type=Path, metavar="PEM", help="ES256 P-256 key file (PEM)")


def _secret(args: argparse.Namespace) -> str:
    secret: str | None = args.secret or os.environ.get(SECRET_ENV)
    if not secret:
        raise ConfigError(f"give --secret, ${SECRET_ENV} or --jwt-key")
    return secret


def _cmd_token(args: argparse.Namespace) -> int:
    try:
        if args.jwt_key is not None:
            issuer = TokenIssuer.es256(args.jwt_key.read_bytes())
        else:
            issuer = TokenIssuer.hs256(_secret(args))
        token = issuer.issue(args.room, args.user, args.ttl, time.time())
    except (ConfigError, OSError) as exc:
        console.print(f"[red]cannot mint a token:[/red] {exc}")
        return 2
    if args.url:
        # The fragment never reaches the server's logs; the page reads it and drops it.
        print(f"{args.url.split('#')[0]}#room={args.room}&token={token}")
    else:
        print(token)
    return 0


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(
        max_message_size=args.max_message_size,
        rate=args.rate,
        burst=args.burst,
        ip_rate=args.ip_rate,
        ip_burst=args.ip_burst,
        max_participants=args.max_participants,
        max_rooms=args.max_rooms,
        max_connections=args.max_connections,
        max_connections_per_ip=args.max_connections_per_ip,
        idle_timeout=args.idle_timeout,
    )


def _config(args: argparse.Namespace, workdir: str) -> ServerConfig:
    if args.jwt_key is not None:
        verifier = TokenVerifier.es256(args.jwt_key.read_bytes())
    else:
        verifier = TokenVerifier.hs256(_secret(args))
    context = None
    if args.self_signed:
        hosts = list(LOCAL_NAMES)
        if args.host not in hosts and args.host not in ("0.0.0.0", "::", ""):
            hosts.append(args.host)
        cert = write_self_signed(workdir, hosts)
        context = server_context(cert, Path(workdir) / "key.pem")
        console.print(f"self-signed certificate {cert} for {', '.join(hosts)}")
        console.print(f"  SHA-256 {certificate_fingerprint(cert.read_bytes())}")
    elif args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise ConfigError("--tls-cert and --tls-key go together")
        context = server_context(args.tls_cert, args.tls_key)
    turn = None
    turn_secret = args.turn_secret or os.environ.get(TURN_SECRET_ENV)
    if args.turn_uri:
        if not turn_secret:
            raise ConfigError(f"--turn-uri needs --turn-secret or ${TURN_SECRET_ENV}")
        turn = TurnRestConfig(turn_secret, tuple(args.turn_uri), args.turn_ttl)
    return ServerConfig(
        verifier=verifier,
        host=args.host,
        port=args.port,
        limits=_limits(args),
        ssl=context,
        insecure=args.insecure,
        origins=tuple(args.origin),
        turn=turn,
    )


def _cmd_serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    async def serve(config: ServerConfig) -> None:
        async with SignalingServer(config) as server:
            console.print(f"signaling server: page {server.url}  websocket {server.ws_url}")
            if not is_loopback(config.host) and config.ssl is None:
                console.print("[yellow]plain HTTP on a non-loopback address (--insecure)[/yellow]")
            if config.host in ("", "0.0.0.0", "::") and not config.origins:
                console.print(
                    "[yellow]browsers that reach this server by another name than localhost "
                    "need --origin https://NAME:PORT[/yellow]"
                )
            console.print(
                f"tokens: pyrtc token --room ROOM --user NAME --url {server.url}   (Ctrl-C to stop)"
            )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
            console.print("stopping")

    with tempfile.TemporaryDirectory(prefix="pyrtc-tls-") as workdir:
        try:
            asyncio.run(serve(_config(args, workdir)))
        except KeyboardInterrupt:
            return 0
        except (ConfigError, OSError) as exc:
            console.print(f"[red]cannot serve:[/red] {exc}")
            return 2
    return 0


def _cmd_bot(args: argparse.Namespace) -> int:
    # Imported here: the peer connection stack would slow down `pyrtc token` and `serve`.
    from pyrtc.signaling.bot import Bot, BotError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.token:
        fixed: str = args.token

        def token() -> str:
            return fixed
    else:
        try:
            if args.jwt_key is not None:
                issuer = TokenIssuer.es256(args.jwt_key.read_bytes())
            else:
                issuer = TokenIssuer.hs256(_secret(args))
        except (ConfigError, OSError) as exc:
            console.print(f"[red]cannot mint a token:[/red] {exc} (or give --token)")
            return 2

        def token() -> str:
            # A fresh token for every (re)connection: it only has to be valid at join.
            return issuer.issue(args.room, args.name, 60, time.time())

    context = None
    if args.cafile is not None:
        try:
            context = ssl.create_default_context(cafile=str(args.cafile))
        except (OSError, ssl.SSLError) as exc:
            console.print(f"[red]cannot load {args.cafile}:[/red] {exc}")
            return 2

    async def run() -> None:
        bot = Bot(
            args.url,
            args.room,
            token,
            ssl=context,
            addresses=args.address,
            max_retries=args.retries,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await bot.run(stop)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        return 0
    except (SignalingError, ssl.SSLCertVerificationError) as exc:
        console.print(f"[red]cannot join room {args.room}:[/red] {exc}")
        return 2
    except BotError as exc:
        console.print(f"[red]giving up:[/red] {exc}")
        return 1
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``serve``, ``token`` and ``bot`` on the ``pyrtc`` subcommand parser."""
    p = sub.add_parser("serve", help="signaling server + demo page (HTTP(S) and WebSocket)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8080, help="TCP port (0: any free port)")
    _key_options(p)
    p.add_argument("--tls-cert", type=Path, metavar="PEM", help="certificate chain for HTTPS")
    p.add_argument("--tls-key", type=Path, metavar="PEM", help="private key for HTTPS")
    p.add_argument(
        "--self-signed", action="store_true", help="HTTPS with a fresh self-signed certificate"
    )
    p.add_argument(
        "--insecure", action="store_true", help="allow plain HTTP on a non-loopback address"
    )
    p.add_argument(
        "--origin", action="append", default=[], help="extra allowed browser origin (repeat)"
    )
    p.add_argument("--turn-uri", action="append", default=[], help="TURN URI handed out (repeat)")
    p.add_argument("--turn-secret", help=f"coturn static-auth-secret (default: ${TURN_SECRET_ENV})")
    p.add_argument("--turn-ttl", type=int, default=86400, help="TURN credential lifetime (s)")
    defaults = Limits()
    p.add_argument("--max-message-size", type=int, default=defaults.max_message_size)
    p.add_argument("--rate", type=float, default=defaults.rate, help="messages/s per connection")
    p.add_argument("--burst", type=float, default=defaults.burst)
    p.add_argument("--ip-rate", type=float, default=defaults.ip_rate, help="messages/s per IP")
    p.add_argument("--ip-burst", type=float, default=defaults.ip_burst)
    p.add_argument("--max-participants", type=int, default=defaults.max_participants)
    p.add_argument("--max-rooms", type=int, default=defaults.max_rooms)
    p.add_argument("--max-connections", type=int, default=defaults.max_connections)
    p.add_argument("--max-connections-per-ip", type=int, default=defaults.max_connections_per_ip)
    p.add_argument("--idle-timeout", type=float, default=defaults.idle_timeout, help="seconds")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("token", help="mint a signaling JWT for a room and user")
    p.add_argument("--room", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    _key_options(p)
    p.add_argument("--url", help="print a demo page link (token in the #fragment) instead")
    p.set_defaults(func=_cmd_token)

    p = sub.add_parser("bot", help="join a signaling room and echo every caller's data channel")
    p.add_argument("--url", required=True, help="signaling WebSocket, ws(s)://HOST:PORT/ws")
    p.add_argument("--room", required=True)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--token", help="a token for the room (else one is minted per connection)")
    group.add_argument("--secret", help=f"HS256 secret to mint tokens (default: ${SECRET_ENV})")
    group.add_argument("--jwt-key", type=Path, metavar="PEM", help="ES256 key to mint tokens")
    p.add_argument("--name", default="bot", help="user name in minted tokens")
    p.add_argument(
        "--cafile",
        type=Path,
        metavar="PEM",
        help="trust this certificate for wss:// (default: system CAs)",
    )
    p.add_argument(
        "--address",
        action="append",
        help="local IP address to gather ICE candidates on (repeat; default: all interfaces)",
    )
    p.add_argument(
        "--retries", type=int, default=5, help="reconnection attempts in a row before giving up"
    )
    p.set_defaults(func=_cmd_bot)
