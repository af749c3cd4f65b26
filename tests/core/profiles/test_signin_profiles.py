"""The sign-in kinds and [tls] in profile files: what parses, what is refused with path, line and field, and
what `profiles check` reports (literal secrets in a login form or [tls], missing certificate files)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from inspector.core.profiles.model import ProfileFileError, TlsSettings, new_profile, parse_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.profiles.store import ProfileStore, literal_secrets, secret_references

SESSION = 'name = "a"\nkind = "session"\n[credentials]\nlogin_url = "https://a/l"\n'


def parse(text: str, path: Path = Path("/p/x.toml")):
    return parse_profile(textwrap.dedent(text).lstrip("\n"), path)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (
            "session",
            'login_url = "https://a/login"\n[credentials.form]\nusername = "me"\npassword = "${env:P}"',
        ),
        (
            "session",
            'login_url = "https://a/login"\ntoken_from = "json:/data/token"\nprefetch = true\n'
            'csrf_cookie = "csrftoken"\ncsrf_header = "X-CSRFToken"\ncsrf_field = "csrfmiddlewaretoken"\n'
            '[credentials.json]\nemail = "me@x"\npassword = "${secret:pw}"',
        ),
        ("cookie", 'name = "sessionid"\nvalue = "${env:S}"\ndomain = ".example.com"\npath = "/app"'),
        (
            "oauth2-authorization-code",
            'issuer = "https://idp"\nclient_id = "c"\nredirect_port = 8400\n'
            'remember = true\n[credentials.extra_params]\nprompt = "login"',
        ),
        (
            "oauth2-authorization-code",
            'authorization_url = "https://idp/a"\ntoken_url = "https://idp/t"\n'
            'client_id = "c"\nclient_secret = "${env:S}"\nscope = "openid"',
        ),
        ("oauth2-device-code", 'issuer = "https://idp"\nclient_id = "c"\nscope = "read"'),
        (
            "oauth2-device-code",
            'device_authorization_url = "https://idp/d"\ntoken_url = "https://idp/t"\nclient_id = "c"',
        ),
        (
            "oauth2-password",
            'token_url = "https://idp/t"\nclient_id = "c"\nusername = "u"\npassword = "${env:P}"',
        ),
        ("oauth2-password", 'issuer = "https://idp"\nclient_id = "c"\nusername = "u"\npassword = "${env:P}"'),
        ("oauth2-client-credentials", 'issuer = "https://idp"\nclient_id = "c"\nclient_secret = "${env:S}"'),
    ],
)
def test_every_sign_in_kind_parses(kind: str, body: str) -> None:
    profile = parse(f'name = "n"\nkind = "{kind}"\n[credentials]\n{body}\n')
    assert profile.kind == kind


@pytest.mark.parametrize(
    ("text", "code", "line", "field", "words"),
    [
        (
            'name = "a"\nkind = "session"\n[credentials]\nlogin_url = "https://a/l"\n',
            "missing-field",
            3,
            "credentials.form",
            "[credentials.form] (a form login) or [credentials.json]",
        ),
        (
            SESSION + '[credentials.form]\nu = "x"\n'
            '[credentials.json]\nu = "x"\n',
            "bad-field",
            7,
            "credentials.json",
            "not both",
        ),
        (
            SESSION + 'token_from = "access_token"\n'
            '[credentials.form]\nu = "x"\n',
            "bad-field",
            5,
            "credentials.token_from",
            '"json:/access_token"',
        ),
        (
            'name = "a"\nkind = "session"\n[credentials]\nlogin_url = "https://a/l"\ncsrf_cookie = "c"\n'
            '[credentials.form]\nu = "x"\n',
            "missing-field",
            3,
            "credentials.csrf_header",
            "go together",
        ),
        (
            'name = "a"\nkind = "session"\n[credentials]\nlogin_url = "https://a/l"\nprefetch = "yes"\n'
            '[credentials.form]\nu = "x"\n',
            "bad-field",
            5,
            "credentials.prefetch",
            "true or false",
        ),
        (
            SESSION + '[credentials.form]\nu = 5\n',
            "bad-field",
            5,
            "credentials.form",
            "table of texts",
        ),
        (
            'name = "a"\nkind = "session"\n[credentials]\nlogin_url = "https://a/l"\n[credentials.form]\n'
            'password = "${sekret:x}"\n',
            "bad-field",
            6,
            "credentials.form.password",
            "not a secret reference",
        ),
        (
            'name = "a"\nkind = "cookie"\n[credentials]\nname = "a b"\nvalue = "${env:V}"\n',
            "bad-field",
            4,
            "credentials.name",
            "not a cookie name",
        ),
        (
            'name = "a"\nkind = "cookie"\n[credentials]\nname = "s"\nvalue = "${env:V}"\npath = "app"\n',
            "bad-field",
            6,
            "credentials.path",
            "starts with /",
        ),
        (
            'name = "a"\nkind = "oauth2-authorization-code"\n[credentials]\nclient_id = "c"\n',
            "missing-field",
            3,
            "credentials.authorization_url",
            "or issuer instead of authorization_url and token_url",
        ),
        (
            'name = "a"\nkind = "oauth2-authorization-code"\n[credentials]\nissuer = "https://i"\n'
            'client_id = "c"\n'
            "redirect_port = 70000\n",
            "bad-field",
            6,
            "credentials.redirect_port",
            "from 0 to 65535",
        ),
        (
            'name = "a"\nkind = "oauth2-device-code"\n[credentials]\ntoken_url = "https://t"\n'
            'client_id = "c"\n',
            "missing-field",
            3,
            "credentials.device_authorization_url",
            "device_authorization_url",
        ),
        (
            'name = "a"\nkind = "oauth2-password"\n[credentials]\nissuer = "https://i"\nclient_id = "c"\n'
            'username = "u"\n',
            "missing-field",
            3,
            "credentials.password",
            "needs client_id, username, password",
        ),
        (
            'name = "a"\nkind = "none"\n[tls]\nclient_key = "k.pem"\n',
            "missing-field",
            3,
            "tls.client_cert",
            "no client_cert",
        ),
        (
            'name = "a"\nkind = "none"\n[tls]\nclient_cert = "c.pem"\nkey_password = "${oops}"\n',
            "bad-field",
            5,
            "tls.key_password",
            "not a secret reference",
        ),
        (
            'name = "a"\nkind = "none"\n[tls]\nca_bundle = 3\n',
            "bad-field",
            4,
            "tls.ca_bundle",
            "text in quotes",
        ),
    ],
)
def test_broken_sign_in_profiles_name_path_line_and_field(
    text: str, code: str, line: int | None, field: str, words: str
) -> None:
    with pytest.raises(ProfileFileError) as raised:
        parse_profile(text, Path("/team/p.toml"))
    err = raised.value
    assert (err.code, err.line, err.field) == (code, line, field), str(err)
    assert words in str(err) and str(Path("/team/p.toml")) in str(err)


def test_tls_table_round_trips_and_keeps_unknown_keys(tmp_path: Path) -> None:
    text = (
        'format = 1\nname = "m"\nkind = "none"\n\n[tls]\nclient_cert = "c.pem"\nkey_password = '
        '"${secret:k}"\nca_bundle = "~/ca.pem"\npinned = "kept"\n'
    )
    profile = parse(text, tmp_path / "m.toml")
    assert profile.tls == TlsSettings(client_cert="c.pem", key_password="${secret:k}", ca_bundle="~/ca.pem")
    assert profile.tls.path("client_cert", tmp_path) == tmp_path / "c.pem"
    assert profile.tls.path("ca_bundle", tmp_path) == Path("~/ca.pem").expanduser()
    doc = profile.to_document()
    assert doc["tls"] == {
        "pinned": "kept",
        "client_cert": "c.pem",
        "key_password": "${secret:k}",
        "ca_bundle": "~/ca.pem",
    }


def test_secrets_in_a_login_form_and_tls_are_found_by_field_path(tmp_path: Path) -> None:
    profile = new_profile(
        "s",
        "session",
        tmp_path,
        credentials={
            "login_url": "https://a/login",
            "form": {
                "username": "me",
                "password": "hunter2-literal",
                "otp_secret": "${env:OTP}",
                "remember": "yes",
            },
        },
        tls=TlsSettings(client_cert="c.pem", key_password="pass-literal"),
    )
    assert set(literal_secrets(profile)) == {"credentials.form.password", "tls.key_password"}
    assert secret_references(profile) == {"credentials.form.otp_secret": "${env:OTP}"}


def test_profiles_check_reports_literal_form_secrets_in_team_folders_and_missing_tls_files(
    tmp_path: Path,
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "app.toml").write_text(
        'format = 1\nname = "App"\nkind = "session"\n[credentials]\nlogin_url = "https://a/login"\n'
        '[credentials.form]\nusername = "me"\npassword = "hunter2-literal"\n'
        '[tls]\nclient_cert = "missing.pem"\nca_bundle = "not-pem.txt"\n'
        'key_password = "${env:NOT_SET_ANYWHERE}"\n',
        encoding="utf-8",
    )
    (team / "not-pem.txt").write_text("hello", encoding="utf-8")
    store = ProfileStore(tmp_path / "personal", [team])
    problems = {(p.code, p.field) for p in store.check(Resolver(None, env={}))}
    assert problems == {
        ("literal-secret", "credentials.form.password"),
        ("missing-file", "tls.client_cert"),
        ("missing-file", "tls.ca_bundle"),
        ("missing-secret", "tls.key_password"),
    }
    messages = " ".join(p.message for p in store.check(Resolver(None, env={})))
    assert "hunter2-literal" not in messages and "does not exist" in messages and "not a PEM file" in messages


def test_saving_refuses_a_literal_key_password_in_a_team_folder(tmp_path: Path) -> None:
    from inspector.core.errors import ProfileError

    team = tmp_path / "team"
    team.mkdir()
    store = ProfileStore(tmp_path / "personal", [team])
    profile = new_profile(
        "m", "none", team, folder_kind="team", tls=TlsSettings(client_cert="c.pem", key_password="plain")
    )
    with pytest.raises(ProfileError, match=r"tls.key_password holds a literal secret"):
        store.save(profile)
