"""The media side of one peer connection: transceivers in JSEP and the running streams.

:class:`MediaController` keeps the transceivers, fills in their m-sections of our offers and
answers (RFC 9429 sections 5.2.1 and 5.3.1), applies the peer's sections (transceiver
association of section 5.10, codec and direction negotiation of RFC 3264 section 6.1), and
once DTLS-SRTP keys exist runs the :class:`~pyrtc.pc.rtp.MediaTransport` of the BUNDLE
group: SRTP in, decoded frames out to the receivers' tracks; PLI/FIR to the encoders. Loss
reports, transport-cc feedback and REMB feed one :class:`~pyrtc.rtpsession.bwe.GccEstimator`
(loss-based and delay-based) for the group, whose target becomes the video encoders' bitrate.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pyrtc.ice import IceError
from pyrtc.pc.jsep import Section
from pyrtc.pc.media_sdp import (
    EXTENSIONS,
    RTP_PROTO,
    LocalMedia,
    answer_direction,
    match_codecs,
    match_extensions,
    remote_media,
    reverse_direction,
)
from pyrtc.pc.rtp import MediaFrameReceived, MediaTransport, RTCRtpReceiver, RTCRtpTransceiver
from pyrtc.rtp import HeaderExtensionsMap
from pyrtc.rtpsession import (
    BitrateEstimateReceived,
    ByeReceived,
    KeyframeRequested,
    ReceiverReportReceived,
    TransportFeedbackReceived,
)
from pyrtc.rtpsession.bwe import GccEstimator, LossBasedEstimator
from pyrtc.sdp import Attribute, Codec, SessionDescription

if TYPE_CHECKING:
    from pyrtc.pc.peerconnection import RTCPeerConnection
    from pyrtc.pc.stack import TransportStack

logger = logging.getLogger(__name__)

MIN_VIDEO_BITRATE = 100_000
"""The bandwidth estimate never lowers a video encoder below this (bit/s)."""


class _Negotiated:
    """What one transceiver agreed on in the last offer/answer."""

    def __init__(self) -> None:
        self.codecs: list[Codec] = []
        self.offered_codecs: list[Codec] = []  # the remote offer's, kept for our answer
        self.codec_rejected = False  # rejected for want of a common codec (may change)
        self.extensions: list[tuple[int, str]] = []
        self.answer_direction = "inactive"
        self.remote_direction = "inactive"
        self.remote_ssrc: int | None = None
        self.remote_rtx_ssrc: int | None = None


def _in_answer_order(codecs: list[Codec], answered: list[Codec]) -> list[Codec]:
    """``codecs`` (as :func:`match_codecs` returns them) in the order the answer lists them,
    each RTX format still right after the codec it repairs, whatever its place in the answer:
    the first entry is what we send and decode."""
    rank = {c.payload_type: index for index, c in enumerate(answered)}
    groups: list[list[Codec]] = []
    for codec in codecs:
        if codec.rtx_apt is not None and groups:
            groups[-1].append(codec)
        else:
            groups.append([codec])
    groups.sort(key=lambda group: rank[group[0].payload_type])
    return [codec for group in groups for codec in group]


class MediaController:
    """Transceivers of one peer connection and the media transport of its BUNDLE group."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self._pc = pc
        self.transceivers: list[RTCRtpTransceiver] = []
        self._negotiated: dict[int, _Negotiated] = {}
        self.transport: MediaTransport | None = None
        self._receivers: dict[int, RTCRtpReceiver] = {}
        self.send_errors = 0
        self.estimator: GccEstimator | None = None
        """The send-side bandwidth estimate of the transport (once media runs)."""
        self._applied_estimate: int | None = None

    def _state(self, transceiver: RTCRtpTransceiver) -> _Negotiated:
        return self._negotiated.setdefault(id(transceiver), _Negotiated())

    # -- JSEP ---------------------------------------------------------------------------------

    def offer_sections(self, sections: list[Section]) -> None:
        """Give every transceiver a section of our offer (new ones get a new mid) and fill
        in the media attributes of each."""
        mids = {s.mid for s in sections}
        for transceiver in self.transceivers:
            if transceiver.mid is None and not transceiver.stopped:
                number = len(sections)
                while str(number) in mids:
                    number += 1
                transceiver.mid = str(number)
                mids.add(transceiver.mid)
                sections.append(Section(transceiver.mid, transceiver.kind, RTP_PROTO, []))
        for section in sections:
            found = self._by_mid(section.mid)
            if found is None:
                continue
            transceiver = found
            codecs = list(transceiver._codecs_preferred)
            if transceiver.stopped:
                section.rejected = True
            section.formats = [str(c.payload_type) for c in codecs]
            extensions = list(EXTENSIONS[transceiver.kind])
            section.media = self._local(transceiver, transceiver.direction, codecs, extensions)

    def apply_remote_offer(self, sections: list[Section], offer: SessionDescription) -> None:
        """Associate each offered audio/video section with a transceiver (reusing an unused
        one of the same kind, else a new ``recvonly`` one), negotiate its codecs and
        extensions, and reject sections with no common codec (until preferences change:
        :meth:`answer_sections` matches again)."""
        for known in self.transceivers:
            self._state(known).codec_rejected = False
        for section, media in zip(sections, offer.media, strict=True):
            if section.kind not in ("audio", "video") or section.rejected:
                continue
            transceiver = self._by_mid(section.mid) or next(
                (
                    t
                    for t in self.transceivers
                    if t.mid is None and t.kind == section.kind and not t.stopped
                ),
                None,
            )
            if transceiver is None:
                transceiver = RTCRtpTransceiver(section.kind, "recvonly", None)
                self.transceivers.append(transceiver)
            transceiver.mid = section.mid
            remote = remote_media(media)
            state = self._state(transceiver)
            if transceiver.stopped:
                section.rejected = True
                state.answer_direction = "inactive"
                continue
            state.offered_codecs = remote.codecs
            state.extensions = match_extensions(section.kind, media.extmaps)
            state.remote_direction = remote.direction
            state.remote_ssrc, state.remote_rtx_ssrc = remote.ssrc, remote.rtx_ssrc
            self._accept_codecs(section, transceiver)

    def _accept_codecs(self, section: Section, transceiver: RTCRtpTransceiver) -> bool:
        """Match the offer's codecs with the transceiver's preferences: the section takes the
        common ones (and the remote track shows), or is rejected when there are none."""
        state = self._state(transceiver)
        codecs = match_codecs(transceiver._codecs_preferred, state.offered_codecs)
        if not any(c.mime_subtype != "rtx" for c in codecs):
            section.rejected = state.codec_rejected = True
            state.answer_direction = "inactive"  # not a previous answer's
            return False
        section.rejected = state.codec_rejected = False
        self._set_codecs(transceiver, codecs)
        section.formats = [str(c.payload_type) for c in codecs]
        self._fire_track(transceiver, state.remote_direction)
        return True

    def answer_sections(self, sections: list[Section]) -> None:
        """Fill in the media attributes of our answer's accepted audio/video sections.

        The offer's codecs are matched again here, so codec preferences set between
        ``setRemoteDescription(offer)`` and ``createAnswer`` decide the answer, as in
        browsers (RFC 9429 section 5.3.1); a section left with no common codec is rejected,
        and accepted again by a later ``createAnswer`` once the preferences allow a codec.
        """
        for section in sections:
            transceiver = self._by_mid(section.mid)
            if transceiver is None:
                continue
            state = self._state(transceiver)
            if section.rejected and not state.codec_rejected:
                continue  # rejected by the offer, or our transceiver is stopped
            if transceiver.stopped:
                section.rejected = True
                state.answer_direction = "inactive"
                continue
            if not self._accept_codecs(section, transceiver):
                continue
            state.answer_direction = answer_direction(state.remote_direction, transceiver.direction)
            section.media = self._local(
                transceiver, state.answer_direction, state.codecs, state.extensions
            )

    def apply_local_answer(self) -> None:
        """Our answer is applied: its directions are the current ones."""
        for transceiver in self.transceivers:
            if transceiver.mid is not None and not transceiver.stopped:
                transceiver.currentDirection = self._state(transceiver).answer_direction

    def apply_remote_answer(self, sections: list[Section], answer: SessionDescription) -> None:
        """The peer answered our offer: the codecs it kept (in its order), its extensions,
        SSRCs and direction (reversed, it is the current direction seen from here)."""
        for section, media in zip(sections, answer.media, strict=True):
            transceiver = self._by_mid(section.mid)
            if transceiver is None or transceiver.stopped:
                continue
            if section.rejected:
                transceiver.currentDirection = "inactive"
                continue
            remote = remote_media(media)
            state = self._state(transceiver)
            codecs = match_codecs(transceiver._codecs_preferred, remote.codecs)
            self._set_codecs(transceiver, _in_answer_order(codecs, remote.codecs))
            state.extensions = match_extensions(section.kind, media.extmaps)
            state.remote_ssrc, state.remote_rtx_ssrc = remote.ssrc, remote.rtx_ssrc
            transceiver.currentDirection = reverse_direction(remote.direction)
            self._fire_track(transceiver, remote.direction)

    def _local(
        self,
        transceiver: RTCRtpTransceiver,
        direction: str,
        codecs: list[Codec],
        extensions: list[tuple[int, str]],
    ) -> list[Attribute]:
        sender = transceiver.sender
        track = sender.track
        sending = "send" in direction
        return LocalMedia(
            direction=direction,
            codecs=codecs,
            extensions=extensions,
            stream_id=sender.stream_id if track is not None else None,
            track_id=track.id if track is not None else None,
            ssrc=sender.ssrc if sending else None,
            rtx_ssrc=(
                sender.rtx_ssrc if sending and any(c.rtx_apt is not None for c in codecs) else None
            ),
            cname=sender.cname,
        ).attributes()

    def _set_codecs(self, transceiver: RTCRtpTransceiver, codecs: list[Codec]) -> None:
        """The negotiated codecs, preferred first (what the sender sends and the receiver
        decodes)."""
        self._state(transceiver).codecs = codecs
        transceiver.sender._codecs = codecs
        transceiver.receiver._codecs = codecs

    def _fire_track(self, transceiver: RTCRtpTransceiver, remote_direction: str) -> None:
        if "send" in remote_direction and not transceiver._track_fired:
            transceiver._track_fired = True
            self._pc.emit("track", transceiver.receiver.track)

    def _by_mid(self, mid: str) -> RTCRtpTransceiver | None:
        return next((t for t in self.transceivers if t.mid == mid), None)

    # -- running streams ----------------------------------------------------------------------

    def start(self, stack: TransportStack) -> None:
        """Once DTLS is connected and after each negotiation: key SRTP (first time), start
        the streams whose direction was agreed and pause the senders whose direction no
        longer sends."""
        for transceiver in self.transceivers:
            if not transceiver._sending:
                transceiver.sender._pause()  # e.g. renegotiated to recvonly or inactive
        negotiated = [
            t
            for t in self.transceivers
            if t.currentDirection in ("sendrecv", "sendonly", "recvonly")
        ]
        if not negotiated or stack.dtls is None or not stack.dtls.is_established:
            return
        if self.transport is None:
            keys = stack.dtls.srtp_keying_material()
            if keys is None:
                logger.warning("DTLS negotiated no SRTP profile: media cannot be sent")
                return
            extmap: dict[int, str] = {}
            for transceiver in negotiated:
                extmap.update(self._state(transceiver).extensions)
            self.transport = MediaTransport(keys, HeaderExtensionsMap(extmap))
        if self.estimator is None:  # video may come with a later negotiation
            ceiling = max(
                (t.sender._bitrate_ceiling for t in self.transceivers if t.kind == "video"),
                default=0,
            )
            if ceiling:
                self.estimator = GccEstimator(
                    ceiling, minimum=min(MIN_VIDEO_BITRATE, ceiling), maximum=ceiling
                )
        transport = self.transport
        for transceiver in negotiated:
            state = self._state(transceiver)
            if transceiver._sending:
                transceiver.sender._start(self._pc, transport, transceiver.mid)
            if transceiver._receiving and state.remote_ssrc is not None:
                receiver = transceiver.receiver
                receiver._start(
                    transport, state.remote_ssrc, state.remote_rtx_ssrc, transceiver.sender.ssrc
                )
                self._receivers[state.remote_ssrc] = receiver

    def receive(self, data: bytes, now: float) -> None:
        """An SRTP/SRTCP datagram from the transport."""
        if self.transport is not None:
            self.transport.receive(data, now)

    def get_timer(self) -> float | None:
        return None if self.transport is None else self.transport.get_timer()

    def handle_timer(self, now: float) -> None:
        if self.transport is not None:
            self.transport.handle_timer(now)

    def flush(self, stack: TransportStack, now: float) -> None:
        """Deliver decoded frames and keyframe requests, then hand the protected datagrams
        to the selected ICE pair."""
        transport = self.transport
        if transport is None:
            return
        while (event := transport.next_event()) is not None:
            if isinstance(event, MediaFrameReceived):
                receiver = self._receivers.get(event.ssrc)
                if receiver is not None:
                    receiver._deliver(event.data, event.timestamp, event.keyframe, now)
            elif isinstance(event, ByeReceived):
                receiver = self._receivers.get(event.ssrc)
                if receiver is not None:
                    receiver.track.stop()  # the remote source left: the track ends
            elif isinstance(event, KeyframeRequested):
                for transceiver in self.transceivers:
                    if transceiver.sender.ssrc == event.ssrc:
                        transceiver.sender._keyframe_requested()
            elif self.estimator is not None:
                self._estimate(self.estimator, event, now)
        datagrams = transport.datagrams_to_send(now)
        try:
            stack.send(datagrams, now)
        except IceError:  # no usable pair: the agent refuses every datagram alike
            self.send_errors += len(datagrams)

    def _estimate(self, estimator: LossBasedEstimator, event: object, now: float) -> None:
        """Feed the bandwidth estimator; a new target goes to every video sender."""
        if isinstance(event, ReceiverReportReceived):
            if any(t.sender.ssrc == event.ssrc and t.kind == "video" for t in self.transceivers):
                estimator.receiver_report(event.fraction_lost, now)
        elif isinstance(event, TransportFeedbackReceived):
            estimator.transport_feedback(event.packets, now)
        elif isinstance(event, BitrateEstimateReceived):
            estimator.remb(event.bitrate, now)
        else:
            return
        target = estimator.target
        if target != self._applied_estimate:
            self._applied_estimate = target
            for transceiver in self.transceivers:
                if transceiver.kind == "video":
                    transceiver.sender._bandwidth_estimate(target)

    def close(self) -> None:
        """Stop every sender's pipeline and end the remote tracks."""
        for transceiver in self.transceivers:
            transceiver.sender._stop()
            transceiver.receiver._stop()
