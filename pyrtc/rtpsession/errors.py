"""Errors of the RTP session layer."""

from __future__ import annotations

from pyrtc.errors import Error

__all__ = ["RtpSessionError"]


class RtpSessionError(Error):
    """A core was used in a way its state does not allow (e.g. sending after ``stop``)."""
