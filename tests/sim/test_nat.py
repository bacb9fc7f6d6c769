"""RFC 4787 NAT behaviours of pyrtc.sim: mapping, filtering, timeouts, hairpinning."""

from __future__ import annotations

import pytest

from pyrtc.sansio import Address
from pyrtc.sim import Nat, SimError, Simulator
from tests.sim.helpers import Recorder

PRIVATE = ("10.0.0.2", 4000)  # RFC 1918 inside the NAT; never leaves the simulator
PRIVATE_2 = ("10.0.0.3", 4000)
PUBLIC_IP = "203.0.113.1"
STUN_1 = ("198.51.100.10", 3478)
STUN_1_OTHER_PORT = ("198.51.100.10", 3479)
STUN_2 = ("198.51.100.20", 3478)
PEER = ("192.0.2.7", 7000)


class Reflector(Recorder):
    """A toy STUN server: answers every datagram with the source address it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Address] = []

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        self.seen.append(addr)
        self.outbox.append((f"{addr[0]} {addr[1]}".encode(), addr))


class Client(Reflector):
    """Records what it receives instead of answering."""

    def __init__(self) -> None:
        super().__init__()
        self.got: list[tuple[bytes, Address]] = []

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        self.got.append((data, addr))


def _world(
    behaviour: str = "endpoint-independent", **nat_options: object
) -> tuple[Simulator, Nat, Client, dict[Address, Reflector]]:
    sim = Simulator(seed=3)
    nat = Nat(PUBLIC_IP, behaviour, **nat_options)  # type: ignore[arg-type]
    client = Client()
    sim.add_endpoint(PRIVATE, client, behind=nat)
    servers = {addr: Reflector() for addr in (STUN_1, STUN_1_OTHER_PORT, STUN_2, PEER)}
    for addr, server in servers.items():
        sim.add_endpoint(addr, server)
    return sim, nat, client, servers


def _mapped(sim: Simulator, client: Client, server: Address) -> Address:
    """Ask a reflector for our server-reflexive address."""
    before = len(client.got)
    client.outbox.append((b"binding", server))
    assert sim.run(until=lambda: len(client.got) > before, timeout=1.0)
    data, source = client.got[-1]
    assert source == server
    host, port = data.decode().split()
    return host, int(port)


def test_endpoint_independent_mapping_reuses_the_port_for_every_destination() -> None:
    sim, nat, client, _ = _world("endpoint-independent")
    first = _mapped(sim, client, STUN_1)
    assert first[0] == PUBLIC_IP and first != PRIVATE
    assert _mapped(sim, client, STUN_2) == first
    assert _mapped(sim, client, STUN_1_OTHER_PORT) == first
    assert len(nat.mappings) == 1 and nat.mappings[0].internal == PRIVATE


def test_address_dependent_mapping_is_per_destination_ip() -> None:
    sim, nat, client, _ = _world("address-dependent")
    first = _mapped(sim, client, STUN_1)
    assert _mapped(sim, client, STUN_1_OTHER_PORT) == first
    assert _mapped(sim, client, STUN_2) != first
    assert len(nat.mappings) == 2


def test_symmetric_nat_gives_every_destination_its_own_port() -> None:
    sim, nat, client, _ = _world("address-and-port-dependent")
    mapped = {_mapped(sim, client, server) for server in (STUN_1, STUN_1_OTHER_PORT, STUN_2)}
    assert len(mapped) == 3 and len(nat.mappings) == 3


@pytest.mark.parametrize(
    ("filtering", "same_ip_other_port", "other_ip"),
    [
        ("endpoint-independent", True, True),
        ("address-dependent", True, False),
        ("address-and-port-dependent", False, False),
    ],
)
def test_filtering_behaviours(filtering: str, same_ip_other_port: bool, other_ip: bool) -> None:
    sim, _, client, servers = _world(mapping="endpoint-independent", filtering=filtering)
    mapped = _mapped(sim, client, STUN_1)
    servers[STUN_1_OTHER_PORT].outbox.append((b"from other port", mapped))
    servers[PEER].outbox.append((b"from other ip", mapped))
    sim.run_for(1.0)
    got = {data for data, _ in client.got}
    assert (b"from other port" in got) is same_ip_other_port
    assert (b"from other ip" in got) is other_ip
    expected_filtered = (not same_ip_other_port) + (not other_ip)
    assert sim.stats.drops["nat-filtered"] == expected_filtered


def test_symmetric_nat_srflx_from_a_server_is_useless_to_another_peer() -> None:
    sim, _, client, servers = _world("address-and-port-dependent")
    srflx = _mapped(sim, client, STUN_1)
    client.outbox.append((b"hello peer", PEER))  # opens a *different* mapping towards PEER
    sim.run_for(0.1)
    assert servers[PEER].seen[-1] != srflx
    servers[PEER].outbox.append((b"to srflx", srflx))
    sim.run_for(0.1)
    assert all(data != b"to srflx" for data, _ in client.got)
    assert sim.stats.drops["nat-filtered"] == 1
    # the address the peer actually saw works
    servers[PEER].outbox.append((b"to mapping", servers[PEER].seen[-1]))
    sim.run_for(0.1)
    assert client.got[-1] == (b"to mapping", PEER)


def test_full_cone_srflx_works_for_any_peer() -> None:
    sim, _, client, servers = _world("endpoint-independent")
    srflx = _mapped(sim, client, STUN_1)
    servers[PEER].outbox.append((b"hi", srflx))
    sim.run_for(0.1)
    assert client.got[-1] == (b"hi", PEER)


def test_mapping_expires_after_the_timeout_without_outbound_traffic() -> None:
    sim, nat, client, servers = _world("endpoint-independent", mapping_timeout=30.0)
    mapped = _mapped(sim, client, STUN_1)  # outbound at t=0
    sim.call_at(20.0, lambda: client.outbox.append((b"keepalive", STUN_2)))  # refresh
    sim.call_at(45.0, lambda: servers[PEER].outbox.append((b"still open", mapped)))
    sim.call_at(50.5, lambda: servers[PEER].outbox.append((b"too late", mapped)))
    sim.run_for(60.0)
    got = [data for data, _ in client.got]
    assert b"still open" in got and b"too late" not in got
    assert sim.stats.drops["nat-no-mapping"] == 1
    assert nat.mappings == []
    # inbound traffic does not refresh a mapping (RFC 4787 REQ-6 leaves it optional)
    new = _mapped(sim, client, STUN_1)
    assert new != mapped  # ports are not reused at once after expiry


def test_filter_permissions_expire_with_the_mapping_timeout() -> None:
    sim, _, client, servers = _world(
        mapping="endpoint-independent", filtering="address-dependent", mapping_timeout=10.0
    )
    mapped = _mapped(sim, client, STUN_1)
    sim.call_at(8.0, lambda: client.outbox.append((b"keepalive", STUN_2)))
    sim.call_at(12.0, lambda: servers[STUN_1].outbox.append((b"stale permission", mapped)))
    sim.call_at(12.0, lambda: servers[STUN_2].outbox.append((b"fresh permission", mapped)))
    sim.run_for(13.0)
    got = [data for data, _ in client.got]
    assert b"fresh permission" in got and b"stale permission" not in got


def test_unsolicited_inbound_and_private_addresses_are_unreachable() -> None:
    sim, _, client, servers = _world()
    servers[PEER].outbox.append((b"knock", (PUBLIC_IP, 50000)))
    servers[PEER].outbox.append((b"direct", PRIVATE))
    sim.run_for(1.0)
    assert client.got == []
    assert sim.stats.drops["nat-no-mapping"] == 1
    assert sim.stats.drops["unroutable"] == 1


def test_hosts_behind_the_same_nat_talk_directly() -> None:
    sim, nat, client, _ = _world()
    neighbour = Reflector()
    sim.add_endpoint(PRIVATE_2, neighbour, behind=nat)
    client.outbox.append((b"lan", PRIVATE_2))
    sim.run_for(0.1)
    assert neighbour.seen == [PRIVATE]
    assert client.got == [(b"10.0.0.2 4000", PRIVATE_2)]
    assert nat.mappings == []


def test_hairpinning_is_optional() -> None:
    for hairpin in (False, True):
        sim, nat, client, _ = _world(hairpin=hairpin)
        neighbour = Client()
        sim.add_endpoint(PRIVATE_2, neighbour, behind=nat)
        neighbour_mapped = _mapped(sim, neighbour, STUN_1)
        client.outbox.append((b"via public address", neighbour_mapped))
        sim.run_for(0.1)
        if hairpin:
            data, source = neighbour.got[-1]
            assert data == b"via public address" and source[0] == PUBLIC_IP
        else:
            assert sim.stats.drops["nat-hairpin"] == 1
            assert neighbour.got[-1][0] != b"via public address"


def test_port_exhaustion_drops() -> None:
    sim, _, client, _ = _world("address-and-port-dependent", port_range=(50000, 50001))
    ports = {_mapped(sim, client, STUN_1)[1], _mapped(sim, client, STUN_2)[1]}
    assert ports == {50000, 50001}
    client.outbox.append((b"third", PEER))
    sim.run_for(0.1)
    assert sim.stats.drops["nat-exhausted"] == 1


def test_nat_misconfiguration_is_rejected() -> None:
    with pytest.raises(SimError):
        Nat(PUBLIC_IP, "full-cone")  # type: ignore[arg-type]
    with pytest.raises(SimError):
        Nat(PUBLIC_IP, port_range=(0, 10))
    with pytest.raises(SimError):
        Nat(PUBLIC_IP, mapping_timeout=0.0)
    sim, _, _, _ = _world()
    with pytest.raises(SimError):
        sim.add_endpoint((PUBLIC_IP, 1000), Reflector())
    with pytest.raises(SimError):
        sim.add_endpoint((PRIVATE[0], 4001), Reflector())  # host already behind the NAT
    with pytest.raises(SimError):
        sim.add_nat(Nat(PUBLIC_IP))
    assert sim.add_nat(Nat("203.0.113.2")).public_ip == "203.0.113.2"


class IcePeer(Client):
    """Answers every connectivity check to the address it came from (a triggered response,
    which is how ICE learns peer-reflexive addresses)."""

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        super().receive(data, addr, now)
        if data == b"check":
            self.outbox.append((b"response", addr))


FULL_CONE = {"behaviour": "endpoint-independent"}
RESTRICTED_CONE = {"mapping": "endpoint-independent", "filtering": "address-dependent"}
PORT_RESTRICTED = {"mapping": "endpoint-independent", "filtering": "address-and-port-dependent"}
SYMMETRIC = {"behaviour": "address-and-port-dependent"}


@pytest.mark.parametrize(
    ("nat_a", "nat_b", "connects"),
    [
        (FULL_CONE, SYMMETRIC, True),
        (RESTRICTED_CONE, SYMMETRIC, True),
        (PORT_RESTRICTED, PORT_RESTRICTED, True),
        (PORT_RESTRICTED, SYMMETRIC, False),
        (SYMMETRIC, SYMMETRIC, False),
    ],
)
def test_hole_punching_between_two_nats(
    nat_a: dict[str, str], nat_b: dict[str, str], connects: bool
) -> None:
    """Both peers learn their srflx from one STUN server, then send checks to each other's
    srflx and answer checks where they came from: the classic NAT traversal matrix."""
    sim = Simulator(seed=11)
    sim.add_endpoint(STUN_1, Reflector())
    peers = []
    for private, public, options in (
        (("10.0.0.2", 4000), "203.0.113.1", nat_a),
        (("10.1.0.2", 4000), "203.0.113.2", nat_b),
    ):
        peer = IcePeer()
        sim.add_endpoint(private, peer, behind=Nat(public, **options))  # type: ignore[arg-type]
        peers.append(peer)
    a, b = peers
    srflx_a, srflx_b = _mapped(sim, a, STUN_1), _mapped(sim, b, STUN_1)
    for _ in range(3):  # a few rounds, like ICE retransmissions
        a.outbox.append((b"check", srflx_b))
        b.outbox.append((b"check", srflx_a))
        sim.run_for(0.1)
    a_heard = any(addr[0] == "203.0.113.2" for _, addr in a.got)
    b_heard = any(addr[0] == "203.0.113.1" for _, addr in b.got)
    assert (a_heard and b_heard) is connects
    assert a_heard is b_heard  # a check that gets through is answered
