"""`token` (in-process): JWS, JWE and opaque tokens, keys and JWKS, garbage that never prints a traceback."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from inspector.demo.scenarios import DEMO_AUDIENCE
from inspector.demo.server import DemoServer, mint_token
from tests.support.cli import Cli, CliResult, run_main_py

HS_SECRET = "token-cmd-test-secret-0123456789abcdef"
TOKEN_KEYS = {"format", "header", "claims", "verified", "timeline", "findings"}
TIMELINE_KEYS = {"issued_at", "not_before", "expires_at", "auth_time", "sent_at", "server_date", "clock_skew_s",
                 "remaining_s", "lifetime_s"}


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return (rsa.generate_private_key(public_exponent=65537, key_size=2048),
            rsa.generate_private_key(public_exponent=65537, key_size=2048))


def run(cli: Cli, *args: str, stdin: bytes = b"") -> CliResult:
    return cli("token", *args, stdin=stdin)


def run_json(cli: Cli, *args: str, stdin: bytes = b"") -> dict:
    result = run(cli, *args, "--json", stdin=stdin)
    assert "Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    # 3 when a finding of severity error was made (the token would be refused), else 0
    assert result.returncode == (3 if any(f["severity"] == "error" for f in doc["findings"]) else 0), result.stderr
    assert TOKEN_KEYS <= set(doc)
    for f in doc["findings"]:
        assert set(f) >= {"id", "severity", "title", "detail", "evidence"} and f["title"] and f["detail"]
    return doc


def ids(doc: dict) -> list[str]:
    return [f["id"] for f in doc["findings"]]


def hs256(claims: dict | None = None, secret: str = HS_SECRET, headers: dict | None = None) -> str:
    now = int(time.time())
    base = {"sub": "alice", "iat": now - 60, "exp": now + 3600, "aud": "api://billing", "scope": "read"}
    return jwt.encode({**base, **(claims or {})}, secret, algorithm="HS256", headers=headers)


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# ------------------------------------------------------------------------------------------------ formats


def test_hs256_jws_json_shape(cli: Cli) -> None:
    raw = hs256()
    doc = run_json(cli, raw)
    assert doc["format"] == "jws" and doc["header"] == {"alg": "HS256", "typ": "JWT"}
    assert doc["claims"]["sub"] == "alice" and doc["verified"] is False
    assert TIMELINE_KEYS <= set(doc["timeline"])
    assert 3500 < doc["timeline"]["remaining_s"] <= 3600 and doc["timeline"]["lifetime_s"] == 3660
    assert doc["timeline"]["expires_at"].endswith("Z")
    assert doc["findings"] == []
    assert raw not in json.dumps(doc)


def test_rs256_demo_token_plain_output_masks_it(cli: Cli, demo_server: DemoServer) -> None:
    raw = mint_token(demo_server.base_url, "valid")
    result = run(cli, raw)
    out = result.stdout
    assert result.returncode == 0 and raw not in out and raw[10:40] not in out
    assert f"Token: {raw[:6]}…" in out
    assert "Format: jws  (signature not verified)" in out and '"alg": "RS256"' in out
    assert "Nothing wrong can be seen from the token alone." in out
    assert raw in run(cli, raw, "--show-secrets").stdout


def test_jwe_shows_only_its_header(cli: Cli, demo_server: DemoServer) -> None:
    doc = run_json(cli, mint_token(demo_server.base_url, "jwe"))
    assert doc["format"] == "jwe" and doc["header"]["alg"] == "RSA-OAEP" and doc["header"]["enc"] == "A256GCM"
    assert doc["claims"] == {} and doc["timeline"] is None and ids(doc) == ["encrypted-token"]


def test_opaque_token(cli: Cli, demo_server: DemoServer) -> None:
    doc = run_json(cli, mint_token(demo_server.base_url, "opaque"))
    assert doc["format"] == "opaque" and doc["header"] == {} and ids(doc) == ["opaque-token"]


@pytest.mark.parametrize(
    ("scenario", "finding"),
    [
        ("expired", "token-expired"),
        ("not-yet-valid", "token-not-yet-valid"),
        ("alg-none", "unsigned-token"),
        ("id-token", "id-token-as-access-token"),
        ("refresh-token", "wrong-token-type"),
    ],
)
def test_findings_from_the_token_alone(cli: Cli, demo_server: DemoServer, scenario: str,
                                       finding: str) -> None:
    doc = run_json(cli, mint_token(demo_server.base_url, scenario))
    assert finding in ids(doc)
    f = next(f for f in doc["findings"] if f["id"] == finding)
    assert f["evidence"] and "before the request" not in f["detail"]  # alone: "ago" / "from now", no request


def test_expired_is_said_against_the_local_clock(cli: Cli, demo_server: DemoServer) -> None:
    f = run_json(cli, mint_token(demo_server.base_url, "expired"))["findings"][0]
    assert f["id"] == "token-expired" and "ago" in f["detail"] and f["evidence"]["by_server_clock"] is False


def test_stdin_dash_and_a_pasted_header(cli: Cli) -> None:
    raw = hs256()
    assert run_json(cli, "-", stdin=f"Authorization: Bearer {raw}\n".encode())["claims"]["sub"] == "alice"
    assert run_json(cli, "-", stdin=f"{raw}\n".encode())["format"] == "jws"


@pytest.mark.parametrize(
    ("audience", "mismatch"),
    [("api://billing", False), ("api://billing/", True), ("api://other", True)],
)
def test_audience(cli: Cli, audience: str, mismatch: bool) -> None:
    doc = run_json(cli, hs256(), "--audience", audience)
    assert ("audience-mismatch" in ids(doc)) is mismatch
    if mismatch:
        f = next(f for f in doc["findings"] if f["id"] == "audience-mismatch")
        assert f["evidence"] == {"expected": audience, "actual": ["api://billing"]}


def test_issuer(cli: Cli) -> None:
    doc = run_json(cli, hs256({"iss": "https://idp.example.com"}), "--issuer", "https://idp.example.com/")
    f = next(f for f in doc["findings"] if f["id"] == "issuer-mismatch")
    assert "trailing slash" in f["detail"]


# ------------------------------------------------------------------------------------------- signatures


def test_key_file_pem(cli: Cli, tmp_path: Path,
                      rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> None:
    good_key, other_key = rsa_keys
    key_file = tmp_path / "public.pem"
    key_file.write_bytes(pem(good_key))
    claims = {"sub": "alice", "exp": int(time.time()) + 600}
    good = jwt.encode(claims, good_key, algorithm="RS256")
    bad = jwt.encode(claims, other_key, algorithm="RS256")

    ok = run_json(cli, good, "--key", str(key_file))
    assert ok["verified"] is True and "signature-invalid" not in ids(ok)
    assert "(signature verified)" in run(cli, good, "--key", str(key_file)).stdout

    refused = run_json(cli, bad, "--key", str(key_file))
    assert refused["verified"] is False and "signature-invalid" in ids(refused)
    f = next(f for f in refused["findings"] if f["id"] == "signature-invalid")
    assert f["evidence"]["outcome"] == "invalid" and f["evidence"]["alg"] == "RS256"


def test_key_file_shared_secret(cli: Cli, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(HS_SECRET + "\n", encoding="utf-8")  # editors add the newline; the secret has none
    assert run_json(cli, hs256(), "--key", str(secret_file))["verified"] is True
    doc = run_json(cli, hs256(secret="another-secret-another-secret-12345"), "--key", str(secret_file))
    assert doc["verified"] is False and "signature-invalid" in ids(doc)


def test_jwks_from_the_demo(cli: Cli, demo_server: DemoServer,
                            rsa_keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> None:
    jwks = f"{demo_server.base_url}/.well-known/jwks.json"
    valid = mint_token(demo_server.base_url, "valid")
    good = run_json(cli, valid, "--jwks", jwks, "--audience", DEMO_AUDIENCE)
    assert good["verified"] is True and good["findings"] == []

    bad = run_json(cli, mint_token(demo_server.base_url, "bad-signature"), "--jwks", jwks)
    f = next(f for f in bad["findings"] if f["id"] == "signature-invalid")
    assert bad["verified"] is False and f["evidence"]["outcome"] == "invalid"

    unknown_kid = jwt.encode({"sub": "x"}, rsa_keys[0], algorithm="RS256", headers={"kid": "rotated-away"})
    found = run_json(cli, unknown_kid, "--jwks", jwks)["findings"]
    f = next(f for f in found if f["id"] == "signature-invalid")
    assert f["evidence"]["outcome"] == "no-key" and "rotated-away" in f["detail"]


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("http://127.0.0.1:9/jwks.json", "could not be fetched"),  # nothing listens
        ("{demo}/json", "not a usable JWKS"),  # JSON, but not a JWKS
        ("not a url", "cannot be used"),
    ],
)
def test_a_jwks_that_cannot_be_used_is_no_evidence_against_the_token(cli: Cli, demo_server: DemoServer,
                                                                     where: str, said: str) -> None:
    base = demo_server.base_url
    doc = run_json(cli, mint_token(base, "valid"), "--jwks", where.replace("{demo}", base))
    assert doc["verified"] is False and "signature-invalid" not in ids(doc)
    assert said in doc["verify_error"]


@pytest.mark.parametrize("problem", ["missing", "folder", "empty", "unreadable"])
def test_unreadable_key_file_exits_2_with_one_line(cli: Cli, tmp_path: Path, problem: str) -> None:
    path = tmp_path / "key.pem"
    if problem == "folder":
        path = tmp_path
    elif problem == "empty":
        path.write_bytes(b"")
    elif problem == "unreadable":
        if os.geteuid() == 0:
            pytest.skip("root reads any file")
        path.write_bytes(b"secret")
        path.chmod(0)
    result = run(cli, hs256(), "--key", str(path))
    err = result.stderr
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and str(path) in err


# ------------------------------------------------------------------------------------------------ garbage


@pytest.mark.parametrize(
    ("token", "fmt"),
    [
        ("...", "opaque"),
        ("a.b.c", "jws"),
        ("a.b.c.d.e", "jwe"),
        ("YWJj.YWJj.YWJj", "jws"),  # base64, but not JSON
        ("eyJhbGciOiJIUzI1NiJ9.W10.c2ln", "jws"),  # payload is a list
        ("eyJ" + "A" * 5000 + ".eyJ.x", "jws"),
        ("\u00e9\u00e8\u4e2d\u6587", "opaque"),
    ],
)
def test_garbage_is_described_never_a_traceback(cli: Cli, token: str, fmt: str) -> None:
    doc = run_json(cli, token)
    assert doc["format"] == fmt
    if fmt == "jws" and token != "a.b.c" and doc["header"] == {}:
        assert doc["decode_error"]
    plain = run(cli, token)
    assert plain.returncode == 0 and "Traceback" not in plain.stderr and plain.stdout


def test_unsigned_header_is_reported_even_when_the_payload_is_garbage(cli: Cli) -> None:
    doc = run_json(cli, "eyJhbGciOiJub25lIn0.W10.")  # {"alg":"none"} . [] . (empty signature)
    assert doc["decode_error"] and "unsigned-token" in ids(doc)


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(4096),
        b"\xff\xfe\x80not utf-8\xc3",
        b"A" * 3_000_000,  # too large for an argument: stdin
        b"eyJ" + b"A" * 2_000_000 + b".eyJ.x",
        b"\x00\x01\x02",
    ],
    ids=["random", "non-utf8", "huge", "huge-jws", "control"],
)
def test_garbage_on_stdin(cli: Cli, data: bytes) -> None:
    result = run(cli, "-", "--json", stdin=data)
    assert "Traceback" not in result.stderr
    if result.returncode == 2:  # nothing but whitespace/control left: a usage error, one line
        assert len(result.stderr.strip().splitlines()) == 1
    else:
        assert result.returncode == 0 and json.loads(result.stdout)["format"] in ("jws", "jwe", "opaque")
    plain = run(cli, "-", stdin=data)
    assert "Traceback" not in plain.stderr


@pytest.mark.smoke
def test_non_utf8_stdin_under_a_strict_locale() -> None:
    # a UTF-8 locale (or PYTHONIOENCODING=utf-8) makes text stdin strict: the CLI must read bytes. The
    # encoding of stdin is set when a process starts, so this one runs the real process.
    result = run_main_py("token", "-", "--json", stdin=b"\xff\xfe\x80abc", env={"PYTHONIOENCODING": "utf-8"})
    assert "Traceback" not in result.stderr and result.returncode == 0
    assert json.loads(result.stdout)["format"] == "opaque"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("a.b.c",), "cannot be decoded"),
        ((hs256(), "--jwks", "not a url"), "cannot be used"),
    ],
)
def test_plain_output_says_why_a_token_cannot_be_read_or_checked(cli: Cli, args: tuple[str, ...],
                                                                 problem: str) -> None:
    out = run(cli, *args).stdout
    assert "Problem: " in out and problem in out


@pytest.mark.parametrize("stdin", [b"", b"   \n", b"Bearer \n"])
def test_empty_stdin_is_a_usage_error(cli: Cli, stdin: bytes) -> None:
    result = run(cli, "-", stdin=stdin)
    err = result.stderr
    assert result.returncode == 2 and "No token given" in err and len(err.strip().splitlines()) == 1
