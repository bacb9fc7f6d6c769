"""pyrtc <-> headless Chromium (Debian /usr/bin/chromium via Playwright): data-channel echo of
strings and binary up to max-message-size, pyrtc as offerer and as answerer, with
candidates trickled both ways, and answering an offer with audio and video.

``chromium_run.py`` runs inside a loopback-only network namespace (``unshare -n``,
docs/INTEROP.md §1); this test bounds it and asserts on the JSON it prints. Chromium 156
sends a DTLS 1.3-capable ClientHello in two fragments (ML-KEM key share) when it is the
DTLS client, which is the case when pyrtc offers.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.pc.helpers import chromium_missing, run_in_namespace

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(chromium_missing() is not None, reason=chromium_missing() or ""),
]


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return run_in_namespace("tests.pc.chromium_run")


@pytest.mark.parametrize(
    "scenario", ["pyrtc_offers", "chromium_offers", "trickle", "chromium_offers_media"]
)
def test_echo_with_chromium(result: dict[str, Any], scenario: str) -> None:
    run = result[scenario]
    assert run["echoes"] == run["sent"]  # type, length and SHA-256 of every message
    assert [kind for kind, _, _ in run["echoes"]] == ["str", "bytes"] * 4
    assert max(size for _, size, _ in run["echoes"]) == 262144  # Chromium's max-message-size
    assert run["pyrtc_state"] == "connected"
    assert run["browser_state"] == ["connected", 262144]
    assert run["dtls_cipher"].startswith("TLS_ECDHE_ECDSA_")


def test_dtls_roles(result: dict[str, Any]) -> None:
    # Offerer says actpass; the answerer (pyrtc or Chromium) is the DTLS client.
    assert result["pyrtc_offers"]["dtls_role"] == "server"
    assert result["pyrtc_offers"]["label"] == "from-pyrtc"
    assert result["chromium_offers"]["dtls_role"] == "client"
    assert result["chromium_offers"]["label"] == "from-chromium"


def test_trickle_both_ways(result: dict[str, Any]) -> None:
    """pyrtc (trickle=True) offers with no candidate; Chromium's candidates arrive through
    addIceCandidate and ours through its addIceCandidate, plus our end-of-candidates."""
    theirs, ours, ends = result["trickle"]["trickled"]
    assert theirs >= 1 and ours >= 1 and ends == 1
    assert result["trickle"]["label"] == "trickled"


def test_media_sections_of_a_browser_offer_are_accepted(result: dict[str, Any]) -> None:
    """Chromium offers audio + video + data: pyrtc's answer accepts the media sections
    (recvonly) and the data channel works."""
    run = result["chromium_offers_media"]
    assert run["answer_sections"] == [["audio", 9], ["video", 9], ["application", 9]]
    assert run["label"] == "with-media" and run["browser_state"][0] == "connected"
