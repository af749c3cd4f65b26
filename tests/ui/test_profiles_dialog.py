"""The profiles dialog against real folders in tmp_path and a real FileSecretStore; questions answered by `ask`."""

from __future__ import annotations

import os
import textwrap
import threading
import tomllib
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from inspector.core.profiles import FileSecretStore, ProfileStore
from inspector.ui.profiles_dialog import (
    CANCEL,
    DELETE,
    DISCARD,
    OVERWRITE,
    RELOAD,
    ProfilesDialog,
    SecretInput,
    message_box_ask,
)
from inspector.ui.profiles_model import ProfilesModel
from tests.support.qt import Ticker, save_and_wait

SHOTS = Path("/tmp/ui-shots")
TYPED_TOKEN = "s3cr3t-typed-token-0123456789"


class Answers:
    """An `ask` that records each question and answers from a queue (no modal loop, ever)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    def __call__(self, question: str, buttons: Sequence[str]) -> str:
        self.asked.append((question, tuple(buttons)))
        assert self.answers, f"unexpected question: {question}"
        answer = self.answers.pop(0)
        assert answer in buttons
        return answer


def write(folder: Path, stem: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.toml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def model(qtbot, personal: Path, team: Path, secrets: FileSecretStore) -> ProfilesModel:
    return ProfilesModel(ProfileStore(personal, [team]), secrets, env={"TEAM_TOKEN": "from-env"})


def make_dialog(qtbot, model: ProfilesModel, ask: Answers | None = None, **kw) -> ProfilesDialog:
    model.poll()  # files the test wrote after the model was made, as the window's poll would find them
    dialog = ProfilesDialog(model, ask=ask or Answers(), **kw)
    qtbot.addWidget(dialog)
    return dialog


def secret_input(dialog: ProfilesDialog, key: str) -> SecretInput:
    widget = dialog.form.credential_inputs[key]
    assert isinstance(widget, SecretInput)
    return widget


def line(dialog: ProfilesDialog, key: str) -> QLineEdit:
    widget = dialog.form.credential_inputs[key]
    assert isinstance(widget, QLineEdit)
    return widget


def row_texts(dialog: ProfilesDialog) -> list[list[str]]:
    t = dialog.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def new_bearer(dialog: ProfilesDialog, qtbot, name: str, token: str, folder: Path | None = None) -> None:
    assert dialog.new_profile("bearer", folder)
    qtbot.keyClicks(dialog.form.name_edit, name)
    qtbot.keyClicks(secret_input(dialog, "token").edit, token)


# --- creating --------------------------------------------------------------------------------------------------


def test_a_typed_token_goes_to_the_secret_store_and_the_file_gets_a_reference(
    qtbot, model, personal: Path, secrets: FileSecretStore
) -> None:
    dialog = make_dialog(qtbot, model)
    new_bearer(dialog, qtbot, "GitHub", TYPED_TOKEN)
    qtbot.keyClicks(dialog.form.base_url_edit, "https://api.github.com")
    token = secret_input(dialog, "token")
    assert token.is_masked()  # typed secrets are masked by default

    with qtbot.waitSignal(dialog.profile_saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    path = personal / "github.toml"
    assert saved.args[0].path == path
    text = path.read_text(encoding="utf-8")
    assert TYPED_TOKEN not in text
    doc = tomllib.loads(text)
    assert doc["credentials"]["token"] == "${secret:github.token}"
    assert doc["kind"] == "bearer" and doc["base_url"] == "https://api.github.com"
    assert secrets.get("github.token") == TYPED_TOKEN
    assert os.stat(secrets.path).st_mode & 0o777 == 0o600
    assert f"Saved to {path}" in dialog.message()
    # The form now shows the reference (no secret), and the list has the profile as ready.
    assert secret_input(dialog, "token").text() == "${secret:github.token}"
    assert ["GitHub", "bearer", "personal", "ready"] in row_texts(dialog)


class GatedSecretStore(FileSecretStore):
    """A secret store whose writes (and, once `reads_wait` is set, reads) wait until the test opens the gate:
    a keyring asking to be unlocked."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.gate = threading.Event()
        self.writing = threading.Event()
        self.reads_wait = False
        self.reading = threading.Event()
        self.readers: list[threading.Thread] = []  # the thread of every read

    def set(self, key: str, value: str) -> None:
        self.writing.set()
        assert self.gate.wait(20), "the test never opened the gate"
        super().set(key, value)

    def get(self, key: str) -> str | None:
        self.readers.append(threading.current_thread())
        if self.reads_wait:
            self.reading.set()
            assert self.gate.wait(20), "the test never opened the gate"
        return super().get(key)


def test_a_slow_secret_store_never_holds_the_window(qtbot, personal: Path, team: Path, tmp_path: Path) -> None:
    """The typed secret is stored, the file written and the folders read on a job: a keyring that takes its
    time (an unlock prompt) leaves the window running, the form waiting, and nothing typed lost."""
    secrets = GatedSecretStore(tmp_path / "gated")
    model = ProfilesModel(ProfileStore(personal, [team]), secrets)
    dialog = make_dialog(qtbot, model)
    new_bearer(dialog, qtbot, "GitHub", TYPED_TOKEN)
    ticker = Ticker()
    try:
        assert dialog.save()
        qtbot.waitUntil(secrets.writing.is_set, timeout=10_000)
        ticker.keeps_ticking(qtbot)  # the UI thread runs while the store holds the save
        assert dialog.saving and not dialog.save_button.isEnabled() and not dialog.form_scroll.isEnabled()
        assert not dialog.save()  # one save at a time
        assert not (personal / "github.toml").exists()
        with qtbot.waitSignal(dialog.profile_saved, timeout=10_000):
            secrets.gate.set()
    finally:
        secrets.gate.set()
        ticker.stop()
    assert not dialog.saving and dialog.save_button.isEnabled() and dialog.form_scroll.isEnabled()
    assert secrets.get("github.token") == TYPED_TOKEN
    assert tomllib.loads((personal / "github.toml").read_text())["credentials"]["token"] == "${secret:github.token}"
    assert ["GitHub", "bearer", "personal", "ready"] in row_texts(dialog)  # the model has the folders read


def _held_save(qtbot, personal: Path, team: Path, tmp_path: Path) -> tuple[ProfilesDialog, GatedSecretStore]:
    """A dialog whose save of a typed token is held by the secret store (the gate is closed)."""
    secrets = GatedSecretStore(tmp_path / "gated")
    dialog = make_dialog(qtbot, ProfilesModel(ProfileStore(personal, [team]), secrets))
    new_bearer(dialog, qtbot, "GitHub", TYPED_TOKEN)
    assert dialog.save()
    qtbot.waitUntil(secrets.writing.is_set, timeout=10_000)
    return dialog, secrets


def test_nothing_comes_back_on_while_a_save_is_held(qtbot, personal: Path, team: Path, tmp_path: Path) -> None:
    dialog, secrets = _held_save(qtbot, personal, team, tmp_path)
    try:
        write(personal, "other", 'name = "Other"\nkind = "bearer"\n[credentials]\ntoken = "${prompt}"\n')
        dialog.model.reload_now()  # a poll found a change meanwhile: the list is refreshed
        for widget in (dialog.form_scroll, dialog.save_button, dialog.revert_button, dialog.table,
                       dialog.new_button, dialog.duplicate_button, dialog.delete_button, dialog.check_button,
                       dialog.add_folder_button, dialog.remove_folder_button):
            assert not widget.isEnabled(), widget
        assert "saving" in dialog.message().lower()
    finally:
        secrets.gate.set()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=10_000)
    assert dialog.save_button.isEnabled() and dialog.new_button.isEnabled()


def test_closing_during_a_save_waits_for_it(qtbot, personal: Path, team: Path, tmp_path: Path) -> None:
    dialog, secrets = _held_save(qtbot, personal, team, tmp_path)
    dialog.show()
    try:
        dialog.reject()
        assert dialog.isVisible() and "closes once the save has ended" in dialog.message()
    finally:
        secrets.gate.set()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)  # saved, then closed
    assert (personal / "github.toml").exists()


def test_closing_twice_during_a_save_closes_at_once(qtbot, personal: Path, team: Path, tmp_path: Path) -> None:
    dialog, secrets = _held_save(qtbot, personal, team, tmp_path)
    dialog.show()
    try:
        dialog.reject()
        dialog.reject()  # the keyring may never answer: the second Close does not wait for it
        assert not dialog.isVisible()
    finally:
        secrets.gate.set()
    qtbot.waitUntil(lambda: (personal / "github.toml").exists(), timeout=10_000)  # the save itself went on


def test_expectations_and_kind_fields_are_written(qtbot, model, personal: Path) -> None:
    dialog = make_dialog(qtbot, model)
    dialog.new_profile("bearer")
    dialog.form.name_edit.setText("Billing")
    dialog.form.kind_combo.setCurrentIndex(dialog.form.kind_combo.findData("oauth2-client-credentials"))
    line(dialog, "token_url").setText("https://login.example.com/token")
    line(dialog, "client_id").setText("billing-support")
    secret_input(dialog, "client_secret").setText("${env:BILLING_SECRET}")
    assert not secret_input(dialog, "client_secret").is_masked()  # a reference is no secret
    auth = dialog.form.credential_inputs["auth"]
    auth.setCurrentIndex(auth.findData("basic"))
    e = dialog.form.expect_edits
    e["audience"].setText("https://billing.example.com")
    e["issuer"].setText("https://login.example.com/")
    e["scopes"].setText("invoices:read invoices:write")
    e["leeway_s"].setText("30")
    e["algorithms"].setText("RS256, ES256")
    e["jwks_url"].setText("https://login.example.com/jwks")
    e["key_file"].setText("keys/billing.pem")
    assert save_and_wait(qtbot, dialog), dialog.message()
    doc = tomllib.loads((personal / "billing.toml").read_text(encoding="utf-8"))
    assert doc["credentials"] == {
        "token_url": "https://login.example.com/token",
        "client_id": "billing-support",
        "client_secret": "${env:BILLING_SECRET}",
        "auth": "basic",
    }
    assert doc["expect"] == {
        "audience": "https://billing.example.com",
        "issuer": "https://login.example.com/",
        "scopes": ["invoices:read", "invoices:write"],
        "leeway_s": 30.0,
        "algorithms": ["RS256", "ES256"],
        "jwks_url": "https://login.example.com/jwks",
        "key_file": "keys/billing.pem",
    }


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", "", "Give the profile a name"),
        ("leeway_s", "soon", "Leeway must be a number of seconds of 0 or more, not 'soon'"),
        ("leeway_s", "-5", "Leeway must be a number of seconds of 0 or more"),
        ("token", "", "Fill in Token (or write ${prompt}"),
    ],
)
def test_an_incomplete_form_is_refused_with_a_sentence(
    qtbot, model, personal: Path, field: str, value: str, expected: str
) -> None:
    dialog = make_dialog(qtbot, model)
    dialog.new_profile("bearer")
    dialog.form.name_edit.setText("Thing")
    secret_input(dialog, "token").setText("${prompt}")
    if field == "name":
        dialog.form.name_edit.setText(value)
    elif field == "token":
        secret_input(dialog, "token").setText(value)
    else:
        dialog.form.expect_edits[field].setText(value)
    assert not save_and_wait(qtbot, dialog)
    assert expected in dialog.message()
    assert not personal.exists() or not any(personal.iterdir())


def test_a_literal_secret_in_a_team_folder_is_refused_and_the_form_keeps_it(
    qtbot, model, team: Path, secrets: FileSecretStore
) -> None:
    dialog = make_dialog(qtbot, model)
    new_bearer(dialog, qtbot, "Shared", TYPED_TOKEN, folder=team)
    assert "Team folder" in dialog.form.secret_hint.text()
    assert not save_and_wait(qtbot, dialog)
    assert "move it to your keyring" in dialog.message()
    assert secret_input(dialog, "token").text() == TYPED_TOKEN  # nothing typed is lost
    assert dialog.form.name_edit.text() == "Shared"
    assert "border" in secret_input(dialog, "token").edit.styleSheet()  # the field is pointed at
    assert not (team / "shared.toml").exists()
    assert secrets.get("shared.token") is None  # a team save never touches the secret store

    # With a reference instead, the same form saves.
    secret_input(dialog, "token").setText("${env:TEAM_TOKEN}")
    assert save_and_wait(qtbot, dialog), dialog.message()
    assert tomllib.loads((team / "shared.toml").read_text())["credentials"]["token"] == "${env:TEAM_TOKEN}"


def test_a_new_profile_over_an_existing_file_asks(qtbot, model, personal: Path) -> None:
    existing = write(
        personal, "github", 'name = "Old"\nkind = "bearer"\n[credentials]\ntoken = "${prompt}"\n'
    )
    before = existing.read_bytes()
    ask = Answers(CANCEL, RELOAD)
    dialog = make_dialog(qtbot, model, ask)
    new_bearer(dialog, qtbot, "GitHub", "${prompt}")
    assert not save_and_wait(qtbot, dialog)
    assert "already exists" in ask.asked[0][0]
    assert ask.asked[0][1] == (RELOAD, OVERWRITE, CANCEL)
    assert existing.read_bytes() == before
    assert dialog.form.name_edit.text() == "GitHub"
    assert not save_and_wait(qtbot, dialog)  # Reload: the file on disk is shown instead
    assert dialog.form.name_edit.text() == "Old"
    assert existing.read_bytes() == before


# --- conflicts -------------------------------------------------------------------------------------------------


@pytest.fixture
def github(personal: Path) -> Path:
    return write(
        personal,
        "github",
        """
        format = 1
        name = "GitHub"
        kind = "bearer"
        owner = "me"   # an unknown key, kept on save

        [credentials]
        token = "${secret:github.token}"
        """,
    )


def change_behind_our_back(path: Path) -> bytes:
    text = path.read_text(encoding="utf-8").replace('name = "GitHub"', 'name = "GitHub (edited elsewhere)"')
    path.write_text(text, encoding="utf-8")
    return path.read_bytes()


def edit_name(dialog: ProfilesDialog, qtbot, name: str) -> None:
    dialog.form.name_edit.clear()
    qtbot.keyClicks(dialog.form.name_edit, name)


def test_conflict_reload_shows_the_other_change(qtbot, model, github: Path) -> None:
    ask = Answers(RELOAD)
    dialog = make_dialog(qtbot, model, ask)
    assert dialog.select(str(github.with_suffix("")))
    edit_name(dialog, qtbot, "GitHub (mine)")
    theirs = change_behind_our_back(github)
    assert not save_and_wait(qtbot, dialog)
    question, buttons = ask.asked[0]
    assert "changed on disk since it was loaded" in question and str(github) in question
    assert buttons == (RELOAD, OVERWRITE, CANCEL)
    assert github.read_bytes() == theirs
    assert dialog.form.name_edit.text() == "GitHub (edited elsewhere)"
    assert "Reloaded from disk" in dialog.message()


def test_conflict_overwrite_writes_ours_and_keeps_unknown_keys(qtbot, model, github: Path) -> None:
    ask = Answers(OVERWRITE)
    dialog = make_dialog(qtbot, model, ask)
    dialog.select(str(github.with_suffix("")))
    edit_name(dialog, qtbot, "GitHub (mine)")
    change_behind_our_back(github)
    assert save_and_wait(qtbot, dialog)
    doc = tomllib.loads(github.read_text(encoding="utf-8"))
    assert doc["name"] == "GitHub (mine)" and doc["owner"] == "me"
    assert "Overwrote" in dialog.message()


def test_conflict_cancel_keeps_both(qtbot, model, github: Path) -> None:
    ask = Answers(CANCEL)
    dialog = make_dialog(qtbot, model, ask)
    dialog.select(str(github.with_suffix("")))
    edit_name(dialog, qtbot, "GitHub (mine)")
    theirs = change_behind_our_back(github)
    assert not save_and_wait(qtbot, dialog)
    assert github.read_bytes() == theirs
    assert dialog.form.name_edit.text() == "GitHub (mine)"
    assert "Not saved" in dialog.message()


def test_a_reload_with_unsaved_edits_keeps_them_and_says_so(qtbot, model, github: Path) -> None:
    dialog = make_dialog(qtbot, model)
    dialog.select(str(github.with_suffix("")))
    edit_name(dialog, qtbot, "GitHub (mine)")
    change_behind_our_back(github)
    assert model.poll()
    assert dialog.form.name_edit.text() == "GitHub (mine)"
    assert "changed on disk while you were editing" in dialog.message()


def test_a_file_changed_on_disk_refreshes_an_unedited_form(qtbot, model, github: Path) -> None:
    dialog = make_dialog(qtbot, model)
    dialog.select(str(github.with_suffix("")))
    change_behind_our_back(github)
    assert model.poll()
    assert dialog.form.name_edit.text() == "GitHub (edited elsewhere)"


def test_leaving_unsaved_edits_asks(qtbot, model, github: Path, personal: Path) -> None:
    other = write(personal, "other", 'name = "Other"\nkind = "none"\n')
    ask = Answers(CANCEL, DISCARD)
    dialog = make_dialog(qtbot, model, ask)
    dialog.select(str(github.with_suffix("")))
    edit_name(dialog, qtbot, "GitHub (mine)")
    assert not dialog.select(str(other.with_suffix("")))
    assert dialog.form.name_edit.text() == "GitHub (mine)"
    assert dialog.select(str(other.with_suffix("")))
    assert dialog.form.name_edit.text() == "Other"
    assert [b for _, b in ask.asked] == [(DISCARD, CANCEL)] * 2


# --- broken files ----------------------------------------------------------------------------------------------


def test_a_broken_file_shows_its_path_and_line_and_is_never_rewritten(qtbot, model, team: Path) -> None:
    broken = write(team, "broken", 'format = 1\nname = "Broken\nkind = "basic"\n')
    before = (broken.read_bytes(), broken.stat().st_mtime_ns)
    write(team, "fine", 'name = "Fine"\nkind = "none"\n')
    dialog = make_dialog(qtbot, model)
    rows = row_texts(dialog)
    assert ["broken.toml", "?", "team (team)", "broken file (line 2)"] in rows
    assert ["Fine", "none", "team (team)", "ready"] in rows  # every other profile still loads

    assert dialog.select(str(team / "broken"))
    text = dialog.broken_label.text()
    assert str(broken) in text and "line 2" in text and "not valid TOML" in text
    assert not dialog.form_scroll.isVisibleTo(dialog) and not dialog.save_button.isVisibleTo(dialog)
    assert not save_and_wait(qtbot, dialog)
    dialog.run_check()
    model.reload()
    assert (broken.read_bytes(), broken.stat().st_mtime_ns) == before


# --- duplicate, delete ---------------------------------------------------------------------------------------


def test_duplicate_into_a_team_folder(qtbot, model, github: Path, team: Path) -> None:
    dialog = make_dialog(qtbot, model)
    dialog.select(str(github.with_suffix("")))
    actions = dialog.duplicate_menu.actions()
    assert [a.text() for a in actions] == ["Copy into personal", "Copy into team (team)"]
    with qtbot.waitSignal(dialog.profile_saved) as saved:
        actions[1].trigger()
    copy = team / "github.toml"
    assert saved.args[0].path == copy
    doc = tomllib.loads(copy.read_text(encoding="utf-8"))
    assert doc["name"] == "GitHub" and doc["credentials"]["token"] == "${secret:github.token}"
    assert doc["owner"] == "me"
    assert github.exists()
    assert dialog.form.file_label.text() == str(copy)  # the copy is selected
    assert ["GitHub", "bearer", "team (team)", "secret missing"] in row_texts(dialog)


def test_a_save_reads_the_folders_again_off_the_window_thread(qtbot, personal: Path, team: Path, github: Path,
                                                              tmp_path: Path) -> None:
    """After the file is written, the statuses ask the secret store for every ${secret:...}: on the save's
    job, never on the UI thread, which keeps running while a keyring takes its time."""
    write(personal, "other", 'name = "Other"\nkind = "bearer"\n[credentials]\ntoken = "${secret:other.token}"\n')
    secrets = GatedSecretStore(tmp_path / "gated")
    dialog = make_dialog(qtbot, ProfilesModel(ProfileStore(personal, [team]), secrets))
    assert dialog.select(str(github.with_suffix("")))
    edit_name(dialog, qtbot, "GitHub (mine)")  # no typed secret: nothing is written to the store
    secrets.readers.clear()
    secrets.reads_wait = True
    ticker = Ticker()
    try:
        with qtbot.waitSignal(dialog.profile_saved, timeout=10_000):
            assert dialog.save()
            qtbot.waitUntil(secrets.reading.is_set, timeout=10_000)
            ticker.keeps_ticking(qtbot)  # the UI thread runs while the store holds the reading
            assert dialog.saving
            secrets.gate.set()
    finally:
        secrets.gate.set()
        ticker.stop()
    qtbot.wait(50)
    assert secrets.readers and threading.main_thread() not in secrets.readers
    assert ["GitHub (mine)", "bearer", "personal", "secret missing"] in row_texts(dialog)


@pytest.mark.parametrize("action", ["duplicate", "delete", "revert"])
def test_reading_the_folders_again_never_holds_the_window(qtbot, personal: Path, team: Path, github: Path,
                                                          tmp_path: Path, action: str) -> None:
    """After a duplicate, a delete or a revert the folders are read again on the model's worker: the statuses
    ask the secret store for every ${secret:...}, and a keyring may take its time."""
    write(personal, "other", 'name = "Other"\nkind = "bearer"\n[credentials]\ntoken = "${secret:other.token}"\n')
    secrets = GatedSecretStore(tmp_path / "gated")
    dialog = make_dialog(qtbot, ProfilesModel(ProfileStore(personal, [team]), secrets), Answers(DELETE))
    assert dialog.select(str(github.with_suffix("")))
    secrets.reads_wait = True
    ticker = Ticker()
    try:
        saved = qtbot.waitSignal(dialog.profile_saved, timeout=10_000) if action == "duplicate" else nullcontext()
        with saved:
            if action == "duplicate":
                assert dialog.duplicate_selected(personal) is not None
            elif action == "delete":
                assert dialog.delete_selected()
            else:
                edit_name(dialog, qtbot, "GitHub (mine)")
                dialog.revert()
            qtbot.waitUntil(secrets.reading.is_set, timeout=10_000)
            ticker.keeps_ticking(qtbot)  # the UI thread runs while the store holds the reading
            assert dialog.reading
            assert not dialog.table.isEnabled() and not dialog.form_scroll.isEnabled()  # the dialog waits
            assert not dialog.save()  # and so does Save, whatever calls it
            secrets.gate.set()
            qtbot.waitUntil(lambda: not dialog.reading, timeout=10_000)
    finally:
        secrets.gate.set()
        ticker.stop()
    names = [r[0] for r in row_texts(dialog)]
    if action == "duplicate":
        assert "GitHub (copy)" in names and "Copied to" in dialog.message()
    elif action == "delete":
        assert "GitHub" not in names and not github.exists()
    else:
        assert dialog.form.name_edit.text() == "GitHub"  # as on disk


def test_a_reading_that_fails_is_said_and_drops_what_was_to_follow(qtbot, model, github: Path, personal: Path,
                                                                   monkeypatch) -> None:
    from inspector.core.errors import StorageError
    from inspector.ui import profiles_model

    dialog = make_dialog(qtbot, model)
    assert dialog.select(str(github.with_suffix("")))

    def unreadable(*_args: object) -> None:
        raise StorageError("the profile folder is on a network share that went away")

    monkeypatch.setattr(profiles_model, "load_folders", unreadable)
    saved: list[object] = []
    dialog.profile_saved.connect(saved.append)
    assert dialog.duplicate_selected(personal) is not None
    qtbot.waitUntil(lambda: not dialog.reading, timeout=10_000)
    assert "network share that went away" in dialog.message()
    assert dialog.table.isEnabled() and dialog.save_button.isEnabled()  # the dialog no longer waits
    assert saved == []  # what was to follow the reading was dropped
    monkeypatch.undo()
    dialog.model.reload_now()  # a later reading (a poll) selects nothing by itself
    assert dialog.form.file_label.text() == str(github)


def test_duplicating_a_literal_secret_into_a_team_folder_is_refused(qtbot, model, personal, team) -> None:
    literal = write(
        personal,
        "handmade",
        'name = "Handmade"\nkind = "basic"\n[credentials]\nusername = "me"\npassword = "hunter2"\n',
    )
    dialog = make_dialog(qtbot, model)
    dialog.select(str(literal.with_suffix("")))
    assert dialog.duplicate_selected(team) is None
    assert "move it to your keyring" in dialog.message()
    assert not (team / "handmade.toml").exists()


@pytest.mark.parametrize("answer", [CANCEL, DELETE])
def test_delete_asks_first(qtbot, model, github: Path, answer: str) -> None:
    ask = Answers(answer)
    dialog = make_dialog(qtbot, model, ask)
    dialog.select(str(github.with_suffix("")))
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    question, buttons = ask.asked[0]
    assert "Delete the profile 'GitHub'?" in question and str(github) in question
    assert buttons == (DELETE, CANCEL)
    assert github.exists() == (answer == CANCEL)
    qtbot.waitUntil(lambda: not dialog.reading, timeout=10_000)  # the folders are read again on a worker
    names = [r[0] for r in row_texts(dialog)]
    assert ("GitHub" in names) == (answer == CANCEL)


# --- check, folders, backend, masking --------------------------------------------------------------------------


def test_check_lists_every_problem(qtbot, model, personal: Path, team: Path) -> None:
    write(team, "literal", 'name = "Literal"\nkind = "bearer"\n[credentials]\ntoken = "plain-value"\n')
    write(team, "env", 'name = "Env"\nkind = "bearer"\n[credentials]\ntoken = "${env:NOT_SET_HERE}"\n')
    write(team, "bad-kind", 'name = "Bad"\nkind = "kerberos"\n')
    write(personal, "ok", 'name = "Ok"\nkind = "bearer"\n[credentials]\ntoken = "${env:TEAM_TOKEN}"\n')
    dialog = make_dialog(qtbot, model)
    problems = dialog.run_check()
    assert sorted(p.code for p in problems) == ["literal-secret", "missing-secret", "unknown-kind"]
    shown = [dialog.problems_list.item(i).text() for i in range(dialog.problems_list.count())]
    assert len(shown) == 3
    assert any("kerberos" in s for s in shown)
    assert any("NOT_SET_HERE" in s for s in shown)
    assert all("plain-value" not in s for s in shown)  # never the secret itself
    assert dialog.problems_label.text() == "Problems found by the last Check (3)"


def test_check_with_no_problems_says_so(qtbot, model, personal: Path) -> None:
    write(personal, "ok", 'name = "Ok"\nkind = "none"\n')
    dialog = make_dialog(qtbot, model)
    dialog.run_check()
    assert dialog.problems_list.item(0).text() == "No problems: 1 profile checked."


def test_adding_and_removing_team_folders_emits_folders_changed(qtbot, model, team: Path, tmp_path) -> None:
    extra = tmp_path / "more"
    write(extra, "shared", 'name = "Shared"\nkind = "none"\n')
    dialog = make_dialog(qtbot, model, choose_folder=lambda: extra)
    # the new folder is read on the model's worker: the table follows with profiles_changed
    with qtbot.waitSignal(dialog.folders_changed) as added, qtbot.waitSignal(model.profiles_changed):
        qtbot.mouseClick(dialog.add_folder_button, Qt.MouseButton.LeftButton)
    assert added.args == [[team, extra]]
    assert "Shared" in [r[0] for r in row_texts(dialog)]
    assert model.store.folder_kind(extra) == "team"

    assert not dialog.add_team_folder(extra)  # already there: no signal, a sentence instead
    assert "already one of the profile folders" in dialog.message()

    dialog.folder_list.setCurrentRow(0)
    with qtbot.waitSignal(dialog.folders_changed) as removed, qtbot.waitSignal(model.profiles_changed):
        qtbot.mouseClick(dialog.remove_folder_button, Qt.MouseButton.LeftButton)
    assert removed.args == [[extra]]
    assert team.is_dir()  # removing a folder from the list leaves its files alone
    assert [dialog.folder_list.item(i).text() for i in range(dialog.folder_list.count())] == [str(extra)]


def test_the_backend_label_names_the_secrets_file(qtbot, model, secrets: FileSecretStore) -> None:
    dialog = make_dialog(qtbot, model)
    assert dialog.backend_label.text() == f"No OS keyring: secrets are kept in a 0600 file at {secrets.path}."


def test_secrets_are_masked_and_screen_share_safe_disables_show(qtbot, model, personal: Path) -> None:
    literal = write(
        personal,
        "handmade",
        'name = "Handmade"\nkind = "basic"\n[credentials]\nusername = "me"\npassword = "hunter2"\n',
    )
    dialog = make_dialog(qtbot, model)
    dialog.select(str(literal.with_suffix("")))
    password = secret_input(dialog, "password")
    assert password.is_masked() and password.edit.displayText() != "hunter2"
    password.toggle.setChecked(True)
    assert not password.is_masked()
    dialog.set_screen_share_safe(True)
    assert password.is_masked() and not password.toggle.isEnabled()
    password.toggle.setChecked(True)  # even if forced, nothing shows
    assert password.is_masked()
    # A form built later (another kind, another profile) is safe too.
    dialog.form.kind_combo.setCurrentIndex(dialog.form.kind_combo.findData("digest"))
    assert not secret_input(dialog, "password").toggle.isEnabled()
    assert dialog.screen_share_safe()


def test_saving_a_hand_written_literal_moves_it_to_the_secret_store(
    qtbot, model, personal: Path, secrets: FileSecretStore
) -> None:
    literal = write(
        personal,
        "handmade",
        'name = "Handmade"\nkind = "basic"\nnote = "kept"\n[credentials]\n'
        'username = "me"\npassword = "hunter2"\n',
    )
    dialog = make_dialog(qtbot, model)
    dialog.select(str(literal.with_suffix("")))
    assert save_and_wait(qtbot, dialog), dialog.message()
    text = literal.read_text(encoding="utf-8")
    assert "hunter2" not in text and "${secret:handmade.password}" in text and 'note = "kept"' in text
    assert secrets.get("handmade.password") == "hunter2"


def test_render_the_dialog(qtbot, model, github: Path, team: Path) -> None:
    write(team, "broken", 'format = 1\nname = "Broken\nkind = "basic"\n')
    dialog = make_dialog(qtbot, model)
    dialog.select(str(github.with_suffix("")))
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = dialog.grab()
    assert not image.isNull() and image.width() > 600
    assert image.save(str(SHOTS / "profiles-dialog-test.png"))


def test_a_broken_file_fixed_on_disk_is_shown_again(qtbot, model, team: Path) -> None:
    broken = write(team, "broken", 'format = 1\nname = "Broken\nkind = "basic"\n')
    dialog = make_dialog(qtbot, model)
    dialog.select(str(team / "broken"))
    assert not dialog.form_scroll.isVisibleTo(dialog)
    broken.write_text('format = 1\nname = "Fixed"\nkind = "none"\n', encoding="utf-8")
    assert model.poll()
    assert dialog.form_scroll.isVisibleTo(dialog) and not dialog.broken_label.isVisibleTo(dialog)
    assert dialog.form.name_edit.text() == "Fixed"
    assert ["Fixed", "none", "team (team)", "ready"] in row_texts(dialog)


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's note when a window is shown
def test_the_real_ask_is_a_message_box_with_the_given_buttons(qtbot) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen: list[list[str]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append([b.text() for b in box.buttons()])
        next(b for b in box.buttons() if b.text() == OVERWRITE).click()

    ask = message_box_ask(None)
    QTimer.singleShot(0, answer)
    assert ask("Changed on disk. Reload or overwrite?", [RELOAD, OVERWRITE, CANCEL]) == OVERWRITE
    assert sorted(seen[0]) == sorted([RELOAD, OVERWRITE, CANCEL])


def test_a_save_whose_reading_again_fails_is_still_saved(qtbot, model, personal: Path, monkeypatch) -> None:
    """The file was written; only the reading of the folders after it failed: the dialog says it was saved
    (the list catches up at the next reading), not "not saved", and a second Save does not ask about a
    conflict with its own file."""
    from inspector.core.errors import StorageError
    from inspector.ui import profiles_dialog

    dialog = make_dialog(qtbot, model)
    new_bearer(dialog, qtbot, "Env API", "${env:ENV_API_TOKEN}")

    def unreadable(*_args: object) -> None:
        raise StorageError("the profile folder is on a network share that went away")

    monkeypatch.setattr(profiles_dialog, "load_folders", unreadable)
    with qtbot.waitSignal(dialog.profile_saved, timeout=10_000) as saved:
        assert dialog.save()
    path = personal / "env-api.toml"
    assert saved.args[0].path == path and path.is_file()
    assert f"Saved to {path}" in dialog.message()
    monkeypatch.undo()
    qtbot.waitUntil(lambda: model.profile(saved.args[0].identity) is not None, timeout=10_000)
    asked: list[object] = []
    dialog.ask = lambda *args, **kw: asked.append(args) or "cancel"  # type: ignore[method-assign]
    with qtbot.waitSignal(dialog.profile_saved, timeout=10_000):
        assert dialog.save()
    assert asked == []


@pytest.mark.parametrize("edited", [True, False])
def test_a_save_fills_the_form_once(qtbot, model, github: Path, edited: bool, monkeypatch) -> None:
    """The save's own reading of the folders is not taken for a change on disk: the form is filled once,
    by the save, and no "changed on disk" sentence is said on the way."""
    dialog = make_dialog(qtbot, model)
    assert dialog.select(str(github.with_suffix("")))
    if edited:
        edit_name(dialog, qtbot, "GitHub (mine)")
    shown: list[object] = []
    said: list[str] = []
    show_profile, say = dialog._show_profile, dialog._say
    monkeypatch.setattr(dialog, "_show_profile", lambda p: (shown.append(p), show_profile(p))[1])
    monkeypatch.setattr(dialog, "_say", lambda text, **kw: (said.append(text), say(text, **kw))[1])
    with qtbot.waitSignal(dialog.profile_saved, timeout=10_000):
        assert dialog.save()
    qtbot.wait(50)
    assert len(shown) == 1
    assert not [s for s in said if "on disk" in s], said
