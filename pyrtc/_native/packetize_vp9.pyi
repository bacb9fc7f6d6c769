from typing import Any

class Vp9Descriptor:
    picture_id: int | None
    long_picture_id: bool
    inter_picture: bool
    flexible: bool
    start: bool
    end: bool
    not_reference_upper: bool
    tid: int | None
    switching_up: bool
    sid: int
    inter_layer: bool
    tl0picidx: int | None
    p_diffs: list[int]
    spatial_layers: int | None
    resolutions: list[tuple[int, int]] | None
    picture_group: list[tuple[int, bool, list[int]]] | None
    def __init__(
        self,
        *,
        picture_id: int | None = None,
        long_picture_id: bool = True,
        inter_picture: bool = False,
        flexible: bool = False,
        start: bool = False,
        end: bool = False,
        not_reference_upper: bool = False,
        tid: int | None = None,
        switching_up: bool = False,
        sid: int = 0,
        inter_layer: bool = False,
        tl0picidx: int | None = None,
        p_diffs: tuple[int, ...] | list[int] = (),
        spatial_layers: int | None = None,
        resolutions: list[tuple[int, int]] | None = None,
        picture_group: list[tuple[int, bool, list[int]]] | None = None,
    ) -> None: ...
    @staticmethod
    def parse(payload: bytes) -> tuple[Vp9Descriptor, int]: ...
    def serialize(self) -> bytes: ...
    def __eq__(self, other: Any) -> bool: ...

def vp9_frame_info(frame: bytes) -> tuple[bool, int, int]: ...
def vp9_packetize(frame: bytes, mtu: int = 1200, picture_id: int = 0) -> list[bytes]: ...

class Vp9Packetizer:
    picture_id: int
    def __init__(self, picture_id: int = 0) -> None: ...
    def packetize(self, frame: bytes, mtu: int = 1200) -> list[bytes]: ...

def vp9_depacketize(payloads: list[bytes]) -> bytes: ...
def vp9_payload_info(payload: bytes) -> int: ...
def vp9_is_keyframe(payload: bytes) -> bool: ...
