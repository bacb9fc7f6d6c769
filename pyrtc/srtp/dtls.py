"""Keying SRTP from DTLS-SRTP exported keying material (RFC 5764 §4.2)."""

from __future__ import annotations

from pyrtc._native.srtp import SrtpSession
from pyrtc.srtp.profile import Profile


def split_keying_material(profile: Profile, material: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """Split exported material into (client key, client salt, server key, server salt).

    RFC 5764 §4.2 lays the exporter output out as client_write_SRTP_master_key,
    server_write_SRTP_master_key, client_write_SRTP_master_salt, server_write_SRTP_master_salt.
    """
    if len(material) != profile.keying_material_length:
        raise ValueError(
            f"{profile.name} needs {profile.keying_material_length} bytes of keying material,"
            f" got {len(material)}"
        )
    k, s = profile.key_length, profile.salt_length
    return material[:k], material[2 * k : 2 * k + s], material[k : 2 * k], material[2 * k + s :]


def dtls_srtp_sessions(
    profile: Profile,
    material: bytes,
    *,
    is_client: bool,
    replay_window: int = 128,
    max_streams: int = 4096,
) -> tuple[SrtpSession, SrtpSession]:
    """The (outbound, inbound) sessions of one DTLS-SRTP endpoint.

    The DTLS client sends with the client write key and receives with the server write key;
    the server the other way round (RFC 5764 §4.2).
    """
    client_key, client_salt, server_key, server_salt = split_keying_material(profile, material)
    client = SrtpSession(
        profile, client_key, client_salt, replay_window=replay_window, max_streams=max_streams
    )
    server = SrtpSession(
        profile, server_key, server_salt, replay_window=replay_window, max_streams=max_streams
    )
    return (client, server) if is_client else (server, client)
