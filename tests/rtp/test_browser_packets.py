"""Real RTP headers from Chromium 156 and Firefox 153 (cleartext part of their SRTP packets).

``fixtures/browser_rtp_headers.txt`` and the extmap files come from the shared captures and
SDP offers via ``fixtures/extract_rtp_headers.py``; each packet's payload is 4 bytes of
ciphertext standing in for the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap as AiortcMap
from aiortc.rtp import RtpPacket as AiortcPacket

from pyrtc.rtp import (
    AudioLevel,
    HeaderExtensionsMap,
    RtpPacket,
    VideoOrientation,
    abs_send_time_to_seconds,
)

FIXTURES = Path(__file__).parent / "fixtures"
PACKETS = [
    (browser, bytes.fromhex(hex_packet))
    for browser, hex_packet in (
        line.split() for line in (FIXTURES / "browser_rtp_headers.txt").read_text().splitlines()
    )
]


def extmap(browser: str) -> list[tuple[int, str]]:
    pairs = []
    for line in (FIXTURES / f"{browser}_extmap.txt").read_text().splitlines():
        ext_id, uri = line.removeprefix("a=extmap:").split()[:2]
        pairs.append((int(ext_id.split("/")[0]), uri))
    return pairs


MAPS = {browser: HeaderExtensionsMap(extmap(browser)) for browser in ("chromium156", "firefox153")}


def by_stream(browser: str, payload_type: int) -> list[RtpPacket]:
    return [
        packet
        for name, data in PACKETS
        if name == browser and (packet := RtpPacket.parse(data)).payload_type == payload_type
    ]


@pytest.mark.parametrize(("browser", "data"), PACKETS)
def test_parse_and_forward_verbatim(browser: str, data: bytes) -> None:
    packet = RtpPacket.parse(data)
    assert packet.version == 2 and packet.csrc == [] and packet.payload_length == 4
    assert packet.serialize() == data
    # rebuilt from the raw elements: same elements, same payload
    assert packet.extensions
    again = RtpPacket.parse(packet.serialize())
    assert again.extensions == packet.extensions
    assert again.payload == data[-4:]


@pytest.mark.parametrize(("browser", "data"), PACKETS)
def test_decode_matches_aiortc(browser: str, data: bytes) -> None:
    aiortc_map = AiortcMap()
    aiortc_map.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=i, uri=u) for i, u in extmap(browser)
            ]
        )
    )
    theirs = AiortcPacket.parse(data, aiortc_map).extensions
    ours = MAPS[browser].decode(RtpPacket.parse(data).extensions)
    assert ours.mid == theirs.mid
    assert ours.abs_send_time == theirs.abs_send_time
    assert ours.transport_sequence_number == theirs.transport_sequence_number
    assert ours.transmission_offset == theirs.transmission_offset
    assert ours.audio_level == theirs.audio_level


def test_chromium_audio() -> None:
    packets = by_stream("chromium156", 111)
    values = [MAPS["chromium156"].decode(p.extensions) for p in packets]
    assert [v.mid for v in values] == ["0", "0", "0"]
    assert [v.transport_sequence_number for v in values] == [1, 2, 3]
    assert [v.audio_level for v in values] == [AudioLevel(True, 127)] * 3
    assert [p.marker for p in packets] == [1, 0, 0]  # first packet of a talkspurt
    send_times = [abs_send_time_to_seconds(v.abs_send_time or 0) for v in values]
    assert send_times == sorted(send_times)


def test_chromium_video_keeps_unknown_elements_raw() -> None:
    packets = by_stream("chromium156", 118) + by_stream("chromium156", 119)
    values = [MAPS["chromium156"].decode(p.extensions) for p in packets]
    assert {v.mid for v in values} == {"1"}
    seqs = [v.transport_sequence_number for v in values]
    assert seqs == sorted(seqs)
    with_cvo = [v.video_orientation for v in values if v.video_orientation is not None]
    assert with_cvo and set(with_cvo) == {VideoOrientation(False, False, 0)}
    # video-timing (id 7, 13 bytes) and color-space (id 8) have no codec here: they stay raw
    # in packet.extensions and decode ignores them
    timing = [p.extensions[7] for p in packets if 7 in p.extensions]
    assert timing and all(len(t) == 13 for t in timing)
    assert (
        MAPS["chromium156"].uri_of(7) == "http://www.webrtc.org/experiments/rtp-hdrext/video-timing"
    )


def test_firefox_audio_and_video() -> None:
    audio = [MAPS["firefox153"].decode(p.extensions) for p in by_stream("firefox153", 109)]
    assert [v.mid for v in audio] == ["0"] * 3
    assert [v.audio_level for v in audio] == [AudioLevel(True, 23)] * 3
    video = [
        MAPS["firefox153"].decode(p.extensions)
        for p in by_stream("firefox153", 122) + by_stream("firefox153", 119)
    ]
    assert {v.mid for v in video} == {"1"}
    assert all(v.transmission_offset is not None for v in video)
    assert all(v.abs_send_time is not None for v in video)
