"""In-order Depacketizer: frames from pushed packets, recovery after loss."""

from __future__ import annotations

from pyrtc.media import H264, VP8, Depacketizer, h264_packetize, vp8_packetize


def test_vp8_frames_and_loss_recovery() -> None:
    frames = [bytes([0x10 if i == 0 else 0x11]) + bytes([i]) * 2500 for i in range(3)]
    d = Depacketizer(VP8)
    seq = 65534
    out = []
    for i, frame in enumerate(frames):
        payloads = vp8_packetize(frame)
        for j, payload in enumerate(payloads):
            if i == 1 and j == 1:  # lose the middle packet of frame 1
                seq = (seq + 1) & 0xFFFF
                continue
            got = d.push(payload, seq, 3000 * i, j == len(payloads) - 1)
            seq = (seq + 1) & 0xFFFF
            if got is not None:
                out.append(got)
    assert out == [frames[0], frames[2]]


def test_h264_frame_after_marker_without_start_flag() -> None:
    # a slice with first_mb_in_slice != 0 has no start flag; the marker before it starts it
    first = b"\x00\x00\x00\x01\x65\x88\x84"
    second = b"\x00\x00\x00\x01\x41\x1a\x22"
    d = Depacketizer(H264)
    assert d.push(h264_packetize(first)[0], 10, 0, True) == first
    assert d.push(h264_packetize(second)[0], 11, 3000, True) == second
    assert d.push(h264_packetize(second)[0], 13, 6000, True) is None  # 12 lost: no start
