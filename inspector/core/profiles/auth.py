"""Applying a profile to a request: one small requests.auth.AuthBase per kind, each a complete `ProfileAuth`.

`ProfileAuth` is the protocol the transport drives (see its methods). `AuthDefaults` implements it for a
request that adds nothing, so each kind overrides only what it does. The transport decides where credentials
may go (one origin rule, in core/transport.py); an auth object only adds them when asked.

Every secret is resolved when the auth object is built (at send time): an unresolved reference raises
MissingSecret before anything goes out. Fetched OAuth tokens live in a TokenCache the caller owns.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

from inspector.core.challenges import parse_challenges_lenient
from inspector.core.errors import ProfileError
from inspector.core.exchange import Hop, Response, header_values
from inspector.core.profiles.model import Profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.redact import Redactor, mask_url

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
    """ProfileAuth for credentials that add nothing: no token to fetch first, no challenge to answer."""

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


def basic_credentials(username: str, password: str) -> str:
    """The Basic credentials for username and password, UTF-8 encoded (RFC 7617 charset="UTF-8")."""
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


class BasicProfileAuth(BaseProfileAuth):
    def __init__(self, profile: Profile, username: str, password: str) -> None:
        super().__init__(profile)
        self.username = username
        self.password = password
        self._encoded = basic_credentials(username, password)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Basic {self._encoded}"
        return r

    def added_names(self) -> tuple[str, ...]:
        return ("Authorization",)

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(self.password, self._encoded)


class BearerProfileAuth(BaseProfileAuth):
    def __init__(self, profile: Profile, token: str, prefix: str = "Bearer") -> None:
        super().__init__(profile)
        self.token = token
        self.prefix = prefix

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"{self.prefix} {self.token}" if self.prefix else self.token
        return r

    def added_names(self) -> tuple[str, ...]:
        return ("Authorization",)

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(self.token)


class ApiKeyProfileAuth(BaseProfileAuth):
    def __init__(self, profile: Profile, name: str, value: str, place: str = "header") -> None:
        super().__init__(profile)
        self.name = name
        self.value = value
        self.place = place

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.place == "query":
            r.url = with_query_param(r.url or "", self.name, self.value)
        else:
            r.headers[self.name] = self.value
        return r

    def added_names(self) -> tuple[str, ...]:
        return (self.name,)

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(self.value)


def with_query_param(url: str, name: str, value: str) -> str:
    """The URL with name=value as its last query parameter, replacing any of that name; the rest kept."""
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and unquote(p.partition("=")[0].replace("+", " ")) != name]
    kept.append(f"{quote(name, safe='')}={quote(value, safe='')}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))


# --- Digest (RFC 7616) --------------------------------------------------------------------------------------

_DIGEST_HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DigestProfileAuth(BaseProfileAuth):
    """Answers a Digest challenge (MD5, MD5-sess, SHA-256, SHA-256-sess; qop auth, auth-int) with a retry."""

    MAX_RETRIES = 2  # the first answer, plus one more only when the server says the nonce was stale

    def __init__(
        self, profile: Profile, username: str, password: str, cnonce: Callable[[], str] | None = None
    ):
        super().__init__(profile)
        self.username = username
        self.password = password
        self._cnonce = cnonce or (lambda: os.urandom(16).hex())
        self._challenge: dict[str, str] | None = None
        self._nonce_counts: dict[str, int] = {}
        self._retries = 0
        self._lock = threading.Lock()

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        # After a first challenge, later hops to the same origin answer at once (as browsers do).
        with self._lock:
            chal = self._challenge
        if chal is not None:
            r.headers["Authorization"] = self._answer(chal, r)
        return r

    def retry_after_challenge(
        self, prepared: requests.PreparedRequest, response: Response
    ) -> requests.PreparedRequest | None:
        if response.status != 401:
            return None
        chal = self._pick(header_values(response.headers, "WWW-Authenticate"))
        if chal is None:
            return None
        with self._lock:
            stale = chal.get("stale", "").lower() == "true"
            if self._retries >= self.MAX_RETRIES or (self._retries >= 1 and not stale):
                return None  # wrong credentials: answering again would loop
            self._retries += 1
            self._challenge = chal
        retry = prepared.copy()
        retry.headers["Authorization"] = self._answer(chal, retry)
        return retry

    @staticmethod
    def _pick(lines: list[str]) -> dict[str, str] | None:
        """The first Digest challenge this client can answer (servers list their preferred one first)."""
        challenges, _unparsed = parse_challenges_lenient(lines)  # a broken line elsewhere must not stop us
        for challenge in challenges:
            params = dict(challenge.params)
            if not challenge.is_scheme("digest") or "nonce" not in params or "realm" not in params:
                continue
            alg = params.get("algorithm", "MD5").upper().removesuffix("-SESS")
            if alg not in _DIGEST_HASHES or _DIGEST_HASHES[alg] not in hashlib.algorithms_available:
                continue
            qops = {q.strip().lower() for q in params.get("qop", "").split(",") if q.strip()}
            if qops and not qops & {"auth", "auth-int"}:
                continue
            return params
        return None

    def _answer(self, chal: dict[str, str], r: requests.PreparedRequest) -> str:
        algorithm = chal.get("algorithm", "MD5")
        hash_name = _DIGEST_HASHES[algorithm.upper().removesuffix("-SESS")]

        def h(text: str | bytes) -> str:
            data = text.encode("utf-8") if isinstance(text, str) else text
            return hashlib.new(hash_name, data).hexdigest()

        realm, nonce = chal["realm"], chal["nonce"]
        parts = urlsplit(r.url or "")
        uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        qops = [q.strip().lower() for q in chal.get("qop", "").split(",") if q.strip()]
        qop = "auth" if "auth" in qops else ("auth-int" if "auth-int" in qops else None)
        with self._lock:
            nc = self._nonce_counts.get(nonce, 0) + 1
            self._nonce_counts[nonce] = nc
        ncvalue = f"{nc:08x}"
        cnonce = self._cnonce()
        ha1 = h(f"{self.username}:{realm}:{self.password}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = h(f"{ha1}:{nonce}:{cnonce}")
        a2 = f"{r.method}:{uri}"
        if qop == "auth-int":
            body = r.body or b""
            a2 += ":" + h(body if isinstance(body, bytes | str) else b"")
        ha2 = h(a2)
        if qop:
            digest = h(f"{ha1}:{nonce}:{ncvalue}:{cnonce}:{qop}:{ha2}")
        else:
            digest = h(f"{ha1}:{nonce}:{ha2}")
        userhash = chal.get("userhash", "").lower() == "true"
        if userhash:
            user = f"username={_quoted(h(f'{self.username}:{realm}'))}"
        elif self.username.isascii():
            user = f"username={_quoted(self.username)}"
        else:  # RFC 7616 §3.4.4: a username that is not ASCII goes as an extended parameter
            user = f"username*=UTF-8''{quote(self.username, safe='')}"
        fields = [
            user,
            f"realm={_quoted(realm)}",
            f"nonce={_quoted(nonce)}",
            f"uri={_quoted(uri)}",
            f"algorithm={algorithm}",
            f"response={_quoted(digest)}",
        ]
        if "opaque" in chal:
            fields.append(f"opaque={_quoted(chal['opaque'])}")
        if qop:
            fields += [f"qop={qop}", f"nc={ncvalue}", f"cnonce={_quoted(cnonce)}"]
        if userhash:
            fields.append("userhash=true")
        return "Digest " + ", ".join(fields)

    def added_names(self) -> tuple[str, ...]:
        return ("Authorization",)

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(self.password)


# --- OAuth 2 ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedToken:
    access_token: str
    expires_at: datetime | None  # None: the server did not say
    refresh_at: datetime | None  # fetch a new one from this moment on


class TokenCache:
    """Fetched OAuth access tokens, in memory, per profile and settings; owned by the caller (per window)."""

    def __init__(self, margin_s: float = 30.0) -> None:
        self.margin_s = margin_s
        self._tokens: dict[tuple[str, str], CachedToken] = {}
        self._refresh_tokens: dict[tuple[str, str], str] = {}  # rotated refresh tokens
        self._lock = threading.Lock()

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

    def forget(self, identity: str | None = None) -> None:
        """Drop the tokens of one profile (by identity), or all of them."""
        with self._lock:
            for store in (self._tokens, self._refresh_tokens):
                for key in [k for k in store if identity is None or k[0] == identity]:
                    del store[key]

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
        self.token_url = self.settings["token_url"]
        self.cache = cache
        self.clock = clock
        # Different settings (another client, scope or secret) must not reuse a token: key on a hash of them.
        digest = hashlib.sha256(json.dumps(sorted(self.settings.items())).encode()).hexdigest()
        self.cache_key = (profile.identity, digest)
        self._token: str | None = None
        self._refresh_token_used: str | None = None

    def _grant(self) -> dict[str, str]:
        raise NotImplementedError

    def token_request(self) -> requests.Request | None:
        cached = self.cache.get(self.cache_key, self.clock())
        if cached is not None:
            self._token = cached.access_token
            return None
        data = {"grant_type": self.grant_type, **self._grant()}
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
        return requests.Request("POST", self.token_url, data=data, headers=headers)

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


class ClientCredentialsProfileAuth(OAuth2ProfileAuth):
    grant_type = "client_credentials"

    def _grant(self) -> dict[str, str]:
        return {k: self.settings[k] for k in ("scope", "audience") if self.settings.get(k)}


class RefreshTokenProfileAuth(OAuth2ProfileAuth):
    grant_type = "refresh_token"

    def _grant(self) -> dict[str, str]:
        # A server that rotates refresh tokens sent a new one last time: the old one is spent.
        self._refresh_token_used = self.cache.refresh_token(self.cache_key) or self.settings["refresh_token"]
        data = {"refresh_token": self._refresh_token_used}
        if self.settings.get("scope"):
            data["scope"] = self.settings["scope"]
        return data


# --- building -----------------------------------------------------------------------------------------------


def resolved_credentials(profile: Profile, resolver: Resolver) -> dict[str, str]:
    """Every text credential with its reference resolved; MissingSecret for the first that cannot be."""
    out: dict[str, str] = {}
    for key, value in profile.credentials.items():
        if isinstance(value, str):
            out[key] = resolver.resolve(value, profile=profile.name, field=f"credentials.{key}")
    return out


def auth_for(
    profile: Profile,
    resolver: Resolver,
    clock: Clock = utc_now,
    cache: TokenCache | None = None,
) -> ProfileAuth | None:
    """The auth object for a send with this profile (None for kind 'none'). Resolves every secret now.

    cache holds fetched OAuth tokens across sends; without one, every send fetches a new token.
    """
    if profile.kind == "none":
        return None
    c = resolved_credentials(profile, resolver)
    try:
        if profile.kind == "basic":
            return BasicProfileAuth(profile, c["username"], c["password"])
        if profile.kind == "bearer":
            return BearerProfileAuth(profile, c["token"], c.get("prefix", "Bearer"))
        if profile.kind == "api-key":
            return ApiKeyProfileAuth(profile, c["name"], c["value"], c.get("in", "header"))
        if profile.kind == "digest":
            return DigestProfileAuth(profile, c["username"], c["password"])
        if profile.kind == "oauth2-client-credentials":
            return ClientCredentialsProfileAuth(
                profile, c, cache if cache is not None else TokenCache(), clock
            )
        if profile.kind == "oauth2-refresh-token":
            return RefreshTokenProfileAuth(profile, c, cache if cache is not None else TokenCache(), clock)
    except KeyError as exc:
        raise ProfileError(
            f"The profile '{profile.name}' ({profile.path}) has no credentials.{exc.args[0]}: "
            f"a profile of kind '{profile.kind}' needs it."
        ) from None
    raise ProfileError(
        f"The profile '{profile.name}' ({profile.path}) has the unknown kind '{profile.kind}'."
    )


def _nonempty(*values: str | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return tuple(out)


# --- What a profile will add, in words (for the request editor; never resolves or shows a secret) -----------


def describe_credentials(profile: Profile) -> list[str]:
    """Lines saying what the profile adds to a request, each secret shown as its reference (or masked)."""
    from inspector.core.redact import mask

    def secret(name: str) -> str:
        value = profile.credential(name) or ""
        return f"‹{value}›" if value.startswith("${") else mask(value) or "‹empty›"

    kind = profile.kind
    if kind == "basic":
        return [f"Authorization: Basic base64({profile.credential('username') or ''}:{secret('password')})"]
    if kind == "bearer":
        prefix = profile.credential("prefix") or "Bearer"
        return [f"Authorization: {prefix} {secret('token')}"]
    if kind == "api-key":
        name = profile.credential("name") or "X-API-Key"
        if (profile.credential("in") or "header") == "query":
            return [f"Query parameter: {name}={secret('value')}"]
        return [f"{name}: {secret('value')}"]
    if kind == "digest":
        return [(f"Authorization: Digest username=\"{profile.credential('username') or ''}\" … "
                f"(answers the server's challenge with {secret('password')})")]
    if kind in ("oauth2-client-credentials", "oauth2-refresh-token"):
        grant = "client credentials" if kind == "oauth2-client-credentials" else "a refresh token"
        return [
            (f"First: POST {profile.credential('token_url') or '?'} ({grant}, client "
            f"{profile.credential('client_id') or '?'}), token cached until shortly before it expires"),
            "Then: Authorization: Bearer ‹the token it returns›",
        ]
    return []
