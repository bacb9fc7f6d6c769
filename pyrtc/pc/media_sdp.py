"""Audio and video m-sections for JSEP (RFC 9429 sections 5.2.1 and 5.3.1).

What we offer (codecs with their payload types, RTCP feedback of RFC 4585/5104 and
transport-cc, header extensions of RFC 8285), how an offer's codecs are matched against ours
to answer (RFC 3264 section 6.1: the answer keeps the offerer's payload types), and what a
remote section tells the receiving side (SSRCs with the RTX ``FID`` group of RFC 4588
section 8.3, RFC 5576; ``msid`` of RFC 8830).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyrtc.codecs import can_decode, can_encode
from pyrtc.rtp import ABS_SEND_TIME, AUDIO_LEVEL, MID, TRANSPORT_CC
from pyrtc.sdp import (
    Codec,
    Direction,
    ExtMap,
    Flag,
    FmtpParameters,
    MediaDescription,
    Msid,
    RtcpFeedback,
    Ssrc,
    SsrcGroup,
)
from pyrtc.sdp.attributes import Attribute

RTP_PROTO = "UDP/TLS/RTP/SAVPF"
"""RFC 8829/9429 section 5.1.2: the profile of every WebRTC media section."""

_VIDEO_FEEDBACK = (
    RtcpFeedback("transport-cc"),
    RtcpFeedback("ccm", "fir"),
    RtcpFeedback("nack"),
    RtcpFeedback("nack", "pli"),
)
_H264_FMTP = FmtpParameters(
    [("level-asymmetry-allowed", "1"), ("packetization-mode", "1"), ("profile-level-id", "42e01f")]
)

AUDIO_CODECS: tuple[Codec, ...] = (
    Codec(
        111,
        "opus",
        48000,
        2,
        FmtpParameters([("minptime", "10"), ("useinbandfec", "1")]),
        (RtcpFeedback("transport-cc"),),
    ),
    Codec(0, "PCMU", 8000, None),
    Codec(8, "PCMA", 8000, None),
)
"""Our audio codecs in order of preference (payload types as Chromium numbers them)."""

_VP9_FMTP = FmtpParameters([("profile-id", "0")])
_AV1_FMTP = FmtpParameters([("level-idx", "5"), ("profile", "0"), ("tier", "0")])


def _video_codecs() -> tuple[Codec, ...]:
    """VP8, H.264, VP9 (RFC 9628 section 6: profile 0) and AV1 (AV1 RTP payload format
    section 7: main profile, level 3.1, main tier) each followed by its RTX format, keeping
    only those the FFmpeg inside PyAV can both encode and decode (AV1 needs its SVT-AV1
    encoder, which not every build has). VP9 and AV1 use Chromium's payload types where ours
    do not clash (Chromium's VP9 profile 0 is 98, our H.264)."""
    formats = (
        Codec(96, "VP8", 90000, None, FmtpParameters(), _VIDEO_FEEDBACK),
        Codec(98, "H264", 90000, None, _H264_FMTP, _VIDEO_FEEDBACK),
        Codec(100, "VP9", 90000, None, _VP9_FMTP, _VIDEO_FEEDBACK),
        Codec(45, "AV1", 90000, None, _AV1_FMTP, _VIDEO_FEEDBACK),
    )
    codecs: list[Codec] = []
    for codec in formats:
        if can_encode(codec.name) and can_decode(codec.name):
            apt = FmtpParameters([("apt", str(codec.payload_type))])
            codecs += [codec, Codec(codec.payload_type + 1, "rtx", 90000, None, apt)]
    return tuple(codecs)


VIDEO_CODECS: tuple[Codec, ...] = _video_codecs()
"""Our video codecs in order of preference, each followed by its RTX format: VP8 (96/97),
H.264 (98/99), VP9 (100/101), AV1 (45/46), those missing from this FFmpeg left out."""

EXTENSIONS: dict[str, tuple[tuple[int, str], ...]] = {
    "audio": ((1, AUDIO_LEVEL), (2, ABS_SEND_TIME), (3, TRANSPORT_CC), (4, MID)),
    "video": ((2, ABS_SEND_TIME), (3, TRANSPORT_CC), (4, MID)),
}
"""Header extensions we offer (RFC 8285); one id per URI across the BUNDLE group."""


def local_codecs(kind: str) -> tuple[Codec, ...]:
    """Every codec we can send and receive for ``kind`` (``audio`` or ``video``)."""
    return AUDIO_CODECS if kind == "audio" else VIDEO_CODECS


def _same_codec(ours: Codec, theirs: Codec) -> bool:
    """Whether an offered format is one of ours: name and clock rate (RFC 4855 section 3);
    for H.264 packetization mode 1 with a constrained-baseline-compatible profile, for VP9
    profile 0 (RFC 9628 section 6, ``profile-id`` absent means 0), for AV1 the main profile
    (AV1 RTP payload format section 7.2, ``profile`` absent means 0)."""
    if ours.mime_subtype != theirs.mime_subtype or ours.clock_rate != theirs.clock_rate:
        return False
    if ours.mime_subtype == "h264":
        profile = (theirs.parameters.get("profile-level-id") or "42000a").lower()
        mode = theirs.parameters.get("packetization-mode") or "0"
        return mode == "1" and profile[:2] == "42" and profile[2:4] in ("e0", "c0", "00")
    if ours.mime_subtype == "vp9":
        return (theirs.parameters.get("profile-id") or "0") == "0"
    if ours.mime_subtype == "av1":
        return (theirs.parameters.get("profile") or "0") == "0"
    return True


def match_codecs(preferred: tuple[Codec, ...], offered: list[Codec]) -> list[Codec]:
    """The offered codecs we support, in ``preferred`` order, with the offerer's payload
    types and our feedback (RFC 3264 section 6.1); an RTX format comes right after the codec
    its ``apt`` names, and only when that codec is kept."""
    matched: list[Codec] = []
    for ours in preferred:
        if ours.mime_subtype == "rtx":
            continue
        theirs = next((c for c in offered if _same_codec(ours, c) and c not in matched), None)
        if theirs is None:
            continue
        feedback = tuple(f for f in ours.feedback if f in theirs.feedback)
        matched.append(
            Codec(
                theirs.payload_type,
                theirs.name,
                theirs.clock_rate,
                theirs.channels,
                theirs.parameters,
                feedback,
            )
        )
        rtx = next((c for c in offered if c.rtx_apt == theirs.payload_type), None)
        if rtx is not None and any(c.mime_subtype == "rtx" for c in preferred):
            matched.append(Codec(rtx.payload_type, "rtx", rtx.clock_rate, None, rtx.parameters))
    return matched


def match_extensions(kind: str, offered: list[ExtMap]) -> list[tuple[int, str]]:
    """The offered header extensions we support, with the offer's ids (RFC 8285 section 6)."""
    ours = {uri for _, uri in EXTENSIONS[kind]}
    return [(e.id, e.uri) for e in offered if e.uri in ours and e.direction is None]


@dataclass
class LocalMedia:
    """What our description says in one audio/video section."""

    direction: str
    codecs: list[Codec]
    extensions: list[tuple[int, str]]
    stream_id: str | None = None
    track_id: str | None = None
    ssrc: int | None = None
    rtx_ssrc: int | None = None
    cname: str = ""

    def attributes(self) -> list[Attribute]:
        """The section's media attributes (after its ``a=mid``, before the transport ones)."""
        attributes: list[Attribute] = [Direction(self.direction)]
        if self.stream_id is not None:
            attributes.append(Msid(self.stream_id, self.track_id))
        attributes += [Flag("rtcp-mux"), Flag("rtcp-rsize")]
        attributes += [ExtMap(i, uri) for i, uri in self.extensions]
        for codec in self.codecs:
            attributes += codec.to_attributes()
        if self.ssrc is not None:
            if self.rtx_ssrc is not None:
                attributes.append(SsrcGroup("FID", (self.ssrc, self.rtx_ssrc)))
            for ssrc in (self.ssrc, self.rtx_ssrc):
                if ssrc is None:
                    continue
                attributes.append(Ssrc(ssrc, "cname", self.cname))
                if self.stream_id is not None:
                    attributes.append(Ssrc(ssrc, "msid", f"{self.stream_id} {self.track_id}"))
        return attributes


@dataclass
class RemoteMedia:
    """What the peer's description says about one audio/video section."""

    direction: str
    codecs: list[Codec]
    extensions: list[tuple[int, str]]
    ssrc: int | None
    rtx_ssrc: int | None
    stream_ids: list[str] = field(default_factory=list)


def remote_media(media: MediaDescription) -> RemoteMedia:
    """Read direction, codecs, extensions, the media SSRC with its RTX SSRC (``FID``) and
    the stream ids (``a=msid``) of one remote section."""
    fid = next(
        (g.ssrcs for g in media.ssrc_groups if g.semantics == "FID" and len(g.ssrcs) == 2), None
    )
    ssrc: int | None = next(iter(media.ssrcs), None)
    rtx: int | None = None
    if fid is not None:
        ssrc, rtx = fid[0], fid[1]
    return RemoteMedia(
        direction=media.direction or "sendrecv",
        codecs=media.codecs,
        extensions=[(e.id, e.uri) for e in media.extmaps],
        ssrc=ssrc,
        rtx_ssrc=rtx,
        stream_ids=[m.stream_id for m in media.msids],
    )


_REVERSED = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}


def answer_direction(offered: str, wanted: str) -> str:
    """RFC 3264 section 6.1: what we may answer given the offer's direction and ours."""
    can_send = "send" in wanted and offered in ("sendrecv", "recvonly")
    can_receive = "recv" in wanted and offered in ("sendrecv", "sendonly")
    return direction_of(can_send, can_receive)


def direction_of(send: bool, receive: bool) -> str:
    """The direction attribute for a send flag and a receive flag."""
    if send and receive:
        return "sendrecv"
    if send:
        return "sendonly"
    return "recvonly" if receive else "inactive"


def reverse_direction(direction: str) -> str:
    """The direction seen from the other side (``sendonly`` <-> ``recvonly``)."""
    return _REVERSED.get(direction, "inactive")
