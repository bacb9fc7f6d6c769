"""ICE building blocks (RFC 8445): candidates, pairing math, server URLs, mDNS resolution.

The connectivity-check agent itself (RFC 8445 sections 6-8) and the TURN client are not here yet.
"""

from pyrtc.ice.candidate import CANDIDATE_TYPES, TCP_TYPES, Candidate, CandidateError

__all__ = ["CANDIDATE_TYPES", "TCP_TYPES", "Candidate", "CandidateError"]
