"""JSEP (RFC 9429) session descriptions for a peer connection.

Builds our offers and answers (one BUNDLE group with max-bundle, RFC 8843; ``setup`` roles
of RFC 8842 section 5; SCTP parameters of RFC 8841) and reads the transport parameters out
of the peer's description. The media attributes of audio/video sections come from
:mod:`pyrtc.pc.media_controller`; sections nobody can use are answered as rejected (port 0,
RFC 9429 section 5.3.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyrtc.dtls import RTCDtlsFingerprint
from pyrtc.errors import Error
from pyrtc.ice import Candidate
from pyrtc.sdp import (
    CandidateAttribute,
    Connection,
    Fingerprint,
    Flag,
    Group,
    IceOptions,
    IcePwd,
    IceUfrag,
    MaxMessageSize,
    MediaDescription,
    Mid,
    Origin,
    SctpPort,
    SessionDescription,
    Setup,
)
from pyrtc.sdp.attributes import Attribute

DATA_PROTO = "UDP/DTLS/SCTP"
DATA_FORMAT = "webrtc-datachannel"
SCTP_PORT = 5000
DEFAULT_MAX_MESSAGE_SIZE = 65536
"""RFC 8841 section 6: the size to assume when the peer gives no ``a=max-message-size``."""


class InvalidStateError(Error):
    """The call is not allowed in the current signaling state (W3C ``InvalidStateError``)."""


class InvalidAccessError(Error):
    """The description cannot be applied (W3C ``InvalidAccessError``): it lacks what the
    transport needs or does not match the offer."""


@dataclass
class Section:
    """One m-section as we keep it across negotiations (its place never changes)."""

    mid: str
    kind: str
    proto: str
    formats: list[str]
    rejected: bool = False
    media: list[Attribute] = field(default_factory=list)
    """Direction, codecs, extensions, msid and ssrc lines of an audio/video section."""


@dataclass
class RemoteParameters:
    """The transport parameters a remote description gives for the BUNDLE group."""

    ufrag: str
    pwd: str
    lite: bool
    fingerprints: list[RTCDtlsFingerprint]
    setup: str | None
    sctp_port: int | None
    max_message_size: int
    candidates: list[Candidate] = field(default_factory=list)
    end_of_candidates: bool = False


@dataclass
class LocalParameters:
    """What we put in each accepted section of our description."""

    ufrag: str
    pwd: str
    fingerprints: list[RTCDtlsFingerprint]
    setup: str
    candidates: list[Candidate]
    end_of_candidates: bool
    max_message_size: int


def build_description(
    sections: list[Section], local: LocalParameters, session_id: int, version: int
) -> str:
    """Our offer or answer as SDP text: every accepted section in one BUNDLE group, each
    with the same ICE and DTLS parameters (RFC 8843 section 7.1.3 style, as browsers do)."""
    media: list[MediaDescription] = []
    bundle: list[str] = []
    for section in sections:
        attributes: list[Attribute] = [Mid(section.mid)]
        if not section.rejected:
            bundle.append(section.mid)
            attributes += section.media
            attributes += [IceUfrag(local.ufrag), IcePwd(local.pwd), IceOptions(("trickle",))]
            attributes += [Fingerprint(f.algorithm, f.value) for f in local.fingerprints]
            attributes.append(Setup(local.setup))
            if section.kind == "application":
                attributes += [SctpPort(SCTP_PORT), MaxMessageSize(local.max_message_size)]
            attributes += [CandidateAttribute(c) for c in local.candidates]
            if local.end_of_candidates:
                attributes.append(Flag("end-of-candidates"))
        media.append(
            MediaDescription(
                section.kind,
                0 if section.rejected else 9,
                section.proto,
                list(section.formats),
                connections=[Connection("IN", "IP4", "0.0.0.0")],
                attributes=attributes,
            )
        )
    session_attributes: list[Attribute] = []
    if bundle:
        session_attributes.append(Group("BUNDLE", tuple(bundle)))
    return SessionDescription(
        Origin("-", session_id, version), attributes=session_attributes, media=media
    ).serialize()


def sections_from_offer(offer: SessionDescription) -> list[Section]:
    """The sections of our answer (RFC 9429 section 5.3.1): the offer's, in order, with
    everything but the first usable data section and the RTP audio/video sections rejected
    (the media layer rejects those whose codecs do not match)."""
    sections = []
    have_data = False
    for index, media in enumerate(offer.media):
        mid = media.mid if media.mid is not None else str(index)
        data = (
            media.kind == "application"
            and media.protocol.upper().endswith("DTLS/SCTP")
            and DATA_FORMAT in media.formats
            and not have_data
        )
        rtp = media.kind in ("audio", "video") and media.protocol.upper().endswith("RTP/SAVPF")
        usable = media.port != 0 and (data or rtp)
        have_data = have_data or (usable and data)
        sections.append(Section(mid, media.kind, media.protocol, media.formats, not usable))
    return sections


def remote_parameters(description: SessionDescription) -> RemoteParameters | None:
    """The ICE, DTLS and SCTP parameters of the transport: those of the BUNDLE group's tag
    (the first mid of the group, RFC 8843 section 7) holding the data section, else the
    first accepted section, and the candidates of every accepted section of the group;
    ``None`` without an accepted section.
    Raises :class:`InvalidAccessError` when ICE credentials or fingerprints are missing."""
    accepted = [m for m in description.media if m.port != 0]
    data = next((m for m in accepted if m.kind == "application" and DATA_FORMAT in m.formats), None)
    first = data or next(iter(accepted), None)
    if first is None:
        return None
    group: list[MediaDescription] = [first]
    for mids in description.bundle_groups:
        if first.mid in mids:
            group = [m for mid in mids for m in accepted if m.mid == mid]
            break
    # The tag (group[0]) first; any section of the group that has them if the tag lacks them.
    credentials = next(
        (c for m in group if (c := description.effective_ice_credentials(m)) is not None), None
    )
    if credentials is None:
        raise InvalidAccessError("the remote description has no ICE ufrag/pwd")
    fingerprints = next(
        (
            [RTCDtlsFingerprint(f.hash_function.lower(), f.fingerprint) for f in found]
            for m in group
            if (found := description.effective_fingerprints(m))
        ),
        [],
    )
    if not fingerprints:
        raise InvalidAccessError("the remote description has no DTLS fingerprint")
    candidates: list[Candidate] = []
    for media in group:
        for candidate in media.candidates:
            if candidate not in candidates:
                candidates.append(candidate)
    return RemoteParameters(
        ufrag=credentials.ufrag,
        pwd=credentials.password,
        lite=description.ice_lite,
        fingerprints=fingerprints,
        setup=next((s for m in group if (s := description.effective_setup(m))), None),
        sctp_port=None if data is None else data.sctp_port or SCTP_PORT,
        max_message_size=(
            DEFAULT_MAX_MESSAGE_SIZE
            if data is None or data.max_message_size is None
            else data.max_message_size or 2**30  # 0 means "no limit" (RFC 8841 section 6)
        ),
        candidates=candidates,
        end_of_candidates=any(m.end_of_candidates for m in group),
    )
