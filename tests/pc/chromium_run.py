"""pyrtc <-> real Chromium data-channel echo; run by test_chromium.py inside ``unshare -n``.

Serves a blank page on 127.0.0.1 (``getUserMedia`` needs a secure context, and Chromium
only gathers loopback candidates once media permission was granted, docs/INTEROP.md §2),
drives Debian's ``/usr/bin/chromium`` with Playwright (never a downloaded browser) and
prints one JSON line: for pyrtc as offerer and as answerer, the messages pyrtc sent and the
echoes Chromium returned (strings and binary up to max-message-size), and the states.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
from typing import Any

from playwright.async_api import Page, async_playwright

from pyrtc.pc import (
    RTCDataChannel,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
    candidate_from_sdp,
    candidate_to_sdp,
)
from pyrtc.sdp import SessionDescription

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
TIMEOUT = 20.0
MAX = 262144
MESSAGES: list[str | bytes] = [
    "hello",
    b"\x00\x01\x02binary",
    "",
    b"",
    "é" * 1000,
    bytes(range(256)) * 64,
    "s" * MAX,
    bytes(MAX),
]

# The page side: a peer connection that echoes every message on every channel.
SETUP_JS = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  stream.getTracks().forEach(t => t.stop());
  const pc = new RTCPeerConnection();
  window.pc = pc;
  const echo = c => {
    c.binaryType = 'arraybuffer';
    c.onmessage = m => c.send(m.data);
  };
  pc.ondatachannel = e => echo(e.channel);
  window.echo = echo;
  window.gathered = () => new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') resolve();
    };
  });
}"""
ANSWER_JS = """async offer => {
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription();
  await gathered();
  return {type: pc.localDescription.type, sdp: pc.localDescription.sdp};
}"""
OFFER_JS = """async () => {
  echo(pc.createDataChannel('from-chromium'));
  await pc.setLocalDescription();
  await gathered();
  return {type: pc.localDescription.type, sdp: pc.localDescription.sdp};
}"""
# Trickle: the page collects its candidates as JSON (RTCIceCandidate.toJSON()).
TRICKLE_ANSWER_JS = """async offer => {
  window.candidates = [];
  pc.onicecandidate = e => { if (e.candidate) candidates.push(e.candidate.toJSON()); };
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription();
  return {type: pc.localDescription.type, sdp: pc.localDescription.sdp};
}"""
TRICKLE_CANDIDATES_JS = "async () => { await gathered(); return candidates; }"
# Chromium offers audio and video (fake devices) before the data section: pyrtc rejects both.
MEDIA_OFFER_JS = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  stream.getTracks().forEach(t => pc.addTrack(t, stream));
  echo(pc.createDataChannel('with-media'));
  await pc.setLocalDescription();
  await gathered();
  return {type: pc.localDescription.type, sdp: pc.localDescription.sdp};
}"""
STATE_JS = "() => [pc.connectionState, pc.sctp && pc.sctp.maxMessageSize]"


def digest(message: str | bytes) -> list[Any]:
    data = message.encode() if isinstance(message, str) else message
    return [type(message).__name__, len(data), hashlib.sha256(data).hexdigest()[:16]]


async def serve_page() -> tuple[asyncio.Server, str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b"<!doctype html><title>pyrtc</title>"
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"Connection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/"


async def echo_round(channel: RTCDataChannel) -> list[list[Any]]:
    """Send every message once the channel is open; collect the echoes."""
    received: asyncio.Queue[str | bytes] = asyncio.Queue()
    channel.on("message", received.put_nowait)
    if channel.readyState != "open":
        opened = asyncio.Event()
        channel.on("open", opened.set)
        await asyncio.wait_for(opened.wait(), TIMEOUT)
    for message in MESSAGES:
        channel.send(message)
    return [digest(await asyncio.wait_for(received.get(), TIMEOUT)) for _ in MESSAGES]


async def trickle_offer(page: Page, pc: RTCPeerConnection) -> tuple[RTCDataChannel, list[int]]:
    """pyrtc offers without candidates (trickle=True); both sides trickle the rest."""
    ours: list[RTCIceCandidate | None] = []
    pc.on("icecandidate", ours.append)
    channel = pc.createDataChannel("trickled")
    await pc.setLocalDescription(await pc.createOffer())
    local = pc.localDescription
    assert local is not None
    offer = {"type": local.type, "sdp": local.sdp.replace("a=end-of-candidates\r\n", "")}
    offer["sdp"] = "".join(
        line + "\r\n" for line in offer["sdp"].split("\r\n") if line and "candidate:" not in line
    )
    answer = await page.evaluate(TRICKLE_ANSWER_JS, offer)
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
    theirs = await page.evaluate(TRICKLE_CANDIDATES_JS)
    for candidate in theirs:
        ice = candidate_from_sdp(candidate["candidate"])
        ice.sdpMid, ice.sdpMLineIndex = candidate["sdpMid"], candidate["sdpMLineIndex"]
        await pc.addIceCandidate(ice)
    await pc.addIceCandidate(None)
    for mine in ours:
        if mine is not None:
            line = {"candidate": "candidate:" + candidate_to_sdp(mine), "sdpMid": mine.sdpMid}
            await page.evaluate("c => pc.addIceCandidate(c)", line)
    sent = [m for m in ours if m is not None]
    return channel, [len(theirs), len(sent), ours.count(None)]


async def scenario(
    page: Page, url: str, pyrtc_offers: bool, trickle: bool, media: bool = False
) -> dict[str, Any]:
    await page.goto(url)
    await page.evaluate(SETUP_JS)
    pc = RTCPeerConnection(addresses=["127.0.0.1"], trickle=trickle)
    trickled: list[int] = []
    sections: list[list[Any]] = []
    try:
        if trickle:
            channel, trickled = await trickle_offer(page, pc)
        elif pyrtc_offers:
            channel = pc.createDataChannel("from-pyrtc")
            await pc.setLocalDescription(await pc.createOffer())
            local = pc.localDescription
            assert local is not None
            answer = await page.evaluate(ANSWER_JS, {"type": local.type, "sdp": local.sdp})
            await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        else:
            incoming: asyncio.Future[RTCDataChannel] = asyncio.get_running_loop().create_future()
            pc.on("datachannel", incoming.set_result)
            offer = await page.evaluate(MEDIA_OFFER_JS if media else OFFER_JS)
            await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], offer["type"]))
            await pc.setLocalDescription(await pc.createAnswer())
            local = pc.localDescription
            assert local is not None
            sections = [[m.kind, m.port] for m in SessionDescription.parse(local.sdp).media]
            await page.evaluate(
                "a => pc.setRemoteDescription(a)", {"type": "answer", "sdp": local.sdp}
            )
            channel = await asyncio.wait_for(incoming, TIMEOUT)
        echoes = await echo_round(channel)
        report = await pc.getStats()
        [transport] = report.of_type("transport")
        browser_state = await page.evaluate(STATE_JS)
        return {
            "sent": [digest(m) for m in MESSAGES],
            "echoes": echoes,
            "label": channel.label,
            "trickled": trickled,
            "answer_sections": sections,
            "pyrtc_state": pc.connectionState,
            "browser_state": browser_state,
            "dtls_role": transport.dtlsRole,
            "dtls_cipher": transport.dtlsCipher,
        }
    finally:
        await pc.close()


def progress(message: str, started: float = time.monotonic()) -> None:
    """Where the run is, on stderr (the test shows it when something stalls)."""
    print(f"[{time.monotonic() - started:6.1f} s] {message}", file=sys.stderr, flush=True)


async def main() -> None:
    async with asyncio.timeout(90):  # below the test's bound: fail with a message
        await run_all()


async def run_all() -> None:
    server, url = await serve_page()
    results: dict[str, Any] = {}
    progress("starting Chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for name, pyrtc_offers, trickle, media in (
                ("pyrtc_offers", True, False, False),
                ("chromium_offers", False, False, False),
                ("trickle", True, True, False),
                ("chromium_offers_media", False, False, True),
            ):
                progress(f"scenario {name}")
                page = await browser.new_page()
                results[name] = await asyncio.wait_for(
                    scenario(page, url, pyrtc_offers, trickle, media), TIMEOUT * 3
                )
                await page.close()
        finally:
            await browser.close()
            server.close()
    progress("done")
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
