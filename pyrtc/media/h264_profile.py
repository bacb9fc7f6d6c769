"""H.264 profile-level-id (RFC 6184 §8.1) parsing and the profile match browsers apply.

The three bytes are profile_idc, profile-iop (constraint_set0..5 flags, then two reserved
bits) and level_idc. Profiles are recognised by the same profile_idc / constraint-flag patterns
libwebrtc uses, so 42e01f is Constrained Baseline while 42001f is Baseline: two SDP offers
match only when their profiles are equal (the level may differ; the answer uses the lower one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pyrtc.errors import ParseError


class ProfileLevelIdError(ParseError):
    """A profile-level-id value is not 6 hex digits naming a known profile and level."""


class H264Profile(Enum):
    """H.264 profiles that WebRTC endpoints negotiate."""

    CONSTRAINED_BASELINE = "constrained-baseline"
    BASELINE = "baseline"
    MAIN = "main"
    CONSTRAINED_HIGH = "constrained-high"
    HIGH = "high"
    PREDICTIVE_HIGH_444 = "predictive-high-444"


# (profile_idc, pattern over profile-iop with x = any bit, MSB first, profile)
_PATTERNS = (
    (0x42, "x1xx0000", H264Profile.CONSTRAINED_BASELINE),
    (0x4D, "1xxx0000", H264Profile.CONSTRAINED_BASELINE),
    (0x58, "11xx0000", H264Profile.CONSTRAINED_BASELINE),
    (0x42, "x0xx0000", H264Profile.BASELINE),
    (0x58, "10xx0000", H264Profile.BASELINE),
    (0x4D, "0x0x0000", H264Profile.MAIN),
    (0x64, "00000000", H264Profile.HIGH),
    (0x64, "00001100", H264Profile.CONSTRAINED_HIGH),
    (0xF4, "00000000", H264Profile.PREDICTIVE_HIGH_444),
)

# level_idc values of ITU-T H.264 Table A-1; "1b" is level_idc 11 with constraint_set3.
_LEVELS = {10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52}
LEVEL_1B = 0

DEFAULT_PROFILE_LEVEL_ID = "42000a"
"""RFC 6184 §8.1: without the parameter, Baseline profile at level 1.0 is implied."""


def _matches(pattern: str, iop: int) -> bool:
    return all(c == "x" or int(c) == (iop >> (7 - i)) & 1 for i, c in enumerate(pattern))


@dataclass(frozen=True)
class ProfileLevelId:
    """A parsed profile-level-id: the profile and the level (``level_idc``; 0 means 1b)."""

    profile: H264Profile
    level: int

    @classmethod
    def parse(cls, value: str | None) -> ProfileLevelId:
        """Parse the fmtp value (``None`` gives the RFC 6184 default, 42000a)."""
        text = DEFAULT_PROFILE_LEVEL_ID if value is None else value
        if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise ProfileLevelIdError(f"profile-level-id {text!r} is not 6 hex digits")
        raw = int(text, 16)
        profile_idc, iop, level_idc = raw >> 16, (raw >> 8) & 0xFF, raw & 0xFF
        if level_idc not in _LEVELS:
            raise ProfileLevelIdError(f"profile-level-id {text!r} has unknown level {level_idc}")
        level = LEVEL_1B if level_idc == 11 and iop & 0x10 else level_idc
        for idc, pattern, profile in _PATTERNS:
            if idc == profile_idc and _matches(pattern, iop):
                return cls(profile, level)
        raise ProfileLevelIdError(f"profile-level-id {text!r} names no supported profile")


def h264_profiles_match(a: str | None, b: str | None) -> bool:
    """Whether two profile-level-id values (``None`` = absent) name the same profile."""
    try:
        return ProfileLevelId.parse(a).profile == ProfileLevelId.parse(b).profile
    except ProfileLevelIdError:
        return False
