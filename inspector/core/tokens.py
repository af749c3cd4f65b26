"""Find the credential that was sent; classify JWS / JWE / opaque; decode; check a signature."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from inspector.core.errors import TokenError
from inspector.core.exchange import Hop


def _jwt() -> Any:
    """PyJWT (and with it `cryptography`) costs ~100 ms to import: load it when a token is first seen."""
    import jwt

    return jwt

# Header names that carry an API key or token on their own (lower-case).
API_KEY_HEADERS = (
    "x-api-key",
    "api-key",
    "apikey",
    "x-apikey",
    "x-auth-token",
    "x-access-token",
    "x-goog-api-key",
    "ocp-apim-subscription-key",
    "private-token",
    "x-vault-token",
    "x-shopify-access-token",
    "x-auth-key",
    "x-amz-security-token",
    "authentication",
    "x-token",
)
# Query parameter names that carry a credential (lower-case).
API_KEY_PARAMS = (
    "api_key",
    "apikey",
    "api-key",
    "key",
    "access_token",
    "token",
    "auth_token",
    "x-api-key",
    "x-amz-signature",
    "sig",
)
# Cookie names that look like a login session or a token.
_AUTH_COOKIE_RE = re.compile(r"sess|sid$|^sid|token|auth|jwt|login|remember|identity|access", re.IGNORECASE)
_NOT_AUTH_COOKIE_RE = re.compile(r"csrf|xsrf|consent|theme|lang|locale|_ga|_gid|tracking", re.IGNORECASE)
BEARERISH_SCHEMES = ("bearer", "dpop", "token", "jwt", "oauth")
VERIFY_OPTIONS: dict[str, Any] = {
    # Time and audience rules are judged by the explainer with the server's clock, not here.
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
    "require": [],
}
_NO_CHECKS: dict[str, Any] = {k: False for k in VERIFY_OPTIONS if k != "require"} | {"require": []}


class KeyFileError(TokenError):
    """A key file given with --key or in a profile cannot be read."""


@dataclass(frozen=True)
class SentCredential:
    where: str  # "authorization" | "header" | "query" | "cookie"
    name: str  # the header, query parameter or cookie name
    scheme: str | None  # the Authorization scheme as sent ("Bearer", "basic", ...), None elsewhere
    value: str  # the credential itself (a secret: mask before showing)

    @property
    def is_bearerish(self) -> bool:
        """An Authorization credential that should be a token (Bearer, DPoP, a bare token with no scheme)."""
        return self.where == "authorization" and (self.scheme is None or self.scheme.lower() in BEARERISH_SCHEMES)


@dataclass(frozen=True)
class TokenInfo:
    format: str  # "jws" | "jwe" | "opaque"
    raw: str  # the token string (a secret: mask before showing)
    header: Mapping[str, object] = field(default_factory=dict)  # JOSE header (jws, jwe)
    claims: Mapping[str, object] = field(default_factory=dict)  # jws only, decoded without verification
    verified: bool = False  # True only when a signature check succeeded
    verify_error: str | None = None  # why the check failed, when one was attempted
    decode_error: str | None = None  # why a 3-segment token could not be decoded
    # "valid" | "invalid" (bad signature) | "no-key" (no key matched kid) | "unavailable" (key or JWKS could
    # not be used: not evidence against the token) | None (no check attempted)
    verify_outcome: str | None = None

    @property
    def alg(self) -> str | None:
        alg = self.header.get("alg")
        return alg if isinstance(alg, str) else None

    @property
    def signature_empty(self) -> bool:
        return self.format == "jws" and self.raw.strip().endswith(".")

    def __repr__(self) -> str:  # keep the raw token out of logs and tracebacks
        return (f"TokenInfo(format={self.format!r}, raw=<{len(self.raw)} chars>, header={dict(self.header)!r}, "
                f"claims={dict(self.claims)!r}, verified={self.verified!r}, verify_error={self.verify_error!r}, "
                f"decode_error={self.decode_error!r}, verify_outcome={self.verify_outcome!r})")


def split_authorization(value: str) -> tuple[str | None, str]:
    """'Bearer abc' -> ('Bearer', 'abc'); a lone JWT or long token with no scheme -> (None, value)."""
    stripped = value.strip()
    if not stripped:
        return None, ""
    parts = stripped.split(None, 1)
    if len(parts) == 2:
        return parts[0], parts[1].strip()
    word = parts[0]
    if word.count(".") >= 2 or len(word) > 20 or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", word):
        return None, word
    return word, ""


def _query_pairs(url: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(urlsplit(url).query, keep_blank_values=True)
    except ValueError:
        return []


def _cookies(hop: Hop) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in hop.sent_headers:
        if name.lower() != "cookie":
            continue
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
            pairs = [(k, m.value) for k, m in jar.items()]
        except Exception:  # noqa: BLE001 - http.cookies rejects odd but common cookies; split by hand
            pairs = []
        if not pairs:
            for part in value.split(";"):
                k, sep, v = part.partition("=")
                if sep and k.strip():
                    pairs.append((k.strip(), v.strip()))
        out.extend(pairs)
    return out


def sent_credentials(hop: Hop, api_key_names: Sequence[str] = ()) -> list[SentCredential]:
    """Every credential this hop carried, best first (see find_credential for the order)."""
    found: list[SentCredential] = []
    for name, value in hop.sent_headers:
        if name.lower() == "authorization":
            scheme, cred = split_authorization(value)
            found.append(SentCredential("authorization", name, scheme, cred))
    wanted: tuple[str, ...] = tuple(n.lower() for n in api_key_names)
    for names in (wanted, API_KEY_HEADERS):
        for name, value in hop.sent_headers:
            if name.lower() in names and value.strip() and not any(c.name == name for c in found):
                found.append(SentCredential("header", name, None, value.strip()))
    pairs = _query_pairs(hop.url)
    for names in (wanted, API_KEY_PARAMS):
        for name, value in pairs:
            if name.lower() in names and value and not any(c.where == "query" and c.name == name for c in found):
                found.append(SentCredential("query", name, None, value))
    for name, value in _cookies(hop):
        if value and _AUTH_COOKIE_RE.search(name) and not _NOT_AUTH_COOKIE_RE.search(name):
            found.append(SentCredential("cookie", name, None, value))
    return found


def find_credential(hop: Hop, api_key_names: tuple[str, ...] = ()) -> SentCredential | None:
    """The credential the hop carried: Authorization (any scheme), else an API-key header or query
    parameter (the profile's names first, then common names), else an auth-looking cookie."""
    found = sent_credentials(hop, api_key_names)
    return found[0] if found else None


def _b64json(segment: str) -> object:
    padded = segment + "=" * (-len(segment) % 4)
    data = base64.urlsafe_b64decode(padded.encode("ascii"))
    return json.loads(data.decode("utf-8"))


def inspect_token(raw: str) -> TokenInfo:
    """Classify a token by its segment count, then decode what can be read without a key. Never raises."""
    token = raw.strip() if isinstance(raw, str) else ""
    segments = token.split(".")
    if len(segments) == 3 and all(re.fullmatch(r"[A-Za-z0-9_=-]*", s) for s in segments):
        return _inspect_jws(token)
    if len(segments) == 5 and all(re.fullmatch(r"[A-Za-z0-9_=-]*", s) for s in segments):
        try:
            header = _b64json(segments[0])
        except (ValueError, UnicodeError, binascii.Error, RecursionError):
            header = None
        if isinstance(header, dict):
            return TokenInfo("jwe", token, header=header)
        return TokenInfo("jwe", token, decode_error="The JWE header (first segment) is not base64url JSON.")
    return TokenInfo("opaque", token)


def _inspect_jws(token: str) -> TokenInfo:
    jwt = _jwt()
    try:
        header = jwt.get_unverified_header(token)
    except Exception as exc:  # noqa: BLE001 - any garbage must become a decode_error, never an exception
        return TokenInfo("jws", token, decode_error=f"The token header cannot be decoded: {exc}.")
    try:
        claims: object = jwt.decode(token, options=_NO_CHECKS, algorithms=None)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001
        # PyJWT rejects some payloads it could read (e.g. odd claim types); read them by hand before giving up.
        try:
            claims = _b64json(token.split(".")[1])
        except Exception:  # noqa: BLE001
            claims = None
        if not isinstance(claims, dict):
            return TokenInfo("jws", token, header=header,
                             decode_error=f"The token payload cannot be decoded as a JSON object: {exc}.")
    return TokenInfo("jws", token, header=header, claims=claims if isinstance(claims, dict) else {})


def load_key_file(path: str | Path) -> bytes:
    """The bytes of a PEM key, JWK/JWKS JSON or shared-secret file; KeyFileError when it cannot be read."""
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"The key file '{p}' does not exist: give the path of a PEM public key or a "
                           "file holding the shared secret.") from None
    except IsADirectoryError:
        raise KeyFileError(f"The key path '{p}' is a folder: give the path of a key file.") from None
    except OSError as exc:
        raise KeyFileError(f"The key file '{p}' cannot be read ({exc.strerror}): check its permissions.") from None
    if not data.strip():
        raise KeyFileError(f"The key file '{p}' is empty: put the PEM public key or shared secret in it.")
    return data


def _key_from_bytes(data: bytes, info: TokenInfo) -> object:
    """A key PyJWT accepts: a PyJWK from JWK/JWKS JSON, the PEM bytes, or the HMAC secret (trailing newline cut)."""
    jwt = _jwt()
    text = data.strip()
    if text.startswith(b"{"):
        obj = json.loads(text.decode("utf-8"))
        if isinstance(obj, dict) and isinstance(obj.get("keys"), list):
            jwks = jwt.PyJWKSet.from_dict(obj)
            kid = info.header.get("kid")
            for key in jwks.keys:
                if kid is None or key.key_id == kid:
                    return key
            raise LookupError(f"No key in the JWKS file matches the token's kid '{kid}'.")
        return jwt.PyJWK.from_dict(obj)
    alg = (info.alg or "").upper()
    if alg.startswith("HS"):
        # Secret files usually end with a newline the secret never had.
        return data.rstrip(b"\r\n")
    return text


def verify_token(
    info: TokenInfo,
    *,
    key_pem_or_secret: bytes | None = None,
    jwks_url: str | None = None,
    algorithms: Sequence[str] = (),
    timeout_s: float = 10.0,
    cancel: threading.Event | None = None,
) -> TokenInfo:
    """A copy of info with verified=True only when the signature checks out; exp/aud/iss are not judged.

    A JWKS fetch stops when `cancel` is set (the check then says so)."""
    jwt = _jwt()
    if key_pem_or_secret is None and not jwks_url:
        return info
    if info.format != "jws" or info.decode_error:
        return replace(info, verified=False, verify_outcome="unavailable",
                       verify_error="Only a readable signed JWT (JWS) has a signature to check.")
    alg = info.alg
    if not alg or alg.lower() == "none" or info.signature_empty:
        return replace(info, verified=False, verify_outcome="invalid",
                       verify_error="The token is unsigned (alg 'none' or an empty signature): nothing verifies it.")
    if algorithms and alg not in algorithms:
        return replace(info, verified=False, verify_outcome="invalid",
                       verify_error=f"The token is signed with {alg}, which is not among the accepted algorithms "
                       f"({', '.join(algorithms)}).")
    try:
        if jwks_url:
            found = _jwks_key(info, jwks_url, timeout_s, cancel)
            if isinstance(found, TokenInfo):
                return found
            key: object = found
        else:
            assert key_pem_or_secret is not None
            try:
                key = _key_from_bytes(key_pem_or_secret, info)
            except LookupError as exc:
                return replace(info, verified=False, verify_outcome="no-key", verify_error=str(exc))
            except (ValueError, jwt.PyJWTError) as exc:
                return replace(info, verified=False, verify_outcome="unavailable",
                               verify_error=f"The key cannot be read as a PEM key, JWK or JWKS: {exc}")
        if isinstance(key, jwt.PyJWK):
            key = key.key
        jwt.decode(info.raw, key=key, algorithms=[alg], options=VERIFY_OPTIONS)  # type: ignore[arg-type]
    except jwt.InvalidSignatureError:
        return replace(info, verified=False, verify_outcome="invalid",
                       verify_error="The signature does not match the key: the token was signed with another key "
                       "or altered.")
    except jwt.InvalidAlgorithmError as exc:
        return replace(info, verified=False, verify_outcome="invalid", verify_error=_sentence(exc))
    except (jwt.InvalidKeyError, ValueError, TypeError) as exc:
        return replace(info, verified=False, verify_outcome="unavailable",
                       verify_error=f"The key cannot be used to check a {alg} signature: {_sentence(exc)}")
    except jwt.PyJWTError as exc:
        return replace(info, verified=False, verify_outcome="invalid", verify_error=_sentence(exc))
    return replace(info, verified=True, verify_outcome="valid", verify_error=None)


def _sentence(exc: object) -> str:
    """An exception's text ending with exactly one full stop."""
    text = str(exc).strip() or type(exc).__name__
    return text if text.endswith((".", "!", "?")) else text + "."


JWKS_MAX_BYTES = 1024 * 1024  # a key set is a few KB; a bigger answer is not one (and must not fill memory)


def _fetch_jwks(jwks_url: str, timeout_s: float, cancel: threading.Event | None) -> dict[str, Any] | str:
    """The JWKS document, or a sentence saying why there is none.

    Fetched with core.transport (not PyJWKClient, which reads any size of answer whole and cannot be
    cancelled): the body is capped, a cancel stops it, and transport errors are worded in one place.
    """
    from inspector.core.errors import RequestError
    from inspector.core.request import Header, RequestSpec
    from inspector.core.transport import send

    spec = RequestSpec(url=jwks_url, headers=(Header("Accept", "application/json"),), timeout_s=timeout_s)
    try:
        exchange = send(spec, cancel=cancel, max_body_bytes=JWKS_MAX_BYTES, max_redirects=5)
    except RequestError as exc:
        return f"The JWKS URL '{jwks_url}' cannot be used: {_sentence(exc)}"
    if exchange.error is not None:
        return f"The JWKS at {jwks_url} could not be fetched: {_sentence(exchange.error.message)}"
    response = exchange.response
    assert response is not None
    if response.status != 200:
        return (f"The JWKS at {jwks_url} could not be fetched: the server answered {response.status} "
                f"{response.reason}.".replace(" .", "."))
    if response.body_truncated:
        return (f"The document at {jwks_url} is not a usable JWKS: it is larger than "
                f"{JWKS_MAX_BYTES // 1024} KB, far more than any key set.")
    try:
        document = json.loads(response.body.decode("utf-8"))
    except (ValueError, RecursionError):
        return f"The document at {jwks_url} is not a usable JWKS: it is not JSON."
    if not isinstance(document, dict):
        return f"The document at {jwks_url} is not a usable JWKS: it is not a JSON object."
    return document


def _jwks_key(info: TokenInfo, jwks_url: str, timeout_s: float, cancel: threading.Event | None = None) -> object:
    """The JWKS key for the token's kid, or a TokenInfo saying why there is none.

    A JWKS that cannot be fetched or read is "unavailable" (no evidence against the token); only a readable
    JWKS without a key for the token's kid is "no-key".
    """
    jwt = _jwt()

    def unavailable(why: str) -> TokenInfo:
        return replace(info, verified=False, verify_outcome="unavailable", verify_error=why)

    document = _fetch_jwks(jwks_url, timeout_s, cancel)
    if isinstance(document, str):
        return unavailable(document)
    try:
        keys = [k for k in jwt.PyJWKSet.from_dict(document).keys if k.public_key_use in ("sig", None)]
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError) as exc:
        return unavailable(f"The document at {jwks_url} is not a usable JWKS: {_sentence(exc)}")
    if not keys:
        return unavailable(f"The JWKS at {jwks_url} holds no signing keys.")
    kid = info.header.get("kid")
    if kid is None:
        if len(keys) == 1:
            return keys[0]
        return replace(info, verified=False, verify_outcome="no-key",
                       verify_error=f"The token has no kid, and the JWKS at {jwks_url} holds {len(keys)} keys.")
    for k in keys:
        if k.key_id == kid:
            return k
    listed = ", ".join(str(k.key_id) for k in keys[:5])
    return replace(info, verified=False, verify_outcome="no-key",
                   verify_error=f"No key in the JWKS at {jwks_url} has the token's kid '{kid}' (it lists {listed}).")
