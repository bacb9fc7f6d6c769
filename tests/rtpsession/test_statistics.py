"""RFC 3550 A.1/A.3/A.8 reception statistics: hand computations and aiortc's numbers."""

from __future__ import annotations

import random
from unittest import mock

from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket as AiortcRtpPacket

from pyrtc.rtpsession import ReceptionStatistics


def test_jitter_matches_a_hand_computation() -> None:
    stats = ReceptionStatistics(8000)
    # 20 ms G.711 packets; transit in timestamp units: 0, 0, 8, 0, 40
    for i, arrival in enumerate([0.0, 0.020, 0.041, 0.060, 0.085]):
        stats.update(i, 160 * i, arrival, retransmission=False)
    # D = 0, 8, 8, 40; J = 0, 0.5, 0.96875, 0.96875 + (40 - 0.96875) / 16
    assert stats.jitter == 0.96875 + (40 - 0.96875) / 16
    assert stats.report_block(1, 0, 0).jitter == 3


def test_retransmissions_do_not_move_the_jitter() -> None:
    stats = ReceptionStatistics(8000)
    stats.update(0, 0, 0.0, retransmission=False)
    stats.update(2, 320, 0.040, retransmission=False)
    stats.update(1, 160, 0.5, retransmission=True)  # came back late via RTX
    assert stats.jitter == 0.0
    assert stats.received == 3 and stats.packets_lost == 0


def test_fraction_lost_per_interval_and_cumulative_loss() -> None:
    stats = ReceptionStatistics(90000)
    for seq in range(10):
        if seq not in (3, 4):
            stats.update(seq, 0, 0.0, retransmission=False)
    block = stats.report_block(0xABC, 0, 0)
    assert (block.ssrc, block.packets_lost, block.highest_sequence) == (0xABC, 2, 9)
    assert block.fraction_lost == (2 << 8) // 10  # 51, i.e. 20 %
    for seq in range(10, 20):
        stats.update(seq, 0, 0.0, retransmission=False)
    block = stats.report_block(0xABC, 0, 0)
    assert (block.fraction_lost, block.packets_lost, block.highest_sequence) == (0, 2, 19)
    # duplicates make the interval loss negative: reported as 0, cumulative goes down
    for seq in (18, 19, 19):
        stats.update(seq, 0, 0.0, retransmission=False)
    block = stats.report_block(0xABC, 0, 0)
    assert (block.fraction_lost, block.packets_lost) == (0, -1)


def test_wraparound_extends_the_sequence_number() -> None:
    stats = ReceptionStatistics(90000)
    for seq in [65533, 65534, 65535, 0, 1, 65535, 2]:  # one reordered packet across the wrap
        stats.update(seq, 0, 0.0, retransmission=False)
    assert stats.cycles == 1 << 16
    assert stats.extended_highest_sequence == 0x10002
    block = stats.report_block(1, 0, 0)
    assert block.highest_sequence == 0x10002
    assert block.packets_lost == 6 - 7  # 6 expected, 7 received (one duplicate)


def test_a_packet_reordered_before_the_first_one_is_expected() -> None:
    stats = ReceptionStatistics(90000)
    for seq in [1, 65535, 0, 2]:  # 65535 and 0 were sent before 1, across the wrap
        stats.update(seq, 0, 0.0, retransmission=False)
    assert stats.base_seq == -1 and stats.extended_highest_sequence == 2
    assert (stats.expected, stats.received, stats.packets_lost) == (4, 4, 0)


def test_many_wraps_keep_counting_cycles() -> None:
    stats = ReceptionStatistics(90000)
    for n in range(3 * 65536 + 10):
        if n % 1000 == 0 or n > 3 * 65536:  # every 1000th: big steps, still < MAX_DROPOUT
            stats.update((n + 60000) & 0xFFFF, 0, 0.0, retransmission=False)
    assert stats.extended_highest_sequence == 60000 + 3 * 65536 + 9
    assert stats.cycles == 3 << 16 and stats.max_seq == 60009


def test_a_large_jump_is_set_aside_until_confirmed() -> None:
    stats = ReceptionStatistics(90000)
    for seq in range(100, 110):
        assert stats.update(seq, 0, 0.0, retransmission=False)
    assert not stats.update(20000, 0, 0.0, retransmission=False)  # > MAX_DROPOUT ahead
    assert stats.extended_highest_sequence == 109 and stats.received == 10
    assert stats.update(110, 0, 0.0, retransmission=False)  # the old stream goes on
    assert not stats.update(30000, 0, 0.0, retransmission=False)
    assert stats.update(30001, 0, 0.0, retransmission=False)  # sequential: a restart
    assert (stats.base_seq, stats.extended_highest_sequence, stats.received) == (30001, 30001, 1)


def test_same_numbers_as_aiortc_stream_statistics() -> None:
    rng = random.Random(4)
    ours = ReceptionStatistics(90000)
    theirs = StreamStatistics(90000)
    arrival = 100.0
    seq = 65000  # crosses the wrap
    for i in range(2000):
        arrival += 1 / 30 + rng.uniform(0, 0.02)
        if rng.random() < 0.05:
            seq = (seq + 1) & 0xFFFF
            continue
        # whole RTP timestamp units, so aiortc's int() truncation and our rounding agree
        arrival = round(arrival * 90000) / 90000 + 1e-9
        timestamp = (3000 * i) & 0xFFFFFFFF
        ours.update(seq, timestamp, arrival, retransmission=False)
        with mock.patch("aiortc.rtcrtpreceiver.time.time", return_value=arrival):
            theirs.add(AiortcRtpPacket(sequence_number=seq, timestamp=timestamp))
        seq = (seq + 1) & 0xFFFF
        if i % 100 == 99:
            block = ours.report_block(1, 0, 0)
            assert block.fraction_lost == theirs.fraction_lost
            assert block.packets_lost == theirs.packets_lost
            assert block.highest_sequence == theirs.cycles + (theirs.max_seq or 0)
            # aiortc keeps jitter as an integer in 1/16 units: equal within rounding
            assert abs(block.jitter - theirs.jitter) <= 1
