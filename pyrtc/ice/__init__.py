"""ICE building blocks (RFC 8445): candidates, pairing math, server URLs, mDNS resolution.

The connectivity-check agent is :class:`pyrtc.ice.agent.Agent` (sans-I/O); its asyncio shell is
:class:`pyrtc.net.ice.Connection`. Relayed candidates come from :mod:`pyrtc.turn`.
"""

from pyrtc.ice.agent import Agent, AgentStats, IceError
from pyrtc.ice.candidate import CANDIDATE_TYPES, TCP_TYPES, Candidate, CandidateError
from pyrtc.ice.checklist import Checklist, CheckPair, PairState
from pyrtc.ice.dns import DnsError
from pyrtc.ice.events import (
    CandidateGathered,
    DataReceived,
    GatheringStateChanged,
    RoleChanged,
    SelectedPairChanged,
    StateChanged,
    Transmit,
)
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
from pyrtc.ice.relay import TurnServer
from pyrtc.ice.urls import IceServerUrl, IceUrlError, RTCIceServer, parse_ice_server_url

__all__ = [
    "CANDIDATE_TYPES",
    "MAX_CHECKLIST_PAIRS",
    "MAX_LOCAL_PREFERENCE",
    "MDNS_IPV4_GROUP",
    "MDNS_IPV6_GROUP",
    "TCP_TYPES",
    "TYPE_PREFERENCES",
    "Agent",
    "AgentStats",
    "Candidate",
    "CandidateError",
    "CandidateGathered",
    "CandidatePair",
    "CheckPair",
    "Checklist",
    "DataReceived",
    "DnsError",
    "GatheringStateChanged",
    "IceError",
    "IceServerUrl",
    "IceUrlError",
    "MdnsFailed",
    "MdnsResolved",
    "MdnsResolver",
    "PairState",
    "RTCIceServer",
    "RoleChanged",
    "SelectedPairChanged",
    "StateChanged",
    "Transmit",
    "TurnServer",
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
