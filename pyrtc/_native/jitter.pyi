from typing import Protocol

from pyrtc.media.events import KeyframeRequest
from pyrtc.rtp import RtpPacket

class _Codec(Protocol):
    def payload_info(self, payload: bytes, /) -> int: ...
    def depacketize(self, payloads: list[bytes], /) -> bytes: ...

class Frame:
    @property
    def data(self) -> bytes: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def keyframe(self) -> bool: ...
    @property
    def lost(self) -> bool: ...
    @property
    def first_sequence(self) -> int: ...
    @property
    def last_sequence(self) -> int: ...

class JitterBuffer:
    clock_rate: int
    audio: bool
    min_delay: float
    max_delay: float
    nack: bool
    rtt: float
    max_nack_retries: int
    max_packets: int
    max_bytes: int
    keyframe_request_interval: float
    duplicates: int
    late: int
    dropped_frames: int
    lost_packets: int
    malformed: int
    def __init__(
        self,
        clock_rate: int,
        codec: _Codec | None = None,
        *,
        min_delay: float | None = None,
        max_delay: float | None = None,
        nack: bool | None = None,
        rtt: float = 0.1,
        max_nack_retries: int = 10,
        max_packets: int = 2048,
        max_bytes: int = 8_000_000,
        keyframe_request_interval: float = 0.5,
    ) -> None: ...
    @property
    def jitter(self) -> float: ...
    @property
    def target_delay(self) -> float: ...
    @property
    def packet_count(self) -> int: ...
    @property
    def byte_count(self) -> int: ...
    def next_event(self) -> KeyframeRequest | None: ...
    def insert(self, packet: RtpPacket, now: float) -> bool: ...
    def insert_many(self, packets: list[RtpPacket] | list[RtpPacket | None], now: float) -> int: ...
    def pop_frame(self, now: float) -> Frame | None: ...
    def nack_list(self, now: float) -> list[int]: ...
    def get_timer(self) -> float | None: ...
