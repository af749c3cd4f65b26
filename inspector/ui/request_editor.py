"""The request form. to_spec() / set_spec() are the only door between the form and the RequestSpec model."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.core.body_checks import body_secrets, formatted_json, json_problem
from inspector.core.errors import InspectorError, RequestError
from inspector.core.redact import (
    header_secret_values,
    is_secret_header,
    is_secret_param,
    mask_body_text,
    mask_header_value,
    mask_url,
    text_secret_values,
    url_secret_values,
)
from inspector.core.request import (
    BODY_KINDS,
    COMMON_METHODS,
    CONTENT_TYPE_FOR_KIND,
    DEFAULT_TIMEOUT_S,
    Body,
    FormField,
    Header,
    RequestSpec,
    as_body_kind,
    query_params,
    url_with_params,
    validate_url,
)
from inspector.core.units import format_size
from inspector.ui.jobs import JobRunner
from inspector.ui.lazy import BuiltOnUse
from inspector.ui.profile_picker import ProfilePicker
from inspector.ui.theme import Theme, label_color_style, monospace_font
from inspector.ui.view_state import MaskedLabel, ViewState, breakable, escape, plain_label, plain_tip, run_dialog
from inspector.ui.wheel_guard import guard_wheel

if TYPE_CHECKING:  # imported by _build_pages: only those pages use them
    from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QStackedWidget, QToolButton

    from inspector.ui.body_edit import BodyEdit

T = TypeVar("T")

#: a body longer than this (characters) is held aside and shown in part, read-only (_set_body_text): the
#: editor lays out a megabyte in half a second, and a long line again at every key (about 50 ms a key here)
LARGE_EDIT_CHARS = 256 * 1024
LARGE_PREVIEW_CHARS = 64 * 1024  # how much of such a body the editor shows
#: the JSON check, Format JSON, a held body's masked start in screen-share-safe mode and the secrets its JSON
#: holds stop here: json's parser takes 15-20 ms a megabyte (in the helper process for a held body, on the UI
#: thread for one edited here anyway)
LARGE_PARSE_CHARS = 2 * 1024 * 1024


BODY_SLOTS = ("check", "format", "mask", "secrets")  # a held body's jobs (RequestEditor._start_body_job)
_EDIT_ANYWAY_TIP = ("Put the whole body in the editor: the window may stop answering for seconds while it is laid "
                    "out, and again at every key")
_MASKED_EDIT_TIP = "Not in screen-share-safe mode: the whole body would show unmasked"


BODY_KIND_LABELS = {
    "none": "None",
    "json": "JSON",
    "text": "Text",
    "form": "Form URL-encoded",
    "multipart": "Multipart (files)",
}
NO_PROFILE = "No profile"


def profile_header_names(profile: object) -> tuple[str, ...]:
    """The request headers a profile sets when the request is sent (and so replaces in the table): an API
    key's header, else Authorization for every kind that signs in (none for "none" or a query API key)."""
    kind = getattr(profile, "kind", "none")
    credential = getattr(profile, "credential", lambda _name: None)
    if kind == "none":
        return ()
    if kind == "api-key":
        return () if (credential("in") or "header") == "query" else (credential("name") or "X-API-Key",)
    return ("Authorization",)


def as_pages_give(spec: RequestSpec) -> RequestSpec:
    """The headers, body and options of the spec as the editor's pages give them back once filled with it
    (RequestEditor.to_spec): blank rows left out, the body's text or fields for its kind only, the timeout as
    its field holds it (0.1 to 3600 s, one decimal)."""
    kind = spec.body.kind
    fields = tuple(f for f in spec.body.fields if f.name or f.value)
    if kind in ("json", "text"):
        body = Body(kind=kind, text=spec.body.text)
    elif kind == "form":
        body = Body(kind=kind, fields=tuple(replace(f, is_file=False) for f in fields))
    elif kind == "multipart":
        body = Body(kind=kind, fields=fields)
    else:
        body = Body(kind="none")
    return replace(
        spec,
        headers=tuple(h for h in spec.headers if h.name or h.value),
        body=body,
        timeout_s=round(min(max(spec.timeout_s or DEFAULT_TIMEOUT_S, 0.1), 3600.0), 1),
    )


class KeyValueTable(QTableWidget):
    """Rows of (enabled, name, value) with a blank row kept at the bottom for typing a new one.

    With checkable=False the first column is left out (query parameters live in the URL: no disabled ones).
    """

    rows_edited = Signal()  # the user changed a cell (not emitted by set_rows)
    REAL_VALUE = Qt.ItemDataRole.UserRole + 1  # a masked cell keeps its real value here
    NOTE = Qt.ItemDataRole.UserRole + 2  # why the row is marked (set_row_notes)

    def __init__(self, name_title: str, value_title: str, checkable: bool = True,
                 parent: QWidget | None = None, is_secret: Callable[[str], bool] | None = None,
                 view: ViewState | None = None) -> None:
        self.checkable = checkable
        self._is_secret = is_secret or (lambda _name: False)
        titles = (["", name_title, value_title] if checkable else [name_title, value_title])
        super().__init__(0, len(titles), parent)
        self.setHorizontalHeaderLabels(titles)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        if checkable:
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self._name_col, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.setColumnWidth(self._name_col, 180)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self._loading = False
        self.itemChanged.connect(self._on_item_changed)
        self._ensure_blank_row()
        self.view_state = view or ViewState(self)
        self.view_state.follow_safe(self._apply_safe)

    @property
    def _name_col(self) -> int:
        return 1 if self.checkable else 0

    def _new_row(self, name: str = "", value: str = "", enabled: bool = True) -> None:
        row = self.rowCount()
        self.insertRow(row)
        if self.checkable:
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            check.setCheckState(Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)
            check.setToolTip("Send this row (untick to keep it without sending it)")
            self.setItem(row, 0, check)
        self.setItem(row, self._name_col, QTableWidgetItem(name))
        self.setItem(row, self._name_col + 1, QTableWidgetItem(value))

    def _ensure_blank_row(self) -> None:
        last = self.rowCount() - 1
        if last < 0 or self.row_values(last)[0] or self.row_values(last)[1]:
            was = self._loading
            self._loading = True
            self._new_row()
            self._loading = was

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._loading:
            return
        self._ensure_blank_row()
        if self.view_state.safe:
            self._mask_row(item.row(), True)
        self.rows_edited.emit()

    # -- screen-share-safe: secret values are shown masked and cannot be edited; the real value is kept ----
    def _apply_safe(self, on: bool) -> None:
        for row in range(self.rowCount()):
            self._mask_row(row, on)

    def _mask_row(self, row: int, on: bool) -> None:
        name_item = self.item(row, self._name_col)
        item = self.item(row, self._name_col + 1)
        if item is None:
            return
        was, self._loading = self._loading, True
        try:
            real = item.data(self.REAL_VALUE)
            name = name_item.text() if name_item else ""
            if on and real is None and item.text() and self._is_secret(name):
                item.setData(self.REAL_VALUE, item.text())
                item.setText(mask_header_value(name, item.text(), (name,)))
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setToolTip("Hidden in screen-share-safe mode (View > Screen-share safe)")
            elif not on and real is not None:
                item.setText(str(real))
                item.setData(self.REAL_VALUE, None)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setToolTip("")
        finally:
            self._loading = was

    def row_values(self, row: int) -> tuple[str, str, bool]:
        name_item = self.item(row, self._name_col)
        value_item = self.item(row, self._name_col + 1)
        enabled = True
        if self.checkable:
            check = self.item(row, 0)
            enabled = check is None or check.checkState() == Qt.CheckState.Checked
        value = ""
        if value_item is not None:
            real = value_item.data(self.REAL_VALUE)
            value = value_item.text() if real is None else str(real)
        return (name_item.text() if name_item else "", value, enabled)

    def rows(self) -> list[tuple[str, str, bool]]:
        """Every non-blank row: (name, value, enabled)."""
        out = []
        for row in range(self.rowCount()):
            name, value, enabled = self.row_values(row)
            if name or value:
                out.append((name, value, enabled))
        return out

    def set_rows(self, rows: list[tuple[str, str, bool]]) -> None:
        self._loading = True
        try:
            self.setRowCount(0)
            for name, value, enabled in rows:
                self._new_row(name, value, enabled)
            self._new_row()
        finally:
            self._loading = False
        if self.view_state.safe:
            self._apply_safe(True)

    def set_row_enabled(self, row: int, enabled: bool) -> None:
        if self.checkable:
            item = self.item(row, 0)
            if item is not None:
                item.setCheckState(Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)

    def commit_edit(self) -> bool:
        """Write a cell being edited into the table now and close its editor (a shortcut such as Ctrl+Enter
        fires while the editor still holds the new value); True when there was one."""
        editor = QApplication.focusWidget()
        if self.state() != QAbstractItemView.State.EditingState or editor is None or \
                not self.viewport().isAncestorOf(editor):
            return False
        self.commitData(editor)
        self.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        return True

    def set_row_notes(self, notes: dict[str, str]) -> None:
        """Mark enabled rows whose name (any case) is a key: shown in italics with the note as their tool tip
        (a header the profile replaces when sending). Other rows lose an earlier mark."""
        wanted = {name.lower(): note for name, note in notes.items()}
        was, self._loading = self._loading, True  # a font or tip is not an edit
        try:
            for row in range(self.rowCount()):
                name, _value, enabled = self.row_values(row)
                note = wanted.get(name.strip().lower(), "") if enabled and name.strip() else ""
                for col in range(self._name_col, self._name_col + 2):
                    item = self.item(row, col)
                    if item is None:
                        continue
                    font = QFont(item.font())
                    if font.italic() != bool(note):
                        font.setItalic(bool(note))
                        item.setFont(font)
                    if item.data(self.NOTE) != (note or None):
                        item.setData(self.NOTE, note or None)
                        if item.data(self.REAL_VALUE) is None:  # a masked cell keeps its safe-mode tip
                            item.setToolTip(plain_tip(note))
        finally:
            self._loading = was

    def row_note(self, row: int) -> str:
        """The note set_row_notes put on a row ("" when none)."""
        item = self.item(row, self._name_col)
        return str(item.data(self.NOTE) or "") if item is not None else ""


class UrlEdit(QLineEdit):
    """The URL field: it asks for room for a whole URL, so a narrow bar shortens the profile picker first."""

    HINT_CHARS = 44

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.fontMetrics().horizontalAdvance("x" * self.HINT_CHARS)),
                     hint.height())


class MultipartTable(KeyValueTable):
    """Form fields where a value may be a file path (the third column says which)."""

    def __init__(self, parent: QWidget | None = None, view: ViewState | None = None) -> None:
        super().__init__("Name", "Value or file path", True, parent, is_secret=is_secret_param, view=view)
        self.insertColumn(3)
        self.setHorizontalHeaderItem(3, QTableWidgetItem("File"))
        self.horizontalHeader().setStretchLastSection(False)
        self.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        for row in range(self.rowCount()):
            self._add_file_cell(row, False)

    def _new_row(self, name: str = "", value: str = "", enabled: bool = True) -> None:
        super()._new_row(name, value, enabled)
        if self.columnCount() > 3:
            self._add_file_cell(self.rowCount() - 1, False)

    def _add_file_cell(self, row: int, is_file: bool) -> None:
        item = QTableWidgetItem()
        item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        item.setCheckState(Qt.CheckState.Checked if is_file else Qt.CheckState.Unchecked)
        item.setToolTip("The value is the path of a file to upload")
        self.setItem(row, 3, item)

    def fields(self) -> tuple[FormField, ...]:
        out = []
        for row in range(self.rowCount()):
            name, value, enabled = self.row_values(row)
            if not (name or value):
                continue
            file_item = self.item(row, 3)
            is_file = file_item is not None and file_item.checkState() == Qt.CheckState.Checked
            out.append(FormField(name, value, is_file, enabled))
        return tuple(out)

    def set_fields(self, fields: tuple[FormField, ...]) -> None:
        self.set_rows([(f.name, f.value, f.enabled) for f in fields])
        self._loading = True
        try:
            for row, f in enumerate(fields):
                self._add_file_cell(row, f.is_file)
        finally:
            self._loading = False

    def add_file(self, name: str, path: str) -> None:
        fields = self.fields() + (FormField(name, path, True, True),)
        self.set_fields(fields)


@dataclass(eq=False)
class _Held:
    """What is worked out from a large body held aside (the same str at each reading), kept while it is held."""

    text: str
    needles: dict[str, bool] = field(default_factory=dict)  # needle -> whether the body holds it
    secrets: dict[str, list[str]] = field(default_factory=dict)  # body kind -> its secret values
    seeking: str | None = None  # the kind whose secret values the "secrets" job seeks


class RequestEditor(QWidget):
    """Method, URL (with a profile picker beside it), params, headers, body and per-request options."""

    send_requested = Signal()
    cancel_requested = Signal()
    spec_changed = Signal()  # anything in the form changed
    curl_imported = Signal(list)  # a pasted curl command filled the form: the warnings (flags not understood)

    def __init__(self, parent: QWidget | None = None, theme: Theme | None = None, *,
                 view: ViewState | None = None) -> None:
        super().__init__(parent)
        self.view_state = view or ViewState(self, theme=theme)
        self._syncing = False  # URL <-> params table: do not echo a change back to where it came from
        self._url_touched = False
        self._message_error = False
        self._real_url: str | None = None  # while the URL field shows a masked URL (screen-share-safe)
        self._real_body: str | None = None  # while the body editor shows a masked body
        self._large_body: str | None = None  # a body too large to edit here, shown in part (_set_body_text)
        self._body_jobs: JobRunner | None = None  # a held body's jobs, BODY_SLOTS (made on first use)
        self._undo_body: str | None = None  # the body before a large paste (Undo paste)
        self._closed = False  # shutdown(): the tab closed
        self._held: _Held | None = None  # what is worked out from the large body held (_held_for)
        self._waiting_message: tuple[str, bool] | None = None  # show_message() waiting for its secret values
        # Asked before a pasted curl command may read local files (-d @file); tests put their own answer here.
        self.confirm_curl_files: Callable[[tuple[tuple[str, Path], ...]], bool] = self._ask_curl_files
        self._build()
        self.set_spec(RequestSpec())
        # after the tables and the picker, which mask their own rows
        self.view_state.follow_safe(self._apply_safe)
        self.view_state.theme_changed.connect(self._restyle)

    @property
    def theme(self) -> Theme:
        return self.view_state.theme

    # -- layout ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)

        bar = QHBoxLayout()
        self.method_combo = QComboBox(self)
        self.method_combo.setEditable(True)
        self.method_combo.addItems(list(COMMON_METHODS))
        self.method_combo.setToolTip("HTTP method: pick one or type your own")
        self.method_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.method_combo.setMinimumContentsLength(7)
        self.url_edit = UrlEdit(self)
        self.url_edit.setObjectName("urlEdit")
        self.url_edit.setPlaceholderText("https://api.example.com/items?page=1")
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # enough for a host and the start of a path; the window may be narrow (a 1280 px screen, history open)
        self.url_edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("https://api.example"))
        self.profile_picker = ProfilePicker(self, view=self.view_state)
        self.profile_picker.setObjectName("profilePicker")
        self.profile_picker.setToolTip("Credentials profile for this request")
        # a long profile name must not squeeze the URL: the picker stays narrow, its list is wider
        self.profile_picker.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.profile_picker.setMinimumContentsLength(10)
        self.profile_picker.setMaximumWidth(220)
        self.profile_picker.view().setMinimumWidth(420)
        self.url_edit.textChanged.connect(self.profile_picker.url_changed)
        self.profile_picker.profile_changed.connect(self._show_credentials)
        self.profile_picker.profile_changed.connect(lambda _p: self._mark_replaced_headers())
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip("Send the request (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip("Stop waiting for the response (Esc)")
        self.cancel_button.setEnabled(False)
        self.cancel_button.setVisible(False)
        bar.addWidget(self.method_combo)
        # no stretch factor: a box layout squeezes a stretched item to its minimum first; Expanding (and the
        # wide size hint) gives the URL the room beyond everyone's hint and keeps it when room is short
        bar.addWidget(self.url_edit)
        bar.addWidget(self.profile_picker)
        bar.addWidget(self.send_button)
        bar.addWidget(self.cancel_button)
        outer.addLayout(bar)

        # What the chosen profile will add, so nobody has to guess: secrets appear as references or masked.
        self.credentials_label = QLabel(self)
        self.credentials_label.setObjectName("profileCredentials")
        self.credentials_label.setWordWrap(True)
        self.credentials_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.credentials_label.hide()
        outer.addWidget(self.credentials_label)

        # what is wrong with the URL (or a pasted command): it quotes what was typed, so it is masked; a long
        # URL in it wraps (breaks=True) instead of widening the window
        self.message_label = MaskedLabel(self.view_state, parent=self, name="urlMessage", breaks=True)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()
        outer.addWidget(self.message_label)

        self.tabs = QTabWidget(self)
        outer.addWidget(self.tabs, 1)

        self.params_table = KeyValueTable("Parameter", "Value", checkable=False, parent=self,
                                          is_secret=is_secret_param, view=self.view_state)
        self.params_table.setObjectName("paramsTable")
        self.tabs.addTab(self.params_table, "Params")

        # Headers, Body and Options are built when first needed (shown, read by a test or a caller, or given a
        # request that uses them): until then their part of the request waits in self._pending. A new tab is
        # on screen sooner and a window whose requests never need them does not hold their widgets.
        self._pending: RequestSpec | None = RequestSpec()
        self._pages: list[QWidget] = []
        for title in ("Headers", "Body", "Options"):
            page = QWidget(self)
            self._pages.append(page)
            self.tabs.addTab(page, title)
        self.tabs.currentChanged.connect(lambda index: self._build_pages() if index > 0 else None)
        # scrolling over the form must not turn GET into PATCH
        guard_wheel(self.method_combo, self.profile_picker)

        # wiring
        self.url_edit.textChanged.connect(self._on_url_changed)
        self.url_edit.textEdited.connect(self._maybe_curl_pasted)
        self._url_before_edit = ""
        self.url_edit.returnPressed.connect(self.send_requested)
        self.params_table.rows_edited.connect(self._on_params_edited)
        self.method_combo.currentTextChanged.connect(self._on_form_changed)
        self.send_button.clicked.connect(self.send_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)

    # the widgets of Headers, Body and Options: made together by _build_pages when one is first read (see _build)
    headers_table: BuiltOnUse[KeyValueTable] = BuiltOnUse("_build_pages")
    content_type_hint: BuiltOnUse[QLabel] = BuiltOnUse("_build_pages")
    body_kind_combo: BuiltOnUse[QComboBox] = BuiltOnUse("_build_pages")
    format_button: BuiltOnUse[QToolButton] = BuiltOnUse("_build_pages")
    add_file_button: BuiltOnUse[QToolButton] = BuiltOnUse("_build_pages")
    body_status: BuiltOnUse[QLabel] = BuiltOnUse("_build_pages")
    body_stack: BuiltOnUse[QStackedWidget] = BuiltOnUse("_build_pages")
    body_text: BuiltOnUse[BodyEdit] = BuiltOnUse("_build_pages")
    large_body_bar: BuiltOnUse[QWidget] = BuiltOnUse("_build_pages")
    large_body_label: BuiltOnUse[QLabel] = BuiltOnUse("_build_pages")
    edit_large_button: BuiltOnUse[QToolButton] = BuiltOnUse("_build_pages")
    clear_large_button: BuiltOnUse[QToolButton] = BuiltOnUse("_build_pages")
    undo_paste_button: BuiltOnUse[QToolButton] = BuiltOnUse("_build_pages")
    form_table: BuiltOnUse[KeyValueTable] = BuiltOnUse("_build_pages")
    multipart_table: BuiltOnUse[MultipartTable] = BuiltOnUse("_build_pages")
    timeout_spin: BuiltOnUse[QDoubleSpinBox] = BuiltOnUse("_build_pages")
    follow_check: BuiltOnUse[QCheckBox] = BuiltOnUse("_build_pages")
    verify_check: BuiltOnUse[QCheckBox] = BuiltOnUse("_build_pages")
    _body_timer: BuiltOnUse[QTimer] = BuiltOnUse("_build_pages")

    @property
    def pages_built(self) -> bool:
        """Whether Headers, Body and Options have their widgets (see _build)."""
        return self._pending is None

    def _build_pages(self) -> None:
        """Make the widgets of Headers, Body and Options and fill them with the waiting part of the request."""
        pending = self._pending
        if pending is None:
            return
        # only these pages use them: imported (and their enums made) when the pages are built
        from PySide6.QtWidgets import (
            QCheckBox,
            QDoubleSpinBox,
            QFormLayout,
            QStackedWidget,
            QToolButton,
        )

        from inspector.ui.body_edit import BodyEdit

        headers_page, body_page, options_page = self._pages
        headers_layout = QVBoxLayout(headers_page)
        headers_layout.setContentsMargins(4, 4, 4, 4)
        self.headers_table = KeyValueTable("Header", "Value", checkable=True, parent=headers_page,
                                           is_secret=is_secret_header, view=self.view_state)
        self.headers_table.setObjectName("headersTable")
        self.content_type_hint = plain_label(parent=headers_page, name="contentTypeHint",
                                             elide=Qt.TextElideMode.ElideRight)
        headers_layout.addWidget(self.headers_table, 1)
        headers_layout.addWidget(self.content_type_hint)

        body_layout = QVBoxLayout(body_page)
        body_layout.setContentsMargins(4, 4, 4, 4)
        kind_row = QHBoxLayout()
        kind_row.addWidget(QLabel("Body:", body_page))
        self.body_kind_combo = QComboBox(body_page)
        for kind in BODY_KINDS:
            self.body_kind_combo.addItem(BODY_KIND_LABELS[kind], kind)
        kind_row.addWidget(self.body_kind_combo)
        self.format_button = QToolButton(body_page)
        self.format_button.setText("Format JSON")
        self.format_button.clicked.connect(self.format_json_body)
        kind_row.addWidget(self.format_button)
        self.add_file_button = QToolButton(body_page)
        self.add_file_button.setText("Add file…")
        self.add_file_button.clicked.connect(self._choose_file)
        kind_row.addWidget(self.add_file_button)
        kind_row.addStretch(1)
        self.body_status = plain_label(parent=body_page, name="bodyStatus")
        kind_row.addWidget(self.body_status)
        body_layout.addLayout(kind_row)
        self.body_stack = QStackedWidget(body_page)
        none_label = QLabel("This request has no body.", body_page)
        none_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text_page = QWidget(body_page)
        text_layout = QVBoxLayout(text_page)
        text_layout.setContentsMargins(0, 0, 0, 0)
        self.large_body_bar = QWidget(text_page)
        bar_layout = QHBoxLayout(self.large_body_bar)
        bar_layout.setContentsMargins(0, 0, 0, 2)
        self.large_body_label = plain_label(parent=self.large_body_bar, name="largeBodyLabel")
        self.large_body_label.setWordWrap(True)
        bar_layout.addWidget(self.large_body_label, 1)
        self.edit_large_button = QToolButton(self.large_body_bar)
        self.edit_large_button.setText("Edit here anyway")
        self.edit_large_button.setToolTip(_EDIT_ANYWAY_TIP)
        self.edit_large_button.clicked.connect(self.edit_large_body)
        bar_layout.addWidget(self.edit_large_button)
        self.undo_paste_button = QToolButton(self.large_body_bar)
        self.undo_paste_button.setText("Undo paste")
        self.undo_paste_button.setToolTip("The body as it was before this paste (Ctrl+Z)")
        self.undo_paste_button.clicked.connect(self.undo_large_paste)
        bar_layout.addWidget(self.undo_paste_button)
        self.clear_large_button = QToolButton(self.large_body_bar)
        self.clear_large_button.setText("Clear")
        self.clear_large_button.clicked.connect(self.clear_body)
        bar_layout.addWidget(self.clear_large_button)
        self.large_body_bar.hide()
        self.body_text = BodyEdit(LARGE_EDIT_CHARS, text_page)
        self.body_text.setObjectName("bodyText")
        self.body_text.setFont(monospace_font())
        self.body_text.setPlaceholderText('{"name": "value"}')
        self.body_text.too_large.connect(self._on_large_paste)
        self.body_text.undo_requested.connect(self.undo_large_paste)
        text_layout.addWidget(self.large_body_bar)
        text_layout.addWidget(self.body_text, 1)
        self.form_table = KeyValueTable("Field", "Value", checkable=True, parent=body_page,
                                        is_secret=is_secret_param, view=self.view_state)
        self.multipart_table = MultipartTable(body_page, view=self.view_state)
        for w in (none_label, text_page, self.form_table, self.multipart_table):
            self.body_stack.addWidget(w)
        body_layout.addWidget(self.body_stack, 1)

        form = QFormLayout(options_page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)  # a number, not a bar
        self.timeout_spin = QDoubleSpinBox(options_page)
        self.timeout_spin.setRange(0.1, 3600)
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setToolTip("Give up when the whole send (connect, redirects, answer) takes longer")
        self.follow_check = QCheckBox("Follow redirects (each hop is listed with the response)", options_page)
        self.verify_check = QCheckBox("Verify TLS certificates", options_page)
        self.verify_check.setToolTip("Turn off only for a test server with its own certificate")
        form.addRow("Timeout:", self.timeout_spin)
        form.addRow("", self.follow_check)
        form.addRow("", self.verify_check)
        guard_wheel(self.body_kind_combo, self.timeout_spin)  # scrolling over the form must not change them

        self.headers_table.rows_edited.connect(self._on_form_changed)
        self.headers_table.rows_edited.connect(self._mark_replaced_headers)
        self.body_kind_combo.currentIndexChanged.connect(self._on_body_kind_changed)
        self.body_text.textChanged.connect(self._schedule_body_check)
        self.form_table.rows_edited.connect(self._on_form_changed)
        self.multipart_table.rows_edited.connect(self._on_form_changed)
        self._body_timer = QTimer(self)
        self._body_timer.setSingleShot(True)
        self._body_timer.setInterval(250)  # validate JSON when typing pauses, not on every key
        self._body_timer.timeout.connect(self._check_body)

        self._pending = None
        was, self._syncing = self._syncing, True  # filling them is no edit: spec_changed is not emitted
        try:
            self._fill_pages(pending)
            self._on_body_kind_changed()
        finally:
            self._syncing = was
        self._mark_replaced_headers()
        if self.view_state.safe:
            self._mask_fields()

    # -- the door ----------------------------------------------------------------------------------------
    def commit_edits(self) -> None:
        """Finish a cell being edited (params, headers, form fields), so to_spec() sees what was typed."""
        tables: list[KeyValueTable] = [self.params_table]
        if self.pages_built:
            tables += (self.headers_table, self.form_table, self.multipart_table)
        for table in tables:
            table.commit_edit()

    def to_spec(self) -> RequestSpec:
        """The form as a RequestSpec (not validated: RequestSpec.validate says what is wrong)."""
        if self._pending is not None:  # Headers, Body and Options not built: their part is the waiting one
            return replace(as_pages_give(self._pending),
                           method=self.method_combo.currentText().strip().upper() or "GET",
                           url=self.url_source().strip(), profile=self.profile_picker.currentData())
        kind = as_body_kind(self.body_kind_combo.currentData())
        body = Body(kind=kind)
        if kind in ("json", "text"):
            body = Body(kind=kind, text=self.body_source())
        elif kind == "form":
            fields = tuple(FormField(n, v, False, e) for n, v, e in self.form_table.rows())
            body = Body(kind=kind, fields=fields)
        elif kind == "multipart":
            body = Body(kind=kind, fields=self.multipart_table.fields())
        return RequestSpec(
            method=self.method_combo.currentText().strip().upper() or "GET",
            url=self.url_source().strip(),
            headers=tuple(Header(n, v, e) for n, v, e in self.headers_table.rows()),
            body=body,
            timeout_s=float(self.timeout_spin.value()),
            follow_redirects=self.follow_check.isChecked(),
            verify_tls=self.verify_check.isChecked(),
            profile=self.profile_picker.currentData(),
        )

    def set_spec(self, spec: RequestSpec) -> None:
        """Fill the form from a RequestSpec."""
        self._unmask_fields()
        self._syncing = True
        try:
            self.method_combo.setCurrentText(spec.method)
            self.url_edit.setText(spec.url)
            self.params_table.set_rows([(k, v, True) for k, v in query_params(spec.url)])
            if self._pending is not None:
                self._pending = spec
            else:
                self._fill_pages(spec)
            self.profile_picker.select_identity(spec.profile)
            self.pending_profile = spec.profile  # re-selected when the profiles load after start-up
        finally:
            self._syncing = False
        self._url_touched = False
        self.show_message("")
        if self.pages_built:
            self._on_body_kind_changed()  # (checks the body too)
            self._mark_replaced_headers()
        if self.view_state.safe:
            self._mask_fields()

    def _fill_pages(self, spec: RequestSpec) -> None:
        """Headers, Body and Options from the spec (their widgets exist)."""
        self.headers_table.set_rows([(h.name, h.value, h.enabled) for h in spec.headers])
        with QSignalBlocker(self.body_kind_combo):
            self.body_kind_combo.setCurrentIndex(max(0, self.body_kind_combo.findData(spec.body.kind)))
        self._set_body_text(spec.body.text)
        form_fields = spec.body.fields if spec.body.kind == "form" else ()
        self.form_table.set_rows([(f.name, f.value, f.enabled) for f in form_fields])
        self.multipart_table.set_fields(spec.body.fields if spec.body.kind == "multipart" else ())
        self.timeout_spin.setValue(spec.timeout_s or DEFAULT_TIMEOUT_S)
        self.follow_check.setChecked(spec.follow_redirects)
        self.verify_check.setChecked(spec.verify_tls)

    # -- screen-share-safe ---------------------------------------------------------------------------------
    def set_screen_share_safe(self, on: bool) -> None:
        """Show every secret masked (header values, secret query parameters, secret body fields); a masked
        field is read-only until the mode is turned off. to_spec() still returns the real values.
        (The mode is the window's: this sets it on the editor's ViewState, which every pane follows.)"""
        self.view_state.set_safe(on)

    def _apply_safe(self, on: bool) -> None:
        if on:
            self._mask_fields()
        else:
            self._unmask_fields()
        if self._large_body is not None and self.pages_built:
            self._show_large_body()  # its start, shown again for the mode
        self._mark_replaced_headers()  # unmasking a row clears its tool tip

    def url_source(self) -> str:
        """The real URL, also while the field shows it masked."""
        return self._real_url if self._real_url is not None else self.url_edit.text()

    def body_source(self) -> str:
        """The real body text, also while the editor shows it masked or in part."""
        if self._large_body is not None:
            return self._large_body
        return self._real_body if self._real_body is not None else self.body_text.toPlainText()

    def _mask_fields(self) -> None:
        url = self.url_source()
        masked = mask_url(url)
        if masked == url:  # not a URL with a secret where a URL holds one: a pasted command, say
            masked = self.view_state.mask(url)
        if masked != url and self._real_url is None:
            self._real_url = url
            with QSignalBlocker(self.url_edit):
                self.url_edit.setText(masked)
            self.url_edit.setReadOnly(True)
            self.url_edit.setToolTip("The URL holds a secret: editing is off in screen-share-safe mode")
        if not self.pages_built:  # the body is masked when its page is built
            return
        if self._large_body is not None:  # its start is shown for the mode (_show_large_body, _apply_safe)
            return
        text = self.body_source()
        kind = self.body_kind_combo.currentData() or "none"
        ctype = CONTENT_TYPE_FOR_KIND.get(kind)
        masked_body = mask_body_text(text, ctype) if text else text
        if masked_body != text and self._real_body is None:
            self._real_body = text
            with QSignalBlocker(self.body_text):
                self.body_text.setPlainText(masked_body)
            self.body_text.setReadOnly(True)
            self.body_text.setToolTip("The body holds a secret: editing is off in screen-share-safe mode")

    def _unmask_fields(self) -> None:
        if self._real_url is not None:
            url, self._real_url = self._real_url, None
            with QSignalBlocker(self.url_edit):
                self.url_edit.setText(url)
            self.url_edit.setReadOnly(False)
            self.url_edit.setToolTip("")
        if self._real_body is not None:
            body, self._real_body = self._real_body, None
            with QSignalBlocker(self.body_text):
                self.body_text.setPlainText(body)
            self.body_text.setReadOnly(False)
            self.body_text.setToolTip("")

    def _mark_replaced_headers(self) -> None:
        """An enabled header row the chosen profile will set is not what gets sent: the row says so."""
        if not self.pages_built:  # marked when the Headers page is built
            return
        profile = self.profile_picker.current_profile()
        names = profile_header_names(profile) if profile is not None else ()
        note = (f"Replaced by the profile '{getattr(profile, 'name', '')}' when sending: it sets this header "
                "itself. Untick the row, or choose No profile to send this value.")
        self.headers_table.set_row_notes({name: note for name in names})

    def _show_credentials(self, profile: object) -> None:
        from inspector.core.profiles.auth import describe_credentials

        lines = describe_credentials(profile) if profile is not None else []  # type: ignore[arg-type]
        added = "<br>".join(escape(breakable(line)) for line in lines)
        self.credentials_label.setText(
            f"<span style='color:{self.theme.muted_text}'>Profile adds:</span> {added}")
        self.credentials_label.setVisible(bool(lines))

    # -- messages ----------------------------------------------------------------------------------------
    def show_message(self, text: str, error: bool = True) -> None:
        """A line under the URL bar: why the request cannot be sent (never a dialog). It often quotes what
        was typed, so every secret in the form (and in a pasted command) is masked in it. While a held body's
        secret values are sought (once per body, in the helper process), the line waits for them, hidden."""
        secrets = self._form_secrets() if text else ()
        self._waiting_message = None if secrets is not None else (text, error)
        shown = text if secrets is not None else ""
        self.message_label.set_text(shown, secrets=secrets or ())
        self._message_error = error
        self.message_label.setVisible(bool(shown))
        self.url_edit.setProperty("invalid", bool(text) and error)
        self._style_message()

    def _style_message(self) -> None:
        shown, error = bool(self.message_label.text()), self._message_error
        self.message_label.setStyleSheet(
            label_color_style(self.theme.error_text if error else self.theme.muted_text))
        self.url_edit.setStyleSheet(f"QLineEdit {{ border: 1px solid {self.theme.error_text}; }}"
                                    if shown and error else "")

    def _restyle(self, _theme: Theme) -> None:
        self._style_message()
        if not self.pages_built:  # the pages are styled as they are built
            return
        self._check_body()
        self._update_content_type_hint()

    def _form_secrets(self) -> list[str] | None:
        """Every secret value the form holds: URL (and whatever was typed or pasted into the URL bar),
        headers enabled or not, secret parameters and body fields. None while a held body's are sought."""
        spec = self.to_spec()
        found = [*url_secret_values(spec.url), *text_secret_values(self.url_source())]
        for h in spec.headers:
            found += header_secret_values(h.name, h.value)
        if spec.body.text:
            in_body = self._body_secrets(spec.body.text, spec.body.kind)
            if in_body is None:
                return None
            found += in_body
        found += [f.value for f in spec.body.fields if is_secret_param(f.name) and not f.is_file]
        return found

    def _body_secrets(self, text: str, kind: str) -> list[str] | None:
        """The secret values a body holds. A large body's (held, or waiting for the Body page: the same str each
        time) are sought once, when a message first needs them (every message under the URL bar masks them,
        and each key typed there may bring one), in the helper process: the search holds the interpreter for
        a tenth of a second or more, on a thread too. None until they are known; most held bodies never meet
        a message."""
        held = self._held_for(text)
        if held is None:  # (a body edited here anyway is a new str at each call: sought here)
            return body_secrets(text, kind, LARGE_PARSE_CHARS)
        if kind in held.secrets:
            return held.secrets[kind]
        if held.seeking == kind and self._body_jobs is not None and self._body_jobs.current("secrets") is not None:
            return None  # already sought (the next key typed meanwhile)

        def found(values: list[str]) -> None:
            held.secrets[kind] = values
            self._show_waiting_message()

        held.seeking = kind
        seek = functools.partial(body_secrets, text, kind, LARGE_PARSE_CHARS)
        # the helper failed (it ran out of memory, say): sought here, as a message must never show them
        self._start_body_job("secrets", seek, found, lambda _error: found(seek()))
        return None

    def _show_waiting_message(self) -> None:
        if self._waiting_message is not None:
            self.show_message(*self._waiting_message)

    def holds(self, needle: str) -> bool:
        """Whether the URL bar, a parameter, a header, the body text or a form field holds `needle` (the pages
        need not be built)."""
        if needle in self.url_edit.text():
            return True
        rows = list(self.params_table.rows())
        if self._pending is not None:
            spec = self._pending
            texts = [spec.body.text]
            rows += [(h.name, h.value, h.enabled) for h in spec.headers]
            rows += [(f.name, f.value, f.enabled) for f in spec.body.fields]
        else:
            texts = [self.body_source()]
            for table in (self.headers_table, self.form_table, self.multipart_table):
                rows += table.rows()
        return any(self._text_holds(text, needle) for text in texts) or any(
            needle in n or needle in v for n, v, _ in rows)

    def body_holds(self, needle: str) -> bool:
        """Whether the body (all of it, also while it is held aside) holds `needle`."""
        return self._text_holds(self._pending.body.text if self._pending is not None else self.body_source(),
                                needle)

    def _text_holds(self, text: str, needle: str) -> bool:
        """needle in text; for a large body (held, or waiting for the Body page) remembered: each key typed
        in the URL bar asks whether the form holds a "{{", some 8 ms a search in 7 MB."""
        held = self._held_for(text)
        if held is None:  # (the editor's own text is a new str at each call)
            return needle in text
        if needle not in held.needles:
            held.needles[needle] = needle in text
        return held.needles[needle]

    def _held_for(self, text: str) -> _Held | None:
        """What is worked out from text when it is a large body held aside (or waiting for the Body page): the
        same str at each reading, so it can be kept; None for any other text."""
        held = text is self._large_body or (self._pending is not None and text is self._pending.body.text)
        if not held or len(text) <= LARGE_EDIT_CHARS:
            return None
        if self._held is None or self._held.text is not text:
            self._held = _Held(text)
        return self._held

    def show_relevant_tab(self) -> None:
        """Params when the URL has some, else Headers when there are headers, else Body when there is one."""
        spec = self.to_spec()
        if query_params(spec.url):
            self.tabs.setCurrentIndex(0)
        elif spec.enabled_headers():
            self.tabs.setCurrentIndex(1)
        elif spec.body.kind != "none":
            self.tabs.setCurrentIndex(2)

    def set_busy(self, busy: bool) -> None:
        """While sending, Cancel takes Send's place (one button's width: the URL keeps the room)."""
        self.send_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.send_button.setVisible(not busy)
        self.cancel_button.setVisible(busy)

    def focus_url(self) -> None:
        self.url_edit.setFocus()
        self.url_edit.selectAll()

    # -- a curl command pasted into the URL bar becomes the request ------------------------------------
    def _maybe_curl_pasted(self, text: str) -> None:
        before, self._url_before_edit = self._url_before_edit, text
        # A paste, not typing: the text grew by more than a few characters at once and reads as curl.
        if text.lstrip().lower().startswith("curl") and len(text) - len(before) > 8:
            # After this edit's signals have all run: the import replaces the URL the other slots still see.
            QTimer.singleShot(0, self, lambda: self.import_curl(text, url_before=before))

    def import_curl(self, text: str, url_before: str | None = None) -> bool:
        """Fill the form from a curl command; a flag it cannot honour is reported, never dropped silently."""
        from inspector.core.export import CurlFilesNeeded, parse_curl

        try:
            try:
                imported = parse_curl(text)
            except CurlFilesNeeded as needed:
                if not self.confirm_curl_files(needed.paths):
                    if url_before is not None:  # the pasted command goes; what was there before comes back
                        self.url_edit.setText(url_before)
                        self._url_before_edit = url_before
                    self.show_message(
                        "The curl command was not imported: it reads local files you did not allow.")
                    return False
                imported = parse_curl(text, read_files=True)
        except InspectorError as exc:
            self.show_message(f"This curl command cannot be imported: {exc}")
            if self.view_state.safe:  # the command stays in the URL bar to be fixed: shown masked meanwhile
                self._mask_fields()
            return False
        profile = self.to_spec().profile
        self.set_spec(replace(imported.spec, profile=imported.spec.profile or profile))
        self._url_before_edit = self.url_edit.text()
        notes = list(imported.warnings)
        if notes:
            self.show_message("Imported from curl, but: " + " ".join(notes))
        else:
            self.show_message("Imported from curl.", error=False)
        self.curl_imported.emit(notes)
        return True

    def _ask_curl_files(self, paths: tuple[tuple[str, Path], ...]) -> bool:
        from PySide6.QtWidgets import QMessageBox

        listed = "\n".join(f"{path}   (for {option})" for option, path in paths)
        box = QMessageBox(QMessageBox.Icon.Warning, "Read local files?",
                          "The pasted curl command reads these files from your computer into the request:\n\n"
                          f"{listed}\n\nRead them only if you trust the command.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the paths come from pasted text
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return run_dialog(box) == QMessageBox.StandardButton.Yes

    # -- URL and params kept in step ---------------------------------------------------------------------
    def _on_url_changed(self, text: str) -> None:
        if not self._syncing:
            self._url_touched = True
            self._syncing = True
            try:
                self.params_table.set_rows([(k, v, True) for k, v in query_params(text)])
            finally:
                self._syncing = False
        self._validate_url_live(text)
        self._on_form_changed()

    def _validate_url_live(self, text: str) -> None:
        if not text.strip() or "{{" in text:  # {{variables}} are checked when they are substituted (send)
            self.show_message("")
            return
        try:
            validate_url(text)
        except RequestError as exc:
            # while typing, say what is wrong without shouting about the first letters of a URL
            self.show_message(str(exc), error=self._url_touched and len(text) > 7)
            return
        self.show_message("")

    def _on_params_edited(self) -> None:
        if self._syncing:
            return
        params = [(n, v) for n, v, _ in self.params_table.rows() if n or v]
        url = url_with_params(self.url_source(), params)
        self._syncing = True
        try:
            if self._real_url is not None:  # screen-share-safe: keep the real URL, show it masked
                self._real_url = url
                self.url_edit.setText(mask_url(url))
            else:
                self.url_edit.setText(url)
        finally:
            self._syncing = False
        self._validate_url_live(self.url_source())
        self._on_form_changed()

    # -- body --------------------------------------------------------------------------------------------
    def _on_body_kind_changed(self) -> None:
        kind = self.body_kind_combo.currentData() or "none"
        pages = {"none": 0, "json": 1, "text": 1, "form": 2, "multipart": 3}
        self.body_stack.setCurrentIndex(pages.get(kind, 0))
        self.format_button.setVisible(kind == "json")
        self.add_file_button.setVisible(kind == "multipart")
        self._set_placeholder()
        self._check_body()
        self._on_form_changed()

    def _set_placeholder(self) -> None:
        if self._large_body is None:
            kind = self.body_kind_combo.currentData() or "none"
            self.body_text.setPlaceholderText('{"name": "value"}' if kind == "json" else "Text to send")

    def _schedule_body_check(self) -> None:
        self._body_timer.start()
        self._on_form_changed()

    def _check_body(self) -> None:
        """JSON validation as you type: where the mistake is, or that it is fine (a body held aside as too
        large to edit is checked in the helper process: parsing megabytes takes a tenth of a second)."""
        if self._body_jobs is not None:
            self._body_jobs.cancel("check")
        kind = self.body_kind_combo.currentData()
        if kind != "json":
            self.body_status.clear()
            return
        large = self._large_body
        text = self.body_source()
        if not text or text.isspace():
            self._show_json_check("Empty JSON body", self.theme.muted_text)
            return
        if len(text) > LARGE_PARSE_CHARS:  # (also a body put in the editor with Edit here anyway)
            self._show_json_check(f"Not checked: more than {format_size(LARGE_PARSE_CHARS)}", self.theme.muted_text)
            return
        if large is not None:
            self._show_json_check("Checking the JSON…", self.theme.muted_text)
            self._start_body_job("check", functools.partial(json_problem, large), self._show_json_problem,
                                 lambda error: self._show_json_check(f"Not checked: {error}", self.theme.muted_text))
            return
        self._show_json_problem(json_problem(text))

    def _show_json_problem(self, problem: str | None) -> None:
        if problem is None:
            self._show_json_check("Valid JSON", self.theme.ok_text)
        else:
            self._show_json_check(problem, self.theme.error_text)

    def _show_json_check(self, text: str, colour: str) -> None:
        self.body_status.setText(text)
        self.body_status.setStyleSheet(label_color_style(colour))

    def _start_body_job(self, slot: str, call: Callable[[], T], on_done: Callable[[T], object],
                        on_failed: Callable[[BaseException], object]) -> None:
        """A held body's work in BODY_SLOTS, in the helper process (JobRunner.start_in_helper: json's parser and
        the masking's regular expressions hold the interpreter over a body of megabytes, on a thread too): its
        JSON check, formatting, masked start and secret values; one of each at a time, a newer one replacing
        the older. on_failed: the helper failed (HelperFailed: it ran out of memory, say). None once the editor
        is closed (shutdown)."""
        if self._closed:
            return
        if self._body_jobs is None:
            self._body_jobs = JobRunner(self, name="RequestEditor")
        self._body_jobs.start_in_helper(slot, call, on_done=on_done, on_failed=on_failed)

    def format_json_body(self) -> None:
        large = self._large_body
        if large is None and self._real_body is not None:
            self._show_json_check("Not formatted while the body is masked (screen-share-safe mode)",
                                  self.theme.muted_text)
            return
        text = self.body_source()
        if len(text) > LARGE_PARSE_CHARS:
            self._show_json_check(f"Not formatted: more than {format_size(LARGE_PARSE_CHARS)}",
                                  self.theme.muted_text)
            return
        if large is None:
            self._formatted(text, formatted_json(text))
            return
        self._show_json_check("Formatting…", self.theme.muted_text)  # in the helper: a held body is large
        self._start_body_job("format", functools.partial(formatted_json, large),
                             lambda out: self._formatted(large, out),
                             lambda error: self._show_json_check(f"Not formatted: {error}", self.theme.error_text))

    def _formatted(self, source: str, out: str | None) -> None:
        if self._large_body is not None and self._large_body is not source:
            return  # the body changed meanwhile
        if out is None:
            self._check_body()
            return
        self._set_body_text(out)  # held aside when it grew past LARGE_EDIT_CHARS
        self._schedule_body_check()

    # -- a body too large to edit here ---------------------------------------------------------------------
    def _set_body_text(self, text: str, *, undo_to: str | None = None) -> None:
        """Put a body in the editor. One over LARGE_EDIT_CHARS is held aside: the editor shows its start,
        read-only, and a bar above it says so, with Edit here anyway, Clear, and Undo paste when a paste
        brought it (`undo_to`: the body before). Laying out megabytes in the editor holds the window for
        seconds, a long line again at every key. It is sent whole."""
        self._undo_body = undo_to
        if len(text) > LARGE_EDIT_CHARS:
            self._large_body = text
            self._real_body = None
            self._show_large_body()
            return
        if self._large_body is not None:
            self._leave_large_body()
        self.body_text.setPlainText(text)
        if self.view_state.safe:
            self._mask_fields()  # what comes into the editor in screen-share-safe mode shows masked

    def _leave_large_body(self) -> None:
        self._large_body = None
        self._undo_body = None
        self._held = None
        if self._body_jobs is not None:
            for slot in BODY_SLOTS:
                self._body_jobs.cancel(slot)
        if self._waiting_message is not None:  # it waited for the body that goes: shown for the new one
            QTimer.singleShot(0, self, self._show_waiting_message)
        self.large_body_bar.hide()
        self.body_text.setReadOnly(False)
        self.body_text.setToolTip("")
        self._set_placeholder()

    def _show_large_body(self) -> None:
        text = self._large_body
        assert text is not None
        safe = self.view_state.safe
        kind = self.body_kind_combo.currentData() or "none"
        if self._body_jobs is not None:
            self._body_jobs.cancel("mask")
        if safe and len(text) > LARGE_PARSE_CHARS:
            self._show_preview("", "Not shown in screen-share-safe mode: too large to mask here")
        elif safe:
            # the whole is masked, then cut (a cut JSON document could not be read to find its secrets): on a
            # worker; nothing of it shows meanwhile
            self._show_preview("", "Masking the body for screen-share-safe mode…")

            def masked(shown: str) -> None:
                if self._large_body is text and self.view_state.safe:
                    self._show_preview(shown[:LARGE_PREVIEW_CHARS])

            def unmasked(error: BaseException) -> None:
                if self._large_body is text and self.view_state.safe:
                    self._show_preview("", f"Not shown in screen-share-safe mode: it could not be masked ({error})")

            mask = functools.partial(mask_body_text, text, CONTENT_TYPE_FOR_KIND.get(kind))
            self._start_body_job("mask", mask, masked, unmasked)
        else:
            self._show_preview(text[:LARGE_PREVIEW_CHARS])
        lines = text.count("\n") + 1
        size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        self.large_body_label.setText(
            f"This body is {format_size(size)} ({lines:,} "
            f"line{'s' if lines != 1 else ''}): too large to edit here smoothly. Below are its first "
            f"{LARGE_PREVIEW_CHARS // 1024} KB, read-only; it is sent whole.")
        self.edit_large_button.setEnabled(not safe)
        self.edit_large_button.setToolTip(_MASKED_EDIT_TIP if safe else _EDIT_ANYWAY_TIP)
        self.undo_paste_button.setVisible(self._undo_body is not None)
        self.large_body_bar.show()

    def _show_preview(self, text: str, placeholder: str = "") -> None:
        with QSignalBlocker(self.body_text):
            self.body_text.setPlainText(text)
        self.body_text.setReadOnly(True)
        self.body_text.setPlaceholderText(placeholder)
        self.body_text.setToolTip("The start of a body too large to edit here (see above)")

    def _on_large_paste(self, text: str) -> None:
        self._set_body_text(text, undo_to=self.body_source())
        self._schedule_body_check()

    def undo_large_paste(self) -> None:
        """Undo paste (also Ctrl+Z in the held body): the body as it was before the paste that brought it."""
        before = self._undo_body
        if before is None or self._large_body is None:
            return
        self._set_body_text(before)
        self._schedule_body_check()

    def edit_large_body(self) -> None:
        """Edit here anyway: the whole body goes into the editor (the user chose to wait for it)."""
        text = self._large_body
        if text is None or self.view_state.safe:
            return
        from PySide6.QtWidgets import QApplication

        self._leave_large_body()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            with QSignalBlocker(self.body_text):
                self.body_text.setPlainText(text)
        finally:
            QApplication.restoreOverrideCursor()
        self._check_body()  # (a check or a formatting under way was dropped with the held body)

    def clear_body(self) -> None:
        self._set_body_text("")
        self._schedule_body_check()

    def shutdown(self) -> None:
        """The tab closes: the body's jobs are dropped (their threads end on their own) and no new one starts
        (the closed tab still hears the window's mode and theme until it is freed)."""
        self._closed = True
        if self.pages_built:
            self._body_timer.stop()
        if self._body_jobs is not None:
            self._body_jobs.close()

    def _choose_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # not needed to show the editor

        path, _ = QFileDialog.getOpenFileName(self, "File to upload")
        if path:
            self.multipart_table.add_file(Path(path).stem or "file", path)
            self._on_form_changed()

    def _on_form_changed(self) -> None:
        self._update_content_type_hint()
        if not self._syncing:
            self.spec_changed.emit()

    def _update_content_type_hint(self) -> None:
        if not self.pages_built:  # shown on the Headers page: set when it is built
            return
        kind = self.body_kind_combo.currentData() or "none"
        user = [v for n, v, e in self.headers_table.rows() if e and n.strip().lower() == "content-type"]
        if user:
            text = f"Content-Type: {user[-1]} (your header; the body kind does not change it)"
        elif kind == "multipart":
            text = "Content-Type: multipart/form-data with a boundary (set when sending, from the body kind)"
        elif kind in CONTENT_TYPE_FOR_KIND:
            text = f"Content-Type: {CONTENT_TYPE_FOR_KIND[kind]} (from the body kind)"
        else:
            text = "No Content-Type: the request has no body"
        self.content_type_hint.setText(text)
        self.content_type_hint.setStyleSheet(label_color_style(self.theme.muted_text))
