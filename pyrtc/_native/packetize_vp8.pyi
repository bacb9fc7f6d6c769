from typing import Any

class Vp8Descriptor:
    non_reference: bool
    start: bool
    partition_id: int
    picture_id: int | None
    long_picture_id: bool
    tl0picidx: int | None
    tid: int | None
    layer_sync: bool
    keyidx: int | None
    def __init__(
        self,
        *,
        non_reference: bool = False,
        start: bool = False,
        partition_id: int = 0,
        picture_id: int | None = None,
        long_picture_id: bool = False,
        tl0picidx: int | None = None,
        tid: int | None = None,
        layer_sync: bool = False,
        keyidx: int | None = None,
    ) -> None: ...
    @staticmethod
    def parse(payload: bytes) -> tuple[Vp8Descriptor, int]: ...
    def serialize(self) -> bytes: ...
    def __eq__(self, other: Any) -> bool: ...

def vp8_packetize(frame: bytes, mtu: int = 1200, picture_id: int = 0) -> list[bytes]: ...

class Vp8Packetizer:
    picture_id: int
    def __init__(self, picture_id: int = 0) -> None: ...
    def packetize(self, frame: bytes, mtu: int = 1200) -> list[bytes]: ...

def vp8_depacketize(payloads: list[bytes]) -> bytes: ...
def vp8_payload_info(payload: bytes) -> int: ...
def vp8_is_keyframe(payload: bytes) -> bool: ...
