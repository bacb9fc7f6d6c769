"""``getStats()``: W3C webrtc-stats objects (https://www.w3.org/TR/webrtc-stats/).

Types: ``peer-connection``, ``transport``, ``candidate-pair``, ``local-candidate``,
``remote-candidate``, ``certificate``, ``data-channel``, ``codec``, ``inbound-rtp``,
``outbound-rtp``, ``remote-inbound-rtp``, ``remote-outbound-rtp``, ``media-source``. Each
object is a dataclass with the W3C member names; the report is a ``dict`` from ``id`` to
object, like aiortc's.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyrtc.dtls import CipherSuite, certificate_fingerprint
from pyrtc.dtls.suites import SrtpProfile
from pyrtc.ice import Candidate

if TYPE_CHECKING:
    from pyrtc.pc.peerconnection import RTCPeerConnection
    from pyrtc.pc.rtp import RTCRtpSender


@dataclass
class RTCStats:
    id: str
    type: str
    timestamp: float


@dataclass
class RTCPeerConnectionStats(RTCStats):
    dataChannelsOpened: int
    dataChannelsClosed: int


@dataclass
class RTCTransportStats(RTCStats):
    packetsSent: int
    packetsReceived: int
    bytesSent: int
    bytesReceived: int
    iceRole: str
    iceLocalUsernameFragment: str
    iceState: str
    dtlsState: str
    dtlsRole: str
    tlsVersion: str | None
    dtlsCipher: str | None
    srtpCipher: str | None
    selectedCandidatePairId: str | None
    localCertificateId: str | None
    remoteCertificateId: str | None


@dataclass
class RTCIceCandidatePairStats(RTCStats):
    transportId: str
    localCandidateId: str
    remoteCandidateId: str
    state: str
    nominated: bool
    currentRoundTripTime: float | None
    """Smoothed RTT measured by SCTP on this pair (seconds); ``None`` before a sample."""


@dataclass
class RTCIceCandidateStats(RTCStats):
    transportId: str
    address: str
    port: int
    protocol: str
    candidateType: str
    priority: int
    foundation: str


@dataclass
class RTCCertificateStats(RTCStats):
    fingerprint: str
    fingerprintAlgorithm: str
    base64Certificate: str


@dataclass
class RTCDataChannelStats(RTCStats):
    label: str
    protocol: str
    dataChannelIdentifier: int | None
    state: str
    messagesSent: int
    bytesSent: int
    messagesReceived: int
    bytesReceived: int


class RTCStatsReport(dict[str, RTCStats]):
    """The result of ``getStats()``: ``id`` -> stats object."""

    def of_type(self, kind: str) -> list[RTCStats]:
        """Every object of one ``type`` (pyrtc extension)."""
        return [s for s in self.values() if s.type == kind]


@dataclass
class RTCCodecStats(RTCStats):
    transportId: str
    payloadType: int
    mimeType: str
    clockRate: int
    channels: int | None
    sdpFmtpLine: str


@dataclass
class RTCRtpStreamStats(RTCStats):
    """One RTP stream (``inbound-rtp``, ``outbound-rtp``, ``remote-inbound-rtp`` or
    ``remote-outbound-rtp``); the counters of :mod:`pyrtc.rtpsession` (W3C names such as
    ``packetsSent``, ``framesDecoded``, ``roundTripTime``) read as attributes too."""

    ssrc: int
    kind: str
    transportId: str
    codecId: str | None
    counters: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        counters = self.__dict__.get("counters", {})
        if name in counters:
            return counters[name]
        raise AttributeError(name)


@dataclass
class RTCMediaSourceStats(RTCStats):
    """A local track a sender takes frames from (W3C webrtc-stats section 8.6-8.8): video
    ``frames``, ``width``, ``height``; audio ``audioLevel`` (linear 0..1, the latest 20 ms),
    ``totalAudioEnergy`` and ``totalSamplesDuration`` (seconds)."""

    trackIdentifier: str
    kind: str
    frames: int | None = None
    width: int | None = None
    height: int | None = None
    audioLevel: float | None = None
    totalAudioEnergy: float | None = None
    totalSamplesDuration: float | None = None


def _add_media_source(report: RTCStatsReport, sender: RTCRtpSender, stamp: float) -> str | None:
    """The ``media-source`` of a sender's track; its id (``None`` without a track)."""
    track = sender.track
    if track is None:
        return None
    sid = f"SO{sender.ssrc}"
    source = RTCMediaSourceStats(sid, "media-source", stamp, track.id, sender.kind)
    if sender.kind == "video":
        source.frames = sender.source_frames
        if sender.source_size is not None:
            source.width, source.height = sender.source_size
    else:
        source.audioLevel = sender.audio_level
        source.totalAudioEnergy = sender.total_audio_energy
        source.totalSamplesDuration = sender.source_duration
    report[sid] = source
    return sid


def _add_rtp(report: RTCStatsReport, pc: RTCPeerConnection, stamp: float, transport: str) -> None:
    """The codec, RTP stream and media-source objects of every running sender and
    receiver."""
    for transceiver in pc.getTransceivers():
        kind = transceiver.kind
        source_id = _add_media_source(report, transceiver.sender, stamp)
        for source in (transceiver.sender, transceiver.receiver):
            codecs = source._codecs
            streams = source.getStats()
            if not codecs or not streams:
                continue
            codec = codecs[0]
            codec_id = f"CO{transport}{codec.payload_type}"
            report[codec_id] = RTCCodecStats(
                codec_id,
                "codec",
                stamp,
                transport,
                codec.payload_type,
                f"{kind}/{codec.name}",
                codec.clock_rate,
                codec.channels,
                codec.parameters.format(),
            )
            for stream in streams:
                values = dict(stream)
                kind_name, ssrc = values.pop("type"), values.pop("ssrc")
                if kind_name == "outbound-rtp" and source_id is not None:
                    values["mediaSourceId"] = source_id
                sid = f"{kind_name}-{ssrc}"
                report[sid] = RTCRtpStreamStats(
                    sid, kind_name, stamp, ssrc, kind, transport, codec_id, values
                )


def _candidate_id(prefix: str, candidate: Candidate) -> str:
    return f"{prefix}_{candidate.foundation}_{candidate.address}_{candidate.port}"


def _certificate(report: RTCStatsReport, stamp: float, der: bytes, name: str) -> str:
    fingerprint = certificate_fingerprint(der, "sha-256")
    report[name] = RTCCertificateStats(
        name,
        "certificate",
        stamp,
        fingerprint.value,
        "sha-256",
        base64.b64encode(der).decode(),
    )
    return name


def collect(pc: RTCPeerConnection) -> RTCStatsReport:
    """Build the report for ``pc``."""
    stamp = time.time() * 1000.0  # W3C: DOMHighResTimeStamp in milliseconds
    report = RTCStatsReport()
    report["P"] = RTCPeerConnectionStats(
        "P", "peer-connection", stamp, pc._channels_opened, pc._channels_closed
    )
    for channel in pc._channels.values():
        sid = f"D{channel.id}"
        report[sid] = RTCDataChannelStats(
            sid,
            "data-channel",
            stamp,
            channel.label,
            channel.protocol,
            channel.id,
            channel.readyState,
            channel.messages_sent,
            channel.bytes_sent,
            channel.messages_received,
            channel.bytes_received,
        )
    stack = pc._stack
    if stack is None:
        return report
    agent = stack.agent
    transport_id = "T0"
    for candidate in agent.local_candidates:
        _add_candidate(report, stamp, "local-candidate", "L", candidate, transport_id)
    for candidate in agent.remote_candidates:
        _add_candidate(report, stamp, "remote-candidate", "R", candidate, transport_id)
    pair_id = None
    selected = agent.selected_pair
    if selected is not None:
        local, remote = selected
        local_id = _add_candidate(report, stamp, "local-candidate", "L", local, transport_id)
        remote_id = _add_candidate(report, stamp, "remote-candidate", "R", remote, transport_id)
        pair_id = f"CP{local_id}-{remote_id}"
        srtt = None
        if stack.channels is not None:
            srtt = stack.channels.association.stats().srtt
        report[pair_id] = RTCIceCandidatePairStats(
            pair_id,
            "candidate-pair",
            stamp,
            transport_id,
            local_id,
            remote_id,
            "succeeded",
            True,
            srtt,
        )
    local_cert = _certificate(report, stamp, stack.certificate.der, "CERTlocal")
    remote_cert = None
    if stack.peer_certificate is not None:
        remote_cert = _certificate(report, stamp, stack.peer_certificate, "CERTremote")
    dtls = stack.dtls
    suite = None if dtls is None else dtls.cipher_suite
    report[transport_id] = RTCTransportStats(
        transport_id,
        "transport",
        stamp,
        stack.packets_sent,
        stack.packets_received,
        stack.bytes_sent,
        stack.bytes_received,
        "controlling" if agent.controlling else "controlled",
        agent.local_username,
        agent.state,
        stack.dtls_state,
        stack.dtls_role or "unknown",
        "FEFD" if suite is not None else None,
        None if suite is None else f"TLS_{_name(CipherSuite, suite)}",
        None if stack.srtp_profile is None else _name(SrtpProfile, stack.srtp_profile),
        pair_id,
        local_cert,
        remote_cert,
    )
    _add_rtp(report, pc, stamp, transport_id)
    return report


def _name(enum: type[CipherSuite] | type[SrtpProfile], value: int) -> str:
    try:
        return enum(value).name
    except ValueError:
        return f"0x{value:04x}"


def _add_candidate(
    report: RTCStatsReport,
    stamp: float,
    kind: str,
    prefix: str,
    candidate: Candidate,
    transport_id: str,
) -> str:
    cid = _candidate_id(prefix, candidate)
    report[cid] = RTCIceCandidateStats(
        cid,
        kind,
        stamp,
        transport_id,
        candidate.address,
        candidate.port,
        candidate.transport,
        candidate.type,
        candidate.priority,
        candidate.foundation,
    )
    return cid
