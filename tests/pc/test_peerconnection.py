"""pyrtc <-> pyrtc in one process over real UDP on 127.0.0.1: JSEP states, trickle,
renegotiation, rollback, ICE restart, fingerprint failure, close, stats."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from pyrtc.dtls import RTCCertificate
from pyrtc.pc import (
    InvalidAccessError,
    InvalidStateError,
    RTCConfiguration,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
    candidate_from_sdp,
    candidate_to_sdp,
)
from pyrtc.sdp import SessionDescription
from tests.pc.helpers import LOOPBACK, STEP, closing, signal, wait_for_state


def pair(**options: Any) -> tuple[RTCPeerConnection, RTCPeerConnection]:
    return (
        RTCPeerConnection(addresses=LOOPBACK, **options),
        RTCPeerConnection(addresses=LOOPBACK, **options),
    )


async def opened(channel: Any) -> None:
    if channel.readyState != "open":
        event = asyncio.Event()
        channel.on("open", event.set)
        await asyncio.wait_for(event.wait(), STEP)


async def remote_channel(pc: RTCPeerConnection) -> Any:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    pc.once("datachannel", future.set_result)
    return await asyncio.wait_for(future, STEP)


@asynccontextmanager
async def open_channel() -> AsyncIterator[tuple[RTCPeerConnection, RTCPeerConnection, Any, Any]]:
    """Two connected connections and a channel ``"x"`` open on both: (a, b, a's, b's)."""
    a, b = pair()
    channel = a.createDataChannel("x")
    incoming = asyncio.ensure_future(remote_channel(b))
    async with closing(a, b):
        await signal(a, b)
        theirs = await incoming
        await opened(channel)
        yield a, b, channel, theirs


async def test_offer_answer_states_and_message() -> None:
    a, b = pair()
    states: list[str] = []
    a.on("signalingstatechange", lambda: states.append(a.signalingState))
    connection: list[str] = []
    a.on("connectionstatechange", lambda: connection.append(a.connectionState))
    channel = a.createDataChannel("chat")
    incoming = asyncio.ensure_future(remote_channel(b))
    async with closing(a, b):
        assert a.signalingState == "stable" and a.canTrickleIceCandidates is None
        offer = await a.createOffer()
        assert offer.type == "offer" and "a=setup:actpass" in offer.sdp
        await a.setLocalDescription(offer)
        assert a.iceGatheringState == "complete"
        local = SessionDescription.parse(a.localDescription.sdp)  # type: ignore[union-attr]
        [data] = local.media
        assert local.bundle_groups == [("0",)] and data.sctp_port == 5000
        assert data.end_of_candidates and data.candidates[0].address == "127.0.0.1"
        await b.setRemoteDescription(a.localDescription)  # type: ignore[arg-type]
        assert b.signalingState == "have-remote-offer" and b.canTrickleIceCandidates is True
        answer = await b.createAnswer()
        assert "a=setup:active" in answer.sdp
        await b.setLocalDescription(answer)
        await a.setRemoteDescription(b.localDescription)  # type: ignore[arg-type]
        assert a.signalingState == b.signalingState == "stable"
        assert states == ["have-local-offer", "stable"]
        theirs = await incoming
        await opened(channel)
        got: asyncio.Queue[Any] = asyncio.Queue()
        theirs.on("message", got.put_nowait)
        channel.send("hi")
        channel.send(b"\x01")
        assert [await got.get(), await got.get()] == ["hi", b"\x01"]
        assert (theirs.label, theirs.id, channel.id) == ("chat", 1, 1)  # offerer: DTLS server
        await wait_for_state(a, "connectionState", "connected")
        assert connection == ["connecting", "connected"]
        assert a.iceConnectionState in ("connected", "completed")
    assert a.connectionState == "closed" and a.signalingState == "closed"


async def test_trickle_candidates() -> None:
    a, b = pair(trickle=True)
    channel = a.createDataChannel("t")
    a_candidates: list[Any] = []
    b_candidates: list[Any] = []
    a.on("icecandidate", a_candidates.append)
    b.on("icecandidate", b_candidates.append)
    async with closing(a, b):
        offer = await a.createOffer()
        assert "a=candidate" not in offer.sdp
        await a.setLocalDescription(offer)
        await b.setRemoteDescription(offer)  # the offer without candidates
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)  # type: ignore[arg-type]
        await wait_for_state(a, "iceGatheringState", "complete")
        await wait_for_state(b, "iceGatheringState", "complete")
        assert a_candidates[-1] is None and isinstance(a_candidates[0], RTCIceCandidate)
        assert a_candidates[0].sdpMid == "0" and a_candidates[0].sdpMLineIndex == 0
        for candidate in a_candidates:
            await b.addIceCandidate(candidate)
        for candidate in b_candidates:
            await a.addIceCandidate(candidate)
        await opened(channel)
        await wait_for_state(b, "connectionState", "connected")


def test_candidate_sdp_round_trip() -> None:
    text = "842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 10.0.0.1 rport 5000"
    candidate = candidate_from_sdp("candidate:" + text)
    assert (candidate.ip, candidate.port, candidate.type) == ("203.0.113.7", 61665, "srflx")
    assert candidate_to_sdp(candidate) == text
    with pytest.raises(InvalidAccessError):
        candidate_from_sdp("candidate:1 1 udp 1 300.0.0.1 5 typ host")


async def test_wrong_fingerprint_fails() -> None:
    a, b = pair()
    channel = a.createDataChannel("x")
    async with closing(a, b):
        await a.setLocalDescription(await a.createOffer())
        await b.setRemoteDescription(a.localDescription)  # type: ignore[arg-type]
        await b.setLocalDescription(await b.createAnswer())
        answer = b.localDescription
        assert answer is not None
        other = RTCCertificate.generateCertificate().getFingerprints()[0].value
        forged = "\r\n".join(
            f"a=fingerprint:sha-256 {other}" if line.startswith("a=fingerprint") else line
            for line in answer.sdp.split("\r\n")
        )
        await a.setRemoteDescription(RTCSessionDescription(forged, "answer"))
        await wait_for_state(a, "connectionState", "failed")
        assert a.failure_reason is not None and "fingerprint" in a.failure_reason
        await wait_for_state(b, "connectionState", "failed")
        assert channel.readyState == "connecting"  # no data ever flowed
        assert a.sctp is not None and a.sctp.channels is not None
        assert not a.sctp.channels.association.established


async def test_close_is_seen_by_the_peer() -> None:
    async with open_channel() as (a, b, channel, theirs):
        closed = asyncio.Event()
        errors: list[Exception] = []
        theirs.on("error", errors.append)
        theirs.on("close", closed.set)
        channel.on("error", errors.append)  # our own close() is not an error
        states: list[str] = []
        b.on("connectionstatechange", lambda: states.append(b.connectionState))
        await a.close()
        await asyncio.wait_for(closed.wait(), STEP)
        assert theirs.readyState == "closed"
        [error] = errors  # the peer's ABORT reaches the channel as an error, then close
        assert "SCTP association ended" in str(error)
        await wait_for_state(b, "connectionState", "closed")
        assert states == ["closed"]


async def test_channel_close_both_sides_and_send_errors() -> None:
    a, b = pair()
    channel = a.createDataChannel("x", negotiated=True, id=3)
    twin = b.createDataChannel("x", negotiated=True, id=3)
    with pytest.raises(InvalidStateError):
        channel.send("too early")
    with pytest.raises(TypeError):
        channel.send(12)  # type: ignore[arg-type]
    async with closing(a, b):
        await signal(a, b)
        await opened(channel)
        await opened(twin)
        got: asyncio.Queue[Any] = asyncio.Queue()
        twin.on("message", got.put_nowait)
        channel.send("negotiated")
        assert await asyncio.wait_for(got.get(), 5) == "negotiated"
        with pytest.raises(TypeError, match="max-message-size"):
            channel.send(bytes(262145))
        channel.send(bytes(262144))
        assert len(await asyncio.wait_for(got.get(), 5)) == 262144
        closed = asyncio.Event()
        twin.on("close", closed.set)
        channel.close()
        await asyncio.wait_for(closed.wait(), 5)
        await wait_for_state(channel, "readyState", "closed")
        with pytest.raises(InvalidStateError):
            channel.send("late")


async def test_channel_byte_counters_count_utf8() -> None:
    """bytesSent/bytesReceived count a string's UTF-8 bytes, not its characters."""
    async with open_channel() as (_, _, channel, theirs):
        got: asyncio.Queue[Any] = asyncio.Queue()
        theirs.on("message", got.put_nowait)
        channel.send("é€x")
        channel.send(b"\x00\x01")
        assert [await got.get(), await got.get()] == ["é€x", b"\x00\x01"]
        assert (channel.messages_sent, channel.bytes_sent) == (2, 2 + 3 + 1 + 2)
        assert (theirs.messages_received, theirs.bytes_received) == (2, 2 + 3 + 1 + 2)


async def test_buffered_amount_low() -> None:
    a, b = pair()
    channel = a.createDataChannel("bulk")
    async with closing(a, b):
        await signal(a, b)
        await opened(channel)
        channel.bufferedAmountLowThreshold = 1000
        low = asyncio.Event()
        channel.on("bufferedamountlow", low.set)
        for _ in range(64):
            channel.send(bytes(16384))
        assert channel.bufferedAmount > 1000
        await asyncio.wait_for(low.wait(), STEP)
        assert channel.bufferedAmount <= 1000


async def test_negotiationneeded_and_renegotiation() -> None:
    a, b = pair()
    needed = asyncio.Event()
    a.on("negotiationneeded", needed.set)
    first = a.createDataChannel("one")
    await asyncio.wait_for(needed.wait(), 1)
    async with closing(a, b):
        await signal(a, b)
        await opened(first)
        needed.clear()
        second = a.createDataChannel("two")  # SCTP is negotiated: no renegotiation needed
        await opened(second)
        await asyncio.sleep(0.05)
        assert not needed.is_set()
        version = SessionDescription.parse(a.localDescription.sdp).origin  # type: ignore[union-attr]
        await signal(a, b)  # a second offer/answer keeps the transport
        again = SessionDescription.parse(a.localDescription.sdp).origin  # type: ignore[union-attr]
        assert again.session_id == version.session_id
        assert again.session_version == version.session_version + 1
        assert first.readyState == second.readyState == "open"


async def test_rollback() -> None:
    a, b = pair()
    a.createDataChannel("x")
    async with closing(a, b):
        await a.setLocalDescription(await a.createOffer())
        assert a.signalingState == "have-local-offer"
        await a.setLocalDescription(RTCSessionDescription("", "rollback"))
        assert a.signalingState == "stable" and a.localDescription is None
        offer = await a.createOffer()
        await b.setRemoteDescription(offer)
        await b.setRemoteDescription(RTCSessionDescription("", "rollback"))
        assert b.signalingState == "stable" and b.remoteDescription is None
        with pytest.raises(InvalidStateError):
            await b.setRemoteDescription(RTCSessionDescription("", "rollback"))
        with pytest.raises(InvalidStateError):
            await b.createAnswer()


async def test_invalid_calls() -> None:
    a, b = pair()
    a.createDataChannel("x")
    async with closing(a, b):
        offer = await a.createOffer()
        with pytest.raises(InvalidStateError):
            await a.setRemoteDescription(RTCSessionDescription(offer.sdp, "answer"))
        munged = offer.sdp.replace("a=ice-ufrag:", "a=ice-ufrag:zz")
        with pytest.raises(InvalidAccessError):
            await a.setLocalDescription(RTCSessionDescription(munged, "offer"))
        no_fingerprint = "\r\n".join(
            line for line in offer.sdp.split("\r\n") if not line.startswith("a=fingerprint")
        )
        with pytest.raises(InvalidAccessError):
            await b.setRemoteDescription(RTCSessionDescription(no_fingerprint, "offer"))
        with pytest.raises(ValueError):
            RTCSessionDescription("", "bogus")
        with pytest.raises(ValueError):
            a.createDataChannel("y", maxRetransmits=1, maxPacketLifeTime=1)
    with pytest.raises(InvalidStateError):
        await a.createOffer()


async def test_ice_restart_keeps_channels() -> None:
    async with open_channel() as (a, b, channel, theirs):
        old = a.sctp.agent.local_username  # type: ignore[union-attr]
        a.restartIce()
        await signal(a, b)
        assert a.sctp.agent.local_username != old  # type: ignore[union-attr]
        got: asyncio.Queue[Any] = asyncio.Queue()
        theirs.on("message", got.put_nowait)
        channel.send("after restart")
        assert await asyncio.wait_for(got.get(), 5) == "after restart"
        await wait_for_state(a, "iceConnectionState", "completed")


async def test_get_stats() -> None:
    certificate = RTCCertificate.generateCertificate()
    a = RTCPeerConnection(RTCConfiguration(certificates=[certificate]), addresses=LOOPBACK)
    b = RTCPeerConnection(addresses=LOOPBACK)
    channel = a.createDataChannel("s")
    async with closing(a, b):
        await signal(a, b)
        await opened(channel)
        channel.send(b"12345")
        report = await a.getStats()
        types = {s.type for s in report.values()}
        assert types == {
            "peer-connection",
            "transport",
            "candidate-pair",
            "local-candidate",
            "remote-candidate",
            "certificate",
            "data-channel",
        }
        [transport] = report.of_type("transport")
        assert transport.dtlsState == "connected" and transport.dtlsRole == "server"
        assert transport.dtlsCipher.startswith("TLS_ECDHE_")
        assert transport.srtpCipher is not None
        assert report[transport.selectedCandidatePairId].type == "candidate-pair"
        local_cert = report[transport.localCertificateId]
        assert local_cert.fingerprint == certificate.getFingerprints()[0].value
        [data] = report.of_type("data-channel")
        assert (data.label, data.messagesSent, data.bytesSent, data.state) == ("s", 1, 5, "open")
        [pc_stats] = report.of_type("peer-connection")
        assert pc_stats.dataChannelsOpened == 1


async def test_answer_rejects_media_sections() -> None:
    """An audio section with no codec in common (iLBC only) is rejected, the data section
    kept."""
    a, b = pair()
    a.createDataChannel("x")
    async with closing(a, b):
        offer = await a.createOffer()
        media = (
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\n"
            "a=rtpmap:111 iLBC/8000\r\n"
        )
        sdp = offer.sdp.replace("a=group:BUNDLE 0", "a=group:BUNDLE a 0")
        head, _, tail = sdp.partition("m=application")
        await b.setRemoteDescription(
            RTCSessionDescription(head + media + "m=application" + tail, "offer")
        )
        answer = SessionDescription.parse((await b.createAnswer()).sdp)
        assert [(m.mid, m.port) for m in answer.media] == [("a", 0), ("0", 9)]
        assert answer.bundle_groups == [("0",)]


async def test_answerer_offers_in_a_renegotiation() -> None:
    """After the first exchange the answerer offers; the DTLS roles stay (RFC 8842 5.5)."""
    async with open_channel() as (a, b, channel, theirs):
        await b.setLocalDescription(await b.createOffer())
        assert "a=setup:actpass" in b.localDescription.sdp  # type: ignore[union-attr]
        await a.setRemoteDescription(b.localDescription)  # type: ignore[arg-type]
        answer = await a.createAnswer()
        assert "a=setup:passive" in answer.sdp  # a stays the DTLS server
        await a.setLocalDescription(answer)
        await b.setRemoteDescription(a.localDescription)  # type: ignore[arg-type]
        assert a.signalingState == b.signalingState == "stable"
        got: asyncio.Queue[Any] = asyncio.Queue()
        channel.on("message", got.put_nowait)
        theirs.send("still here")
        assert await asyncio.wait_for(got.get(), 5) == "still here"


async def test_stun_server_from_the_configuration() -> None:
    """iceServers reach the agent: a local STUN server answers its Binding request; an
    aiortc RTCIceServer object is accepted too."""
    import aiortc

    from pyrtc.net import serve_stun

    server = await serve_stun("127.0.0.1", 0)
    host, port = server.local_address
    config = RTCConfiguration(iceServers=[aiortc.RTCIceServer(urls=f"stun:{host}:{port}")])
    a = RTCPeerConnection(config, addresses=LOOPBACK)
    b = RTCPeerConnection(addresses=LOOPBACK)
    channel = a.createDataChannel("x")
    try:
        await signal(a, b)
        await opened(channel)
        assert server.core.stats.success >= 1
    finally:
        await a.close()
        await b.close()
        server.close()


async def test_rollback_of_a_renegotiation_offer_keeps_the_session() -> None:
    a, b = pair()
    channel = a.createDataChannel("x")
    async with closing(a, b):
        await signal(a, b)
        await opened(channel)
        before = b.localDescription
        offer = await a.createOffer()
        await b.setRemoteDescription(offer)
        await b.setRemoteDescription(RTCSessionDescription("", "rollback"))
        assert b.signalingState == "stable"
        assert b.remoteDescription is not None and b.remoteDescription.type == "offer"
        assert b.localDescription == before  # same sections, same parameters
        await signal(a, b)  # and negotiation still works afterwards
        assert a.signalingState == b.signalingState == "stable"


def test_connection_state_follows_ice_and_dtls() -> None:
    """W3C webrtc section 4.3.3 from the transport states (fed as stack events)."""
    from pyrtc.pc.events import DtlsStateChanged, IceStateChanged

    pc = RTCPeerConnection(addresses=LOOPBACK)
    seen: list[tuple[str, str]] = []
    pc.on("connectionstatechange", lambda: seen.append(("pc", pc.connectionState)))
    pc.on("iceconnectionstatechange", lambda: seen.append(("ice", pc.iceConnectionState)))
    for event in (
        IceStateChanged("checking"),
        DtlsStateChanged("connecting"),
        IceStateChanged("connected"),
        DtlsStateChanged("connected"),
        IceStateChanged("disconnected"),  # consent lost (RFC 7675)
        IceStateChanged("connected"),
        DtlsStateChanged("failed", "DTLS failed (we gave up): handshake timed out"),
    ):
        pc._dispatch(event)
    assert seen == [
        ("ice", "checking"),
        ("pc", "connecting"),
        ("ice", "connected"),
        ("pc", "connected"),
        ("ice", "disconnected"),
        ("pc", "disconnected"),
        ("ice", "connected"),
        ("pc", "connected"),
        ("pc", "failed"),
    ]
    assert pc.failure_reason == "DTLS failed (we gave up): handshake timed out"
