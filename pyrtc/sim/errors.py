"""Errors raised by the network simulator."""

from pyrtc.errors import Error


class SimError(Error):
    """The simulation was set up wrongly (bad address, link reuse) or stalled (livelock)."""
