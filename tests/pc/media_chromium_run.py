"""pyrtc <-> real Chromium media calls; run by test_media_chromium.py inside ``unshare -n``.

Both ways round, with the default VP8 and with H.264, VP9 (profile 0) and AV1 each forced by
the offerer's codec preferences: Chromium offers its fake camera and microphone (sendrecv) and
pyrtc answers with a ``VideoStreamTrack`` and an ``AudioStreamTrack`` of its own; then pyrtc
offers its tracks and Chromium answers with its fake devices. Prints one JSON line: per call,
what pyrtc decoded from Chromium and Chromium's inbound-rtp counters for what pyrtc sent.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import av
from playwright.async_api import async_playwright

from pyrtc.mediastreams import AudioStreamTrack, MediaStreamTrack, VideoStreamTrack
from pyrtc.pc import RTCPeerConnection, RTCRtpCodecParameters, RTCSessionDescription
from pyrtc.sdp import SessionDescription
from tests.pc.chromium_run import CHROMIUM, FLAGS, progress, serve_page

TIMEOUT = 20.0
PREFER_CODEC_JS = """
const WANTED = {
  H264: f => /packetization-mode=1/.test(f) && /profile-level-id=42e01f/.test(f),
  VP9: f => !/profile-id=[^0]/.test(f),
  AV1: f => !/profile=[^0]/.test(f),
};
function preferCodec(transceiver, name) {
  const all = RTCRtpReceiver.getCapabilities('video').codecs;
  const wanted = all.filter(
    c => c.mimeType === 'video/' + name && WANTED[name](c.sdpFmtpLine || ''));
  transceiver.setCodecPreferences(wanted.concat(all.filter(c => c.mimeType === 'video/rtx')));
}
"""
OFFER_JS = """async codec => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  const pc = new RTCPeerConnection();
  window.pc = pc;
  stream.getTracks().forEach(t => pc.addTrack(t, stream));
  if (codec) preferCodec(pc.getTransceivers().find(t => t.sender.track.kind === 'video'), codec);
  await pc.setLocalDescription();
  await new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') resolve();
    };
  });
  return {type: pc.localDescription.type, sdp: pc.localDescription.sdp};
}"""
SETUP_JS = """async () => {
  window.stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  const pc = new RTCPeerConnection();
  window.pc = pc;
}"""
ANSWER_JS = """async offer => {
  await pc.setRemoteDescription(offer);
  for (const t of pc.getTransceivers()) {
    const track = stream.getTracks().find(k => k.kind === t.receiver.track.kind);
    await t.sender.replaceTrack(track);
    t.sender.setStreams(stream);
    t.direction = 'sendrecv';
  }
  await pc.setLocalDescription();
  await new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') resolve();
    };
  });
  return {type: pc.localDescription.type, sdp: pc.localDescription.sdp};
}"""
STATS_JS = """async () => {
  const out = {};
  const report = await pc.getStats();
  report.forEach(s => {
    if (s.type === 'inbound-rtp') {
      const codec = report.get(s.codecId);
      out[s.kind] = {packetsReceived: s.packetsReceived, framesDecoded: s.framesDecoded,
                     frameWidth: s.frameWidth, frameHeight: s.frameHeight,
                     codec: codec ? codec.mimeType : null};
    }
  });
  out.state = pc.connectionState;
  return out;
}"""


async def call(page: Any, pyrtc_offers: bool, codec: str | None) -> dict[str, Any]:
    pc = RTCPeerConnection(addresses=["127.0.0.1"])
    tracks: list[MediaStreamTrack] = []
    pc.on("track", tracks.append)
    video, audio = VideoStreamTrack(), AudioStreamTrack()
    try:
        if pyrtc_offers:
            await page.evaluate(SETUP_JS)
            pc.addTrack(video)
            pc.addTrack(audio)
            if codec is not None:
                (transceiver,) = [t for t in pc.getTransceivers() if t.kind == "video"]
                transceiver.setCodecPreferences(PREFERENCES[codec])
            await pc.setLocalDescription(await pc.createOffer())
            local = pc.localDescription
            assert local is not None
            reply = await page.evaluate(ANSWER_JS, {"type": "offer", "sdp": local.sdp})
            await pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], reply["type"]))
            answer = SessionDescription.parse(reply["sdp"])
        else:
            offer = await page.evaluate(OFFER_JS, codec)
            await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], offer["type"]))
            pc.addTrack(video)
            pc.addTrack(audio)
            await pc.setLocalDescription(await pc.createAnswer())
            local = pc.localDescription
            assert local is not None
            answer = SessionDescription.parse(local.sdp)
            await page.evaluate(
                "a => pc.setRemoteDescription(a)", {"type": "answer", "sdp": local.sdp}
            )
        progress("negotiated; receiving")
        remote = {t.kind: t for t in tracks}
        sizes = []
        for _ in range(30):
            frame = await asyncio.wait_for(remote["video"].recv(), TIMEOUT)
            assert isinstance(frame, av.VideoFrame)
            sizes.append([frame.width, frame.height])
        sounds = [await asyncio.wait_for(remote["audio"].recv(), TIMEOUT) for _ in range(10)]
        first = await page.evaluate(STATS_JS)
        await asyncio.sleep(2.0)
        second = await page.evaluate(STATS_JS)
        return {
            "answer": [
                [m.kind, m.port, m.direction, [c.name for c in m.codecs]] for m in answer.media
            ],
            "video_sizes": sizes,
            "audio_rates": [getattr(f, "sample_rate", None) for f in sounds],
            "pyrtc_state": pc.connectionState,
            "pyrtc_video_codecs": [
                c.mimeType
                for t in pc.getTransceivers()
                if t.kind == "video"
                for c in t.sender.getParameters().codecs
            ],
            "chromium_stats": [first, second],
        }
    finally:
        video.stop()
        audio.stop()
        await pc.close()


CALLS = [
    ("chromium_offers", False, None),
    ("pyrtc_offers", True, None),
    ("chromium_offers_h264", False, "H264"),
    ("pyrtc_offers_h264", True, "H264"),
    ("chromium_offers_vp9", False, "VP9"),
    ("pyrtc_offers_vp9", True, "VP9"),
    ("chromium_offers_av1", False, "AV1"),
    ("pyrtc_offers_av1", True, "AV1"),
]
"""Each call: its name, whether pyrtc offers, the only video codec the offerer prefers."""
PREFERENCES = {
    name: [
        RTCRtpCodecParameters(f"video/{name}", 90000, payload_type),
        RTCRtpCodecParameters("video/rtx", 90000, payload_type + 1),
    ]
    for name, payload_type in (("H264", 98), ("VP9", 100), ("AV1", 45))
}


async def run_all() -> None:
    server, url = await serve_page()
    progress("starting Chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            results = {}
            for name, pyrtc_offers, codec in CALLS:
                progress(f"call {name}")
                page = await browser.new_page()
                await page.goto(url)
                await page.add_script_tag(content=PREFER_CODEC_JS)
                results[name] = await asyncio.wait_for(call(page, pyrtc_offers, codec), TIMEOUT * 3)
                await page.close()
        finally:
            await browser.close()
            server.close()
    progress("done")
    print(json.dumps(results))


async def main() -> None:
    async with asyncio.timeout(170):
        await run_all()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
