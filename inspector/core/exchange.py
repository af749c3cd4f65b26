"""Exchange and Hop: what was sent and received on each hop of one send, with timings and the error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from inspector.core.errors import ErrorKind
from inspector.core.request import RequestSpec

__all__ = [
    "ERROR_KINDS",
    "HELD_REASONS",
    "HOP_ROLES",
    "CookieNote",
    "ErrorKind",
    "Exchange",
    "HeaderLines",
    "HeldCookie",
    "Hop",
    "HopRole",
    "Response",
    "ServerCertificate",
    "TlsReport",
    "TransportFailure",
    "as_error_kind",
    "as_hop_role",
    "header_value",
    "header_values",
    "joined_headers",
]

HeaderLines = tuple[tuple[str, str], ...]  # raw header lines in order, names as sent/received, repeats kept

ERROR_KINDS: tuple[ErrorKind, ...] = get_args(ErrorKind)

# What a hop was for: the user's request (and each redirect it followed), or a request a profile or sign-in
# flow made on its way (a token, a login, an authorization, discovery, JWKS).
HopRole = Literal["request", "login", "authorize", "token", "discovery", "jwks"]
HOP_ROLES: tuple[HopRole, ...] = get_args(HopRole)


def as_error_kind(value: object) -> ErrorKind:
    """value when it names an error kind; "other" (the kind for what has no kind of its own) otherwise."""
    return next((kind for kind in ERROR_KINDS if kind == value), "other")


def as_hop_role(value: object) -> HopRole | None:
    """value when it names a hop role, else None."""
    return next((role for role in HOP_ROLES if role == value), None)


def header_value(lines: HeaderLines, name: str) -> str | None:
    """Repeated headers joined with ', ' (case-insensitive name); None when absent."""
    values = [v for k, v in lines if k.lower() == name.lower()]
    return ", ".join(values) if values else None


def header_values(lines: HeaderLines, name: str) -> list[str]:
    """Every raw line's value for this header name, in order."""
    return [v for k, v in lines if k.lower() == name.lower()]


def joined_headers(lines: HeaderLines) -> dict[str, str]:
    """Header name (first spelling seen) to value, repeats joined with ', '."""
    out: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for k, v in lines:
        key = spelled.setdefault(k.lower(), k)
        out[key] = f"{out[key]}, {v}" if key in out else v
    return out


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: HeaderLines
    body: bytes  # at most the body cap; see body_truncated
    body_bytes: int  # bytes received (may exceed len(body) when truncated)
    body_truncated: bool = False
    http_version: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308) and self.header("Location") is not None


@dataclass(frozen=True)
class CookieNote:
    """A cookie a response set (Set-Cookie), as the profile's jar understood it. Never its value."""

    name: str
    domain: str  # the host it is for (host_only) or the domain it covers
    path: str
    secure: bool = False
    http_only: bool = False
    host_only: bool = True
    expires: datetime | None = None  # None: a session cookie, kept until the run ends
    same_site: str | None = None
    removed: bool = False  # an expiry in the past: the server deleted it (a logout, an expired session)
    rejected: str | None = None  # why the jar did not keep it (a Domain that does not cover the host, ...)


# Why a cookie the jar held for this site was not sent on a hop
HELD_REASONS = ("secure", "domain", "path", "expired")


@dataclass(frozen=True)
class HeldCookie:
    """A cookie of the profile's jar for this site that was not sent on a hop, and why (RFC 6265 rules)."""

    name: str
    domain: str
    path: str
    reason: str  # one of HELD_REASONS
    detail: str  # the reason as a sentence


@dataclass(frozen=True)
class ServerCertificate:
    """The certificate a TLS server presented, read by a second handshake that verified nothing."""

    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    sha256: str  # fingerprint, upper-case hex pairs joined with ':'
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    self_signed: bool = False


@dataclass(frozen=True)
class TlsReport:
    """What went wrong in a TLS handshake: the library's reason, what was sent, what the server showed."""

    reason: str  # the SSL library's words, e.g. "CERTIFICATE_VERIFY_FAILED: self-signed certificate"
    host: str
    port: int
    client_cert_sent: bool = False
    client_cert_requested: bool | None = None  # None: not known (the describing handshake could not tell)
    alert: str | None = None  # the TLS alert the server sent, e.g. "certificate required", "unknown ca"
    certificate: ServerCertificate | None = None
    ca_bundle: str | None = None  # the profile's [tls] ca_bundle the verification used
    checked_at: datetime | None = None  # local clock when the certificate was read


@dataclass(frozen=True)
class Hop:
    """One HTTP request that went on the wire and what came back for it.

    role is "request" for the user's request and each redirect it followed; "login", "authorize", "token",
    "discovery" and "jwks" for the requests a profile made to sign in first, so the explainer can judge those
    too. The authorize hop of a browser sign-in was not sent by the app: it records the authorization URL and
    the callback the browser brought back (code and state masked).
    """

    method: str
    url: str
    sent_headers: HeaderLines
    sent_body: bytes = b""
    response: Response | None = None
    elapsed_s: float = 0.0
    sent_at: datetime | None = None  # local clock, UTC-aware
    role: HopRole = "request"
    credentials_stripped: tuple[str, ...] = ()  # header/param names removed because the origin changed
    netrc_applied: bool = False  # requests' .netrc handling replaced the Authorization header
    # The profile's cookie jar on this hop (session and cookie profiles): names sent, cookies held back and
    # why, cookies the response set. Values never: they are secrets.
    cookies_sent: tuple[str, ...] = ()
    cookies_held: tuple[HeldCookie, ...] = ()
    cookies_set: tuple[CookieNote, ...] = ()
    tls: TlsReport | None = None  # a failed TLS handshake, described

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None

    @property
    def location(self) -> str | None:
        return self.response.header("Location") if self.response else None

    def sent_header(self, name: str) -> str | None:
        return header_value(self.sent_headers, name)


@dataclass(frozen=True)
class TransportFailure:
    kind: ErrorKind
    message: str  # a sentence naming the method and URL


@dataclass(frozen=True)
class Exchange:
    """One send: the spec as composed, every hop in order (sign-in and token hops first), the final response
    or error."""

    spec: RequestSpec
    hops: tuple[Hop, ...] = ()
    error: TransportFailure | None = None
    sent_at: datetime | None = None  # local clock when the user's request went out (UTC-aware)
    received_at: datetime | None = None  # local clock when the last byte came back
    profile_name: str | None = None
    # why the profile's token fetch gave no usable token (the token hop is then the last one); never a secret
    token_problem: str | None = None
    # a HAR entry the browser answered from its cache ("memory", "disk"): it never reached the server
    from_cache: str | None = None
    # the proxy the user's request went through, as scheme://host:port (never its user name or password)
    proxy: str | None = None

    @property
    def request_hops(self) -> tuple[Hop, ...]:
        return tuple(h for h in self.hops if h.role == "request")

    @property
    def final_hop(self) -> Hop | None:
        """The last hop of the user's request; the token request's hop when a token fetch stopped the send."""
        hops = self.request_hops or self.hops
        return hops[-1] if hops else None

    @property
    def response(self) -> Response | None:
        hop = self.final_hop
        return hop.response if hop and self.error is None else None

    @property
    def elapsed_s(self) -> float:
        return sum(h.elapsed_s for h in self.request_hops)

    @property
    def bodies_size(self) -> int:
        """How much its bodies hold (the composed one's characters, each hop's bytes sent and received): what
        masking it reads whole."""
        return len(self.spec.body.text) + sum(
            len(h.sent_body) + (len(h.response.body) if h.response is not None else 0) for h in self.hops)
