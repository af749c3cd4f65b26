"""`profiles list|show|check` text, and a scan proving secret values never land in what the store writes."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest

from inspector.cli.profiles import check_text, list_text, show_text
from inspector.core.errors import ProfileError
from inspector.core.profiles.auth import TokenCache, auth_for
from inspector.core.profiles.model import new_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.profiles.store import keep_secret


@pytest.fixture
def populated(store, personal, team, write, file_store):
    write(
        personal,
        "mine",
        'name = "Mine"\nkind = "basic"\n[credentials]\nusername = "me"\npassword = "hunter2-literal"\n',
    )
    write(
        team,
        "billing",
        """
        format = 1
        name = "Billing"
        kind = "oauth2-client-credentials"
        [credentials]
        token_url = "https://login.example.com/token"
        client_id = "billing"
        client_secret = "${secret:billing}"
        [expect]
        audience = "https://billing"
        scopes = ["invoices:read"]
        leeway_s = 30
        """,
    )
    write(team, "github", 'name = "GitHub"\nkind = "bearer"\n[credentials]\ntoken = "${env:GH_TOKEN}"\n')
    write(team, "torn", 'name = "Torn"\nkind = "bearer\n')
    file_store.set("billing", "client-secret-value")
    return Resolver(file_store, env={})


def test_list_one_line_per_profile_with_status(store, personal, team, populated) -> None:
    lines = list_text(store, populated).splitlines()
    assert len(lines) == 4
    rows = {line.split()[0]: line for line in lines}
    assert rows["Mine"].split()[1:] == ["basic", str(personal), "(personal)", "ready"]
    assert rows["Billing"].endswith("  ready") and "oauth2-client-credentials" in rows["Billing"]
    assert rows["GitHub"].endswith("  secret missing") and str(team) in rows["GitHub"]
    assert rows["torn"].endswith("  broken")


def test_list_when_there_are_none(store) -> None:
    assert list_text(store, None).startswith("No profiles in ")


def test_show_prints_references_never_values(store, populated) -> None:
    text = show_text(store, "Billing", populated)
    assert "client_secret = ${secret:billing}" in text
    assert "client-secret-value" not in text
    assert "audience = https://billing" in text and "leeway_s = 30" in text
    mine = show_text(store, "Mine", populated)
    assert "hunter2-literal" not in mine and "(a literal secret, hidden)" in mine
    github = show_text(store, "GitHub", populated)
    assert "status:   secret missing" in github and "set the environment variable GH_TOKEN" in github


def test_show_unknown_or_broken_profile_is_a_profile_error(store, populated) -> None:
    with pytest.raises(ProfileError, match="No profile is called 'nope'"):
        show_text(store, "nope", populated)
    with pytest.raises(ProfileError, match="torn.toml, line 2"):
        show_text(store, "torn", populated)


def test_check_lists_every_problem_and_exits_1(store, team, populated, write) -> None:
    write(
        team,
        "literal",
        'name = "Literal"\nkind = "api-key"\n[credentials]\nname = "k"\nvalue = "abc-literal-key"\n',
    )
    text, code = check_text(store, populated)
    assert code == 1
    lines = text.splitlines()
    assert lines[-1] == "3 problems found."
    assert any(line.startswith("[broken-file]") and "torn.toml, line 2" in line for line in lines)
    assert any(line.startswith("[missing-secret]") and "GH_TOKEN" in line for line in lines)
    assert any(line.startswith("[literal-secret]") and "credentials.value" in line for line in lines)
    assert "abc-literal-key" not in text and "hunter2-literal" not in text  # personal literal: not a problem


def test_check_clean(store, personal) -> None:
    store.save(new_profile("Ok", "none", personal))
    assert check_text(store, Resolver(None, env={})) == ("No problems: 1 profile checked.\n", 0)


SECRETS = ("pw-Zq9!x7", "client-Sx81#", "refresh-R42", "typed-in-T55")


def test_secret_values_never_reach_profile_files(store, personal, team, file_store, tmp_path: Path) -> None:
    """Secrets typed into the window go to the secret store; the profile folders only ever hold references."""
    resolver = Resolver(file_store, env={"REFRESH": SECRETS[2]}, prompt=lambda p, f: SECRETS[3])
    basic = new_profile("Basic", "basic", personal, credentials={"username": "me"})
    basic = store.save(keep_secret(basic, "password", SECRETS[0], file_store))
    oauth = new_profile(
        "OAuth",
        "oauth2-refresh-token",
        personal,
        credentials={
            "token_url": "http://127.0.0.1:9/token",
            "client_id": "c",
            "refresh_token": "${env:REFRESH}",
        },
    )
    oauth = store.save(keep_secret(oauth, "client_secret", SECRETS[1], file_store))
    digest = store.save(
        new_profile("Digest", "digest", personal, credentials={"username": "u", "password": "${prompt}"})
    )

    store.duplicate(basic, team)
    store.duplicate(oauth, team, name="OAuth team")
    store.save(replace(basic, notes="edited"))
    with pytest.raises(ProfileError) as refused:
        store.save(new_profile("Leak", "bearer", team, credentials={"token": SECRETS[0]}))
    for p in (basic, oauth, digest):
        auth = auth_for(p, resolver, cache=TokenCache())
        assert auth is not None and set(auth.secret_values()) & set(SECRETS)
    outputs = [list_text(store, resolver), check_text(store, resolver)[0], str(refused.value)]
    outputs += [show_text(store, str(p.identity), resolver) for p in (basic, oauth, digest)]

    written = [f for folder in (personal, team) for f in folder.rglob("*") if f.is_file()]
    assert len(written) == 5
    for secret in SECRETS:
        forms = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}
        for f in written:
            data = f.read_text(encoding="utf-8")
            assert not any(form in data for form in forms), f"{secret!r} leaked into {f}"
        for out in outputs:
            assert secret not in out
    assert file_store.get("basic.password") == SECRETS[0]  # the value went to the secret store instead
