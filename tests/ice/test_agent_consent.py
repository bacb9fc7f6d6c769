"""RFC 7675 consent freshness timers (pyrtc.ice.consent.Consent), on a virtual clock."""

from __future__ import annotations

import random

import pytest

from pyrtc.ice.consent import Consent


def make(now: float = 0.0) -> Consent:
    return Consent(now, random.Random(1), interval=5.0, disconnected_timeout=2.5, failed_timeout=30)


def test_requests_every_five_seconds_randomised() -> None:
    consent = make()
    sends = []
    now = 0.0
    while now < 200:
        now = consent.deadline() or 1e9
        if consent.poll(now):
            sends.append(now)
            consent.answered(now + 0.01)
    gaps = [b - a for a, b in zip([0.0, *sends], sends, strict=False)]
    assert all(4.0 <= gap <= 6.0 + 0.01 for gap in gaps)
    assert len(set(round(gap, 3) for gap in gaps)) > 10  # really randomised
    assert not consent.disconnected and not consent.expired


def test_unanswered_requests_disconnect_then_expire_at_30_s() -> None:
    consent = make()
    first = consent.next_send
    events = []
    now = 0.0
    while not consent.expired:
        now = consent.deadline() or pytest.fail("no deadline before expiry")
        was = consent.disconnected
        consent.poll(now)
        if consent.disconnected and not was:
            events.append(("disconnected", now))
    assert events == [("disconnected", pytest.approx(first + 2.5))]
    assert now == pytest.approx(30.0)  # 30 s after the last answer (here: the start)
    assert consent.deadline() is None and consent.poll(now + 1) is False


def test_an_answer_reconnects_and_restarts_the_30_s() -> None:
    consent = make()
    consent.poll(consent.next_send)
    consent.poll(consent.next_send + 10)  # still unanswered long after
    assert consent.disconnected
    consent.answered(20.0)
    assert not consent.disconnected and consent.last == 20.0
    assert consent.deadline() is not None
    consent.poll(49.9)
    assert not consent.expired
    consent.poll(50.0)
    assert consent.expired
    consent.answered(51.0)  # too late: expiry is final
    assert consent.expired
