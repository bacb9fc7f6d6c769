"""DTLS-SRTP keying material (RFC 5764 §4.2) ready for :mod:`pyrtc.srtp`."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyrtc.dtls.errors import DtlsError
from pyrtc.dtls.suites import SRTP_KEY_SALT_LENGTHS, SrtpProfile

SRTP_EXPORTER_LABEL = "EXTRACTOR-dtls_srtp"


def srtp_material_length(profile: int) -> int:
    """Bytes to export for ``profile``: two keys and two salts."""
    key, salt = SRTP_KEY_SALT_LENGTHS[SrtpProfile(profile)]
    return 2 * (key + salt)


@dataclass(frozen=True)
class SrtpKeyingMaterial:
    """SRTP master keys and salts of both directions for one negotiated profile.

    The client's pair protects what the client sends; ``local_*`` / ``remote_*`` pick the
    pair for this endpoint's outbound and inbound SRTP given ``is_client``.
    """

    profile: int
    # secrets: kept out of repr, so logging an event or a failed assertion does not leak them
    client_master_key: bytes = field(repr=False)
    client_master_salt: bytes = field(repr=False)
    server_master_key: bytes = field(repr=False)
    server_master_salt: bytes = field(repr=False)
    is_client: bool

    @classmethod
    def from_exported(cls, profile: int, material: bytes, is_client: bool) -> SrtpKeyingMaterial:
        """Split the exporter output in RFC 5764 §4.2 order: keys first, then salts."""
        try:
            key, salt = SRTP_KEY_SALT_LENGTHS[SrtpProfile(profile)]
        except ValueError:
            raise DtlsError(f"unknown SRTP profile {profile:#06x}") from None
        if len(material) != 2 * (key + salt):
            raise DtlsError("keying material length does not fit the SRTP profile")
        return cls(
            profile=profile,
            client_master_key=material[:key],
            server_master_key=material[key : 2 * key],
            client_master_salt=material[2 * key : 2 * key + salt],
            server_master_salt=material[2 * key + salt :],
            is_client=is_client,
        )

    @property
    def local_master_key(self) -> bytes:
        """Master key for the SRTP this endpoint sends."""
        return self.client_master_key if self.is_client else self.server_master_key

    @property
    def local_master_salt(self) -> bytes:
        """Master salt for the SRTP this endpoint sends."""
        return self.client_master_salt if self.is_client else self.server_master_salt

    @property
    def remote_master_key(self) -> bytes:
        """Master key for the SRTP this endpoint receives."""
        return self.server_master_key if self.is_client else self.client_master_key

    @property
    def remote_master_salt(self) -> bytes:
        """Master salt for the SRTP this endpoint receives."""
        return self.server_master_salt if self.is_client else self.client_master_salt
