"""The fragment-size rule every video packetizer follows (see ``fragment_size`` in
``native/packetize_common.pxd``)."""

from __future__ import annotations


def assert_balanced(sizes: list[int]) -> None:
    """All sizes but the last are equal; the last is at most ``len(sizes) - 1`` smaller and
    never larger: one UDP GSO run per frame, and no tiny tail packet."""
    *head, last = sizes
    if head:
        assert len(set(head)) == 1, sizes
        assert head[0] - len(head) <= last <= head[0], sizes
