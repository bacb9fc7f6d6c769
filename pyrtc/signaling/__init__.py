"""Signaling for pyrtc: a WebSocket server with rooms, JWT auth and abuse limits, its
Python client, TURN REST credentials and a browser demo page.

The protocol (:mod:`pyrtc.signaling.protocol`) is versioned JSON; the room logic is a
sans-I/O core (:class:`Hub`) run by the asyncio shell :class:`SignalingServer`
(``pyrtc serve``); :class:`SignalingClient` speaks the same protocol from Python.
See ``docs/signaling.md``.
"""

from pyrtc.signaling.auth import AUDIENCE, Identity, TokenIssuer, TokenVerifier
from pyrtc.signaling.client import SignalingClient
from pyrtc.signaling.errors import AuthError, ConfigError, SignalingError, SignalingParseError
from pyrtc.signaling.hub import (
    Close,
    ErrorSent,
    Hub,
    HubStats,
    ParticipantJoined,
    ParticipantLeft,
    Send,
)
from pyrtc.signaling.limits import Limits, TokenBucket
from pyrtc.signaling.protocol import (
    CLOSE_CODES,
    VERSION,
    Answer,
    Candidate,
    ErrorMessage,
    IceCandidate,
    Join,
    Joined,
    Leave,
    Offer,
    Participant,
    PeerJoined,
    PeerLeft,
    Ping,
    Pong,
    encode_client_message,
    encode_server_message,
    parse_client_message,
    parse_server_message,
)
from pyrtc.signaling.server import ServerConfig, SignalingServer, TurnRestConfig, is_loopback
from pyrtc.signaling.tls import (
    certificate_fingerprint,
    self_signed_certificate,
    server_context,
    write_self_signed,
)

__all__ = [
    "AUDIENCE",
    "CLOSE_CODES",
    "VERSION",
    "Answer",
    "AuthError",
    "Candidate",
    "Close",
    "ConfigError",
    "ErrorMessage",
    "ErrorSent",
    "Hub",
    "HubStats",
    "IceCandidate",
    "Identity",
    "Join",
    "Joined",
    "Leave",
    "Limits",
    "Offer",
    "Participant",
    "ParticipantJoined",
    "ParticipantLeft",
    "PeerJoined",
    "PeerLeft",
    "Ping",
    "Pong",
    "Send",
    "ServerConfig",
    "SignalingClient",
    "SignalingError",
    "SignalingParseError",
    "SignalingServer",
    "TokenBucket",
    "TokenIssuer",
    "TokenVerifier",
    "TurnRestConfig",
    "certificate_fingerprint",
    "encode_client_message",
    "encode_server_message",
    "is_loopback",
    "parse_client_message",
    "parse_server_message",
    "self_signed_certificate",
    "server_context",
    "write_self_signed",
]
