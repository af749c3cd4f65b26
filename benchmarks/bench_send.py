"""A send through the window's path against one reused `requests.Session`, over HTTP and over HTTPS with
certificate checks, to the same loopback server in the same run.

    python benchmarks/bench_send.py [--sends 1500] [--json]

"ours" is what a tab's send job runs, explanation and history excluded: `pipeline.prepare(spec, profile)` then
`Prepared.send(session=..., cancel=..., on_progress=...)` over the tab's session (`transport.new_session()`,
one per tab, reused). The baseline is `session.get(url, verify=...)` on one `requests.Session`. For HTTPS a
throwaway CA and a server certificate for 127.0.0.1 are made with `cryptography`; both sides verify the
server against that CA (ours through a profile's [tls] ca_bundle). Both keep their connection alive.
The two take turns send by send (ABBA) so that machine noise hits both alike; the figures are the medians of
the single sends' times (robust to the bursts of load a shared machine has), and ratio = ours / reused
session (the target is <= 1.2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from inspector.core.pipeline import prepare
from inspector.core.profiles.model import TlsSettings, new_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.request import Header, RequestSpec
from inspector.core.transport import new_session

TARGET_RATIO = 1.2
BODY = json.dumps({"error": "invalid_token", "error_description": "The access token expired",
                   "items": [{"id": i, "name": f"item {i}"} for i in range(8)]}).encode()
HEAD = (b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
        b"WWW-Authenticate: Bearer error=\"invalid_token\"\r\nContent-Length: %d\r\n\r\n" % len(BODY))


class Handler(BaseHTTPRequestHandler):
    """Keep-alive; the answer goes out in one write (no Nagle delay on either side's account)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.wfile.write(HEAD + BODY)

    def log_message(self, *_args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


def make_pki(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate for 127.0.0.1 it signed: (ca.pem, server.pem, server-key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def cert(subject: str, key: Any, issuer: x509.Name | None, signer: Any, ca: bool) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = cert("bench CA", ca_key, None, ca_key, True)
    server_cert = cert("127.0.0.1", server_key, ca_cert.subject, ca_key, False)
    pem = serialization.Encoding.PEM
    files = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    files[0].write_bytes(ca_cert.public_bytes(pem))
    files[1].write_bytes(server_cert.public_bytes(pem))
    files[2].write_bytes(server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return files


def serve(tls: tuple[Path, Path] | None) -> tuple[Server, str]:
    server = Server(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"{scheme}://127.0.0.1:{server.server_address[1]}/v1/items"


def measure(case: str, url: str, ca: Path | None, folder: Path, sends: int) -> dict[str, Any]:
    spec = RequestSpec(url=url, headers=(Header("Accept", "application/json"),), timeout_s=30)
    profile = new_profile("bench", "none", folder, tls=TlsSettings(ca_bundle=str(ca)) if ca else None)
    resolver = Resolver(None, env={})
    tab_session = new_session()  # what RequestTab.transport_session() makes, once per tab
    baseline = requests.Session()
    verify: bool | str = str(ca) if ca else True

    def ours() -> None:
        exchange = prepare(spec, profile, resolver).send(session=tab_session, cancel=threading.Event(),
                                                         on_progress=lambda _n, _total: None)
        assert exchange.error is None and exchange.response is not None, exchange.error

    def reused() -> None:
        r = baseline.get(url, headers={"Accept": "application/json"}, verify=verify, timeout=30)
        assert r.status_code == 401 and r.content

    def timed_ms(fn: Callable[[], None]) -> float:
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1000.0

    try:
        for fn in (ours, reused):  # connect, handshake, warm caches
            for _ in range(20):
                fn()
        times: dict[str, list[float]] = {"ours": [], "reused": []}
        for i in range(sends):  # one each in turn (ABBA), so a burst of load elsewhere hits both alike
            pair = (("ours", ours), ("reused", reused))
            for name, fn in pair if i % 2 == 0 else pair[::-1]:
                times[name].append(timed_ms(fn))
    finally:
        tab_session.close()
        baseline.close()
    ours_ms, reused_ms = statistics.median(times["ours"]), statistics.median(times["reused"])
    return {"case": case, "ours_ms": round(ours_ms, 3), "reused_session_ms": round(reused_ms, 3),
            "ratio": round(ours_ms / reused_ms, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sends", type=int, default=1500, help="sends of each side per case")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per case")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ca, server_cert, server_key = make_pki(folder)
        for case, tls in (("http", None), ("https", (server_cert, server_key))):
            server, url = serve(tls)
            try:
                results.append(measure(case, url, ca if tls else None, folder, args.sends))
            finally:
                server.shutdown()
                server.server_close()
    for result in results:
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{result['case']:6s} ours {result['ours_ms']:7.3f} ms   reused requests.Session "
                  f"{result['reused_session_ms']:7.3f} ms   ratio {result['ratio']:.2f}")
    if not args.json:
        print(f"target: ratio <= {TARGET_RATIO} (medians of {args.sends} sends each, taken in turn)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
