"""STUN codec against aioice: parse and build an ICE connectivity-check Binding request.

The message is what ICE sends for every check: USERNAME, PRIORITY, ICE-CONTROLLING,
MESSAGE-INTEGRITY (HMAC-SHA1) and FINGERPRINT. Equivalent work on both sides:

* parse: ``Message.parse`` checks the framing and decodes every attribute value eagerly, then
  ``verify_fingerprint`` checks the CRC; ``aioice.stun.parse_message`` decodes every value and
  checks FINGERPRINT itself. Neither side verifies MESSAGE-INTEGRITY here.
* build: both create the message from a fresh attribute dict with a fixed transaction ID and
  serialise it with MESSAGE-INTEGRITY then FINGERPRINT. aioice's
  ``add_message_integrity(key)`` already appends FINGERPRINT, so its ``add_fingerprint()`` is
  not called a second time. pyrtc reuses a keyed HMAC context per key (an LRU cache of 256),
  as a session with a fixed ICE password does.
"""

from __future__ import annotations

from typing import Any

from pyrtc.bench import Case
from pyrtc.stun import Class, Message, Method

KEY = b"x2Hm8Dr4Jq0aP6Lt9Bv3Ns"  # a 22-character ICE password
TID = bytes.fromhex("b7e7a701bc34d686fa87dfae")


def _attributes() -> dict[str, Any]:
    return {
        "USERNAME": "a9Kp:Xw7q",
        "PRIORITY": 0x6E0001FF,
        "ICE-CONTROLLING": 0x932FF9B151263B36,
    }


def cases() -> list[Case]:
    data = Message(Method.BINDING, Class.REQUEST, TID, _attributes()).encode(KEY, fingerprint=True)

    def ours_parse() -> object:
        return Message.parse(data).verify_fingerprint()

    def ours_build() -> object:
        return Message(Method.BINDING, Class.REQUEST, TID, _attributes()).encode(
            KEY, fingerprint=True
        )

    try:
        from aioice import stun as aioice_stun
    except ImportError:
        base_parse = base_build = None
    else:
        assert bytes(aioice_stun.parse_message(data)) == data

        def base_parse() -> object:
            return aioice_stun.parse_message(data)

        def base_build() -> object:
            msg = aioice_stun.Message(
                aioice_stun.Method.BINDING, aioice_stun.Class.REQUEST, TID, _attributes()
            )
            msg.add_message_integrity(KEY)
            return bytes(msg)

        assert base_build() == ours_build()

    return [
        Case(
            group="stun",
            name="parse",
            ours=ours_parse,
            baseline=base_parse,
            baseline_name="aioice 0.13",
            target=1.5,
            bytes_per_op=len(data),
        ),
        Case(
            group="stun",
            name="build",
            ours=ours_build,
            baseline=base_build,
            baseline_name="aioice 0.13",
            target=2.0,
            bytes_per_op=len(data),
        ),
    ]
