"""Cross-checks against libsrtp (through pylibsrtp) for every profile it supports.

Random payloads, SSRCs, CSRC lists, header extensions and sequence numbers that cross the
65535 -> 0 wrap (so the rollover counter changes): our protect must be what libsrtp protects
and what libsrtp unprotects, and libsrtp's output must unprotect with ours, for RTP and RTCP.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import pylibsrtp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pylibsrtp import Policy, Session

from pyrtc.srtp import Profile, SrtpError, SrtpSession

LIBSRTP_PROFILES = {
    Profile.AES_CM_128_HMAC_SHA1_80: Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    Profile.AES_CM_128_HMAC_SHA1_32: Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    Profile.AEAD_AES_128_GCM: Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    Profile.AEAD_AES_256_GCM: Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
}


def libsrtp(profile: Profile, key: bytes, salt: bytes, ssrc_type: int) -> Session:
    policy = Policy(key + salt, ssrc_type, srtp_profile=LIBSRTP_PROFILES[profile])
    return Session(policy)


def rtp_packet(
    seq: int,
    ssrc: int,
    csrcs: list[int],
    extension: tuple[int, bytes] | None,
    payload: bytes,
    marker: bool = False,
    padding: int = 0,
) -> bytes:
    first = 0x80 | (0x20 if padding else 0) | len(csrcs) | (0x10 if extension else 0)
    header = struct.pack("!BBHII", first, (0x80 if marker else 0) | 96, seq, seq * 3000, ssrc)
    header += b"".join(struct.pack("!I", c) for c in csrcs)
    if extension:
        profile_id, data = extension
        header += struct.pack("!HH", profile_id, len(data) // 4) + data
    return header + payload + (bytes(padding - 1) + bytes([padding]) if padding else b"")


@dataclass
class Keys:
    profile: Profile
    key: bytes
    salt: bytes


@st.composite
def keys(draw: st.DrawFn) -> Keys:
    profile = draw(st.sampled_from(list(LIBSRTP_PROFILES)))
    key = draw(st.binary(min_size=profile.key_length, max_size=profile.key_length))
    salt = draw(st.binary(min_size=profile.salt_length, max_size=profile.salt_length))
    return Keys(profile, key, salt)


extensions = st.none() | st.tuples(
    st.integers(0, 0xFFFF),
    st.integers(0, 4).flatmap(lambda words: st.binary(min_size=4 * words, max_size=4 * words)),
)
stream = st.fixed_dictionaries(
    {
        "ssrc": st.integers(0, 2**32 - 1),
        "first_seq": st.integers(65500, 65535) | st.integers(0, 65535),
        "steps": st.lists(st.integers(1, 40), min_size=1, max_size=12),
        "csrcs": st.lists(st.integers(0, 2**32 - 1), max_size=15),
        "extension": extensions,
        "payloads": st.lists(st.binary(max_size=600), min_size=12, max_size=12),
        "marker": st.booleans(),
        "padding": st.sampled_from([0, 0, 1, 3, 4, 255]),
    }
)


@settings(max_examples=150, deadline=None)
@given(keys(), stream)
def test_rtp_both_directions(k: Keys, s: dict[str, Any]) -> None:
    ours_tx = SrtpSession(k.profile, k.key, k.salt)
    ours_rx = SrtpSession(k.profile, k.key, k.salt)
    lib_tx = libsrtp(k.profile, k.key, k.salt, Policy.SSRC_ANY_OUTBOUND)
    lib_rx = libsrtp(k.profile, k.key, k.salt, Policy.SSRC_ANY_INBOUND)
    seq = s["first_seq"]
    for step, payload in zip(s["steps"], s["payloads"], strict=False):
        packet = rtp_packet(
            seq, s["ssrc"], s["csrcs"], s["extension"], payload, s["marker"], s["padding"]
        )
        ours = ours_tx.protect(packet)
        theirs = lib_tx.protect(packet)
        assert ours == theirs
        assert len(ours) == len(packet) + k.profile.rtp_tag_length
        assert lib_rx.unprotect(ours) == packet
        assert ours_rx.unprotect(theirs) == packet
        seq = (seq + step) & 0xFFFF


@settings(max_examples=100, deadline=None)
@given(keys(), st.integers(0, 2**32 - 1), st.lists(st.binary(max_size=400), min_size=1, max_size=8))
def test_rtcp_both_directions(k: Keys, ssrc: int, bodies: list[bytes]) -> None:
    ours_tx = SrtpSession(k.profile, k.key, k.salt)
    ours_rx = SrtpSession(k.profile, k.key, k.salt)
    lib_tx = libsrtp(k.profile, k.key, k.salt, Policy.SSRC_ANY_OUTBOUND)
    lib_rx = libsrtp(k.profile, k.key, k.salt, Policy.SSRC_ANY_INBOUND)
    for body in bodies:
        padded = body + bytes(-len(body) % 4)
        packet = struct.pack("!BBHI", 0x80, 201, 1 + len(padded) // 4, ssrc) + padded
        ours = ours_tx.protect_rtcp(packet)
        assert len(ours) == len(packet) + 4 + k.profile.rtcp_tag_length
        assert lib_rx.unprotect_rtcp(ours) == packet
        assert ours_rx.unprotect_rtcp(lib_tx.protect_rtcp(packet)) == packet


@pytest.mark.parametrize("profile", list(LIBSRTP_PROFILES))
def test_long_run_across_several_rollovers(profile: Profile) -> None:
    # 140,000 consecutive packets: the ROC goes 0 -> 2; every 997th is checked against libsrtp.
    key, salt = bytes(range(profile.key_length)), bytes(range(100, 100 + profile.salt_length))
    ours_tx = SrtpSession(profile, key, salt)
    lib_tx = libsrtp(profile, key, salt, Policy.SSRC_ANY_OUTBOUND)
    lib_rx = libsrtp(profile, key, salt, Policy.SSRC_ANY_INBOUND)
    ours_rx = SrtpSession(profile, key, salt)
    packets = [rtp_packet(i & 0xFFFF, 0xCAFE, [], None, b"x" * 20) for i in range(140_000)]
    ours = ours_tx.protect_many(packets)
    theirs = [lib_tx.protect(p) for p in packets]
    assert ours[::997] == theirs[::997]
    assert ours[-1] == theirs[-1]
    assert ours_rx.unprotect_many(theirs) == packets
    assert [lib_rx.unprotect(p) for p in ours[::997]] == packets[::997]


def test_reordering_across_the_wrap() -> None:
    # RFC 3711 Appendix A: a late packet from before the wrap still gets ROC 0.
    profile = Profile.AES_CM_128_HMAC_SHA1_80
    key, salt = bytes(16), bytes(14)
    lib_tx = libsrtp(profile, key, salt, Policy.SSRC_ANY_OUTBOUND)
    ours_rx = SrtpSession(profile, key, salt)
    order = [65530, 65531, 65535, 0, 1, 65532, 3, 65534, 2, 65533]
    sent = {seq: rtp_packet(seq, 7, [], None, seq.to_bytes(2, "big") * 4) for seq in order}
    send_order = sorted(order, key=lambda seq: (seq < 32768, seq))  # 65530 ... 65535, 0 ... 3
    protected = {seq: lib_tx.protect(sent[seq]) for seq in send_order}
    for seq in order:
        assert ours_rx.unprotect(protected[seq]) == sent[seq]


@settings(max_examples=60, deadline=None)
@given(
    keys(),
    st.integers(0, 65535),
    st.lists(st.sampled_from([1, 1, 2, 5, 100, 1000, 20000, 30000]), min_size=2, max_size=30),
    st.lists(st.tuples(st.integers(0, 29), st.integers(1, 5)), max_size=10),
    st.lists(st.integers(0, 29), max_size=4),
)
def test_receiver_accepts_and_rejects_what_libsrtp_does(
    k: Keys, first_seq: int, steps: list[int], swaps: list[tuple[int, int]], repeats: list[int]
) -> None:
    # libsrtp sends a stream with gaps up to 30000 (so reordering makes the ROC ambiguous);
    # delivered reordered and with duplicates, each packet must be accepted or refused by
    # our receiver exactly when libsrtp's receiver accepts or refuses it.
    lib_tx = libsrtp(k.profile, k.key, k.salt, Policy.SSRC_ANY_OUTBOUND)
    seqs = [first_seq]
    for step in steps[1:]:
        seqs.append((seqs[-1] + step) & 0xFFFF)
    packets = [lib_tx.protect(rtp_packet(seq, 5, [], None, b"media")) for seq in seqs]
    order = list(range(len(packets)))
    for i, distance in swaps:
        i %= len(order)
        j = min(len(order) - 1, i + distance)
        order[i], order[j] = order[j], order[i]
    order += [i % len(packets) for i in repeats]
    lib_rx = libsrtp(k.profile, k.key, k.salt, Policy.SSRC_ANY_INBOUND)
    ours_rx = SrtpSession(k.profile, k.key, k.salt)
    for i in order:
        try:
            theirs: bytes | None = lib_rx.unprotect(packets[i])
        except pylibsrtp.Error:
            theirs = None
        try:
            ours: bytes | None = ours_rx.unprotect(packets[i])
        except SrtpError:
            ours = None
        assert ours == theirs, f"packet {i} (seq {seqs[i]}) in order {order}"
