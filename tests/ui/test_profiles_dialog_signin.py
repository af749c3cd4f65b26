"""The profiles dialog's editors for the sign-in kinds (session, cookie, the browser, device and password OAuth
flows), the [tls] section any profile may have, and OIDC discovery from the issuer: real folders in tmp_path,
a real FileSecretStore as the keyring, real loopback servers for discovery; files read back with the core's
store."""

from __future__ import annotations

import socket
import ssl
import threading
import tomllib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit

from inspector.core.profiles import FileSecretStore, ProfileStore, TlsSettings
from inspector.ui.profile_editors import FieldsTable, IssuerEditor, LoginBodyEditor, SecretInput
from inspector.ui.profiles_dialog import ProfileForm, ProfilesDialog
from inspector.ui.profiles_model import ProfilesModel
from tests.support.qt import save_and_wait
from tests.support.secret_scan import find_secrets
from tests.support.servers import Answer, QuietHandler, QuietServer, answering, responding

TYPED = "s3cr3t-typed-value-0123456789"
PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def never_ask(question: str, buttons: Sequence[str]) -> str:
    raise AssertionError(f"unexpected question: {question}")


@pytest.fixture
def model(qtbot, personal: Path, team: Path, secrets: FileSecretStore) -> ProfilesModel:
    return ProfilesModel(ProfileStore(personal, [team]), secrets, env={"CLIENT_SECRET": "from-env"})


@pytest.fixture
def dialog(qtbot, model: ProfilesModel) -> Iterator[ProfilesDialog]:
    model.poll()
    d = ProfilesDialog(model, ask=never_ask)
    qtbot.addWidget(d)
    yield d
    d.form.jobs.stop()  # nothing the form started outlives the test


def new(dialog: ProfilesDialog, kind: str, name: str, folder: Path | None = None) -> ProfileForm:
    assert dialog.new_profile(kind, folder)
    dialog.form.name_edit.setText(name)
    return dialog.form


def line(form: ProfileForm, key: str) -> QLineEdit:
    widget = form.credential_inputs[key]
    assert isinstance(widget, QLineEdit), type(widget)
    return widget


def secret(form: ProfileForm, key: str) -> SecretInput:
    widget = form.credential_inputs[key]
    assert isinstance(widget, SecretInput), type(widget)
    return widget


def check(form: ProfileForm, key: str) -> QCheckBox:
    widget = form.credential_inputs[key]
    assert isinstance(widget, QCheckBox), type(widget)
    return widget


def hand_written(dialog: ProfilesDialog, model: ProfilesModel, path: Path, text: str) -> Path:
    """A profile file written by hand (not through the dialog), read by the model and selected in the dialog."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    model.reload_now()
    assert dialog.select(str(path.with_suffix("")))
    return path


def table(form: ProfileForm, key: str) -> FieldsTable:
    widget = form.credential_inputs[key]
    if isinstance(widget, LoginBodyEditor):
        return widget.table
    assert isinstance(widget, FieldsTable), type(widget)
    return widget


def issuer(form: ProfileForm) -> IssuerEditor:
    widget = form.credential_inputs["issuer"]
    assert isinstance(widget, IssuerEditor)
    return widget


def choose(widget: object, data: str) -> None:
    assert isinstance(widget, QComboBox)
    widget.setCurrentIndex(widget.findData(data))


# --- each kind through its editor, saved, read back by the core's store -----------------------------------


def fill_session(form: ProfileForm) -> None:
    line(form, "login_url").setText("https://app.example.com/login")
    rows = table(form, "form").rows
    assert [r.name() for r in rows] == ["username", "password"]  # a new session profile starts with them
    assert rows[1].is_secret() and not rows[0].is_secret()
    rows[0].value.setText("demo")
    rows[1].value.setText(TYPED)
    line(form, "csrf_cookie").setText("csrftoken")
    line(form, "csrf_header").setText("X-CSRFToken")
    check(form, "prefetch").setChecked(True)
    line(form, "csrf_field").setText("csrfmiddlewaretoken")


def fill_json_session(form: ProfileForm) -> None:
    line(form, "login_url").setText("https://app.example.com/api/login")
    choose(form.credential_inputs["method"], "PUT")
    body = form.credential_inputs["form"]
    assert isinstance(body, LoginBodyEditor)
    choose(body.kind_combo, "json")
    body.table.rows[0].value.setText("demo")
    body.table.rows[1].value.setText("${env:DEMO_PASSWORD}")
    pin = body.table.add_row("pin", TYPED)
    assert not pin.is_secret()  # "pin" is no secret by name: the person says so
    pin.secret_box.setChecked(True)
    assert pin.value.is_masked()
    line(form, "token_from").setText("json:/access_token")


def fill_cookie(form: ProfileForm) -> None:
    line(form, "name").setText("sessionid")
    secret(form, "value").setText(TYPED)
    line(form, "domain").setText("app.example.com")
    line(form, "path").setText("/api")
    check(form, "secure").setChecked(True)


def fill_browser(form: ProfileForm) -> None:
    line(form, "authorization_url").setText("https://login.example.com/authorize")
    line(form, "token_url").setText("https://login.example.com/token")
    line(form, "client_id").setText("support-cli")
    secret(form, "client_secret").setText(TYPED)
    line(form, "scope").setText("openid invoices:read")
    line(form, "audience").setText("https://api.example.com")
    line(form, "redirect_port").setText("8765")
    table(form, "extra_params").add_row("prompt", "login")
    check(form, "remember").setChecked(True)


def fill_browser_issuer(form: ProfileForm) -> None:
    issuer(form).setText("https://login.example.com/")
    line(form, "client_id").setText("support-cli")
    line(form, "scope").setText("openid")


def fill_device(form: ProfileForm) -> None:
    line(form, "device_authorization_url").setText("https://login.example.com/device")
    line(form, "token_url").setText("https://login.example.com/token")
    line(form, "client_id").setText("support-cli")
    line(form, "scope").setText("invoices:read")


def fill_password(form: ProfileForm) -> None:
    issuer(form).setText("https://login.example.com/")
    line(form, "token_url").setText("https://login.example.com/token")
    line(form, "client_id").setText("legacy")
    secret(form, "client_secret").setText("${env:CLIENT_SECRET}")
    line(form, "username").setText("demo")
    secret(form, "password").setText(TYPED)
    line(form, "scope").setText("invoices:read")
    choose(form.credential_inputs["auth"], "basic")


CASES: list[tuple[str, str, Callable[[ProfileForm], None], dict[str, Any], str | None]] = [
    ("session", "Session login", fill_session, {
        "login_url": "https://app.example.com/login",
        "csrf_cookie": "csrftoken",
        "csrf_header": "X-CSRFToken",
        "prefetch": True,
        "csrf_field": "csrfmiddlewaretoken",
        "form": {"username": "demo", "password": "${secret:session-login.form.password}"},
    }, "session-login.form.password"),
    ("session", "JSON login", fill_json_session, {
        "login_url": "https://app.example.com/api/login",
        "method": "PUT",
        "token_from": "json:/access_token",
        "json": {"username": "demo", "password": "${env:DEMO_PASSWORD}", "pin": "${secret:json-login.json.pin}"},
    }, "json-login.json.pin"),
    ("cookie", "Browser cookie", fill_cookie, {
        "name": "sessionid",
        "value": "${secret:browser-cookie.value}",
        "domain": "app.example.com",
        "path": "/api",
        "secure": True,
    }, "browser-cookie.value"),
    ("oauth2-authorization-code", "Browser sign-in", fill_browser, {
        "authorization_url": "https://login.example.com/authorize",
        "token_url": "https://login.example.com/token",
        "client_id": "support-cli",
        "client_secret": "${secret:browser-sign-in.client_secret}",
        "scope": "openid invoices:read",
        "audience": "https://api.example.com",
        "redirect_port": 8765,
        "extra_params": {"prompt": "login"},
        "remember": True,
    }, "browser-sign-in.client_secret"),
    ("oauth2-authorization-code", "By issuer", fill_browser_issuer, {
        "issuer": "https://login.example.com/",
        "client_id": "support-cli",
        "scope": "openid",
    }, None),
    ("oauth2-device-code", "Device", fill_device, {
        "device_authorization_url": "https://login.example.com/device",
        "token_url": "https://login.example.com/token",
        "client_id": "support-cli",
        "scope": "invoices:read",
    }, None),
    ("oauth2-password", "Legacy password", fill_password, {
        "issuer": "https://login.example.com/",
        "token_url": "https://login.example.com/token",
        "client_id": "legacy",
        "client_secret": "${env:CLIENT_SECRET}",
        "username": "demo",
        "password": "${secret:legacy-password.password}",
        "scope": "invoices:read",
        "auth": "basic",
    }, "legacy-password.password"),
]


@pytest.mark.parametrize(("kind", "name", "fill", "expected", "secret_key"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_each_kind_is_created_saved_and_read_back_by_the_core(
    qtbot, dialog: ProfilesDialog, personal: Path, secrets: FileSecretStore,
    kind: str, name: str, fill: Callable[[ProfileForm], None], expected: dict[str, Any], secret_key: str | None,
) -> None:
    form = new(dialog, kind, name)
    fill(form)
    with qtbot.waitSignal(dialog.profile_saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    path = saved.args[0].path
    text = path.read_text(encoding="utf-8")
    assert TYPED not in text  # the typed secret went to the keyring, never into the file
    loaded = ProfileStore(personal).load(path)
    assert loaded.kind == kind and loaded.name == name
    assert dict(loaded.credentials) == expected
    assert tomllib.loads(text)["credentials"] == expected
    if secret_key is not None:
        assert secrets.get(secret_key) == TYPED
    assert find_secrets(dialog, [TYPED]) == []  # the form now shows the reference; nothing shows the value
    # Round trip: the form shows what the store read, gives back the same profile, and saving it again
    # without an edit writes the very same bytes.
    assert dict(form.to_profile().credentials) == expected
    assert save_and_wait(qtbot, dialog), dialog.message()
    assert path.read_text(encoding="utf-8") == text


def test_a_hand_written_file_of_every_field_round_trips_through_the_form(
    qtbot, dialog: ProfilesDialog, model: ProfilesModel, personal: Path
) -> None:
    path = hand_written(dialog, model, personal / "full.toml",
        'format = 1\nname = "Full"\nkind = "oauth2-authorization-code"\nowner = "me"\n\n'
        "[credentials]\n"
        'issuer = "https://login.example.com/"\nclient_id = "cli"\nclient_secret = "${prompt}"\n'
        'redirect_port = 0\nremember = false\nauth = "basic"\n\n'
        '[credentials.extra_params]\nprompt = "login"\nlogin_hint = "${env:WHO}"\n\n'
        '[tls]\nclient_cert = "~/certs/me.pem"\nkey_password = "${secret:me-cert}"\ncomment = "kept"\n')
    loaded = ProfileStore(personal).load(path)
    draft = dialog.form.to_profile()
    assert dict(draft.credentials) == dict(loaded.credentials)
    assert draft.tls == loaded.tls
    assert issuer(dialog.form).text() == "https://login.example.com/"
    assert not check(dialog.form, "remember").isChecked()
    extra = table(dialog.form, "extra_params")
    assert extra.values() == {"prompt": "login", "login_hint": "${env:WHO}"}
    assert extra.secret_names() == {"login_hint"}  # a reference is treated as a secret
    assert save_and_wait(qtbot, dialog), dialog.message()
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["credentials"]["remember"] is False and doc["credentials"]["redirect_port"] == 0
    assert doc["tls"]["comment"] == "kept" and doc["owner"] == "me"  # unknown keys stay


def test_a_hand_written_literal_in_a_login_field_moves_to_the_secret_store(
    qtbot, dialog: ProfilesDialog, model: ProfilesModel, personal: Path, secrets: FileSecretStore
) -> None:
    path = hand_written(dialog, model, personal / "handmade.toml",
        'name = "Handmade"\nkind = "session"\n[credentials]\nlogin_url = "https://app.example.com/login"\n'
        '[credentials.form]\nusername = "me"\npassword = "hunter2-literal"\n'
        '[tls]\nclient_cert = "me.pem"\nkey_password = "key-literal-99"\n')
    assert table(dialog.form, "form").rows[1].value.is_masked()
    assert find_secrets(dialog, ["hunter2-literal", "key-literal-99"]) == []
    assert save_and_wait(qtbot, dialog), dialog.message()
    text = path.read_text(encoding="utf-8")
    assert "hunter2-literal" not in text and "key-literal-99" not in text
    doc = tomllib.loads(text)
    assert doc["credentials"]["form"] == {"username": "me", "password": "${secret:handmade.form.password}"}
    assert doc["tls"] == {"client_cert": "me.pem", "key_password": "${secret:handmade.tls.key_password}"}
    assert secrets.get("handmade.form.password") == "hunter2-literal"
    assert secrets.get("handmade.tls.key_password") == "key-literal-99"


def test_changing_kind_keeps_what_the_new_kind_also_has(dialog: ProfilesDialog) -> None:
    form = new(dialog, "oauth2-password", "Switch")
    line(form, "token_url").setText("https://login.example.com/token")
    line(form, "client_id").setText("cli")
    choose(form.kind_combo, "oauth2-device-code")
    assert line(form, "token_url").text() == "https://login.example.com/token"
    assert line(form, "client_id").text() == "cli"
    assert "username" not in form.credential_inputs


# --- secrets in tables and team folders --------------------------------------------------------------------


def test_a_team_folder_refuses_a_literal_in_a_field_marked_secret(
    qtbot, dialog: ProfilesDialog, team: Path, secrets: FileSecretStore
) -> None:
    form = new(dialog, "session", "Shared login", team)
    line(form, "login_url").setText("https://app.example.com/login")
    rows = table(form, "form").rows
    rows[0].value.setText("demo")
    rows[1].value.setText("${secret:shared-login}")
    table(form, "form").add_row("pin", "1234", secret=True)
    assert not save_and_wait(qtbot, dialog)
    assert "credentials.form.pin holds a literal secret" in dialog.message()
    assert "move it to your keyring" in dialog.message()
    assert "border" in table(form, "form").rows[2].value.edit.styleSheet()  # the field is pointed at
    assert not (team / "shared-login.toml").exists()
    assert secrets.get("shared-login.form.pin") is None  # a team save never touches the secret store
    table(form, "form").rows[2].value.setText("${env:LOGIN_PIN}")
    assert save_and_wait(qtbot, dialog), dialog.message()
    saved = tomllib.loads((team / "shared-login.toml").read_text(encoding="utf-8"))
    assert saved["credentials"]["form"] == {
        "username": "demo", "password": "${secret:shared-login}", "pin": "${env:LOGIN_PIN}"}


def test_a_field_named_like_a_secret_cannot_be_unmarked(dialog: ProfilesDialog) -> None:
    form = new(dialog, "session", "Names")
    row = table(form, "form").add_row("client_secret", "x")
    assert row.is_secret() and not row.secret_box.isEnabled()
    row.name_edit.setText("client")
    assert row.secret_box.isEnabled()


def test_secret_fields_stay_masked_and_screen_share_mode_disables_show(dialog: ProfilesDialog) -> None:
    form = new(dialog, "session", "Masked")
    password = table(form, "form").rows[1].value
    password.setText(TYPED)
    key_password = form.tls_editor.key_password
    key_password.setText(TYPED)
    assert password.is_masked() and key_password.is_masked()
    assert not table(form, "form").rows[0].value.is_masked()  # a user name is no secret
    assert find_secrets(dialog, [TYPED]) == []
    dialog.set_screen_share_safe(True)
    password.toggle.setChecked(True)
    assert password.is_masked() and not password.toggle.isEnabled()
    assert not key_password.toggle.isEnabled()
    choose(form.kind_combo, "oauth2-password")  # a form built later follows the mode too
    assert not secret(form, "password").toggle.isEnabled()


# --- validation next to the field --------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "fill", "field", "expected"), [
    ("session", lambda f: (line(f, "login_url").setText("https://app.example.com/login"),
                           line(f, "csrf_cookie").setText("csrftoken")),
     "credentials.csrf_header", "csrf_cookie and csrf_header go together"),
    ("session", lambda f: (line(f, "login_url").setText("https://app.example.com/login"),
                           line(f, "token_from").setText("/access_token")),
     "credentials.token_from", 'write json: and a JSON pointer'),
    ("cookie", lambda f: (line(f, "name").setText("sid"), secret(f, "value").setText("${prompt}"),
                          line(f, "path").setText("api")),
     "credentials.path", "a cookie path starts with /"),
    ("cookie", lambda f: (line(f, "name").setText("my cookie"), secret(f, "value").setText("${prompt}")),
     "credentials.name", "which is not a cookie name"),
])
def test_what_the_core_refuses_is_said_under_the_field(
    qtbot, dialog: ProfilesDialog, personal: Path, secrets: FileSecretStore,
    kind: str, fill: Callable[[ProfileForm], object], field: str, expected: str,
) -> None:
    form = new(dialog, kind, "Refused")
    if kind == "session":
        table(form, "form").rows[1].value.setText(TYPED)
    fill(form)
    assert not save_and_wait(qtbot, dialog)
    assert expected in form.note_text(field)
    assert str(personal) not in form.note_text(field)  # a form not saved yet has no file and no line
    assert expected in dialog.message() and dialog.message().startswith("Not saved")
    assert not (personal / "refused.toml").exists()
    assert secrets.get("refused.form.password") is None  # nothing reaches the keyring for a refused save
    line_or_secret = form.credential_inputs[field.split(".")[1]]
    target = line_or_secret.edit if isinstance(line_or_secret, SecretInput) else line_or_secret
    assert "border" in target.styleSheet()
    if isinstance(line_or_secret, QLineEdit):
        line_or_secret.setText(line_or_secret.text() + "x")  # an edit: the note is about the old value
    else:
        line_or_secret.setText("${env:X}")
    assert form.note_text(field) == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("port", "Redirect port must be a whole number from 0 to 65535, not 'port'"),
    ("70000", "Redirect port must be a whole number from 0 to 65535, not '70000'"),
])
def test_a_redirect_port_that_is_no_port_is_refused(qtbot, dialog: ProfilesDialog, text: str,
                                                      expected: str) -> None:
    form = new(dialog, "oauth2-authorization-code", "Port")
    issuer(form).setText("https://login.example.com/")
    line(form, "client_id").setText("cli")
    line(form, "redirect_port").setText(text)
    assert not save_and_wait(qtbot, dialog)
    assert expected in dialog.message()


def test_an_endpoint_is_needed_without_an_issuer(qtbot, dialog: ProfilesDialog) -> None:
    form = new(dialog, "oauth2-device-code", "No issuer")
    line(form, "client_id").setText("cli")
    assert not save_and_wait(qtbot, dialog)
    assert "Fill in Device authorization URL (or an issuer whose metadata names it)" in dialog.message()


def test_profiles_check_problems_of_a_saved_profile_are_shown_under_their_fields(
    qtbot, dialog: ProfilesDialog, model: ProfilesModel, personal: Path
) -> None:
    hand_written(dialog, model, personal / "legacy.toml",
        'name = "Legacy"\nkind = "oauth2-password"\n[credentials]\ntoken_url = "https://l.example.com/t"\n'
        'client_id = "c"\nusername = "u"\npassword = "${env:NOT_SET_ANYWHERE}"\n'
        '[tls]\nclient_cert = "missing.pem"\n')
    form = dialog.form
    qtbot.waitUntil(lambda: "NOT_SET_ANYWHERE" in form.note_text("credentials.password"), timeout=10_000)
    qtbot.waitUntil(lambda: "does not exist" in form.note_text("tls.client_cert"), timeout=10_000)
    assert str(personal / "missing.pem") in form.note_text("tls.client_cert")
    assert form.note_text("credentials.username") == ""


# --- [tls] on any kind -------------------------------------------------------------------------------------


def test_a_tls_section_on_a_bearer_profile(
    qtbot, model: ProfilesModel, personal: Path, tmp_path: Path, secrets: FileSecretStore
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    cert = certs / "support.pem"
    cert.write_text(PEM, encoding="utf-8")
    not_pem = certs / "support.key"
    not_pem.write_text("this is not a key\n", encoding="utf-8")
    asked: list[tuple[str, str]] = []

    def pick(title: str, start: str) -> str | None:
        asked.append((title, start))
        return str(cert)

    dialog = ProfilesDialog(model, ask=never_ask, choose_file=pick)
    qtbot.addWidget(dialog)
    form = new(dialog, "bearer", "Mutual TLS")
    secret(form, "token").setText("${env:API_TOKEN}")
    tls = form.tls_editor
    qtbot.mouseClick(tls.paths["client_cert"].browse_button, Qt.MouseButton.LeftButton)
    assert tls.paths["client_cert"].text() == str(cert)
    assert asked and "client certificate" in asked[0][0]
    tls.paths["client_key"].setText(str(not_pem))
    tls.key_password.setText(TYPED)
    assert tls.key_password.is_masked()
    tls.paths["ca_bundle"].setText("certs/corp-root.pem")  # relative: read from the profile's folder
    qtbot.waitUntil(lambda: "is not a PEM file" in form.note_text("tls.client_key"), timeout=10_000)
    qtbot.waitUntil(lambda: "does not exist" in form.note_text("tls.ca_bundle"), timeout=10_000)
    assert str(personal / "certs" / "corp-root.pem") in form.note_text("tls.ca_bundle")
    assert form.note_text("tls.client_cert") == ""

    # file problems are said, not refused: `profiles check` flags them
    assert save_and_wait(qtbot, dialog), dialog.message()
    path = personal / "mutual-tls.toml"
    text = path.read_text(encoding="utf-8")
    assert TYPED not in text
    assert secrets.get("mutual-tls.tls.key_password") == TYPED
    loaded = ProfileStore(personal).load(path)
    assert loaded.tls == TlsSettings(client_cert=str(cert), client_key=str(not_pem),
                                     key_password="${secret:mutual-tls.tls.key_password}",
                                     ca_bundle="certs/corp-root.pem")
    assert loaded.credentials["token"] == "${env:API_TOKEN}"
    assert form.tls_editor.settings() == loaded.tls
    qtbot.waitUntil(lambda: "does not exist" in form.note_text("tls.ca_bundle"), timeout=10_000)
    assert find_secrets(dialog, [TYPED]) == []
    dialog.form.jobs.stop()

    # Emptied again, the [tls] table goes away.
    for path_input in tls.paths.values():
        path_input.setText("")
    tls.key_password.setText("")
    assert save_and_wait(qtbot, dialog), dialog.message()
    assert "tls" not in tomllib.loads(path.read_text(encoding="utf-8"))
    dialog.form.jobs.stop()


def test_a_chosen_file_under_home_is_written_with_a_tilde(qtbot, model: ProfilesModel) -> None:
    home_file = str(Path.home() / "certs" / "me.pem")
    dialog = ProfilesDialog(model, ask=never_ask, choose_file=lambda _t, _s: home_file)
    qtbot.addWidget(dialog)
    new(dialog, "none", "Tilde")
    dialog.form.tls_editor.paths["ca_bundle"].browse()
    assert dialog.form.tls_editor.paths["ca_bundle"].text() == "~/certs/me.pem"
    dialog.form.jobs.stop()


# --- discovery ---------------------------------------------------------------------------------------------


def wait_quiet(qtbot, form: ProfileForm) -> None:
    qtbot.waitUntil(lambda: not form.jobs.alive(), timeout=20_000)


def test_discover_shows_the_endpoints_and_jwks_uri_of_a_real_issuer(
    qtbot, dialog: ProfilesDialog, demo_server: Any
) -> None:
    form = new(dialog, "oauth2-authorization-code", "Demo sign-in")
    editor = issuer(form)
    base = demo_server.base_url
    editor.setText(f"{base}/")
    qtbot.mouseClick(editor.discover_button, Qt.MouseButton.LeftButton)
    assert not editor.discover_button.isEnabled() and editor.cancel_button.isVisibleTo(editor)
    with qtbot.waitSignal(editor.discovered, timeout=20_000):
        pass
    wait_quiet(qtbot, form)
    assert editor.metadata is not None and editor.metadata.issuer.rstrip("/") == base
    labels = {k: v.text() for k, v in editor.result_labels.items()}
    assert labels["authorization_url"] == editor.metadata.authorization_endpoint
    assert labels["token_url"] == editor.metadata.token_endpoint
    assert labels["jwks_uri"] == editor.metadata.jwks_uri and labels["jwks_uri"].startswith(base)
    assert labels["source"] == f"{base}/.well-known/openid-configuration"
    assert editor.results.isVisibleTo(editor) and editor.discover_button.isEnabled()
    assert not editor.cancel_button.isVisibleTo(editor)
    # The endpoints stay empty (the file keeps the issuer); what was found shows as their placeholder.
    assert line(form, "token_url").text() == ""
    assert editor.metadata.token_endpoint in line(form, "token_url").placeholderText()
    render(dialog, "oauth2-authorization-code-discovered")
    # Another issuer typed: what was found belongs to the old one.
    editor.setText(f"{base}/other")
    assert editor.metadata is None and not editor.results.isVisibleTo(editor)


@pytest.mark.parametrize("kind", ["oauth2-device-code", "oauth2-password", "oauth2-client-credentials",
                                  "oauth2-refresh-token"])
def test_every_oauth_kind_has_the_issuer_with_discover(dialog: ProfilesDialog, kind: str) -> None:
    form = new(dialog, kind, "Any")
    assert isinstance(form.credential_inputs["issuer"], IssuerEditor)
    assert next(iter(form.credential_inputs)) == "issuer"  # first: the rest may come from it


def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("answer", "expected"), [
    ((404, b"not here"), ["publishes no discovery metadata", "/.well-known/openid-configuration answered 404",
                          "/.well-known/oauth-authorization-server answered 404"]),
    ((200, b"<html>login</html>"), ["/.well-known/openid-configuration (200) is not JSON"]),
    ((200, b'{"issuer": "https://elsewhere.example.com/"}'), ["names the issuer 'https://elsewhere"]),
    (None, ["/.well-known/openid-configuration", "refused"]),
])
def test_a_failed_discovery_names_the_url_and_what_went_wrong(
    qtbot, dialog: ProfilesDialog, http_server: Callable[..., str],
    answer: tuple[int, bytes] | None, expected: list[str],
) -> None:
    base = http_server(answering(*answer)) if answer else f"http://127.0.0.1:{refused_port()}"
    form = new(dialog, "oauth2-password", "Broken issuer")
    editor = issuer(form)
    editor.setText(f"{base}/")
    editor.start_discovery()
    qtbot.waitUntil(lambda: bool(editor.error), timeout=20_000)
    wait_quiet(qtbot, form)
    shown = editor.status_label.text()
    for part in expected:
        assert part in shown, shown
    assert base.removeprefix("http://") in shown  # the URL that failed is named
    assert editor.metadata is None and not editor.results.isVisibleTo(editor)
    assert editor.discover_button.isEnabled()


def test_discover_without_an_issuer_says_what_to_fill_in(dialog: ProfilesDialog) -> None:
    form = new(dialog, "oauth2-device-code", "Empty")
    assert not issuer(form).start_discovery()
    assert "Fill in the issuer first" in issuer(form).status_label.text()
    assert not form.jobs.alive()


def test_cancel_stops_a_discovery_in_flight_and_drops_its_answer(
    qtbot, dialog: ProfilesDialog, http_server: Callable[..., str]
) -> None:
    arrived, gate = threading.Event(), threading.Event()

    def slow(_handler: QuietHandler, _body: bytes) -> Answer:
        arrived.set()
        gate.wait(10)  # bounded: the test opens it
        return 404, [], b""

    base = http_server(responding(slow, keep_alive=False))
    form = new(dialog, "oauth2-device-code", "Slow")
    editor = issuer(form)
    editor.setText(f"{base}/")
    qtbot.mouseClick(editor.discover_button, Qt.MouseButton.LeftButton)
    assert "Fetching the metadata of" in editor.status_label.text()
    qtbot.waitUntil(arrived.is_set, timeout=10_000)
    assert editor.busy()
    qtbot.mouseClick(editor.cancel_button, Qt.MouseButton.LeftButton)
    assert not editor.busy() and editor.discover_button.isEnabled()
    assert "Discovery cancelled" in editor.status_label.text()
    wait_quiet(qtbot, form)  # the cancel broke the connection off: the job ends without the server
    gate.set()
    qtbot.wait(50)
    assert editor.metadata is None and editor.error == ""
    assert "Discovery cancelled" in editor.status_label.text()


def test_closing_the_dialog_cancels_a_running_discovery(
    qtbot, dialog: ProfilesDialog, http_server: Callable[..., str]
) -> None:
    gate = threading.Event()
    base = http_server(answering(404, gate=gate, gate_s=10))
    form = new(dialog, "oauth2-device-code", "Closing")
    issuer(form).setText(f"{base}/")
    issuer(form).start_discovery()
    dialog.reject()
    assert not issuer(form).busy()
    wait_quiet(qtbot, form)
    gate.set()


@pytest.fixture
def private_ca_issuer() -> Iterator[tuple[str, Path]]:
    """An issuer on https://127.0.0.1 whose certificate comes from a throwaway CA; (base URL, CA file)."""
    from inspector.demo.tls import DemoPki

    pki = DemoPki.create("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pki.servers["mtls"])  # for 127.0.0.1, from the demo CA (no client cert asked here)

    class Metadata(QuietHandler):
        def do_GET(self) -> None:
            base = f"https://127.0.0.1:{self.server.server_address[1]}"
            if self.path != "/.well-known/openid-configuration":
                self.reply(404)
                return
            self.reply_json(200, {"issuer": f"{base}/", "token_endpoint": f"{base}/token",
                                  "device_authorization_endpoint": f"{base}/device", "jwks_uri": f"{base}/jwks"})

    server = QuietServer(("127.0.0.1", 0), Metadata)
    server.socket = context.wrap_socket(server.socket, server_side=True)  # a refused handshake: no request
    server.serve_in_background()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", pki.ca
    finally:
        server.stop()
        pki.remove()


def test_discovery_trusts_the_ca_bundle_of_the_tls_section(
    qtbot, dialog: ProfilesDialog, private_ca_issuer: tuple[str, Path]
) -> None:
    base, ca = private_ca_issuer
    form = new(dialog, "oauth2-device-code", "Private CA")
    editor = issuer(form)
    editor.setText(f"{base}/")
    editor.start_discovery()
    qtbot.waitUntil(lambda: bool(editor.error), timeout=20_000)
    wait_quiet(qtbot, form)
    assert "127.0.0.1" in editor.error and "certificate" in editor.error.lower()
    form.tls_editor.paths["ca_bundle"].setText(str(ca))
    with qtbot.waitSignal(editor.discovered, timeout=20_000):
        editor.start_discovery()
    wait_quiet(qtbot, form)
    assert editor.result_labels["device_authorization_url"].text() == f"{base}/device"
    form.tls_editor.paths["ca_bundle"].setText("no-such-ca.pem")
    editor.start_discovery()
    qtbot.waitUntil(lambda: bool(editor.error), timeout=20_000)
    wait_quiet(qtbot, form)
    assert "no-such-ca.pem named in the [tls] section is not a readable file" in editor.error


# --- pictures ----------------------------------------------------------------------------------------------


def render(dialog: ProfilesDialog, name: str) -> None:
    dialog.show()  # laid out as a person sees it (a hidden dialog keeps stale geometry)
    for _ in range(3):
        QApplication.processEvents()
    image = dialog.grab()
    assert not image.isNull() and image.width() > 600
    assert image.save(f"/tmp/profui-{name}.png")


@pytest.mark.parametrize("kind", ["session", "cookie", "oauth2-authorization-code", "oauth2-device-code",
                                  "oauth2-password", "bearer"])
def test_render_each_kind(qtbot, dialog: ProfilesDialog, kind: str) -> None:
    form = new(dialog, kind, f"My {kind}")
    if kind == "bearer":
        form.tls_editor.paths["client_cert"].setText("/nowhere/support.pem")
        qtbot.waitUntil(lambda: "does not exist" in form.note_text("tls.client_cert"), timeout=10_000)
        dialog.form_scroll.ensureWidgetVisible(form.tls_editor)
    render(dialog, kind)


def test_the_kind_list_says_each_kind_in_words_with_its_file_id(dialog: ProfilesDialog) -> None:
    form = new(dialog, "oauth2-authorization-code", "Words")
    combo = form.kind_combo
    texts = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    assert texts["oauth2-authorization-code"] == "OAuth 2: browser sign-in (PKCE)  (oauth2-authorization-code)"
    assert texts["session"].startswith("Login form") and texts["session"].endswith("(session)")
    assert all(f"({kind})" in text for kind, text in texts.items() if kind != "none")
    assert form.kind() == "oauth2-authorization-code"
