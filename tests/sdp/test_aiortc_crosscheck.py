"""Cross-check with aiortc's SDP parser on the browser fixtures: same typed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiortc import sdp as aiortc_sdp

from pyrtc.sdp import SessionDescription

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.sdp"))


def both(path: Path) -> tuple[SessionDescription, Any]:
    text = path.read_bytes().decode()
    return SessionDescription.parse(text), aiortc_sdp.SessionDescription.parse(text)


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_session_level(path: Path) -> None:
    ours, theirs = both(path)
    assert ours.origin.text == theirs.origin
    assert ours.name == theirs.name
    assert [(g.semantics, list(g.mids)) for g in ours.groups] == [
        (g.semantic, [str(item) for item in g.items]) for g in theirs.group
    ]
    assert [(s.semantic, list(s.identifiers)) for s in ours.msid_semantics] == [
        (s.semantic, s.items) for s in theirs.msid_semantic
    ]
    assert len(ours.media) == len(theirs.media)


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_media_sections(path: Path) -> None:
    ours, theirs = both(path)
    for media, other in zip(ours.media, theirs.media, strict=True):
        assert (media.kind, media.port, media.protocol) == (other.kind, other.port, other.profile)
        assert media.mid == other.rtp.muxId
        assert media.direction == other.direction
        assert media.rtcp_mux == other.rtcp_mux
        assert list(ours.effective_ice_options(media)) == other.ice_options.split()
        assert media.sctp_port == other.sctp_port
        if other.sctpCapabilities is not None:
            assert media.max_message_size == other.sctpCapabilities.maxMessageSize
        assert [(e.id, e.uri) for e in media.extmaps] == [
            (e.id, e.uri) for e in other.rtp.headerExtensions
        ]
        msid = media.msids[0].format_value() if media.msids else None
        assert msid == other.msid


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_codecs(path: Path) -> None:
    ours, theirs = both(path)
    compared = 0
    for media, other in zip(ours.media, theirs.media, strict=True):
        assert media.formats == [str(fmt) for fmt in other.fmt]
        mine = [
            (
                f"{media.kind}/{codec.name}",
                codec.payload_type,
                codec.clock_rate,
                # aiortc reads a missing audio channel count as 1
                codec.channels or (1 if media.kind == "audio" else None),
                dict(codec.parameters),
                [(fb.type, fb.parameter) for fb in codec.feedback],
            )
            for codec in media.codecs
        ]
        reference = [
            (
                codec.mimeType,
                codec.payloadType,
                codec.clockRate,
                codec.channels,
                # aiortc turns numeric values into int
                {k: None if v is None else str(v) for k, v in codec.parameters.items()},
                [(fb.type, fb.parameter) for fb in codec.rtcpFeedback],
            )
            for codec in other.rtp.codecs
        ]
        assert mine == reference
        compared += len(mine)
    assert compared > 0


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_transport_parameters(path: Path) -> None:
    ours, theirs = both(path)
    for media, other in zip(ours.media, theirs.media, strict=True):
        credentials = ours.effective_ice_credentials(media)
        assert credentials is not None
        assert (credentials.ufrag, credentials.password) == (
            other.ice.usernameFragment,
            other.ice.password,
        )
        assert [(f.hash_function, f.fingerprint) for f in ours.effective_fingerprints(media)] == [
            (f.algorithm, f.value) for f in other.dtls.fingerprints
        ]
        role = {"actpass": "auto", "active": "client", "passive": "server"}
        assert role[ours.effective_setup(media) or "actpass"] == other.dtls.role
        mine = [
            (c.foundation, c.component, c.transport, c.priority, c.address, c.port)
            for c in media.candidates
        ]
        reference = [
            (c.foundation, c.component, c.protocol.lower(), c.priority, c.ip, c.port)
            for c in other.ice_candidates
        ]
        assert mine == reference
        assert [
            (c.type, c.related_address, c.related_port, c.tcptype) for c in media.candidates
        ] == [(c.type, c.relatedAddress, c.relatedPort, c.tcpType) for c in other.ice_candidates]
        assert media.end_of_candidates == other.ice_candidates_complete
        assert [(s.semantics, list(s.ssrcs)) for s in media.ssrc_groups] == [
            (g.semantic, g.items) for g in other.ssrc_group
        ]
        assert [(ssrc, info.get("cname")) for ssrc, info in media.ssrcs.items()] == [
            (s.ssrc, s.cname) for s in other.ssrc
        ]
