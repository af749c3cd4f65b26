"""The one place that masks secrets: by name and by value."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from inspector.core.redact import (
    Redactor,
    mask,
    mask_body_text,
    mask_header_value,
    mask_url,
)

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_mask_keeps_at_most_six_characters() -> None:
    assert mask(TOKEN) == "eyJhbG…"
    assert mask("short") == "…"
    assert mask("") == ""


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", f"Bearer {TOKEN}", "Bearer eyJhbG…"),
        ("authorization", "Basic ZGVtbzpzZWNyZXQtcGFzc3dvcmQ=", "Basic ZGVtbz…"),
        ("X-API-Key", "k-1234567890abcdef", "k-1234…"),
        ("Cookie", "session=abcdefghijklmnop; theme=dark", "session=abcdef…; theme=…"),
        ("Set-Cookie", "sid=abcdefghijklmnop; Path=/; HttpOnly", "sid=abcdef…; Path=/; HttpOnly"),
        ("Accept", "application/json", "application/json"),
    ],
)
def test_header_values(name: str, value: str, expected: str) -> None:
    assert mask_header_value(name, value) == expected


def test_extra_secret_names_from_a_profile() -> None:
    assert mask_header_value("X-Team-Key", "abcdefghijklmnopqr", extra=["x-team-key"]) == "abcdef…"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/x?api_key=abcdefghijklmnop&page=2", "https://h/x?api_key=abcdef…&page=2"),
        ("https://user:hunter2hunter2@h/x", "https://user:…@h/x"),
        ("https://h/x?page=2", "https://h/x?page=2"),
    ],
)
def test_urls(url: str, expected: str) -> None:
    assert mask_url(url) == expected


def test_token_endpoint_body() -> None:
    body = json.dumps({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300})
    masked = mask_body_text(body, "application/json")
    assert TOKEN not in masked and json.loads(masked)["token_type"] == "Bearer"
    form = mask_body_text("grant_type=client_credentials&client_secret=s3cr3t-value-long",
                          "application/x-www-form-urlencoded")
    assert "s3cr3t-value-long" not in form and "grant_type=client_credentials" in form


def test_redactor_scrubs_known_values_anywhere() -> None:
    redactor = Redactor(["p@ss word-123"])
    text = "login with p@ss word-123 or p%40ss%20word-123"
    scrubbed = redactor.scrub(text)
    assert "p@ss word-123" not in scrubbed and "p%40ss%20word-123" not in scrubbed


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/x?session_id=abcdefghijklmnop", "https://h/x?session_id=abcdef…"),
        ("https://h/x?sessionid=abcdefghijklmnop", "https://h/x?sessionid=abcdef…"),
        ("https://h/x?sid=abcdefghijklmnop", "https://h/x?sid=abcdef…"),
        ("https://h/x?session=abcdefghijklmnop", "https://h/x?session=abcdef…"),
        ("https://h/x;y?JSESSIONID=abcdefghijklmnop", "https://h/x;y?JSESSIONID=abcdef…"),
        ("https://h/x?PHPSESSID=abcdefghijklmnop", "https://h/x?PHPSESSID=abcdef…"),
        ("https://h/cb?code=abcdefghijklmnop&state=xyz-123", "https://h/cb?code=abcdef…&state=xyz-123"),
        ("https://h/t?code_verifier=abcdefghijklmnop", "https://h/t?code_verifier=abcdef…"),
        ("https://h/x?session_timeout_s=30&page=2", "https://h/x?session_timeout_s=30&page=2"),
    ],
)
def test_session_ids_and_sign_in_secrets_in_urls_are_masked(url: str, expected: str) -> None:
    assert mask_url(url) == expected


@pytest.mark.parametrize("name", ["X-Session-Id", "X-Session-ID", "Session-Id", "PHPSESSID"])
def test_session_id_headers_are_secret(name: str) -> None:
    assert mask_header_value(name, "abcdefghijklmnop") == "abcdef…"


@pytest.mark.parametrize("first", ["inspector.core.exchange", "inspector.core.request", "inspector.core.redact",
                                   "inspector.core.redact.exchange", "inspector.core.history"])
def test_the_package_imports_whichever_module_comes_first(first: str) -> None:
    """core.request uses the name rules and redact.exchange uses core.request: no order may hit a cycle."""
    code = f"import {first}\nfrom inspector.core.redact import Redactor, mask_exchange, mask_url\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
