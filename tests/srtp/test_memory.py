"""Memory stays flat: a million packets, SSRC churn and session churn do not grow the RSS."""

from __future__ import annotations

import gc
import os
import struct

import pytest

from pyrtc.srtp import Profile, SrtpError, SrtpSession

PAGE = os.sysconf("SC_PAGE_SIZE")
BOUND = 8 * 1024 * 1024


def rss() -> int:
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def batch(start: int, count: int, ssrc: int = 5) -> list[bytes]:
    """``count`` 100-byte RTP packets with sequence numbers from ``start`` (wrapping)."""
    payload = bytes(88)
    header = struct.Struct("!BBHII")
    seqs = range(start, start + count)
    return [header.pack(0x80, 96, s & 0xFFFF, s, ssrc) + payload for s in seqs]


@pytest.mark.parametrize("profile", [Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_128_GCM])
def test_a_million_packets(profile: Profile) -> None:
    key, salt = bytes(profile.key_length), bytes(profile.salt_length)
    sender, receiver = SrtpSession(profile, key, salt), SrtpSession(profile, key, salt)
    step = 20_000
    packets = batch(0, step)
    assert receiver.unprotect_many(sender.protect_many(packets)) == packets
    before = rss()
    for start in range(step, 1_000_000, step):
        packets = batch(start, step)
        out = receiver.unprotect_many(sender.protect_many(packets))
        assert out[-1] == packets[-1]
    del packets, out
    assert rss() - before < BOUND


def test_stream_table_bounded_under_ssrc_flood() -> None:
    profile = Profile.AES_CM_128_HMAC_SHA1_80
    key, salt = bytes(16), bytes(14)
    sender = SrtpSession(profile, key, salt, max_streams=64)
    receiver = SrtpSession(profile, key, salt, max_streams=64)
    flood = SrtpSession(profile, key, salt, max_streams=200_000)
    before = rss()
    rejected = 0
    for ssrc in range(100_000):
        packet = struct.pack("!BBHII", 0x80, 96, 1, 0, ssrc) + b"x"
        try:
            sender.protect(packet)
        except SrtpError:
            rejected += 1
        assert receiver.unprotect_many([flood.protect(packet)])[0] in (packet, None)
    assert rejected == 100_000 - 64
    assert sender.outbound_streams == receiver.inbound_streams == 64
    del flood  # 100,000 outbound streams released with the session
    assert rss() - before < BOUND


def test_ssrc_churn_and_session_churn() -> None:
    profile = Profile.AEAD_AES_128_GCM
    key, salt = bytes(16), bytes(12)
    session = SrtpSession(profile, key, salt, max_streams=16)
    session.protect(batch(0, 1)[0])
    before = rss()
    for ssrc in range(200_000):
        session.protect(batch(0, 1, ssrc)[0])
        session.remove_ssrc(ssrc)
    assert session.outbound_streams == 0
    for _ in range(20_000):
        SrtpSession(profile, key, salt).protect_rtcp(b"\x80\xc9\x00\x01\x00\x00\x00\x07")
    assert rss() - before < BOUND


def test_rejected_packets_leak_nothing() -> None:
    # Every rejection path (auth failure, replay, parse error) after its output was allocated.
    profile = Profile.AES_CM_128_HMAC_SHA1_80
    key, salt = bytes(16), bytes(14)
    sender, receiver = SrtpSession(profile, key, salt), SrtpSession(profile, key, salt)
    protected = sender.protect_many(batch(0, 10_000))
    tampered = [p[:-1] + bytes([p[-1] ^ 1]) for p in protected]
    receiver.unprotect_many(protected)
    junk = [b"\x80" + bytes(60)] * 10_000
    before = rss()
    for _ in range(10):
        assert receiver.unprotect_many(tampered) == [None] * 10_000
        assert receiver.unprotect_many(protected) == [None] * 10_000  # replays
        assert receiver.unprotect_many(junk) == [None] * 10_000
    assert rss() - before < BOUND
