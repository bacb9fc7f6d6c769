"""The ``pyrtc`` command line: one subcommand per tool, output through rich."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

import pyrtc
from pyrtc import bench
from pyrtc.errors import Error
from pyrtc.sansio import Address
from pyrtc.signaling import cli as signaling_cli

console = Console(width=max(Console().width, 120))


def _cmd_bench(args: argparse.Namespace) -> int:
    try:
        cases = bench.load_cases(args.groups)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    table = Table(title=f"pyrtc {pyrtc.__version__} vs baselines (same run, best of {args.rounds})")
    for column in ("case", "pyrtc ops/s", "MB/s", "baseline", "baseline ops/s", "ratio", "target"):
        table.add_column(column, justify="left" if column in ("case", "baseline") else "right")
    failed = 0
    for case in cases:
        result = bench.run_case(case, rounds=args.rounds, min_time=args.min_time)
        mbps = f"{result.ours_ops * case.bytes_per_op / 1e6:,.0f}" if case.bytes_per_op else ""
        base = f"{result.baseline_ops:,.0f}" if result.baseline_ops else "not installed"
        ratio = f"{result.ratio:.2f}x" if result.ratio is not None else "-"
        target = ""
        if case.target is not None:
            met = result.meets_target
            mark = "" if met is None else (" [green]ok[/green]" if met else " [red]MISS[/red]")
            failed += met is False
            target = f">= {case.target:g}x{mark}"
        table.add_row(
            f"{case.group}: {case.name}",
            f"{result.ours_ops:,.0f}",
            mbps,
            case.baseline_name,
            base,
            ratio,
            target,
        )
    console.print(table)
    if failed:
        console.print(f"[yellow]{failed} case(s) below target on this run[/yellow]")
    return 0


def _host_port(text: str, default_port: int = 3478) -> Address:
    """Parse ``HOST``, ``HOST:PORT``, ``[V6]`` or ``[V6]:PORT``."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    try:
        number = int(port) if port else default_port
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad port in {text!r}") from None
    if not host or not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, number


def _addr(addr: Address) -> str:
    host, port = addr
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _cmd_stun(args: argparse.Namespace) -> int:
    from pyrtc.net import BindingFailed, BindingTimeout, stun_binding

    try:
        result = asyncio.run(stun_binding(args.server, timeout=args.timeout, rto=args.rto))
    except BindingTimeout as exc:
        console.print(f"[red]timeout:[/red] {exc}")
        return 1
    except (BindingFailed, Error, OSError) as exc:
        console.print(f"[red]failed:[/red] {exc}")
        return 2
    console.print(
        f"STUN Binding to {_addr(result.server)}: reflexive address "
        f"[bold]{_addr(result.mapped_address)}[/bold] (local {_addr(result.local_address)}), "
        f"RTT {result.rtt * 1000:.2f} ms"
    )
    return 0


def _cmd_stun_server(args: argparse.Namespace) -> int:
    from pyrtc.net import serve_stun

    async def serve() -> None:
        driver = await serve_stun(args.host, args.port, software=f"pyrtc {pyrtc.__version__}")
        console.print(f"STUN server listening on {_addr(driver.local_address)} (Ctrl-C to stop)")
        try:
            await driver.closed
        finally:
            driver.close()
            stats = driver.core.stats
            console.print(
                f"answered {stats.success} Binding requests, {stats.errors} errors; "
                f"dropped {stats.malformed} malformed, ignored {stats.ignored}"
            )

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        console.print(f"[red]cannot listen on {args.host}:{args.port}:[/red] {exc}")
        return 2
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from pyrtc.pc import demo

    return demo.run(args, console)


def _cmd_turn(args: argparse.Namespace) -> int:
    from rich.markup import escape

    from pyrtc.ice.urls import IceUrlError, parse_ice_server_url
    from pyrtc.net.turn import connect_turn, echo_peer, measure_rtt
    from pyrtc.stun import AddressFamily
    from pyrtc.turn import Transport

    try:
        url = parse_ice_server_url(args.url)
    except IceUrlError as exc:
        console.print(f"[red]bad URL:[/red] {escape(str(exc))}")
        return 2
    if not url.is_turn or (url.secure and url.transport == "udp"):
        console.print("[red]bad URL:[/red] expected turn:HOST[:PORT][?transport=udp|tcp] or turns:")
        return 2
    transport: Transport = "udp"
    if url.secure:
        transport = "tls"
    elif (args.transport or url.transport) == "tcp":
        transport = "tcp"
    # An IPv6 server literal asks for an IPv6 relay and puts the echo peer on ::1.
    ipv6 = ":" in url.host

    async def run() -> int:
        session = await connect_turn(
            (url.host, url.port),
            args.user,
            args.password,
            transport=transport,
            use_channels=not args.indications,
            family=AddressFamily.IPV6 if ipv6 else None,
            cafile=args.cafile,
            verify=not args.insecure,
            timeout=args.timeout,
        )
        peer = await echo_peer("::1" if ipv6 else "127.0.0.1", 0)
        try:
            mapped = _addr(session.mapped_address) if session.mapped_address else "none"
            console.print(
                escape(
                    f"TURN {transport} {_addr((url.host, url.port))}: relayed "
                    f"{_addr(session.relayed_address)}, mapped {mapped} "
                    f"(local {_addr(session.local_address)})"
                )
            )
            peer_addr = peer.get_extra_info("sockname")[:2]
            rtts = await measure_rtt(session, peer_addr, args.count, size=args.size)
        finally:
            peer.close()
            await session.close()
        echoed = [rtt * 1000 for rtt in rtts if rtt is not None]
        summary = f"{len(echoed)}/{args.count} echoed by {_addr(peer_addr)} via "
        summary += "channel" if not args.indications else "Send/Data indications"
        if echoed:
            low, avg, high = min(echoed), sum(echoed) / len(echoed), max(echoed)
            summary += f", {args.size} bytes: rtt min/avg/max {low:.3f}/{avg:.3f}/{high:.3f} ms"
        console.print(escape(summary))
        console.print("deallocated")
        return 0 if len(echoed) == args.count else 1

    try:
        return asyncio.run(run())
    except Error as exc:
        console.print(f"[red]TURN failed:[/red] {escape(str(exc))}")
        return 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="pyrtc", description=pyrtc.__doc__)
    parser.add_argument("--version", action="version", version=f"pyrtc {pyrtc.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("bench", help="benchmark pyrtc against baseline libraries")
    p.add_argument("groups", nargs="*", metavar="NAME", help=f"groups: {', '.join(bench.groups())}")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds per case")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per round per side")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("stun", help="STUN Binding probe: print the reflexive address and RTT")
    p.add_argument("server", type=_host_port, metavar="HOST:PORT", help="STUN server")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="give up after SECONDS (default: the RFC 8489 schedule, 39.5 s with --rto 0.5)",
    )
    p.add_argument("--rto", type=float, default=0.5, help="initial retransmission timeout")
    p.set_defaults(func=_cmd_stun)

    p = sub.add_parser("stun-server", help="run a STUN Binding server until Ctrl-C")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=3478, help="UDP port (0: any free port)")
    p.set_defaults(func=_cmd_stun_server)

    p = sub.add_parser("turn", help="allocate on a TURN server and echo datagrams via the relay")
    p.add_argument("url", metavar="URL", help="turn:HOST[:PORT][?transport=udp|tcp] or turns:...")
    p.add_argument("--user", required=True, help="TURN username")
    p.add_argument("--password", required=True, help="TURN password")
    p.add_argument("--transport", choices=["udp", "tcp"], help="override the URL's transport")
    p.add_argument("--count", type=int, default=5, help="datagrams to echo through the relay")
    p.add_argument("--size", type=int, default=100, help="bytes per datagram")
    p.add_argument("--indications", action="store_true", help="Send indications, no channel")
    p.add_argument("--cafile", help="CA certificates to verify a turns: server")
    p.add_argument("--insecure", action="store_true", help="turns: without certificate checks")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for allocation")
    p.set_defaults(func=_cmd_turn)

    signaling_cli.add_commands(sub)  # serve, token

    from pyrtc.pc import demo

    p = sub.add_parser("demo", help="two peers over UDP: offer/answer, ICE, DTLS, SCTP, transfer")
    demo.add_arguments(p)
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pyrtc`` console script."""
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
