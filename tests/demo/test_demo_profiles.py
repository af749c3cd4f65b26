"""Demo profiles materialised for a running server, and the environment they refer to."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import jwt
import pytest
import requests

from inspector.demo.scenarios import (
    DEMO_API_KEY,
    DEMO_AUDIENCE,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_REFRESH_TOKEN,
    TOKEN_SCENARIOS,
)
from inspector.demo.server import demo_environment, demo_profile_sources, env_name, materialize_demo_profiles

KINDS = {"basic", "bearer", "api-key", "digest", "oauth2-client-credentials", "oauth2-refresh-token"}
SECRET_FIELDS = {"password", "token", "value", "client_secret", "refresh_token"}
REFERENCE = re.compile(r"^\$\{env:([A-Z0-9_]+)\}$")


@pytest.fixture
def profiles(demo_url: str, tmp_path: Path) -> dict[str, dict]:
    folder = materialize_demo_profiles(demo_url, tmp_path / "demo-profiles")
    assert folder == tmp_path / "demo-profiles"
    out = {}
    for path in sorted(folder.iterdir()):
        assert path.suffix == ".toml", path  # no temporary files left behind
        text = path.read_text(encoding="utf-8")
        for secret in (DEMO_PASSWORD, DEMO_API_KEY, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN):
            assert secret not in text, path
        assert "{demo}" not in text
        out[path.name] = tomllib.loads(text)
    return out


def test_one_profile_per_kind_in_the_profile_format(profiles: dict[str, dict], demo_url: str) -> None:
    assert {p["kind"] for p in profiles.values()} == KINDS
    api_key_places = {p["credentials"]["in"] for p in profiles.values() if p["kind"] == "api-key"}
    assert api_key_places == {"header", "query"}
    for name, p in profiles.items():
        assert p["format"] == 1, name
        assert p["name"].startswith("Demo: ") and p["notes"], name
        assert p["base_url"] == demo_url, name
        if "expect" in p:
            assert p["expect"]["issuer"] == f"{demo_url}/"
            assert p["expect"]["audience"] == DEMO_AUDIENCE
        if "token_url" in p["credentials"]:
            assert p["credentials"]["token_url"].startswith(f"{demo_url}/oauth/token")


def test_every_secret_is_an_env_reference_that_demo_environment_provides(
    profiles: dict[str, dict], demo_url: str
) -> None:
    env = demo_environment(demo_url)
    seen = 0
    for name, p in profiles.items():
        for field, value in p["credentials"].items():
            if field in SECRET_FIELDS:
                m = REFERENCE.match(value)
                assert m, f"{name}: {field} holds a literal"
                assert m.group(1) in env, f"{name}: {m.group(1)} is not provided"
                seen += 1
    assert seen == len(profiles)


def test_token_urls_answer_and_credentials_resolved_from_env_work(
    profiles: dict[str, dict], demo_url: str
) -> None:
    env = demo_environment(demo_url)

    def resolve(value: str) -> str:
        m = REFERENCE.match(value)
        return env[m.group(1)] if m else value

    for name, p in profiles.items():
        creds = {k: resolve(v) for k, v in p["credentials"].items()}
        if p["kind"] == "oauth2-client-credentials":
            form = {
                "grant_type": "client_credentials",
                "scope": creds["scope"],
                "audience": creds["audience"],
            }
            if creds["auth"] == "basic":
                r = requests.post(
                    creds["token_url"],
                    data=form,
                    auth=(creds["client_id"], creds["client_secret"]),
                    timeout=10,
                )
            else:
                form |= {"client_id": creds["client_id"], "client_secret": creds["client_secret"]}
                r = requests.post(creds["token_url"], data=form, timeout=10)
        elif p["kind"] == "oauth2-refresh-token":
            r = requests.post(
                creds["token_url"],
                data={
                    "grant_type": "refresh_token",
                    "client_id": creds["client_id"],
                    "refresh_token": creds["refresh_token"],
                },
                timeout=10,
            )
        elif p["kind"] == "basic":
            r = requests.get(
                f"{demo_url}/auth/basic", auth=(creds["username"], creds["password"]), timeout=10
            )
        elif p["kind"] == "digest":
            r = requests.get(
                f"{demo_url}/auth/digest",
                auth=requests.auth.HTTPDigestAuth(creds["username"], creds["password"]),
                timeout=10,
            )
        elif p["kind"] == "bearer":
            r = requests.get(
                f"{demo_url}/api/invoices",
                headers={"Authorization": f"{creds['prefix']} {creds['token']}"},
                timeout=10,
            )
        elif creds["in"] == "header":
            r = requests.get(f"{demo_url}/auth/api-key", headers={creds["name"]: creds["value"]}, timeout=10)
        else:
            r = requests.get(
                f"{demo_url}/auth/api-key-query", params={creds["name"]: creds["value"]}, timeout=10
            )
        assert r.status_code == 200, (name, r.text)


def test_materialize_overwrites_for_a_new_url(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    materialize_demo_profiles("http://127.0.0.1:1111", folder)
    materialize_demo_profiles("http://127.0.0.1:2222/", folder)
    texts = [p.read_text(encoding="utf-8") for p in folder.iterdir()]
    assert len(texts) == len(demo_profile_sources())
    assert all("2222" in t and "1111" not in t for t in texts)


def test_demo_environment(demo_url: str) -> None:
    env = demo_environment(demo_url)
    assert env["INSPECTOR_DEMO_URL"] == demo_url
    assert (env["DEMO_PASSWORD"], env["DEMO_API_KEY"], env["DEMO_CLIENT_SECRET"]) == (
        DEMO_PASSWORD,
        DEMO_API_KEY,
        DEMO_CLIENT_SECRET,
    )
    for scenario in TOKEN_SCENARIOS:
        assert env[env_name(scenario)]
    assert env_name("not-yet-valid") == "DEMO_TOKEN_NOT_YET_VALID"
    claims = jwt.decode(env["DEMO_ACCESS_TOKEN"], options={"verify_signature": False})
    assert claims["iss"] == f"{demo_url}/" and claims["exp"] - claims["iat"] == 3600
