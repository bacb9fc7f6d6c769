"""The plain W3C value types of the peer-connection API, with aiortc's field names."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyrtc.dtls import RTCCertificate
from pyrtc.ice import Candidate, CandidateError, RTCIceServer
from pyrtc.pc.jsep import InvalidAccessError

SDP_TYPES = ("offer", "pranswer", "answer", "rollback")


@dataclass
class RTCConfiguration:
    """``RTCConfiguration`` (W3C webrtc section 4.2.1).

    ``iceServers``: STUN and TURN servers (TURN over UDP); ``iceTransportPolicy``: ``"all"``
    or ``"relay"``; ``bundlePolicy``: accepted for compatibility, every accepted section is
    always bundled (max-bundle); ``certificates``: the DTLS certificate to use (the first
    one), else a new ECDSA P-256 one.
    """

    iceServers: list[RTCIceServer] | None = None
    iceTransportPolicy: str = "all"
    bundlePolicy: str = "max-bundle"
    certificates: list[RTCCertificate] = field(default_factory=list)

    def __post_init__(self) -> None:
        policy = str(getattr(self.iceTransportPolicy, "value", self.iceTransportPolicy))
        if policy not in ("all", "relay"):
            raise ValueError(f"iceTransportPolicy must be 'all' or 'relay', not {policy!r}")
        self.iceTransportPolicy = policy
        bundle = str(getattr(self.bundlePolicy, "value", self.bundlePolicy))
        if bundle not in ("balanced", "max-compat", "max-bundle"):
            raise ValueError(f"unknown bundlePolicy {bundle!r}")
        self.bundlePolicy = bundle


@dataclass
class RTCSessionDescription:
    """An SDP offer, answer or rollback (``type``), as in aiortc and the W3C API."""

    sdp: str
    type: str

    def __post_init__(self) -> None:
        if self.type not in SDP_TYPES:
            raise ValueError(f"'type' must be in {list(SDP_TYPES)} (got {self.type!r})")


@dataclass
class RTCIceCandidate:
    """A remote or local ICE candidate with aiortc's fields; ``sdpMid``/``sdpMLineIndex``
    name the media section it belongs to."""

    component: int
    foundation: str
    ip: str
    port: int
    priority: int
    protocol: str
    type: str
    relatedAddress: str | None = None
    relatedPort: int | None = None
    sdpMid: str | None = None
    sdpMLineIndex: int | None = None
    tcpType: str | None = None

    @classmethod
    def from_candidate(
        cls, candidate: Candidate, sdp_mid: str | None = None, sdp_mline_index: int | None = None
    ) -> RTCIceCandidate:
        return cls(
            component=candidate.component,
            foundation=candidate.foundation,
            ip=candidate.address,
            port=candidate.port,
            priority=candidate.priority,
            protocol=candidate.transport,
            type=candidate.type,
            relatedAddress=candidate.related_address,
            relatedPort=candidate.related_port,
            sdpMid=sdp_mid,
            sdpMLineIndex=sdp_mline_index,
            tcpType=candidate.tcptype,
        )

    def to_candidate(self) -> Candidate:
        """The :class:`pyrtc.ice.Candidate` (validated; ``InvalidAccessError`` if bad)."""
        try:
            return Candidate.from_sdp(candidate_to_sdp(self))
        except CandidateError as exc:
            raise InvalidAccessError(f"bad ICE candidate: {exc}") from exc


def candidate_from_sdp(sdp: str) -> RTCIceCandidate:
    """Parse ``candidate:...`` or its value (as ``aiortc.sdp.candidate_from_sdp``)."""
    try:
        return RTCIceCandidate.from_candidate(Candidate.from_sdp(sdp))
    except CandidateError as exc:
        raise InvalidAccessError(f"bad ICE candidate: {exc}") from exc


def candidate_to_sdp(candidate: RTCIceCandidate) -> str:
    """The ``a=candidate`` value without prefix (as ``aiortc.sdp.candidate_to_sdp``)."""
    text = (
        f"{candidate.foundation} {candidate.component} {candidate.protocol} "
        f"{candidate.priority} {candidate.ip} {candidate.port} typ {candidate.type}"
    )
    if candidate.relatedAddress is not None:
        text += f" raddr {candidate.relatedAddress}"
    if candidate.relatedPort is not None:
        text += f" rport {candidate.relatedPort}"
    if candidate.tcpType is not None:
        text += f" tcptype {candidate.tcpType}"
    return text
