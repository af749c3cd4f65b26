"""Key sets: fetch a JWKS (capped, time-limited, through the transport), read it, pick the key for a token;
find the JWKS an issuer publishes (its discovery metadata) when a token's signature is to be checked.

The same rules read a JWKS served at a URL and a JWK or JWKS in a key file. Every problem is one of our own
sentences naming where the keys came from; a library's exception text never reaches the user, because
PyJWT's messages quote the whole document (a key file pointed at the wrong JSON file would print its
secrets).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inspector.core.errors import TokenError
from inspector.core.exchange import Hop

if TYPE_CHECKING:
    from jwt import PyJWK

    from inspector.core.profiles.discovery import ProviderMetadata

JWKS_MAX_BYTES = 1024 * 1024  # a key set is a few KB; a bigger answer is not one (and must not fill memory)
_KEY_TYPES = ("RSA", "EC", "OKP", "oct")  # the JWK kty values PyJWT reads (RFC 7518, RFC 8037)


class KeySetError(TokenError):
    """Keys cannot be fetched or read: no evidence against the token (verify outcome "unavailable")."""


class NoMatchingKeyError(TokenError):
    """A readable key set holds no key for the token (verify outcome "no-key")."""


@dataclass(frozen=True)
class KeySource:
    """Where keys came from, as messages name it."""

    document: str  # "the document at https://idp/jwks.json", "the key file 'key.json'"
    key_set: str  # "the JWKS at https://idp/jwks.json", "the JWKS in the key file 'key.json'"

    @classmethod
    def at_url(cls, url: str) -> KeySource:
        return cls(f"the document at {url}", f"the JWKS at {url}")

    @classmethod
    def in_file(cls, name: str | None) -> KeySource:
        if not name:
            return cls("the key", "the JWKS")
        return cls(f"the key file '{name}'", f"the JWKS in the key file '{name}'")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass(frozen=True)
class FetchedKeySet:
    """A JWKS fetched for a signature check: its hops (role "jwks", judged like every hop of the exchange),
    and the document, or the sentence saying why there is none."""

    url: str
    hops: tuple[Hop, ...] = ()
    document: dict[str, Any] | None = None
    problem: str | None = None  # a KeySetError message: no evidence against the token


def _trusting(ca_bundle: str | None) -> Any:
    """An auth for the transport that adds no credential and trusts the profile's [tls] CA bundle too (an
    issuer behind a private CA); None when there is none. Never the client certificate: that is for the API."""
    if not ca_bundle:
        return None
    from inspector.core.profiles.base import AuthDefaults
    from inspector.core.tls import ClientTls

    class TrustOnly(AuthDefaults):
        _tls = ClientTls(ca_bundle=ca_bundle)

    return TrustOnly()


def fetch_key_set(url: str, *, timeout_s: float, cancel: threading.Event | None = None,
                  ca_bundle: str | None = None) -> FetchedKeySet:
    """Fetch the JWKS at `url` through core.transport: capped, time-limited, cancellable; never raises.

    Not PyJWKClient, which reads any size of answer whole and cannot be cancelled. Each request it made
    (redirects included) comes back as a hop with role "jwks", so the exchange shows where the keys came
    from and the explainer can read them (signing-key-unknown lists the kids the issuer publishes).
    """
    import json
    from dataclasses import replace

    from inspector.core.errors import RequestError
    from inspector.core.request import Header, RequestSpec
    from inspector.core.transport import send

    spec = RequestSpec(url=url, headers=(Header("Accept", "application/json"),), timeout_s=timeout_s)
    try:
        exchange = send(spec, auth=_trusting(ca_bundle), cancel=cancel, max_body_bytes=JWKS_MAX_BYTES,
                        max_redirects=5)
    except RequestError as exc:
        return FetchedKeySet(url, problem=f"The JWKS URL '{url}' cannot be used: {_sentence(str(exc))}")
    hops = tuple(replace(hop, role="jwks") for hop in exchange.hops)

    def failed(problem: str) -> FetchedKeySet:
        return FetchedKeySet(url, hops, problem=problem)

    if exchange.error is not None:
        return failed(f"The JWKS at {url} could not be fetched: {_sentence(exchange.error.message)}")
    response = exchange.response
    assert response is not None
    if response.status != 200:
        return failed(f"The JWKS at {url} could not be fetched: the server answered {response.status} "
                      f"{response.reason}.".replace(" .", "."))
    if response.body_truncated:
        return failed(f"The document at {url} is not a usable JWKS: it is larger than "
                      f"{JWKS_MAX_BYTES // 1024} KB, far more than any key set.")
    try:
        document = json.loads(response.body.decode("utf-8"))
    except (ValueError, RecursionError):
        return failed(f"The document at {url} is not a usable JWKS: it is not JSON.")
    if not isinstance(document, dict):
        return failed(f"The document at {url} is not a usable JWKS: it is not a JSON object.")
    return FetchedKeySet(url, hops, document)


def fetch_jwks(url: str, *, timeout_s: float, cancel: threading.Event | None = None) -> dict[str, Any]:
    """The JWKS document at `url` as a JSON object; KeySetError saying why there is none."""
    fetched = fetch_key_set(url, timeout_s=timeout_s, cancel=cancel)
    if fetched.document is None:
        raise KeySetError(fetched.problem or f"The JWKS at {url} could not be fetched.")
    return fetched.document


def discover_issuer(issuer: str, *, timeout_s: float = 10.0, cancel: threading.Event | None = None,
                    ca_bundle: str | None = None) -> tuple[ProviderMetadata | str, tuple[Hop, ...]]:
    """Discovery outside a sign-in, for a signature check (a profile whose [expect] names its issuer): the
    metadata or a sentence saying why there is none, and the requests made, as hops with role "discovery".

    Each document is fetched with core.transport (capped, time-limited, cancellable; never raises), trusting
    ca_bundle too (the profile's [tls] CA: an issuer behind a private CA)."""
    from dataclasses import replace

    from inspector.core.errors import RequestError
    from inspector.core.profiles.discovery import (
        MAX_DOCUMENT_BYTES,
        discovery_urls,
        none_published,
        parse_metadata,
    )
    from inspector.core.redact import mask_url
    from inspector.core.request import Header, RequestSpec
    from inspector.core.transport import send

    hops: list[Hop] = []
    tried: list[str] = []
    for url in discovery_urls(issuer):
        spec = RequestSpec(url=url, headers=(Header("Accept", "application/json"),), timeout_s=timeout_s)
        try:
            exchange = send(spec, auth=_trusting(ca_bundle), cancel=cancel, max_body_bytes=MAX_DOCUMENT_BYTES,
                            max_redirects=5)
        except RequestError as exc:
            return f"The issuer '{issuer}' cannot be asked for its metadata: {exc}", tuple(hops)
        hops += [replace(hop, role="discovery") for hop in exchange.hops]
        if exchange.error is not None:
            return (f"The discovery metadata of '{issuer}' could not be fetched: {exchange.error.message}",
                    tuple(hops))
        status = hops[-1].status or 0
        if 200 <= status < 300:
            return parse_metadata(hops[-1], issuer), tuple(hops)
        tried.append(f"{mask_url(url)} answered {status}")
    return none_published(issuer, tried), tuple(hops)


def key_document_problem(document: object) -> str | None:
    """Why a parsed JSON value is neither a JWK nor a JWKS (a phrase), or None when it is one of them.

    Only the shape is read: the phrase never quotes a value from the document.
    """
    if not isinstance(document, dict):
        return "is JSON but not a JWK or JWKS (not a JSON object)"
    if "keys" in document:
        if isinstance(document["keys"], list):
            return None
        return "is not a usable JWKS (its \"keys\" is not a list)"
    if "kty" not in document:
        return "is JSON but not a JWK or JWKS (no \"kty\" and no \"keys\")"
    if document["kty"] not in _KEY_TYPES:
        return f"holds a JWK of a key type this app cannot use (kty is not one of {', '.join(_KEY_TYPES)})"
    return None


def read_jwk(document: Mapping[str, Any], source: KeySource) -> PyJWK:
    """One JWK as a PyJWK; KeySetError naming the source when it cannot be used (never PyJWT's text)."""
    import jwt

    problem = key_document_problem(document)
    if problem is None and "keys" in document:
        problem = "holds a JWKS where one JWK was expected"
    if problem is not None:
        raise KeySetError(f"{_cap(source.document)} {problem}.")
    try:
        return jwt.PyJWK(dict(document))
    except Exception:
        raise KeySetError(f"{_cap(source.document)} holds a {document['kty']} JWK that cannot be used: a "
                          "member is missing or damaged, or its curve or algorithm is not "
                          "supported.") from None


def signing_keys(document: Mapping[str, Any], source: KeySource) -> list[PyJWK]:
    """The usable signing keys of a JWKS; KeySetError when it is not one or holds none."""
    if "keys" not in document:
        raise KeySetError(f"{_cap(source.document)} is not a usable JWKS: it has no \"keys\" list.")
    if not isinstance(document["keys"], list):
        raise KeySetError(f"{_cap(source.document)} is not a usable JWKS: its \"keys\" is not a list.")
    keys: list[PyJWK] = []
    for entry in document["keys"]:
        if not isinstance(entry, dict) or "keys" in entry or key_document_problem(entry) is not None:
            continue  # one unusable key does not spoil a set; JWKS readers skip what they cannot read
        try:
            key = read_jwk(entry, source)
        except KeySetError:
            continue
        if key.public_key_use in ("sig", None):
            keys.append(key)
    if not keys:
        raise KeySetError(f"{_cap(source.key_set)} holds no usable signing keys.")
    return keys


def select_key(keys: Sequence[PyJWK], kid: object, source: KeySource) -> PyJWK:
    """The key for a token's kid; NoMatchingKeyError when none matches (or several could, without a kid)."""
    if kid is None:
        if len(keys) == 1:
            return keys[0]
        raise NoMatchingKeyError(f"The token has no kid, and {source.key_set} holds {len(keys)} keys.")
    for key in keys:
        if key.key_id == kid:
            return key
    listed = ", ".join(str(k.key_id) for k in keys[:5])
    raise NoMatchingKeyError(f"No key in {source.key_set} has the token's kid '{kid}' (it lists {listed}).")
