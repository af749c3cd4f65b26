"""Every demo profile used from the CLI against the demo API, then a scan for the secrets in all output and
every file the app wrote: zero hits unless --show-secrets.

In-process, as on a user's machine: no INSPECTOR_TESTING, a fake HOME and XDG folders, no OS keyring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.demo.server import DemoServer, demo_environment, materialize_demo_profiles
from tests.support.cli import Cli, CliResult, Env

# profile name -> a path that profile's credentials open
PROFILE_PATHS = {
    "Demo: Basic auth": "/auth/basic",
    "Demo: Bearer token": "/api/invoices",
    "Demo: API key in a header": "/auth/api-key",
    "Demo: API key in the query": "/auth/api-key-query",
    "Demo: Digest auth": "/auth/digest",
    "Demo: OAuth 2 client credentials": "/api/invoices",
    "Demo: OAuth 2 refresh token": "/api/invoices",
}


@pytest.fixture(scope="module")
def demo(demo_server: DemoServer, tmp_path_factory) -> tuple[str, Path, dict[str, str | None]]:
    server = demo_server
    home = tmp_path_factory.mktemp("home")
    team = materialize_demo_profiles(server.base_url, home / "team-profiles")
    env: dict[str, str | None] = {"INSPECTOR_TESTING": None}  # the real defaults, under the fake HOME below
    env.update(demo_environment(server.base_url))
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        INSPECTOR_PROFILES=str(team),
    )
    return server.base_url, home, env


@pytest.fixture(autouse=True)
def no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """What PYTHON_KEYRING_BACKEND does for a new process; keyring picks its backend once per process, so here
    it is set directly (and undone after the test): never the keyring of the machine running the tests."""
    import keyring.core
    from keyring.backends import fail

    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())


def run(cli: Cli, env: Env, *args: str) -> CliResult:
    return cli(*args, env=env)


def secret_values(env: Env) -> list[str]:
    names = ("DEMO_PASSWORD", "DEMO_API_KEY", "DEMO_CLIENT_SECRET", "DEMO_REFRESH_TOKEN", "DEMO_ACCESS_TOKEN")
    return [str(env[n]) for n in names]


def test_profiles_list_shows_every_demo_profile_ready(cli: Cli, demo) -> None:
    _, _, env = demo
    result = run(cli, env, "profiles", "list")
    assert result.returncode == 0, result.stderr
    for name in PROFILE_PATHS:
        line = next(line for line in result.stdout.splitlines() if name in line)
        assert "ready" in line, line


@pytest.mark.parametrize("profile", sorted(PROFILE_PATHS))
def test_each_profile_opens_its_endpoint_and_leaks_nothing(cli: Cli, demo, profile: str) -> None:
    base, _, env = demo
    result = run(cli, env, "send", f"{base}{PROFILE_PATHS[profile]}", "--profile", profile, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["response"]["status"] == 200, doc["diagnosis"]["summary"]
    assert doc["request"]["profile"] == profile
    assert doc["diagnosis"]["verdict"] == "ok"
    plain = run(cli, env, "send", f"{base}{PROFILE_PATHS[profile]}", "--profile", profile)
    for secret in secret_values(env):
        assert secret not in result.stdout + result.stderr
        assert secret not in plain.stdout + plain.stderr


def test_oauth_token_fetch_is_a_hop(cli: Cli, demo) -> None:
    base, _, env = demo
    doc = json.loads(run(cli, env, "send", f"{base}/api/invoices", "--profile", "Demo: OAuth 2 client credentials",
                         "--json").stdout)
    # the profile's [expect] issuer publishes its JWKS (discovery): the signature check's hops come next
    assert [h["role"] for h in doc["hops"]] == ["token", "discovery", "jwks", "request"]
    assert doc["hops"][0]["url"] == f"{base}/oauth/token"
    assert doc["token"]["format"] == "jws" and doc["token"]["verified"] is True


def test_show_secrets_does_show_them(cli: Cli, demo) -> None:
    base, _, env = demo
    result = run(cli, env, "send", f"{base}/auth/api-key", "--profile", "Demo: API key in a header", "--json",
                 "--show-secrets")
    assert env["DEMO_API_KEY"] in result.stdout


def test_unknown_profile_and_missing_secret_are_bad_input(cli: Cli, demo) -> None:
    base, _, env = demo
    unknown = run(cli, env, "send", f"{base}/json", "--profile", "No such profile")
    assert unknown.returncode == 2 and "No such profile" in unknown.stderr and "Traceback" not in unknown.stderr
    without = {**env, "DEMO_API_KEY": None}
    missing = run(cli, without, "send", f"{base}/auth/api-key", "--profile", "Demo: API key in a header")
    assert missing.returncode == 2
    assert "DEMO_API_KEY" in missing.stderr and "Traceback" not in missing.stderr


def test_profiles_show_and_check_print_references_not_values(cli: Cli, demo) -> None:
    _, _, env = demo
    shown = run(cli, env, "profiles", "show", "Demo: Basic auth")
    assert shown.returncode == 0 and "${env:DEMO_PASSWORD}" in shown.stdout
    checked = run(cli, env, "profiles", "check")
    for secret in secret_values(env):
        assert secret not in shown.stdout + checked.stdout + checked.stderr


def test_no_file_the_app_wrote_holds_a_secret(cli: Cli, demo) -> None:
    """Runs after the flows above (same module, same HOME): grep every file under the fake home."""
    base, home, env = demo
    run(cli, env, "send", f"{base}/api/invoices", "--profile", "Demo: OAuth 2 client credentials")
    files = [p for p in home.rglob("*") if p.is_file() and "team-profiles" not in p.parts]
    team_files = [p for p in (home / "team-profiles").rglob("*") if p.is_file()]
    assert team_files, "the demo profiles should be on disk"
    for path in files + team_files:
        data = path.read_bytes()
        for secret in secret_values(env):
            assert secret.encode() not in data, f"{secret[:4]}… found in {path}"
