"""WebRTC data channels (RFC 8831) with DCEP (RFC 8832) over a ``pyrtc.sctp`` association."""

from pyrtc.datachannel.dcep import DataChannelOpen
from pyrtc.datachannel.errors import DataChannelError, DcepParseError
from pyrtc.datachannel.events import (
    ChannelBufferedAmountLow,
    ChannelClosed,
    ChannelMessage,
    ChannelOpened,
    ChannelParameters,
)
from pyrtc.datachannel.manager import ChannelState, DataChannel, DataChannelManager

__all__ = [
    "ChannelBufferedAmountLow",
    "ChannelClosed",
    "ChannelMessage",
    "ChannelOpened",
    "ChannelParameters",
    "ChannelState",
    "DataChannel",
    "DataChannelError",
    "DataChannelManager",
    "DataChannelOpen",
    "DcepParseError",
]
