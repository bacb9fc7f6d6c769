"""STUN (RFC 8489, compatible with RFC 5389): message codec, credentials, sans-I/O cores.

>>> from pyrtc.stun import Message, Method, Class
>>> request = Message(Method.BINDING, Class.REQUEST)
>>> Message.parse(request.encode(fingerprint=True)).verify_fingerprint()
True
"""

from pyrtc.stun.attributes import AddressErrorCode, Attributes, ErrorCode, Icmp
from pyrtc.stun.constants import MAGIC_COOKIE, AddressFamily, Class, Method, PasswordAlgorithm
from pyrtc.stun.credentials import long_term_key, opaque_string, short_term_key, userhash
from pyrtc.stun.errors import PrecisError, StunEncodeError, StunError
from pyrtc.stun.message import Message, is_stun, read_header
from pyrtc.stun.server import BindingServer, ServerStats
from pyrtc.stun.transaction import (
    ClientTransaction,
    ResponseReceived,
    TransactionStats,
    TransactionTimedOut,
)

__all__ = [
    "MAGIC_COOKIE",
    "AddressErrorCode",
    "AddressFamily",
    "Attributes",
    "BindingServer",
    "Class",
    "ClientTransaction",
    "ErrorCode",
    "Icmp",
    "Message",
    "Method",
    "PasswordAlgorithm",
    "PrecisError",
    "ResponseReceived",
    "ServerStats",
    "StunEncodeError",
    "StunError",
    "TransactionStats",
    "TransactionTimedOut",
    "is_stun",
    "long_term_key",
    "opaque_string",
    "read_header",
    "short_term_key",
    "userhash",
]
