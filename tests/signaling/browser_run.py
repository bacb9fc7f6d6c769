"""Real-Chromium scenarios against the demo page; run by test_browser.py inside ``unshare -n``.

Starts a :class:`SignalingServer` on 127.0.0.1, drives Debian's ``/usr/bin/chromium`` through
Playwright (never a downloaded browser) and prints one JSON line with what it observed:
two pages in a room call each other (fake camera and microphone), exchange chat messages
over the data channel, show stats and hang up; a page with an expired token shows the
error; a denied camera is explained; the page works over HTTPS/WSS; a relay-only call
goes through coturn with credentials from ``/api/turn``; a page calls ``pyrtc bot`` and
gets its chat echoed. Exit status 0 only if it ran to the end; the test asserts on the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.async_api import Page, async_playwright

from pyrtc.signaling import (
    ServerConfig,
    SignalingServer,
    TokenIssuer,
    TokenVerifier,
    TurnRestConfig,
    server_context,
    write_self_signed,
)

SECRET = "browser-test-secret-0123456789abcdef"
CHROMIUM = "/usr/bin/chromium"
TURNSERVER = "/usr/bin/turnserver"
# Playwright adds --headless and a fresh temporary profile (--user-data-dir) itself.
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
    "--autoplay-policy=no-user-gesture-required",
]
STEP_TIMEOUT = 20.0
STEP_TIMEOUT_MS = STEP_TIMEOUT * 1000


async def wait_until(page: Page, expression: str, timeout: float = STEP_TIMEOUT) -> None:
    """Poll ``expression`` with page.evaluate (CDP, allowed by the page's CSP, unlike the
    eval-based ``wait_for_function``) until it is truthy."""
    deadline = time.monotonic() + timeout
    while not await page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {expression}")
        await asyncio.sleep(0.1)


async def text(page: Page, selector: str) -> str:
    return (await page.locator(selector).text_content()) or ""


async def open_page(
    browser: Any,
    url: str,
    console: list[str],
    permissions: tuple[str, ...] = ("camera", "microphone"),
) -> Page:
    context = await browser.new_context(
        permissions=list(permissions), viewport={"width": 1200, "height": 760}
    )
    page: Page = await context.new_page()
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    await page.goto(url)
    return page


async def scenario_call(browser: Any, server: SignalingServer, shot: str) -> dict[str, Any]:
    issuer = TokenIssuer.hs256(SECRET)
    now = time.time()
    console: list[str] = []
    alice = await open_page(
        browser, f"{server.url}#room=demo&token={issuer.issue('demo', 'alice', 300, now)}", console
    )
    await wait_until(
        alice,
        "document.getElementById('status').textContent.startsWith('in room')",
    )
    bob = await open_page(
        browser, f"{server.url}#room=demo&token={issuer.issue('demo', 'bob', 300, now)}", console
    )
    await wait_until(
        bob,
        "document.getElementById('status').textContent.startsWith('in room')",
    )
    # Alice learns about bob from a presence message that may still be on its way.
    await wait_until(alice, "document.getElementById('peers').children.length > 0")
    result: dict[str, Any] = {
        "room_members": server.hub.room_members("demo"),
        "alice_peers": await text(alice, "#peers"),
        "bob_peers": await text(bob, "#peers"),
        "token_in_url": "token=" in alice.url,
    }
    await alice.locator("#call:enabled").click(timeout=STEP_TIMEOUT_MS)
    for page in (alice, bob):
        await wait_until(
            page,
            "document.getElementById('call-state').textContent === 'connected'",
        )
        await wait_until(
            page,
            "document.getElementById('remote').videoWidth > 0",
        )
        await page.locator("#chat-input:enabled").wait_for(timeout=STEP_TIMEOUT_MS)
    result["remote_video"] = [
        await page.evaluate(
            "[document.getElementById('remote').videoWidth, "
            "document.getElementById('remote').videoHeight]"
        )
        for page in (alice, bob)
    ]
    await alice.fill("#chat-input", "hello from alice")
    await alice.click("#chat-send")
    await bob.fill("#chat-input", "hi alice, bob here")
    await bob.click("#chat-send")
    for page in (alice, bob):
        await wait_until(page, "document.getElementById('chat-log').children.length >= 2")
        # Bitrate needs two samples one second apart.
        await wait_until(
            page,
            "document.getElementById('stat-bitrate-in').textContent.includes('bit/s') && "
            "document.getElementById('stat-rtt').textContent.endsWith('ms')",
        )
    result["alice_chat"] = await alice.locator("#chat-log li").all_text_contents()
    result["bob_chat"] = await bob.locator("#chat-log li").all_text_contents()
    result["stats"] = {
        name: await text(alice, f"#stat-{name}")
        for name in ("path", "rtt", "bitrate-in", "bitrate-out", "loss", "jitter")
    }
    await alice.screenshot(path=shot)
    await alice.click("#hangup")
    await wait_until(
        bob,
        "document.getElementById('call-state').textContent.startsWith('ended')",
    )
    result["alice_after_hangup"] = await text(alice, "#call-state")
    result["bob_after_hangup"] = await text(bob, "#call-state")
    result["errors_shown"] = [
        await text(page, "#error") for page in (alice, bob) if await page.is_visible("#error")
    ]
    result["console_errors"] = [line for line in console if line.startswith(("error", "page"))]
    return result


async def scenario_bot(browser: Any, server: SignalingServer) -> dict[str, Any]:
    """``pyrtc bot`` (a subprocess in the same namespace) answers the page's call, which
    offers camera and microphone besides the chat channel, and echoes the chat; the page
    hangs up and calls again; SIGTERM stops the bot."""
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pyrtc",
        "bot",
        *("--url", server.ws_url, "--room", "botroom", "--secret", SECRET),
        *("--address", "127.0.0.1"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert bot.stdout is not None
    log: list[str] = []

    async def read_log() -> None:
        assert bot.stdout is not None
        async for line in bot.stdout:
            log.append(line.decode().rstrip())

    reader = asyncio.create_task(read_log())
    try:
        deadline = time.monotonic() + STEP_TIMEOUT
        while not any("joined room botroom" in line for line in log):
            if time.monotonic() > deadline or bot.returncode is not None:
                raise RuntimeError("pyrtc bot did not join: " + "\n".join(log))
            await asyncio.sleep(0.1)
        console: list[str] = []
        token = TokenIssuer.hs256(SECRET).issue("botroom", "carol", 300, time.time())
        page = await open_page(browser, f"{server.url}#room=botroom&token={token}", console)
        await wait_until(page, "document.getElementById('peers').children.length > 0")
        result: dict[str, Any] = {"peers": await text(page, "#peers"), "states": []}
        for message in ("hello bot", "second call ✓"):
            await page.locator("#call:enabled").click(timeout=STEP_TIMEOUT_MS)
            await wait_until(
                page, "document.getElementById('call-state').textContent === 'connected'"
            )
            await page.locator("#chat-input:enabled").wait_for(timeout=STEP_TIMEOUT_MS)
            await page.fill("#chat-input", message)
            await page.click("#chat-send")
            await wait_until(
                page,
                f"document.getElementById('chat-log').lastElementChild?.textContent "
                f"=== {json.dumps('bot: ' + message)}",
            )
            await page.click("#hangup")
            result["states"].append(await text(page, "#call-state"))
        result["chat"] = await page.locator("#chat-log li").all_text_contents()
        result["errors_shown"] = await page.is_visible("#error")
        result["console_errors"] = [line for line in console if line.startswith(("error", "page"))]
        deadline = time.monotonic() + STEP_TIMEOUT
        while sum("call ended" in line for line in log) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        bot.terminate()
        result["exit_status"] = await asyncio.wait_for(bot.wait(), STEP_TIMEOUT)
        await asyncio.wait_for(reader, STEP_TIMEOUT)
        # Without the timestamp and logger name.
        result["log"] = [line.split(": ", 1)[-1] for line in log]
        return result
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        reader.cancel()


async def scenario_expired(browser: Any, server: SignalingServer) -> dict[str, Any]:
    token = TokenIssuer.hs256(SECRET).issue("demo", "mallory", 60, time.time() - 3600)
    console: list[str] = []
    page = await open_page(browser, f"{server.url}#room=demo&token={token}", console)
    await page.locator("#error").wait_for(state="visible")
    await wait_until(
        page,
        "document.getElementById('status').textContent.startsWith('disconnected')",
    )
    return {
        "error": await text(page, "#error"),
        "status": await text(page, "#status"),
        "join_enabled": await page.is_enabled("#join"),
    }


async def scenario_denied(pw: Any, server: SignalingServer) -> dict[str, Any]:
    """Camera and microphone refused: the page says so and still joins the room."""
    token = TokenIssuer.hs256(SECRET).issue("other", "dora", 60, time.time())
    flags = [flag for flag in FLAGS if flag != "--use-fake-ui-for-media-stream"]
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=flags)
    try:
        console: list[str] = []
        page = await open_page(browser, f"{server.url}#room=other&token={token}", console, ())
        await page.locator("#error").wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
        return {"error": await text(page, "#error"), "status": await text(page, "#status")}
    finally:
        await browser.close()


async def scenario_tls(pw: Any) -> dict[str, Any]:
    """The page over HTTPS + WSS with a ``--self-signed`` certificate that Chromium is told
    to trust by its key hash (--ignore-certificate-errors-spki-list), nothing else."""
    with tempfile.TemporaryDirectory() as folder:
        cert = write_self_signed(folder)
        context = server_context(cert, Path(folder) / "key.pem")
        public = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
        spki = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    config = ServerConfig(TokenVerifier.hs256(SECRET), host="127.0.0.1", port=0, ssl=context)
    token = TokenIssuer.hs256(SECRET).issue("tls", "tess", 60, time.time())
    async with SignalingServer(config) as server:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=[*FLAGS, f"--ignore-certificate-errors-spki-list={pin}"]
        )
        try:
            page = await open_page(browser, f"{server.url}#room=tls&token={token}", [])
            await wait_until(
                page, "document.getElementById('status').textContent.startsWith('in room')"
            )
            # getUserMedia needs a secure context: the fake camera plays over HTTPS too.
            await wait_until(page, "document.getElementById('local').videoWidth > 0")
            return {
                "url": page.url,
                "status": await text(page, "#status"),
                "secure_context": await page.evaluate("window.isSecureContext"),
                "error_visible": await page.is_visible("#error"),
            }
        finally:
            await browser.close()


TURN_SECRET = "coturn-static-auth-secret"
TURN_PORT = 3478  # the namespace is fresh: fixed ports cannot clash


@asynccontextmanager
async def coturn(folder: str) -> AsyncIterator[None]:
    """coturn in REST-secret mode on 127.0.0.1 (INTEROP.md §4), until the block ends."""
    process = await asyncio.create_subprocess_exec(
        TURNSERVER,
        "-n",
        "--no-cli",
        "--log-file=stdout",
        "--simple-log",
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        f"--listening-port={TURN_PORT}",
        "--min-port=49152",
        "--max-port=49252",
        "--use-auth-secret",
        f"--static-auth-secret={TURN_SECRET}",
        "--realm=pyrtc.test",
        "--fingerprint",
        "--no-tls",
        "--no-dtls",
        "--allow-loopback-peers",
        "--no-multicast-peers",
        f"--pidfile={folder}/turnserver.pid",
        f"--db={folder}/turndb",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:  # ready once its TCP listener accepts
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", TURN_PORT)
                writer.close()
                break
            except OSError:
                if time.monotonic() > deadline or process.returncode is not None:
                    raise RuntimeError("turnserver did not start") from None
                await asyncio.sleep(0.1)
        yield
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def scenario_turn(browser: Any) -> dict[str, Any]:
    """Relay-only call: both pages get credentials from /api/turn, coturn checks them."""
    turn = TurnRestConfig(TURN_SECRET, (f"turn:127.0.0.1:{TURN_PORT}?transport=udp",), 600)
    config = ServerConfig(TokenVerifier.hs256(SECRET), host="127.0.0.1", port=0, turn=turn)
    issuer = TokenIssuer.hs256(SECRET)
    with tempfile.TemporaryDirectory() as folder:
        async with coturn(folder), SignalingServer(config) as server:
            pages = []
            for user in ("ria", "rob"):
                token = issuer.issue("turn", user, 60, time.time())
                page = await open_page(browser, f"{server.url}#room=turn&relay=1&token={token}", [])
                await wait_until(
                    page, "document.getElementById('status').textContent.startsWith('in room')"
                )
                pages.append(page)
            ria = pages[0]
            await wait_until(ria, "document.getElementById('peers').children.length > 0")
            await ria.locator("#call:enabled").click(timeout=STEP_TIMEOUT_MS)
            for page in pages:
                await wait_until(
                    page, "document.getElementById('call-state').textContent === 'connected'"
                )
                await wait_until(
                    page, "document.getElementById('stat-path').textContent.includes('/')"
                )
            return {
                "paths": [await text(page, "#stat-path") for page in pages],
                "errors_shown": [await page.is_visible("#error") for page in pages],
            }


async def main(shot: str) -> dict[str, Any]:
    config = ServerConfig(verifier=TokenVerifier.hs256(SECRET), host="127.0.0.1", port=0)
    async with SignalingServer(config) as server, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            call = await scenario_call(browser, server, shot)
            expired = await scenario_expired(browser, server)
            relayed = await scenario_turn(browser)
            bot = await scenario_bot(browser, server)
        finally:
            await browser.close()
        denied = await scenario_denied(pw, server)
        tls = await scenario_tls(pw)
        return {
            "call": call,
            "expired": expired,
            "denied": denied,
            "tls": tls,
            "turn": relayed,
            "bot": bot,
            "errors": dict(server.hub.stats.errors),
        }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshot", required=True)
    args = parser.parse_args()
    outcome = asyncio.run(asyncio.wait_for(main(args.screenshot), timeout=90))
    print(json.dumps(outcome))
    sys.exit(0)
