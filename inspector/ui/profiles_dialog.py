"""The profiles dialog: list, create, edit, duplicate, delete and check profiles; the team folder settings.

Embedding API:

    dialog = ProfilesDialog(model, ask=None, choose_folder=None, parent=None, view=None)
        model:         a ProfilesModel (owns the ProfileStore and the secret store; shared with the picker)
        ask:           ask(question, buttons) -> the chosen button's text; None: a QMessageBox. Every question
                       the dialog asks goes through it, so tests answer without a modal loop.
        choose_folder: () -> Path | None for "Add folder…"; None: a QFileDialog.
        choose_file:   (title, start folder) -> str | None for the [tls] files' "Browse…"; None: a QFileDialog.
        view:          the window's ViewState (screen-share-safe mode, theme); None: the dialog's own.
    dialog.folders_changed        Signal(list): the team folders (list[Path]) after an add or remove; the
                                  model already uses them, persisting them is the caller's job
    dialog.profile_saved          Signal(object): the Profile as written to disk (save, overwrite, duplicate)
    dialog.save() -> bool         False: the form was refused (said under it); True: saving began on a job
                                  (typed secrets to the keyring, the file, the folders read again), and
                                  dialog.saving holds until it ends with profile_saved or a sentence
    dialog.select(identity)       show that profile (or broken file) in the form
    dialog.set_screen_share_safe(on)   secret fields stay masked, their "Show" toggles are disabled (sets
                                       the mode on the dialog's ViewState, which every secret field follows)

The form (ProfileForm) has an editor per kind, built from the core's KIND_FIELDS with the widgets of
ui/profile_editors.py: secret fields masked, a login's fields as a table (rows marked secret), the issuer with
Discover (off the UI thread, Cancel) for every OAuth kind, and the [tls] section on any kind. What the core
refuses on save, and what `profiles check` finds in a saved profile, is said under the field it names.

Secrets: a personal profile's typed secret goes to the secret store (keep_secret; a table row or the key
password under "<stem>.<table>.<field>" / "<stem>.tls.key_password") and the file gets its ${secret:KEY}
reference; a team folder takes only ${env:...}, ${secret:...} or ${prompt}, and a literal is
refused with the store's message while the form keeps what was typed. A file changed on disk is never
overwritten without asking (Reload / Overwrite / Cancel). Broken files are shown with their path and line and
are never written by this dialog.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.core.errors import ProfileError, StorageError
from inspector.core.profiles import (
    KINDS,
    Expect,
    Problem,
    Profile,
    ProfileConflict,
    ProfileFileError,
    ProfileStore,
    Resolver,
    keep_secret,
    new_profile,
)
from inspector.core.profiles.model import KIND_FIELDS, KindFields, slug
from inspector.core.profiles.secrets import DeferredSecretStore, SecretStore
from inspector.core.profiles.store import literal_secrets
from inspector.ui.jobs import Job, JobRunner
from inspector.ui.profile_editors import (
    Choose,
    FieldsTable,
    IssuerEditor,
    LoginBodyEditor,
    SecretInput,
    TlsEditor,
    with_note,
)
from inspector.ui.profile_picker import folder_labels
from inspector.ui.profiles_model import (
    BROKEN,
    SECRET_MISSING,
    Loaded,
    ProfilesModel,
    ProfileStatus,
    backend_sentence,
    identity_of,
    load_folders,
    same_path,
)
from inspector.ui.theme import Theme, label_color_style
from inspector.ui.view_state import MaskedLabel, ViewState, plain_label, plain_message_box, plain_tip, run_dialog

Ask = Callable[[str, Sequence[str]], str]  # (question, button texts) -> the text of the button chosen

RELOAD, OVERWRITE, CANCEL, DELETE, DISCARD = "Reload", "Overwrite", "Cancel", "Delete", "Discard changes"
BACKEND_SLOT = "secret-backend"  # the form's job slot that chooses the window's secret store
SAVE_SLOT = "save"  # the form's job slot that stores typed secrets, writes the file and reads the folders
BACKEND_PENDING = "Looking for the system keyring…"

_KNOWN_CREDENTIALS = frozenset(f for spec in KIND_FIELDS.values() for f in spec.known)
_FIELD_LABELS = {
    "username": "Username",
    "password": "Password",
    "token": "Token",
    "prefix": "Prefix",
    "name": "Header / parameter name",
    "value": "Key",
    "in": "Sent in",
    "token_url": "Token URL",
    "client_id": "Client ID",
    "client_secret": "Client secret",
    "scope": "Scope",
    "audience": "Audience",
    "auth": "Client authentication",
    "refresh_token": "Refresh token",
    "issuer": "Issuer",
    "authorization_url": "Authorization URL",
    "device_authorization_url": "Device authorization URL",
    "redirect_port": "Redirect port",
    "extra_params": "Extra parameters",
    "remember": "Remember",
    "login_url": "Login URL",
    "method": "Method",
    "form": "Login fields",
    "json": "Login fields",
    "token_from": "Token from answer",
    "csrf_cookie": "CSRF cookie",
    "csrf_header": "CSRF header",
    "csrf_field": "CSRF form field",
    "prefetch": "Prefetch",
    "session_cookie": "Session cookie",
    "domain": "Domain",
    "path": "Path",
    "secure": "Secure",
}
_KIND_NAMES = {
    "none": "No credentials",
    "basic": "Username and password (Basic)",
    "bearer": "Bearer token",
    "api-key": "API key",
    "digest": "Digest",
    "oauth2-client-credentials": "OAuth 2: machine to machine",
    "oauth2-refresh-token": "OAuth 2: refresh token",
    "session": "Login form (session cookie)",
    "cookie": "One cookie from the browser",
    "oauth2-authorization-code": "OAuth 2: browser sign-in (PKCE)",
    "oauth2-device-code": "OAuth 2: device code",
    "oauth2-password": "OAuth 2: username and password",
}

_KIND_LABELS = {  # the same key means something else in this kind
    ("cookie", "name"): "Cookie name",
    ("cookie", "value"): "Cookie value",
}
_PLACEHOLDERS = {
    "prefix": "Bearer",
    "name": "X-API-Key",
    "token_url": "https://login.example.com/oauth2/token",
    "scope": "invoices:read invoices:write",
    "audience": "https://api.example.com",
    "authorization_url": "https://login.example.com/authorize",
    "device_authorization_url": "https://login.example.com/oauth2/device",
    "redirect_port": "0 (any free port)",
    "login_url": "https://app.example.com/login",
    "token_from": "json:/access_token",
    "csrf_cookie": "csrftoken",
    "csrf_header": "X-CSRFToken",
    "csrf_field": "csrfmiddlewaretoken",
    "session_cookie": "sessionid",
    "domain": "api.example.com",
    "path": "/",
}
_TIPS = {  # what a field does, where a placeholder has no room to say it
    "token_from": "A JSON pointer into the login's answer, e.g. json:/access_token: that token is sent as "
                  "Authorization: Bearer instead of the session's cookies.",
    "csrf_cookie": "The cookie whose value is echoed into the CSRF header on unsafe methods (POST, PUT, "
                   "PATCH, DELETE). Goes with CSRF header.",
    "csrf_header": "The header the CSRF cookie's value goes in (Django X-CSRFToken, Laravel X-XSRF-TOKEN, "
                   "Angular X-XSRF-TOKEN).",
    "csrf_field": "A hidden input of the login page copied into the login body (Django "
                  "csrfmiddlewaretoken, Rails authenticity_token, Laravel _token); implies loading the page "
                  "first.",
    "session_cookie": "The cookie that holds the session; by default every cookie the login sets counts.",
    "domain": "Like the cookie's Domain attribute: also sent to subdomains. Empty: only the host of the "
              "request.",
    "path": "Like the cookie's Path attribute. Empty: /.",
    "redirect_port": "The loopback port the browser is redirected to (http://127.0.0.1:PORT/callback). 0 "
                     "takes any free port; set one when the provider only allows a registered port.",
    "extra_params": "More parameters for the authorization URL (prompt, login_hint, resource, ...).",
    "audience": "Some providers (Auth0, Okta) need the API's audience to issue a token for it.",
}
_KIND_PLACEHOLDERS = {
    ("cookie", "name"): "sessionid",
}
_BOOLEAN_TEXTS = {
    "prefetch": "Load the login page first",
    "secure": "Only over HTTPS",
    "remember": "Keep the refresh token",
}
_BOOLEAN_TIPS = {
    "prefetch": "GET the login URL before logging in, so the login form's own cookies (and its CSRF field) "
                "are set.",
    "secure": "Like the cookie's Secure attribute: sent only over https:// (and to 127.0.0.1, ::1, "
              "localhost).",
    "remember": "Keep the refresh token in your secret store (never in the file), so the next run signs in "
                "without the browser.",
}
_NEW_TABLES = {"session": {"username": "", "password": ""}}  # the fields a new profile starts with
# The order the fields are shown in, where the core's (required, then optional) reads badly.
_ORDER = {
    "oauth2-client-credentials": ("issuer", "token_url", "client_id", "client_secret", "scope", "audience",
                                  "auth"),
    "oauth2-refresh-token": ("issuer", "token_url", "client_id", "client_secret", "refresh_token", "scope",
                             "auth"),
    "session": ("login_url", "method", "form", "token_from", "csrf_cookie", "csrf_header", "prefetch",
                "csrf_field", "session_cookie"),
    "cookie": ("name", "value", "domain", "path", "secure"),
    "oauth2-authorization-code": ("issuer", "authorization_url", "token_url", "client_id", "client_secret",
                                  "scope", "audience", "redirect_port", "extra_params", "remember", "auth"),
    "oauth2-device-code": ("issuer", "device_authorization_url", "token_url", "client_id", "client_secret",
                           "scope", "audience", "auth"),
    "oauth2-password": ("issuer", "token_url", "client_id", "client_secret", "username", "password", "scope",
                        "audience", "auth"),
}
_KIND_HINTS = {
    "session": "Logs in with these fields first (a hop of its own), keeps the cookies the login sets for the "
               "run, and sends them with the request; logs in again when the session expires.",
    "cookie": "Sends one cookie copied from a browser session, as its domain and path allow.",
    "oauth2-authorization-code": "Opens the system browser to sign in (PKCE and state), then receives the "
                                 "redirect on http://127.0.0.1:PORT/callback.",
    "oauth2-device-code": "Shows a code to enter at the provider's verification page, then waits for the "
                          "sign-in to finish.",
    "oauth2-password": "The legacy password grant: the username and password go to the token URL.",
}
_EXPECT_FIELDS = (
    ("audience", "Audience", "https://api.example.com"),
    ("issuer", "Issuer", "https://login.example.com/"),
    ("scopes", "Scopes", "space-separated: invoices:read invoices:write"),
    ("leeway_s", "Leeway (seconds)", "60"),
    ("algorithms", "Algorithms", "space-separated: RS256 ES256"),
    ("jwks_url", "JWKS URL", "https://login.example.com/.well-known/jwks.json"),
    ("key_file", "Key file", "a PEM or JWKS file (relative to the profile's folder)"),
)
CredentialInput = QLineEdit | SecretInput | QComboBox | QCheckBox | IssuerEditor | FieldsTable | LoginBodyEditor
Note = tuple[str, str]  # (field path such as "credentials.login_url" or "tls.client_cert", sentence)
NOTE_SOURCES = ("check", "save", "tls")  # `profiles check` of the saved file, a refused save, the [tls] files
TLS_CHECK_DELAY_MS = 300  # wait for typing to pause before reading the certificate files again


def field_order(kind: str) -> tuple[str, ...]:
    """The credential fields of a kind in the order the form shows them (one entry for a session's body)."""
    spec = KIND_FIELDS.get(kind, KIND_FIELDS["none"])
    first = _ORDER.get(kind, ())
    rest = tuple(k for k in spec.known if k not in first and not (kind == "session" and k == "json"))
    return tuple(k for k in first if k in spec.known) + rest


def label_for(kind: str, key: str) -> str:
    return _KIND_LABELS.get((kind, key)) or _FIELD_LABELS.get(key, key)


def strip_path(message: str, path: Path) -> str:
    """A problem's sentence without the leading "PATH[, line N]: " (next to a field, the file is clear; the
    line of a form not yet saved is no line of the file on disk)."""
    m = re.match(rf"^{re.escape(str(path))}(?:, line \d+)?: ", message)
    if not m:
        return message
    rest = message[m.end():]
    first = rest.split(" ", 1)[0]
    return rest[:1].upper() + rest[1:] if first.isalpha() else rest  # "csrf_cookie and …" stays a name


def message_box_ask(parent: QWidget | None) -> Ask:
    """The real `ask`: a QMessageBox with one button per choice; closing it picks the last choice."""

    def ask(question: str, buttons: Sequence[str]) -> str:
        # the question quotes a profile's name and path: files others write, so never read as HTML
        box = plain_message_box(parent, QMessageBox.Icon.Question, "Profiles", question)
        made = []
        for i, text in enumerate(buttons):
            role = (
                QMessageBox.ButtonRole.RejectRole
                if i == len(buttons) - 1
                else QMessageBox.ButtonRole.AcceptRole
            )
            made.append(box.addButton(text, role))
        run_dialog(box)
        clicked = box.clickedButton()
        for text, button in zip(buttons, made, strict=True):
            if button is clicked:
                return text
        return buttons[-1]

    return ask


class FormProblem(ProfileError):
    """Something the form cannot turn into a profile; field names the widget to point at."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class ProfileForm(QWidget):
    """The editor of one profile. set_profile()/set_new() fill it; to_profile() is the only way out.

    Every field sits above a note line: show_notes() puts a problem's sentence (from `profiles check`, a
    refused save, or the [tls] files) under the field it names. Discovery and the [tls] file check run on
    the form's JobRunner (`jobs`), never on the UI thread.
    """

    edited = Signal()

    def __init__(self, parent: QWidget | None = None, *, view: ViewState | None = None,
                 choose_file: Choose | None = None) -> None:
        super().__init__(parent)
        self.view_state = view or ViewState(self)
        self.jobs = JobRunner(self, name="ProfileForm")
        self._base: Profile | None = None
        self._folders: list[tuple[Path, str]] = []
        self._loading = False
        self.credential_inputs: dict[str, CredentialInput] = {}
        self.notes: dict[str, MaskedLabel] = {}  # field path -> its note line
        self._notes: dict[str, list[Note]] = {s: [] for s in NOTE_SOURCES}

        outer = QVBoxLayout(self)
        top = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("Billing API (staging)")
        self.folder_combo = QComboBox(self)
        self.file_label = plain_label(parent=self, wrap=True, selectable=True)
        self.kind_combo = QComboBox(self)
        for kind in KINDS:  # what it is in words, and the id the file uses (kind = "...")
            self.kind_combo.addItem(f"{_KIND_NAMES[kind]}  ({kind})" if kind in _KIND_NAMES else kind, kind)
        self.base_url_edit = QLineEdit(self)
        self.base_url_edit.setPlaceholderText(
            "https://billing.staging.example.com (offered for URLs under it)"
        )
        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setFixedHeight(54)
        top.addRow("Name", self._with_note(self.name_edit, "name"))
        top.addRow("Folder", self.folder_combo)
        top.addRow("File", self.file_label)
        top.addRow("Kind", self.kind_combo)
        top.addRow("Base URL", self.base_url_edit)
        top.addRow("Notes", self.notes_edit)
        outer.addLayout(top)

        self.credentials_box = QGroupBox("Credentials", self)
        self.credentials_layout = QFormLayout(self.credentials_box)
        self.credentials_layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.kind_hint = plain_label(parent=self.credentials_box, name="kindHint", wrap=True)
        self.secret_hint = plain_label(parent=self.credentials_box, name="secretHint", wrap=True)
        outer.addWidget(self.credentials_box)

        self.tls_editor = TlsEditor(self.jobs, self, view=self.view_state, choose=choose_file,
                                    start=lambda: self.folder()[0])
        self.notes.update(self.tls_editor.notes)
        self.tls_editor.changed.connect(self._on_tls_changed)
        outer.addWidget(self.tls_editor)
        self._tls_timer = QTimer(self)
        self._tls_timer.setSingleShot(True)
        self._tls_timer.setInterval(TLS_CHECK_DELAY_MS)
        self._tls_timer.timeout.connect(self.check_tls_files)

        self.expect_box = QGroupBox("What the token should say (expectations)", self)
        expect_layout = QFormLayout(self.expect_box)
        self.expect_edits: dict[str, QLineEdit] = {}
        for key, label, placeholder in _EXPECT_FIELDS:
            edit = QLineEdit(self.expect_box)
            edit.setPlaceholderText(placeholder)
            edit.textChanged.connect(self._changed)
            expect_layout.addRow(label, self._with_note(edit, f"expect.{key}"))
            self.expect_edits[key] = edit
        outer.addWidget(self.expect_box)
        outer.addStretch(1)

        self.name_edit.textChanged.connect(self._changed)
        self.name_edit.textChanged.connect(self._update_file_label)
        self.base_url_edit.textChanged.connect(self._changed)
        self.notes_edit.textChanged.connect(self._changed)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        self.folder_combo.currentIndexChanged.connect(self._on_folder_changed)
        self._build_credentials("none", {})
        self.view_state.theme_changed.connect(self._render_notes)

    def _with_note(self, widget: QWidget, path: str, parent: QWidget | None = None) -> QWidget:
        """The widget above its note line (registered under the field path)."""
        return with_note(self.view_state, widget, self.notes, path, parent or self)

    # -- filling -------------------------------------------------------------------------------------------
    def set_folders(self, folders: Sequence[tuple[Path, str]]) -> None:
        """The folders a new profile can go to, personal first."""
        self._folders = list(folders)
        labels = folder_labels(self._folders)
        keep = self.folder_combo.currentData()
        self._loading, was = True, self._loading
        try:
            self.folder_combo.clear()
            for path, _kind in self._folders:
                self.folder_combo.addItem(labels[path], str(path))
                self.folder_combo.setItemData(
                    self.folder_combo.count() - 1, plain_tip(str(path)), Qt.ItemDataRole.ToolTipRole
                )
            if keep is not None:
                self.folder_combo.setCurrentIndex(max(0, self.folder_combo.findData(keep)))
        finally:
            self._loading = was
        self._update_file_label()

    def set_profile(self, profile: Profile) -> None:
        """Show a profile from disk; its folder is fixed (duplicate it to put a copy elsewhere)."""
        self._base = profile
        self._fill(profile.name, profile.folder, profile.kind, profile)

    def set_new(self, folder: Path, kind: str = "bearer") -> None:
        """An empty form for a new profile in folder."""
        self._base = None
        self._fill("", folder, kind, None)

    def base(self) -> Profile | None:
        return self._base

    def _fill(self, name: str, folder: Path, kind: str, profile: Profile | None) -> None:
        self._loading = True
        try:
            self.name_edit.setText(name)
            index = next((i for i, (p, _) in enumerate(self._folders) if same_path(p, folder)), -1)
            if index < 0:  # a profile from a folder no longer in the list: show it anyway
                self.folder_combo.addItem(str(folder), str(folder))
                index = self.folder_combo.count() - 1
            self.folder_combo.setCurrentIndex(index)
            self.folder_combo.setEnabled(profile is None)
            self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))
            self.base_url_edit.setText((profile.base_url or "") if profile else "")
            self.notes_edit.setPlainText(profile.notes if profile else "")
            self._build_credentials(kind, dict(profile.credentials) if profile else {})
            self.tls_editor.set_settings(profile.tls if profile else None)
            e = profile.expect if profile else Expect()
            values = {
                "audience": e.audience or "",
                "issuer": e.issuer or "",
                "scopes": " ".join(e.scopes),
                "leeway_s": "" if e.leeway_s is None else f"{e.leeway_s:g}",
                "algorithms": " ".join(e.algorithms),
                "jwks_url": e.jwks_url or "",
                "key_file": e.key_file or "",
            }
            for key, edit in self.expect_edits.items():
                edit.setText(values[key])
                edit.setStyleSheet("")
            self.name_edit.setStyleSheet("")
        finally:
            self._loading = False
        self.clear_notes()
        self._update_file_label()
        self.check_tls_files()

    def _build_credentials(self, kind: str, values: Mapping[str, object]) -> None:
        self.jobs.cancel(IssuerEditor.SLOT)  # the issuer editor goes: a late answer must not reach it
        while self.credentials_layout.rowCount():
            row = self.credentials_layout.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                old = item.widget() if item is not None else None
                if old is not None and old not in (self.secret_hint, self.kind_hint):
                    old.hide()  # deleteLater waits for the event loop; it must not show until then
                    old.deleteLater()
        self.notes = {k: v for k, v in self.notes.items() if not k.startswith("credentials.")}
        self.credential_inputs = {}
        spec = KIND_FIELDS.get(kind, KIND_FIELDS["none"])
        self.kind_hint.setText(_KIND_HINTS.get(kind, ""))
        self.credentials_layout.addRow(self.kind_hint)
        self.kind_hint.setVisible(kind in _KIND_HINTS)
        for key in field_order(kind):
            widget = self._credential_widget(kind, spec, key, values)
            label = label_for(kind, key)
            optional = key not in spec.required and key != "issuer"
            if optional and key not in spec.tables and key not in spec.booleans:
                label += " (optional)"
            box = self._with_note(widget, f"credentials.{key}", self.credentials_box)
            if key == "form":  # one editor for [credentials.form] and [credentials.json]
                self.notes["credentials.json"] = self.notes["credentials.form"]
            self.credentials_layout.addRow(label, box)
            self.credential_inputs[key] = widget
        if not spec.known:
            self.credentials_layout.addRow(QLabel("This kind sends no credentials.", self.credentials_box))
        self.credentials_layout.addRow(self.secret_hint)
        self.secret_hint.setVisible(bool(spec.secret or spec.tables))
        self._update_secret_hints()

    def _credential_widget(self, kind: str, spec: KindFields, key: str,
                           values: Mapping[str, object]) -> CredentialInput:
        parent = self.credentials_box
        value = values.get(key)
        text = value if isinstance(value, str) else ""
        placeholder = _KIND_PLACEHOLDERS.get((kind, key)) or _PLACEHOLDERS.get(key, "")
        widget: CredentialInput
        if key == "issuer" and spec.endpoints:
            widget = IssuerEditor(self.jobs, spec.endpoints, parent, view=self.view_state,
                                  ca_bundle=self._ca_bundle)
            widget.setText(text)
            widget.changed.connect(self._changed)
            widget.discovered.connect(self._on_discovered)
        elif key in spec.choices:
            widget = QComboBox(parent)
            choices = spec.choices[key]
            default = "POST" if key == "method" else choices[0]
            widget.addItem(f"default ({default})", "")
            for choice in choices:
                widget.addItem(choice, choice)
            widget.setCurrentIndex(max(0, widget.findData(text)))
            widget.currentIndexChanged.connect(self._changed)
        elif key in spec.booleans:
            widget = QCheckBox(_BOOLEAN_TEXTS.get(key, key), parent)
            widget.setToolTip(_BOOLEAN_TIPS.get(key, ""))
            widget.setChecked(value is True)
            widget.toggled.connect(self._changed)
        elif key == "form" and kind == "session":
            widget = LoginBodyEditor(parent, view=self.view_state)
            table = "json" if isinstance(values.get("json"), Mapping) else "form"
            body = values.get(table)
            fresh = self._base is None and not isinstance(body, Mapping)
            widget.set_body(table, _NEW_TABLES["session"] if fresh else _texts(body))
            widget.changed.connect(self._changed)
        elif key in spec.tables:
            widget = FieldsTable(parent, view=self.view_state, add_text="Add parameter")
            widget.set_values(_texts(value))
            widget.changed.connect(self._changed)
        elif key in spec.secret:
            widget = SecretInput(parent, view=self.view_state)
            widget.setText(text)
            widget.edit.textChanged.connect(self._changed)
        else:
            widget = QLineEdit(parent)
            if key in spec.integers and isinstance(value, int) and not isinstance(value, bool):
                text = str(value)
            widget.setText(text)
            widget.setPlaceholderText(placeholder)
            widget.textChanged.connect(self._changed)
        if key in _TIPS:
            widget.setToolTip(_TIPS[key])
        return widget

    # -- reading -------------------------------------------------------------------------------------------
    def folder(self) -> tuple[Path, str]:
        if self._base is not None:
            return self._base.folder, self._base.folder_kind
        path = Path(self.folder_combo.currentData() or ".")
        kind = next((k for p, k in self._folders if same_path(p, path)), "personal")
        return path, kind

    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def credential_text(self, key: str) -> str:
        value = self.credential_value(key)
        return value if isinstance(value, str) else ""

    def credential_value(self, key: str) -> object:
        """What a credential field holds now: a text, True/False, or a table ({name: value})."""
        widget = self.credential_inputs[key]
        if isinstance(widget, QComboBox):
            return str(widget.currentData() or "")
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, LoginBodyEditor):
            return widget.table.values()
        if isinstance(widget, FieldsTable):
            return widget.values()
        return widget.text()

    def secret_paths(self) -> set[str]:
        """Field paths the form treats as secrets beyond the kind's own: table rows marked secret, and the
        key password (their typed values go to the secret store like any other secret field)."""
        out = {"tls.key_password"}
        for key, widget in self.credential_inputs.items():
            table = widget.table if isinstance(widget, LoginBodyEditor) else widget
            if isinstance(table, FieldsTable):
                name = widget.table_key() if isinstance(widget, LoginBodyEditor) else key
                out.update(f"credentials.{name}.{field}" for field in table.secret_names())
        return out

    def to_profile(self) -> Profile:
        """The profile the form describes (the file's unknown keys kept); FormProblem when incomplete."""
        name = self.name_edit.text().strip()
        if not name:
            raise FormProblem("Give the profile a name.", "name")
        kind = self.kind()
        spec = KIND_FIELDS[kind]
        folder, folder_kind = self.folder()
        base_creds = self._base.credentials if self._base else {}
        creds: dict[str, object] = copy.deepcopy(dict(base_creds))
        for key in list(creds):
            if key in _KNOWN_CREDENTIALS and key not in spec.known:
                del creds[key]  # a field of the kind this profile was before
        issuer = self.credential_text("issuer").strip() if "issuer" in self.credential_inputs else ""
        for key, widget in self.credential_inputs.items():
            if isinstance(widget, LoginBodyEditor):
                table = widget.table_key()
                creds.pop("json" if table == "form" else "form", None)
                self._put(creds, table, self._table_values(widget.table, key))
            elif isinstance(widget, FieldsTable):
                self._put(creds, key, self._table_values(widget, key))
            elif isinstance(widget, QCheckBox):
                if widget.isChecked():
                    creds[key] = True
                elif base_creds.get(key) is False:
                    creds[key] = False  # the file's own "false" stays: no diff noise
                else:
                    creds.pop(key, None)
            elif key in spec.integers:
                self._put(creds, key, self._integer(key, spec.integers[key]))
            else:
                value = self.credential_text(key)
                value = value if key in spec.secret else value.strip()
                if value:
                    creds[key] = value
                elif key in spec.required and not (issuer and key in spec.endpoints):
                    label = label_for(kind, key)
                    if key in spec.secret:
                        how = " (or write ${prompt} to be asked for it when the profile is used)"
                    elif key in spec.endpoints:
                        how = " (or an issuer whose metadata names it)"
                    else:
                        how = ""
                    raise FormProblem(f"Fill in {label}{how}: a {kind} profile needs it.", key)
                else:
                    creds.pop(key, None)
        e = self.expect_edits
        leeway_text = e["leeway_s"].text().strip()
        leeway: float | None = None
        if leeway_text:
            try:
                leeway = float(leeway_text)
            except ValueError:
                leeway = -1.0
            if leeway < 0:
                raise FormProblem(
                    f"Leeway must be a number of seconds of 0 or more, not '{leeway_text}'.", "leeway_s"
                )
        expect = Expect(
            audience=e["audience"].text().strip() or None,
            issuer=e["issuer"].text().strip() or None,
            scopes=tuple(e["scopes"].text().replace(",", " ").split()),
            leeway_s=leeway,
            algorithms=tuple(e["algorithms"].text().replace(",", " ").split()),
            jwks_url=e["jwks_url"].text().strip() or None,
            key_file=e["key_file"].text().strip() or None,
        )
        tls = self.tls_editor.settings()
        base_url = self.base_url_edit.text().strip() or None
        notes = self.notes_edit.toPlainText().strip()
        if self._base is not None:
            return replace(
                self._base,
                name=name,
                kind=kind,
                base_url=base_url,
                notes=notes,
                credentials=creds,
                expect=expect,
                tls=tls,
            )
        return new_profile(
            name,
            kind,
            folder,
            folder_kind=folder_kind,
            credentials=creds,
            base_url=base_url,
            notes=notes,
            expect=expect,
            tls=tls,
        )

    @staticmethod
    def _put(creds: dict[str, object], key: str, value: object) -> None:
        if value is None or value == {}:
            creds.pop(key, None)
        else:
            creds[key] = value

    @staticmethod
    def _table_values(table: FieldsTable, key: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for row in table.rows:
            name = row.name()
            if not name:
                if row.value.text().strip():
                    raise FormProblem(f"Give every field in {_FIELD_LABELS.get(key, key)} a name.", key)
                continue
            if name in out:
                raise FormProblem(
                    f"{_FIELD_LABELS.get(key, key)} has the field '{name}' twice: keep one of them.", key
                )
            value = row.value.text()
            out[name] = value if row.is_secret() else value.strip()
        return out

    def _integer(self, key: str, bounds: tuple[int, int]) -> int | None:
        text = self.credential_text(key).strip()
        if not text:
            return None
        low, high = bounds
        try:
            number = int(text)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise FormProblem(
                f"{_FIELD_LABELS.get(key, key)} must be a whole number from {low} to {high}, not '{text}'.", key
            )
        return number

    # -- notes under the fields ----------------------------------------------------------------------------
    def show_notes(self, source: str, notes: Sequence[Note]) -> None:
        """Put these problems under the fields they name (replacing the earlier ones of this source): a
        field path such as "credentials.form.password" goes to the closest field shown ("credentials.form");
        one that matches no field goes under the name."""
        self._notes[source] = list(notes)
        self._render_notes()

    def clear_notes(self, *sources: str) -> None:
        for source in sources or NOTE_SOURCES:
            self._notes[source] = []
        self._render_notes()

    def note_text(self, path: str) -> str:
        """The sentence(s) shown under a field ("" when none), masked as on screen."""
        note = self.notes.get(path)
        return note.text() if note is not None and not note.isHidden() else ""

    def note_target(self, path: str) -> str:
        """The field path whose note line shows problems about path."""
        parts = path.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in self.notes:
                return candidate
            parts.pop()
        return "name"

    def _render_notes(self, *_: object) -> None:
        by_field: dict[str, list[str]] = {}
        for source in NOTE_SOURCES:
            for path, message in self._notes[source]:
                texts = by_field.setdefault(self.note_target(path), [])
                if message not in texts:
                    texts.append(message)
        color = self.view_state.theme.error_text
        for path, note in self.notes.items():
            texts = by_field.get(path, [])
            note.setStyleSheet(label_color_style(color))
            note.set_text(" ".join(texts))
            note.setVisible(bool(texts))

    def check_fields(self, profile: Profile, resolver: Resolver | None) -> None:
        """Run `profiles check` on a saved profile off the UI thread (the keyring may block) and show what
        it finds under the fields."""
        from inspector.core.profiles.store import profile_problems

        def run(_job: Job[list[Note]]) -> list[Note]:
            return [(p.field or "name", strip_path(p.message, profile.path))
                    for p in profile_problems(profile, resolver)]

        self.jobs.start("check", run, on_done=lambda notes: self.show_notes("check", notes))

    def check_tls_files(self) -> None:
        """Read the [tls] files as `profiles check` does (on a job) and say under each what is wrong."""
        self._tls_timer.stop()
        tls = self.tls_editor.settings()
        if tls is None or not (tls.client_cert or tls.client_key or tls.ca_bundle):
            self.jobs.cancel(TlsEditor.SLOT)
            self.show_notes("tls", [])
            return
        folder, folder_kind = self.folder()
        name = self.name_edit.text().strip() or "new profile"
        draft = new_profile(name, self.kind(), folder, folder_kind=folder_kind, tls=tls,
                            stem=self._base.stem if self._base else None)
        self.tls_editor.validate(
            draft,
            lambda found: self.show_notes("tls", [(f, strip_path(m, draft.path)) for f, m in found]),
        )

    # -- look ----------------------------------------------------------------------------------------------
    def mark(self, fields: Sequence[str]) -> None:
        """Outline the inputs a problem is about: credential keys or field paths ("credentials.form.pin",
        "tls.key_password"), 'name', expectation keys."""
        style = f"border: 1px solid {self.view_state.theme.error_text};"
        wanted = {f.removeprefix("credentials.").removeprefix("expect.") for f in fields}
        self.name_edit.setStyleSheet(style if "name" in wanted else "")
        for key, edit in self.expect_edits.items():
            edit.setStyleSheet(style if key in wanted else "")
        for key, widget in self.credential_inputs.items():
            if isinstance(widget, LoginBodyEditor | FieldsTable):
                table = widget.table if isinstance(widget, LoginBodyEditor) else widget
                name = widget.table_key() if isinstance(widget, LoginBodyEditor) else key
                for row in table.rows:
                    hit = name in wanted or f"{name}.{row.name()}" in wanted
                    row.value.edit.setStyleSheet(style if hit else "")
                continue
            target: QWidget = widget
            if isinstance(widget, SecretInput):
                target = widget.edit
            elif isinstance(widget, IssuerEditor):
                target = widget.edit
            elif isinstance(widget, QCheckBox):
                continue
            target.setStyleSheet(style if key in wanted else "")
        for key, path_input in self.tls_editor.paths.items():
            path_input.edit.setStyleSheet(style if f"tls.{key}" in wanted else "")
        self.tls_editor.key_password.edit.setStyleSheet(style if "tls.key_password" in wanted else "")

    def _update_secret_hints(self) -> None:
        _, folder_kind = self.folder()
        if folder_kind == "team":
            hint = (
                "Team folder: others can read this file, so secret fields take only a reference: "
                "${secret:KEY} (each person's keyring), ${env:NAME} or ${prompt}."
            )
            placeholder = "${secret:KEY}, ${env:NAME} or ${prompt}"
            short = "${secret:KEY} or ${env:NAME}"  # a table's value column is narrow
        else:
            hint = (
                "What you type in a secret field is kept in your secret store; the file gets only a "
                "${secret:…} reference."
            )
            placeholder = "type the secret, or ${env:NAME} / ${prompt}"
            short = "secret or ${env:NAME}"
        self.secret_hint.setText(hint)
        for widget in self.credential_inputs.values():
            if isinstance(widget, SecretInput):
                widget.edit.setPlaceholderText(placeholder)
            elif isinstance(widget, LoginBodyEditor):
                widget.table.set_secret_placeholder(short)
            elif isinstance(widget, FieldsTable):
                widget.set_secret_placeholder(short)
        self.tls_editor.key_password.edit.setPlaceholderText(placeholder)

    def _update_file_label(self, *_: object) -> None:
        if self._base is not None:
            self.file_label.setText(str(self._base.path))
            return
        folder, kind = self.folder()
        name = self.name_edit.text().strip()
        self.file_label.setText(f"{folder / (slug(name) + '.toml')}" if name else f"{folder} ({kind})")

    def _on_kind_changed(self, *_: object) -> None:
        if self._loading:
            return
        keep: dict[str, object] = {}
        for key, widget in self.credential_inputs.items():
            value = self.credential_value(key)
            if isinstance(widget, LoginBodyEditor):
                key = widget.table_key()
            if value:
                keep[key] = value
        self._build_credentials(self.kind(), keep)
        self._changed()

    def _on_folder_changed(self, *_: object) -> None:
        self._update_secret_hints()
        self._update_file_label()
        self.check_tls_files()
        self._changed()

    def _on_tls_changed(self) -> None:
        self._tls_timer.start()
        self._changed()

    def _on_discovered(self, metadata: object) -> None:
        """Show what discovery found as the placeholder of each endpoint left empty (the file keeps only the
        issuer: the endpoints are asked for again on each run)."""
        for key, widget in self.credential_inputs.items():
            found = getattr(metadata, "endpoint", lambda _k: None)(key)
            if isinstance(widget, QLineEdit) and found:
                widget.setPlaceholderText(f"from the issuer: {found}")

    def _ca_bundle(self) -> str | None:
        """The [tls] CA bundle as a path (relative to the profile's folder), for discovery to trust too."""
        tls = self.tls_editor.settings()
        path = tls.path("ca_bundle", self.folder()[0]) if tls is not None else None
        return str(path) if path is not None else None

    def cancel_work(self) -> None:
        """Stop discovery and file checks (the dialog is closing); their late answers are dropped."""
        self._tls_timer.stop()
        for slot in (IssuerEditor.SLOT, TlsEditor.SLOT, "check"):
            self.jobs.cancel(slot)

    def _changed(self, *_: object) -> None:
        if not self._loading:
            self.edited.emit()


def _texts(value: object) -> dict[str, str]:
    """A table of texts from a profile ({} for anything else)."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


class ProfilesDialog(QDialog):
    """Profiles and team folders. Logic lives in core.profiles; questions go through `ask`."""

    folders_changed = Signal(list)  # list[Path]: the team folders
    profile_saved = Signal(object)  # Profile

    def __init__(
        self,
        model: ProfilesModel,
        *,
        ask: Ask | None = None,
        choose_folder: Callable[[], Path | None] | None = None,
        choose_file: Choose | None = None,
        parent: QWidget | None = None,
        view: ViewState | None = None,
    ) -> None:
        super().__init__(parent)
        self._choose_file = choose_file
        self.setWindowTitle("Profiles")
        self.setObjectName("profilesDialog")
        self.view_state = view or ViewState(self)
        self.model = model
        self.ask: Ask = ask or message_box_ask(self)
        self.choose_folder = choose_folder or self._choose_folder_with_dialog
        self._identity: str | None = None  # the row shown in the form (None: a new profile or nothing)
        self._dirty = False
        self._message_color = "ok"
        self._showing_broken = False  # a file that did not load is shown instead of the form
        self._saving = False  # save() runs on the form's job (see saving)
        self._close_when_saved: int | None = None  # the dialog was closed during a save: its result
        self._after_reread: Callable[[], object] | None = None  # see _reread_then
        self._build()
        self._checking = False  # start_check() waits for the model's check_finished
        self.model.profiles_changed.connect(self._refresh)
        self.model.load_failed.connect(self._on_reread_failed)
        self.model.check_finished.connect(self._on_check_finished)
        self._refresh()
        if self.model.profiles:
            self.select(self.model.profiles[0].identity)
        else:
            self.new_profile()
        self.resize(1120, 720)
        self.view_state.theme_changed.connect(self._restyle)

    # -- layout --------------------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.backend_label = plain_label(parent=self, name="secretBackend", wrap=True, selectable=True)
        outer.addWidget(self.backend_label)

        self.tabs = QTabWidget(self)
        outer.addWidget(self.tabs, 1)

        # Profiles tab: the list (and check results) on the left, the form on the right.
        page = QWidget(self.tabs)
        split = QSplitter(Qt.Orientation.Horizontal, page)
        page_layout = QVBoxLayout(page)
        page_layout.addWidget(split)

        left = QWidget(split)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 4, left)
        self.table.setObjectName("profilesTable")
        self.table.setHorizontalHeaderLabels(["Name", "Kind", "Folder", "Status"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._on_row_selected)
        left_layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.new_button = QPushButton("New", left)
        self.new_button.setToolTip("A new profile (choose its kind and folder in the form)")
        self.duplicate_button = QPushButton("Duplicate to…", left)
        self.duplicate_button.setToolTip("Save a copy of the selected profile into a folder")
        self.duplicate_menu = QMenu(self.duplicate_button)
        self.duplicate_button.setMenu(self.duplicate_menu)
        self.delete_button = QPushButton("Delete…", left)
        self.check_button = QPushButton("Check", left)
        self.check_button.setToolTip("List every problem: broken files, literal secrets, missing secrets")
        for b in (self.new_button, self.duplicate_button, self.delete_button, self.check_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)
        self.new_button.clicked.connect(lambda: self.new_profile())
        self.delete_button.clicked.connect(self.delete_selected)
        self.check_button.clicked.connect(self.start_check)

        self.problems_label = QLabel("Problems", left)
        self.problems_list = QListWidget(left)
        self.problems_list.setObjectName("problemsList")
        self.problems_list.setWordWrap(True)
        self.problems_list.itemActivated.connect(self._on_problem_activated)
        self.problems_label.hide()
        self.problems_list.hide()
        left_layout.addWidget(self.problems_label)
        left_layout.addWidget(self.problems_list)

        right = QWidget(split)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        # A broken file's error quotes the file (a literal secret on the bad line, a name): plain, masked.
        self.broken_label = MaskedLabel(self.view_state, parent=right, name="brokenFile")
        self.broken_label.setWordWrap(True)
        self.broken_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.broken_label.setStyleSheet(label_color_style(self.view_state.theme.error_text))
        self.broken_label.hide()
        right_layout.addWidget(self.broken_label, 0, Qt.AlignmentFlag.AlignTop)
        self.form = ProfileForm(right, view=self.view_state, choose_file=self._choose_file)
        self.form.edited.connect(self._on_edited)
        self.form_scroll = QScrollArea(right)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setWidget(self.form)
        right_layout.addWidget(self.form_scroll, 1)
        self.message_label = MaskedLabel(self.view_state, parent=right, name="profileMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()
        right_layout.addWidget(self.message_label)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        self.revert_button = QPushButton("Revert", right)
        self.revert_button.setToolTip("Forget your edits and show the file as it is on disk")
        self.save_button = QPushButton("Save", right)
        self.save_button.setDefault(True)
        save_row.addWidget(self.revert_button)
        save_row.addWidget(self.save_button)
        right_layout.addLayout(save_row)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([460, 660])  # the form is the wider side: URLs and paths need the room
        self.tabs.addTab(page, "Profiles")

        # Folders tab.
        folders = QWidget(self.tabs)
        fl = QVBoxLayout(folders)
        self.personal_label = plain_label(parent=folders, wrap=True, selectable=True)
        fl.addWidget(self.personal_label)
        fl.addWidget(QLabel("Team folders (shared with others: a git checkout, a network drive):", folders))
        self.folder_list = QListWidget(folders)
        self.folder_list.setObjectName("teamFolders")
        fl.addWidget(self.folder_list, 1)
        row = QHBoxLayout()
        self.add_folder_button = QPushButton("Add folder…", folders)
        self.remove_folder_button = QPushButton("Remove", folders)
        self.remove_folder_button.setToolTip("Stop using the folder here (its files are not touched)")
        row.addWidget(self.add_folder_button)
        row.addWidget(self.remove_folder_button)
        row.addStretch(1)
        fl.addLayout(row)
        fl.addWidget(
            QLabel("Team folders from --profiles-dir and INSPECTOR_PROFILES are listed too.", folders)
        )
        self.add_folder_button.clicked.connect(lambda: self.add_team_folder())
        self.remove_folder_button.clicked.connect(lambda: self.remove_team_folder())
        self.tabs.addTab(folders, "Folders")

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        outer.addWidget(close)

    # -- listing -------------------------------------------------------------------------------------------
    def _show_backend(self) -> None:
        """The sentence naming the secret store. The window's store is chosen when first needed, and choosing
        it (the keyring's import and backend discovery) takes a tenth of a second or more: done on a job."""
        secrets = self.model.secrets
        if not isinstance(secrets, DeferredSecretStore) or secrets.chosen:
            self.backend_label.setText(backend_sentence(secrets))
            return
        self.backend_label.setText(BACKEND_PENDING)
        if not self.form.jobs.busy(BACKEND_SLOT):  # a refresh while it runs waits for the same answer
            self.form.jobs.start(BACKEND_SLOT, lambda _job: backend_sentence(secrets),
                                 on_done=self.backend_label.setText,
                                 on_failed=lambda exc: self.backend_label.setText(str(exc)))

    def _refresh(self) -> None:
        """Show the model's profiles; the form follows a reloaded file unless it holds unsaved edits."""
        m = self.model
        self._show_backend()
        self.form.set_folders(m.folders)
        labels = folder_labels(m.folders)
        rows: list[tuple[str, str, str, str, ProfileStatus]] = []
        for p in m.profiles:
            rows.append(
                (p.identity, p.name, p.kind, labels.get(p.folder, str(p.folder)), m.status(p.identity))
            )
        for identity, status in m.statuses.items():
            if status.state == BROKEN and status.path is not None:
                folder = status.path.parent
                rows.append((identity, status.path.name, "?", labels.get(folder, str(folder)), status))
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(len(rows))
            icons = {
                SECRET_MISSING: self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
                BROKEN: self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
            }
            for r, (identity, name, kind, folder_label, status) in enumerate(rows):
                cells = [name, kind, folder_label, status.label]
                for c, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, identity)
                    tip = status.detail or (str(status.path) if status.path else "")
                    item.setToolTip(plain_tip(tip))
                    if c == 3 and status.state in icons:
                        item.setIcon(icons[status.state])
                    self.table.setItem(r, c, item)
            row = self._row_of(self._identity)
            self.table.clearSelection()
            if row is not None:
                self.table.selectRow(row)
        finally:
            self.table.blockSignals(False)
        self._refresh_duplicate_menu()
        self._refresh_folders()
        self._follow_disk()
        self._update_buttons()
        if self._after_reread is not None:  # the model's reading asked for by _reread_then
            then, self._after_reread = self._after_reread, None
            self._show_busy()
            then()

    def _follow_disk(self) -> None:
        if self._identity is None or self._busy:  # the save or the reading shows what it found when it ends
            return
        status = self.model.status(self._identity)
        current = self.model.profile(self._identity)
        if status.state == BROKEN and current is None:
            if not self._dirty:
                self._show_broken(status)
            else:
                self._say("The file became unreadable on disk: " + status.detail, error=True)
            return
        if self._showing_broken and current is not None:  # fixed on disk: show it
            self._show_profile(current)
            return
        if current is None:
            if self._dirty:
                self._say("The file was deleted on disk; Save will ask before writing it back.", error=True)
            else:
                self._identity = None
                self.new_profile()
            return
        base = self.form.base()
        if base is not None and current.loaded != base.loaded:
            if self._dirty:
                self._say(
                    f"{current.path} changed on disk while you were editing; Save will ask whether to "
                    "overwrite it or reload it.",
                    error=True,
                )
            else:
                self._show_profile(current)

    def _row_of(self, identity: str | None) -> int | None:
        if identity is None:
            return None
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == identity:
                return r
        return None

    def _refresh_duplicate_menu(self) -> None:
        self.duplicate_menu.clear()
        labels = folder_labels(self.model.folders)
        for path, _ in self.model.folders:
            action = QAction(f"Copy into {labels[path]}", self.duplicate_menu)
            action.setToolTip(plain_tip(str(path)))
            action.triggered.connect(lambda _=False, p=path: self.duplicate_selected(p))
            self.duplicate_menu.addAction(action)

    def _refresh_folders(self) -> None:
        store = self.model.store
        self.personal_label.setText(f"Personal folder (only you): {store.personal_dir}")
        self.folder_list.clear()
        for path in store.team_dirs:
            item = QListWidgetItem(str(path))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            if not path.is_dir():
                item.setText(f"{path}  (missing)")
                item.setToolTip("This folder does not exist or is not a folder.")
                item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            self.folder_list.addItem(item)

    def _update_buttons(self) -> None:
        if self._busy:  # everything waits for the save or the reading (_show_busy)
            return
        profile = self.selected_profile()
        self.duplicate_button.setEnabled(profile is not None)
        self.delete_button.setEnabled(profile is not None)
        editable = not self._showing_broken
        self.form_scroll.setVisible(editable)
        self.save_button.setVisible(editable)
        self.revert_button.setVisible(editable)
        self.revert_button.setEnabled(self.form.base() is not None)

    # -- selection -----------------------------------------------------------------------------------------
    def selected_profile(self) -> Profile | None:
        return self.model.profile(self._identity) if self._identity else None

    def select(self, identity: str) -> bool:
        """Show a profile or broken file; False when it is unknown or the user kept their edits."""
        if not self._may_leave():
            return False
        profile = self.model.profile(identity)
        status = self.model.status(identity)
        if profile is None and status.state != BROKEN:
            return False
        self._identity = identity
        if profile is not None:
            self._show_profile(profile)
        else:
            self._show_broken(status)
        self._select_row(identity)
        self._update_buttons()
        return True

    def _select_row(self, identity: str | None) -> None:
        self.table.blockSignals(True)
        self.table.clearSelection()
        row = self._row_of(identity)
        if row is not None:
            self.table.selectRow(row)
        self.table.blockSignals(False)

    def _show_profile(self, profile: Profile) -> None:
        self._showing_broken = False
        self.broken_label.hide()
        self.form.set_profile(profile)
        self._dirty = False
        status = self.model.status(profile.identity)
        if status.state == SECRET_MISSING or status.detail:  # detail: a literal secret in a team folder
            self._say(status.detail, warn=True)
        else:
            self._say("")
        self.form.check_fields(profile, self.model.resolver)  # `profiles check`, under the fields it names

    def _show_broken(self, status: ProfileStatus) -> None:
        at = f" (line {status.line})" if status.line else ""
        self.broken_label.setText(
            f"This file cannot be loaded{at}. Fix it in a text editor: the window never "
            f"rewrites a broken file, and reloads it when it changes.\n\n{status.detail}"
        )
        self.broken_label.show()
        self._showing_broken = True
        self._dirty = False
        self._say("")
        self._update_buttons()

    def _on_row_selected(self) -> None:
        items = self.table.selectedItems()
        if not items:
            return
        identity = items[0].data(Qt.ItemDataRole.UserRole)
        if identity == self._identity:
            return
        if not self.select(identity):
            self._select_row(self._identity)  # the user kept their edits: the selection goes back

    def _may_leave(self) -> bool:
        """Whether the form may be replaced: no edits, or the user agrees to drop them."""
        if not self._dirty:
            return True
        answer = self.ask(
            "The profile in the form has changes that are not saved. Discard them?", [DISCARD, CANCEL]
        )
        return answer == DISCARD

    def _on_edited(self) -> None:
        self._dirty = True
        self.form.mark([])
        self.form.clear_notes("check", "save")  # about the file before this edit

    # -- actions -------------------------------------------------------------------------------------------
    def new_profile(self, kind: str = "bearer", folder: Path | None = None) -> bool:
        """An empty form for a new profile (the personal folder unless folder is given)."""
        if not self._may_leave():
            return False
        self._identity = None
        self._select_row(None)
        self._showing_broken = False
        self.broken_label.hide()
        self.form.set_new(folder or self.model.store.personal_dir, kind)
        self._dirty = False
        self._say("")
        self._update_buttons()
        self.form.name_edit.setFocus()
        return True

    @property
    def saving(self) -> bool:
        """A save is under way on the form's job (see save())."""
        return self._saving

    def save(self) -> bool:
        """Save the form: the checks here, then on a job a personal profile's typed secrets go to the secret
        store, the file is written and the folders are read again (the keyring may block or ask to be
        unlocked: never on the UI thread). False when the form was refused (said under it); True when saving
        began: `saving` holds until it ends with profile_saved, a sentence under the form, or a question
        about a file changed on disk."""
        if self._showing_broken or self._busy:
            # a broken file is shown: there is nothing to save, and it is never rewritten; or a save or a
            # reading of the folders runs (a shortcut may still call this while the buttons wait)
            return False
        try:
            draft = self.form.to_profile()
        except FormProblem as exc:
            self.form.mark([exc.field])
            self._say(str(exc), error=True)
            return False
        folder_kind = self.model.store.folder_kind(draft.folder)
        literal: list[tuple[str, str]] = []
        try:
            if folder_kind == "team":
                self._refuse_marked_literals(draft)
            self._check_loads_back(draft)  # before a typed secret goes to the secret store
            if folder_kind == "personal":
                literal = [(path, _value_at(draft, path)) for path in self._literal_fields(draft)]
                if literal and self.model.secrets is None:
                    raise ProfileError(
                        "There is no secret store on this system to keep the typed secret in: write "
                        "${env:NAME} or ${prompt} in the secret fields instead."
                    )
        except (ProfileError, StorageError) as exc:
            self._save_failed(draft, folder_kind, exc)
            return False
        self._start_save(draft, literal, folder_kind)
        return True

    def _start_save(self, draft: Profile, literal: Sequence[tuple[str, str]], folder_kind: str | None, *,
                    overwrite: bool = False) -> None:
        store, resolver, secrets = self.model.store, self.model.resolver, self.model.secrets

        def run(_job: Job[_Saved]) -> _Saved:  # on the worker: no widget is touched
            kept = keep_typed_secrets(draft, literal, secrets) if literal else draft
            try:
                saved = store.save(kept, overwrite=overwrite)
            except ProfileConflict as exc:  # asked about on the UI thread, with the secrets already kept
                return _Saved(kept, None, exc, None)
            try:
                loaded: Loaded | None = load_folders(store, resolver)
            except (ProfileError, StorageError, OSError):  # saved all the same: the model reads again
                loaded = None
            return _Saved(kept, saved, None, loaded)

        self.form.jobs.start(SAVE_SLOT, run, on_done=lambda done: self._on_saved(done, overwrite, store),
                             on_failed=lambda exc: self._on_save_failed(draft, folder_kind, exc))
        self._set_saving(True, "Storing the typed secret in your secret store and saving…" if literal
                         else "Saving…")

    def _on_saved(self, done: _Saved, overwrite: bool, store: ProfileStore) -> None:
        if done.conflict is not None:
            self._set_saving(False)
            self._close_when_saved = None  # the question needs the dialog
            self._resolve_conflict(done.draft, done.conflict)
            return
        assert done.saved is not None
        # still saving while the model takes the reading: the form is filled by _after_save alone, not also
        # by _follow_disk as for a change made on disk
        if done.loaded is not None and self.model.store is store:
            self.model.adopt(done.loaded)
        else:  # the folders changed while saving (that reading is of the old ones), or reading them failed
            self.model.reload()
        self._after_save(done.saved, f"{'Overwrote' if overwrite else 'Saved to'} {done.saved.path}.")
        self._set_saving(False)
        if self._close_when_saved is not None:
            self.done(self._close_when_saved)

    def _on_save_failed(self, draft: Profile, folder_kind: str | None, exc: BaseException) -> None:
        self._set_saving(False)
        self._close_when_saved = None  # what went wrong is said in the dialog
        if not isinstance(exc, ProfileError | StorageError):
            self._say("Not saved: something unexpected went wrong (the error window tells what). Your changes "
                      "are still in the form.", error=True)
            raise exc  # a defect: the error dialog shows it
        self._save_failed(draft, folder_kind, exc)

    def _save_failed(self, draft: Profile, folder_kind: str | None, exc: ProfileError | StorageError) -> None:
        """Say why the profile was not saved, under the field it names; the form keeps what was typed."""
        if isinstance(exc, ProfileFileError):  # the profile would not load back
            field = exc.field or "name"
            message = strip_path(str(exc), draft.path)
            self.form.mark([field])
            self.form.show_notes("save", [(field, message)])
            self._say(f"Not saved: {message}", error=True)
            return
        # the store's words, e.g. "the disk is full"
        self.form.mark(self._literal_fields(draft) if folder_kind == "team" else [])
        self._say(str(exc), error=True)

    def _set_saving(self, on: bool, text: str = "") -> None:
        self._saving = on
        self._show_busy(text if on else None)

    @property
    def _busy(self) -> bool:
        """A save or a reading of the folders runs: the dialog waits (_show_busy)."""
        return self._saving or self._after_reread is not None

    def _show_busy(self, text: str | None = None) -> None:
        """While a save or a reading of the folders runs, the form, the list, the folders and their buttons
        wait: an edit, a delete or a folder change made meanwhile would be lost or undone by what the save
        or the reading then shows. `text`: the line under the form meanwhile (None: kept)."""
        on = self._busy
        for widget in (self.form_scroll, self.save_button, self.revert_button, self.table, self.new_button,
                       self.duplicate_button, self.delete_button, self.problems_list,
                       self.folder_list, self.add_folder_button, self.remove_folder_button):
            widget.setEnabled(not on)
        self.check_button.setEnabled(not on and not self._checking)  # a check runs: it says when it ends
        if text is not None:
            self._say(text)
        if not on:
            self._update_buttons()

    @staticmethod
    def _check_loads_back(draft: Profile) -> None:
        """ProfileFileError (naming the field) when the store would refuse the profile as not loading back."""
        from inspector.core.profiles.model import profile_from_document
        from inspector.core.profiles.store import render

        profile_from_document(draft.to_document(), draft.path, text=render(draft),
                              folder_kind=draft.folder_kind)

    def _refuse_marked_literals(self, draft: Profile) -> None:
        """A team folder takes only references, also in the fields marked secret that the store cannot
        recognise by name (a login field called "pin")."""
        extra = [p for p in self._literal_fields(draft) if p not in literal_secrets(draft)]
        if extra:
            raise ProfileError(
                f"{draft.path}: {', '.join(extra)} holds a literal secret, and {draft.folder} is a team folder "
                "that others can read: move it to your keyring (store it there and write ${secret:KEY}), or "
                "use ${env:NAME} or ${prompt}."
            )

    def _literal_fields(self, profile: Profile) -> list[str]:
        """Field paths of secrets holding a typed value, not a ${...} reference (a malformed one fails
        validation): the core's secret fields, and the form's table rows marked secret."""
        found = list(literal_secrets(profile))
        for path in sorted(self.form.secret_paths()):
            value = _value_at(profile, path)
            if path not in found and value and not value.startswith("${"):
                found.append(path)
        return found

    def _resolve_conflict(self, draft: Profile, exc: ProfileConflict) -> bool:
        answer = self.ask(
            f"{exc}\n\n{RELOAD}: show the file as it is on disk now (your changes are dropped).\n"
            f"{OVERWRITE}: replace the file with your version.\n{CANCEL}: keep editing.",
            [RELOAD, OVERWRITE, CANCEL],
        )
        if answer == OVERWRITE:  # its secrets are kept already: the draft holds their references
            self._start_save(draft, (), None, overwrite=True)
            return True
        if answer == RELOAD:
            self._dirty = False
            identity = draft.identity

            def show_it() -> None:
                if self.model.profile(identity) is not None or self.model.status(identity).state == BROKEN:
                    self.select(identity)
                    self._say("Reloaded from disk: your changes were dropped.")
                else:
                    self._say(
                        f"{draft.path} is no longer on disk; your version is still in the form.", error=True
                    )
                    self._dirty = True

            self._reread_then(show_it)
            return False
        self._say("Not saved: your changes are still in the form.", error=True)
        return False

    def _after_save(self, saved: Profile, text: str) -> None:
        """The folders were read again with the saved file (the model has them): show it."""
        self.form.clear_notes("save")
        self._dirty = False
        self._identity = saved.identity
        self._show_profile(self.model.profile(saved.identity) or saved)
        self._select_row(saved.identity)
        self._update_buttons()
        self._say(text, error=False)
        self.profile_saved.emit(saved)

    def revert(self) -> None:
        """Show the selected profile as it is on disk, dropping edits."""
        base = self.form.base()
        self._dirty = False
        if base is None:
            self.new_profile()
            return

        def show_it() -> None:
            if self.model.profile(base.identity) is not None or self.model.status(base.identity).state == BROKEN:
                self.select(base.identity)

        self._reread_then(show_it)

    def duplicate_selected(self, folder: Path) -> Profile | None:
        """Save a copy of the selected profile into folder (a free file name is picked); it is selected, and
        profile_saved emitted, once the folders have been read again (`reading`)."""
        profile = self.selected_profile()
        if profile is None or not self._may_leave():
            return None
        try:
            copy = self.model.store.duplicate(profile, Path(folder))
        except (ProfileError, StorageError) as exc:
            self._say(str(exc), error=True)
            return None
        self._dirty = False

        def show_it() -> None:
            self.select(copy.identity)
            self._say(f"Copied to {copy.path}.", error=False)
            self.profile_saved.emit(copy)

        self._reread_then(show_it)
        return copy

    def delete_selected(self) -> bool:
        """Delete the selected profile's file after asking; the list follows once the folders have been read
        again (`reading`)."""
        profile = self.selected_profile()
        if profile is None:
            return False
        where = (
            "a team folder: it goes away for everyone who shares it"
            if profile.folder_kind == "team"
            else ("your personal folder")
        )
        answer = self.ask(
            f"Delete the profile '{profile.name}'?\n\n{profile.path} is removed from {where}. "
            "Secrets kept in "
            "your secret store stay there.",
            [DELETE, CANCEL],
        )
        if answer != DELETE:
            return False
        try:
            self.model.store.delete(profile)
        except (ProfileError, StorageError) as exc:
            self._say(str(exc), error=True)
            self._reread_then()
            return False
        self._dirty = False
        self._identity = None
        self.new_profile()
        self._say(f"Deleted {profile.path}.", error=False)
        self._reread_then()
        return True

    @property
    def reading(self) -> bool:
        """The folders are being read again after a change made here (see _reread_then)."""
        return self._after_reread is not None

    def _reread_then(self, then: Callable[[], object] | None = None) -> None:
        """Read the folders again on the model's worker (the statuses ask the secret store, which may block or
        ask to be unlocked: never on the UI thread), then call `then` once the list shows them; the dialog
        waits meanwhile (_show_busy), so `then` finds what the user left."""
        self._after_reread = then or (lambda: None)
        self._show_busy()
        self.model.reload()

    def _on_reread_failed(self, message: str) -> None:
        if self._after_reread is not None:  # what was to follow the reading is dropped
            self._after_reread = None
            self._show_busy()
            self._say(message, error=True)

    def run_check(self) -> list[Problem]:
        """List every problem (the same as `profiles check`) under the table, blocking until it is known."""
        self.model.poll()
        return self._show_check(self.model.check())

    def start_check(self) -> None:
        """The Check button: "Checking…" while the model's worker reads the folders and asks the secret store,
        then the list (the keyring may block, so this never runs on the UI thread)."""
        self.check_button.setEnabled(False)
        self.problems_list.clear()
        self.problems_label.setText("Checking…")
        self.problems_label.show()
        self.problems_list.hide()
        self._checking = True
        self.model.request_check()

    def _on_check_finished(self, problems: list[Problem]) -> None:
        if not self._checking:
            return  # asked for by someone else
        self._checking = False
        self.check_button.setEnabled(not self._busy)
        self._show_check(problems)

    def _show_check(self, problems: list[Problem]) -> list[Problem]:
        self.problems_list.clear()
        if not problems:
            n = len(self.model.profiles)
            item = QListWidgetItem(f"No problems: {n} profile{'s' if n != 1 else ''} checked.")
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton))
            self.problems_list.addItem(item)
        for problem in problems:
            item = QListWidgetItem(problem.message)
            item.setToolTip(plain_tip(f"[{problem.code}] {problem.message}"))
            item.setData(Qt.ItemDataRole.UserRole, identity_of(problem.path))
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            self.problems_list.addItem(item)
        n = len(problems)
        # A snapshot: files may change afterwards, so the label says when it was taken.
        self.problems_label.setText(f"Problems found by the last Check ({n})" if n else "Last Check")
        self.problems_label.show()
        self.problems_list.show()
        return problems

    def _on_problem_activated(self, item: QListWidgetItem) -> None:
        identity = item.data(Qt.ItemDataRole.UserRole)
        if identity:
            self.select(identity)

    # -- folders -------------------------------------------------------------------------------------------
    def team_folders(self) -> list[Path]:
        return list(self.model.store.team_dirs)

    def add_team_folder(self, path: Path | None = None) -> bool:
        """Add a team folder (asks with choose_folder when path is None); emits folders_changed."""
        chosen = path if path is not None else self.choose_folder()
        if chosen is None:
            return False
        chosen = Path(chosen).expanduser()
        current = self.team_folders()
        if any(same_path(chosen, p) for p in [self.model.store.personal_dir, *current]):
            self._say(f"{chosen} is already one of the profile folders.", error=True)
            return False
        self._set_team_folders([*current, chosen])
        return True

    def remove_team_folder(self, path: Path | None = None) -> bool:
        """Stop using a team folder (the selected one when path is None); its files are left alone."""
        if path is None:
            item = self.folder_list.currentItem()
            if item is None:
                return False
            path = Path(item.data(Qt.ItemDataRole.UserRole))
        current = self.team_folders()
        kept = [p for p in current if not same_path(p, path)]
        if len(kept) == len(current):
            return False
        self._set_team_folders(kept)
        return True

    def _set_team_folders(self, dirs: list[Path]) -> None:
        self.model.set_team_dirs(dirs)
        self.folders_changed.emit(list(dirs))

    def _choose_folder_with_dialog(self) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(self, "Add a team profile folder")
        return Path(chosen) if chosen else None

    # -- misc ----------------------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        """Closing stops discovery and file checks (their late answers are dropped). During a save the dialog
        closes once the save has ended well (a failure or a question keeps it open); closed again meanwhile,
        it closes at once: the save goes on, and what it found is no longer shown."""
        if self._saving and self._close_when_saved is None:
            self._close_when_saved = result
            self._say("The dialog closes once the save has ended (close it again to close it now).")
            return
        self._close_when_saved = None
        self._after_reread = None  # a reading's follow-up is for an open dialog
        if self._saving:
            self.form.jobs.cancel(SAVE_SLOT)  # its late answer is dropped; the next poll shows the file
        self.form.cancel_work()
        super().done(result)

    def set_screen_share_safe(self, on: bool) -> None:
        """Keep every secret field masked and disable the Show toggles (each follows the ViewState)."""
        self.view_state.set_safe(on)

    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    def message(self) -> str:
        """The line under the form (why a save was refused, what was saved)."""
        return self.message_label.text() if self.message_label.isVisibleTo(self) else ""

    def _say(self, text: str, *, error: bool = False, warn: bool = False) -> None:
        self._message_color = "error" if error else "warn" if warn else "ok"
        self.message_label.setText(text)
        self._restyle(self.view_state.theme)
        self.message_label.setVisible(bool(text))

    def _restyle(self, theme: Theme) -> None:
        color = {"error": theme.error_text, "warn": theme.warn_text}.get(self._message_color, theme.ok_text)
        self.message_label.setStyleSheet(label_color_style(color))
        self.broken_label.setStyleSheet(label_color_style(theme.error_text))


class _Saved(NamedTuple):
    """What the save job came back with: the draft as written (typed secrets replaced by their references),
    and either the saved profile with the folders read again (None when that reading failed), or the conflict
    to ask about."""

    draft: Profile
    saved: Profile | None
    conflict: ProfileConflict | None
    loaded: Loaded | None


def keep_typed_secrets(draft: Profile, literal: Sequence[tuple[str, str]], secrets: SecretStore | None) -> Profile:
    """Put each typed secret (field path, value) in the secret store and return the draft with its
    ${secret:KEY} references instead (blocking: the keyring). A credential's key is "<stem>.<field>"
    (keep_secret, as always); a table row's or the key password's names the field's path."""
    assert secrets is not None
    for path, value in literal:
        parts = path.split(".")
        if parts[0] == "credentials" and len(parts) == 2:
            draft = keep_secret(draft, parts[1], value, secrets)
            continue
        key = f"{draft.stem}.{'.'.join(parts[1:]) if parts[0] == 'credentials' else path}"
        secrets.set(key, value)
        reference = f"${{secret:{key}}}"
        if parts[0] == "tls":
            assert draft.tls is not None
            draft = replace(draft, tls=replace(draft.tls, key_password=reference))
        else:
            table = dict(draft.credentials[parts[1]])
            table[parts[2]] = reference
            draft = replace(draft, credentials={**draft.credentials, parts[1]: table})
    return draft


def _value_at(profile: Profile, path: str) -> str:
    """The text at a field path ("credentials.token", "credentials.form.password", "tls.key_password")."""
    parts = path.split(".")
    value: object = None
    if parts[0] == "tls" and len(parts) == 2:
        value = getattr(profile.tls, parts[1], None) if profile.tls is not None else None
    elif parts[0] == "credentials" and len(parts) == 2:
        value = profile.credentials.get(parts[1])
    elif parts[0] == "credentials" and len(parts) == 3:
        table = profile.credentials.get(parts[1])
        value = table.get(parts[2]) if isinstance(table, Mapping) else None
    return value if isinstance(value, str) else ""


__all__ = ["Ask", "FormProblem", "ProfileForm", "ProfilesDialog", "SecretInput", "message_box_ask"]
