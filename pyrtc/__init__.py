"""pyrtc: a from-scratch WebRTC protocol stack with sans-I/O cores and Cython hot paths.

Each protocol layer lives in its own subpackage and can be imported alone, for example
``from pyrtc.stun import Message``. The peer-connection API is also available here, with
aiortc's names (``from pyrtc import RTCPeerConnection``); it is imported on first use.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from pyrtc.errors import Error, ParseError

if TYPE_CHECKING:
    from pyrtc.pc import (
        RTCConfiguration,
        RTCDataChannel,
        RTCIceCandidate,
        RTCIceServer,
        RTCPeerConnection,
        RTCRtpCodecParameters,
        RTCRtpReceiver,
        RTCRtpSender,
        RTCRtpTransceiver,
        RTCSessionDescription,
    )

try:
    __version__ = version("pyrtc")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

_PEER_CONNECTION_API = (
    "RTCConfiguration",
    "RTCDataChannel",
    "RTCIceCandidate",
    "RTCIceServer",
    "RTCPeerConnection",
    "RTCRtpCodecParameters",
    "RTCRtpReceiver",
    "RTCRtpSender",
    "RTCRtpTransceiver",
    "RTCSessionDescription",
)


def __getattr__(name: str) -> Any:
    """Import the peer-connection API lazily (PEP 562): ``import pyrtc`` stays cheap."""
    if name in _PEER_CONNECTION_API:
        import pyrtc.pc

        return getattr(pyrtc.pc, name)
    raise AttributeError(f"module 'pyrtc' has no attribute {name!r}")


__all__ = [
    "Error",
    "ParseError",
    "RTCConfiguration",
    "RTCDataChannel",
    "RTCIceCandidate",
    "RTCIceServer",
    "RTCPeerConnection",
    "RTCRtpCodecParameters",
    "RTCRtpReceiver",
    "RTCRtpSender",
    "RTCRtpTransceiver",
    "RTCSessionDescription",
    "__version__",
]
