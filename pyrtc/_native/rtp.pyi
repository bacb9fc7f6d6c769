from collections.abc import Iterable, Mapping

from pyrtc.errors import ParseError

class RtpParseError(ParseError): ...

class RtpPacket:
    def __init__(
        self,
        payload_type: int = 0,
        marker: int = 0,
        sequence_number: int = 0,
        timestamp: int = 0,
        ssrc: int = 0,
        payload: bytes | bytearray | memoryview = b"",
        *,
        csrc: Iterable[int] = (),
        extensions: Mapping[int, bytes] | None = None,
        padding_size: int = 0,
    ) -> None: ...
    @staticmethod
    def parse(data: bytes | bytearray | memoryview) -> RtpPacket: ...
    def serialize(self) -> bytes: ...
    @property
    def version(self) -> int: ...
    @property
    def padding(self) -> bool: ...
    padding_size: int
    marker: int
    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    @property
    def csrc(self) -> list[int]: ...
    @csrc.setter
    def csrc(self, value: Iterable[int]) -> None: ...
    @property
    def extensions(self) -> dict[int, bytes]: ...
    @extensions.setter
    def extensions(self, value: Mapping[int, bytes]) -> None: ...
    @property
    def payload(self) -> bytes: ...
    @payload.setter
    def payload(self, value: bytes | bytearray | memoryview) -> None: ...
    @property
    def payload_length(self) -> int: ...

def wrap_rtx(
    packet: RtpPacket, payload_type: int, sequence_number: int, ssrc: int
) -> RtpPacket: ...
def unwrap_rtx(rtx: RtpPacket, payload_type: int, ssrc: int) -> RtpPacket: ...
