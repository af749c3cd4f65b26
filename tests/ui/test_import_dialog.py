"""File > Import… on real export files: the import runs on a worker with progress, the report follows, then
the dialog asks for the secrets the import referenced and saves them in a real secrets file."""

from __future__ import annotations

import json
from pathlib import Path

from workbench_support import loaded_model, make_collection

from inspector.core.profiles import FileSecretStore
from inspector.ui.import_dialog import ImportDialog, secret_keys

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def test_a_postman_collection_is_imported_off_the_ui_thread_and_reported(qtbot, tmp_path: Path) -> None:
    personal = tmp_path / "collections"
    secrets = FileSecretStore(tmp_path / "data")
    dialog = ImportDialog(personal, secrets=secrets)
    qtbot.addWidget(dialog)
    steps: list[tuple] = []
    with qtbot.waitSignal(dialog.imported, timeout=30_000) as blocker:
        assert dialog.import_file(FIXTURES / "postman-v21-billing.json")
        assert dialog.busy  # returned at once: the work is a job
        dialog.progress.valueChanged.connect(lambda v: steps.append((v, dialog.progress.maximum())))
    report = blocker.args[0]
    assert Path(report.into).parent == personal and (Path(report.into) / "collection.toml").exists()
    assert report.requests > 0
    text = dialog.report_view.toPlainText()
    assert f"{report.requests} request" in text and "Not carried over" in text
    assert not dialog.progress.isVisible()
    keys = secret_keys(report)
    assert keys, "the billing collection's auth needs secrets"
    fields = dialog.secret_fields()
    assert list(fields) == [k for k, _ in keys]
    assert all(f.echoMode() == f.EchoMode.Password for f in fields.values())
    first = keys[0][0]
    fields[first].setText("s3cret-value")
    with qtbot.waitSignal(dialog.secrets_saved, timeout=10_000) as saved:
        assert dialog.save_secrets()
    assert saved.args == [[first]]
    assert secrets.get(first) == "s3cret-value"
    assert "s3cret-value" not in Path(report.into).joinpath("collection.toml").read_text()


def test_the_progress_counts_the_files_written(qtbot, tmp_path: Path) -> None:
    dialog = ImportDialog(tmp_path / "collections")
    qtbot.addWidget(dialog)
    seen: list[tuple[int, int]] = []
    dialog.progress.valueChanged.connect(lambda v: seen.append((v, dialog.progress.maximum())))
    with qtbot.waitSignal(dialog.imported, timeout=30_000) as blocker:
        dialog.import_file(FIXTURES / "openapi-3.0-petstore.yaml")
    report = blocker.args[0]
    files = sum(1 for _ in Path(report.into).rglob("*.toml"))
    assert seen and seen[-1] == (files, files)


def test_a_file_that_is_not_an_export_is_reported_and_nothing_is_written(qtbot, tmp_path: Path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"hello": "world"}))
    dialog = ImportDialog(tmp_path / "collections")
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.failed, timeout=20_000) as blocker:
        dialog.import_file(bad)
    assert "is not a format Request Inspector imports" in blocker.args[0]
    assert "is not a format" in dialog.status.text()
    assert not (tmp_path / "collections").exists() or not any((tmp_path / "collections").iterdir())


def test_a_postman_environment_goes_into_the_chosen_collection(qtbot, tmp_path: Path) -> None:
    shop = make_collection(tmp_path / "team")
    model = loaded_model(qtbot, shop.parent)
    dialog = ImportDialog(tmp_path / "collections", model=model)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.failed, timeout=20_000) as blocker:
        dialog.import_file(FIXTURES / "postman-environment-staging.json")
    assert "choose the collection" in blocker.args[0]
    dialog.into_combo.setCurrentIndex(dialog.into_combo.findText("Shop"))
    with qtbot.waitSignal(dialog.imported, timeout=20_000):
        dialog.import_file(FIXTURES / "postman-environment-staging.json")
    env_file = shop / "environments" / "billing-staging.toml"
    assert env_file.exists()
    assert "ck_live_abcdef" not in env_file.read_text()
    qtbot.waitUntil(lambda: any(e.name == "Billing Staging" for e in model.collection(shop).environments),
                    timeout=10_000)
    model.stop()


def test_cancel_stops_the_import(qtbot, tmp_path: Path) -> None:
    dialog = ImportDialog(tmp_path / "collections")
    qtbot.addWidget(dialog)
    done: list[object] = []
    dialog.imported.connect(done.append)
    dialog.import_file(FIXTURES / "postman-v21-billing.json")
    dialog.cancel()
    assert not dialog.busy and "cancelled" in dialog.status.text()
    qtbot.waitUntil(lambda: len(dialog.jobs) == 0, timeout=20_000)
    qtbot.wait(50)
    assert done == []
    personal = tmp_path / "collections"
    leftovers = [p for p in personal.iterdir()] if personal.exists() else []
    # the worker may have finished before the cancel was seen; a half-written folder is never left
    assert all((p / "collection.toml").exists() for p in leftovers)


def test_closing_the_dialog_while_its_job_runs_does_not_wait_for_it(qtbot, tmp_path: Path, monkeypatch) -> None:
    """A secret store's write behind an unlock prompt cannot see its cancel: closing the dialog cancels it and
    goes on, the thread is not waited for on the UI thread."""
    import threading

    from inspector.ui.jobs import Job

    dialog = ImportDialog(tmp_path / "collections")
    qtbot.addWidget(dialog)
    release = threading.Event()
    job = dialog.jobs.start("secrets", lambda _job: release.wait(10))
    joined: list[Job] = []
    original = Job.join
    monkeypatch.setattr(Job, "join", lambda self, timeout=None: joined.append(self) or original(self, timeout))
    dialog.reject()
    assert joined == [] and job.cancel.is_set() and job.is_alive()
    release.set()
    assert original(job, 5)
