"""asyncio shells: run the sans-I/O cores over real sockets.

``DatagramDriver`` runs any :class:`pyrtc.sansio.AddressedCore` over UDP; the STUN helpers
(:func:`stun_binding`, :func:`serve_stun`), the TURN session (:func:`connect_turn`) and the
ICE :class:`Connection` are built on the same pattern.
"""

from pyrtc.net.driver import DatagramDriver, open_driver
from pyrtc.net.ice import Connection
from pyrtc.net.stun import BindingFailed, BindingResult, BindingTimeout, serve_stun, stun_binding
from pyrtc.net.turn import TurnSession, connect_turn

__all__ = [
    "BindingFailed",
    "BindingResult",
    "BindingTimeout",
    "Connection",
    "DatagramDriver",
    "TurnSession",
    "connect_turn",
    "open_driver",
    "serve_stun",
    "stun_binding",
]
