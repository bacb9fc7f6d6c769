"""The demo page in real Chromium (Debian's /usr/bin/chromium driven by Playwright).

The whole scenario (server + Playwright + Chromium) runs in ``browser_run.py`` inside a
loopback-only network namespace: ``unshare -n sh -c 'ip link set lo up; exec python ...'``
(docs/signaling.md, /work/shared/docs/INTEROP.md §1). This test starts it, bounds it with
a timeout and asserts on the JSON it prints.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.pc.helpers import chromium_missing, run_in_namespace


def _missing() -> str | None:
    if not Path("/usr/bin/turnserver").exists():
        return "coturn is not installed (apt-get install coturn)"
    return chromium_missing()


pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(_missing() is not None, reason=_missing() or ""),
]


@pytest.fixture(scope="module")
def browser_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    shot = tmp_path_factory.mktemp("browser") / "call.png"
    module = "tests.signaling.browser_run"
    result = run_in_namespace(module, "--screenshot", str(shot), timeout=110)
    result["screenshot"] = shot
    return result


def test_two_pages_call_each_other(browser_result: dict[str, Any]) -> None:
    call = browser_result["call"]
    assert call["room_members"] == ["p1", "p2"]
    assert call["alice_peers"] == "bob (p2)"
    assert call["bob_peers"] == "alice (p1)"
    # Fake camera frames decoded on both sides.
    assert all(width > 0 and height > 0 for width, height in call["remote_video"])
    # The page drops the token from the address bar once read.
    assert call["token_in_url"] is False


def test_chat_over_data_channel(browser_result: dict[str, Any]) -> None:
    call = browser_result["call"]
    assert call["alice_chat"] == ["me: hello from alice", "bob: hi alice, bob here"]
    assert call["bob_chat"] == ["alice: hello from alice", "me: hi alice, bob here"]


def test_stats_panel_shows_live_numbers(browser_result: dict[str, Any]) -> None:
    stats = browser_result["call"]["stats"]
    # The namespace has only lo: a direct host-to-host pair over UDP.
    assert stats["path"] == "host/udp → host"
    assert stats["rtt"].endswith(" ms")
    assert float(stats["rtt"].split()[0]) >= 0
    assert stats["bitrate-in"].endswith("bit/s") and stats["bitrate-out"].endswith("bit/s")
    assert stats["loss"].endswith("lost)")
    assert "audio" in stats["jitter"] and "video" in stats["jitter"]


def test_hang_up_ends_the_call_on_both_sides(browser_result: dict[str, Any]) -> None:
    call = browser_result["call"]
    assert call["alice_after_hangup"] == "ended: you hung up"
    assert call["bob_after_hangup"] == "ended: the other side hung up"
    assert call["errors_shown"] == []
    # No CSP violation, no failed load, no uncaught exception on either page.
    assert call["console_errors"] == []


def test_expired_token_is_refused_with_a_visible_error(browser_result: dict[str, Any]) -> None:
    expired = browser_result["expired"]
    assert "Your token has expired" in expired["error"]
    assert "token-expired" in expired["error"]
    assert expired["status"] == "disconnected (4401)"
    assert expired["join_enabled"] is True
    assert browser_result["errors"] == {"token-expired": 1}


def test_screenshot_taken_mid_call(browser_result: dict[str, Any]) -> None:
    shot: Path = browser_result["screenshot"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_denied_camera_permission_is_explained(browser_result: dict[str, Any]) -> None:
    denied = browser_result["denied"]
    assert denied["error"] == (
        "Camera/microphone permission was denied: calls will have no local media."
    )
    # The page still joined: chat and receiving a call work without local media.
    assert denied["status"] == "in room other as dora"


def test_page_over_https_and_wss_with_a_self_signed_certificate(
    browser_result: dict[str, Any],
) -> None:
    tls = browser_result["tls"]
    assert tls["url"].startswith("https://127.0.0.1:")
    assert tls["status"] == "in room tls as tess"
    assert tls["secure_context"] is True
    assert tls["error_visible"] is False


def test_relay_only_call_through_coturn_with_rest_credentials(
    browser_result: dict[str, Any],
) -> None:
    # coturn (--use-auth-secret) accepted the credentials both pages fetched from
    # /api/turn: the selected candidate pair is relay to relay on both sides.
    turn = browser_result["turn"]
    assert turn["paths"] == ["relay/udp → relay", "relay/udp → relay"]
    assert turn["errors_shown"] == [False, False]


def test_pyrtc_bot_answers_the_page_and_echoes_the_chat(browser_result: dict[str, Any]) -> None:
    bot = browser_result["bot"]
    assert bot["peers"].startswith("bot (p")
    # Two calls one after the other from the same page, each echoed by the bot.
    assert bot["chat"] == [
        "me: hello bot",
        "bot: hello bot",
        "me: second call ✓",
        "bot: second call ✓",
    ]
    assert bot["states"] == ["ended: you hung up", "ended: you hung up"]
    assert bot["errors_shown"] is False
    assert bot["console_errors"] == []
    log = bot["log"]
    [carol] = [line.removesuffix(" joined") for line in log if line.endswith(" joined")]
    assert carol.startswith("carol (p")
    # The page offered camera and microphone: the bot answered them inactive (it echoes no
    # media yet) and the data channel carried the chat.
    media = "inactive"
    answered = re.compile(
        rf"{re.escape(carol)}: answered: audio {media}, video {media}, application accepted"
    )
    assert sum(bool(answered.fullmatch(line)) for line in log) == 2, log
    assert log.count(f"{carol}: connection connected") == 2, log
    assert log.count(f"{carol}: data channel 'chat' open") == 2, log
    assert log.count(f"{carol}: connection closed") == 2, log
    # SIGTERM: the bot leaves the room and exits 0.
    assert log[-1] == "left room botroom"
    assert bot["exit_status"] == 0, log
    assert not any("Traceback" in line for line in log)
