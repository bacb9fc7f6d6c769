"""RTP session cores: pyrtc.rtpsession against the same per-packet work in aiortc.

aiortc has no sans-I/O sender or receiver, so the baselines replay the per-packet code of
``aiortc.rtcrtpsender`` (build an ``RtpPacket``, set abs-send-time and MID, keep it in the
history, serialize with the extension map; on NACK wrap it as RTX and serialize) and of
``aiortc.rtcrtpreceiver.StreamStatistics.add`` (sequence, loss and jitter bookkeeping).
"""

from __future__ import annotations

import random

from pyrtc.bench import Case
from pyrtc.rtcp import RtcpNackPacket
from pyrtc.rtp import ABS_SEND_TIME, MID, HeaderExtensionsMap
from pyrtc.rtpsession import ReceptionStatistics, RtpSender

BATCH = 100
PAYLOAD = bytes(1100)


def _our_sender() -> RtpSender:
    extmap = HeaderExtensionsMap({1: MID, 2: ABS_SEND_TIME})
    return RtpSender(
        1234, 96, 90000, cname="bench", rtx_ssrc=5678, rtx_payload_type=97, mid="0",
        extensions=extmap, rng=random.Random(1), history_age=1e9,
    )  # fmt: skip


def cases() -> list[Case]:
    payloads = [PAYLOAD] * BATCH
    sender = _our_sender()
    now = [0.0]

    def ours_send() -> object:
        now[0] += 0.01
        sender.send_frame(payloads, 900 * int(now[0] * 100), now[0])
        return sender.datagrams_to_send(now[0])

    nack_sender = _our_sender()
    nack_sender.send_frame(payloads, 0, 0.0)
    nack_sender.datagrams_to_send(0.0)
    first = (nack_sender.sequence_number - BATCH) & 0xFFFF
    nack = RtcpNackPacket(1, 1234, [(first + i) & 0xFFFF for i in range(BATCH)])
    nack_now = [0.0]

    def ours_nack() -> object:
        nack_now[0] += 1.0  # past the per-packet RTT limit every time
        nack_sender.receive_rtcp(nack, nack_now[0])
        return nack_sender.datagrams_to_send(nack_now[0])

    # one full cycle of sequence numbers, fed in order batch after batch (wrapping around)
    rng = random.Random(2)
    arrivals = [(i, (3000 * i) & 0xFFFFFFFF, i / 30 + rng.uniform(0, 0.01)) for i in range(0x10000)]
    stats = ReceptionStatistics(90000)
    position = [0]

    def ours_stats() -> object:
        start = position[0]
        position[0] = (start + BATCH) % 0x10000
        for seq, timestamp, arrival in arrivals[start : start + BATCH]:
            stats.update(seq, timestamp, arrival, retransmission=False)
        return stats.report_block(1, 0, 0)

    base_send = base_nack = base_stats = None
    try:
        from aiortc import rtcrtpreceiver
        from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
        from aiortc.rtp import HeaderExtensionsMap as TheirMap
        from aiortc.rtp import RtpPacket as TheirPacket
        from aiortc.rtp import wrap_rtx as their_wrap_rtx
    except ImportError:
        pass
    else:
        their_map = TheirMap()
        their_map.configure(
            RTCRtpParameters(
                headerExtensions=[
                    RTCRtpHeaderExtensionParameters(id=1, uri=MID),
                    RTCRtpHeaderExtensionParameters(id=2, uri=ABS_SEND_TIME),
                ]
            )
        )
        history: dict[int, TheirPacket] = {}
        seq_box = [0]

        def base_send() -> object:
            out = []
            for i, payload in enumerate(payloads):
                packet = TheirPacket(payload_type=96, sequence_number=seq_box[0], timestamp=0)
                packet.ssrc = 1234
                packet.payload = payload
                packet.marker = 1 if i == len(payloads) - 1 else 0
                packet.extensions.abs_send_time = (i << 8) & 0xFFFFFF
                packet.extensions.mid = "0"
                history[packet.sequence_number % 128] = packet
                out.append(packet.serialize(their_map))
                seq_box[0] = (seq_box[0] + 1) & 0xFFFF
            return out

        base_send()
        nack_history = dict(history)  # base_send keeps overwriting ``history``
        lost_seqs = sorted(p.sequence_number for p in nack_history.values())

        def base_nack() -> object:
            out = []
            rtx_seq = 0
            for seq in lost_seqs:
                packet = nack_history.get(seq % 128)
                if packet and packet.sequence_number == seq:
                    rtx = their_wrap_rtx(
                        packet, payload_type=97, sequence_number=rtx_seq, ssrc=5678
                    )
                    rtx_seq = (rtx_seq + 1) & 0xFFFF
                    out.append(rtx.serialize(their_map))
            return out

        their_stats = rtcrtpreceiver.StreamStatistics(90000)
        their_packets = [TheirPacket(sequence_number=s, timestamp=t) for s, t, _ in arrivals]
        their_position = [0]

        def base_stats() -> object:
            start = their_position[0]
            their_position[0] = (start + BATCH) % 0x10000
            for packet in their_packets[start : start + BATCH]:
                their_stats.add(packet)
            return (their_stats.fraction_lost, their_stats.packets_lost, their_stats.jitter)

    return [
        Case("rtpsession", "send_frame per packet (ext, history)", ours_send,
             base_send, "aiortc", ops_per_call=BATCH),
        Case("rtpsession", "NACK -> RTX per packet", ours_nack, base_nack,
             "aiortc", ops_per_call=BATCH),
        Case("rtpsession", "receive statistics per packet", ours_stats,
             base_stats, "aiortc", ops_per_call=BATCH),
    ]  # fmt: skip
