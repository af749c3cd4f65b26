"""The sent token's signature checked as part of the send: the JWKS fetch is a hop with role "jwks", and a
profile whose [expect] names only its issuer finds the JWKS by OIDC discovery (hops with role "discovery"),
so a rotated key (signing-key-unknown) is told apart from a bad signature (signature-invalid)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from inspector.core.codec import exchange_from_dict, exchange_to_dict
from inspector.core.exchange import Exchange
from inspector.core.expectations import Expectations
from inspector.core.pipeline import SendResult, check_signature, run
from inspector.core.profiles.auth import TokenCache
from inspector.core.profiles.model import Expect, Profile, new_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.request import Header, RequestSpec
from inspector.core.transport import send
from tests.support.servers import QuietHandler, responding


@dataclass
class Issuer:
    """An identity provider and an API on one loopback server: discovery, a JWKS with one key, and an API
    that refuses every token (the explainer, not the API, judges the signature here)."""

    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    kid: str = "key-2026"
    base: str = ""
    asked: list[str] = field(default_factory=list)
    publish_discovery: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def issuer(self) -> str:
        return f"{self.base}/"

    def jwks(self) -> dict[str, object]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def token(self, key: rsa.RSAPrivateKey | None = None, kid: str | None = None) -> str:
        claims = {"iss": self.issuer, "sub": "support", "aud": "api", "exp": 4102444800, "iat": 1700000000}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def respond(self, handler: QuietHandler, _body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        with self.lock:
            self.asked.append(handler.path)
        json_type = [("Content-Type", "application/json")]
        if handler.path == "/.well-known/openid-configuration" and self.publish_discovery:
            doc = {"issuer": self.issuer, "jwks_uri": f"{self.base}/keys", "token_endpoint": f"{self.base}/t"}
            return 200, json_type, json.dumps(doc).encode()
        if handler.path == "/keys":
            return 200, json_type, json.dumps(self.jwks()).encode()
        if handler.path.startswith("/api"):
            return 401, [("WWW-Authenticate", 'Bearer error="invalid_token"'), *json_type], b'{"error": "no"}'
        return 404, json_type, b"{}"


@pytest.fixture
def idp(http_server: Callable[..., str]) -> Iterator[Issuer]:
    issuer = Issuer()
    issuer.base = http_server(responding(issuer.respond))
    yield issuer


def bearer_profile(folder: Path, expect: Expect, stem: str = "bearer") -> Profile:
    return new_profile("bearer", "bearer", folder, stem=stem, credentials={"token": "${env:CHECK_TOKEN}"},
                       expect=expect)


def send_with(profile: Profile, url: str, token: str, cache: TokenCache | None = None) -> SendResult:
    return run(RequestSpec(url=url, timeout_s=20), profile=profile, resolver=Resolver(None, env={"CHECK_TOKEN": token}),
               token_cache=cache if cache is not None else TokenCache())


def roles(exchange: Exchange) -> list[tuple[str, str]]:
    return [(h.role, h.url.split("/", 3)[-1]) for h in exchange.hops]


def test_the_jwks_fetch_is_a_hop_of_the_exchange(idp: Issuer, tmp_path: Path) -> None:
    profile = bearer_profile(tmp_path, Expect(jwks_url=f"{idp.base}/keys"))
    result = send_with(profile, f"{idp.base}/api/things", idp.token())
    # the check's hop goes before the user's request: the last hop stays the final answer
    assert roles(result.exchange) == [("jwks", "keys"), ("request", "api/things")]
    jwks_hop = result.exchange.hops[0]
    assert jwks_hop.method == "GET" and jwks_hop.status == 200 and jwks_hop.response is not None
    assert json.loads(jwks_hop.response.body)["keys"][0]["kid"] == idp.kid
    assert result.exchange.final_hop is result.exchange.hops[-1]
    assert result.diagnosis is not None and result.diagnosis.token is not None
    assert result.diagnosis.token.verified and result.diagnosis.token.verify_outcome == "valid"
    # the hop survives the codec (history, --json, HAR) with its role
    again = exchange_from_dict(exchange_to_dict(result.exchange))
    assert [h.role for h in again.hops] == ["jwks", "request"]


def test_a_jwks_that_cannot_be_fetched_is_a_hop_that_says_why(idp: Issuer, tmp_path: Path) -> None:
    profile = bearer_profile(tmp_path, Expect(jwks_url=f"{idp.base}/no-keys-here"))
    result = send_with(profile, f"{idp.base}/api/things", idp.token())
    assert roles(result.exchange)[0] == ("jwks", "no-keys-here") and result.exchange.hops[0].status == 404
    token = result.diagnosis.token if result.diagnosis else None
    assert token is not None and token.verify_outcome == "unavailable"
    assert token.verify_error == f"The JWKS at {idp.base}/no-keys-here could not be fetched: the server " \
                                 "answered 404 Not Found."


def test_an_issuer_alone_finds_its_jwks_by_discovery(idp: Issuer, tmp_path: Path) -> None:
    profile = bearer_profile(tmp_path, Expect(issuer=idp.issuer))
    cache = TokenCache()
    result = send_with(profile, f"{idp.base}/api/things", idp.token(), cache)
    assert roles(result.exchange) == [("discovery", ".well-known/openid-configuration"), ("jwks", "keys"),
                                      ("request", "api/things")]
    assert result.diagnosis is not None and result.diagnosis.token is not None
    assert result.diagnosis.token.verified
    assert result.expectations.jwks_url == f"{idp.base}/keys"  # a re-explanation checks there too
    # the metadata is kept for the run: the next send fetches only the keys (they may have rotated)
    again = send_with(profile, f"{idp.base}/api/things", idp.token(), cache)
    assert [r for r, _u in roles(again.exchange)] == ["jwks", "request"]


def test_a_rotated_key_is_signing_key_unknown_not_a_bad_signature(idp: Issuer, tmp_path: Path) -> None:
    profile = bearer_profile(tmp_path, Expect(issuer=idp.issuer))
    old_key = rsa.generate_private_key(65537, 2048)
    result = send_with(profile, f"{idp.base}/api/things", idp.token(old_key, kid="key-2025"))
    diagnosis = result.diagnosis
    assert diagnosis is not None and diagnosis.verdict == "authentication"
    finding = diagnosis.finding("signing-key-unknown")
    assert finding is not None and "signature-invalid" not in diagnosis.finding_ids
    assert finding.evidence["kid"] == "key-2025" and finding.evidence["jwks_kids"] == [idp.kid]
    assert finding.evidence["jwks_url"] == f"{idp.base}/keys"


def test_the_right_kid_with_the_wrong_key_is_signature_invalid(idp: Issuer, tmp_path: Path) -> None:
    profile = bearer_profile(tmp_path, Expect(issuer=idp.issuer))
    forged = idp.token(rsa.generate_private_key(65537, 2048))  # the published kid, another key
    result = send_with(profile, f"{idp.base}/api/things", forged)
    diagnosis = result.diagnosis
    assert diagnosis is not None and "signature-invalid" in diagnosis.finding_ids
    assert "signing-key-unknown" not in diagnosis.finding_ids
    assert diagnosis.token is not None and diagnosis.token.verify_outcome == "invalid"


def test_an_issuer_without_discovery_leaves_the_signature_unchecked(idp: Issuer, tmp_path: Path) -> None:
    idp.publish_discovery = False
    profile = bearer_profile(tmp_path, Expect(issuer=idp.issuer))
    result = send_with(profile, f"{idp.base}/api/things", idp.token())
    assert [r for r, _u in roles(result.exchange)] == ["discovery", "discovery", "request"]
    assert [h.status for h in result.exchange.hops[:2]] == [404, 404]
    assert "/keys" not in idp.asked
    assert result.diagnosis is not None and result.diagnosis.token is not None
    assert result.diagnosis.token.verify_outcome is None  # not checked, and not called invalid


def test_no_network_when_nothing_signed_was_sent(idp: Issuer, tmp_path: Path) -> None:
    profile = bearer_profile(tmp_path, Expect(issuer=idp.issuer))
    result = send_with(profile, f"{idp.base}/api/things", "an-opaque-token-value")
    assert [r for r, _u in roles(result.exchange)] == ["request"] and idp.asked == ["/api/things"]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (a private CA of one), as PEM files."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "issuer.pem", folder / "issuer-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_an_issuer_behind_a_private_ca_is_trusted_with_the_profiles_ca_bundle(tmp_path: Path) -> None:
    """The [tls] ca_bundle that lets the request through also lets the check fetch discovery and the JWKS."""
    import ssl

    from inspector.core.profiles.model import TlsSettings
    from tests.support.servers import QuietServer

    cert_file, key_file = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    idp = Issuer()
    server = QuietServer(("127.0.0.1", 0), responding(idp.respond))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_in_background()
    try:
        idp.base = f"https://127.0.0.1:{server.server_address[1]}"
        profile = new_profile("bearer", "bearer", tmp_path, credentials={"token": "${env:CHECK_TOKEN}"},
                              expect=Expect(issuer=idp.issuer), tls=TlsSettings(ca_bundle=str(cert_file)))
        result = send_with(profile, f"{idp.base}/api/things", idp.token())
    finally:
        server.stop()
    assert [(h.role, h.status) for h in result.exchange.hops] == [("discovery", 200), ("jwks", 200),
                                                                  ("request", 401)]
    assert result.diagnosis is not None and result.diagnosis.token is not None
    assert result.diagnosis.token.verified


@pytest.mark.parametrize("issuer", ["demo-issuer", "urn:example:idp", ""])
def test_an_issuer_that_is_not_a_url_is_not_asked(idp: Issuer, issuer: str) -> None:
    exchange = send(RequestSpec(url=f"{idp.base}/api/x", headers=(Header("Authorization", f"Bearer {idp.token()}"),)))
    checked = check_signature(exchange, Expectations(), issuer=issuer)
    assert checked.exchange is exchange and checked.token is None and checked.discovered_jwks is None
    assert idp.asked == ["/api/x"]
