from collections.abc import Sequence

AVAILABLE: bool
CHUNK: int
MAX_DATAGRAMS: int
MAX_BUFSIZE: int
MAX_SEGMENTS: int
SOL_UDP_LEVEL: int
UDP_GRO_OPTION: int

def truncated_count() -> int: ...
def gso_available() -> bool: ...
def recv_many(
    fd: int, max_datagrams: int = 64, bufsize: int = 2048
) -> list[tuple[bytes, tuple[str, int]]]: ...
def send_many(
    fd: int, datagrams: Sequence[tuple[bytes, tuple[str, int] | None]], gso: bool = False
) -> int: ...
