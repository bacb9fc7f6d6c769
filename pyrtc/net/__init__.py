"""asyncio shells: run the sans-I/O cores over real sockets.

``DatagramDriver`` runs any :class:`pyrtc.sansio.AddressedCore` over UDP; the STUN helpers
(:func:`stun_binding`, :func:`serve_stun`) are built on it.
"""

from pyrtc.net.driver import DatagramDriver, open_driver
from pyrtc.net.stun import BindingFailed, BindingResult, BindingTimeout, serve_stun, stun_binding

__all__ = [
    "BindingFailed",
    "BindingResult",
    "BindingTimeout",
    "DatagramDriver",
    "open_driver",
    "serve_stun",
    "stun_binding",
]
