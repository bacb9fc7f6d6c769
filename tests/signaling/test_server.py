"""A real server on 127.0.0.1 (free port), driven by SignalingClient and raw websockets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import ssl
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from pyrtc.signaling import (
    ConfigError,
    ErrorMessage,
    IceCandidate,
    Limits,
    Offer,
    Participant,
    PeerJoined,
    PeerLeft,
    Pong,
    ServerConfig,
    SignalingClient,
    SignalingError,
    SignalingServer,
    TokenIssuer,
    TokenVerifier,
    TurnRestConfig,
    server_context,
    write_self_signed,
)

from .conftest import SECRET, ServerFactory


async def http_get(
    url: str, headers: dict[str, str] | None = None, context: ssl.SSLContext | None = None
) -> tuple[int, dict[str, str], bytes]:
    """A minimal HTTP/1.1 GET over asyncio streams (no proxy settings can interfere)."""
    scheme, _, rest = url.partition("://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.rpartition(":")
    reader, writer = await asyncio.open_connection(
        host, int(port), ssl=context if scheme == "https" else None
    )
    lines = [f"GET /{path} HTTP/1.1", f"Host: {hostport}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    raw = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    parsed = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), parsed, body


async def raw_refusal(url: str, first: str | bytes, **kwargs: Any) -> tuple[dict[str, Any], int]:
    """Send ``first`` on a raw WebSocket; return the error message and the close code."""
    async with connect(url, proxy=None, **kwargs) as ws:
        await ws.send(first)
        error = json.loads(await ws.recv())
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code is not None
        return error, ws.close_code


async def test_join_presence_and_leave(make_server: ServerFactory, token: Any) -> None:
    async with make_server() as server:
        alice = await SignalingClient.connect(server.ws_url, "room", token("room", "alice"))
        assert (alice.room, alice.user, alice.peers) == ("room", "alice", {})
        bob = await SignalingClient.connect(server.ws_url, "room", token("room", "bob"))
        assert bob.peers == {alice.id: "alice"}
        assert await alice.receive() == PeerJoined(Participant(bob.id, "bob"))
        assert alice.peers == {bob.id: "bob"}
        await bob.leave()
        assert bob.close_code == 1000
        assert await alice.receive() == PeerLeft(bob.id)
        assert alice.peers == {}
        await alice.close()
        await asyncio.sleep(0.05)
        assert server.hub.connection_count == 0 and server.hub.room_members("room") == []


async def test_relay_goes_to_the_addressed_peer_only(
    make_server: ServerFactory, token: Any
) -> None:
    async with make_server() as server:
        clients = [
            await SignalingClient.connect(server.ws_url, "room", token("room", name))
            for name in ("alice", "bob", "carol")
        ]
        alice, bob, carol = clients
        for _ in range(2):
            await alice.receive()  # presence of bob and carol
        await bob.receive()  # presence of carol
        await alice.send_offer(bob.id, "v=0\r\noffer\r\n")
        candidate = IceCandidate("candidate:1 1 udp 1 127.0.0.1 9 typ host", "0", 0, "uf")
        await alice.send_candidate(bob.id, candidate)
        assert await bob.receive() == Offer(alice.id, "v=0\r\noffer\r\n")
        relayed = await bob.receive()
        assert relayed.candidate == candidate and relayed.peer == alice.id  # type: ignore[union-attr]
        await bob.send_answer(alice.id, "v=0\r\nanswer\r\n")
        answer = await alice.receive()
        assert (type(answer).__name__, answer.peer) == ("Answer", bob.id)  # type: ignore[union-attr]
        # Messages are delivered in order, so carol's pong proves nothing was sent to her.
        await carol.ping()
        assert await carol.receive() == Pong()
        await alice.send_offer("p999", "v=0\r\n")
        assert await alice.receive() == ErrorMessage(
            "unknown-peer", "no participant 'p999' in this room"
        )
        for client in clients:
            await client.close()


async def test_schema_violation_and_binary_frames_close_4400(make_server: ServerFactory) -> None:
    async with make_server() as server:
        error, code = await raw_refusal(server.ws_url, '{"v": 1, "type": "bogus"}')
        assert error == {
            "v": 1,
            "type": "error",
            "code": "bad-message",
            "message": "unknown message type 'bogus'",
        }
        assert code == 4400
        error, code = await raw_refusal(server.ws_url, b"\x01\x02")
        assert (error["code"], code) == ("bad-message", 4400)
        error, code = await raw_refusal(server.ws_url, '{"v": 2, "type": "ping"}')
        assert (error["code"], code) == ("unsupported-version", 4400)


async def test_oversize_messages(make_server: ServerFactory, token: Any) -> None:
    async with make_server(limits=Limits(max_message_size=2000)) as server:
        peer = await SignalingClient.connect(server.ws_url, "room", token("room", "peer"))
        big = json.dumps({"v": 1, "type": "offer", "to": peer.id, "sdp": "x" * 2500})
        error, code = await raw_refusal(server.ws_url, big)
        assert (error["code"], code) == ("message-too-large", 1009)
        assert error["message"] == "messages are limited to 2000 bytes"
        # Past the hard cap (4x) the WebSocket layer itself closes with 1009.
        async with connect(server.ws_url, proxy=None, max_size=None) as ws:
            await ws.send("x" * 9000)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 1009
        # The server kept serving the participant that was already there.
        await peer.ping()
        assert await peer.receive() == Pong()
        await peer.close()


async def test_rate_limit_closes_4429_and_others_keep_going(
    make_server: ServerFactory, token: Any
) -> None:
    limits = Limits(rate=5, burst=5, ip_rate=1000, ip_burst=1000)
    async with make_server(limits=limits) as server:
        calm = await SignalingClient.connect(server.ws_url, "room", token("room", "calm"))
        noisy = await SignalingClient.connect(server.ws_url, "room", token("room", "noisy"))
        await calm.receive()
        for _ in range(20):
            try:
                await noisy.ping()
            except ConnectionClosed:
                break
        with pytest.raises(SignalingError) as info:
            while True:
                await noisy.receive()
        assert (info.value.code, info.value.close_code) == ("rate-limited", 4429)
        assert await calm.receive() == PeerLeft(noisy.id)
        await calm.ping()
        assert await calm.receive() == Pong()
        assert server.hub.stats.errors == {"rate-limited": 1}
        await calm.close()


async def test_per_ip_limit_on_http_requests(make_server: ServerFactory) -> None:
    async with make_server(limits=Limits(ip_rate=0.5, ip_burst=3)) as server:
        statuses = [(await http_get(server.url))[0] for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]


async def test_participant_limit(make_server: ServerFactory, token: Any) -> None:
    async with make_server(limits=Limits(max_participants=2)) as server:
        first = [
            await SignalingClient.connect(server.ws_url, "room", token("room", f"u{i}"))
            for i in range(2)
        ]
        with pytest.raises(SignalingError) as info:
            await SignalingClient.connect(server.ws_url, "room", token("room", "late"))
        assert (info.value.code, info.value.close_code) == ("room-full", 4409)
        other = await SignalingClient.connect(server.ws_url, "other", token("other", "fine"))
        for client in [*first, other]:
            await client.close()


@pytest.mark.parametrize("case", ["expired", "invalid", "wrong-room", "wrong-algorithm"])
async def test_refused_tokens_close_4401(
    make_server: ServerFactory, issuer: TokenIssuer, case: str
) -> None:
    now = time.time()
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = {
        "expired": issuer.issue("room", "u", 60, now - 120),
        "invalid": TokenIssuer.hs256("x" * 40).issue("room", "u", 60, now),
        "wrong-room": issuer.issue("another", "u", 60, now),
        "wrong-algorithm": TokenIssuer.es256(key).issue("room", "u", 60, now),
    }[case]
    async with make_server() as server:
        with pytest.raises(SignalingError) as info:
            await SignalingClient.connect(server.ws_url, "room", token)
        assert info.value.code == f"token-{case}"
        assert info.value.close_code == 4401


async def test_es256_server(make_server: ServerFactory) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = TokenIssuer.es256(key).issue("room", "eve", 60, time.time())
    async with make_server(verifier=TokenVerifier.es256(key)) as server:
        client = await SignalingClient.connect(server.ws_url, "room", token)
        assert client.user == "eve"
        await client.close()
        with pytest.raises(SignalingError, match="token-wrong-algorithm"):
            await SignalingClient.connect(
                server.ws_url, "room", TokenIssuer.hs256(SECRET).issue("room", "x", 60, time.time())
            )


async def test_origin_check(make_server: ServerFactory, token: Any) -> None:
    async with make_server(origins=("https://app.example",)) as server:
        with pytest.raises(InvalidStatus) as info:
            async with connect(server.ws_url, proxy=None, origin="http://evil.example"):
                pass
        assert info.value.response.status_code == 403
        # Two Origin headers, even if one is allowed, are refused too.
        own = f"http://127.0.0.1:{server.port}"
        with pytest.raises(InvalidStatus) as info:
            async with connect(
                server.ws_url, proxy=None, origin=own, additional_headers=[("Origin", own)]
            ):
                pass
        assert info.value.response.status_code == 403
        with pytest.raises(SignalingError) as refused:
            await SignalingClient.connect(
                server.ws_url, "room", token("room", "u"), origin="http://localhost:1"
            )
        assert refused.value.code == "bad-origin"
        for origin in (
            f"http://127.0.0.1:{server.port}",
            f"http://localhost:{server.port}",
            "https://app.example",
            None,  # native clients send no Origin
        ):
            client = await SignalingClient.connect(
                server.ws_url, "room", token("room", "u"), origin=origin
            )
            await client.close()


async def test_idle_timeout(make_server: ServerFactory, token: Any) -> None:
    async with make_server(limits=Limits(idle_timeout=0.4)) as server:
        idle = await SignalingClient.connect(server.ws_url, "room", token("room", "idle"))
        busy = await SignalingClient.connect(server.ws_url, "room", token("room", "busy"))
        await idle.receive()  # busy joined
        started = time.monotonic()
        seen: list[object] = []
        for _ in range(8):
            await asyncio.sleep(0.1)
            await busy.ping()
            while (message := await busy.receive()) != Pong():
                seen.append(message)
        with pytest.raises(SignalingError) as info:
            await asyncio.wait_for(idle.receive(), 5)
        assert (info.value.code, info.value.close_code) == ("idle-timeout", 4408)
        assert time.monotonic() - started < 2
        # busy pinged every 0.1 s and is still in the room.
        assert seen == [PeerLeft(idle.id)]
        assert server.hub.room_members("room") == [busy.id]
        await busy.close()


async def test_tls_with_a_self_signed_certificate(
    make_server: ServerFactory, token: Any, tmp_path: Path
) -> None:
    cert = write_self_signed(tmp_path)
    assert (tmp_path / "key.pem").stat().st_mode & 0o777 == 0o600
    context = server_context(cert, tmp_path / "key.pem")
    async with make_server(ssl=context) as server:
        assert server.ws_url.startswith("wss://127.0.0.1:")
        trusting = ssl.create_default_context(cafile=str(cert))
        client = await SignalingClient.connect(
            server.ws_url, "room", token("room", "tls"), ssl=trusting
        )
        assert client.user == "tls"
        await client.close()
        status, _, body = await http_get(server.url, context=trusting)
        assert status == 200 and b"pyrtc demo" in body
        with pytest.raises(ssl.SSLCertVerificationError):
            await SignalingClient.connect(
                server.ws_url, "room", token("room", "x"), ssl=ssl.create_default_context()
            )


def test_plain_http_only_on_loopback(verifier: TokenVerifier) -> None:
    for host in ("0.0.0.0", "::", "192.0.2.1", "example.com"):
        with pytest.raises(ConfigError, match="--insecure"):
            SignalingServer(ServerConfig(verifier, host=host))
    for host in ("127.0.0.1", "127.0.0.5", "::1", "localhost"):
        SignalingServer(ServerConfig(verifier, host=host))
    SignalingServer(ServerConfig(verifier, host="0.0.0.0", insecure=True))
    SignalingServer(ServerConfig(verifier, host="0.0.0.0", ssl=ssl.create_default_context()))


async def test_turn_rest_credentials(make_server: ServerFactory, token: Any) -> None:
    turn = TurnRestConfig("coturn-shared-secret", ("turn:127.0.0.1:3478?transport=udp",), ttl=3600)
    async with make_server(turn=turn) as server:
        url = server.url + "api/turn"
        before = int(time.time())
        status, headers, body = await http_get(
            url, {"Authorization": f"Bearer {token('any-room', 'alice')}"}
        )
        assert status == 200 and headers["content-type"] == "application/json"
        reply = json.loads(body)
        expiry, _, user = reply["username"].partition(":")
        assert user == "alice"
        assert before + 3600 <= int(expiry) <= int(time.time()) + 3600
        # What coturn --use-auth-secret computes: base64(HMAC-SHA1(secret, username)).
        expected = hmac.new(b"coturn-shared-secret", reply["username"].encode(), hashlib.sha1)
        assert reply["password"] == base64.b64encode(expected.digest()).decode()
        assert reply["ttl"] == 3600 and reply["uris"] == list(turn.uris)
        assert reply["iceServers"] == [
            {
                "urls": list(turn.uris),
                "username": reply["username"],
                "credential": reply["password"],
            }
        ]
        for auth in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
            status, _, body = await http_get(url, auth)
            assert status == 401 and json.loads(body)["code"] == "token-invalid"
        expired = TokenIssuer.hs256(SECRET).issue("r", "u", 10, time.time() - 100)
        status, _, body = await http_get(url, {"Authorization": f"Bearer {expired}"})
        assert (status, json.loads(body)["code"]) == (401, "token-expired")
    async with make_server() as server:
        status, _, body = await http_get(
            server.url + "api/turn", {"Authorization": f"Bearer {token('r', 'u')}"}
        )
        assert (status, body) == (204, b"")


async def test_static_page_and_headers(make_server: ServerFactory) -> None:
    async with make_server() as server:
        status, headers, body = await http_get(server.url)
        assert status == 200 and b"<title>pyrtc demo</title>" in body
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        status, headers, body = await http_get(server.url + "app.js")
        assert status == 200 and headers["content-type"].startswith("text/javascript")
        assert b"'use strict'" in body
        # The page loads nothing from anywhere else.
        for name in ("index.html", "app.js", "style.css"):
            text = (Path(__file__).parents[2] / "pyrtc/signaling/static" / name).read_text()
            assert "http://" not in text and "https://" not in text and "//cdn" not in text
        status, _, body = await http_get(server.url + "../etc/passwd")
        assert status == 404 and json.loads(body)["code"] == "not-found"


async def test_server_close_tells_clients_1001(make_server: ServerFactory, token: Any) -> None:
    async with make_server() as server:
        client = await SignalingClient.connect(server.ws_url, "room", token("room", "u"))
    with pytest.raises(SignalingError) as info:
        await client.receive()
    assert (info.value.code, info.value.close_code) == ("closed", 1001)


async def test_slow_reader_is_dropped_and_the_room_goes_on(
    make_server: ServerFactory, token: Any
) -> None:
    limits = Limits(rate=1e4, burst=1e4, ip_rate=1e4, ip_burst=1e4, max_send_queue=64)
    async with make_server(limits=limits) as server:
        # max_queue=1: the client library stops reading the socket once one frame waits.
        stalled = await connect(server.ws_url, proxy=None, max_queue=1, max_size=None)
        join = {"v": 1, "type": "join", "room": "r", "token": token("r", "stalled")}
        await stalled.send(json.dumps(join))
        reader = await SignalingClient.connect(server.ws_url, "r", token("r", "reader"))
        sender = await SignalingClient.connect(server.ws_url, "r", token("r", "sender"))
        stalled_id = next(k for k, v in sender.peers.items() if v == "stalled")
        received = 0

        async def read() -> None:
            nonlocal received
            async for message in reader:
                received += isinstance(message, Offer)

        reading = asyncio.create_task(read())
        sdp = "a" * 60_000
        sent = 0
        seen: list[object] = []
        # Paced by a ping round trip every 10 offers, so a reading client never has more
        # than a few messages waiting; the stalled one fills the socket buffers (several
        # MB on loopback), then its outbox. Bounded at 2 x 60 MB.
        while "slow-consumer" not in server.hub.stats.errors and sent < 1000:
            await sender.send_offer(stalled_id, sdp)
            await sender.send_offer(reader.id, sdp)
            sent += 1
            if sent % 5 == 0:
                await sender.ping()
                while (message := await sender.receive()) != Pong():
                    seen.append(message)
        assert server.hub.stats.errors.get("slow-consumer") == 1
        assert sent * len(sdp) > 1_000_000
        await sender.ping()
        while (message := await sender.receive()) != Pong():
            seen.append(message)
        # Offers after the drop got unknown-peer; the reader was served all along.
        assert PeerLeft(stalled_id) in seen
        assert set(server.hub.room_members("r")) == {reader.id, sender.id}
        await sender.close()
        for _ in range(200):
            if received == sent:
                break
            await asyncio.sleep(0.05)
        assert received == sent
        await reader.close()
        await asyncio.wait_for(reading, 10)
        # Once the stalled client reads again it sees the close the server started.
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(stalled.recv(), 10)
        assert stalled.close_code == 1013
