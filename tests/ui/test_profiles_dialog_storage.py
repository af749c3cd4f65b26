"""The profiles dialog when the disk says no: the cause is shown as a sentence and nothing typed is lost."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from inspector.core.profiles import FileSecretStore, ProfileStore
from inspector.ui.profiles_dialog import ProfilesDialog, SecretInput
from inspector.ui.profiles_model import ProfilesModel
from tests.support.qt import save_and_wait

TYPED_TOKEN = "s3cr3t-typed-token-0123456789"


def _never_ask(question: str, buttons: Sequence[str]) -> str:
    raise AssertionError(f"unexpected question: {question}")


def _dialog(qtbot, personal: Path, data: Path) -> ProfilesDialog:
    model = ProfilesModel(ProfileStore(personal, []), FileSecretStore(data), env={})
    dialog = ProfilesDialog(model, ask=_never_ask)
    qtbot.addWidget(dialog)
    return dialog


def _token(dialog: ProfilesDialog) -> SecretInput:
    widget = dialog.form.credential_inputs["token"]
    assert isinstance(widget, SecretInput)
    return widget


def test_a_personal_folder_that_cannot_be_created_is_said(qtbot, tmp_path: Path) -> None:
    (tmp_path / "config").write_text("a file where the folder should be")
    personal = tmp_path / "config" / "profiles"
    dialog = _dialog(qtbot, personal, tmp_path / "data")
    assert dialog.new_profile("bearer")
    dialog.form.name_edit.setText("Thing")
    _token(dialog).setText("${prompt}")
    assert not save_and_wait(qtbot, dialog)
    assert str(personal) in dialog.message() and "not a folder" in dialog.message()
    assert dialog.form.name_edit.text() == "Thing"


def test_an_unwritable_secrets_file_is_said_and_the_typed_token_stays(qtbot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "secrets.json").mkdir(parents=True)  # a folder in the place of the secrets file
    dialog = _dialog(qtbot, tmp_path / "personal", data)
    assert dialog.new_profile("bearer")
    dialog.form.name_edit.setText("Thing")
    _token(dialog).setText(TYPED_TOKEN)
    assert not save_and_wait(qtbot, dialog)
    assert "a folder is where the file should be" in dialog.message()
    assert TYPED_TOKEN not in dialog.message()
    assert _token(dialog).text() == TYPED_TOKEN  # nothing typed is lost
    assert not (tmp_path / "personal" / "thing.toml").exists()
