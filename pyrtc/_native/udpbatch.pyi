from collections.abc import Sequence

AVAILABLE: bool
CHUNK: int
MAX_DATAGRAMS: int
MAX_BUFSIZE: int

def truncated_count() -> int: ...
def recv_many(
    fd: int, max_datagrams: int = 64, bufsize: int = 2048
) -> list[tuple[bytes, tuple[str, int]]]: ...
def send_many(fd: int, datagrams: Sequence[tuple[bytes, tuple[str, int] | None]]) -> int: ...
