"""The foundation every auth class stands on: the `ProfileAuth` protocol the transport drives, its defaults,
the TokenCache a run keeps, and the OAuth 2 token fetch that every OAuth kind shares.

`ProfileAuth` is the protocol the transport drives (see its methods). `AuthDefaults` implements it for a
request that adds nothing, so each kind overrides only what it does. The transport decides where credentials
may go (one origin rule, in core/transport.py); an auth object only adds them when asked.

Kinds that sign in with several requests also have `sign_in(steps)` (flows.SignInSteps): OIDC discovery, a
login form (session.py), a browser or device flow (oauth.py). Any profile may carry a client certificate or a
CA bundle (`client_tls()`), and session and cookie profiles a cookie jar (`cookie_jar(role)`); AuthDefaults
answers "nothing" to all three, so every auth class has them. auth.py holds the simple kinds and `auth_for`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable
from urllib.parse import quote

import requests
from requests.auth import AuthBase

from inspector.core.cookies import CookieJar
from inspector.core.errors import ProfileError
from inspector.core.exchange import Hop, Response
from inspector.core.profiles.flows import SignInHooks, SignInSteps
from inspector.core.profiles.model import Profile
from inspector.core.redact import Redactor, mask_url
from inspector.core.tls import ClientTls

Clock = Callable[[], datetime]

def utc_now() -> datetime:
    return datetime.now(UTC)


# --- the protocol and its defaults --------------------------------------------------------------------------


@runtime_checkable
class ProfileAuth(Protocol):
    """What the transport asks of a profile's credentials. Every auth class implements all of it."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the credentials to a request the transport has cleared for the profile's origin."""
        ...

    def token_request(self) -> requests.Request | None:
        """A request to send first for a token (OAuth 2), or None when none is needed (or one is cached)."""
        ...

    def accept_token_response(self, hop: Hop, now: datetime) -> str | None:
        """Take the token from the token request's hop; a sentence saying why not, or None when it worked."""
        ...

    def retry_after_challenge(
        self, prepared: requests.PreparedRequest, response: Response
    ) -> requests.PreparedRequest | None:
        """The request again, answering the response's challenge (Digest); None when it does not answer."""
        ...

    def added_names(self) -> tuple[str, ...]:
        """Header and query parameter names it adds: dropped on another origin, masked everywhere."""
        ...

    def secret_values(self) -> tuple[str, ...]:
        """The resolved secrets (and fetched tokens) it holds, for the Redactor."""
        ...


class AuthDefaults(AuthBase):
    """ProfileAuth for credentials that add nothing: no token to fetch first, no challenge to answer, no
    sign-in, no client certificate, no cookie jar."""

    _tls: ClientTls | None = None

    def sign_in(self, steps: SignInSteps) -> str | None:
        """The requests to make before the user's request (discovery, a login, a browser or device flow), as
        hops through steps; None when signed in, else a sentence saying why not (the send ends there)."""
        return None

    def client_tls(self) -> ClientTls | None:
        """The profile's [tls] settings: a client certificate and a CA bundle for this send."""
        return self._tls

    def cookie_jar(self, role: str) -> CookieJar | None:
        """The profile's cookie jar for a hop of this role; None: the transport's own cookie handling."""
        return None

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r

    def token_request(self) -> requests.Request | None:
        return None

    def accept_token_response(self, hop: Hop, now: datetime) -> str | None:
        return None

    def retry_after_challenge(
        self, prepared: requests.PreparedRequest, response: Response
    ) -> requests.PreparedRequest | None:
        return None

    def added_names(self) -> tuple[str, ...]:
        return ()

    def secret_values(self) -> tuple[str, ...]:
        return ()


class BaseProfileAuth(AuthDefaults):
    """The defaults, plus the profile the credentials came from (named in messages)."""

    def __init__(self, profile: Profile) -> None:
        self.profile_name = profile.name
        self.profile_identity = profile.identity
        self.profile_kind = profile.kind


class TlsOnlyProfileAuth(BaseProfileAuth):
    """A profile of kind 'none' with a [tls] table: no credential but its client certificate or CA bundle."""

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(self._tls.key_password if self._tls else None)


def basic_credentials(username: str, password: str) -> str:
    """The Basic credentials for username and password, UTF-8 encoded (RFC 7617 charset="UTF-8")."""
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")



# --- OAuth 2 ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedToken:
    access_token: str
    expires_at: datetime | None  # None: the server did not say
    refresh_at: datetime | None  # fetch a new one from this moment on


class TokenCache:
    """What a run remembers about signing in, in memory, owned by the caller (one per window, one per CLI
    run): fetched OAuth tokens per profile and settings, refresh tokens, each session or cookie profile's
    cookie jar and login state, discovery documents per issuer; and the SignInHooks that reach a person."""

    def __init__(self, margin_s: float = 30.0, *, hooks: SignInHooks | None = None) -> None:
        self.margin_s = margin_s
        self.hooks = hooks if hooks is not None else SignInHooks()
        self._tokens: dict[tuple[str, str], CachedToken] = {}
        self._refresh_tokens: dict[tuple[str, str], str] = {}  # rotated refresh tokens
        self._jars: dict[str, CookieJar] = {}
        self._sessions: dict[str, dict[str, object]] = {}  # a session profile's login state
        self._discovered: dict[str, object] = {}  # issuer -> ProviderMetadata
        self._lock = threading.Lock()

    def jar(self, identity: str) -> CookieJar:
        """The cookie jar of one profile for this run (created empty)."""
        with self._lock:
            return self._jars.setdefault(identity, CookieJar())

    def session_state(self, identity: str) -> dict[str, object]:
        """A session profile's login state for this run (which cookies the login set, a token it gave)."""
        with self._lock:
            return self._sessions.setdefault(identity, {})

    def discovered(self, issuer: str) -> object | None:
        with self._lock:
            return self._discovered.get(issuer.rstrip("/"))

    def put_discovered(self, issuer: str, metadata: object) -> None:
        with self._lock:
            self._discovered[issuer.rstrip("/")] = metadata

    def get(self, key: tuple[str, str], now: datetime) -> CachedToken | None:
        """The cached token when it is still fresh (before refresh_at), else None."""
        with self._lock:
            token = self._tokens.get(key)
        if token is None or token.refresh_at is None or now >= token.refresh_at:
            return None
        return token

    def put(
        self, key: tuple[str, str], access_token: str, issued: datetime, expires_at: datetime | None
    ) -> None:
        """Keep a token until shortly before it expires; one whose expiry is unknown is not kept."""
        if expires_at is None:
            return
        lifetime = (expires_at - issued).total_seconds()
        margin = min(self.margin_s, max(lifetime, 0.0) / 2)  # short-lived tokens still get used for a while
        with self._lock:
            self._tokens[key] = CachedToken(access_token, expires_at, expires_at - timedelta(seconds=margin))

    def refresh_token(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            return self._refresh_tokens.get(key)

    def put_refresh_token(self, key: tuple[str, str], refresh_token: str) -> None:
        with self._lock:
            self._refresh_tokens[key] = refresh_token

    def forget_access_tokens(self, identity: str) -> None:
        """Drop the fetched access tokens of one profile (refresh tokens, cookies and discovery stay): its next
        send fetches a new token (try the fix: fresh-token)."""
        with self._lock:
            for key in [k for k in self._tokens if k[0] == identity]:
                del self._tokens[key]

    def forget(self, identity: str | None = None) -> None:
        """Drop the tokens, cookies and login state of one profile (by identity), or of all of them."""
        with self._lock:
            for store in (self._tokens, self._refresh_tokens):
                for key in [k for k in store if identity is None or k[0] == identity]:
                    del store[key]
            for by_identity in (self._jars, self._sessions):
                for name in [k for k in by_identity if identity is None or k == identity]:
                    del by_identity[name]
            if identity is None:
                self._discovered.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)


def _jwt_exp(token: str) -> float | None:
    """The exp claim of a JWS access token, read without checking the signature (for caching only)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        exp = json.loads(payload).get("exp")
    except (ValueError, AttributeError):
        return None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


class OAuth2ProfileAuth(BaseProfileAuth):
    """Fetches an access token first (unless a fresh one is cached), then sends it as a Bearer token."""

    grant_type = ""

    def __init__(
        self,
        profile: Profile,
        settings: Mapping[str, str],
        cache: TokenCache,
        clock: Clock,
    ) -> None:
        super().__init__(profile)
        self.settings = dict(settings)
        self.token_url = self.settings.get("token_url", "")  # or found by discovery from the issuer
        self.metadata: object | None = None  # the issuer's discovery metadata, when it was used
        self.cache = cache
        self.clock = clock
        # Different settings (another client, scope or secret) must not reuse a token: key on a hash of them.
        digest = hashlib.sha256(json.dumps(sorted(self.settings.items())).encode()).hexdigest()
        self.cache_key = (profile.identity, digest)
        self._token: str | None = None
        self._refresh_token_used: str | None = None

    endpoint_fields: tuple[str, ...] = ("token_url",)  # what discovery must find when the profile has issuer

    def _grant(self) -> dict[str, str]:
        raise NotImplementedError

    def sign_in(self, steps: SignInSteps) -> str | None:
        """OIDC discovery, when the profile names its issuer instead of its endpoints (no token cached)."""
        if self.cache.get(self.cache_key, self.clock()) is not None:
            issuer = self.settings.get("issuer")
            self.metadata = self.cache.discovered(issuer) if issuer else None  # its jwks_uri, for the check
            return None
        return self._discover(steps)

    @property
    def jwks_uri(self) -> str | None:
        """The JWKS the issuer published in its discovery metadata (None without discovery)."""
        value = getattr(self.metadata, "jwks_uri", None)
        return value if isinstance(value, str) and value else None

    def _discover(self, steps: SignInSteps) -> str | None:
        from inspector.core.profiles.discovery import ProviderMetadata, discover

        issuer = self.settings.get("issuer")
        if not issuer or all(self.settings.get(f) for f in self.endpoint_fields):
            return None
        metadata = self.cache.discovered(issuer)
        if not isinstance(metadata, ProviderMetadata):
            found = discover(issuer, steps)
            if isinstance(found, str):
                return found
            metadata = found
            self.cache.put_discovered(issuer, metadata)
        self.metadata = metadata
        for name in self.endpoint_fields:
            if self.settings.get(name):
                continue
            value = metadata.endpoint(name)
            if not value:
                return (f"The discovery metadata of '{issuer}' (from {mask_url(metadata.source)}) names no "
                        f"{name.replace('_url', '_endpoint')}: set credentials.{name} in the profile "
                        f"'{self.profile_name}'.")
            self.settings[name] = value
        self.token_url = self.settings.get("token_url", "")
        return None

    def token_request(self) -> requests.Request | None:
        if self._token is not None:
            return None  # fetched during this send already
        cached = self.cache.get(self.cache_key, self.clock())
        if cached is not None:
            self._token = cached.access_token
            return None
        return self.client_request(self.token_url, {"grant_type": self.grant_type, **self._grant()})

    def client_request(self, url: str, data: dict[str, str]) -> requests.Request:
        """A POST to one of the authorization server's endpoints, with the client's authentication."""
        data = dict(data)
        headers = {"Accept": "application/json"}
        client_id = self.settings["client_id"]
        secret = self.settings.get("client_secret") or ""
        if self.settings.get("auth", "body") == "basic":
            # RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
            headers["Authorization"] = "Basic " + basic_credentials(
                quote(client_id, safe=""), quote(secret, safe="")
            )
        else:
            data["client_id"] = client_id
            if secret:
                data["client_secret"] = secret
        return requests.Request("POST", url, data=data, headers=headers)

    def accept_token_response(self, hop: Hop, now: datetime) -> str | None:
        url = mask_url(self.token_url)
        response = hop.response
        if response is None:
            return f"The token endpoint {url} sent no answer, so the request was not sent."
        payload: object = None
        try:
            payload = json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
        if not 200 <= response.status < 300:
            said = ""
            if isinstance(payload, dict) and payload.get("error"):
                said = f": {payload['error']}"
                if payload.get("error_description"):
                    said += f" ({payload['error_description']})"
            else:
                snippet = self._snippet(response.body)
                said = f", without an OAuth error in its answer{': ' + snippet if snippet else ''}"
            return (
                f"The token endpoint {url} refused the token request with {response.status} "
                f"{response.reason}{said}. Check the client id, secret and scope of the profile "
                f"'{self.profile_name}'."
            )
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(payload, dict) or not isinstance(token, str) or not token:
            snippet = self._snippet(response.body)
            return (
                f"The token endpoint {url} answered {response.status} but not with a JSON object holding an "
                f"access_token{': ' + snippet if snippet else ''}."
            )
        token_type = payload.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            return (
                f"The token endpoint {url} issued a token of type '{token_type}', which this app cannot "
                "send: only Bearer tokens are supported."
            )
        expiries = []
        expires_in = payload.get("expires_in")
        try:
            if expires_in is not None and not isinstance(expires_in, bool):
                expiries.append(now + timedelta(seconds=float(expires_in)))
        except (TypeError, ValueError):
            pass  # a malformed expires_in: fall back to the token's own exp
        exp = _jwt_exp(token)
        if exp is not None:
            try:
                expiries.append(datetime.fromtimestamp(exp, UTC))
            except (OverflowError, OSError, ValueError):
                pass
        self._token = token
        self.cache.put(self.cache_key, token, now, min(expiries) if expiries else None)
        rotated = payload.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            self.cache.put_refresh_token(self.cache_key, rotated)
        return None

    def _snippet(self, body: bytes) -> str:
        text = body[:200].decode("utf-8", "replace").strip().replace("\n", " ")
        return Redactor(self.secret_values()).scrub(text)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token is None:
            raise ProfileError(
                f"The profile '{self.profile_name}' has no access token yet: send its token request "
                f"to {mask_url(self.token_url)} first."
            )
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def added_names(self) -> tuple[str, ...]:
        return ("Authorization",)

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(
            self.settings.get("client_secret"),
            self.settings.get("refresh_token"),
            self._refresh_token_used,
            self.cache.refresh_token(self.cache_key),
            self._token,
        )




def _nonempty(*values: str | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return tuple(out)
