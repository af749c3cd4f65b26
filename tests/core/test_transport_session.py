"""One session for many sends (a tab's, the CLI's): connections kept alive, one watcher thread for every send
in flight, cookies never carried from one send to the next, and TLS settings that never share a connection.

Real loopback servers (HTTP/1.1 keep-alive, and HTTPS with a CA and two client certificates made here) count
the connections they accept.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from inspector.core.pipeline import prepare
from inspector.core.profiles.model import TlsSettings, new_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.request import RequestSpec
from inspector.core.transport import new_session, send, shared_session
from tests.support.servers import QuietHandler, QuietServer

WATCH = "inspector-send-watch"
DRIP_RELEASE = threading.Event()  # the /drip handler stops when the test sets it (or after 5 s)


class KeepAlive(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/set":
            self.reply(200, b"set", [("Set-Cookie", "sid=s3cr3t-cookie; Path=/")])
        elif path == "/set-and-redirect":
            self.reply(302, headers=[("Set-Cookie", "hop=carried; Path=/"), ("Location", "/echo")])
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100):  # bounded: 5 s at most
                    self.wfile.write(b"y" * 10)
                    self.wfile.flush()
                    if DRIP_RELEASE.wait(0.05):
                        break
            except OSError:
                pass  # the client broke off: what the test does
            self.close_connection = True
        elif path == "/whoami":
            peer = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
            subject = dict(x[0] for x in peer["subject"]) if peer else {}
            self.reply_json(200, {"client": subject.get("commonName")})
        else:
            self.reply_json(200, {"cookie": self.headers.get("Cookie")})


@pytest.fixture
def server() -> Iterator[QuietServer]:
    srv = QuietServer(("127.0.0.1", 0), KeepAlive)
    srv.serve_in_background()
    try:
        yield srv
    finally:
        srv.stop()


def base(srv: QuietServer) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


def watchers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == WATCH]


def test_sends_through_one_session_share_one_connection(server: QuietServer) -> None:
    session = new_session()
    try:
        for _ in range(3):
            exchange = send(RequestSpec(url=f"{base(server)}/echo", timeout_s=10), session=session)
            assert exchange.error is None and exchange.response is not None and exchange.response.status == 200
    finally:
        session.close()
    assert server.accepted == 1


def test_sends_without_a_session_each_open_their_own(server: QuietServer) -> None:
    for _ in range(2):
        assert send(RequestSpec(url=f"{base(server)}/echo", timeout_s=10)).error is None
    assert server.accepted == 2 and watchers() == []


def test_the_shared_session_serves_sends_that_bring_none(server: QuietServer) -> None:
    with shared_session():
        for _ in range(3):
            assert send(RequestSpec(url=f"{base(server)}/echo", timeout_s=10)).error is None
        assert len(watchers()) == 1
    assert server.accepted == 1 and watchers() == []


def test_one_watcher_for_every_send_of_a_session_and_none_after_close(server: QuietServer) -> None:
    session = new_session()
    seen: set[int | None] = set()
    try:
        for _ in range(3):
            send(RequestSpec(url=f"{base(server)}/echo", timeout_s=10), session=session)
            seen.update(t.ident for t in watchers())
        assert len(seen) == 1 and len(watchers()) == 1  # the same thread, still there between sends
    finally:
        session.close()
    assert watchers() == []  # joined when the session closed: no leftover thread


def test_cookies_stay_within_one_send(server: QuietServer) -> None:
    session = new_session()
    try:
        send(RequestSpec(url=f"{base(server)}/set", timeout_s=10), session=session)
        later = send(RequestSpec(url=f"{base(server)}/echo", timeout_s=10), session=session)
        assert json.loads(later.response.body)["cookie"] is None  # the session's jar keeps nothing
        redirected = send(RequestSpec(url=f"{base(server)}/set-and-redirect", timeout_s=10), session=session)
        assert json.loads(redirected.response.body)["cookie"] == "hop=carried"  # within a send it is carried
        again = send(RequestSpec(url=f"{base(server)}/echo", timeout_s=10), session=session)
        assert json.loads(again.response.body)["cookie"] is None
        assert len(session.cookies) == 0
    finally:
        session.close()


def test_the_sessions_own_jar_keeps_nothing_even_through_the_requests_api(server: QuietServer) -> None:
    """send() bypasses the session's jar; a caller that uses requests' own API on a shared session must not
    leave a cookie there for the next send either."""
    session = new_session()
    try:
        answer = session.get(f"{base(server)}/set", timeout=10)
        assert answer.headers.get("Set-Cookie")  # the server did set one
        assert len(session.cookies) == 0
    finally:
        session.close()


def test_cancel_mid_body_with_the_shared_watcher(server: QuietServer) -> None:
    """Two sends in flight on one session: cancelling one breaks its blocked read off; the other is untouched,
    and the session works on afterwards."""
    DRIP_RELEASE.clear()
    session = new_session()
    cancel_a, cancel_b = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def run(name: str, cancel: threading.Event) -> None:
        results[name] = send(RequestSpec(url=f"{base(server)}/drip", timeout_s=60), session=session,
                             cancel=cancel, on_progress=lambda n, total: progress[name].set())

    progress = {"a": threading.Event(), "b": threading.Event()}
    threads = [threading.Thread(target=run, args=(name, c)) for name, c in (("a", cancel_a), ("b", cancel_b))]
    try:
        for t in threads:
            t.start()
        assert progress["a"].wait(10) and progress["b"].wait(10)  # both are reading their bodies
        assert len(watchers()) == 1
        cancel_a.set()
        threads[0].join(10)
        assert not threads[0].is_alive() and results["a"].error.kind == "cancelled"
        assert threads[1].is_alive()  # still reading: the cancel was a's only
        cancel_b.set()
        threads[1].join(10)
        assert results["b"].error.kind == "cancelled"
        after = send(RequestSpec(url=f"{base(server)}/echo", timeout_s=10), session=session)
        assert after.error is None and after.response.status == 200
    finally:
        DRIP_RELEASE.set()
        cancel_a.set()
        cancel_b.set()
        for t in threads:
            t.join(10)
        session.close()
    assert watchers() == []


def test_the_deadline_still_bounds_a_send_on_a_kept_session(server: QuietServer) -> None:
    DRIP_RELEASE.clear()
    session = new_session()
    try:
        # the server drips a byte every 50 ms for 5 s: no single read times out, only the watcher ends it
        exchange = send(RequestSpec(url=f"{base(server)}/drip", timeout_s=0.5), session=session)
        assert exchange.error is not None and exchange.error.kind == "timeout"
        assert "still sending the body" in exchange.error.message
    finally:
        DRIP_RELEASE.set()
        session.close()


# -- TLS: a CA, a server certificate for 127.0.0.1 and two client certificates, made here ------------------


@dataclass(frozen=True)
class Pki:
    folder: Path
    ca: Path
    server: tuple[Path, Path]
    alice: tuple[Path, Path]
    bob: tuple[Path, Path]


def _issue(folder: Path, name: str, ca_key: Any, ca_name: x509.Name | None, *, server: bool = False,
           ca: bool = False) -> tuple[Path, Path, Any, x509.Name]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name or subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    cert = builder.sign(ca_key or key, hashes.SHA256())
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file, key, subject


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_file, _ca_key_file, ca_key, ca_name = _issue(folder, "test-ca", None, None, ca=True)
    server = _issue(folder, "server", ca_key, ca_name, server=True)
    alice = _issue(folder, "alice", ca_key, ca_name)
    bob = _issue(folder, "bob", ca_key, ca_name)
    return Pki(folder, ca_file, server[:2], alice[:2], bob[:2])


@pytest.fixture
def tls_server(pki: Pki) -> Iterator[QuietServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pki.server)
    context.load_verify_locations(pki.ca)
    context.verify_mode = ssl.CERT_OPTIONAL  # a client certificate when one is sent, checked against the CA
    srv = QuietServer(("127.0.0.1", 0), KeepAlive)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    srv.serve_in_background()
    try:
        yield srv
    finally:
        srv.stop()


def _who(pki: Pki, folder: Path, url: str, session: Any, cert: tuple[Path, Path] | None) -> str | None:
    tls = TlsSettings(client_cert=str(cert[0]) if cert else None, client_key=str(cert[1]) if cert else None,
                      ca_bundle=str(pki.ca))
    profile = new_profile("mtls", "none", folder, tls=tls)
    exchange = prepare(RequestSpec(url=url, timeout_s=10), profile, Resolver(None, env={})).send(session=session)
    assert exchange.error is None, exchange.error
    return json.loads(exchange.response.body)["client"]


def test_profiles_with_different_client_certificates_never_share_a_connection(
        pki: Pki, tls_server: QuietServer, tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{tls_server.server_address[1]}/whoami"
    session = new_session()
    try:
        order = [pki.alice, pki.alice, pki.bob, pki.bob, pki.alice, None, None]
        answers = [_who(pki, tmp_path, url, session, cert) for cert in order]
    finally:
        session.close()
    assert answers == ["alice", "alice", "bob", "bob", "alice", None, None]
    assert tls_server.accepted == 3  # one connection per TLS setting, each kept alive


def test_a_replaced_ca_bundle_is_read_again(pki: Pki, tls_server: QuietServer, tmp_path: Path) -> None:
    """The SSL context is built once per setting, but a bundle changed on disk is a new setting."""
    url = f"https://127.0.0.1:{tls_server.server_address[1]}/whoami"
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(pki.ca.read_bytes())
    session = new_session()
    try:
        def sent() -> Any:
            profile = new_profile("ca", "none", tmp_path, tls=TlsSettings(ca_bundle=str(bundle)))
            return prepare(RequestSpec(url=url, timeout_s=10), profile, Resolver(None, env={})).send(
                session=session)

        assert sent().error is None
        bundle.write_bytes(b"")  # emptied: the server can no longer be trusted
        failed = sent()
        assert failed.error is not None and failed.error.kind == "tls"
    finally:
        session.close()
