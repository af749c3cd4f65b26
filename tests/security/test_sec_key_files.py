"""Issue 9 items 1 and 13: a key file's content never reaches any output, and a private key is accepted.

The key files are real files in tmp_path: the app's own fallback secrets file (written by FileSecretStore)
and a cloud service-account file with a private key. Surfaces: `token` and `send --json` (stdout and stderr),
the verify_error of the pipeline's signature check, the history record and its raw sqlite file, HAR and the
report.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from inspector import cli
from inspector.core.diagnosis import Expectations
from inspector.core.export import build_report, dump_har, exchange_to_har_entries, report_html, to_har
from inspector.core.history import HistoryStore
from inspector.core.pipeline import prepare
from inspector.core.profiles.secrets import FileSecretStore
from inspector.core.request import Header, RequestSpec
from inspector.core.tokens import KeyFileError, inspect_token, load_key_file, verify_token
from tests.support.servers import answering

STORED_SECRET = "fallback-stored-SECRET-0042-abcdef"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def token(signing_key: rsa.RSAPrivateKey) -> str:
    return jwt.encode({"sub": "alice", "aud": "api"}, signing_key, algorithm="RS256", headers={"kid": "k1"})


def _private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, password: bytes | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _secrets_json(tmp_path: Path) -> tuple[Path, list[str]]:
    store = FileSecretStore(tmp_path / "data")
    store.set("billing-prod-key", STORED_SECRET)
    return store.path, [STORED_SECRET]


def _service_account(tmp_path: Path) -> tuple[Path, list[str]]:
    pem = _private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)).decode()
    path = tmp_path / "service-account.json"
    account = {"type": "service_account", "project_id": "p", "private_key_id": "0123456789abcdef",
               "private_key": pem, "client_email": "robot@p.iam.example.com"}
    path.write_text(json.dumps(account), encoding="utf-8")
    body_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return path, [body_lines[0], body_lines[-2], "0123456789abcdef", "BEGIN PRIVATE KEY"]


KEY_FILES: dict[str, Callable[[Path], tuple[Path, list[str]]]] = {
    "fallback secrets.json": _secrets_json,
    "service account": _service_account,
}


def _run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue() + err.getvalue()


Refuses = answering(401, b'{"error": "invalid_token"}',
                    {"WWW-Authenticate": 'Bearer error="invalid_token"', "Content-Type": "application/json"})


@pytest.mark.parametrize("kind", list(KEY_FILES))
def test_a_json_file_that_is_not_a_key_is_refused_by_name_without_its_content(tmp_path: Path,
                                                                              kind: str) -> None:
    path, secrets = KEY_FILES[kind](tmp_path)
    with pytest.raises(KeyFileError) as info:
        load_key_file(path)
    message = str(info.value)
    assert str(path) in message and "is JSON but not a JWK or JWKS" in message and '"kty"' in message
    assert not [s for s in secrets if s in message]


@pytest.mark.parametrize("kind", list(KEY_FILES))
def test_token_command_never_prints_the_key_file(tmp_path: Path, token: str, kind: str) -> None:
    path, secrets = KEY_FILES[kind](tmp_path)
    for flags in ([], ["--json"]):
        code, output = _run_cli(["token", "--key", str(path), *flags, token])
        assert code == 2 and path.name in output and "not a JWK or JWKS" in output
        assert not [s for s in secrets if s in output]


@pytest.mark.parametrize("kind", list(KEY_FILES))
def test_send_json_never_prints_the_key_file(tmp_path: Path, http_server, token: str, kind: str) -> None:
    path, secrets = KEY_FILES[kind](tmp_path)
    url = http_server(Refuses)
    code, output = _run_cli(["send", f"{url}/x", "-H", f"Authorization: Bearer {token}", "--key", str(path),
                             "--json", "--timeout", "10"])
    assert code == 2 and path.name in output  # refused before anything is sent
    assert not [s for s in secrets if s in output]


@pytest.mark.parametrize("kind", list(KEY_FILES))
def test_verify_error_history_har_and_report_never_hold_the_key_file(tmp_path: Path, http_server, token: str,
                                                                     kind: str) -> None:
    path, secrets = KEY_FILES[kind](tmp_path)
    url = http_server(Refuses)
    prepared = prepare(RequestSpec(url=f"{url}/x", headers=(Header("Authorization", f"Bearer {token}"),)))
    exchange = prepared.send()
    diagnosis = prepared.explain(exchange, Expectations(key_file=str(path)))
    assert diagnosis.token is not None and diagnosis.token.verify_outcome == "unavailable"
    verify_error = diagnosis.token.verify_error or ""
    assert str(path) in verify_error and "not a JWK or JWKS" in verify_error
    db = tmp_path / "history.sqlite3"
    with HistoryStore(db) as history:
        record = history.get(prepared.record(history, exchange, diagnosis))
        history_text = repr(record) + repr(history.page())
    surfaces = {
        "verify_error": verify_error,
        "history record": history_text,
        "history file": b"".join(p.read_bytes() for p in tmp_path.glob("history.sqlite3*")).decode("latin-1"),
        "HAR": dump_har(to_har(exchange_to_har_entries(exchange, diagnosis, redactor=prepared.redactor))),
        "report": build_report(exchange, diagnosis, redactor=prepared.redactor),
        "report html": report_html(exchange, diagnosis, redactor=prepared.redactor),
    }
    assert "not a JWK or JWKS" in surfaces["HAR"] and "not a JWK or JWKS" in surfaces["report"]
    assert {name: [s for s in secrets if s in text] for name, text in surfaces.items()
            if any(s in text for s in secrets)} == {}


# --- Item 13: a private key given as the key -------------------------------------------------------------


@pytest.mark.parametrize("form", ["pem", "jwk", "jwks"])
def test_a_private_key_checks_the_signature_with_its_public_half(
        tmp_path: Path, signing_key: rsa.RSAPrivateKey, token: str, form: str) -> None:
    path = tmp_path / f"private.{form}"
    if form == "pem":
        path.write_bytes(_private_pem(signing_key))
    else:
        jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key)), "kid": "k1"}
        path.write_text(json.dumps(jwk if form == "jwk" else {"keys": [jwk]}), encoding="utf-8")
    checked = verify_token(inspect_token(token), key_pem_or_secret=load_key_file(path))
    assert checked.verified and checked.verify_outcome == "valid"
    other = jwt.encode({"sub": "x"}, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                       algorithm="RS256", headers={"kid": "k1"})
    checked = verify_token(inspect_token(other), key_pem_or_secret=load_key_file(path))
    assert checked.verify_outcome == "invalid"


def test_private_key_on_the_command_line_verifies(tmp_path: Path, signing_key: rsa.RSAPrivateKey,
                                                 token: str) -> None:
    path = tmp_path / "private.pem"
    path.write_bytes(_private_pem(signing_key))
    code, output = _run_cli(["token", "--key", str(path), "--json", token])
    doc = json.loads(output)
    assert doc["verified"] is True and doc["verify_error"] is None and "Traceback" not in output


def test_a_passphrase_protected_private_key_is_named_not_a_traceback(tmp_path: Path,
                                                                      signing_key: rsa.RSAPrivateKey,
                                                                      token: str) -> None:
    path = tmp_path / "locked.pem"
    path.write_bytes(_private_pem(signing_key, b"passphrase"))
    checked = verify_token(inspect_token(token), key_pem_or_secret=load_key_file(path))
    assert checked.verify_outcome == "unavailable"
    assert checked.verify_error == (f"The key file '{path}' is a private key protected by a passphrase: give "
                                    "the public key (PEM) instead.")


# --- Every key problem is our own sentence, naming the file, never quoting it ----------------------------

SECRETISH = "do-not-print-this-value-31337"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ({"kty": "RSA", "n": SECRETISH, "e": "AQAB"}, "holds a RSA JWK that cannot be used"),
        ({"kty": SECRETISH}, "key type this app cannot use"),
        ({"kty": "oct"}, "holds a oct JWK that cannot be used"),
        ({"keys": SECRETISH}, "its \"keys\" is not a list"),
        ({"keys": [{"kty": "RSA", "n": SECRETISH, "e": "AQAB", "kid": "k1"}]},
         "holds no usable signing keys"),
        ([SECRETISH], "is neither a PEM key nor a JWK or JWKS"),  # a JSON array: read as a secret, not a key
    ],
)
def test_bad_jwk_files_are_explained_without_their_content(tmp_path: Path, token: str, content: object,
                                                           says: str) -> None:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    try:
        key = load_key_file(path)
    except KeyFileError as exc:
        message = str(exc)
    else:
        checked = verify_token(inspect_token(token), key_pem_or_secret=key)
        assert checked.verify_outcome == "unavailable"
        message = checked.verify_error or ""
    assert says in message and str(path) in message and SECRETISH not in message


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"-----BEGIN PUBLIC KEY-----\nbm9wZQ" + SECRETISH.encode() + b"\n-----END PUBLIC KEY-----\n",
         "looks like a PEM key but cannot be read"),
        (b"-----BEGIN PRIVATE KEY-----\n" + SECRETISH.encode() + b"\n-----END PRIVATE KEY-----\n",
         "looks like a PEM key but cannot be read"),
        (SECRETISH.encode() + b"\n", "is neither a PEM key nor a JWK or JWKS"),
        (b'{"kty": "RSA", "n": "' + SECRETISH.encode(), "starts like JSON but is not valid JSON"),
    ],
)
def test_bad_pem_and_secret_files_for_an_rsa_token_are_explained_without_their_content(
        tmp_path: Path, token: str, content: bytes, says: str) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(content)
    try:
        key = load_key_file(path)
    except KeyFileError as exc:
        message = str(exc)
    else:
        checked = verify_token(inspect_token(token), key_pem_or_secret=key)
        assert checked.verify_outcome == "unavailable"
        message = checked.verify_error or ""
    assert says in message and str(path) in message and SECRETISH not in message


def test_an_ec_key_for_an_rsa_token_says_which_key_is_needed(tmp_path: Path, token: str) -> None:
    path = tmp_path / "ec.pem"
    path.write_bytes(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    checked = verify_token(inspect_token(token), key_pem_or_secret=load_key_file(path))
    assert checked.verify_outcome == "unavailable"
    assert checked.verify_error == (f"The key file '{path}' cannot check a RS256 signature: it holds an EC "
                                    "key, and RS256 needs an RSA public key.")
