from collections.abc import Iterable, Mapping

from pyrtc.rtp.extensions import AbsCaptureTime, AudioLevel, PlayoutDelay, VideoOrientation

FIELDS: tuple[str, ...]

class HeaderExtensions:
    abs_send_time: int | None
    audio_level: AudioLevel | tuple[bool, int] | None
    mid: str | None
    repaired_rtp_stream_id: str | None
    rtp_stream_id: str | None
    transmission_offset: int | None
    transport_sequence_number: int | None
    playout_delay: PlayoutDelay | tuple[int, int] | None
    video_orientation: VideoOrientation | None
    abs_capture_time: AbsCaptureTime | None
    def __init__(
        self,
        abs_send_time: int | None = None,
        audio_level: AudioLevel | tuple[bool, int] | None = None,
        mid: str | None = None,
        repaired_rtp_stream_id: str | None = None,
        rtp_stream_id: str | None = None,
        transmission_offset: int | None = None,
        transport_sequence_number: int | None = None,
        playout_delay: PlayoutDelay | tuple[int, int] | None = None,
        video_orientation: VideoOrientation | None = None,
        abs_capture_time: AbsCaptureTime | None = None,
    ) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: None  # type: ignore[assignment]

class HeaderExtensionsMap:
    def __init__(self, extmap: Mapping[int, str] | Iterable[tuple[int, str]] = ()) -> None: ...
    def id_of(self, uri: str) -> int | None: ...
    def uri_of(self, ext_id: int) -> str | None: ...
    def items(self) -> list[tuple[int, str]]: ...
    def decode(self, extensions: dict[int, bytes]) -> HeaderExtensions: ...
    def encode(self, values: HeaderExtensions) -> dict[int, bytes]: ...
