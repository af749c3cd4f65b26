"""File > Import…: a Postman, Insomnia, OpenAPI, curl or HAR file becomes a collection, off the UI thread.

    dialog = ImportDialog(collections_dir, model=collections_model, secrets=secret_store, view=view_state)
    dialog.import_file(path)          # starts the import (a job: reading, then writing with progress)
    dialog.imported                   Signal(ImportReport): the collection was written
    dialog.secrets_saved              Signal(list): the keys whose values were saved

The import runs in core.collections.importers (a new folder in the personal collections folder, written whole
or not at all; a Postman environment goes into the collection chosen in the dialog). The report follows:
counts, what was not carried over and why, the secret references the import wrote. Then the dialog asks for
the values of those secrets (password fields; saved through the secret store on a worker, never shown).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.errors import InspectorError
from inspector.ui.jobs import Job, JobRunner
from inspector.ui.view_state import ViewState, plain_label

__all__ = ["ImportDialog", "report_text", "secret_keys"]

FILE_FILTER = ("Collections and API files (*.json *.yaml *.yml *.har *.txt *.sh *.curl);;"
               "All files (*)")


class _Cancelled(InspectorError):
    """The import was cancelled: the folder being written is removed."""


def secret_keys(report: Any) -> list[tuple[str, str]]:
    """(KEY, what it is for) for every ${secret:KEY} reference the import wrote, in order, once each."""
    out: dict[str, str] = {}
    for ref in report.references:
        text = str(ref.reference)
        if text.startswith("${secret:") and text.endswith("}"):
            out.setdefault(text[len("${secret:"):-1], str(ref.for_))
    return list(out.items())


def report_text(report: Any) -> str:
    """The import report in words (the same facts `import` prints)."""
    from inspector.core.collections.importers import FORMAT_TITLES

    title = FORMAT_TITLES.get(report.format, report.format)
    lines = [f"Imported a {title} into {report.into}:",
             f"  {report.folders} folder{'s' if report.folders != 1 else ''}, "
             f"{report.requests} request{'s' if report.requests != 1 else ''}, "
             f"{len(report.profiles)} profile{'s' if len(report.profiles) != 1 else ''}, "
             f"{report.variables} variable{'s' if report.variables != 1 else ''}."]
    if report.environments:
        lines.append(f"  Environments: {', '.join(report.environments)}.")
    if report.profiles:
        lines.append(f"  Profiles (in the collection's profiles folder): {', '.join(report.profiles)}.")
    if report.not_imported:
        lines += ["", "Not carried over:"]
        lines += [f"  • {n.item}: {n.what} — {n.why}" for n in report.not_imported]
    if report.references:
        lines += ["", "Secrets are references; their values were not written:"]
        lines += [f"  • {r.reference} for {r.for_} (from {r.source})" for r in report.references]
    return "\n".join(lines)


class ImportDialog(QDialog):
    """See the module text."""

    imported = Signal(object)  # ImportReport
    failed = Signal(str)
    secrets_saved = Signal(list)  # [KEY]

    def __init__(self, collections_dir: Path, parent: QWidget | None = None, *, model: Any | None = None,
                 secrets: Any | None = None, view: ViewState | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle("Import a collection")
        self.collections_dir = Path(collections_dir)
        self.model = model
        self.secrets = secrets
        self.view_state = view or ViewState(self)
        self.report: Any = None
        self.choose_file: Callable[[], str | None] = self._choose_file
        self.jobs = JobRunner(self, name="ImportDialog")
        self._secret_edits: dict[str, QLineEdit] = {}

        layout = QVBoxLayout(self)
        intro = plain_label(
            "Postman collections (v2.0, v2.1) and environments, Insomnia exports (v4), OpenAPI 3.0 and 3.1 "
            "(JSON or YAML), curl commands and HAR files. A new collection folder is written in "
            f"{self.collections_dir}; scripts are listed, never run.", self, wrap=True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("importPath")
        self.path_edit.setPlaceholderText("The file to import")
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        into_row = QFormLayout()
        self.into_combo = QComboBox(self)
        self.into_combo.setObjectName("importInto")
        self.into_combo.setToolTip("A Postman environment file becomes an environment of this collection")
        into_row.addRow("A Postman environment goes into:", self.into_combo)
        layout.addLayout(into_row)
        self._fill_collections()

        self.progress = QProgressBar(self)
        self.progress.setObjectName("importProgress")
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.status = plain_label("", self, name="importStatus", wrap=True)
        layout.addWidget(self.status)
        self.report_view = QPlainTextEdit(self)
        self.report_view.setObjectName("importReport")
        self.report_view.setReadOnly(True)
        self.report_view.setVisible(False)
        layout.addWidget(self.report_view, 1)

        self.secrets_box = QGroupBox("Secrets this collection needs", self)
        self.secrets_box.setObjectName("importSecrets")
        self.secrets_form = QFormLayout(self.secrets_box)
        self.secrets_box.setVisible(False)
        layout.addWidget(self.secrets_box)

        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("importStart")
        self.save_secrets_button = self.buttons.addButton("Save secrets",
                                                          QDialogButtonBox.ButtonRole.ActionRole)
        self.save_secrets_button.setObjectName("importSaveSecrets")
        self.save_secrets_button.setVisible(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.import_button.clicked.connect(lambda: self.import_file(self.path_edit.text()))
        self.save_secrets_button.clicked.connect(self.save_secrets)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(720, 520)

    def _fill_collections(self) -> None:
        self.into_combo.clear()
        self.into_combo.addItem("(choose a collection)", None)
        if self.model is not None:
            for ref in self.model.refs:
                if not self.model.is_read_only(ref.root):
                    self.into_combo.addItem(ref.name, str(ref.root))

    def _browse(self) -> None:
        path = self.choose_file()
        if path:
            self.path_edit.setText(path)

    def _choose_file(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a collection", "", FILE_FILTER)
        return path or None

    # -- importing --------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """An import is running and its result will be shown (a cancelled one no longer counts)."""
        return self.jobs.current("import") is not None

    def import_file(self, path: str | Path) -> bool:
        """Start importing path (off the UI thread); False when there is nothing to import."""
        text = str(path).strip()
        if not text:
            self._say("Choose the file to import first.", error=True)
            return False
        if self.busy:
            return False
        source = Path(text).expanduser()
        into = self.into_combo.currentData()
        collections_dir = self.collections_dir

        def work(job: Job[Any]) -> Any:
            from inspector.core.collections.importers import (
                FORMAT_TITLES,
                ImportError_,
                parse_source,
                read_source,
                write_collection,
                write_environment_into,
            )
            from inspector.core.collections.model import slug
            from inspector.core.collections.store import free_name, read_collection_meta

            job.report(("busy", f"Reading {source.name}…"))
            src = read_source(source)
            title = FORMAT_TITLES.get(src.format, src.format)
            if job.cancel.is_set():
                raise _Cancelled("The import was cancelled: nothing was written.")
            if src.format == "postman-environment":
                if not into:
                    raise ImportError_(f"{source} is a Postman environment: choose the collection it goes "
                                       "into, then import it again.")
                meta = read_collection_meta(Path(into))
                return write_environment_into(parse_source(src, collection_name=meta.name), Path(into))
            job.report(("busy", f"Reading the {title}…"))
            imported = parse_source(src)

            def progress(done: int, total: int) -> None:
                if job.cancel.is_set():  # the writer removes the folder it was writing
                    raise _Cancelled("The import was cancelled: nothing was written.")
                job.report(("files", done, total))

            collections_dir.mkdir(parents=True, exist_ok=True)
            target = free_name(collections_dir, slug(imported.name))
            return write_collection(imported, target, progress=progress)

        self.report = None
        self.report_view.setVisible(False)
        self.secrets_box.setVisible(False)
        self.save_secrets_button.setVisible(False)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.import_button.setEnabled(False)
        self._say(f"Importing {source.name}…")
        self.jobs.start("import", work, on_done=self._on_done, on_failed=self._on_failed,
                        on_progress=self._on_progress)
        return True

    def cancel(self) -> None:
        """Stop the import; a folder half written is removed."""
        if self.busy:
            self.jobs.cancel("import")
            self._finish()
            self._say("The import was cancelled: nothing was written.")

    def _on_progress(self, value: tuple[Any, ...]) -> None:
        if value[0] == "busy":
            self.progress.setRange(0, 0)
            self._say(str(value[1]))
        else:
            _kind, done, total = value
            self.progress.setRange(0, max(1, int(total)))
            self.progress.setValue(int(done))
            self._say(f"Writing the collection: {done} of {total} files…")

    def _finish(self) -> None:
        self.progress.setVisible(False)
        self.import_button.setEnabled(True)

    def _on_done(self, report: Any) -> None:
        self._finish()
        self.report = report
        self.report_view.setPlainText(self.view_state.mask(report_text(report)))
        self.report_view.setVisible(True)
        self._say(f"Imported into {report.into}.")
        keys = secret_keys(report)
        self._show_secrets(keys)
        if self.model is not None:
            self.model.refresh()
            if report.format == "postman-environment":
                self.model.load(Path(report.into))
        self.imported.emit(report)

    def _on_failed(self, error: BaseException) -> None:
        self._finish()
        if isinstance(error, _Cancelled):
            return
        message = str(error) if isinstance(error, InspectorError | OSError) else (
            f"The import failed unexpectedly ({type(error).__name__}: {error}).")
        self._say(message, error=True)
        self.failed.emit(message)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(self.view_state.mask(text))
        color = self.view_state.theme.error_text if error else ""
        self.status.setStyleSheet(f"color: {color};" if color else "")

    # -- secrets ----------------------------------------------------------------------------------------
    def _show_secrets(self, keys: list[tuple[str, str]]) -> None:
        while self.secrets_form.rowCount():
            self.secrets_form.removeRow(0)
        self._secret_edits = {}
        if not keys:
            return
        note = QLabel("Give the values now, or later with `python main.py secrets set KEY`. They are kept "
                      "in your keyring (or your private secrets file), never in the collection.",
                      self.secrets_box)
        note.setWordWrap(True)
        note.setTextFormat(Qt.TextFormat.PlainText)
        self.secrets_form.addRow(note)
        for key, for_ in keys:
            edit = QLineEdit(self.secrets_box)
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setObjectName(f"secret_{key}")
            edit.setPlaceholderText(f"for {for_}")
            label = plain_label(key, self.secrets_box)
            self.secrets_form.addRow(label, edit)
            self._secret_edits[key] = edit
        self.secrets_box.setVisible(True)
        self.save_secrets_button.setVisible(self.secrets is not None)
        if self.secrets is None:
            self._say("Imported. This window has no secret store: set the secrets with "
                      "`python main.py secrets set KEY`.")

    def secret_fields(self) -> dict[str, QLineEdit]:
        """The password field of each secret the import needs, by key."""
        return dict(self._secret_edits)

    def save_secrets(self) -> bool:
        """Save the values typed (empty fields are skipped) through the secret store, on a worker."""
        if self.secrets is None:
            return False
        values = {k: e.text() for k, e in self._secret_edits.items() if e.text()}
        if not values:
            self._say("Type at least one value to save.", error=True)
            return False
        store = self.secrets

        def work(_job: Job[list[str]]) -> list[str]:
            for key, value in values.items():
                store.set(key, value)
            return list(values)

        def done(keys: list[str]) -> None:
            for key in keys:
                edit = self._secret_edits.get(key)
                if edit is not None:
                    edit.clear()
                    edit.setPlaceholderText("saved")
            self._say(f"Saved {len(keys)} secret{'s' if len(keys) != 1 else ''}: {', '.join(keys)}.")
            self.secrets_saved.emit(keys)

        def failed(error: BaseException) -> None:
            self._say(f"The secrets were not saved: {error}", error=True)

        def finished(keys: list[str]) -> None:
            self.save_secrets_button.setEnabled(True)
            done(keys)

        def stopped(error: BaseException) -> None:
            self.save_secrets_button.setEnabled(True)
            failed(error)

        self.save_secrets_button.setEnabled(False)
        self.jobs.start("secrets", work, on_done=finished, on_failed=stopped)
        return True

    def reject(self) -> None:
        self.cancel()
        super().reject()

    def done(self, result: int) -> None:
        self.jobs.close()  # a read or import still running is cancelled, not waited for
        super().done(result)
