"""A UDP NAT with the mapping and filtering behaviours of RFC 4787.

Mapping behaviour (RFC 4787 section 4.1) decides when an internal address ``X:x`` reuses its
external port: for every destination (``endpoint-independent``), per destination IP
(``address-dependent``) or per destination IP and port (``address-and-port-dependent``, the
"symmetric NAT"). Filtering behaviour (section 5) decides which outside sources may send to
that external port: anyone (``endpoint-independent``), IPs the internal host has sent to
(``address-dependent``) or exact addresses it has sent to (``address-and-port-dependent``).

A mapping lives ``mapping_timeout`` seconds after the last outbound datagram through it
(REQ-5/REQ-6: only outbound traffic refreshes it); the filter permissions of a mapping age
the same way. Ports come from ``port_range`` in sequence starting at a random offset, so port
preservation is never assumed. Hairpinning (section 6) is optional.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from pyrtc.sansio import Address
from pyrtc.sim.errors import SimError
from pyrtc.sim.stats import DropReason

Behaviour = Literal["endpoint-independent", "address-dependent", "address-and-port-dependent"]
_BEHAVIOURS = ("endpoint-independent", "address-dependent", "address-and-port-dependent")


@dataclass(eq=False)
class Mapping:
    """One binding of an internal address to an external port."""

    internal: Address
    external: Address
    expires: float
    key: tuple[Address, str | Address | None] = field(repr=False)
    sent_to: dict[Address, float] = field(default_factory=dict)
    """Last outbound time per remote address (drives filtering)."""


class Nat:
    """A NAT with one public IP; hosts are placed behind it with ``add_endpoint(behind=nat)``.

    ``behaviour`` sets both mapping and filtering; ``mapping`` / ``filtering`` override one of
    them (the common home router is ``mapping="endpoint-independent",
    filtering="address-and-port-dependent"``, a "port-restricted cone").
    """

    def __init__(
        self,
        public_ip: str,
        behaviour: Behaviour = "endpoint-independent",
        *,
        mapping: Behaviour | None = None,
        filtering: Behaviour | None = None,
        mapping_timeout: float = 30.0,
        port_range: tuple[int, int] = (49152, 65535),
        hairpin: bool = False,
    ) -> None:
        self.public_ip = public_ip
        self.mapping_behaviour: Behaviour = mapping or behaviour
        self.filtering_behaviour: Behaviour = filtering or behaviour
        for value in (self.mapping_behaviour, self.filtering_behaviour):
            if value not in _BEHAVIOURS:
                raise SimError(f"unknown NAT behaviour {value!r}; use one of {_BEHAVIOURS}")
        if mapping_timeout <= 0:
            raise SimError("mapping_timeout must be > 0")
        low, high = port_range
        if not 1 <= low <= high <= 65535:
            raise SimError(f"bad port_range {port_range!r}")
        self.mapping_timeout = mapping_timeout
        self.port_range = port_range
        self.hairpin = hairpin
        self._by_key: dict[tuple[Address, str | Address | None], Mapping] = {}
        self._by_port: dict[int, Mapping] = {}
        self._rng = random.Random(0)
        self._next_port = low

    @property
    def mappings(self) -> list[Mapping]:
        """Mappings currently held (expired ones disappear when next looked at)."""
        return list(self._by_port.values())

    def _seed(self, rng: random.Random) -> None:
        low, high = self.port_range
        self._rng = rng
        self._next_port = rng.randint(low, high)

    def _key(self, internal: Address, remote: Address) -> tuple[Address, str | Address | None]:
        if self.mapping_behaviour == "endpoint-independent":
            return (internal, None)
        if self.mapping_behaviour == "address-dependent":
            return (internal, remote[0])
        return (internal, remote)

    def _live(self, mapping: Mapping | None, now: float) -> Mapping | None:
        if mapping is None or now < mapping.expires:
            return mapping
        del self._by_port[mapping.external[1]]
        del self._by_key[mapping.key]
        return None

    def _allocate_port(self, now: float) -> int | None:
        low, high = self.port_range
        for _ in range(high - low + 1):
            port = self._next_port
            self._next_port = low if port == high else port + 1
            if self._live(self._by_port.get(port), now) is None:
                return port
        return None

    def outbound(self, internal: Address, remote: Address, now: float) -> Address | None:
        """Translate a datagram from ``internal`` to ``remote``: the external source address,
        or ``None`` when no port is free. Creates or refreshes the mapping."""
        key = self._key(internal, remote)
        mapping = self._live(self._by_key.get(key), now)
        if mapping is None:
            port = self._allocate_port(now)
            if port is None:
                return None
            mapping = Mapping(internal, (self.public_ip, port), now, key)
            self._by_key[key] = mapping
            self._by_port[port] = mapping
        mapping.expires = now + self.mapping_timeout
        mapping.sent_to[remote] = now
        return mapping.external

    def inbound(self, remote: Address, port: int, now: float) -> Address | DropReason:
        """Translate a datagram from ``remote`` to ``public_ip:port``: the internal address,
        or why the NAT drops it."""
        mapping = self._live(self._by_port.get(port), now)
        if mapping is None:
            return "nat-no-mapping"
        horizon = now - self.mapping_timeout
        if self.filtering_behaviour == "address-and-port-dependent":
            allowed = mapping.sent_to.get(remote, horizon) > horizon
        elif self.filtering_behaviour == "address-dependent":
            allowed = any(
                addr[0] == remote[0] and at > horizon for addr, at in mapping.sent_to.items()
            )
        else:
            allowed = True
        return mapping.internal if allowed else "nat-filtered"

    def __repr__(self) -> str:
        return (
            f"Nat({self.public_ip!r}, mapping={self.mapping_behaviour!r}, "
            f"filtering={self.filtering_behaviour!r}, mappings={len(self._by_port)})"
        )
