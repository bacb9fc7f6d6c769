"""SRTP protect/unprotect of batches of distinct RTP packets: pyrtc against pylibsrtp.

Each call processes ``BATCH`` packets with increasing sequence numbers through a session
created inside the call (a sender may not reuse an index, a receiver rejects replays), so
both sides pay the same amortised set-up.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from pyrtc.bench import Case
from pyrtc.srtp import Profile, SrtpSession

BATCH = 20_000
SSRC = 0x1234ABCD


def _packets(size: int) -> list[bytes]:
    payload = os.urandom(size - 12)
    return [struct.pack("!BBHII", 0x80, 96, seq, seq * 960, SSRC) + payload for seq in range(BATCH)]


def _baselines(
    profile: Profile, key: bytes, salt: bytes, plain: list[bytes], protected: list[bytes]
) -> tuple[Callable[[], object] | None, Callable[[], object] | None]:
    """pylibsrtp doing the same protect and unprotect work, or (None, None) if missing."""
    try:
        from pylibsrtp import Policy, Session
    except ImportError:
        return None, None
    libsrtp_profile = {
        Profile.AES_CM_128_HMAC_SHA1_80: Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
        Profile.AEAD_AES_128_GCM: Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    }[profile]

    def protect() -> object:
        policy = Policy(key + salt, Policy.SSRC_ANY_OUTBOUND, srtp_profile=libsrtp_profile)
        session_protect = Session(policy).protect
        return [session_protect(p) for p in plain]

    def unprotect() -> object:
        policy = Policy(key + salt, Policy.SSRC_ANY_INBOUND, srtp_profile=libsrtp_profile)
        session_unprotect = Session(policy).unprotect
        return [session_unprotect(p) for p in protected]

    return protect, unprotect


def _cases_for(profile: Profile, size: int, target: float | None) -> list[Case]:
    key = os.urandom(profile.key_length)
    salt = os.urandom(profile.salt_length)
    plain = _packets(size)
    protected = SrtpSession(profile, key, salt).protect_many(plain)
    base_protect, base_unprotect = _baselines(profile, key, salt, plain, protected)

    def ours_protect() -> object:
        protect = SrtpSession(profile, key, salt).protect
        return [protect(p) for p in plain]

    def ours_unprotect() -> object:
        unprotect = SrtpSession(profile, key, salt).unprotect
        return [unprotect(p) for p in protected]

    def ours_protect_many() -> object:
        return SrtpSession(profile, key, salt).protect_many(plain)

    def case(what: str, ours: Callable[[], object], baseline: Callable[[], object] | None) -> Case:
        return Case(
            group="srtp",
            name=f"{profile.name} {size} B {what}",
            ours=ours,
            baseline=baseline,
            baseline_name="pylibsrtp",
            target=target,
            ops_per_call=BATCH,
            bytes_per_op=size,
        )

    cases = [
        case("protect", ours_protect, base_protect),
        case("unprotect", ours_unprotect, base_unprotect),
    ]
    if size == 1200:
        cases.append(case("protect_many", ours_protect_many, base_protect))
    return cases


def cases() -> list[Case]:
    return [
        *_cases_for(Profile.AES_CM_128_HMAC_SHA1_80, 1200, 4.0),
        *_cases_for(Profile.AES_CM_128_HMAC_SHA1_80, 100, None),
        *_cases_for(Profile.AEAD_AES_128_GCM, 1200, 1.5),
        *_cases_for(Profile.AEAD_AES_128_GCM, 100, None),
    ]
