"""`token`: its exit status (0 / 3 / 2), "invalid" versus "not verified", and which part of a broken token is
broken. In-process (inspector.cli.main) with tokens minted here and real key files in tmp_path."""

from __future__ import annotations

import base64
import io
import json
import sys
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from inspector.cli import main

SECRET = "token-exit-test-secret-0123456789abcdef"
OTHER_SECRET = "another-secret-for-the-wrong-key-98765"


def b64(obj: object) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hs256(secret: str = SECRET, **claims: object) -> str:
    now = int(time.time())
    base: dict[str, object] = {"sub": "alice", "iat": now - 60, "exp": now + 3600, "aud": "api://billing"}
    return jwt.encode({**base, **claims}, secret, algorithm="HS256")


def token(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["token", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def rsa_pair() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return (rsa.generate_private_key(public_exponent=65537, key_size=2048),
            rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- exit status


def _case(name: str) -> tuple[str, list[str]]:
    now = int(time.time())
    cases: dict[str, tuple[str, list[str]]] = {
        "valid, no key": (hs256(), []),
        "valid, right key": (hs256(), ["--key", "{secret}"]),
        "right audience": (hs256(), ["--audience", "api://billing"]),
        "opaque": ("ghp_" + "x" * 36, []),
        "expired": (hs256(exp=now - 3600), []),
        "not yet valid": (hs256(nbf=now + 3600), []),
        "wrong audience": (hs256(), ["--audience", "api://other"]),
        "wrong issuer": (hs256(iss="https://idp.example"), ["--issuer", "https://other.example"]),
        "bad signature": (hs256(secret=OTHER_SECRET), ["--key", "{secret}"]),
        "unsigned": (b64({"alg": "none"}) + "." + b64({"sub": "alice", "exp": now + 600}) + ".", []),
        "refresh token": (hs256(typ="Refresh"), []),
    }
    return cases[name]


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("valid, no key", 0),
        ("valid, right key", 0),
        ("right audience", 0),
        ("opaque", 0),  # nothing to judge
        ("expired", 3),
        ("not yet valid", 3),
        ("wrong audience", 3),
        ("wrong issuer", 3),
        ("bad signature", 3),
        ("unsigned", 3),
        ("refresh token", 3),
    ],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_exit_status(capsys: pytest.CaptureFixture[str], secret_file: Path, case: str, status: int,
                     as_json: bool) -> None:
    raw, extra = _case(case)
    args = [raw, *(a.replace("{secret}", str(secret_file)) for a in extra)] + (["--json"] if as_json else [])
    code, out, err = token(capsys, *args)
    assert code == status, err
    assert "Traceback" not in err
    if as_json:
        findings = json.loads(out)["findings"]
        assert any(f["severity"] == "error" for f in findings) is (status == 3)


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                           tmp_path: Path, as_json: bool) -> None:
    flag = ["--json"] if as_json else []
    code, out, err = token(capsys, hs256(), "--key", str(tmp_path / "missing.pem"), *flag)
    assert code == 2 and out == "" and "missing.pem" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("   \n"))
    code, out, err = token(capsys, "-", *flag)
    assert code == 2 and out == "" and "No token given" in err
    code, out, err = token(capsys, hs256(), "--leeway", "soon", *flag)
    assert code == 2 and out == ""


def test_help_tells_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = token(capsys, "--help")
    text = " ".join(out.split())
    assert code == 0
    assert "exit status: 0" in text and "3 a finding of severity error" in text and "2 bad input" in text


# ------------------------------------------------------------------------------------- invalid / not verified


def test_wrong_rsa_key_says_invalid(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                    rsa_pair: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> None:
    signer, other = rsa_pair
    key_file = tmp_path / "other.pem"
    key_file.write_bytes(other.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    raw = jwt.encode({"sub": "alice", "exp": int(time.time()) + 600}, signer, algorithm="RS256")

    code, out, _ = token(capsys, raw, "--key", str(key_file))
    assert code == 3
    assert "(signature invalid)" in out and "not verified" not in out
    assert "signature-invalid" in out

    code, out, _ = token(capsys, raw, "--key", str(key_file), "--json")
    doc = json.loads(out)
    assert code == 3 and doc["verified"] is False and doc["verify_outcome"] == "invalid"
    assert [f["id"] for f in doc["findings"]] == ["signature-invalid"]


def test_right_key_says_verified(capsys: pytest.CaptureFixture[str], secret_file: Path) -> None:
    code, out, _ = token(capsys, hs256(), "--key", str(secret_file))
    assert code == 0 and "(signature verified)" in out
    code, out, _ = token(capsys, hs256(), "--key", str(secret_file), "--json")
    assert json.loads(out)["verify_outcome"] == "valid"


def test_not_verified_without_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = token(capsys, hs256())
    assert code == 0 and "(signature not verified)" in out and "invalid" not in out
    code, out, _ = token(capsys, hs256(), "--json")
    assert json.loads(out)["verify_outcome"] is None


def test_not_verified_when_the_jwks_cannot_be_fetched(capsys: pytest.CaptureFixture[str]) -> None:
    # nothing listens on the discard port: no evidence against the token, so no error and exit 0
    code, out, _ = token(capsys, hs256(), "--jwks", "http://127.0.0.1:9/jwks.json")
    assert code == 0 and "(signature not verified)" in out and "could not be fetched" in out
    code, out, _ = token(capsys, hs256(), "--jwks", "http://127.0.0.1:9/jwks.json", "--json")
    doc = json.loads(out)
    assert doc["verify_outcome"] == "unavailable" and doc["findings"] == []


# -------------------------------------------------------------------------------------------- broken parts


GOOD = jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256")
HEADER, PAYLOAD, SIGNATURE = GOOD.split(".")


@pytest.mark.parametrize(
    ("raw", "part", "why"),
    [
        (f"x.{PAYLOAD}.{SIGNATURE}", "header (first segment)", "not base64url"),
        (f"{b64(b'not json')}.{PAYLOAD}.{SIGNATURE}", "header (first segment)", "not JSON"),
        (f"{b64([1, 2])}.{PAYLOAD}.{SIGNATURE}", "header (first segment)", "not a JSON object"),
        (f"{HEADER}.x.{SIGNATURE}", "payload (second segment)", "not base64url"),
        (f"{HEADER}.{b64(b'not json')}.{SIGNATURE}", "payload (second segment)", "not JSON"),
        (f"{HEADER}.{b64(b'[1, 2]')}.{SIGNATURE}", "payload (second segment)", "not a JSON object"),
        (f"{HEADER}.{b64(bytes([0xff, 0xfe]))}.{SIGNATURE}", "payload (second segment)", "not UTF-8"),
        (f"{HEADER}.{PAYLOAD}.x", "signature (third segment)", "not base64url"),
    ],
)
def test_the_broken_part_is_named(capsys: pytest.CaptureFixture[str], raw: str, part: str, why: str) -> None:
    code, out, err = token(capsys, raw, "--json")
    doc = json.loads(out)
    problem = doc["decode_error"]
    assert part in problem and why in problem, problem
    for other in {"header (first segment)", "payload (second segment)", "signature (third segment)"} - {part}:
        assert other not in problem
    assert code == 0 and "Traceback" not in err  # nothing was judged: no error finding
    code, out, _ = token(capsys, raw)
    assert f"Problem: The token {part}" in out or f"Problem: The token's {part}" in out


def test_a_broken_signature_segment_still_shows_the_claims(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = token(capsys, f"{HEADER}.{PAYLOAD}.x", "--json")
    doc = json.loads(out)
    assert doc["claims"] == {"sub": "alice"} and doc["header"]["alg"] == "HS256"
