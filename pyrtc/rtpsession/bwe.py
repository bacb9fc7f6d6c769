"""Send-side bandwidth estimates: Google Congestion Control's loss-based and delay-based
controllers and the receiver's REMB, combined (sans-I/O).

:class:`LossBasedEstimator` is the loss-based controller of Google Congestion Control
(draft-ietf-rmcat-gcc-02 section 6; the increase step of 8 % is libwebrtc's, the draft has
5 %): below 2 % loss the estimate grows by 8 %, above 10 % it is multiplied by
``1 - 0.5 * loss``, in between it holds. Loss comes from transport-cc feedback
(draft-holmer-rmcat-transport-wide-cc-01, packets reported lost over packets reported) when
the peer sends it, else from the ``fraction lost`` of RTCP receiver reports (RFC 3550 section
6.4.1). The receiver's REMB (draft-alvestrand-rmcat-remb-03), when present, caps the result:
the target is the smaller of the two, always within ``[minimum, maximum]``. The estimate
moves at most once per ``interval`` (200 ms): reports that arrive sooner are accumulated and
counted at the next update, so a burst of feedback is one step, not many.

:class:`GccEstimator` adds the delay-based controller
(:class:`~pyrtc.rtpsession.delay_bwe.DelayBasedEstimator`, section 5) fed by the same
transport-cc feedback: its target is the smallest of the loss-based estimate, the delay-based
one and the REMB, so a queue that grows without loss pulls it down. As in libwebrtc the
loss-based estimate never grows from above that target. There is no probing and no pacing:
the estimate rises only as fast as the controllers allow from what is actually sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyrtc.rtpsession.delay_bwe import DelayBasedEstimator
from pyrtc.rtpsession.errors import RtpSessionError
from pyrtc.rtpsession.events import PacketFeedback

__all__ = ["GccEstimator", "LossBasedEstimator"]

LOW_LOSS = 0.02
"""Below this loss fraction the path is healthy: the estimate grows."""
HIGH_LOSS = 0.10
"""Above this loss fraction the path is congested: the estimate falls."""
INCREASE = 1.08
"""Growth per update on a healthy path."""


class LossBasedEstimator:
    """Target send bitrate (bit/s) from loss feedback and REMB; nothing but arithmetic."""

    def __init__(self, initial: int, *, minimum: int, maximum: int, interval: float = 0.2) -> None:
        if not 0 < minimum <= maximum:
            raise RtpSessionError("need 0 < minimum <= maximum")
        self.minimum = minimum
        self.maximum = maximum
        self.interval = interval
        self._estimate = float(min(max(initial, minimum), maximum))
        self._remb: int | None = None
        self._last_update: float | None = None
        self._reported = 0  # transport-cc packets reported since the last update
        self._lost = 0  # of which lost
        self._fraction: float | None = None  # latest RR fraction lost since the last update
        self.loss: float | None = None
        """The loss fraction used by the last update (``None`` before the first)."""

    @property
    def target(self) -> int:
        """The bitrate to encode at: the loss-based estimate, capped by the REMB (and in
        :class:`GccEstimator` by the delay-based estimate)."""
        return int(max(self.minimum, min(self._estimate, self._cap())))

    def _cap(self) -> float:
        """What limits the loss-based estimate from outside: the REMB and the maximum."""
        return self.maximum if self._remb is None else min(self._remb, self.maximum)

    def receiver_report(self, fraction_lost: float, now: float) -> None:
        """An RTCP report block's ``fraction lost`` (0..1) about one of our streams."""
        self._fraction = min(max(fraction_lost, 0.0), 1.0)
        self._maybe_update(now)

    def transport_feedback(self, packets: Sequence[PacketFeedback], now: float) -> None:
        """The packets of one transport-cc feedback (``receive_time`` ``None``: lost)."""
        self._reported += len(packets)
        self._lost += sum(1 for p in packets if p.receive_time is None)
        self._maybe_update(now)

    def remb(self, bitrate: int, now: float) -> None:
        """The receiver's REMB: its estimate caps the target from now on."""
        self._remb = max(bitrate, 0)

    def _maybe_update(self, now: float) -> None:
        if self._last_update is not None and now - self._last_update < self.interval:
            return
        if self._reported:
            loss = self._lost / self._reported
        elif self._fraction is not None:
            loss = self._fraction
        else:
            return
        self._last_update = now
        self._reported = self._lost = 0
        self._fraction = None
        self.loss = loss
        # never grow from above what is actually sent (a cap): no jump when it lifts
        estimate = min(self._estimate, float(self.target))
        if loss < LOW_LOSS:
            estimate *= INCREASE
        elif loss > HIGH_LOSS:
            estimate *= 1 - 0.5 * loss
        self._estimate = min(max(estimate, self.minimum), self.maximum)


class GccEstimator(LossBasedEstimator):
    """Target send bitrate (bit/s) of Google Congestion Control: the smallest of the
    loss-based estimate, the delay-based estimate and the REMB, within ``[minimum, maximum]``.

    Fed like :class:`LossBasedEstimator`; transport-cc feedback goes to both controllers
    (the delay-based one first, so that a loss-based step starts from the new target).
    """

    def __init__(self, initial: int, *, minimum: int, maximum: int, interval: float = 0.2) -> None:
        super().__init__(initial, minimum=minimum, maximum=maximum, interval=interval)
        self.delay_based = DelayBasedEstimator(initial, minimum=minimum, maximum=maximum)

    def transport_feedback(self, packets: Sequence[PacketFeedback], now: float) -> None:
        """The packets of one transport-cc feedback (``receive_time`` ``None``: lost)."""
        self.delay_based.transport_feedback(packets, now)
        super().transport_feedback(packets, now)

    def _cap(self) -> float:
        return min(super()._cap(), self.delay_based.target)
