"""Codecs of an RTP media section: ``rtpmap`` + ``fmtp`` + ``rtcp-fb`` joined per payload type."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pyrtc.sdp.attributes import Attribute, Fmtp, FmtpParameters, RtcpFb, RtpMap

__all__ = ["STATIC_PAYLOAD_TYPES", "Codec", "RtcpFeedback", "join_codecs"]

STATIC_PAYLOAD_TYPES: dict[int, tuple[str, int, int | None]] = {
    0: ("PCMU", 8000, 1),
    3: ("GSM", 8000, 1),
    4: ("G723", 8000, 1),
    5: ("DVI4", 8000, 1),
    6: ("DVI4", 16000, 1),
    7: ("LPC", 8000, 1),
    8: ("PCMA", 8000, 1),
    9: ("G722", 8000, 1),
    10: ("L16", 44100, 2),
    11: ("L16", 44100, 1),
    12: ("QCELP", 8000, 1),
    13: ("CN", 8000, 1),
    14: ("MPA", 90000, None),
    15: ("G728", 8000, 1),
    16: ("DVI4", 11025, 1),
    17: ("DVI4", 22050, 1),
    18: ("G729", 8000, 1),
    25: ("CelB", 90000, None),
    26: ("JPEG", 90000, None),
    28: ("nv", 90000, None),
    31: ("H261", 90000, None),
    32: ("MPV", 90000, None),
    33: ("MP2T", 90000, None),
    34: ("H263", 90000, None),
}
"""Statically assigned payload types (RFC 3551 tables 4 and 5): name, clock rate, channels.

Used when a format in the ``m=`` line has no ``a=rtpmap`` (RFC 8866 section 6.6).
"""


@dataclass(frozen=True)
class RtcpFeedback:
    """One RTCP feedback capability of a codec: ``nack``, ``nack pli``, ``ccm fir``, ..."""

    type: str
    parameter: str | None = None


@dataclass(frozen=True)
class Codec:
    """An RTP payload format as negotiated: rtpmap fields, fmtp parameters, rtcp-fb list.

    ``channels`` is ``None`` when the rtpmap omits it (one channel for audio by convention).
    ``feedback`` lists the ``a=rtcp-fb`` lines for this payload type and for ``*``, in order.
    """

    payload_type: int
    name: str
    clock_rate: int
    channels: int | None = None
    parameters: FmtpParameters = field(default_factory=FmtpParameters)
    feedback: tuple[RtcpFeedback, ...] = ()

    @property
    def mime_subtype(self) -> str:
        """The encoding name in lower case, for case-insensitive matching (``opus``, ``vp8``)."""
        return self.name.lower()

    @property
    def rtx_apt(self) -> int | None:
        """For an ``rtx`` codec, the payload type it retransmits (``apt``, RFC 4588 8.6)."""
        apt = self.parameters.get("apt")
        if self.mime_subtype != "rtx" or not apt or not (apt.isascii() and apt.isdigit()):
            return None
        return int(apt)

    def to_attributes(self) -> list[Attribute]:
        """The ``rtpmap``, ``rtcp-fb`` and ``fmtp`` attributes describing this codec."""
        pt = self.payload_type
        attributes: list[Attribute] = [RtpMap(pt, self.name, self.clock_rate, self.channels)]
        attributes += [RtcpFb(pt, fb.type, fb.parameter) for fb in self.feedback]
        if self.parameters:
            attributes.append(Fmtp(pt, self.parameters))
        return attributes


def join_codecs(formats: Iterable[str], attributes: Iterable[Attribute]) -> list[Codec]:
    """The codecs of the numeric ``formats`` (``m=`` order) from a section's attributes.

    A payload type without ``a=rtpmap`` uses :data:`STATIC_PAYLOAD_TYPES`, and is left out
    when it is dynamic; the first ``a=fmtp`` of a payload type wins.
    """
    rtpmaps: dict[int, RtpMap] = {}
    fmtps: dict[int, FmtpParameters] = {}
    feedback: list[RtcpFb] = []
    for attribute in attributes:
        if isinstance(attribute, RtpMap):
            rtpmaps.setdefault(attribute.payload_type, attribute)
        elif isinstance(attribute, Fmtp):
            fmtps.setdefault(attribute.payload_type, attribute.parameters)
        elif isinstance(attribute, RtcpFb):
            feedback.append(attribute)
    codecs = []
    for fmt in formats:
        if not (fmt.isascii() and fmt.isdigit()) or len(fmt) > 3:
            continue
        pt = int(fmt)
        rtpmap = rtpmaps.get(pt)
        if rtpmap is not None:
            name, rate, channels = rtpmap.encoding_name, rtpmap.clock_rate, rtpmap.channels
        elif pt in STATIC_PAYLOAD_TYPES:
            name, rate, channels = STATIC_PAYLOAD_TYPES[pt]
        else:
            continue
        codecs.append(
            Codec(
                pt,
                name,
                rate,
                channels,
                fmtps.get(pt, FmtpParameters()),
                tuple(
                    RtcpFeedback(fb.type, fb.parameter)
                    for fb in feedback
                    if fb.payload_type in (pt, None)
                ),
            )
        )
    return codecs
