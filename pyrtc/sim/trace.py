"""What the simulator reports to trace hooks, and a pcap writer built on it.

``sim.add_tracer(fn)`` calls ``fn(record)`` for every send, delivery, duplication and drop.
``str(record)`` is a one-line log entry; :class:`PcapWriter` turns records into a libpcap file
with synthetic IPv4/IPv6 + UDP headers so Wireshark can dissect STUN, DTLS, SCTP-over-DTLS...
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import BinaryIO, Literal

from pyrtc.sansio import Address
from pyrtc.sim.stats import DropReason

TraceKind = Literal["send", "deliver", "duplicate", "drop"]


@dataclass(frozen=True, slots=True)
class TraceRecord:
    """One thing that happened to a datagram.

    ``send``: a core emitted it (``src`` is the core's own address). ``duplicate``: the link
    made a second copy. ``deliver``: handed to the receiving core (``src`` as that core sees
    it, i.e. after NAT translation). ``drop``: lost, with ``reason``; the addresses are those
    on the wire at the point of the drop.
    """

    time: float
    kind: TraceKind
    src: Address
    dst: Address
    data: bytes
    reason: DropReason | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def __str__(self) -> str:
        line = (
            f"{self.time:12.6f} {self.kind:9} {_fmt(self.src)} -> {_fmt(self.dst)} "
            f"{len(self.data)} B"
        )
        return f"{line} ({self.reason})" if self.reason else line


def _fmt(addr: Address) -> str:
    host, port = addr
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_PCAP_MAGIC = 0xA1B2C3D4
_LINKTYPE_RAW = 101  # raw IPv4/IPv6, no link-layer header
_UDP = 17


class PcapWriter:
    """A trace hook writing records of one ``kind`` as UDP packets to a libpcap file.

    ``kind="send"`` (default) captures every datagram a core emitted, including those the
    network later lost; ``kind="deliver"`` captures what cores received. The file object is
    written to and flushed as records arrive; closing it is the caller's job.
    """

    def __init__(self, file: BinaryIO, kind: TraceKind = "send") -> None:
        self._file = file
        self._kind = kind
        self._ip_id = 0
        file.write(struct.pack("<IHHiIII", _PCAP_MAGIC, 2, 4, 0, 0, 65535, _LINKTYPE_RAW))

    def __call__(self, record: TraceRecord) -> None:
        if record.kind != self._kind:
            return
        packet = self._packet(record.src, record.dst, record.data)
        seconds = int(record.time)
        micros = min(round((record.time - seconds) * 1_000_000), 999_999)
        captured = packet[:65535]
        self._file.write(struct.pack("<IIII", seconds, micros, len(captured), len(packet)))
        self._file.write(captured)
        self._file.flush()

    def _packet(self, src: Address, dst: Address, payload: bytes) -> bytes:
        src_ip = ipaddress.ip_address(src[0])
        dst_ip = ipaddress.ip_address(dst[0])
        udp_len = 8 + len(payload)
        if src_ip.version == 4 and dst_ip.version == 4:
            self._ip_id = (self._ip_id + 1) & 0xFFFF
            header = struct.pack(
                "!BBHHHBBH4s4s",
                0x45,
                0,
                (20 + udp_len) & 0xFFFF,
                self._ip_id,
                0,
                64,
                _UDP,
                0,
                src_ip.packed,
                dst_ip.packed,
            )
            header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
            udp = struct.pack("!HHHH", src[1], dst[1], udp_len & 0xFFFF, 0)  # 0: no checksum
            return header + udp + payload
        src6 = _as_v6(src_ip)
        dst6 = _as_v6(dst_ip)
        pseudo = src6 + dst6 + struct.pack("!IxxxB", udp_len, _UDP)
        udp = struct.pack("!HHHH", src[1], dst[1], udp_len & 0xFFFF, 0)
        checksum = _checksum(pseudo + udp + payload) or 0xFFFF
        udp = udp[:6] + struct.pack("!H", checksum)
        header = struct.pack("!IHBB16s16s", 6 << 28, udp_len & 0xFFFF, _UDP, 64, src6, dst6)
        return header + udp + payload


def _as_v6(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bytes:
    if ip.version == 6:
        return ip.packed
    return ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + ip.packed).packed


def _checksum(data: bytes) -> int:
    """Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
