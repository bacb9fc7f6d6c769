"""Interop with the OpenSSL command line (``openssl s_server`` / ``s_client -dtls1_2``).

Each test starts openssl on 127.0.0.1 with a free port, runs a real handshake with mutual
certificate authentication and use_srtp, compares the exported SRTP keying material byte for
byte with what openssl prints, and moves application data both ways. A tiny blocking UDP
loop drives the sans-I/O connection with the wall clock; openssl is always killed.
"""

from __future__ import annotations

import queue
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from dtls_testkit import cached_certificate, p384_certificate

from pyrtc.dtls import (
    SRTP_EXPORTER_LABEL,
    ApplicationDataReceived,
    CipherSuite,
    ConnectionFailed,
    DtlsConnection,
    HandshakeCompleted,
    RTCCertificate,
    SrtpProfile,
)
from pyrtc.dtls.keying import srtp_material_length

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed"),
]

OPENSSL_SUITES = {
    CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
    CipherSuite.ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
    CipherSuite.ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
    CipherSuite.ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
}
OPENSSL_PROFILES = {
    SrtpProfile.AES128_CM_HMAC_SHA1_80: "SRTP_AES128_CM_SHA1_80",
    SrtpProfile.AES128_CM_HMAC_SHA1_32: "SRTP_AES128_CM_SHA1_32",
    SrtpProfile.AEAD_AES_128_GCM: "SRTP_AEAD_AES_128_GCM",
    SrtpProfile.AEAD_AES_256_GCM: "SRTP_AEAD_AES_256_GCM",
}
HELLO_VERIFY_REQUEST = 3


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_pem(cert: RTCCertificate, directory: Path) -> tuple[str, str]:
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.x509.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        cert.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


class OpenSSL:
    """An openssl process whose output lines are collected by a reader thread."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            ["openssl", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))

    def wait_for(
        self, pattern: str, shell: UdpShell | None = None, timeout: float = 5.0
    ) -> re.Match[str]:
        """Wait for a line matching ``pattern``, keeping ``shell`` running meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.02) if shell is None else self.lines.get_nowait()
            except queue.Empty:
                if shell is not None:
                    shell.step()
                continue
            self.output.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(
            f"openssl never printed {pattern!r}; output:\n" + "\n".join(self.output)
        )

    def write(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


class UdpShell:
    """Blocking UDP loop around a DtlsConnection, clocked by time.monotonic()."""

    def __init__(self, conn: DtlsConnection, sock: socket.socket) -> None:
        self.conn = conn
        self.sock = sock
        self.sock.settimeout(0.02)
        self.peer: tuple[str, int] | None = None
        self.received_handshake_types: list[int] = []
        self.events: list[object] = []

    def step(self) -> None:
        now = time.monotonic()
        timer = self.conn.get_timer()
        if timer is not None and now >= timer:
            self.conn.handle_timer(now)
        for datagram in self.conn.datagrams_to_send(now):
            assert self.peer is not None
            self.sock.sendto(datagram, self.peer)
        try:
            data, addr = self.sock.recvfrom(65536)
        except TimeoutError:
            pass
        else:
            self.peer = self.peer or addr
            if data[0] == 22 and data[3:5] == b"\x00\x00" and len(data) > 13:
                self.received_handshake_types.append(data[13])
            self.conn.receive(data, time.monotonic())
        while (event := self.conn.next_event()) is not None:
            self.events.append(event)

    def run_until(self, kind: type, timeout: float = 5.0) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.step()
            for event in self.events:
                if isinstance(event, kind):
                    self.events.remove(event)
                    return event
        raise AssertionError(f"no {kind.__name__}; events so far: {self.events}")


def check_session(shell: UdpShell, openssl: OpenSSL, profile: SrtpProfile) -> None:
    done = shell.run_until(HandshakeCompleted)
    assert isinstance(done, HandshakeCompleted)
    assert done.srtp_profile == profile
    theirs = openssl.wait_for(r"Keying material: ([0-9A-F]+)", shell).group(1)
    ours = shell.conn.export_keying_material(SRTP_EXPORTER_LABEL, srtp_material_length(profile))
    assert ours.hex().upper() == theirs
    assert done.srtp_keys is not None
    keys = done.srtp_keys
    assert (
        keys.client_master_key
        + keys.server_master_key
        + keys.client_master_salt
        + keys.server_master_salt
    ) == ours

    shell.conn.send(b"hello from pyrtc\n")
    openssl.wait_for(r"^hello from pyrtc$", shell)
    openssl.write("hello from openssl\n")
    data = shell.run_until(ApplicationDataReceived)
    assert data == ApplicationDataReceived(b"hello from openssl\n")
    assert shell.conn.dropped_records == 0


CASES = [(suite, SrtpProfile.AES128_CM_HMAC_SHA1_80) for suite in CipherSuite] + [
    (CipherSuite.ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, profile)
    for profile in SrtpProfile
    if profile != SrtpProfile.AES128_CM_HMAC_SHA1_80
]
IDS = [f"{OPENSSL_SUITES[s]}-{OPENSSL_PROFILES[p]}" for s, p in CASES]


def certificates_for(suite: CipherSuite) -> tuple[RTCCertificate, RTCCertificate]:
    """(ours, openssl's): the server side needs an RSA key for the ECDHE_RSA suite."""
    if suite == CipherSuite.ECDHE_RSA_WITH_AES_128_GCM_SHA256:
        return cached_certificate("rsa-client", "rsa"), cached_certificate("rsa-server", "rsa")
    return cached_certificate("client"), cached_certificate("server")


@pytest.mark.parametrize(("suite", "profile"), CASES, ids=IDS)
def test_pyrtc_client_openssl_server(
    suite: CipherSuite, profile: SrtpProfile, tmp_path: Path
) -> None:
    ours, theirs = certificates_for(suite)
    cert, key = write_pem(theirs, tmp_path)
    port = free_udp_port()
    openssl = OpenSSL([
        "s_server", "-dtls1_2", "-accept", f"127.0.0.1:{port}", "-cert", cert, "-key", key,
        "-Verify", "1", "-use_srtp", OPENSSL_PROFILES[profile], "-cipher", OPENSSL_SUITES[suite],
        "-keymatexport", SRTP_EXPORTER_LABEL, "-keymatexportlen",
        str(srtp_material_length(profile)),
    ])  # fmt: skip
    try:
        openssl.wait_for("ACCEPT")
        conn = DtlsConnection(
            "client", ours, remote_fingerprints=theirs.getFingerprints(), srtp_profiles=[profile]
        )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            shell = UdpShell(conn, sock)
            shell.peer = ("127.0.0.1", port)
            conn.connect(time.monotonic())
            check_session(shell, openssl, profile)
            # s_server always runs the cookie exchange; we followed its HelloVerifyRequest.
            assert shell.received_handshake_types[0] == HELLO_VERIFY_REQUEST
            assert conn.cipher_suite == suite
    finally:
        openssl.kill()


@pytest.mark.parametrize(("suite", "profile"), CASES, ids=IDS)
@pytest.mark.parametrize("hello_verify", [False, True], ids=["no-cookie", "cookie"])
def test_openssl_client_pyrtc_server(
    suite: CipherSuite, profile: SrtpProfile, hello_verify: bool, tmp_path: Path
) -> None:
    theirs, ours = certificates_for(suite)
    cert, key = write_pem(theirs, tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        conn = DtlsConnection(
            "server",
            ours,
            remote_fingerprints=theirs.getFingerprints(),
            srtp_profiles=[profile],
            hello_verify=hello_verify,
        )
        shell = UdpShell(conn, sock)
        openssl = OpenSSL([
            "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}", "-cert", cert, "-key", key,
            "-use_srtp", OPENSSL_PROFILES[profile], "-cipher", OPENSSL_SUITES[suite],
            "-keymatexport", SRTP_EXPORTER_LABEL, "-keymatexportlen",
            str(srtp_material_length(profile)),
        ])  # fmt: skip
        try:
            check_session(shell, openssl, profile)
            assert conn.cipher_suite == suite
        finally:
            openssl.kill()


def test_openssl_client_without_certificate_is_refused() -> None:
    """WebRTC requires a client certificate: an empty Certificate fails the handshake."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        conn = DtlsConnection("server", cached_certificate("server"))
        shell = UdpShell(conn, sock)
        openssl = OpenSSL(["s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}"])
        try:
            failure = shell.run_until(ConnectionFailed)
            assert failure == ConnectionFailed("peer sent no certificate", 40, remote=False)
            openssl.wait_for("alert handshake failure", shell)
        finally:
            openssl.kill()


GROUP_CASES = {
    # OpenSSL checks that ECDSA certificates use one of the offered groups (RFC 8422 §5.1.1),
    # so the P-384-only runs use P-384 certificates on both sides.
    "prime256v1": (("client", "server"), ("prime256v1", "secp256r1")),
    "secp384r1": (("p384-client", "p384-server"), ("secp384r1",)),
}


@pytest.mark.parametrize("group", list(GROUP_CASES))
@pytest.mark.parametrize("our_role", ["client", "server"])
def test_nist_groups(group: str, our_role: str, tmp_path: Path) -> None:
    """OpenSSL restricted to one NIST curve: our ECDH side of the key exchange works."""
    (ours_name, theirs_name), names = GROUP_CASES[group]
    make = cached_certificate if group == "prime256v1" else p384_certificate
    ours, theirs = make(ours_name), make(theirs_name)
    profile = SrtpProfile.AES128_CM_HMAC_SHA1_80
    cert, key = write_pem(theirs, tmp_path)
    common = ["-dtls1_2", "-cert", cert, "-key", key, "-groups", group, "-use_srtp",
              OPENSSL_PROFILES[profile], "-keymatexport", SRTP_EXPORTER_LABEL,
              "-keymatexportlen", "60"]  # fmt: skip
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        conn = DtlsConnection(
            our_role,  # type: ignore[arg-type]
            ours,
            remote_fingerprints=theirs.getFingerprints(),
            srtp_profiles=[profile],
        )
        shell = UdpShell(conn, sock)
        if our_role == "client":
            port = free_udp_port()
            openssl = OpenSSL(["s_server", "-accept", f"127.0.0.1:{port}", "-Verify", "1", *common])
        else:
            port = sock.getsockname()[1]
            openssl = OpenSSL(["s_client", "-connect", f"127.0.0.1:{port}", *common])
        try:
            if our_role == "client":
                openssl.wait_for("ACCEPT")
                shell.peer = ("127.0.0.1", port)
                conn.connect(time.monotonic())
            check_session(shell, openssl, profile)
        finally:
            openssl.kill()
    negotiated = [line for line in openssl.output if "Temp Key" in line or "Shared groups" in line]
    assert negotiated and all(any(n in line for n in names) for line in negotiated), negotiated
