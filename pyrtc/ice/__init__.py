"""ICE building blocks (RFC 8445): candidates, pairing math, server URLs, mDNS resolution.

The connectivity-check agent itself (RFC 8445 sections 6-8) and the TURN client are not here yet.
"""

from pyrtc.ice.candidate import CANDIDATE_TYPES, TCP_TYPES, Candidate, CandidateError
from pyrtc.ice.dns import DnsError
from pyrtc.ice.mdns import (
    MDNS_IPV4_GROUP,
    MDNS_IPV6_GROUP,
    MdnsFailed,
    MdnsResolved,
    MdnsResolver,
    is_mdns_name,
)
from pyrtc.ice.pairs import (
    MAX_CHECKLIST_PAIRS,
    CandidatePair,
    can_pair,
    candidate_base,
    form_checklist,
    pair_priority,
)
from pyrtc.ice.priority import (
    MAX_LOCAL_PREFERENCE,
    TYPE_PREFERENCES,
    candidate_foundation,
    candidate_priority,
    local_preferences,
)
from pyrtc.ice.urls import IceServerUrl, IceUrlError, RTCIceServer, parse_ice_server_url

__all__ = [
    "CANDIDATE_TYPES",
    "MAX_CHECKLIST_PAIRS",
    "MAX_LOCAL_PREFERENCE",
    "MDNS_IPV4_GROUP",
    "MDNS_IPV6_GROUP",
    "TCP_TYPES",
    "TYPE_PREFERENCES",
    "Candidate",
    "CandidateError",
    "CandidatePair",
    "DnsError",
    "IceServerUrl",
    "IceUrlError",
    "MdnsFailed",
    "MdnsResolved",
    "MdnsResolver",
    "RTCIceServer",
    "can_pair",
    "candidate_base",
    "candidate_foundation",
    "candidate_priority",
    "form_checklist",
    "is_mdns_name",
    "local_preferences",
    "pair_priority",
    "parse_ice_server_url",
]
