"""pyrtc <-> headless Chromium media calls (Debian /usr/bin/chromium via Playwright), with
Chromium offering and with pyrtc offering: Chromium's fake camera and microphone to pyrtc,
decoded; pyrtc's test pattern and silence to Chromium, whose getStats shows framesDecoded
growing. Each way round four times: with the default VP8 and with H.264, VP9 (profile 0) and
AV1 each forced by the offerer's codec preferences (``RTCRtpTransceiver.setCodecPreferences``
in Chromium or in pyrtc).
``media_chromium_run.py`` runs inside a loopback-only network namespace (``unshare -n``),
as ``chromium_run.py`` does."""

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
    return run_in_namespace("tests.pc.media_chromium_run", timeout=180)


PREFERRED = {"h264": "H264", "vp9": "VP9", "av1": "AV1"}
"""The codec each pair of calls forces, by the suffix of the calls' names."""
VIDEO_CODEC = {"chromium_offers": "video/VP8", "pyrtc_offers": "video/VP8"} | {
    f"{side}_offers_{suffix}": f"video/{name}"
    for suffix, name in PREFERRED.items()
    for side in ("chromium", "pyrtc")
}
CALLS = list(VIDEO_CODEC)


def test_answer_accepts_chromium_media(result: dict[str, Any]) -> None:
    """Our answer keeps Chromium's sections, sendrecv, with the codecs we share."""
    assert result["chromium_offers"]["answer"] == [
        ["audio", 9, "sendrecv", ["opus", "PCMU", "PCMA"]],
        ["video", 9, "sendrecv", ["VP8", "rtx", "H264", "rtx", "VP9", "rtx", "AV1", "rtx"]],
    ]


def test_chromium_accepts_our_offer(result: dict[str, Any]) -> None:
    """Chromium's answer to our offer: both sections sendrecv, VP8 first (then H.264, VP9
    and AV1) with RTX, Opus."""
    answer = result["pyrtc_offers"]["answer"]
    assert [(kind, direction) for kind, _, direction, _ in answer] == [
        ("video", "sendrecv"),
        ("audio", "sendrecv"),
    ]
    assert answer[0][3][:2] == ["VP8", "rtx"]
    assert {"H264", "VP9", "AV1"} <= set(answer[0][3])
    assert answer[1][3][0] == "opus"


@pytest.mark.parametrize("call", [c for c in CALLS if c.split("_")[-1] in PREFERRED])
def test_codec_by_offerer_preference(result: dict[str, Any], call: str) -> None:
    """The offerer prefers only H.264, VP9 or AV1 (+ RTX): the answer keeps exactly that,
    and pyrtc's sender and receiver use it."""
    name = PREFERRED[call.split("_")[-1]]
    answer = {kind: codecs for kind, _, _, codecs in result[call]["answer"]}
    assert answer["video"] == [name, "rtx"]
    assert result[call]["pyrtc_video_codecs"] == [f"video/{name}", "video/rtx"]


@pytest.mark.parametrize("call", CALLS)
def test_pyrtc_decodes_chromium(result: dict[str, Any], call: str) -> None:
    """30 frames (VP8, H.264, VP9 or AV1) of Chromium's fake camera and 10 Opus frames of its
    microphone, decoded by pyrtc."""
    result = result[call]
    assert result["pyrtc_state"] == "connected"
    sizes = result["video_sizes"]
    # the fake camera is 640x480; Chromium's encoder may start scaled down (seen: 320x240
    # with H.264 on a loaded machine), always keeping 4:3
    assert len(sizes) == 30
    assert all(160 <= w <= 640 and 3 * w == 4 * h for w, h in sizes)
    assert result["audio_rates"] == [48000] * 10


@pytest.mark.parametrize("call", CALLS)
def test_chromium_decodes_pyrtc(result: dict[str, Any], call: str) -> None:
    """Chromium's inbound-rtp: video frames of the negotiated codec decoded keep growing,
    pyrtc's Opus packets arrive."""
    first, second = result[call]["chromium_stats"]
    assert second["video"]["codec"] == VIDEO_CODEC[call]
    assert second["audio"]["codec"] == "audio/opus"
    assert first["state"] == second["state"] == "connected"
    assert second["video"]["framesDecoded"] > first["video"]["framesDecoded"] > 0
    assert (second["video"]["frameWidth"], second["video"]["frameHeight"]) == (640, 480)
    assert second["audio"]["packetsReceived"] > first["audio"]["packetsReceived"] > 0
