"""Start coturn (``/usr/bin/turnserver``) on loopback for the interop tests.

Each server gets free ports, its own temp directory (pid file, SQLite user DB, TLS
certificate) so parallel instances do not clash, and is waited for until it answers a
STUN Binding request. A missing ``turnserver`` is a test failure, not a skip.
"""

from __future__ import annotations

import datetime
import ipaddress
import random
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pyrtc.stun import Class, Message, Method

USER = "alice"
PASSWORD = "s3cret"
REALM = "test.local"
SECRET = "rest-secret"


@dataclass(frozen=True)
class Coturn:
    """A running coturn: where it listens and how it was started."""

    ip: str
    port: int
    tls_port: int | None
    relay_ports: range
    cafile: Path | None
    log: Path


def _family(ip: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def _free_port(ip: str) -> int:
    """A port free for both UDP and TCP on ``ip`` (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(_family(ip), socket.SOCK_DGRAM) as udp:
            udp.bind((ip, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(_family(ip), socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((ip, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed P-256 certificate for IP 127.0.0.1; returns (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _wait_ready(ip: str, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll with Binding requests until coturn answers (at most ~10 s)."""
    request = Message(Method.BINDING, Class.REQUEST).encode(fingerprint=True)
    with socket.socket(_family(ip), socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.1)
        for _ in range(100):
            if process.poll() is not None:
                pytest.fail(f"turnserver exited with {process.returncode}:\n{log.read_text()}")
            sock.sendto(request, (ip, port))
            try:
                sock.recvfrom(2048)
                return
            except TimeoutError:
                continue
    pytest.fail(f"turnserver did not answer on port {port}:\n{log.read_text()}")


@contextmanager
def run_coturn(
    directory: Path, *extra: str, auth: str = "lt", tls: bool = False, ip: str = "127.0.0.1"
) -> Iterator[Coturn]:
    """Run turnserver on ``ip`` until the block ends.

    ``auth`` is ``"lt"`` (alice:s3cret) or ``"rest"`` (shared secret).
    """
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.fail("coturn's turnserver is not installed: the TURN interop tests need it")
    port = _free_port(ip)
    base = random.randrange(20000, 60000, 200)
    relay_ports = range(base, base + 200)
    log = directory / "turnserver.log"
    args = [
        binary,
        "-n",
        "--no-cli",
        "--log-file=stdout",
        "--simple-log",
        f"--listening-ip={ip}",
        f"--relay-ip={ip}",
        f"--listening-port={port}",
        f"--min-port={relay_ports.start}",
        f"--max-port={relay_ports.stop - 1}",
        f"--realm={REALM}",
        "--fingerprint",
        "--no-dtls",
        "--allow-loopback-peers",
        "--no-multicast-peers",
        "--no-rfc5780",
        "--no-stun-backward-compatibility",
        "--no-software-attribute",
        f"--pidfile={directory / 'turnserver.pid'}",
        f"--db={directory / 'turndb'}",
    ]
    if auth == "lt":
        args += ["--lt-cred-mech", f"--user={USER}:{PASSWORD}"]
    else:
        args += ["--use-auth-secret", f"--static-auth-secret={SECRET}"]
    tls_port = None
    cafile = None
    if tls:
        tls_port = _free_port(ip)
        cafile, key = make_certificate(directory)
        args += [f"--tls-listening-port={tls_port}", f"--cert={cafile}", f"--pkey={key}"]
    else:
        args.append("--no-tls")
    args += extra
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=directory)
    try:
        _wait_ready(ip, port, process, log)
        yield Coturn(ip, port, tls_port, relay_ports, cafile, log)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
