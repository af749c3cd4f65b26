"""Key sets: the shape of a JWK or JWKS, usable signing keys, and the key for a token's kid."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from inspector.core.errors import TokenError
from inspector.core.jwks import (
    KeySetError,
    KeySource,
    NoMatchingKeyError,
    key_document_problem,
    read_jwk,
    select_key,
    signing_keys,
)

URL = "https://idp.example.com/jwks.json"
DOCUMENT = f"The document at {URL}"
SOURCE = KeySource.at_url(URL)


@pytest.fixture(scope="module")
def jwk() -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"kty": "RSA", "n": "x", "e": "AQAB"}, None),
        ({"keys": []}, None),
        ([], "is JSON but not a JWK or JWKS (not a JSON object)"),
        ({"secrets": {"a": "b"}}, 'is JSON but not a JWK or JWKS (no "kty" and no "keys")'),
        ({"keys": {}}, 'is not a usable JWKS (its "keys" is not a list)'),
        ({"kty": "XYZ"},
         "holds a JWK of a key type this app cannot use (kty is not one of RSA, EC, OKP, oct)"),
    ],
)
def test_key_document_problem(document: object, problem: str | None) -> None:
    assert key_document_problem(document) == problem


def test_errors_are_token_errors() -> None:
    assert issubclass(KeySetError, TokenError) and issubclass(NoMatchingKeyError, TokenError)


def test_signing_keys_skip_what_cannot_sign(jwk: dict[str, str]) -> None:
    document = {"keys": [{**jwk, "kid": "enc", "use": "enc"}, {"kty": "RSA", "kid": "broken"}, "junk",
                         {**jwk, "kid": "sig", "use": "sig"}, {**jwk, "kid": "any"}]}
    assert [k.key_id for k in signing_keys(document, SOURCE)] == ["sig", "any"]


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({}, f'{DOCUMENT} is not a usable JWKS: it has no "keys" list.'),
        ({"keys": "nope"}, f'{DOCUMENT} is not a usable JWKS: its "keys" is not a list.'),
        ({"keys": [{"kty": "RSA"}]}, f"The JWKS at {URL} holds no usable signing keys."),
    ],
)
def test_signing_keys_say_why_there_are_none(document: dict[str, object], says: str) -> None:
    with pytest.raises(KeySetError) as info:
        signing_keys(document, SOURCE)
    assert str(info.value) == says


def test_select_key_by_kid(jwk: dict[str, str]) -> None:
    keys = signing_keys({"keys": [{**jwk, "kid": "old"}, {**jwk, "kid": "current"}]}, SOURCE)
    assert select_key(keys, "current", SOURCE).key_id == "current"
    assert select_key(keys[:1], None, SOURCE).key_id == "old"  # one key and no kid: that key
    with pytest.raises(NoMatchingKeyError) as info:
        select_key(keys, None, SOURCE)
    assert str(info.value) == f"The token has no kid, and the JWKS at {URL} holds 2 keys."
    with pytest.raises(NoMatchingKeyError) as info:
        select_key(keys, "rotated", SOURCE)
    assert str(info.value) == (f"No key in the JWKS at {URL} has the token's kid 'rotated' "
                               "(it lists old, current).")


def test_read_jwk_names_the_file_and_never_quotes_it() -> None:
    with pytest.raises(KeySetError) as info:
        read_jwk({"kty": "RSA", "n": "do-not-print-this-value-31337", "e": "AQAB"},
                 KeySource.in_file("key.json"))
    assert str(info.value) == ("The key file 'key.json' holds a RSA JWK that cannot be used: a member is "
                               "missing or damaged, or its curve or algorithm is not supported.")
