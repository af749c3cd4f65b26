"""The demo's TLS endpoints: a throwaway CA made at start (with `cryptography`) and small HTTPS servers that
show each certificate problem the explainer names.

| Server | What it shows |
|---|---|
| mtls | Demands a client certificate signed by the demo CA (TLS 1.3: the `certificate_required` alert). |
| mtls12 | The same over TLS 1.2 at most (a handshake failure after asking for a certificate). |
| self_signed | A certificate signed by its own key: untrusted. |
| wrong_host | A certificate from the demo CA for `demo.internal` only, reached at 127.0.0.1. |
| expired | A certificate from the demo CA that expired yesterday. |

The files (CA, a client certificate whose key is encrypted with DEMO_KEY_PASSWORD, and one from another CA
that the mtls server refuses) live in a private temporary folder removed when the demo stops. GET /tls lists
the servers' URLs and the files.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shutil
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from inspector.demo.messages import DemoRequest, Reply, json_reply

DEMO_KEY_PASSWORD = "demo-key-pass-3Vn8"
SERVER_NAMES = ("mtls", "mtls12", "self_signed", "wrong_host", "expired")
HANDSHAKE_TIMEOUT_S = 10.0


def _name(common_name: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Request Inspector demo"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key: Any, issuer_name: Any, issuer_key: Any, *, ca: bool = False,
                 hosts: tuple[str, ...] = (), client: bool = False, days: tuple[int, int] = (-1, 30)) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject))
               .issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + dt.timedelta(days=days[0]))
               .not_valid_after(now + dt.timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    elif client:
        usage = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
        builder = builder.add_extension(usage, critical=False)
    else:
        usage = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
        builder = builder.add_extension(usage, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class DemoPki:
    """The files of the demo's throwaway PKI, in one private folder."""

    folder: Path
    ca: Path  # the demo CA's certificate: a ca_bundle that trusts the demo servers
    client_cert: Path  # signed by the demo CA
    client_key: Path  # encrypted with DEMO_KEY_PASSWORD
    other_client_cert: Path  # signed by another CA: the mtls server refuses it
    other_client_key: Path  # not encrypted
    servers: dict[str, tuple[Path, Path]]  # name -> (certificate chain, key)

    @classmethod
    def create(cls, host: str) -> DemoPki:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        folder = Path(tempfile.mkdtemp(prefix="inspector-demo-tls-"))  # 0700
        pem = serialization.Encoding.PEM
        pkcs8 = serialization.PrivateFormat.PKCS8

        def write(name: str, data: bytes) -> Path:
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return path

        def new_key() -> Any:
            return ec.generate_private_key(ec.SECP256R1())

        def key_bytes(key: Any, password: str | None = None) -> bytes:
            crypt = (serialization.BestAvailableEncryption(password.encode()) if password
                     else serialization.NoEncryption())
            return key.private_bytes(pem, pkcs8, crypt)

        ca_key = new_key()
        ca_name = _name("Request Inspector demo CA")
        ca_cert = _certificate("Request Inspector demo CA", ca_key, ca_name, ca_key, ca=True, days=(-1, 365))
        other_key = new_key()
        other_name = _name("Some other CA")
        hosts = tuple(dict.fromkeys((host, "127.0.0.1", "localhost", "::1")))
        servers: dict[str, tuple[Path, Path]] = {}
        plans = {
            "mtls": (ca_name, ca_key, hosts, (-1, 30)),
            "mtls12": (ca_name, ca_key, hosts, (-1, 30)),
            "self_signed": (None, None, hosts, (-1, 30)),
            "wrong_host": (ca_name, ca_key, ("demo.internal",), (-1, 30)),
            "expired": (ca_name, ca_key, hosts, (-30, -1)),
        }
        for name, (issuer_name, issuer_key, names, days) in plans.items():
            key = new_key()
            subject = f"demo {name.replace('_', '-')} server"
            cert = _certificate(subject, key, issuer_name or _name(subject), issuer_key or key, hosts=names,
                                days=days)
            chain = cert.public_bytes(pem) + (ca_cert.public_bytes(pem) if issuer_name else b"")
            servers[name] = (write(f"{name}.pem", chain), write(f"{name}-key.pem", key_bytes(key)))
        client_key = new_key()
        client = _certificate("demo support engineer", client_key, ca_name, ca_key, client=True)
        stranger_key = new_key()
        stranger = _certificate("someone else", stranger_key, other_name, other_key, client=True)
        return cls(
            folder=folder,
            ca=write("ca.pem", ca_cert.public_bytes(pem)),
            client_cert=write("client.pem", client.public_bytes(pem)),
            client_key=write("client-key.pem", key_bytes(client_key, DEMO_KEY_PASSWORD)),
            other_client_cert=write("other-client.pem", stranger.public_bytes(pem)),
            other_client_key=write("other-client-key.pem", key_bytes(stranger_key)),
            servers=servers,
        )

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "RequestInspectorDemoTLS/1.0"
    sys_version = ""

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        cert = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        subject = None
        if cert:
            subject = ", ".join(f"{pair[0]}={pair[1]}" for rdn in cert.get("subject", ()) for pair in rdn)
        version = self.connection.version() if isinstance(self.connection, ssl.SSLSocket) else None
        body = json.dumps({"ok": True, "server": self.server.name,  # type: ignore[attr-defined]
                           "client_certificate": subject, "tls_version": version}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_HEAD = do_GET


def _close_gently(sock: socket.socket) -> None:
    """Close after a refused handshake without resetting the connection: a reset can overtake the alert the
    client should read (a TLS 1.3 client has already sent its request when the server refuses it)."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(1.0)
        for _ in range(64):  # read what the client sent until it closes, at most 256 KiB
            if not sock.recv(4096):
                break
    except OSError:
        pass
    finally:
        sock.close()


class _TLSServer(ThreadingHTTPServer):
    """An HTTPS server whose handshakes happen on each connection's own thread (a slow or failing client
    never holds up the others)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, name: str, family: int) -> None:
        self.address_family = family
        self.context = context
        self.name = name
        super().__init__(address, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(HANDSHAKE_TIMEOUT_S)
            tls = self.context.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        except (OSError, ValueError):
            _close_gently(request)
            return
        try:
            tls.do_handshake()
        except (OSError, ValueError):
            # the handshake failed (that is what the client is shown): its alert is on the way; read what the
            # client sent before closing, so no reset overtakes the alert
            try:
                _close_gently(socket.socket(fileno=tls.detach()))
            except OSError:
                tls.close()
            return
        super().process_request_thread(tls, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: refused handshakes and clients hanging up are the point of these servers."""


class DemoTls:
    """The demo PKI and its HTTPS servers, started together and stopped together."""

    def __init__(self, pki: DemoPki, servers: dict[str, _TLSServer], host: str) -> None:
        self.pki = pki
        self._servers = servers
        self._host = host

    @classmethod
    def start(cls, host: str = "127.0.0.1") -> DemoTls:
        bind = "127.0.0.1" if host in ("", "0.0.0.0") else ("::1" if host == "::" else host)
        pki = DemoPki.create(bind)
        family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        servers: dict[str, _TLSServer] = {}
        try:
            for name in SERVER_NAMES:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(*pki.servers[name])
                if name.startswith("mtls"):
                    context.verify_mode = ssl.CERT_REQUIRED
                    context.load_verify_locations(pki.ca)
                if name == "mtls12":
                    context.maximum_version = ssl.TLSVersion.TLSv1_2
                server = _TLSServer((bind, 0), context, name, family)
                threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                 name=f"demo-tls-{name}", daemon=True).start()
                servers[name] = server
        except BaseException:
            for server in servers.values():
                server.shutdown()
                server.server_close()
            pki.remove()
            raise
        return cls(pki, servers, bind)

    def url(self, name: str) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"https://{host}:{self._servers[name].server_address[1]}"

    def info(self) -> dict[str, Any]:
        p = self.pki
        return {
            "servers": {name: self.url(name) for name in self._servers},
            "files": {"ca_bundle": str(p.ca), "client_cert": str(p.client_cert),
                      "client_key": str(p.client_key), "other_client_cert": str(p.other_client_cert),
                      "other_client_key": str(p.other_client_key)},
            "key_password_env": "DEMO_KEY_PASSWORD",
        }

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self.pki.remove()


def tls_index(req: DemoRequest, st: Any) -> Reply:
    tls: DemoTls | None = getattr(st, "tls", None)
    if tls is None:
        return json_reply(404, {"error": "not_found", "message": "This demo server runs no TLS endpoints."})
    return json_reply(200, tls.info())


ROUTES: tuple[tuple[str, tuple[str, ...], Any], ...] = ((r"/tls", ("GET",), tls_index),)
