"""Parsing and validating profile files: every kind, broken files with path/line/field, expectations."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from inspector.core.diagnosis import Expectations
from inspector.core.profiles import model
from inspector.core.profiles.model import (
    Expect,
    ProfileFileError,
    new_profile,
    parse_profile,
    slug,
)

BILLING = """
format = 1
name = "Billing API (staging)"
kind = "oauth2-client-credentials"
base_url = "https://billing.staging.example.com"
notes = "Ask #billing-oncall for a client in the staging tenant."

[credentials]
token_url = "https://login.example.com/oauth2/token"
client_id = "billing-support"
client_secret = "${secret:billing-staging}"
scope = "invoices:read"

[expect]
audience = "https://billing.example.com"
issuer = "https://login.example.com/"
scopes = ["invoices:read"]
leeway_s = 60
"""


def parse(text: str, path: Path = Path("/p/x.toml")) -> model.Profile:
    return parse_profile(textwrap.dedent(text).lstrip("\n"), path)


def test_spec_example_parses() -> None:
    p = parse(BILLING, Path("/team/billing.toml"))
    assert p.name == "Billing API (staging)"
    assert p.kind == "oauth2-client-credentials"
    assert p.base_url == "https://billing.staging.example.com"
    assert p.credentials["client_secret"] == "${secret:billing-staging}"
    assert p.expect == Expect(
        audience="https://billing.example.com",
        issuer="https://login.example.com/",
        scopes=("invoices:read",),
        leeway_s=60.0,
    )
    assert p.identity == str(Path("/team/billing"))
    assert p.path == Path("/team/billing.toml")
    assert p.secret_fields() == ("client_secret",)


def test_expectations_for_the_explainer(tmp_path: Path) -> None:
    p = parse(
        """
        name = "K"
        kind = "api-key"
        [credentials]
        name = "X-Api-Key"
        value = "${env:K}"
        [expect]
        audience = "aud"
        scopes = "a b"
        algorithms = ["RS256"]
        jwks_url = "http://127.0.0.1/jwks"
        key_file = "keys/pub.pem"
        """,
        tmp_path / "k.toml",
    )
    assert p.expectations() == Expectations(
        audience="aud",
        scopes=("a", "b"),
        algorithms=("RS256",),
        leeway_s=60.0,
        jwks_url="http://127.0.0.1/jwks",
        key_file=str(tmp_path / "keys/pub.pem"),
        api_key_names=("X-Api-Key",),
    )


@pytest.mark.parametrize(
    ("kind", "creds"),
    [
        ("none", ""),
        ("basic", 'username = "u"\npassword = "${env:P}"'),
        ("bearer", 'token = "${secret:t}"\nprefix = "Token"'),
        ("api-key", 'name = "key"\nvalue = "${prompt}"\nin = "query"'),
        ("digest", 'username = "u"\npassword = "${prompt}"'),
        (
            "oauth2-client-credentials",
            'token_url = "http://t"\nclient_id = "c"\nclient_secret = "${env:S}"\nauth = "basic"',
        ),
        ("oauth2-refresh-token", 'token_url = "http://t"\nclient_id = "c"\nrefresh_token = "${secret:r}"'),
    ],
)
def test_every_kind_parses(kind: str, creds: str) -> None:
    p = parse(f'format = 1\nname = "n"\nkind = "{kind}"\n[credentials]\n{creds}\n')
    assert p.kind == kind


@pytest.mark.parametrize(
    ("text", "code", "line", "field", "words"),
    [
        ('name = "a"\nkind = "basic\n', "broken-file", 2, None, "not valid TOML"),
        ('name = "a"\n\n\nkind = = 3\n', "broken-file", 4, None, "line 4, column"),
        ('name = "a"\nkind = "oauth3"\n', "unknown-kind", 2, "kind", "unknown kind 'oauth3'"),
        ('kind = "none"\n', "missing-field", None, "name", "'name' is missing"),
        ('name = "a"\n', "missing-field", None, "kind", "'kind' is missing"),
        (
            'name = "a"\nkind = "basic"\n\n[credentials]\nusername = "u"\n',
            "missing-field",
            4,
            "credentials.password",
            "needs username, password",
        ),
        (
            'name = "a"\nkind = "bearer"\n',
            "missing-field",
            None,
            "credentials.token",
            "'credentials.token' is missing",
        ),
        (
            'name = "a"\nkind = "api-key"\n[credentials]\nname = "k"\nvalue = "${env:V}"\nin = "cookie"\n',
            "bad-field",
            6,
            "credentials.in",
            "use one of header, query",
        ),
        (
            'name = "a"\nkind = "bearer"\n[credentials]\ntoken = "${sekret:x}"\n',
            "bad-field",
            4,
            "credentials.token",
            "not a secret reference",
        ),
        ('name = 5\nkind = "none"\n', "bad-field", 1, "name", "must be a text"),
        ('format = 9\nname = "a"\nkind = "none"\n', "newer-format", 1, "format", "newer version"),
        ('format = "one"\nname = "a"\nkind = "none"\n', "bad-field", 1, "format", "whole number"),
        (
            'name = "a"\nkind = "none"\n[expect]\nleeway_s = -1\n',
            "bad-field",
            4,
            "expect.leeway_s",
            "0 or more",
        ),
        (
            'name = "a"\nkind = "none"\n[expect]\nscopes = [1, 2]\n',
            "bad-field",
            4,
            "expect.scopes",
            "list of texts",
        ),
    ],
)
def test_broken_files_name_path_line_and_field(
    text: str, code: str, line: int | None, field: str | None, words: str
) -> None:
    path = Path("/folder/broken.toml")
    with pytest.raises(ProfileFileError) as info:
        parse_profile(text, path)
    err = info.value
    assert (err.code, err.line, err.field) == (code, line, field)
    assert str(err).startswith(f"{path}, line {line}" if line else str(path))
    assert words in str(err)


def test_migration_hook_runs_for_older_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    def v1_to_v2(doc: dict) -> dict:
        doc["name"] = doc.pop("title")
        return doc

    monkeypatch.setattr(model, "FORMAT", 2)
    monkeypatch.setitem(model.MIGRATIONS, 1, v1_to_v2)
    p = parse('format = 1\ntitle = "old"\nkind = "none"\n')
    assert p.name == "old"
    assert p.to_document()["format"] == 2


def test_to_document_keeps_unknown_keys_and_spelling() -> None:
    p = parse(
        """
        format = 1
        name = "n"
        kind = "bearer"
        owner = "team-x"
        [credentials]
        token = "${env:T}"
        header_hint = "kept"
        [expect]
        scopes = "a b"
        leeway_s = 60
        custom = true
        [ui]
        colour = "red"
        """
    )
    doc = p.to_document()
    assert doc["owner"] == "team-x"
    assert doc["ui"] == {"colour": "red"}
    assert doc["credentials"]["header_hint"] == "kept"
    assert doc["expect"] == {"scopes": "a b", "leeway_s": 60, "custom": True}


@pytest.mark.parametrize(
    ("name", "stem"),
    [("Billing API (staging)", "billing-api-staging"), ("GitHub", "github"), ("???", "profile")],
)
def test_slug(name: str, stem: str) -> None:
    assert slug(name) == stem
    assert new_profile(name, "none", Path("/x")).stem == stem
