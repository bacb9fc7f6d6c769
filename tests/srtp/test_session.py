"""SrtpSession behaviour: profiles, DTLS-SRTP keying, streams, batches, sizes, SRTCP index."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.rtp import RtpPacket
from pyrtc.srtp import (
    Profile,
    SrtpError,
    SrtpParseError,
    SrtpReplayError,
    SrtpSession,
    dtls_srtp_sessions,
    split_keying_material,
)


def rtp(seq: int, ssrc: int = 1, payload: bytes = b"payload") -> bytes:
    return struct.pack("!BBHII", 0x80, 111, seq & 0xFFFF, 0, ssrc) + payload


def rtcp(ssrc: int = 1) -> bytes:
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


def make(profile: Profile, **kwargs: int) -> SrtpSession:
    return SrtpSession(profile, b"k" * profile.key_length, b"s" * profile.salt_length, **kwargs)


def test_profile_parameters() -> None:
    # RFC 5764 §4.1.2 and RFC 7714 §14.2: key/salt lengths and tag sizes.
    cm80 = Profile.AES_CM_128_HMAC_SHA1_80
    assert (cm80.key_length, cm80.salt_length, cm80.rtp_tag_length, cm80.rtcp_tag_length) == (
        16,
        14,
        10,
        10,
    )
    cm32 = Profile.AES_CM_128_HMAC_SHA1_32
    assert (cm32.rtp_tag_length, cm32.rtcp_tag_length) == (4, 10)
    gcm = Profile.AEAD_AES_256_GCM
    assert (gcm.key_length, gcm.salt_length, gcm.rtp_tag_length, gcm.is_aead) == (32, 12, 16, True)
    assert Profile.AEAD_AES_128_GCM.keying_material_length == 56
    assert cm80.keying_material_length == 60
    assert Profile(0x0007) is Profile.AEAD_AES_128_GCM
    assert [p.dtls_srtp_id for p in Profile] == [1, 2, 7, 8, None, None]
    with pytest.raises(ValueError):
        Profile(0x0003)  # unassigned in the IANA DTLS-SRTP registry


@pytest.mark.parametrize("profile", list(Profile))
def test_round_trip_every_profile(profile: Profile) -> None:
    sender, receiver = make(profile), make(profile)
    for seq in (65534, 65535, 0, 1):
        protected = sender.protect(rtp(seq))
        assert len(protected) == len(rtp(seq)) + profile.rtp_tag_length
        assert protected[:12] == rtp(seq)[:12]  # the header stays in the clear
        assert protected[12:19] != b"payload"
        assert receiver.unprotect(protected) == rtp(seq)
        control = sender.protect_rtcp(rtcp())
        assert receiver.unprotect_rtcp(control) == rtcp()


def test_bad_constructor_arguments() -> None:
    profile = Profile.AES_CM_128_HMAC_SHA1_80
    with pytest.raises(ValueError):
        SrtpSession(profile, bytes(15), bytes(14))
    with pytest.raises(ValueError):
        SrtpSession(profile, bytes(16), bytes(12))
    with pytest.raises(ValueError):
        SrtpSession(0x0003, bytes(16), bytes(14))
    with pytest.raises(ValueError):
        SrtpSession("1", bytes(16), bytes(14))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SrtpSession(profile, "k" * 16, bytes(14))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SrtpSession(profile, bytes(16), bytes(14), max_streams=0)
    with pytest.raises(ValueError):
        SrtpSession(profile, bytes(16), bytes(14), max_streams=(1 << 20) + 1)
    # far out of range is the same ValueError, not an OverflowError from the C conversion
    for huge in (1 << 64, -(1 << 64)):
        with pytest.raises(ValueError):
            SrtpSession(profile, bytes(16), bytes(14), max_streams=huge)
        with pytest.raises(ValueError):
            SrtpSession(profile, bytes(16), bytes(14), replay_window=huge)
        with pytest.raises(ValueError):
            make(profile).remove_ssrc(huge)
    with pytest.raises(ValueError):
        make(profile).remove_ssrc(-1)
    with pytest.raises(TypeError):
        SrtpSession(profile, bytes(16), bytes(14), replay_window=64.0)  # type: ignore[arg-type]


def test_dtls_srtp_key_layout() -> None:
    # RFC 5764 §4.2: client key, server key, client salt, server salt.
    profile = Profile.AES_CM_128_HMAC_SHA1_80
    material = b"C" * 16 + b"S" * 16 + b"c" * 14 + b"s" * 14
    assert split_keying_material(profile, material) == (b"C" * 16, b"c" * 14, b"S" * 16, b"s" * 14)
    with pytest.raises(ValueError):
        split_keying_material(profile, material[:-1])


@pytest.mark.parametrize("profile", [p for p in Profile if p.dtls_srtp_id is not None])
def test_dtls_srtp_sessions_talk_to_each_other(profile: Profile) -> None:
    material = bytes(range(profile.keying_material_length))
    client_out, client_in = dtls_srtp_sessions(profile, material, is_client=True)
    server_out, server_in = dtls_srtp_sessions(profile, material, is_client=False)
    assert server_in.unprotect(client_out.protect(rtp(1))) == rtp(1)
    assert client_in.unprotect(server_out.protect(rtp(9))) == rtp(9)
    assert client_in.unprotect_rtcp(server_out.protect_rtcp(rtcp())) == rtcp()
    # Each direction has its own key: the client cannot read its own traffic back.
    with pytest.raises(SrtpError):
        client_in.unprotect(client_out.protect(rtp(2)))


def test_srtcp_index_and_e_flag() -> None:
    # RFC 3711 §3.4: index starts at 0, increments per packet, per SSRC; E flag always set.
    sender = make(Profile.AES_CM_128_HMAC_SHA1_80)
    trailers = [sender.protect_rtcp(rtcp())[-14:-10] for _ in range(3)]
    assert trailers == [b"\x80\x00\x00\x00", b"\x80\x00\x00\x01", b"\x80\x00\x00\x02"]
    assert sender.protect_rtcp(rtcp(ssrc=2))[-14:-10] == b"\x80\x00\x00\x00"
    gcm = make(Profile.AEAD_AES_128_GCM)
    gcm.protect_rtcp(rtcp())
    assert gcm.protect_rtcp(rtcp())[-4:] == b"\x80\x00\x00\x01"  # after the tag (RFC 7714 §9)


def test_csrcs_and_extension_stay_in_the_clear() -> None:
    extension = b"\xbe\xde\x00\x01\x10\xff\x00\x00"  # RFC 8285 one-byte form, one word
    header = struct.pack("!BBHIIII", 0x92, 96, 7, 0, 5, 0xA, 0xB) + extension
    packet = header + b"secret payload"
    for profile in (Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_128_GCM):
        protected = make(profile).protect(packet)
        assert protected.startswith(header)
        assert b"secret" not in protected
        assert make(profile).unprotect(protected) == packet


@pytest.mark.parametrize("profile", [Profile.AES_CM_128_HMAC_SHA1_80, Profile.AEAD_AES_256_GCM])
def test_packets_up_to_64_kib(profile: Profile) -> None:
    sender, receiver = make(profile), make(profile)
    for seq, size in enumerate((12, 13, 1500, 9000, 65535)):
        packet = rtp(seq, payload=bytes(size - 12))
        assert receiver.unprotect(sender.protect(packet)) == packet
        control = rtcp() + bytes(size - 8)
        assert receiver.unprotect_rtcp(sender.protect_rtcp(control)) == control
    with pytest.raises(SrtpParseError):
        sender.protect(rtp(1, payload=bytes(65536 - 12)))


def test_buffer_inputs_accepted() -> None:
    sender, receiver = make(Profile.AES_CM_128_HMAC_SHA1_80), make(Profile.AES_CM_128_HMAC_SHA1_80)
    protected = sender.protect(bytearray(rtp(1)))
    assert receiver.unprotect(memoryview(protected)) == rtp(1)
    with pytest.raises(TypeError):
        sender.protect("not bytes")  # type: ignore[arg-type]


def test_batches_match_single_calls() -> None:
    profile = Profile.AEAD_AES_128_GCM
    packets = [rtp(seq, payload=bytes([seq]) * seq) for seq in range(50)]
    batch = make(profile).protect_many(packets)
    single = make(profile)
    assert batch == [single.protect(p) for p in packets]
    receiver = make(profile)
    tampered = bytearray(batch[3])
    tampered[-1] ^= 1
    result = receiver.unprotect_many([*batch[:3], bytes(tampered), batch[3], batch[3], b"junk"])
    assert result == [*packets[:3], None, packets[3], None, None]


rtp_packets = st.builds(
    RtpPacket,
    payload_type=st.integers(0, 127),
    marker=st.integers(0, 1),
    sequence_number=st.integers(0, 0xFFFF),
    timestamp=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 3),
    payload=st.binary(max_size=1400),
    csrc=st.lists(st.integers(0, 0xFFFFFFFF), max_size=3),
    extensions=st.none() | st.dictionaries(st.integers(1, 14), st.binary(min_size=1, max_size=4)),
    padding_size=st.integers(0, 255),
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(list(Profile)), st.lists(rtp_packets, min_size=1, max_size=8))
def test_rtp_packet_objects_protect_like_their_bytes(
    profile: Profile, packets: list[RtpPacket]
) -> None:
    # protect(RtpPacket) serializes straight into the SRTP datagram: same bytes as
    # protect(packet.serialize()), and unprotect_packets parses them back.
    for index, packet in enumerate(packets):
        packet.sequence_number = index  # new and increasing per SSRC: none is refused
    serialized = [p.serialize() for p in packets]
    from_bytes, from_objects = make(profile), make(profile)
    single = [from_bytes.protect(data) for data in serialized]
    assert from_objects.protect_many(packets) == single
    received = make(profile).unprotect_packets(single)
    assert [p.serialize() for p in received if p is not None] == serialized


def test_unprotect_packets_rejects_like_unprotect_many() -> None:
    profile = Profile.AES_CM_128_HMAC_SHA1_80
    sender = make(profile)
    good = sender.protect_many([RtpPacket(96, 0, seq, 9, 1, b"x" * seq) for seq in range(4)])
    tampered = bytearray(good[1])
    tampered[-1] ^= 1
    # authentic SRTP, but its padding count runs past the payload: not a valid RTP packet
    bad_padding = sender.protect(bytes([0xA0]) + rtp(10)[1:-1] + b"\xff")
    result = make(profile).unprotect_packets(
        [good[0], bytes(tampered), good[1], good[1], bad_padding, b"junk", good[3]]
    )
    numbers = [None if p is None else p.sequence_number for p in result]
    assert numbers == [0, None, 1, None, None, None, 3]
    assert result[2] is not None and result[2].payload == b"x"


def test_stream_table_is_bounded_and_removable() -> None:
    profile = Profile.AES_CM_128_HMAC_SHA1_80
    sender, receiver = make(profile, max_streams=4), make(profile, max_streams=4)
    for ssrc in range(4):
        receiver.unprotect(sender.protect(rtp(0, ssrc=ssrc)))
    assert (sender.outbound_streams, receiver.inbound_streams) == (4, 4)
    with pytest.raises(SrtpError, match="too many SSRCs"):
        sender.protect(rtp(0, ssrc=99))
    other = make(profile)
    with pytest.raises(SrtpError, match="too many SSRCs"):
        receiver.unprotect(other.protect(rtp(0, ssrc=99)))
    sender.remove_ssrc(2)
    receiver.remove_ssrc(2)
    sender.remove_ssrc(12345)  # unknown: no effect
    assert (sender.outbound_streams, receiver.inbound_streams) == (3, 3)
    assert receiver.unprotect(sender.protect(rtp(1, ssrc=99))) == rtp(1, ssrc=99)
    for ssrc in (0, 1, 3):  # the remaining streams kept their state
        assert receiver.unprotect(sender.protect(rtp(1, ssrc=ssrc))) == rtp(1, ssrc=ssrc)


def test_many_ssrcs_with_churn() -> None:
    # Exercise hash-table growth, collisions and backward-shift deletion.
    profile = Profile.AEAD_AES_128_GCM
    sender, receiver = make(profile, max_streams=300), make(profile, max_streams=300)
    live: list[int] = []
    draw = random.Random(7).getrandbits
    # Random SSRCs, SSRCs that differ only in their top bits, and ones that differ only low.
    ssrcs = [draw(32) for _ in range(400)] + [x << 22 for x in range(1024)]
    ssrcs += [0x5A5A0000 + x for x in range(400)]
    for ssrc in ssrcs:
        receiver.unprotect(sender.protect(rtp(3, ssrc=ssrc)))
        live.append(ssrc)
        if len(live) == 300:
            for gone in live[::2]:
                sender.remove_ssrc(gone)
                receiver.remove_ssrc(gone)
            live = live[1::2]
    assert sender.outbound_streams == receiver.inbound_streams == len(live)
    for ssrc in live:  # every surviving stream is still found, with its replay state
        packet = sender.protect(rtp(4, ssrc=ssrc))
        assert receiver.unprotect(packet) == rtp(4, ssrc=ssrc)
        with pytest.raises(SrtpReplayError):
            receiver.unprotect(packet)
    assert sender.outbound_streams == receiver.inbound_streams == len(live)


def test_sender_reuses_the_index_for_a_retransmission() -> None:
    # Like libsrtp with allow_repeat_tx (what libwebrtc enables for NACK retransmissions).
    sender = make(Profile.AES_CM_128_HMAC_SHA1_80)
    first = sender.protect(rtp(10))
    sender.protect(rtp(11))
    assert sender.protect(rtp(10)) == first


def test_sender_refuses_a_sequence_number_before_the_first_rollover() -> None:
    # 50000 after 9000 (ROC 0) is more than 2^15 behind, so it can only mean ROC -1 (§3.3.1).
    sender = make(Profile.AES_CM_128_HMAC_SHA1_80)
    sender.protect(rtp(9000))
    with pytest.raises(SrtpError, match="behind"):
        sender.protect(rtp(50000))
    assert make(Profile.AES_CM_128_HMAC_SHA1_80).protect(rtp(50000))


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(list(Profile)),
    st.binary(min_size=32, max_size=32),
    st.integers(0, 2**32 - 1),
    st.integers(0, 65535),
    st.lists(st.integers(0, 2**32 - 1), max_size=15),
    st.binary(max_size=40).map(lambda b: b[: len(b) // 4 * 4]),
    st.lists(st.binary(max_size=1500), min_size=1, max_size=6),
)
def test_round_trip_property(
    profile: Profile,
    secret: bytes,
    ssrc: int,
    first_seq: int,
    csrcs: list[int],
    extension: bytes,
    payloads: list[bytes],
) -> None:
    key, salt = secret[: profile.key_length], secret[-profile.salt_length :]
    sender, receiver = SrtpSession(profile, key, salt), SrtpSession(profile, key, salt)
    for offset, payload in enumerate(payloads):
        first = 0x80 | len(csrcs) | (0x10 if extension else 0)
        header = struct.pack("!BBHII", first, 96, (first_seq + offset) & 0xFFFF, 0, ssrc)
        header += b"".join(c.to_bytes(4, "big") for c in csrcs)
        if extension:
            header += struct.pack("!HH", 0x1000, len(extension) // 4) + extension
        packet = header + payload
        protected = sender.protect(packet)
        assert protected.startswith(header)
        assert receiver.unprotect(protected) == packet
        control = struct.pack("!BBHI", 0x80, 200, 0, ssrc) + payload
        assert receiver.unprotect_rtcp(sender.protect_rtcp(control)) == control


@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.name)
def test_receiver_takes_a_forward_jump_of_more_than_half_the_range_in_roc_0(
    profile: Profile,
) -> None:
    # Highest index 9000 (ROC 0): 50000 would be ROC -1 by RFC 3711 §3.3.1, which cannot
    # exist, so it can only be index 50000 (a gap of 41000 lost packets). libsrtp accepts it;
    # refusing it left the stream dead until the sequence numbers came back around.
    first = make(profile).protect(rtp(9000))
    later = make(profile)
    jumped = [later.protect(rtp(seq)) for seq in (50000, 50001)]
    receiver = make(profile)
    assert receiver.unprotect(first) == rtp(9000)
    assert receiver.unprotect(jumped[0]) == rtp(50000)
    assert receiver.unprotect(jumped[1]) == rtp(50001)
    with pytest.raises(SrtpReplayError):
        receiver.unprotect(jumped[0])
