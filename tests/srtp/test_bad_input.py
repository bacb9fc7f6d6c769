"""Tampered, truncated, replayed and random input: a typed error, never a crash or a packet.

After every rejection the session must still accept the genuine traffic, and a rejected
packet must not move the rollover counter or the replay window (RFC 3711 §3.3.2: update
only after authentication).
"""

from __future__ import annotations

import functools
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyrtc
from pyrtc.srtp import (
    Profile,
    SrtpAuthError,
    SrtpError,
    SrtpParseError,
    SrtpReplayError,
    SrtpSession,
)

ALL_PROFILES = list(Profile)


def session(profile: Profile, **kwargs: int) -> SrtpSession:
    key = bytes(range(1, 1 + profile.key_length))
    salt = bytes(range(50, 50 + profile.salt_length))
    return SrtpSession(profile, key, salt, **kwargs)


def rtp(seq: int, payload: bytes = b"media payload!", ssrc: int = 0x11223344) -> bytes:
    return struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, 1000, ssrc) + payload


def rtcp(ssrc: int = 0x11223344) -> bytes:
    # A receiver report with one report block.
    return struct.pack("!BBHI", 0x81, 201, 7, ssrc) + bytes(range(24))


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_every_single_bit_flip_is_rejected_rtp(profile: Profile) -> None:
    packet = session(profile).protect(rtp(1000))
    receiver = session(profile)
    for bit in range(len(packet) * 8):
        tampered = bytearray(packet)
        tampered[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(SrtpError) as info:
            receiver.unprotect(bytes(tampered))
        if bit >= 12 * 8:  # payload or tag: the header still parses, so it must be the tag
            assert type(info.value) is SrtpAuthError
        else:
            assert isinstance(info.value, SrtpAuthError | SrtpParseError)
    assert receiver.unprotect(packet) == rtp(1000)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_every_single_bit_flip_is_rejected_rtcp(profile: Profile) -> None:
    packet = session(profile).protect_rtcp(rtcp())
    receiver = session(profile)
    trailer = 4 if profile.is_aead else 4 + profile.rtcp_tag_length
    e_flag_bit = (len(packet) - trailer) * 8
    for bit in range(len(packet) * 8):
        tampered = bytearray(packet)
        tampered[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(SrtpError) as info:
            receiver.unprotect_rtcp(bytes(tampered))
        if bit >= 8 and bit != e_flag_bit:
            assert type(info.value) is SrtpAuthError
    assert receiver.unprotect_rtcp(packet) == rtcp()


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_truncation_is_rejected(profile: Profile) -> None:
    receiver = session(profile)
    sender = session(profile)
    packet, control = sender.protect(rtp(5)), sender.protect_rtcp(rtcp())
    for length in range(len(packet)):
        with pytest.raises(SrtpError):
            receiver.unprotect(packet[:length])
    for length in range(len(control)):
        with pytest.raises(SrtpError):
            receiver.unprotect_rtcp(control[:length])
    with pytest.raises(SrtpParseError):
        receiver.unprotect(b"")
    assert receiver.unprotect(packet) == rtp(5)
    assert receiver.unprotect_rtcp(control) == rtcp()


def test_header_that_overruns_the_packet_is_a_parse_error() -> None:
    sender = session(Profile.AES_CM_128_HMAC_SHA1_80)
    # 15 CSRCs announced, none present.
    with pytest.raises(SrtpParseError):
        sender.protect(bytes([0x8F]) + rtp(1)[1:])
    # Extension bit set, extension header cut short / length past the end.
    with pytest.raises(SrtpParseError):
        sender.protect(bytes([0x90]) + rtp(1, b"")[1:] + b"\xbe\xde")
    with pytest.raises(SrtpParseError):
        sender.protect(bytes([0x90]) + rtp(1, b"")[1:] + b"\xbe\xde\x00\x05" + bytes(16))
    with pytest.raises(SrtpParseError):
        sender.protect(b"\x40" + rtp(1)[1:])  # version 1
    with pytest.raises(SrtpParseError):
        sender.protect_rtcp(b"\x80\xc8\x00")
    assert isinstance(SrtpParseError("x"), pyrtc.ParseError)
    assert issubclass(SrtpAuthError, pyrtc.Error) and issubclass(SrtpReplayError, pyrtc.Error)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_replays_are_rejected(profile: Profile) -> None:
    sender, receiver = session(profile), session(profile)
    packets = [sender.protect(rtp(seq)) for seq in range(300)]
    controls = [sender.protect_rtcp(rtcp()) for _ in range(300)]
    for packet in packets[:200]:
        receiver.unprotect(packet)
    for control in controls[:200]:
        receiver.unprotect_rtcp(control)
    with pytest.raises(SrtpReplayError):
        receiver.unprotect(packets[150])  # inside the window, already seen
    with pytest.raises(SrtpReplayError):
        receiver.unprotect(packets[10])  # older than the 128-packet window
    with pytest.raises(SrtpReplayError):
        receiver.unprotect_rtcp(controls[199])
    with pytest.raises(SrtpReplayError):
        receiver.unprotect_rtcp(controls[0])
    # Out of order but new: accepted once.
    assert receiver.unprotect(packets[250]) == rtp(250)
    assert receiver.unprotect(packets[201]) == rtp(201)
    with pytest.raises(SrtpReplayError):
        receiver.unprotect(packets[201])
    assert receiver.unprotect_rtcp(controls[260]) == rtcp()
    assert receiver.unprotect_rtcp(controls[240]) == rtcp()


def test_replay_window_size_is_configurable() -> None:
    profile = Profile.AEAD_AES_128_GCM
    sender, receiver = session(profile), session(profile, replay_window=64)
    assert receiver.replay_window == 64
    packets = [sender.protect(rtp(seq)) for seq in range(200)]
    receiver.unprotect(packets[100])
    assert receiver.unprotect(packets[37]) == rtp(37)  # 63 behind the highest: inside
    with pytest.raises(SrtpReplayError):
        receiver.unprotect(packets[36])  # 64 behind: outside a 64-packet window
    wide = session(profile, replay_window=1000)
    wide.unprotect(packets[199])
    assert wide.unprotect(packets[0]) == rtp(0)
    for bad in (0, 32769):
        with pytest.raises(ValueError):
            session(profile, replay_window=bad)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_forged_packet_does_not_move_the_window_or_roc(profile: Profile) -> None:
    sender, receiver = session(profile), session(profile)
    packets = {seq: sender.protect(rtp(seq)) for seq in [65000, 65001, 65100, 10]}
    assert receiver.unprotect(packets[65000]) == rtp(65000)
    # A forged packet far ahead (seq 10 would mean ROC 1): it must not advance anything.
    forged = bytearray(packets[10])
    forged[-1] ^= 1
    with pytest.raises(SrtpAuthError):
        receiver.unprotect(bytes(forged))
    # Had the forgery advanced the highest index, 65001 would now be "too old".
    assert receiver.unprotect(packets[65001]) == rtp(65001)
    assert receiver.unprotect(packets[65100]) == rtp(65100)
    assert receiver.unprotect(packets[10]) == rtp(10)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_wrong_key_is_an_auth_error(profile: Profile) -> None:
    packet = session(profile).protect(rtp(1))
    other = SrtpSession(profile, bytes(profile.key_length), bytes(profile.salt_length))
    with pytest.raises(SrtpAuthError):
        other.unprotect(packet)
    with pytest.raises(SrtpAuthError):
        other.unprotect_rtcp(session(profile).protect_rtcp(rtcp()))
    assert other.inbound_streams == 0  # rejected packets create no state


def test_unencrypted_srtcp_is_refused() -> None:
    packet = bytearray(session(Profile.AES_CM_128_HMAC_SHA1_80).protect_rtcp(rtcp()))
    packet[-14] &= 0x7F  # clear the E flag
    with pytest.raises(SrtpError, match="unencrypted"):
        session(Profile.AES_CM_128_HMAC_SHA1_80).unprotect_rtcp(bytes(packet))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_PROFILES), st.binary(max_size=2000))
def test_random_bytes_never_crash(profile: Profile, data: bytes) -> None:
    receiver = session(profile)
    for method in (receiver.unprotect, receiver.unprotect_rtcp):
        with pytest.raises(SrtpError):
            method(data)
    assert receiver.unprotect_many([data, data]) == [None, None]
    sender = session(profile)
    for protect in (sender.protect, sender.protect_rtcp):
        try:
            out = protect(data)
        except SrtpParseError:
            continue
        assert len(out) > len(data)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ALL_PROFILES),
    st.integers(0, 0xFFFF),
    st.binary(max_size=300),
    st.integers(0, 10_000),
    st.integers(0, 255),
)
def test_random_corruption_of_a_valid_packet(
    profile: Profile, seq: int, payload: bytes, position: int, xor: int
) -> None:
    packet = bytearray(session(profile).protect(rtp(seq, payload)))
    packet[position % len(packet)] ^= xor or 1
    receiver = session(profile)
    with pytest.raises(SrtpError):
        receiver.unprotect(bytes(packet))
    assert receiver.inbound_streams == 0


@functools.cache
def numbered_packets() -> tuple[list[bytes], list[bytes]]:
    """SRTP packets with sequence numbers 0-5000 and SRTCP packets with indices 0-5000."""
    sender = session(Profile.AEAD_AES_128_GCM)
    packets = sender.protect_many([rtp(seq) for seq in range(5001)])
    return packets, [sender.protect_rtcp(rtcp()) for _ in range(5001)]


# Arrival orders: random jumps, or a walk with small steps back and forth (dense bitmaps).
arrival_orders = st.lists(st.integers(0, 5000), min_size=1, max_size=200) | st.lists(
    st.integers(-70, 90), min_size=1, max_size=300
).map(lambda steps: [min(5000, max(0, 2000 + sum(steps[:i]))) for i in range(len(steps))])


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2000) | st.sampled_from([1, 63, 64, 65, 128, 200]), arrival_orders)
def test_replay_window_matches_a_reference_model(window: int, order: list[int]) -> None:
    # RFC 3711 §3.3.2 as a set-based model: accept an index if it is newer than the highest
    # accepted, or less than `window` behind it and not seen before. RTP and SRTCP alike.
    packets, controls = numbered_packets()
    receiver = session(Profile.AEAD_AES_128_GCM, replay_window=window)
    seen: set[int] = set()
    highest = -1
    for index in order:
        expected = index > highest or (highest - index < window and index not in seen)
        for unprotect, packet in (
            (receiver.unprotect, packets[index]),
            (receiver.unprotect_rtcp, controls[index]),
        ):
            try:
                unprotect(packet)
                accepted = True
            except SrtpReplayError:
                accepted = False
            assert accepted == expected
        if expected:
            seen.add(index)
            highest = max(highest, index)


@pytest.mark.parametrize("shift", [1, 10, 54, 63, 64, 65, 100, 127, 128, 129, 199, 200, 300])
def test_replay_bitmap_survives_every_shift(shift: int) -> None:
    # Accept the even indices 0..198, jump ahead by `shift`, then every index still inside the
    # 200-packet window must be a replay if even and new if odd (multi-word bitmap shifts).
    packets, _ = numbered_packets()
    receiver = session(Profile.AEAD_AES_128_GCM, replay_window=200)
    for index in range(0, 199, 2):
        receiver.unprotect(packets[index])
    highest = 198 + shift
    receiver.unprotect(packets[highest])
    for index in range(199):
        if highest - index >= 200 or index % 2 == 0:
            with pytest.raises(SrtpReplayError):
                receiver.unprotect(packets[index])
        else:
            assert receiver.unprotect(packets[index]) == rtp(index)
