"""Find the credential that was sent; classify JWS / JWE / opaque; decode; load a key; check a signature.

Key sets (fetching a JWKS, reading a JWK, picking the key for a kid) live in jwks.py.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from inspector.core.errors import TokenError

# Key sets are imported by the checks that use them: a diagnosis read back from history (the codec), or the
# explanation panel, needs TokenInfo and SentCredential, not the JWKS code.
if TYPE_CHECKING:
    from inspector.core.exchange import Hop
    from inspector.core.jwks import KeySource


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
        if self.where != "authorization":
            return False
        return self.scheme is None or self.scheme.lower() in BEARERISH_SCHEMES


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
        return (f"TokenInfo(format={self.format!r}, raw=<{len(self.raw)} chars>, "
                f"header={dict(self.header)!r}, claims={dict(self.claims)!r}, verified={self.verified!r}, "
                f"verify_error={self.verify_error!r}, "
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
        from http.cookies import SimpleCookie  # only for a token sent in a cookie

        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
            pairs = [(k, m.value) for k, m in jar.items()]
        except Exception:
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
            seen = any(c.where == "query" and c.name == name for c in found)
            if name.lower() in names and value and not seen:
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
    """Each segment is read on its own, so a problem is told for the part that has it (PyJWT decodes all
    three segments before it returns the header, and would blame the header for a broken payload)."""
    jwt = _jwt()
    header_segment, payload_segment, signature_segment = token.split(".")
    header_problem = _segment_problem(header_segment)
    if header_problem is not None:
        return TokenInfo("jws", token, decode_error="The token header (first segment) cannot be decoded: "
                         f"it {header_problem}.")
    header = _b64json(header_segment)
    assert isinstance(header, dict)
    if "kid" in header and not isinstance(header["kid"], str):
        # a kid is a string (RFC 7515 4.1.4); no key could be chosen for this one, so nothing is judged
        return TokenInfo("jws", token, decode_error="The token header (first segment) cannot be used: its "
                         "kid is not a string.")
    payload_problem = _segment_problem(payload_segment)
    if payload_problem is not None:
        return TokenInfo("jws", token, header=header,
                         decode_error="The token payload (second segment) cannot be decoded: it "
                         f"{payload_problem}.")
    claims: object
    try:
        claims = jwt.decode(token, options=_NO_CHECKS, algorithms=None)
    except Exception:
        claims = _b64json(payload_segment)
    if not isinstance(claims, dict):
        claims = _b64json(payload_segment)
    assert isinstance(claims, dict)
    if not _is_base64url(signature_segment):
        return TokenInfo("jws", token, header=header, claims=claims,
                         decode_error="The token's signature (third segment) cannot be decoded: it is not "
                         "base64url.")
    return TokenInfo("jws", token, header=header, claims=claims)


def _is_base64url(segment: str) -> bool:
    try:
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return False
    return True


def _segment_problem(segment: str) -> str | None:
    """What keeps one JWS segment from being a JSON object (a phrase after "it"), or None when it is one.

    In our own words: PyJWT's exception text is never shown.
    """
    if not _is_base64url(segment):
        return "is not base64url"
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if not data:
        return "is empty"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 text once decoded from base64url"
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return "is not JSON once decoded from base64url"
    if not isinstance(obj, dict):
        return f"is JSON but not a JSON object (it is {_json_kind(obj)})"
    return None


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return "true, false or null"
    return "a number"


# --- Keys ------------------------------------------------------------------------------------------------


class KeyBytes(bytes):
    """A key file's bytes that remember the file's name, so every message about the key can name it."""

    name: str

    def __new__(cls, data: bytes, name: str) -> KeyBytes:
        self = super().__new__(cls, data)
        self.name = name
        return self


_KEY_ADVICE = "give a PEM public key, a JWK or JWKS, or a file holding the shared secret"


def load_key_file(path: str | Path) -> bytes:
    """The bytes of a PEM key, JWK/JWKS JSON or shared-secret file; KeyFileError when it cannot be used.

    A file that is JSON but neither a JWK nor a JWKS (the app's own secrets file, a cloud service-account
    file) is refused here, by its shape: no message ever quotes what such a file holds.
    """
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"The key file '{p}' does not exist: give the path of a PEM public key or a "
                           "file holding the shared secret.") from None
    except IsADirectoryError:
        raise KeyFileError(f"The key path '{p}' is a folder: give the path of a key file.") from None
    except OSError as exc:
        raise KeyFileError(f"The key file '{p}' cannot be read ({exc.strerror}): check its "
                           "permissions.") from None
    if not data.strip():
        raise KeyFileError(f"The key file '{p}' is empty: put the PEM public key or shared secret in it.")
    if data.strip().startswith(b"{"):
        from inspector.core.jwks import KeySource

        _key_json(data, KeySource.in_file(str(p)))
    return KeyBytes(data, str(p))


def _key_json(data: bytes, source: KeySource) -> dict[str, Any]:
    """The JWK or JWKS in key bytes that start like JSON; KeyFileError saying what is wrong with them."""
    from inspector.core.jwks import key_document_problem

    try:
        document = json.loads(data.strip().decode("utf-8"))
    except UnicodeDecodeError:
        problem: str | None = "starts like JSON but is not UTF-8 text"
        document = None
    except json.JSONDecodeError as exc:
        problem = f"starts like JSON but is not valid JSON (line {exc.lineno}, column {exc.colno})"
        document = None
    except RecursionError:
        problem = "is JSON nested far too deep to be a JWK or JWKS"
        document = None
    else:
        problem = key_document_problem(document)
    if problem is not None or not isinstance(document, dict):
        raise KeyFileError(f"{_cap(source.document)} {problem}: {_KEY_ADVICE}.")
    return document


def _verification_key(data: bytes, info: TokenInfo, source: KeySource) -> object:
    """A key PyJWT accepts for the token: a public key, a PyJWK's key or the HMAC secret (newline cut).

    A private key is accepted: its public half checks the signature (PyJWT would fail on it deep inside).
    """
    from inspector.core.jwks import read_jwk, select_key, signing_keys

    text = data.strip()
    if text.startswith(b"{"):
        document = _key_json(data, source)
        if "keys" in document:
            return _public(select_key(signing_keys(document, source), info.header.get("kid"), source).key)
        return _public(read_jwk(document, source).key)
    if (info.alg or "").upper().startswith("HS"):
        # Secret files usually end with a newline the secret never had.
        return data.rstrip(b"\r\n")
    if text.startswith(b"-----BEGIN"):
        return _pem_public_key(text, source)
    return text  # SSH public keys and other formats PyJWT reads itself


def _pem_public_key(text: bytes, source: KeySource) -> object:
    """The public key in PEM text: a public key, a certificate's key, or a private key's public half."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        if b"OPENSSH PRIVATE KEY-----" in text:
            return serialization.load_ssh_private_key(text, password=None).public_key()
        if b"PRIVATE KEY-----" in text:
            return serialization.load_pem_private_key(text, password=None).public_key()
        if b"CERTIFICATE-----" in text:
            return x509.load_pem_x509_certificate(text).public_key()
        return serialization.load_pem_public_key(text)
    except TypeError:  # cryptography's way of saying the private key needs a passphrase
        raise KeyFileError(f"{_cap(source.document)} is a private key protected by a passphrase: give the "
                           "public key (PEM) instead.") from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(f"{_cap(source.document)} looks like a PEM key but cannot be read: the text "
                           "between its BEGIN and END lines is damaged, or the key type is not "
                           "supported.") from None


def _public(key: object) -> object:
    """The public half of a private key (PyJWT verifies only with public keys); any other key as it is."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    private = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey,
               ed448.Ed448PrivateKey)
    return key.public_key() if isinstance(key, private) else key


def verify_token(
    info: TokenInfo,
    *,
    key_pem_or_secret: bytes | None = None,
    jwks_url: str | None = None,
    algorithms: Sequence[str] = (),
    timeout_s: float = 10.0,
    cancel: threading.Event | None = None,
    key_set: Mapping[str, Any] | None = None,
) -> TokenInfo:
    """A copy of info with verified=True only when the signature checks out; exp/aud/iss are not judged.

    A JWKS fetch stops when `cancel` is set (the check then says so); `key_set` is the document at jwks_url
    fetched already (core.jwks.fetch_key_set, whose hops the pipeline keeps), so it is not fetched again.
    Every verify_error is one of our own sentences: a library's exception text can quote the key file it was
    given, so it is never passed on.
    """
    from inspector.core.jwks import KeySource, NoMatchingKeyError, fetch_jwks, select_key, signing_keys

    if key_pem_or_secret is None and not jwks_url:
        return info
    if info.format != "jws" or info.decode_error:
        return replace(info, verified=False, verify_outcome="unavailable",
                       verify_error="Only a readable signed JWT (JWS) has a signature to check.")
    alg = info.alg
    if not alg or alg.lower() == "none" or info.signature_empty:
        return replace(info, verified=False, verify_outcome="invalid",
                       verify_error="The token is unsigned (alg 'none' or an empty signature): nothing "
                       "verifies it.")
    if algorithms and alg not in algorithms:
        return replace(info, verified=False, verify_outcome="invalid",
                       verify_error=f"The token is signed with {alg}, which is not among the accepted "
                       f"algorithms ({', '.join(algorithms)}).")
    if jwks_url:
        source = KeySource.at_url(jwks_url)
    else:
        name = key_pem_or_secret.name if isinstance(key_pem_or_secret, KeyBytes) else None
        source = KeySource.in_file(name)
    try:
        if jwks_url:
            document = key_set if key_set is not None else fetch_jwks(jwks_url, timeout_s=timeout_s,
                                                                      cancel=cancel)
            key = _public(select_key(signing_keys(document, source), info.header.get("kid"), source).key)
        else:
            assert key_pem_or_secret is not None
            key = _verification_key(key_pem_or_secret, info, source)
    except NoMatchingKeyError as exc:
        return replace(info, verified=False, verify_outcome="no-key", verify_error=str(exc))
    except TokenError as exc:  # KeySetError, KeyFileError: the key cannot be used, no evidence either way
        return replace(info, verified=False, verify_outcome="unavailable", verify_error=str(exc))
    return _check_signature(info, alg, key, source)


def _check_signature(info: TokenInfo, alg: str, key: object, source: KeySource) -> TokenInfo:
    jwt = _jwt()

    def failed(outcome: str, why: str) -> TokenInfo:
        return replace(info, verified=False, verify_outcome=outcome, verify_error=why)

    try:
        jwt.decode(info.raw, key=key, algorithms=[alg], options=VERIFY_OPTIONS)
    except jwt.InvalidSignatureError:
        return failed("invalid", "The signature does not match the key: the token was signed with another "
                      "key or altered.")
    except jwt.InvalidAlgorithmError:
        return failed("invalid", f"The token's algorithm {alg} is not one this app can check.")
    except (jwt.InvalidKeyError, TypeError):  # PyJWT says TypeError for a key object of the wrong family
        return failed("unavailable", f"{_cap(source.document)} cannot check a {alg} signature: "
                      f"{_key_mismatch(key, alg)}.")
    except jwt.PyJWTError:
        return failed("invalid", f"The token is malformed, so its {alg} signature cannot be checked.")
    except Exception:
        return failed("unavailable", f"{_cap(source.document)} cannot be used to check a {alg} signature.")
    return replace(info, verified=True, verify_outcome="valid", verify_error=None)


# What each algorithm family (the first two letters of alg) checks signatures with.
_KEY_NEEDED = {"HS": "the shared secret", "RS": "an RSA public key", "PS": "an RSA public key",
               "ES": "an EC public key", "ED": "an Ed25519 or Ed448 public key"}


def _key_mismatch(key: object, alg: str) -> str:
    """Why this key cannot check this algorithm, in words that never quote the key."""
    family = alg.upper()[:2]
    needed = _KEY_NEEDED.get(family, "another kind of key")
    if isinstance(key, bytes):
        if family == "HS":
            held = "it holds a public key or certificate"
        else:
            held = "it is neither a PEM key nor a JWK or JWKS (a shared secret?)"
    else:
        held = f"it holds {_key_kind(key)}"
    return f"{held}, and {alg} needs {needed}"


def _key_kind(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    for kinds, words in (((rsa.RSAPublicKey,), "an RSA key"), ((ec.EllipticCurvePublicKey,), "an EC key"),
                         ((ed25519.Ed25519PublicKey, ed448.Ed448PublicKey), "an Ed25519 or Ed448 key")):
        if isinstance(key, kinds):
            return words
    return "a key of another type"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
