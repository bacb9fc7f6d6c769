"""CRC-32C: the native extension against known vectors and an independent implementation."""

import crc32c as reference
from hypothesis import given
from hypothesis import strategies as st

from pyrtc._native.crc32c import crc32c, crc32c_portable


def test_check_value() -> None:
    # The CRC catalogue's check value for CRC-32/ISCSI.
    assert crc32c(b"123456789") == 0xE3069283


def test_rfc3720_vectors() -> None:
    # RFC 3720 B.4: 32 bytes of zeros, of 0xff, and an ascending sequence.
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(b"\xff" * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E


def test_empty_and_continuation() -> None:
    assert crc32c(b"") == 0
    data = b"pyrtc continues a checksum across calls"
    assert crc32c(data[10:], crc32c(data[:10])) == crc32c(data)


@given(st.binary(max_size=4096), st.integers(0, 64))
def test_matches_reference_and_portable_path(data: bytes, offset: int) -> None:
    expected = reference.crc32c(data)
    assert crc32c(data) == expected
    assert crc32c_portable(data) == expected
    view = memoryview(bytearray(b"\0" * offset + data))[offset:]
    assert crc32c(view) == expected
