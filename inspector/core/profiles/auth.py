"""Applying a profile to a request: one small requests.auth.AuthBase per kind, each a complete `ProfileAuth`.

The protocol, its defaults, the TokenCache and the OAuth 2 base live in base.py (re-exported here); the kinds
that sign in with several requests live in session.py and oauth.py. `auth_for` builds the one for a profile.

Every secret is resolved when the auth object is built (at send time): an unresolved reference raises
MissingSecret before anything goes out. Fetched OAuth tokens, cookie jars and discovery documents live in a
TokenCache the caller owns (one per window, one per CLI run), with the SignInHooks that reach a person.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import requests

from inspector.core.challenges import parse_challenges_lenient
from inspector.core.errors import ProfileError
from inspector.core.exchange import Response, header_values
from inspector.core.profiles.base import (
    AuthDefaults as AuthDefaults,
)
from inspector.core.profiles.base import (
    BaseProfileAuth as BaseProfileAuth,
)
from inspector.core.profiles.base import (
    CachedToken as CachedToken,
)
from inspector.core.profiles.base import (
    Clock as Clock,
)
from inspector.core.profiles.base import (
    OAuth2ProfileAuth as OAuth2ProfileAuth,
)
from inspector.core.profiles.base import (
    ProfileAuth as ProfileAuth,
)
from inspector.core.profiles.base import (
    TlsOnlyProfileAuth as TlsOnlyProfileAuth,
)
from inspector.core.profiles.base import (
    TokenCache as TokenCache,
)
from inspector.core.profiles.base import (
    _nonempty,
    basic_credentials,
    utc_now,
)
from inspector.core.profiles.flows import SignInHooks
from inspector.core.profiles.model import Profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.tls import ClientTls


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


class ClientCredentialsProfileAuth(OAuth2ProfileAuth):
    grant_type = "client_credentials"

    def _grant(self) -> dict[str, str]:
        return {k: self.settings[k] for k in ("scope", "audience") if self.settings.get(k)}


class PasswordProfileAuth(OAuth2ProfileAuth):
    """RFC 6749 §4.3: the resource owner's username and password for a token (legacy internal APIs)."""

    grant_type = "password"

    def _grant(self) -> dict[str, str]:
        data = {"username": self.settings["username"], "password": self.settings["password"]}
        data.update({k: self.settings[k] for k in ("scope", "audience") if self.settings.get(k)})
        return data

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(self.settings.get("password"), *super().secret_values())


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


def resolved_table(profile: Profile, resolver: Resolver, table: str) -> dict[str, str]:
    """A table of texts under credentials (a login form, extra parameters) with its references resolved."""
    values = profile.credentials.get(table)
    if not isinstance(values, Mapping):
        return {}
    return {str(k): resolver.resolve(v, profile=profile.name, field=f"credentials.{table}.{k}")
            for k, v in values.items() if isinstance(v, str)}


def client_tls_for(profile: Profile, resolver: Resolver) -> ClientTls | None:
    """The profile's [tls] table for a send: files checked now (nothing goes out with a missing certificate),
    the key password resolved."""
    tls = profile.tls
    if tls is None:
        return None
    paths: dict[str, str | None] = {}
    for name in ("client_cert", "client_key", "ca_bundle"):
        path = tls.path(name, profile.folder)
        if path is not None and not path.is_file():
            raise ProfileError(
                f"The profile '{profile.name}' ({profile.path}) names tls.{name} = '{getattr(tls, name)}', "
                f"but {path} is not a readable file: fix the path in the profile's [tls] table."
            )
        paths[name] = str(path) if path is not None else None
    password = (resolver.resolve(tls.key_password, profile=profile.name, field="tls.key_password")
                if tls.key_password else None)
    return ClientTls(paths["client_cert"], paths["client_key"], password, paths["ca_bundle"])


def auth_for(
    profile: Profile,
    resolver: Resolver,
    clock: Clock = utc_now,
    cache: TokenCache | None = None,
    hooks: SignInHooks | None = None,
) -> ProfileAuth | None:
    """The auth object for a send with this profile (None for kind 'none' without [tls]). Resolves every
    secret now.

    cache holds what a run remembers (tokens, cookie jars, discovery); without one, every send starts afresh.
    hooks (else the cache's) say how a browser or device sign-in reaches a person.
    """
    tls = client_tls_for(profile, resolver)
    if profile.kind == "none":
        if tls is None:
            return None
        auth: BaseProfileAuth = TlsOnlyProfileAuth(profile)
        auth._tls = tls
        return auth
    auth = _auth_for_kind(profile, resolver, clock, cache if cache is not None else TokenCache(), hooks)
    auth._tls = tls
    return auth


def _auth_for_kind(profile: Profile, resolver: Resolver, clock: Clock, cache: TokenCache,
                   hooks: SignInHooks | None) -> BaseProfileAuth:
    c = resolved_credentials(profile, resolver)
    hooks = hooks if hooks is not None else cache.hooks
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
            return ClientCredentialsProfileAuth(profile, c, cache, clock)
        if profile.kind == "oauth2-refresh-token":
            return RefreshTokenProfileAuth(profile, c, cache, clock)
        if profile.kind == "oauth2-password":
            return PasswordProfileAuth(profile, c, cache, clock)
        if profile.kind in ("session", "cookie"):
            from inspector.core.profiles.session import CookieProfileAuth, SessionProfileAuth

            if profile.kind == "cookie":
                return CookieProfileAuth(profile, c, cache, clock)
            table = "json" if "json" in profile.credentials else "form"
            fields = resolved_table(profile, resolver, table)
            return SessionProfileAuth(profile, c, fields, cache, clock, hooks)
        if profile.kind in ("oauth2-authorization-code", "oauth2-device-code"):
            from inspector.core.profiles.oauth import AuthorizationCodeProfileAuth, DeviceCodeProfileAuth

            if profile.kind == "oauth2-device-code":
                return DeviceCodeProfileAuth(profile, c, cache, clock, hooks)
            return AuthorizationCodeProfileAuth(profile, c, cache, clock, hooks,
                                                resolved_table(profile, resolver, "extra_params"),
                                                resolver.store)
    except KeyError as exc:
        raise ProfileError(
            f"The profile '{profile.name}' ({profile.path}) has no credentials.{exc.args[0]}: "
            f"a profile of kind '{profile.kind}' needs it."
        ) from None
    raise ProfileError(
        f"The profile '{profile.name}' ({profile.path}) has the unknown kind '{profile.kind}'."
    )




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
