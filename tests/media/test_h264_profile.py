"""H.264 profile-level-id (RFC 6184 §8.1) parsing and profile matching."""

from __future__ import annotations

import pytest

from pyrtc.media import H264Profile, ProfileLevelId, ProfileLevelIdError, h264_profiles_match


@pytest.mark.parametrize(
    ("value", "profile", "level"),
    [
        ("42e01f", H264Profile.CONSTRAINED_BASELINE, 31),
        ("42001f", H264Profile.BASELINE, 31),
        ("4d001f", H264Profile.MAIN, 31),
        ("4d801f", H264Profile.CONSTRAINED_BASELINE, 31),
        ("58c01f", H264Profile.CONSTRAINED_BASELINE, 31),
        ("640c1f", H264Profile.CONSTRAINED_HIGH, 31),
        ("640032", H264Profile.HIGH, 50),
        ("f4001f", H264Profile.PREDICTIVE_HIGH_444, 31),
        ("42f00b", H264Profile.CONSTRAINED_BASELINE, 0),  # constraint_set3 + level 11: 1b
        ("42E01F", H264Profile.CONSTRAINED_BASELINE, 31),
    ],
)
def test_parse(value: str, profile: H264Profile, level: int) -> None:
    assert ProfileLevelId.parse(value) == ProfileLevelId(profile, level)


def test_default_is_baseline_level_1() -> None:
    assert ProfileLevelId.parse(None) == ProfileLevelId(H264Profile.BASELINE, 10)


@pytest.mark.parametrize("value", ["", "42e01", "42e01fz", "zze01f", "42e0ff", "43e01f", "64ff1f"])
def test_invalid(value: str) -> None:
    with pytest.raises(ProfileLevelIdError):
        ProfileLevelId.parse(value)


def test_match() -> None:
    assert h264_profiles_match("42e01f", "42e034")  # level may differ
    assert h264_profiles_match("42e01f", "4d801f")  # both constrained baseline
    assert not h264_profiles_match("42e01f", "42001f")  # constrained baseline vs baseline
    assert not h264_profiles_match("42e01f", "640c1f")
    assert h264_profiles_match(None, "42000a")
    assert not h264_profiles_match("bogus!", "42e01f")
