"""The editors the profiles dialog builds its form from: masked secret fields, tables of login fields, file
paths with a picker, the issuer with OIDC discovery, and the [tls] section every profile kind may have.

Embedding API (ProfileForm in profiles_dialog.py is the one user):

    SecretInput(parent, view=ViewState)      a masked line edit with a Show toggle (off in screen-share mode)
        .text() / .setText(s) / .is_masked() / .set_secret(on)   set_secret(False): a plain, unmasked field
    FieldsTable(parent, view=ViewState)      name / value / secret rows (a login form's fields, extra params)
        .set_values(mapping, secret_names=()) / .values() -> dict[str, str] / .secret_names() -> set[str]
        .add_row(name="", value="", secret=None) -> FieldRow; .rows; Signal changed()
    LoginBodyEditor(parent, view=ViewState)  "form" or "json" plus its FieldsTable: .table_key(), .table
    PathInput(parent, choose=None)           a path line edit with "Browse…" (choose(title, start) -> str|None)
    IssuerEditor(jobs, kind, parent, view=ViewState, discover=discover_issuer)
        the issuer field, Discover / Cancel, and what discovery found (read-only labels) or why it failed;
        .start_discovery() / .cancel_discovery(); .metadata (ProviderMetadata | None), .error (str);
        Signals changed(), discovered(object)
    TlsEditor(jobs, parent, view=ViewState, choose=None)   the [tls] table: client_cert, client_key,
        key_password (a reference), ca_bundle; .settings() -> TlsSettings | None, .set_settings(tls);
        .validate(profile) checks the files off the UI thread with core's `profiles check` (tls_problems)
    discover_issuer(issuer, cancel=None, timeout_s=20) -> ProviderMetadata   (no Qt; raises DiscoveryFailed)
    field_note(view, parent) -> MaskedLabel  the line under a field that says what is wrong with it
    with_note(view, widget, notes, path, parent) -> QWidget  the widget above its field_note (kept in notes)

Slow work (discovery, reading certificate files) runs on the form's JobRunner (ui/jobs.py), never on the UI
thread; a newer job in a slot (or a cancel) drops the older one's result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.errors import ProfileError
from inspector.core.profiles.model import TLS_FIELDS, Profile, TlsSettings, looks_secret_field
from inspector.core.profiles.secrets import is_reference
from inspector.ui.jobs import Job, JobRunner
from inspector.ui.theme import label_color_style
from inspector.ui.view_state import MaskedLabel, ViewState, plain_label

if TYPE_CHECKING:
    from inspector.core.profiles.discovery import ProviderMetadata

DISCOVERY_TIMEOUT_S = 20.0
Choose = Callable[[str, str], "str | None"]  # (dialog title, folder to start in) -> the chosen file, or None
Discover = Callable[[str, threading.Event, "str | None"], "ProviderMetadata"]  # (issuer, cancel, CA bundle)


# --- secret fields -----------------------------------------------------------------------------------------


class SecretInput(QWidget):
    """A masked field with a Show toggle. A complete ${...} reference is shown as written: it is no secret."""

    def __init__(self, parent: QWidget | None = None, *, view: ViewState | None = None) -> None:
        super().__init__(parent)
        self.view_state = view or ViewState(self)
        self._secret = True
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.toggle = QToolButton(self)
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip("Show the value while the button is down")
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.toggle)
        self.toggle.toggled.connect(self._update_echo)
        self.edit.textChanged.connect(self._update_echo)
        self.view_state.follow_safe(self._apply_safe)

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)
        self.toggle.setChecked(False)

    def is_masked(self) -> bool:
        return self.edit.echoMode() != QLineEdit.EchoMode.Normal

    def is_secret(self) -> bool:
        return self._secret

    def set_secret(self, on: bool) -> None:
        """Whether the value is a secret (masked, with Show); a field that is not is a plain line edit."""
        self._secret = bool(on)
        self.toggle.setVisible(self._secret)
        if not self._secret:
            self.toggle.setChecked(False)
        self._update_echo()

    def _apply_safe(self, on: bool) -> None:
        if on:
            self.toggle.setChecked(False)
        self.toggle.setEnabled(not on)
        self.toggle.setToolTip(
            "Hidden while screen sharing" if on else "Show the value while the button is down"
        )
        self._update_echo()

    def _update_echo(self, *_: object) -> None:
        shown = (
            not self._secret
            or (self.toggle.isChecked() and not self.view_state.safe)
            or is_reference(self.edit.text())
        )
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)


def field_note(view: ViewState, parent: QWidget | None = None) -> MaskedLabel:
    """The line under a field saying what is wrong with it (hidden while there is nothing to say)."""
    note = MaskedLabel(view, parent=parent, name="fieldNote", breaks=True)
    note.setWordWrap(True)
    note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    note.hide()
    return note


def with_note(view: ViewState, widget: QWidget, notes: dict[str, MaskedLabel], path: str,
              parent: QWidget) -> QWidget:
    """The widget above its note line, the note registered in notes under the field path."""
    box = QWidget(parent)
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(widget)
    note = field_note(view, box)
    column.addWidget(note)
    notes[path] = note
    return box


# --- tables of fields ----------------------------------------------------------------------------------------


class FieldRow:
    """One row of a FieldsTable: the field's name, its value, whether it is a secret, and a remove button."""

    def __init__(self, table: FieldsTable, name: str, value: str, secret: bool) -> None:
        parent = table
        self.name_edit = QLineEdit(parent)
        self.name_edit.setPlaceholderText("name")
        self.name_edit.setText(name)
        # room for the usual names (username, password, csrfmiddlewaretoken starts readable)
        self.name_edit.setMinimumWidth(self.name_edit.fontMetrics().horizontalAdvance("username") + 24)
        self.value = SecretInput(parent, view=table.view_state)
        self.value.setText(value)
        self.secret_box = QCheckBox("Secret", parent)
        self.secret_box.setToolTip(
            "A secret value is masked, kept in your secret store (personal folder) and written to the file "
            "only as a ${secret:…} reference. Fields named like a password are always secret."
        )
        self.remove_button = QToolButton(parent)
        self.remove_button.setText("Remove")
        self.remove_button.setToolTip("Remove this field")
        self.secret_box.setChecked(secret)
        self._sync()
        self.name_edit.textChanged.connect(self._sync)
        self.secret_box.toggled.connect(self._sync)

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.name_edit, self.value, self.secret_box, self.remove_button)

    def name(self) -> str:
        return self.name_edit.text().strip()

    def is_secret(self) -> bool:
        return self.secret_box.isChecked()

    def _sync(self, *_: object) -> None:
        # A field named like a secret is one for the app's masking and for `profiles check` whatever the box
        # says, so the box cannot claim otherwise.
        forced = looks_secret_field(self.name())
        if forced and not self.secret_box.isChecked():
            self.secret_box.setChecked(True)  # re-enters _sync
            return
        self.secret_box.setEnabled(not forced)
        self.value.set_secret(self.secret_box.isChecked())


class FieldsTable(QWidget):
    """Name / value rows for a table of texts (a login form's fields, extra authorization parameters)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, view: ViewState | None = None,
                 add_text: str = "Add field") -> None:
        super().__init__(parent)
        self.view_state = view or ViewState(self)
        self.rows: list[FieldRow] = []
        self._secret_placeholder = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(0, 2)
        self.grid.setColumnStretch(1, 3)
        outer.addLayout(self.grid)
        self.empty_label = plain_label("No fields yet.", self)
        outer.addWidget(self.empty_label)
        row = QHBoxLayout()
        self.add_button = QPushButton(add_text, self)
        row.addWidget(self.add_button)
        row.addStretch(1)
        outer.addLayout(row)
        self.add_button.clicked.connect(lambda: self.add_row(focus=True))

    def set_values(self, values: Mapping[str, str], secret_names: Iterable[str] = ()) -> None:
        """Show these fields; a field is secret when named like one, holding a reference, or listed."""
        for row in list(self.rows):
            self._drop(row)
        listed = set(secret_names)
        for name, value in values.items():
            self.add_row(name, value, secret=name in listed or is_reference(value) or None)
        self._update_empty()

    def add_row(self, name: str = "", value: str = "", secret: bool | None = None, *,
                focus: bool = False) -> FieldRow:
        """A new row at the end; secret=None: secret when the name looks like one."""
        row = FieldRow(self, name, value, bool(secret) or looks_secret_field(name))
        row.value.edit.setPlaceholderText(self._secret_placeholder if row.is_secret() else "value")
        index = len(self.rows)
        for column, widget in enumerate(row.widgets()):
            self.grid.addWidget(widget, index, column)
        self.rows.append(row)
        row.name_edit.textChanged.connect(self._emit)
        row.value.edit.textChanged.connect(self._emit)
        row.secret_box.toggled.connect(lambda _on, r=row: self._on_secret_toggled(r))
        row.remove_button.clicked.connect(lambda _=False, r=row: self.remove_row(r))
        self._update_empty()
        if focus:
            row.name_edit.setFocus()
            self._emit()
        return row

    def remove_row(self, row: FieldRow) -> None:
        self._drop(row)
        # re-lay the rows that are left, so no empty grid line stays behind
        for index, kept in enumerate(self.rows):
            for column, widget in enumerate(kept.widgets()):
                self.grid.addWidget(widget, index, column)
        self._update_empty()
        self._emit()

    def _drop(self, row: FieldRow) -> None:
        self.rows.remove(row)
        for widget in row.widgets():
            self.grid.removeWidget(widget)
            widget.hide()  # deleteLater waits for the event loop; it must not show until then
            widget.deleteLater()

    def values(self) -> dict[str, str]:
        """name -> value of the rows with a name (a secret value as typed, other values stripped)."""
        return {row.name(): row.value.text() if row.is_secret() else row.value.text().strip()
                for row in self.rows if row.name()}

    def secret_names(self) -> set[str]:
        return {row.name() for row in self.rows if row.name() and row.is_secret()}

    def set_secret_placeholder(self, text: str) -> None:
        self._secret_placeholder = text
        for row in self.rows:
            row.value.edit.setPlaceholderText(text if row.is_secret() else "value")

    def _on_secret_toggled(self, row: FieldRow) -> None:
        row.value.edit.setPlaceholderText(self._secret_placeholder if row.is_secret() else "value")
        self._emit()

    def _update_empty(self) -> None:
        self.empty_label.setVisible(not self.rows)

    def _emit(self, *_: object) -> None:
        self.changed.emit()


class LoginBodyEditor(QWidget):
    """A session profile's login body: form-encoded ([credentials.form]) or JSON ([credentials.json])."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, view: ViewState | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.kind_combo = QComboBox(self)
        self.kind_combo.addItem("Form fields (application/x-www-form-urlencoded)", "form")
        self.kind_combo.addItem("JSON fields (application/json)", "json")
        self.table = FieldsTable(self, view=view)
        layout.addWidget(self.kind_combo)
        layout.addWidget(self.table)
        self.kind_combo.currentIndexChanged.connect(lambda *_: self.changed.emit())
        self.table.changed.connect(self.changed)

    def table_key(self) -> str:
        return str(self.kind_combo.currentData())

    def set_body(self, key: str, values: Mapping[str, str]) -> None:
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(key)))
        self.table.set_values(values)


# --- file paths ---------------------------------------------------------------------------------------------


def _pick_with_dialog(parent: QWidget) -> Choose:
    def choose(title: str, start: str) -> str | None:
        chosen, _filter = QFileDialog.getOpenFileName(
            parent, title, start, "PEM files (*.pem *.crt *.cer *.key);;All files (*)"
        )
        return chosen or None

    return choose


def shown_path(path: str) -> str:
    """A chosen file as the profile writes it: under the home folder as ~/…, so a team can share it."""
    home = Path.home()
    p = Path(path)
    try:
        return "~/" + p.relative_to(home).as_posix()
    except ValueError:
        return str(p)


class PathInput(QWidget):
    """A file path with a "Browse…" button (a QFileDialog unless `choose` is given)."""

    def __init__(self, parent: QWidget | None = None, *, title: str = "Choose a file",
                 choose: Choose | None = None, start: Callable[[], Path] | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.choose = choose or _pick_with_dialog(self)
        self._start = start
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.browse_button = QPushButton("Browse…", self)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse_button)
        self.browse_button.clicked.connect(self.browse)

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def browse(self) -> bool:
        """Ask for a file; True when one was chosen (it replaces the field)."""
        current = self.edit.text().strip()
        start = str(Path(current).expanduser().parent) if current else str(self._start() if self._start else "")
        chosen = self.choose(self.title, start)
        if not chosen:
            return False
        self.edit.setText(shown_path(chosen))
        return True


# --- OIDC discovery -----------------------------------------------------------------------------------------


class DiscoveryFailed(ProfileError):
    """The issuer's metadata could not be had; the message names the URL and what went wrong."""


def discover_issuer(issuer: str, cancel: threading.Event | None = None, ca_bundle: str | None = None,
                    timeout_s: float = DISCOVERY_TIMEOUT_S) -> ProviderMetadata:
    """The issuer's metadata, fetched with core's discovery (OIDC, then RFC 8414), the same fetch a send's
    signature check makes (one deadline, cancel, proxies). Blocking: run it as a job. ca_bundle: the profile's
    [tls] CA file, trusted too (an issuer behind a private CA or a corporate proxy)."""
    # imported here: requests and the transport are not needed until someone presses Discover
    from inspector.core.jwks import discover_issuer as fetch_metadata
    from inspector.core.profiles.discovery import ProviderMetadata

    issuer = issuer.strip()
    if not issuer:
        raise DiscoveryFailed("Fill in the issuer first (for example https://login.example.com/).")
    if ca_bundle and not Path(ca_bundle).is_file():
        raise DiscoveryFailed(f"The CA bundle {ca_bundle} named in the [tls] section is not a readable file: fix "
                              "the path, or empty it to trust only the system's CAs.")
    found, _hops = fetch_metadata(issuer, timeout_s=timeout_s, cancel=cancel, ca_bundle=ca_bundle)
    if isinstance(found, ProviderMetadata):
        return found
    raise DiscoveryFailed(found)


_ENDPOINT_LABELS = {
    "authorization_url": "Authorization endpoint",
    "token_url": "Token endpoint",
    "device_authorization_url": "Device authorization endpoint",
}


class IssuerEditor(QWidget):
    """The issuer of an OAuth profile, a Discover button that fetches its metadata off the UI thread, and
    what it found (the endpoints this kind uses and jwks_uri) or a sentence naming the URL that failed."""

    changed = Signal()
    discovered = Signal(object)  # ProviderMetadata

    SLOT = "discover"

    def __init__(self, jobs: JobRunner, endpoints: tuple[str, ...], parent: QWidget | None = None, *,
                 view: ViewState | None = None, discover: Discover | None = None,
                 ca_bundle: Callable[[], str | None] | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.endpoints = endpoints
        self.view_state = view or ViewState(self)
        self._discover: Discover = discover or (lambda issuer, cancel, ca: discover_issuer(issuer, cancel, ca))
        self.ca_bundle = ca_bundle  # the [tls] CA file the form names now, trusted for discovery too
        self.metadata: ProviderMetadata | None = None
        self.error = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("https://login.example.com/")
        self.discover_button = QPushButton("Discover", self)
        self.discover_button.setToolTip(
            "Fetch the issuer's /.well-known/openid-configuration (or RFC 8414 metadata) and show what it "
            "names"
        )
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop fetching the issuer's metadata")
        self.cancel_button.hide()
        row.addWidget(self.edit, 1)
        row.addWidget(self.discover_button)
        row.addWidget(self.cancel_button)
        outer.addLayout(row)
        self.hint = plain_label(
            "The endpoints come from the issuer's metadata on each run; fill them in below only for a "
            "provider without an issuer.", self, wrap=True)
        outer.addWidget(self.hint)
        self.status_label = MaskedLabel(self.view_state, parent=self, name="discoveryStatus", breaks=True)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.hide()
        outer.addWidget(self.status_label)
        self.results = QWidget(self)
        results = QFormLayout(self.results)
        results.setContentsMargins(0, 0, 0, 0)
        results.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.result_labels: dict[str, MaskedLabel] = {}
        for key in (*endpoints, "jwks_uri", "source"):
            label = MaskedLabel(self.view_state, parent=self.results, name=f"discovered_{key}", breaks=True)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            title = _ENDPOINT_LABELS.get(key) or {"jwks_uri": "JWKS URI", "source": "Read from"}[key]
            results.addRow(title, label)
            self.result_labels[key] = label
        self.results.hide()
        outer.addWidget(self.results)
        self.edit.textChanged.connect(self._on_text_changed)
        self.discover_button.clicked.connect(self.start_discovery)
        self.cancel_button.clicked.connect(self.cancel_discovery)
        self._update_buttons()

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def busy(self) -> bool:
        return self.jobs.current(self.SLOT) is not None

    def start_discovery(self) -> bool:
        """Fetch the issuer's metadata on a job; False when there is no issuer to ask."""
        issuer = self.edit.text().strip()
        if not issuer:
            self._say("Fill in the issuer first, for example https://login.example.com/.", error=True)
            return False
        self.metadata = None
        self.error = ""
        self.results.hide()
        work = self._discover
        ca = self.ca_bundle() if self.ca_bundle is not None else None

        def run(job: Job[ProviderMetadata]) -> ProviderMetadata:
            return work(issuer, job.cancel, ca)

        self.jobs.start(self.SLOT, run, on_done=self._on_found, on_failed=self._on_failed)
        self._say(f"Fetching the metadata of {issuer}…")
        self._update_buttons()
        return True

    def cancel_discovery(self) -> None:
        """Stop the running discovery; its late answer is dropped."""
        if not self.busy():
            return
        self.jobs.cancel(self.SLOT)
        self._say("Discovery cancelled: nothing was changed.")
        self._update_buttons()

    def _on_found(self, metadata: ProviderMetadata) -> None:
        self.metadata = metadata
        self.error = ""
        missing = []
        for key in self.endpoints:
            value = metadata.endpoint(key)
            if not value:
                missing.append(key)
            self.result_labels[key].set_text(value or "not named in the metadata: fill it in below")
        self.result_labels["jwks_uri"].set_text(
            metadata.jwks_uri or "not named: the token's signature cannot be checked from the issuer"
        )
        self.result_labels["source"].set_text(metadata.source)
        self.results.show()
        if missing:
            names = " and ".join(missing)
            self._say(f"Found the issuer's metadata, but it names no endpoint for {names}: fill "
                      f"{'them' if len(missing) > 1 else 'it'} in below.", error=True)
        else:
            self._say("Found in the issuer's metadata:")
        self._update_buttons()
        self.discovered.emit(metadata)

    def _on_failed(self, error: BaseException) -> None:
        self.metadata = None
        self.error = str(error) if isinstance(error, ProfileError) else (
            f"Discovery of '{self.edit.text().strip()}' failed: {error}")
        self._say(self.error, error=True)
        self._update_buttons()

    def _on_text_changed(self, *_: object) -> None:
        # what was found belongs to the issuer that was asked: another issuer makes it stale
        if self.busy():
            self.jobs.cancel(self.SLOT)
        self.metadata = None
        self.error = ""
        self.results.hide()
        self.status_label.hide()
        self._update_buttons()
        self.changed.emit()

    def _say(self, text: str, *, error: bool = False) -> None:
        theme = self.view_state.theme
        self.status_label.setStyleSheet(label_color_style(theme.error_text) if error else "")
        self.status_label.set_text(text)
        self.status_label.setVisible(bool(text))

    def _update_buttons(self) -> None:
        busy = self.busy()
        self.discover_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)


# --- [tls] --------------------------------------------------------------------------------------------------

TLS_LABELS = {
    "client_cert": "Client certificate",
    "client_key": "Client key",
    "key_password": "Key password",
    "ca_bundle": "CA bundle",
}
TLS_PLACEHOLDERS = {
    "client_cert": "~/certs/support.pem",
    "client_key": "~/certs/support.key",
    "ca_bundle": "~/certs/corp-root.pem",
}
TLS_TIPS = {
    "client_cert": "The client certificate, a PEM file (a path, never the contents); the key may be in the "
                   "same file.",
    "client_key": "The private key, a PEM file, when it is not in the certificate's file.",
    "key_password": "The private key's password: typed, it goes to your secret store; the file keeps a "
                    "reference.",
    "ca_bundle": "A PEM file of CA certificates to trust besides the system's (a private PKI, a corporate "
                 "TLS-inspecting proxy).",
}


class TlsEditor(QGroupBox):
    """The [tls] table any profile may have: certificate and CA files (paths, never contents) and the key
    password (a reference). The files are checked with core's `profiles check` rule, off the UI thread."""

    changed = Signal()

    SLOT = "tls-files"

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None, *, view: ViewState | None = None,
                 choose: Choose | None = None, start: Callable[[], Path] | None = None) -> None:
        super().__init__("Client certificate and CA bundle ([tls], optional, any kind)", parent)
        self.jobs = jobs
        self.view_state = view or ViewState(self)
        layout = QFormLayout(self)
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.paths: dict[str, PathInput] = {}
        self.notes: dict[str, MaskedLabel] = {}
        self.key_password = SecretInput(self, view=self.view_state)
        hint = plain_label(
            "For servers that want a client certificate (mutual TLS) or use a private or corporate CA. "
            "PEM files; a relative path is read from the profile's folder.", self, wrap=True)
        layout.addRow(hint)
        for key in TLS_FIELDS:
            widget: QWidget
            if key == "key_password":
                widget = self.key_password
                self.key_password.edit.textChanged.connect(self._changed)
            else:
                path = PathInput(self, title=f"Choose the {TLS_LABELS[key].lower()} file (PEM)", choose=choose,
                                 start=start)
                path.edit.setPlaceholderText(TLS_PLACEHOLDERS[key])
                path.edit.textChanged.connect(self._changed)
                self.paths[key] = path
                widget = path
            widget.setToolTip(TLS_TIPS[key])
            layout.addRow(TLS_LABELS[key], with_note(self.view_state, widget, self.notes, f"tls.{key}", self))

    def settings(self) -> TlsSettings | None:
        values = {k: (self.paths[k].text().strip() if k in self.paths else self.key_password.text()) or None
                  for k in TLS_FIELDS}
        settings = TlsSettings(**values)
        return settings if settings.as_table() else None

    def set_settings(self, tls: TlsSettings | None) -> None:
        for key in TLS_FIELDS:
            value = (getattr(tls, key) if tls is not None else None) or ""
            if key in self.paths:
                self.paths[key].setText(value)
            else:
                self.key_password.setText(value)

    def validate(self, profile: Profile, on_done: Callable[[list[tuple[str, str]]], object]) -> None:
        """Check the profile's [tls] files with core's `profiles check` rule on a job; on_done gets
        (field path, sentence) for each problem (nothing when none)."""
        from inspector.core.profiles.store import tls_problems

        def run(_job: Job[list[tuple[str, str]]]) -> list[tuple[str, str]]:
            return [(p.field or "tls", p.message) for p in tls_problems(profile)]

        self.jobs.start(self.SLOT, run, on_done=on_done)

    def _changed(self, *_: object) -> None:
        self.changed.emit()


__all__ = [
    "DISCOVERY_TIMEOUT_S",
    "DiscoveryFailed",
    "FieldRow",
    "FieldsTable",
    "IssuerEditor",
    "LoginBodyEditor",
    "PathInput",
    "SecretInput",
    "TlsEditor",
    "discover_issuer",
    "field_note",
    "shown_path",
    "with_note",
]
