"""redact.py rules that closed real leaks: each case is a secret an auditor found in an output surface."""

from __future__ import annotations

import base64
import json

import pytest

from inspector.core.redact import (
    body_secret_values,
    header_secret_values,
    is_secret_header,
    is_secret_param,
    mask_body_text,
    mask_header_value,
    mask_url,
    url_secret_values,
)

TOKEN = "tok-SECRET-value-0123456789"


@pytest.mark.parametrize(
    ("url", "secret", "kept"),
    [
        # a token as the URL's user (GitHub-style https://TOKEN@host): requests sends it as Basic
        (f"https://{TOKEN}@git.example.com/repo", TOKEN, "git.example.com/repo"),
        # an OAuth implicit-flow redirect carries its tokens in the fragment
        (f"https://app.example.com/cb#access_token={TOKEN}&state=xyz", TOKEN, "state=xyz"),
        (f"https://app.example.com/cb?state=1#id_token={TOKEN}", TOKEN, "state=1"),
        # an API key under a name nobody listed, but that says what it is
        (f"https://h/x?page=2&accessToken={TOKEN}", TOKEN, "page=2"),
        (f"https://h/x?custom_token={TOKEN}", TOKEN, "https://h/x?custom_token="),
    ],
)
def test_mask_url_hides_tokens_in_userinfo_fragment_and_named_params(url: str, secret: str, kept: str) -> None:
    masked = mask_url(url)
    assert secret not in masked
    assert kept in masked
    assert secret in url_secret_values(url)  # and the value is learnt, so a Redactor scrubs it elsewhere


@pytest.mark.parametrize(
    "url",
    ["https://h/x?page=2&sort=asc", "https://h/docs#section-2", "https://h/x#a=1&b=2"],
)
def test_mask_url_leaves_ordinary_urls_alone(url: str) -> None:
    assert mask_url(url) == url
    assert url_secret_values(url) == []


@pytest.mark.parametrize("name", ["Location", "Content-Location"])
def test_a_redirect_location_is_masked_like_a_url(name: str) -> None:
    value = f"/landing?access_token={TOKEN}#id_token={TOKEN}"
    assert TOKEN not in mask_header_value(name, value)
    assert TOKEN in header_secret_values(name, value)


@pytest.mark.parametrize(
    ("name", "secret"),
    [("X-Custom-Key", True), ("X-Service-Token", True), ("X-Client-Secret", True), ("X-Api-Password", True),
     ("Accept", False), ("X-Request-Id", False), ("Keep-Alive", False), ("WWW-Authenticate", False),
     ("X-OAuth-Scopes", False), ("X-RateLimit-Remaining", False), ("Content-Type", False)],
)
def test_credential_looking_header_names_are_secret(name: str, secret: bool) -> None:
    assert is_secret_header(name) is secret
    assert (TOKEN not in mask_header_value(name, TOKEN)) is secret


@pytest.mark.parametrize(("name", "secret"), [("sessionToken", True), ("my_api_key", True), ("page", False),
                                               ("sort", False), ("state", False)])
def test_credential_looking_query_names_are_secret(name: str, secret: bool) -> None:
    assert is_secret_param(name) is secret


def test_basic_with_the_key_as_user_and_no_password_yields_the_key() -> None:
    # Stripe, Mailgun and friends take an API key as the Basic user with an empty password
    encoded = base64.b64encode(f"{TOKEN}:".encode()).decode()
    assert TOKEN in header_secret_values("Authorization", f"Basic {encoded}")


def test_digest_response_and_signature_params_are_learnt_as_values() -> None:
    digest = f'Digest username="demo", realm="r", nonce="abc", uri="/x", response="{TOKEN}", qop=auth'
    assert TOKEN in header_secret_values("Authorization", digest)
    signature = f'Signature keyId="k1",algorithm="hs2019",signature="{TOKEN}"'
    assert TOKEN in header_secret_values("Authorization", signature)


def test_a_json_echo_of_the_request_headers_is_masked_by_header_name() -> None:
    """httpbin-style /anything and the demo's /echo answer with the headers they received."""
    basic = base64.b64encode(b"demo:hunter2-password").decode()
    echo = json.dumps({"headers": {"Authorization": f"Basic {basic}", "Cookie": f"sid={TOKEN}",
                                   "X-Api-Key": TOKEN, "Accept": "application/json"},
                       "token_type": "Bearer"})
    masked = mask_body_text(echo, "application/json")
    assert TOKEN not in masked and basic not in masked
    shown = json.loads(masked)
    assert shown["headers"]["Authorization"].startswith("Basic ")  # the scheme stays readable
    assert shown["headers"]["Accept"] == "application/json" and shown["token_type"] == "Bearer"
    found = body_secret_values(echo, "application/json")
    assert TOKEN in found and "hunter2-password" in found
