"""What the demo API knows: its secrets, its signing key, the token scenarios, the endpoint table, payloads.

Pure functions and small value classes; the HTTP plumbing lives in server.py. Nothing here runs at import time
(keys and the PNG are made on first use).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# ---------------------------------------------------------------------------------------------------------
# Who is who in the demo. The secrets are demo values, but they are still treated as secrets: profiles refer
# to them as ${env:...} (see demo_environment in server.py) and the server never prints them.
REALM = "demo"
DEMO_AUDIENCE = "https://api.demo.request-inspector.dev"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-pass-7Qx2-wKp9"
DEMO_API_KEY = "demo_key_4f9c2a7e1b5d8c3a"
CONFIDENTIAL_CLIENT_ID = "demo-service"
DEMO_CLIENT_SECRET = "demo-client-secret-9fK3LmZq"
PUBLIC_CLIENT_ID = "demo-cli"
DEMO_REFRESH_TOKEN = "demo-refresh-8d1e6b0c4a7f2e91"
SPA_CLIENT_ID = "demo-spa"  # the audience of the demo ID token
SUBJECT = "demo-user"
ALL_SCOPES = ("invoices:read", "invoices:write", "reports:read")
DEFAULT_TOKEN_SCOPE = "invoices:read"
SKEW_S = 7 * 60  # how far ahead the clock-skew endpoint's clock runs
STEP_UP_ACR = "urn:mfa"
STEP_UP_MAX_AGE_S = 300
MAX_LARGE_MB = 200.0
MAX_SLOW_S = 60.0
MAX_REDIRECTS = 100
MAX_BINARY_BYTES = 10 * 1024 * 1024


# ---------------------------------------------------------------------------------------------------------
# Token scenarios: what mint_token(base_url, scenario) can make, and what each demonstrates.
TOKEN_SCENARIOS: Mapping[str, str] = {
    "valid": "A healthy RS256 access token with every demo scope (acr urn:pwd, signed in 30 min ago).",
    "expired": "Expired 4 minutes ago.",
    "not-yet-valid": "nbf 10 minutes in the future.",
    "wrong-audience": "Issued for another API (aud api://other-service).",
    "missing-scope": "Only invoices:read: no invoices:write, no reports:read.",
    "id-token": "An OpenID Connect ID token (token_use=id, nonce, at_hash) sent as an access token.",
    "opaque": "Not a JWT: only the issuer could introspect it.",
    "jwe": "An encrypted token (JWE, 5 segments, RSA-OAEP / A256GCM).",
    "alg-none": "Unsigned: header alg none, empty signature.",
    "bad-signature": "Signed by another key with the server's kid: the signature does not verify.",
    "refresh-token": "A refresh token (token_type refresh) sent as an access token.",
    "step-up": "Healthy, but the login was password-only 30 minutes ago (acr urn:pwd).",
    "mfa": "Healthy, with a fresh multi-factor login (acr urn:mfa): passes the step-up endpoint.",
    "dpop-bound": "Bound to a DPoP key (cnf.jkt) but sent as a plain Bearer token.",
    "clock-skew": "Valid for 3 more minutes by your clock; the skewed server's clock is 7 minutes ahead.",
    "not-permitted": "Healthy token of a user without the admin role.",
    "near-expiry": "Accepted, but it expires 20 seconds after it is minted: it may expire in flight.",
    "jku-header": "Accepted (signed by the demo key), but its header names a key URL (jku) an attacker could "
    "point anywhere.",
}
JKU_URL = "https://keys.attacker.example/jwks.json"  # the jku the jku-header token names (never fetched)
NEAR_EXPIRY_S = 20


class UnknownScenarioError(ValueError):
    """mint_token was asked for a scenario that does not exist."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj: object) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


class DemoKey:
    """The RSA key a demo server signs its tokens with, generated when the server starts."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self.private_key = private_key
        numbers = private_key.public_key().public_numbers()
        self.n = b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))
        self.e = b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big"))
        # RFC 7638 thumbprint as kid: stable for the key, unique per server run
        canonical = json.dumps(
            {"e": self.e, "kty": "RSA", "n": self.n}, separators=(",", ":"), sort_keys=True
        )
        self.kid = b64url(hashlib.sha256(canonical.encode("ascii")).digest())[:16]

    @classmethod
    def generate(cls) -> DemoKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": self.n, "e": self.e}]
        }

    def sign(self, claims: Mapping[str, Any], typ: str = "at+jwt") -> str:
        return jwt.encode(
            dict(claims), self.private_key, algorithm="RS256", headers={"kid": self.kid, "typ": typ}
        )


@lru_cache(maxsize=1)
def _foreign_key() -> rsa.RSAPrivateKey:
    """A key nobody publishes: tokens it signs fail verification."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def access_claims(issuer: str, now: float, *, scope: str, lifetime_s: int, client_id: str) -> dict[str, Any]:
    """The claims of a healthy access token (RFC 9068 shape)."""
    t = int(now)
    return {
        "iss": issuer,
        "sub": SUBJECT,
        "aud": DEMO_AUDIENCE,
        "iat": t,
        "nbf": t,
        "exp": t + lifetime_s,
        "jti": secrets.token_hex(8),
        "client_id": client_id,
        "scope": scope,
        "roles": ["reader"],
        "acr": "urn:pwd",
        "auth_time": t - 1800,
    }


def mint_with_key(key: DemoKey, issuer: str, scenario: str, now: float) -> str:
    """A token for one of TOKEN_SCENARIOS, signed (or not) as the scenario requires."""
    if scenario not in TOKEN_SCENARIOS:
        raise UnknownScenarioError(
            f"There is no demo token scenario '{scenario}': use one of {', '.join(TOKEN_SCENARIOS)}."
        )
    t = int(now)
    claims = access_claims(issuer, now, scope=" ".join(ALL_SCOPES), lifetime_s=3600, client_id=SPA_CLIENT_ID)
    if scenario in ("valid", "step-up", "not-permitted"):
        return key.sign(claims)
    if scenario == "expired":
        claims.update(iat=t - 3840, nbf=t - 3840, exp=t - 240, auth_time=t - 3900)
        return key.sign(claims)
    if scenario == "not-yet-valid":
        claims.update(nbf=t + 600, exp=t + 4200)
        return key.sign(claims)
    if scenario == "wrong-audience":
        claims["aud"] = "api://other-service"
        return key.sign(claims)
    if scenario == "missing-scope":
        claims["scope"] = "invoices:read"
        return key.sign(claims)
    if scenario == "id-token":
        id_claims = {
            "iss": issuer,
            "sub": SUBJECT,
            "aud": SPA_CLIENT_ID,
            "iat": t,
            "exp": t + 3600,
            "auth_time": t - 60,
            "token_use": "id",
            "nonce": secrets.token_urlsafe(12),
            "at_hash": b64url(os.urandom(16)),
            "email": "demo.user@example.com",
            "name": "Demo User",
        }
        return key.sign(id_claims, typ="JWT")
    if scenario == "opaque":
        return "dmo_at_" + secrets.token_urlsafe(30)
    if scenario == "jwe":
        return encrypt_jwe(key, claims)
    if scenario == "alg-none":
        return f"{b64url_json({'alg': 'none', 'typ': 'JWT'})}.{b64url_json(claims)}."
    if scenario == "bad-signature":
        return jwt.encode(
            claims, _foreign_key(), algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"}
        )
    if scenario == "refresh-token":
        claims.update(token_type="refresh", exp=t + 30 * 86400)
        claims.pop("scope")
        return key.sign(claims, typ="JWT")
    if scenario == "mfa":
        claims.update(acr=STEP_UP_ACR, amr=["pwd", "otp"], auth_time=t - 30)
        return key.sign(claims)
    if scenario == "dpop-bound":
        claims["cnf"] = {"jkt": b64url(hashlib.sha256(b"demo-dpop-key").digest())}
        return key.sign(claims)
    if scenario == "clock-skew":
        claims.update(iat=t - 3420, nbf=t - 3420, exp=t + 180)
        return key.sign(claims)
    if scenario == "near-expiry":
        claims.update(iat=t - 3600 + NEAR_EXPIRY_S, nbf=t - 3600 + NEAR_EXPIRY_S, exp=t + NEAR_EXPIRY_S)
        return key.sign(claims)
    if scenario == "jku-header":
        return jwt.encode(
            claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt", "jku": JKU_URL}
        )
    raise AssertionError(f"scenario {scenario} is listed but not minted")  # pragma: no cover


def encrypt_jwe(key: DemoKey, claims: Mapping[str, Any]) -> str:
    """A real compact JWE (RSA-OAEP + A256GCM) of the claims, encrypted to the demo key."""
    protected = b64url_json({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": key.kid, "typ": "JWT"})
    cek = AESGCM.generate_key(bit_length=256)
    encrypted_key = key.public_key.encrypt(
        cek, padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    )
    iv = os.urandom(12)
    sealed = AESGCM(cek).encrypt(iv, json.dumps(dict(claims)).encode("utf-8"), protected.encode("ascii"))
    ciphertext, tag = sealed[:-16], sealed[-16:]
    return ".".join((protected, b64url(encrypted_key), b64url(iv), b64url(ciphertext), b64url(tag)))


# ---------------------------------------------------------------------------------------------------------
# Challenges
def challenge(scheme: str, **params: str | int) -> str:
    """'Scheme k="v", n=5': strings quoted (with escapes), ints bare."""
    parts = []
    for name, value in params.items():
        if isinstance(value, int):
            parts.append(f"{name}={value}")
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{name}="{escaped}"')
    return f"{scheme} {', '.join(parts)}" if parts else scheme


def bearer_challenge(**params: str | int) -> str:
    return challenge("Bearer", realm=REALM, **params)


# ---------------------------------------------------------------------------------------------------------
# Digest (RFC 7616): stateless nonces (time + HMAC), MD5 and SHA-256, qop=auth.
DIGEST_ALGORITHMS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
NONCE_LIFETIME_S = 300
_DIGEST_PARAM_RE = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')


def make_nonce(secret: bytes, now: float) -> str:
    stamp = str(int(now))
    mac = hmac.new(secret, stamp.encode("ascii"), hashlib.sha256).hexdigest()[:32]
    return b64url(f"{stamp}:{mac}".encode("ascii"))


def nonce_age(secret: bytes, nonce: str, now: float) -> float | None:
    """Seconds since this server issued the nonce; None when it did not issue it."""
    try:
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4)).decode("ascii")
        stamp, mac = raw.split(":", 1)
        expected = hmac.new(secret, stamp.encode("ascii"), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac, expected):
            return None
        return now - int(stamp)
    except (ValueError, UnicodeDecodeError):
        return None


def parse_digest_params(value: str) -> dict[str, str]:
    """The name=value pairs of a Digest Authorization header (names lower-cased)."""
    out: dict[str, str] = {}
    for m in _DIGEST_PARAM_RE.finditer(value):
        quoted, bare = m.group(2), m.group(3)
        val = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else (bare or "")
        out.setdefault(m.group(1).lower(), val)
    return out


def digest_response(
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str,
    cnonce: str,
    qop: str,
) -> str:
    """The request-digest of RFC 7616 §3.4.1 for qop=auth."""
    h = DIGEST_ALGORITHMS[algorithm]

    def hx(s: str) -> str:
        return h(s.encode("utf-8")).hexdigest()

    ha1 = hx(f"{username}:{realm}:{password}")
    ha2 = hx(f"{method}:{uri}")
    return hx(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


# ---------------------------------------------------------------------------------------------------------
# Payloads
@lru_cache(maxsize=1)
def png_image(width: int = 96, height: int = 96) -> bytes:
    """A small real PNG (RGB, 8 bit): a blue gradient with a white disc and a padlock-coloured bar."""
    rows = bytearray()
    cx, cy, r2 = width / 2, height / 2, (width / 3) ** 2
    for y in range(height):
        rows.append(0)  # filter type None
        for x in range(width):
            dx, dy = x - cx, y - cy
            if abs(dy) < height / 14 and abs(dx) < width / 5:
                px = (230, 160, 40)
            elif dx * dx + dy * dy < r2:
                px = (245, 245, 250)
            else:
                px = (30 + 120 * x // width, 70 + 110 * y // height, 200)
            rows.extend(px)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


_RECORD = (
    '{"id":%8d,"name":"Customer %08d","email":"customer%08d@example.com","active":true,'
    '"balance":%10.2f,"tags":["demo","large","json"],"address":{"city":"Springfield","zip":"%05d"}}'
)
_RECORD_LEN = len(_RECORD % (0, 0, 0, 0.0, 0))
_RECORDS_PER_CHUNK = 5000
MIB = 1024 * 1024


def large_record_count(mb: float) -> int:
    """How many fixed-width records make a JSON array of about mb MiB."""
    return max(1, int((mb * MIB - 1) // (_RECORD_LEN + 1)))


def _large_chunks(count: int) -> tuple[bytes, ...]:
    chunks = []
    for start in range(0, count, _RECORDS_PER_CHUNK):
        end = min(count, start + _RECORDS_PER_CHUNK)
        text = ",".join(_RECORD % (i, i, i, (i * 37 % 100000) / 100, i % 100000) for i in range(start, end))
        prefix = "[" if start == 0 else ","
        suffix = "]" if end == count else ""
        chunks.append((prefix + text + suffix).encode("ascii"))
    return tuple(chunks)


class LargeBodyCache:
    """Generated large JSON bodies, kept as chunks (no single huge bytes object), LRU-bounded in size."""

    def __init__(self, max_bytes: int = 256 * MIB) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[int, tuple[tuple[bytes, ...], int]] = OrderedDict()

    def get(self, mb: float) -> tuple[tuple[bytes, ...], int]:
        count = large_record_count(mb)
        with self._lock:  # one generation at a time: concurrent requests for the same size wait and share it
            hit = self._items.get(count)
            if hit is not None:
                self._items.move_to_end(count)
                return hit
            chunks = _large_chunks(count)
            item = (chunks, sum(len(c) for c in chunks))
            self._items[count] = item
            while sum(size for _, size in self._items.values()) > self.max_bytes and len(self._items) > 1:
                self._items.popitem(last=False)
            return item


def binary_bytes(size: int) -> bytes:
    pattern = bytes((i * 7 + 3) & 0xFF for i in range(256))
    return (pattern * (size // 256 + 1))[:size]


# ---------------------------------------------------------------------------------------------------------
# Request bodies, as /echo reports them
MAX_TEXT_ECHO = 64 * 1024


def _add_field(fields: dict[str, Any], name: str, value: str) -> None:
    """A repeated field name turns its value into a list, in order."""
    if name not in fields:
        fields[name] = value
    elif isinstance(fields[name], list):
        fields[name].append(value)
    else:
        fields[name] = [fields[name], value]


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(fields, files) of a multipart/form-data body; files are reported by name, file name and size."""
    fields: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    delimiter = b"--" + boundary.encode("latin-1")
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # the close delimiter
        if part.startswith(b"\r\n"):
            part = part[2:]
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        msg = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                msg[name.strip()] = value.strip()
        field_name = msg.get_param("name", header="content-disposition")
        field_name = str(field_name) if field_name is not None else ""
        filename = msg.get_filename()
        if filename is not None:
            files.append(
                {
                    "name": field_name,
                    "filename": filename,
                    "size": len(content),
                    "content_type": msg.get("Content-Type", "application/octet-stream"),
                }
            )
        else:
            value = content.decode("utf-8", "replace")
            _add_field(fields, field_name, value)
    return fields, files


def describe_body(content_type: str | None, body: bytes) -> dict[str, Any]:
    """What /echo says about a request body: parsed JSON, form fields, multipart fields and files, or text."""
    ctype = content_type or ""
    out: dict[str, Any] = {"content_type": content_type, "body_bytes": len(body)}
    if not body:
        return out
    msg = Message()
    msg["Content-Type"] = ctype or "application/octet-stream"
    mime = msg.get_content_type()
    if mime == "application/json" or mime.endswith("+json"):
        try:
            out["json"] = json.loads(body)
            return out
        except ValueError as exc:
            out["json_error"] = f"The body is not valid JSON: {exc}."
    elif mime == "application/x-www-form-urlencoded":
        form: dict[str, Any] = {}
        for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            _add_field(form, k, v)
        out["form"] = form
        return out
    elif mime == "multipart/form-data":
        boundary = msg.get_param("boundary")
        if isinstance(boundary, str) and boundary:
            out["form"], out["files"] = parse_multipart(body, boundary)
            return out
        out["multipart_error"] = "The multipart body has no boundary parameter in its Content-Type."
    text = body[:MAX_TEXT_ECHO].decode("utf-8", "replace")
    out["text"] = text
    if len(body) > MAX_TEXT_ECHO:
        out["text_truncated"] = True
    return out


# ---------------------------------------------------------------------------------------------------------
# The endpoint table (GET / serves it; server.py's docstring holds the same table for readers).
@dataclass(frozen=True)
class Endpoint:
    methods: str
    path: str
    summary: str
    group: str


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/", "This index.", "basics"),
    Endpoint("GET", "/json", "A small JSON document (200).", "basics"),
    Endpoint(
        "POST PUT PATCH DELETE", "/echo", "Echoes method, headers, query and the parsed body.", "basics"
    ),
    Endpoint("GET", "/large?mb=10", "A valid JSON array of about N MiB (max 200), cached.", "basics"),
    Endpoint("GET", "/image.png", "A small PNG image.", "basics"),
    Endpoint("GET", "/binary?bytes=4096", "application/octet-stream bytes (max 10 MiB).", "basics"),
    Endpoint("GET", "/slow?s=5", "Answers after s seconds (max 60).", "basics"),
    Endpoint("GET", "/redirect/N", "A chain of N 302 redirects ending at /json (N at most 100).", "basics"),
    Endpoint("GET", "/redirect-absolute", "One 302 to the absolute URL of /json.", "basics"),
    Endpoint(
        "GET",
        "/redirect-other-origin?to=PATH",
        "302 to PATH on the other loopback name "
        "(127.0.0.1 <-> localhost): a different origin on the same server.",
        "basics",
    ),
    Endpoint("ANY", "/status/CODE", "Answers with that status (200-599).", "basics"),
    Endpoint("GET", "/headers", "Echoes the request headers.", "basics"),
    Endpoint("GET", "/xml", "An XML document.", "basics"),
    Endpoint("GET", "/html", "An HTML page.", "basics"),
    Endpoint("GET", "/text", "Plain text.", "basics"),
    Endpoint("GET", "/lying-json", "JSON served as text/plain.", "basics"),
    Endpoint("GET", "/gzip", "gzip-encoded JSON (Content-Encoding: gzip).", "basics"),
    Endpoint("GET", "/.well-known/jwks.json", "The public key that signs the demo tokens.", "tokens"),
    Endpoint(
        "GET",
        "/.well-known/openid-configuration",
        "Issuer metadata (issuer, jwks_uri, token endpoint).",
        "tokens",
    ),
    Endpoint("GET", "/tokens", "A fresh token for every token scenario.", "tokens"),
    Endpoint("GET", "/tokens/SCENARIO", "A fresh token for one scenario (see token_scenarios).", "tokens"),
    Endpoint(
        "GET",
        "/api/invoices",
        "Bearer JWT, scope invoices:read. Every token problem answers here "
        "as a real API would (expired, nbf, audience, ID token, JWE, alg none, signature ...).",
        "api",
    ),
    Endpoint(
        "POST",
        "/api/invoices",
        "Bearer JWT, scope invoices:write: 403 insufficient_scope with a challenge naming the scope.",
        "api",
    ),
    Endpoint(
        "GET",
        "/api/reports",
        "Bearer JWT, scope reports:read: 403 insufficient_scope in the body only, no challenge.",
        "api",
    ),
    Endpoint(
        "GET", "/api/admin/users", "Bearer JWT, role admin: 403 authenticated but not permitted.", "api"
    ),
    Endpoint(
        "GET",
        "/api/transfers",
        "Bearer JWT with acr urn:mfa and a login under 300 s old: 401 "
        "insufficient_user_authentication (RFC 9470 step-up).",
        "api",
    ),
    Endpoint(
        "GET",
        "/api/dpop/invoices",
        'DPoP only: 401 DPoP algs="ES256", error="use_dpop_nonce" and a DPoP-Nonce header.',
        "api",
    ),
    Endpoint(
        "GET",
        "/api/skewed/invoices",
        "Like /api/invoices, but the server's clock (and Date) runs 7 minutes ahead.",
        "api",
    ),
    Endpoint(
        "GET",
        "/api/moved",
        "302 to /api/invoices on the other loopback origin: the client drops "
        "the Authorization header and the target answers 401.",
        "api",
    ),
    Endpoint(
        "ANY",
        "/scenario/no-challenge",
        '401 {"message":"Unauthorized"} without WWW-Authenticate (AWS API Gateway).',
        "scenarios",
    ),
    Endpoint("ANY", "/scenario/lowercase-bearer", "401 with a lowercase 'bearer' challenge.", "scenarios"),
    Endpoint(
        "ANY",
        "/scenario/multiple-challenges",
        "401 offering Bearer and Basic in one header line and Negotiate in another.",
        "scenarios",
    ),
    Endpoint("ANY", "/scenario/fastapi", '401 {"detail":"Not authenticated"} (FastAPI).', "scenarios"),
    Endpoint("ANY", "/scenario/problem-json", "401 application/problem+json (RFC 9457).", "scenarios"),
    Endpoint(
        "ANY",
        "/scenario/flask-jwt-422",
        '422 {"msg":"Signature verification failed"} (Flask-JWT-Extended).',
        "scenarios",
    ),
    Endpoint(
        "ANY",
        "/scenario/aws-signature-expired",
        '403 {"message":"Signature expired: ..."} (AWS SigV4).',
        "scenarios",
    ),
    Endpoint(
        "ANY",
        "/scenario/aws-missing-token",
        '403 {"message":"Missing Authentication Token"} (AWS API Gateway).',
        "scenarios",
    ),
    Endpoint("ANY", "/scenario/rate-limited", "403 with X-RateLimit-Remaining: 0 (GitHub).", "scenarios"),
    Endpoint("ANY", "/scenario/too-many-requests", "429 with Retry-After.", "scenarios"),
    Endpoint("ANY", "/scenario/proxy-auth", "407 with Proxy-Authenticate.", "scenarios"),
    Endpoint(
        "ANY", "/scenario/waf-blocked", "403 HTML block page from a web application firewall.", "scenarios"
    ),
    Endpoint("ANY", "/scenario/clock-skew", "200 whose Date header is 7 minutes ahead.", "scenarios"),
    Endpoint(
        "GET",
        "/auth/basic",
        'HTTP Basic, user demo (WWW-Authenticate: Basic realm="demo", charset="UTF-8").',
        "auth",
    ),
    Endpoint("GET", "/auth/digest", "HTTP Digest (RFC 7616), offers SHA-256 and MD5, qop=auth.", "auth"),
    Endpoint("GET", "/auth/digest/md5", "HTTP Digest, MD5 only.", "auth"),
    Endpoint("GET", "/auth/digest/sha-256", "HTTP Digest, SHA-256 only.", "auth"),
    Endpoint("GET", "/auth/api-key", "API key in the X-API-Key header.", "auth"),
    Endpoint("GET", "/auth/api-key-query?api_key=KEY", "API key in the query.", "auth"),
    Endpoint(
        "POST",
        "/oauth/token",
        "OAuth 2 token endpoint: client_credentials (secret in the body or "
        "HTTP Basic) and refresh_token grants; expires_in 300.",
        "auth",
    ),
    Endpoint("POST", "/oauth/token-short", "The same, issuing tokens that live 5 seconds.", "auth"),
    Endpoint("GET POST", "/app/login", "A login form (csrftoken cookie, hidden csrfmiddlewaretoken): a "
             "sessionid cookie that lives `lifetime` seconds (default 300).", "signin"),
    Endpoint("POST", "/app/logout", "Ends the session and deletes its cookie (Max-Age=0).", "signin"),
    Endpoint("POST", "/app/expire-sessions", "Ends every session on the server; the cookies stay.", "signin"),
    Endpoint("GET", "/app/", "The signed-in page; 302 to the login form without a session.", "signin"),
    Endpoint("GET POST", "/app/notes", "Session API: a login redirect (Flask-Login) without a session; POST "
             "also needs X-CSRFToken = the csrftoken cookie (403 'CSRF Failed').", "signin"),
    Endpoint("GET", "/app/profile", "Session API: 401 JSON without a session.", "signin"),
    Endpoint("POST", "/app/api/login", 'JSON login: {"access_token": ...} the demo API accepts.', "signin"),
    Endpoint("GET", "/app/demo-session", "A signed-in session id for an hour (the cookie profile's value).",
             "signin"),
    Endpoint("GET", "/oauth/authorize", "Authorization code with PKCE (S256) and state; loopback redirect "
             "URIs only; signs the demo user in at once (demo_outcome=deny refuses).", "signin"),
    Endpoint("POST", "/oauth/device", "Device authorization (RFC 8628): user_code, verification_uri, "
             "interval 1 s.", "signin"),
    Endpoint("GET", "/device", "Allows the device code user_code (action=deny denies it).", "signin"),
    Endpoint("POST", "/keys/rotate", "A new signing key: tokens signed before are refused (unknown kid).",
             "signin"),
    Endpoint("GET", "/.well-known/oauth-authorization-server", "RFC 8414 metadata of the issuer (and of "
             "/tenant-b, which has no OpenID document).", "signin"),
    Endpoint("GET", "/burst/tokens", "The incident burst's tokens: before the signing key rotated, after it "
             "(a key the API does not know yet), and expired together.", "incidents"),
    Endpoint("GET", "/burst/api/orders", "The burst's API: 200 with a token of the old key; 401 'Signature "
             "verification failed' for the new key, 401 expired for the expired tokens.", "incidents"),
    Endpoint("GET", "/burst/api/invoices", "The same API's second endpoint.", "incidents"),
    Endpoint("GET", "/tls", "The HTTPS endpoints (mTLS over TLS 1.3 and 1.2, self-signed, wrong host, "
             "expired) and the demo CA's files.", "tls"),
)
