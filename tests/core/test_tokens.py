"""Finding the sent credential; JWS / JWE / opaque; signature checks with a key and with a real JWKS server."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.errors import TokenError
from inspector.core.exchange import Hop
from inspector.core.tokens import (
    KeyFileError,
    SentCredential,
    TokenInfo,
    find_credential,
    inspect_token,
    load_key_file,
    sent_credentials,
    split_authorization,
    verify_token,
)
from tests.support.servers import QuietHandler, answering

CLAIMS = {"sub": "alice", "aud": "api", "iss": "https://idp.example.com/", "exp": 2_000_000_000, "iat": 1_700_000_000}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _hop(headers: list[tuple[str, str]], url: str = "https://api.example.com/items") -> Hop:
    return Hop("GET", url, tuple(headers))


# ------------------------------------------------------------------------------------------ find_credential


@pytest.mark.parametrize(
    ("headers", "url", "names", "expected"),
    [
        ([("Authorization", "Bearer abc.def.ghi")], "https://a/x", (),
         SentCredential("authorization", "Authorization", "Bearer", "abc.def.ghi")),
        ([("authorization", "basic dXNlcjpwdw==")], "https://a/x", (),
         SentCredential("authorization", "authorization", "basic", "dXNlcjpwdw==")),
        ([("Authorization", "eyJhbGciOi.eyJzdWIiOi.sig")], "https://a/x", (),
         SentCredential("authorization", "Authorization", None, "eyJhbGciOi.eyJzdWIiOi.sig")),
        ([("Authorization", "Bearer")], "https://a/x", (),
         SentCredential("authorization", "Authorization", "Bearer", "")),
        ([("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/s3/aws4_request, Signature=ab")],
         "https://a/x", (), SentCredential("authorization", "Authorization", "AWS4-HMAC-SHA256",
                                           "Credential=AKIA/20240101/us-east-1/s3/aws4_request, Signature=ab")),
        ([("X-API-Key", "k-123")], "https://a/x", (), SentCredential("header", "X-API-Key", None, "k-123")),
        ([("X-Custom-Key", "k-9"), ("X-API-Key", "k-1")], "https://a/x", ("x-custom-key",),
         SentCredential("header", "X-Custom-Key", None, "k-9")),
        ([], "https://a/x?api_key=k-2&page=1", (), SentCredential("query", "api_key", None, "k-2")),
        ([], "https://a/x?sub-key=k-3", ("Sub-Key",), SentCredential("query", "sub-key", None, "k-3")),
        ([], "https://a/x?access_token=tok", (), SentCredential("query", "access_token", None, "tok")),
        ([("Cookie", "theme=dark; sessionid=s3cr3t")], "https://a/x", (),
         SentCredential("cookie", "sessionid", None, "s3cr3t")),
        ([("Cookie", "access_token=eyJ.x.y; lang=en")], "https://a/x", (),
         SentCredential("cookie", "access_token", None, "eyJ.x.y")),
        ([("Cookie", "theme=dark; csrftoken=abc")], "https://a/x", (), None),
        ([("Accept", "application/json")], "https://a/x?page=2", (), None),
        ([("X-API-Key", "   ")], "https://a/x", (), None),
    ],
)
def test_find_credential(headers: list[tuple[str, str]], url: str, names: tuple[str, ...],
                         expected: SentCredential | None) -> None:
    assert find_credential(_hop(headers, url), names) == expected


def test_authorization_wins_over_api_key_and_cookie() -> None:
    hop = _hop([("Cookie", "session=x"), ("X-API-Key", "k"), ("Authorization", "Bearer t")], "https://a/?api_key=q")
    found = sent_credentials(hop)
    assert [c.where for c in found] == ["authorization", "header", "query", "cookie"]
    assert find_credential(hop) == found[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Bearer  abc", ("Bearer", "abc")), ("Basic", ("Basic", "")), ("", (None, "")),
     ("a.b.c", (None, "a.b.c")), ("0123456789012345678901234", (None, "0123456789012345678901234"))],
)
def test_split_authorization(value: str, expected: tuple[str | None, str]) -> None:
    assert split_authorization(value) == expected


# ------------------------------------------------------------------------------------------ inspect_token


def test_hs256_jws_is_decoded_without_verification() -> None:
    raw = jwt.encode(CLAIMS, "s3cret-s3cret-s3cret-s3cret-s3cret", algorithm="HS256", headers={"kid": "k1"})
    info = inspect_token(raw)
    assert info.format == "jws"
    assert info.header["alg"] == "HS256" and info.header["kid"] == "k1"
    assert info.claims == CLAIMS
    assert info.verified is False and info.decode_error is None and info.verify_outcome is None


def test_expired_token_still_decodes() -> None:
    raw = jwt.encode({**CLAIMS, "exp": 1}, "k" * 32, algorithm="HS256")
    assert inspect_token(raw).claims["exp"] == 1


def test_alg_none_token_decodes_and_has_an_empty_signature() -> None:
    raw = jwt.encode({"sub": "x"}, None, algorithm="none")
    info = inspect_token(raw)
    assert info.format == "jws" and info.alg == "none" and info.signature_empty
    assert info.claims == {"sub": "x"}


def test_jwe_shaped_token_shows_its_header_only() -> None:
    raw = ".".join([_b64({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "e1"}), "a", "b", "c", "d"])
    info = inspect_token(raw)
    assert info.format == "jwe"
    assert info.header == {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "e1"}
    assert info.claims == {}


def test_jwe_with_unreadable_header_reports_decode_error() -> None:
    info = inspect_token("!!!.a.b.c.d".replace("!", "A"))
    assert info.format == "jwe" and info.decode_error


@pytest.mark.parametrize(
    ("raw", "fmt", "has_error"),
    [
        ("", "opaque", False),
        ("abc", "opaque", False),
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "opaque", False),
        ("a.b", "opaque", False),
        ("a.b.c.d", "opaque", False),
        ("not a token.at.all", "opaque", False),
        ("1.2.3", "jws", True),
        ("eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24.sig", "jws", True),
        (_b64(["list"]) + "." + _b64({}) + ".sig", "jws", True),
        (_b64({"alg": "HS256"}) + "." + _b64([1, 2]) + ".sig", "jws", True),
        (_b64({"alg": "HS256", "kid": 5}) + "." + _b64({}) + ".sig", "jws", True),
        ("....", "jwe", True),
    ],
)
def test_garbage_never_raises(raw: str, fmt: str, has_error: bool) -> None:
    info = inspect_token(raw)
    assert info.format == fmt
    assert bool(info.decode_error) is has_error


def test_claims_pyjwt_rejects_are_still_read() -> None:
    raw = _b64({"alg": "HS256"}) + "." + _b64({"iat": "yesterday", "aud": 5}) + ".c2ln"
    info = inspect_token(raw)
    assert info.decode_error is None and info.claims == {"iat": "yesterday", "aud": 5}


def test_repr_never_shows_the_token() -> None:
    raw = jwt.encode(CLAIMS, "k" * 32, algorithm="HS256")
    assert raw not in repr(inspect_token(raw))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_inspect_arbitrary_text_never_raises(raw: str) -> None:
    info = inspect_token(raw)
    assert info.format in ("jws", "jwe", "opaque")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", max_size=40),
                min_size=3, max_size=5))
def test_inspect_dotted_base64ish_never_raises(parts: list[str]) -> None:
    info = inspect_token(".".join(parts))
    assert info.format in ("jws", "jwe", "opaque")


# ------------------------------------------------------------------------------------------ verify_token


def test_hs256_verifies_with_the_secret_and_not_with_another() -> None:
    secret = b"s3cret-s3cret-s3cret-s3cret-s3cret"
    info = inspect_token(jwt.encode({**CLAIMS, "exp": 1}, secret, algorithm="HS256"))
    good = verify_token(info, key_pem_or_secret=secret + b"\n")  # a file's trailing newline is not the secret
    assert good.verified and good.verify_outcome == "valid" and good.verify_error is None
    bad = verify_token(info, key_pem_or_secret=b"another-secret-another-secret-xx")
    assert not bad.verified and bad.verify_outcome == "invalid" and "signature" in (bad.verify_error or "")
    assert info.verified is False  # the original is untouched


def test_rs256_verifies_with_the_public_pem_even_when_expired(rsa_key: rsa.RSAPrivateKey,
                                                               other_rsa_key: rsa.RSAPrivateKey) -> None:
    raw = jwt.encode({**CLAIMS, "exp": 1, "nbf": 4_000_000_000, "aud": "someone-else"}, rsa_key, algorithm="RS256")
    info = inspect_token(raw)
    assert verify_token(info, key_pem_or_secret=_public_pem(rsa_key)).verified
    wrong = verify_token(info, key_pem_or_secret=_public_pem(other_rsa_key))
    assert not wrong.verified and wrong.verify_outcome == "invalid"


def test_algorithm_not_accepted(rsa_key: rsa.RSAPrivateKey) -> None:
    info = inspect_token(jwt.encode(CLAIMS, rsa_key, algorithm="RS256"))
    out = verify_token(info, key_pem_or_secret=_public_pem(rsa_key), algorithms=("ES256",))
    assert not out.verified and out.verify_outcome == "invalid" and "ES256" in (out.verify_error or "")


def test_hs256_token_against_a_public_pem_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = _public_pem(rsa_key)
    forged = jwt.api_jws.PyJWS().encode(json.dumps(CLAIMS).encode(), b"x" * 32, algorithm="HS256")
    out = verify_token(inspect_token(forged), key_pem_or_secret=pem)
    assert not out.verified


def test_key_of_the_wrong_type_is_unavailable_not_invalid(rsa_key: rsa.RSAPrivateKey) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    info = inspect_token(jwt.encode(CLAIMS, rsa_key, algorithm="RS256"))
    out = verify_token(info, key_pem_or_secret=_public_pem(ec_key))
    assert not out.verified and out.verify_outcome in ("unavailable", "invalid")
    junk = verify_token(info, key_pem_or_secret=b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    assert not junk.verified and junk.verify_outcome == "unavailable" and junk.verify_error


@pytest.mark.parametrize("raw", ["opaque-token-value", "1.2.3", "a.b.c.d.e"])
def test_unverifiable_formats(raw: str) -> None:
    out = verify_token(inspect_token(raw), key_pem_or_secret=b"secret")
    assert not out.verified and out.verify_outcome == "unavailable"


def test_unsigned_token_never_verifies() -> None:
    info = inspect_token(jwt.encode({"sub": "x"}, None, algorithm="none"))
    out = verify_token(info, key_pem_or_secret=b"")
    assert not out.verified and out.verify_outcome == "invalid" and "unsigned" in (out.verify_error or "")


def test_no_key_means_no_check() -> None:
    info = inspect_token(jwt.encode(CLAIMS, "k" * 32, algorithm="HS256"))
    assert verify_token(info) == info


def test_jwk_json_key(rsa_key: rsa.RSAPrivateKey) -> None:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    raw = jwt.encode(CLAIMS, rsa_key, algorithm="RS256", headers={"kid": "k1"})
    assert verify_token(inspect_token(raw), key_pem_or_secret=json.dumps(jwk).encode()).verified
    jwks = {"keys": [{**jwk, "kid": "other"}]}
    out = verify_token(inspect_token(raw), key_pem_or_secret=json.dumps(jwks).encode())
    assert not out.verified and out.verify_outcome == "no-key"


def _jwks_handler(body: bytes, status: int = 200) -> type[QuietHandler]:
    return answering(status, body, {"Content-Type": "application/json"})


def test_verify_against_a_jwks_served_on_loopback(
    http_server: Callable[[type[QuietHandler]], str], rsa_key: rsa.RSAPrivateKey,
    other_rsa_key: rsa.RSAPrivateKey,
) -> None:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    other = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(other_rsa_key.public_key()))
    jwks = {"keys": [{**other, "kid": "old", "use": "sig", "alg": "RS256"},
                     {**jwk, "kid": "current", "use": "sig", "alg": "RS256"}]}
    base = http_server(_jwks_handler(json.dumps(jwks).encode()))
    url = f"{base}/.well-known/jwks.json"

    good = inspect_token(jwt.encode({**CLAIMS, "exp": 1}, rsa_key, algorithm="RS256", headers={"kid": "current"}))
    assert verify_token(good, jwks_url=url, timeout_s=5).verified

    # signed by the key the JWKS lists under another kid: found, does not verify
    lying = inspect_token(jwt.encode(CLAIMS, other_rsa_key, algorithm="RS256", headers={"kid": "current"}))
    out = verify_token(lying, jwks_url=url, timeout_s=5)
    assert not out.verified and out.verify_outcome == "invalid"

    unknown = inspect_token(jwt.encode(CLAIMS, rsa_key, algorithm="RS256", headers={"kid": "rotated-away"}))
    out = verify_token(unknown, jwks_url=url, timeout_s=5)
    assert not out.verified and out.verify_outcome == "no-key" and out.verify_error


def test_unreachable_jwks_is_unavailable_not_invalid(
    http_server: Callable[[type[QuietHandler]], str], rsa_key: rsa.RSAPrivateKey,
) -> None:
    base = http_server(_jwks_handler(b"oops", status=500))
    info = inspect_token(jwt.encode(CLAIMS, rsa_key, algorithm="RS256", headers={"kid": "k"}))
    out = verify_token(info, jwks_url=f"{base}/jwks", timeout_s=5)
    assert not out.verified and out.verify_outcome == "unavailable" and base in (out.verify_error or "")


# ------------------------------------------------------------------------------------------ key files


def _empty_file(path: Path) -> Path:
    path.write_bytes(b"  \n")
    return path


def test_load_key_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_bytes(b"s3cret\n")
    assert load_key_file(path) == b"s3cret\n"


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: p / "missing.pem", "does not exist"),
        (lambda p: p, "is a folder"),
        (lambda p: _empty_file(p / "empty.pem"), "is empty"),
    ],
)
def test_unreadable_key_files_raise_token_errors(tmp_path: Path, make: Callable[[Path], Path], fragment: str) -> None:
    path = make(tmp_path)
    with pytest.raises(KeyFileError) as info:
        load_key_file(path)
    assert isinstance(info.value, TokenError)
    assert fragment in str(info.value) and str(path) in str(info.value)


def test_token_info_defaults() -> None:
    assert TokenInfo("opaque", "x").verify_outcome is None
