"""Events of the jitter buffer (sans-I/O, see :mod:`pyrtc.sansio`)."""

from __future__ import annotations

from dataclasses import dataclass

from pyrtc.sansio import Event


@dataclass(frozen=True)
class KeyframeRequest(Event):
    """The receiver needs a keyframe: send a PLI (RFC 4585 §6.3.1) for this stream.

    ``reason`` says why: ``"start"`` (no keyframe yet), ``"loss"`` (a frame could not be
    recovered), ``"overflow"`` (memory or delay bound hit) or ``"corrupt"`` (a frame's
    payloads did not depacketize).
    """

    reason: str
