"""TLS against a real loopback HTTPS server with a self-signed certificate: 'Verify TLS' off sends without
urllib3's InsecureRequestWarning, and only our own requests are spared it (nothing global is switched off)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from inspector.core.request import RequestSpec
from inspector.core.transport import send
from tests.support.servers import QuietHandler, QuietServer


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Hello(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.reply(200, b"hello")


class _TLSServer(QuietServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client refusing the certificate is what one test does


@pytest.fixture
def https_url(tmp_path) -> Iterator[str]:
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = _TLSServer(("127.0.0.1", 0), Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_in_background()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.stop()


def test_verify_off_sends_without_an_insecure_request_warning(https_url: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exchange = send(RequestSpec(url=f"{https_url}/x", verify_tls=False, timeout_s=10))
    assert exchange.error is None and exchange.response.body == b"hello"
    assert not [w for w in caught if issubclass(w.category, urllib3.exceptions.InsecureRequestWarning)]


def test_other_unverified_requests_in_the_process_still_warn(https_url: str) -> None:
    send(RequestSpec(url=f"{https_url}/x", verify_tls=False, timeout_s=10))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with urllib3.PoolManager(cert_reqs="CERT_NONE") as pool:
            assert pool.request("GET", f"{https_url}/x", timeout=10).status == 200
    assert [w for w in caught if issubclass(w.category, urllib3.exceptions.InsecureRequestWarning)]


def test_verify_on_refuses_the_self_signed_certificate(https_url: str) -> None:
    exchange = send(RequestSpec(url=f"{https_url}/x", timeout_s=10))
    assert exchange.error is not None and exchange.error.kind == "tls"
    assert "self-signed" in exchange.error.message or "could not be verified" in exchange.error.message
