"""TURN client (RFC 8656): relayed transport addresses through a TURN server, sans-I/O.

:class:`TurnClient` allocates with long-term credentials, installs permissions and channels
on demand, relays data and keeps everything refreshed; :class:`StreamFramer` splits a TCP/TLS
stream into messages; :func:`rest_credentials` makes coturn ``--use-auth-secret`` credentials.
The asyncio shell is :mod:`pyrtc.net.turn`.
"""

from pyrtc.turn.channel import (
    MAX_CHANNEL,
    MIN_CHANNEL,
    encode_channel_data,
    is_channel_data,
    parse_channel_data,
)
from pyrtc.turn.client import (
    CHANNEL_REFRESH,
    PERMISSION_REFRESH,
    Transport,
    TurnClient,
    TurnStats,
    refresh_delay,
)
from pyrtc.turn.credentials import rest_credentials
from pyrtc.turn.errors import TurnError, TurnParseError
from pyrtc.turn.events import (
    Allocated,
    AllocationFailed,
    Closed,
    DataReceived,
    IcmpReceived,
    PermissionFailed,
    Refreshed,
)
from pyrtc.turn.framing import StreamFramer

__all__ = [
    "CHANNEL_REFRESH",
    "MAX_CHANNEL",
    "MIN_CHANNEL",
    "PERMISSION_REFRESH",
    "Allocated",
    "AllocationFailed",
    "Closed",
    "DataReceived",
    "IcmpReceived",
    "PermissionFailed",
    "Refreshed",
    "StreamFramer",
    "Transport",
    "TurnClient",
    "TurnError",
    "TurnParseError",
    "TurnStats",
    "encode_channel_data",
    "is_channel_data",
    "parse_channel_data",
    "refresh_delay",
    "rest_credentials",
]
