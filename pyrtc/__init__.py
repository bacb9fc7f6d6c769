"""pyrtc: a from-scratch WebRTC protocol stack with sans-I/O cores and Cython hot paths.

Each protocol layer lives in its own subpackage and can be imported alone, for example
``from pyrtc.stun import Message``.
"""

from importlib.metadata import PackageNotFoundError, version

from pyrtc.errors import Error, ParseError

try:
    __version__ = version("pyrtc")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["Error", "ParseError", "__version__"]
