"""DTLS 1.2 record layer: framing, epochs, sequence numbers, replay window, AEAD protection.

Implements RFC 6347 §4.1 (record format, 48-bit sequence numbers per epoch, §4.1.2.6
anti-replay window) with the AEAD record protection of RFC 5246 §6.2.3.3: AES-GCM with an
explicit 8-byte nonce (RFC 5288 §3) and ChaCha20-Poly1305 with a nonce derived from the
sequence number (RFC 7905 §2).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from pyrtc._native.dtls_record import RecordCipher
from pyrtc._native.dtls_record import ReplayWindow as NativeReplayWindow
from pyrtc.dtls.errors import DtlsParseError
from pyrtc.dtls.messages import DTLS_1_2
from pyrtc.dtls.suites import SuiteParams

HEADER = struct.Struct("!BHHHIH")  # type, version, epoch, seq (16+32 bits), length
HEADER_LENGTH = HEADER.size
MAX_SEQUENCE = (1 << 48) - 1
MAX_CIPHERTEXT = 2**14 + 2048
AEAD_TAG_LENGTH = 16


@dataclass(frozen=True)
class Record:
    """One record as it appeared on the wire (``fragment`` still protected for epoch > 0)."""

    content_type: int
    version: int
    epoch: int
    sequence: int
    fragment: bytes


def parse_records(datagram: bytes) -> list[Record]:
    """Split a datagram into records (RFC 6347 §4.1: several records may share a datagram).

    A record whose length runs past the datagram end makes the rest unusable; records parsed
    before it are kept, and the error is raised only when nothing could be parsed.
    """
    records: list[Record] = []
    pos = 0
    while pos < len(datagram):
        if len(datagram) - pos < HEADER_LENGTH:
            break
        content_type, version, epoch, seq_hi, seq_lo, length = HEADER.unpack_from(datagram, pos)
        pos += HEADER_LENGTH
        if length > MAX_CIPHERTEXT or pos + length > len(datagram):
            break
        records.append(
            Record(
                content_type, version, epoch, (seq_hi << 32) | seq_lo, datagram[pos : pos + length]
            )
        )
        pos += length
    if not records:
        raise DtlsParseError("no complete DTLS record in datagram")
    return records


def build_record(
    content_type: int, epoch: int, sequence: int, fragment: bytes, version: int = DTLS_1_2
) -> bytes:
    """Frame an (already protected) fragment as a record."""
    return (
        HEADER.pack(
            content_type, version, epoch, sequence >> 32, sequence & 0xFFFFFFFF, len(fragment)
        )
        + fragment
    )


class ReplayWindow:
    """Sliding anti-replay window over 48-bit sequence numbers (RFC 6347 §4.1.2.6)."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._highest = -1
        self._mask = 0

    def is_duplicate(self, sequence: int) -> bool:
        """True when ``sequence`` was already accepted or is too old to tell."""
        if sequence > self._highest:
            return False
        offset = self._highest - sequence
        return offset >= self._size or bool(self._mask >> offset & 1)

    def mark(self, sequence: int) -> None:
        """Record ``sequence`` as received; call only after the record authenticated."""
        if sequence > self._highest:
            shift = sequence - self._highest
            if shift >= self._size:
                self._mask = 1
            else:
                self._mask = ((self._mask << shift) | 1) & ((1 << self._size) - 1)
            self._highest = sequence
        elif self._highest - sequence < self._size:  # older than the window: nothing to mark
            self._mask |= 1 << (self._highest - sequence)


Window = ReplayWindow | NativeReplayWindow
"""Either replay window: the same checks, the native one is what connections use."""


class RecordProtection:
    """AEAD keys of one direction of one epoch (RFC 5246 §6.2.3.3).

    The pure-Python reference over ``cryptography``; connections use the equivalent
    :class:`NativeRecordProtection`, and the tests check the two against each other.
    """

    def __init__(self, suite: SuiteParams, key: bytes, fixed_iv: bytes) -> None:
        self._aead = suite.aead(key)
        self._fixed_iv = fixed_iv
        self._explicit = suite.explicit_nonce_length

    @property
    def overhead(self) -> int:
        """Bytes a protected record adds to its plaintext."""
        return self._explicit + AEAD_TAG_LENGTH

    def _nonce(self, seq_num: bytes) -> bytes:
        if self._explicit:
            return self._fixed_iv + seq_num
        # RFC 7905 §2: the 64-bit sequence number, left-padded, XORed into the 12-byte IV.
        padded = int.from_bytes(seq_num, "big")
        return (int.from_bytes(self._fixed_iv, "big") ^ padded).to_bytes(12, "big")

    def encrypt(self, content_type: int, epoch: int, sequence: int, plaintext: bytes) -> bytes:
        """Protected fragment for a record; the nonce is the 8-byte epoch||sequence."""
        seq_num = struct.pack("!HHI", epoch, sequence >> 32, sequence & 0xFFFFFFFF)
        aad = seq_num + struct.pack("!BHH", content_type, DTLS_1_2, len(plaintext))
        sealed = self._aead.encrypt(self._nonce(seq_num), plaintext, aad)
        return seq_num + sealed if self._explicit else sealed

    def seal(self, content_type: int, epoch: int, sequence: int, plaintext: bytes) -> bytes:
        """The whole protected record, header included."""
        return build_record(
            content_type, epoch, sequence, self.encrypt(content_type, epoch, sequence, plaintext)
        )

    def seal_many(
        self, content_type: int, epoch: int, sequence: int, plaintexts: list[bytes]
    ) -> list[bytes]:
        """:meth:`seal` of each plaintext with consecutive sequence numbers from ``sequence``."""
        return [
            self.seal(content_type, epoch, sequence + i, plaintext)
            for i, plaintext in enumerate(plaintexts)
        ]

    def open(
        self, content_type: int, version: int, epoch: int, sequence: int, fragment: bytes
    ) -> bytes | None:
        """The plaintext of a protected fragment, or ``None`` when it fails to open."""
        try:
            return self.decrypt(Record(content_type, version, epoch, sequence, fragment))
        except DtlsParseError:
            return None

    def open_datagram(
        self, content_type: int, epoch: int, window: Window, datagram: bytes
    ) -> tuple[bytes] | tuple[()] | None:
        """A datagram that is exactly one record of ``content_type`` in ``epoch``:
        ``(plaintext,)`` once it passed the replay check and authenticated (the window is
        marked), ``()`` when it was a replay or forged, ``None`` for any other datagram
        (one record longer than ``MAX_CIPHERTEXT`` included)."""
        if len(datagram) < HEADER_LENGTH or datagram[0] != content_type:
            return None
        _, version, record_epoch, seq_hi, seq_lo, length = HEADER.unpack_from(datagram)
        if record_epoch != epoch or version >> 8 != 0xFE or HEADER_LENGTH + length != len(datagram):
            return None
        if length > MAX_CIPHERTEXT:
            return None
        sequence = (seq_hi << 32) | seq_lo
        if window.is_duplicate(sequence):
            return ()
        plaintext = self.open(content_type, version, epoch, sequence, datagram[HEADER_LENGTH:])
        if plaintext is None:
            return ()
        window.mark(sequence)
        return (plaintext,)

    def decrypt(self, record: Record) -> bytes:
        """Plaintext of ``record``; forged or truncated records raise :class:`DtlsParseError`."""
        fragment = record.fragment
        if len(fragment) < self.overhead:
            raise DtlsParseError("protected record shorter than its AEAD overhead")
        seq_num = struct.pack(
            "!HHI", record.epoch, record.sequence >> 32, record.sequence & 0xFFFFFFFF
        )
        if self._explicit:
            nonce = self._fixed_iv + fragment[: self._explicit]
            fragment = fragment[self._explicit :]
        else:
            nonce = self._nonce(seq_num)
        aad = seq_num + struct.pack(
            "!BHH", record.content_type, record.version, len(fragment) - AEAD_TAG_LENGTH
        )
        try:
            return self._aead.decrypt(nonce, fragment, aad)
        except InvalidTag:
            raise DtlsParseError("record failed authentication") from None


class NativeRecordProtection:
    """:class:`RecordProtection` with the per-record work in C over OpenSSL EVP
    (:mod:`pyrtc._native.dtls_record`): the cipher context is keyed once, and each record
    costs one allocation, header included."""

    def __init__(self, suite: SuiteParams, key: bytes, fixed_iv: bytes) -> None:
        self._cipher = RecordCipher(suite.aead is ChaCha20Poly1305, key, fixed_iv)
        self.overhead = self._cipher.overhead
        self.seal = self._cipher.seal
        """``seal(content_type, epoch, sequence, plaintext)``: the whole protected record."""
        self.open = self._cipher.open
        """``open(content_type, version, epoch, sequence, fragment)``: the plaintext, or
        ``None`` when the fragment is too short or fails authentication."""
        self.seal_many = self._cipher.seal_many
        """``seal_many(content_type, epoch, sequence, plaintexts)``: one record each."""
        self.open_datagram = self._cipher.open_datagram
        """``open_datagram(content_type, epoch, window, datagram)`` of
        :meth:`RecordProtection.open_datagram`; ``window`` must be a
        :class:`NativeReplayWindow`."""

    def decrypt(self, record: Record) -> bytes:
        """Plaintext of ``record``; forged or truncated records raise :class:`DtlsParseError`."""
        plaintext = self.open(
            record.content_type, record.version, record.epoch, record.sequence, record.fragment
        )
        if plaintext is None:
            raise DtlsParseError("record failed authentication")
        return plaintext


Protection = RecordProtection | NativeRecordProtection
"""Either implementation: both take the same records and produce the same bytes."""
