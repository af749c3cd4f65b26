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

KINDS = {"basic", "bearer", "api-key", "digest", "oauth2-client-credentials", "oauth2-refresh-token",
         # the sign-in kinds (issue 12), and "none" with a [tls] client certificate
         "session", "cookie", "oauth2-authorization-code", "oauth2-device-code", "oauth2-password", "none"}
SECRET_FIELDS = {"password", "token", "value", "client_secret", "refresh_token"}
# public clients in a person's browser or device: no secret of their own
NO_SECRET = {"demo-oauth2-authorization-code.toml", "demo-oauth2-device-code.toml"}
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
    mtls = requests.get(f"{demo_url}/tls", timeout=10).json()["servers"]["mtls"]
    for name, p in profiles.items():
        assert p["format"] == 1, name
        assert p["name"].startswith("Demo: ") and p["notes"], name
        # the certificate profile is for the demo's mTLS endpoint; every other one for the demo API
        assert p["base_url"] == (mtls if name == "demo-mtls.toml" else demo_url), name
        if "expect" in p:
            assert p["expect"]["issuer"] == f"{demo_url}/"
            assert p["expect"]["audience"] == DEMO_AUDIENCE
        if "token_url" in p.get("credentials", {}):
            assert p["credentials"]["token_url"].startswith(f"{demo_url}/oauth/token")


def test_every_secret_is_an_env_reference_that_demo_environment_provides(
    profiles: dict[str, dict], demo_url: str
) -> None:
    env = demo_environment(demo_url)
    seen = 0
    for name, p in profiles.items():
        fields = [(f, v) for f, v in p.get("credentials", {}).items() if f in SECRET_FIELDS]
        for table in ("form", "json"):  # a login form's password
            fields += [(f"{table}.{f}", v) for f, v in p.get("credentials", {}).get(table, {}).items()
                       if f in SECRET_FIELDS]
        fields += [(f"tls.{f}", v) for f, v in p.get("tls", {}).items() if f == "key_password"]
        for field, value in fields:
            m = REFERENCE.match(value)
            assert m, f"{name}: {field} holds a literal"
            assert m.group(1) in env, f"{name}: {m.group(1)} is not provided"
            seen += 1
        assert bool(fields) == (name not in NO_SECRET), name
    assert seen == len(profiles) - len(NO_SECRET)


def test_token_urls_answer_and_credentials_resolved_from_env_work(
    profiles: dict[str, dict], demo_url: str
) -> None:
    env = demo_environment(demo_url)

    def resolve(value: str) -> str:
        m = REFERENCE.match(value)
        return env[m.group(1)] if m else value

    for name, p in profiles.items():
        creds = {k: resolve(v) if isinstance(v, str) else v for k, v in p.get("credentials", {}).items()}
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
        elif p["kind"] in SIGN_IN_KINDS:
            r = SIGN_IN_KINDS[p["kind"]](demo_url, creds, p, resolve)
        elif creds["in"] == "header":
            r = requests.get(f"{demo_url}/auth/api-key", headers={creds["name"]: creds["value"]}, timeout=10)
        else:
            r = requests.get(
                f"{demo_url}/auth/api-key-query", params={creds["name"]: creds["value"]}, timeout=10
            )
        assert r.status_code == 200, (name, r.text)


def _session(demo_url: str, creds: dict, p: dict, resolve) -> requests.Response:
    """The login the session profile describes, by hand: then a request with its cookie or token."""
    with requests.Session() as s:
        fields = {k: resolve(v) for k, v in creds.get("form", creds.get("json", {})).items()}
        if creds.get("prefetch"):
            page = s.get(creds["login_url"], timeout=10)
            field = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert field, page.text
            fields[creds["csrf_field"]] = field.group(1)
        if "json" in creds:
            answer = s.post(creds["login_url"], json=fields, timeout=10)
            token = answer.json()[creds["token_from"].removeprefix("json:/")]
            return requests.get(f"{demo_url}/api/invoices", headers={"Authorization": f"Bearer {token}"},
                                timeout=10)
        s.post(creds["login_url"], data=fields, timeout=10)
        headers = {creds["csrf_header"]: s.cookies[creds["csrf_cookie"]]}
        assert s.post(f"{demo_url}/app/notes", headers=headers, timeout=10).status_code == 201
        return s.get(f"{demo_url}/app/notes", timeout=10, allow_redirects=False)


def _cookie(demo_url: str, creds: dict, p: dict, resolve) -> requests.Response:
    return requests.get(f"{demo_url}/app/notes", cookies={creds["name"]: creds["value"]}, timeout=10,
                        allow_redirects=False)


def _password(demo_url: str, creds: dict, p: dict, resolve) -> requests.Response:
    form = {k: creds[k] for k in ("client_id", "username", "password", "scope")}
    return requests.post(creds["token_url"], data={"grant_type": "password", **form}, timeout=10)


def _discovered(creds: dict) -> dict:
    doc = requests.get(f"{creds['issuer'].rstrip('/')}/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == creds["issuer"]
    return doc


def _authorization_code(demo_url: str, creds: dict, p: dict, resolve) -> requests.Response:
    import base64
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    doc = _discovered(creds)
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://127.0.0.1:1/callback"  # never called: the redirect is read, not followed
    back = requests.get(doc["authorization_endpoint"], allow_redirects=False, timeout=10, params={
        "response_type": "code", "client_id": creds["client_id"], "redirect_uri": redirect, "state": "s1",
        "code_challenge": challenge, "code_challenge_method": "S256", "scope": creds["scope"]})
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    assert query["state"] == ["s1"]
    return requests.post(doc["token_endpoint"], timeout=10, data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect,
        "code_verifier": verifier, "client_id": creds["client_id"]})


def _device_code(demo_url: str, creds: dict, p: dict, resolve) -> requests.Response:
    doc = _discovered(creds)
    started = requests.post(doc["device_authorization_endpoint"], timeout=10,
                            data={"client_id": creds["client_id"], "scope": creds["scope"]}).json()
    assert requests.get(started["verification_uri_complete"], timeout=10).status_code == 200
    return requests.post(doc["token_endpoint"], timeout=10, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": started["device_code"],
        "client_id": creds["client_id"]})


def _certificate(demo_url: str, creds: dict, p: dict, resolve) -> requests.Response:
    from inspector.core.pipeline import prepare
    from inspector.core.profiles.model import TlsSettings, new_profile
    from inspector.core.profiles.secrets import Resolver
    from inspector.core.request import RequestSpec

    tls = TlsSettings(**p["tls"])
    profile = new_profile("mtls", "none", Path(tls.client_cert or ".").parent, tls=tls)
    env = {"DEMO_KEY_PASSWORD": resolve(p["tls"]["key_password"])}
    exchange = prepare(RequestSpec(url=p["base_url"]), profile, Resolver(None, env=env)).send()
    assert exchange.response is not None, exchange.error
    r = requests.Response()
    r.status_code = exchange.response.status
    return r


SIGN_IN_KINDS = {"session": _session, "cookie": _cookie, "oauth2-password": _password,
                 "oauth2-authorization-code": _authorization_code, "oauth2-device-code": _device_code,
                 "none": _certificate}


def test_materialize_overwrites_for_a_new_url(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    materialize_demo_profiles("http://127.0.0.1:1111", folder)
    materialize_demo_profiles("http://127.0.0.1:2222/", folder)
    texts = [p.read_text(encoding="utf-8") for p in folder.iterdir()]
    assert len(texts) == len(demo_profile_sources())
    assert all("2222" in t and "1111" not in t for t in texts)
    # no demo server answers there: the certificate profile points at a folder that is not there (profiles
    # check says so) instead of failing to be written
    mtls = tomllib.loads((folder / "demo-mtls.toml").read_text(encoding="utf-8"))
    assert mtls["base_url"] == "http://127.0.0.1:2222/tls"
    assert not Path(mtls["tls"]["ca_bundle"]).exists()


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
