"""The profiles dialog names the window's secret store without choosing it on the UI thread (the keyring's
import and backend discovery take a tenth of a second or more the first time)."""

from __future__ import annotations

import threading
from pathlib import Path

from inspector.core.profiles import FileSecretStore, ProfileStore
from inspector.core.profiles.secrets import DeferredSecretStore, SecretStore
from inspector.ui.profiles_dialog import BACKEND_PENDING, BACKEND_SLOT, ProfilesDialog
from inspector.ui.profiles_model import ProfilesModel


def test_the_deferred_store_is_chosen_on_a_job_and_then_named(qtbot, tmp_path: Path) -> None:
    chosen_on: list[threading.Thread] = []
    release = threading.Event()
    file_store = FileSecretStore(tmp_path / "data")

    def choose() -> SecretStore:
        chosen_on.append(threading.current_thread())
        release.wait(20)  # the keyring still being discovered while the dialog shows
        return file_store

    secrets = DeferredSecretStore(choose)
    model = ProfilesModel(ProfileStore(tmp_path / "personal", []), secrets, env={})
    model.poll()
    dialog = ProfilesDialog(model, ask=lambda question, buttons: buttons[-1])
    qtbot.addWidget(dialog)
    assert dialog.backend_label.text() == BACKEND_PENDING
    dialog._refresh()  # a refresh while the job runs starts no second one
    assert dialog.backend_label.text() == BACKEND_PENDING
    release.set()
    qtbot.waitUntil(lambda: not dialog.form.jobs.busy(BACKEND_SLOT), timeout=20_000)
    qtbot.waitUntil(lambda: dialog.backend_label.text() != BACKEND_PENDING, timeout=20_000)
    assert dialog.backend_label.text() == f"No OS keyring: secrets are kept in a 0600 file at {file_store.path}."
    assert len(chosen_on) == 1 and chosen_on[0] is not threading.main_thread()
    dialog._refresh()  # chosen now: named at once
    assert dialog.backend_label.text() == f"No OS keyring: secrets are kept in a 0600 file at {file_store.path}."
