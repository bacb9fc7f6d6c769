"""``pyrtc bot`` against a real server on 127.0.0.1, called by a pyrtc peer that trickles
candidates through the server like the demo page does."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from pyrtc.pc import (
    RTCDataChannel,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
    candidate_from_sdp,
    candidate_to_sdp,
)
from pyrtc.signaling import (
    Answer,
    Candidate,
    IceCandidate,
    Limits,
    Offer,
    SignalingClient,
    SignalingError,
    SignalingServer,
    server_context,
    write_self_signed,
)
from pyrtc.signaling.bot import Bot, BotError, _sections
from pyrtc.signaling.protocol import ClientMessage

from .conftest import SECRET, ServerFactory

ROOM = "bots"
STEP = 10.0  # seconds any single step may take on a loaded machine
Token = Callable[..., str]


async def eventually(check: Callable[[], bool]) -> None:
    """Wait (bounded) until ``check()`` holds."""
    async with asyncio.timeout(STEP):
        while not check():
            await asyncio.sleep(0.02)


class Caller:
    """A participant that calls the bot: offer, trickle both ways, a data channel."""

    def __init__(self, client: SignalingClient, bot_id: str) -> None:
        self.client = client
        self.bot_id = bot_id
        self.pc = RTCPeerConnection(addresses=["127.0.0.1"], trickle=True)
        self.channel = self.pc.createDataChannel("chat")
        self.received: asyncio.Queue[str | bytes] = asyncio.Queue()
        self.trickled_in = 0
        self._outbox: asyncio.Queue[ClientMessage] = asyncio.Queue()
        self._offered = False
        self._early: list[IceCandidate | None] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.channel.on("message", self.received.put_nowait)
        self.pc.on("icecandidate", self._on_icecandidate)

    @classmethod
    async def join(cls, server: SignalingServer, token: Token, user: str) -> Caller:
        client = await SignalingClient.connect(server.ws_url, ROOM, token(ROOM, user))
        bots = [peer for peer, name in client.peers.items() if name == "bot"]
        assert len(bots) == 1, client.peers
        return cls(client, bots[0])

    def _on_icecandidate(self, candidate: RTCIceCandidate | None) -> None:
        message = None
        if candidate is not None:
            line = "candidate:" + candidate_to_sdp(candidate)
            message = IceCandidate(line, candidate.sdpMid, candidate.sdpMLineIndex)
        if self._offered:
            self._outbox.put_nowait(Candidate(self.bot_id, message))
        else:
            self._early.append(message)

    async def call(self) -> RTCDataChannel:
        """Offer (without candidates in the SDP: trickle), wait until the channel is open."""
        opened = asyncio.Event()
        self.channel.on("open", opened.set)
        self._tasks = [asyncio.create_task(self._write()), asyncio.create_task(self._read())]
        await self.pc.setLocalDescription(await self.pc.createOffer())
        assert self.pc.localDescription is not None
        self._outbox.put_nowait(Offer(self.bot_id, self.pc.localDescription.sdp))
        self._offered = True
        for message in self._early:
            self._outbox.put_nowait(Candidate(self.bot_id, message))
        async with asyncio.timeout(STEP):
            await opened.wait()
        return self.channel

    async def echo(self, message: str | bytes) -> str | bytes:
        self.channel.send(message)
        async with asyncio.timeout(STEP):
            return await self.received.get()

    async def _write(self) -> None:
        while True:
            await self.client.send(await self._outbox.get())

    async def _read(self) -> None:
        async for message in self.client:
            match message:
                case Answer(peer, sdp) if peer == self.bot_id:
                    await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
                case Candidate(peer, None) if peer == self.bot_id:
                    await self.pc.addIceCandidate(None)
                case Candidate(peer, candidate) if peer == self.bot_id and candidate:
                    ice = candidate_from_sdp(candidate.candidate)
                    ice.sdpMid, ice.sdpMLineIndex = candidate.sdp_mid, candidate.sdp_mline_index
                    await self.pc.addIceCandidate(ice)
                    self.trickled_in += 1

    async def stop_tasks(self) -> None:
        """Stop reading and writing; a failure of either is the test's failure."""
        for task in self._tasks:
            if task.done():
                task.result()
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def hang_up(self) -> None:
        await self.pc.close()
        await self.stop_tasks()
        await self.client.leave()


@contextlib.asynccontextmanager
async def running(bot: Bot) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``bot`` until the block ends (then stop it and check it stopped cleanly)."""
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    try:
        async with asyncio.timeout(STEP):
            await bot.joined.wait()
        yield task
    finally:
        stop.set()
        async with asyncio.timeout(STEP):
            await task


def make_bot(
    server: SignalingServer, token: Token, backoff: float = 0.5, max_retries: int = 5
) -> Bot:
    def mint() -> str:
        return token(ROOM, "bot")

    return Bot(
        server.ws_url, ROOM, mint, addresses=["127.0.0.1"], backoff=backoff, max_retries=max_retries
    )


async def test_echoes_strings_and_bytes(make_server: ServerFactory, token: Token) -> None:
    async with make_server() as server:
        bot = make_bot(server, token)
        async with running(bot):
            caller = await Caller.join(server, token, "alice")
            await caller.call()
            assert await caller.echo("hello bot") == "hello bot"
            assert await caller.echo("héllo ✓") == "héllo ✓"
            assert await caller.echo(b"\x00\x01\xffbinary") == b"\x00\x01\xffbinary"
            big = bytes(range(256)) * 200  # 51 200 bytes: several SCTP chunks
            assert await caller.echo(big) == big
            assert await caller.echo("") == ""
            # The bot's candidates came through the server, after its answer.
            assert caller.trickled_in >= 1
            assert list(bot.calls) == [caller.client.id]
            assert bot.calls[caller.client.id].pc.connectionState == "connected"
            # Hanging up (DTLS close_notify) ends the bot's call.
            await caller.hang_up()
            await eventually(lambda: not bot.calls)


async def test_peer_leaves_then_another_peer_calls(
    make_server: ServerFactory, token: Token
) -> None:
    async with make_server() as server:
        bot = make_bot(server, token)
        async with running(bot):
            alice = await Caller.join(server, token, "alice")
            await alice.call()
            assert await alice.echo("from alice") == "from alice"
            # Alice's signaling connection drops without closing her peer connection:
            # the bot ends the call on peer-left.
            await alice.stop_tasks()
            await alice.client.close()
            await eventually(lambda: not bot.calls)
            await alice.pc.close()

            bob = await Caller.join(server, token, "bob")
            await bob.call()
            assert await bob.echo(b"from bob") == b"from bob"
            assert list(bot.calls) == [bob.client.id]
            await bob.hang_up()


async def test_two_callers_at_once(make_server: ServerFactory, token: Token) -> None:
    async with make_server() as server:
        bot = make_bot(server, token)
        async with running(bot):
            alice = await Caller.join(server, token, "alice")
            bob = await Caller.join(server, token, "bob")
            await asyncio.gather(alice.call(), bob.call())
            assert await alice.echo("a") == "a"
            assert await bob.echo("b") == "b"
            assert sorted(bot.calls) == sorted([alice.client.id, bob.client.id])
            await alice.hang_up()
            await bob.hang_up()


async def test_stop_leaves_the_room_and_closes_calls(
    make_server: ServerFactory, token: Token
) -> None:
    async with make_server() as server:
        bot = make_bot(server, token)
        async with running(bot):
            caller = await Caller.join(server, token, "alice")
            await caller.call()
            assert await caller.echo("x") == "x"
            pc = bot.calls[caller.client.id].pc
        # After the block the bot has left: the caller sees its channel closed.
        assert pc.connectionState == "closed"
        assert not bot.joined.is_set()
        await eventually(lambda: caller.channel.readyState == "closed")
        await eventually(lambda: not caller.client.peers)
        await caller.hang_up()


async def test_reconnects_when_the_server_comes_back_then_gives_up(
    make_server: ServerFactory, token: Token
) -> None:
    async with make_server() as server:
        port = server.port
        bot = make_bot(server, token, backoff=0.05, max_retries=3)
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop))
        async with asyncio.timeout(STEP):
            await bot.joined.wait()
    await eventually(lambda: not bot.joined.is_set())
    async with make_server(port=port) as again:
        async with asyncio.timeout(STEP):
            await bot.joined.wait()
        caller = await Caller.join(again, token, "alice")
        await caller.call()
        assert await caller.echo("still here") == "still here"
        await caller.hang_up()
    # Gone for good: three more attempts, then BotError.
    with pytest.raises(BotError, match="after 3 retries"):
        async with asyncio.timeout(STEP):
            await task


async def test_a_bad_offer_ends_only_that_call(make_server: ServerFactory, token: Token) -> None:
    async with make_server() as server:
        bot = make_bot(server, token)
        async with running(bot):
            mallory = await Caller.join(server, token, "mallory")
            await mallory.client.send_offer(mallory.bot_id, "v=0\r\nnot sdp\r\n")
            await mallory.client.send_candidate(mallory.bot_id, IceCandidate("candidate:x"))
            alice = await Caller.join(server, token, "alice")
            await alice.call()
            assert await alice.echo("fine") == "fine"
            assert list(bot.calls) == [alice.client.id]
            await alice.hang_up()
            await mallory.pc.close()
            await mallory.client.leave()


async def test_pings_keep_a_quiet_bot_in_the_room(make_server: ServerFactory, token: Token) -> None:
    async with make_server(limits=Limits(idle_timeout=0.5)) as server:
        bot = Bot(server.ws_url, ROOM, lambda: token(ROOM, "bot"), ping_interval=0.1)
        async with running(bot):
            first = bot.id
            await asyncio.sleep(1.5)
            assert bot.id == first  # never closed and rejoined
        assert server.hub.stats.errors == {}


async def test_refused_token_is_fatal(make_server: ServerFactory, token: Token) -> None:
    async with make_server() as server:
        bot = Bot(server.ws_url, ROOM, lambda: token("elsewhere", "bot"))
        with pytest.raises(SignalingError) as info:
            async with asyncio.timeout(STEP):
                await bot.run(asyncio.Event())
        assert info.value.code == "token-wrong-room"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def run_cli(*argv: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pyrtc",
        "bot",
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process) -> tuple[int, str]:
    """Exit status and stdout + stderr of a bot process (bounded)."""
    try:
        async with asyncio.timeout(30):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


async def test_cli_bad_token_exits_with_a_clear_error(make_server: ServerFactory) -> None:
    async with make_server() as server:
        process = await run_cli("--url", server.ws_url, "--room", ROOM, "--token", "not-a-jwt")
        status, output = await finish(process)
    assert status == 2
    assert f"cannot join room {ROOM}: token-invalid" in output
    assert "Traceback" not in output


async def test_cli_gives_up_on_an_unreachable_server() -> None:
    url = f"ws://127.0.0.1:{free_port()}/ws"
    process = await run_cli("--url", url, "--room", ROOM, "--secret", SECRET, "--retries", "1")
    status, output = await finish(process)
    assert status == 1
    assert f"giving up: cannot join {ROOM} at {url} after 1 retries" in output
    assert "Traceback" not in output


async def test_cli_over_wss_with_a_self_signed_certificate(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    cert = write_self_signed(tmp_path)
    context = server_context(cert, tmp_path / "key.pem")
    async with make_server(ssl=context) as server:
        assert server.ws_url.startswith("wss://")
        argv = ("--url", server.ws_url, "--room", ROOM, "--secret", SECRET, "--retries", "0")
        # Without the certificate: refused at once (retrying cannot help), exit status 2.
        status, output = await finish(await run_cli(*argv))
        assert status == 2
        assert f"cannot join room {ROOM}:" in output and "certificate verify failed" in output
        assert "Traceback" not in output and "retrying" not in output
        # Trusting it: joins over TLS.
        process = await run_cli(*argv, "--cafile", str(cert))
        try:
            assert process.stderr is not None
            async with asyncio.timeout(STEP * 2):
                while b"joined room" not in await process.stderr.readline():
                    pass
            assert server.hub.room_members(ROOM) == ["p1"]
            process.terminate()
            status, output = await finish(process)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert status == 0
        assert f"left room {ROOM}" in output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_cli_echoes_then_stops_cleanly_on_a_signal(
    make_server: ServerFactory, token: Token, signum: signal.Signals
) -> None:
    async with make_server() as server:
        process = await run_cli(
            "--url", server.ws_url, "--room", ROOM, "--secret", SECRET, "--address", "127.0.0.1"
        )
        try:
            assert process.stderr is not None
            async with asyncio.timeout(STEP * 2):
                while b"joined room" not in await process.stderr.readline():
                    pass
            caller = await Caller.join(server, token, "alice")
            await caller.call()
            assert await caller.echo("over the cli") == "over the cli"
            process.send_signal(signum)
            status, output = await finish(process)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert status == 0
        assert "data channel 'chat' open" in output
        assert "call ended (bot disconnected)" in output
        assert f"left room {ROOM}" in output
        assert "Traceback" not in output
        await eventually(lambda: caller.channel.readyState == "closed")
        await caller.hang_up()


def test_answer_sections_are_described_for_the_log() -> None:
    answer = (
        "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=inactive\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:3\r\n"
    )
    assert _sections(answer) == [
        "audio rejected",
        "video inactive",
        "video sendrecv",
        "application accepted",
    ]
