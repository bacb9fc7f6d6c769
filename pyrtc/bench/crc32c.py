"""CRC-32C of a 1200-byte SCTP packet: pyrtc's native code against the ``crc32c`` package."""

from __future__ import annotations

import os

from pyrtc._native.crc32c import crc32c
from pyrtc.bench import Case


def cases() -> list[Case]:
    data = os.urandom(1200)
    try:
        import crc32c as baseline_module
    except ImportError:
        baseline = None
    else:

        def baseline() -> object:
            return baseline_module.crc32c(data)

    return [
        Case(
            group="crc32c",
            name="1200 B",
            ours=lambda: crc32c(data),
            baseline=baseline,
            baseline_name="crc32c (PyPI)",
            bytes_per_op=len(data),
        )
    ]
