"""The token scenarios added so the explainer's warnings can be shown: a token about to expire, a jku header."""

from __future__ import annotations

import time

import jwt
import requests

from inspector.demo.requests import demo_requests
from inspector.demo.scenarios import JKU_URL, NEAR_EXPIRY_S
from inspector.demo.server import mint_token


def test_near_expiry_token_is_accepted_and_expires_soon(demo_url: str) -> None:
    raw = mint_token(demo_url, "near-expiry")
    claims = jwt.decode(raw, options={"verify_signature": False})
    assert 0 < claims["exp"] - time.time() <= NEAR_EXPIRY_S + 1
    r = requests.get(f"{demo_url}/api/invoices", headers={"Authorization": f"Bearer {raw}"}, timeout=10)
    assert r.status_code == 200


def test_jku_token_is_signed_by_the_demo_key_and_accepted(demo_url: str) -> None:
    raw = mint_token(demo_url, "jku-header")
    header = jwt.get_unverified_header(raw)
    assert header["jku"] == JKU_URL and header["alg"] == "RS256"
    keys = requests.get(f"{demo_url}/.well-known/jwks.json", timeout=10).json()["keys"]
    assert header["kid"] == keys[0]["kid"]
    jwt.decode(raw, jwt.PyJWK(keys[0]).key, algorithms=["RS256"], options={"verify_aud": False})
    r = requests.get(f"{demo_url}/api/invoices", headers={"Authorization": f"Bearer {raw}"}, timeout=10)
    assert r.status_code == 200


def test_the_window_offers_the_new_explanations(demo_url: str) -> None:
    titles = {title for title, _ in demo_requests(demo_url)}
    for wanted in ("200 Token about to expire (20 s left)", "200 Token header names its own key URL (jku)",
                   "401 Doubled scheme (Bearer Bearer ...)", "401 Basic credentials sent to a Bearer API",
                   "401 Basic: password encoded as Latin-1, not UTF-8", "404 Unknown endpoint"):
        assert wanted in titles
