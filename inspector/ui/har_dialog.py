"""HAR files: import one (from a browser's developer tools) to explain its entries offline or re-send them;
and `export_har`, which writes exchanges as a masked HAR 1.2 file.

Embedding API:

    dialog = HarDialog(path=None, parent=None, *, choose_open_path=None, expectations=None, clock=None,
                       view=None)
        path               a HAR file to load at once (else the user picks one with "Open HAR file…")
        choose_open_path(parent, caption, name_filter) -> str | None   default QFileDialog
        expectations       core.diagnosis.Expectations for the explainer (audience, issuer, ...); no JWKS URL
                           is needed: nothing is fetched, the recorded responses are explained as they are
        clock() -> datetime   for the embedded ExplainerPanel's relative times
        view               the window's ViewState (screen-share-safe mode, theme); None: the dialog's own
    Signals
        open_requested(RequestSpec)     "Open in editor": the entry's request as the browser sent it
        resend_requested(RequestSpec)   "Re-send": send it again
        save_requested(RequestSpec)     "Save to collection…"
        loaded(int)                     a file was read: how many entries
        load_failed(str)                a file could not be read: the sentence shown to the user
    Methods
        load(path) -> bool              read a file; on failure the dialog shows what is wrong (no traceback);
                                        over 1 MB it is read on a job (loading; loaded/load_failed at the end)
        load_text(text, name) -> bool   the same for text in memory (a paste, a drop)
        entries() -> list[HarEntry];  select(row);  current_entry() -> HarEntry | None
        diagnosis(row) -> Diagnosis     explain_recorded() of the recorded exchange, once per entry
        error_text() -> str             the message shown for the last failed load ("" after a good one)
        set_screen_share_safe(on)       sets the mode on the dialog's ViewState (the embedded ExplainerPanel
                                        follows it); URLs are always masked here
        explainer: ExplainerPanel;  table: QTableView (its model: entries_model)

    export_har(items, path, *, include_secrets=False, comment="") -> int
        items: SendResults (their secrets are masked) or (exchange, diagnosis) pairs (history records)
        items: (Exchange, Diagnosis | plain dict | None) pairs, oldest first. Writes one HAR 1.2 file with
        one entry per hop, masked unless include_secrets, atomically; returns the number of entries.
        Raises ExportError naming the file when it cannot be written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.core import redact
from inspector.core.diagnosis import Diagnosis, Expectations, explain_recorded
from inspector.core.errors import ExportError
from inspector.core.exchange import Exchange
from inspector.core.export import (
    HarEntry,
    dump_har,
    exchange_to_har_entries,
    parse_har,
    to_har,
)
from inspector.core.files import atomic_write, describe_os_error
from inspector.core.redact import exchange_redactor
from inspector.core.units import format_size
from inspector.ui.explainer_panel import ExplainerPanel
from inspector.ui.theme import Theme, label_color_style
from inspector.ui.view_state import MaskedLabel, ViewState, plain_tip

if TYPE_CHECKING:
    from inspector.core.pipeline import SendResult
    from inspector.core.request import RequestSpec
    from inspector.ui.jobs import JobRunner

__all__ = ["HarDialog", "export_har"]

ChooseOpenPath = Callable[[QWidget, str, str], "str | None"]
HAR_FILTER = "HAR files (*.har *.json);;All files (*)"
COLUMNS = ("Method", "URL", "Status", "Notes")


def export_har(
    items: Iterable[SendResult | tuple[Exchange, Diagnosis | None]],
    path: str | Path,
    *,
    include_secrets: bool = False,
    comment: str = "",
) -> int:
    """Write the exchanges as one HAR 1.2 file (masked unless include_secrets); returns the entry count."""
    entries: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, tuple):
            exchange, diagnosis = item
            secrets = redact.NO_SECRETS
        else:
            exchange, diagnosis, secrets = item.exchange, item.diagnosis, item.secrets
        entries += exchange_to_har_entries(
            exchange, diagnosis, include_secrets=include_secrets, extra_secret_names=secrets.names,
            redactor=secrets.redactor() if secrets.values else None,
        )
    text = dump_har(to_har(entries, comment=comment))
    target = Path(path)
    # a half-written file must never replace a good one: core.files writes beside it, then renames over it
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as exc:
        why = describe_os_error(exc, target)[1]
        raise ExportError(
            f"The HAR file {target} could not be written ({why}): choose another folder or file."
        ) from None
    return len(entries)


def _choose_open_path(parent: QWidget, caption: str, name_filter: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, caption, "", name_filter)
    return path or None


def _status_text(entry: HarEntry) -> str:
    ex = entry.exchange
    codes = [str(h.status) for h in ex.request_hops if h.status is not None]
    if ex.error is not None or not codes:
        return "no response"
    return " → ".join(codes)


def _notes_text(entry: HarEntry) -> str:
    notes = []
    if entry.from_cache:
        notes.append(f"from {entry.from_cache} cache")
    if len(entry.exchange.request_hops) > 1:
        notes.append(f"{len(entry.exchange.request_hops)} hops")
    if any(h.role == "token" for h in entry.exchange.hops):
        notes.append("token request")
    return ", ".join(notes)


# A small HAR file is read and parsed at once (milliseconds); a bigger one on a job, the dialog saying so
# meanwhile (closing it drops the reading). Reading one takes several times its size in memory: a file over
# MAX_HAR_BYTES is refused with a sentence.
SYNC_HAR_BYTES = 2**20
MAX_HAR_BYTES = 50 * 2**20

READ_SLOT = "read-har"


def _cannot_read(path: Path, exc: OSError) -> str:
    return f"The file {path} cannot be read ({exc.strerror or exc})."


Row = tuple[str, str, str, str, int | None, bool]  # method, masked URL, status, notes, status code, from a cache


def _row_of(entry: HarEntry) -> Row:
    """What the table shows of an entry (plain values: also made on a job)."""
    final = entry.exchange.final_hop
    response = entry.exchange.response
    return (final.method if final else entry.spec.method,
            redact.mask_url(entry.spec.url),  # a key in a query string must not reach the screen
            _status_text(entry), _notes_text(entry), response.status if response else None, bool(entry.from_cache))


def _read_har(target: Path) -> tuple[list[HarEntry], list[Row]]:
    """A job's work: the file's entries and the table's rows, read in pieces (loads_in_pieces) with the cyclic
    collector paused (jobs.collector_paused): either would otherwise stop the window for most of a second on a
    large file."""
    from inspector.ui.jobs import collector_paused

    data = target.read_bytes()
    with collector_paused():
        entries = parse_har(data)
        return entries, [_row_of(e) for e in entries]


#: a closed dialog lets go of more entries than this a piece at a time (HarDialog.done)
LET_GO_IN_PIECES = 2000
LET_GO_PER_STEP = 300  # items freed in one event-loop turn: 1-3 ms of a large file's entries


class _LetGo(QObject):
    """Empties lists LET_GO_PER_STEP items a turn of the event loop, on the UI thread, then deletes itself
    (parented to the application: it outlives the dialog). Each item's objects are freed in a call of their
    own, where a list freed whole frees everything in one call (24,000 entries: 70-80 ms).

    Not on a job: a thread that frees a piece and yields (or sleeps a moment) asks for the interpreter again at
    once, and while another job was busy too (the next file being read) the two passed it between them and the
    UI thread, third in line, waited 100-550 ms."""

    def __init__(self, *lists: list[Any]) -> None:
        super().__init__(QCoreApplication.instance())
        self._lists = [items for items in lists if items]
        QTimer.singleShot(0, self._step)

    def _step(self) -> None:
        budget = LET_GO_PER_STEP
        while self._lists and budget:
            items = self._lists[-1]
            for _ in range(min(budget, len(items))):
                items.pop()
                budget -= 1
            if not items:
                self._lists.pop()
        if self._lists:
            QTimer.singleShot(0, self._step)
        else:
            self.deleteLater()


_CACHE_TIP = "The browser answered from its cache: this request never reached the server."
_NO_INDEX = QModelIndex()


class _EntriesModel(QAbstractTableModel):
    """The entries' rows, read by the view for the rows on screen only: a table widget made an item for each
    cell of 24,000 entries on the UI thread (0.5-0.75 s)."""

    def __init__(self, view_state: ViewState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._view_state = view_state
        view_state.follow_theme(self._restyle)

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def take_rows(self) -> list[Row]:
        """The rows, the model left empty."""
        rows = self._rows
        self.set_rows([])
        return rows

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 1:
                return plain_tip(row[1])
            if col == 3 and row[5]:
                return _CACHE_TIP
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            return self._view_state.theme.status_color(row[4])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def _restyle(self, _theme: Theme) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 2), self.index(len(self._rows) - 1, 2),
                                  [Qt.ItemDataRole.ForegroundRole])


class HarDialog(QDialog):
    """A HAR file's requests; choosing one explains its recorded answer offline. See the module text."""

    open_requested = Signal(object)  # RequestSpec
    resend_requested = Signal(object)  # RequestSpec
    save_requested = Signal(object)  # RequestSpec: "Save to collection…"
    loaded = Signal(int)
    load_failed = Signal(str)

    def __init__(
        self,
        path: str | Path | None = None,
        parent: QWidget | None = None,
        *,
        choose_open_path: ChooseOpenPath | None = None,
        expectations: Expectations | None = None,
        clock: Callable[[], datetime] | None = None,
        view: ViewState | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("harDialog")
        self.view_state = view or ViewState(self)
        self.setWindowTitle("Import HAR file")
        self._choose_open_path = choose_open_path or _choose_open_path
        # nothing here may reach the network: the explainer judges what was recorded, without a JWKS fetch
        self._expectations = replace(expectations or Expectations(), jwks_url=None)
        self._entries: list[HarEntry] = []
        self._diagnoses: dict[int, Diagnosis] = {}
        self._error = ""
        self._jobs: JobRunner | None = None  # made for the first file read on a job

        self.open_file_button = QPushButton("Open HAR file…")
        self.open_file_button.setObjectName("harOpenFile")
        self.open_file_button.setToolTip(
            "Read a HAR file saved from a browser's developer tools (Network tab)")
        self.open_file_button.clicked.connect(self.choose_file)
        # The file's name, the parser's complaint and the entry's notes quote the file: plain text, masked.
        self.file_label = MaskedLabel(self.view_state, "No file loaded.", name="harFile")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = MaskedLabel(self.view_state, name="harError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view_state.follow_theme(self._style_error)
        self.error_label.hide()

        self.table = QTableView()
        self.table.setObjectName("harEntries")
        self.entries_model = _EntriesModel(self.view_state, self)
        self.table.setModel(self.entries_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().setVisible(False)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setResizeContentsPrecision(0)  # fitted to the rows on screen: not to a thousand rows of each column
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda _new, _old: self._selection_changed())
        self.table.doubleClicked.connect(lambda _i: self._emit(self.open_requested))

        self.notes_label = MaskedLabel(self.view_state, name="harNotes")
        self.notes_label.setWordWrap(True)
        self.explainer = ExplainerPanel(clock=clock, view=self.view_state)
        self.explainer.setObjectName("harExplainer")
        self.explainer.placeholder.setText(
            "Choose a request on the left: its recorded answer is explained here, without sending anything."
        )
        self.explainer.paste_box.hide()  # decoding a pasted token belongs to the main window's pane

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.notes_label)
        rl.addWidget(self.explainer, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([520, 580])  # the URL column needs the room more than the explainer's margins

        self.open_button = QPushButton("Open in editor")
        self.open_button.setObjectName("harOpenInEditor")
        self.open_button.setToolTip(
            "Put this request in the editor (its credentials as the browser sent them)")
        self.open_button.clicked.connect(lambda: self._emit(self.open_requested))
        self.resend_button = QPushButton("Re-send")
        self.resend_button.setObjectName("harResend")
        self.resend_button.setToolTip("Send this request again now")
        self.resend_button.clicked.connect(lambda: self._emit(self.resend_requested))
        self.save_button = QPushButton("Save to collection…")
        self.save_button.setObjectName("harSaveToCollection")
        self.save_button.setToolTip("Keep this request in a collection (its credentials become variables)")
        self.save_button.clicked.connect(lambda: self._emit(self.save_requested))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.resend_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(self.open_file_button)
        top.addWidget(self.file_label, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.error_label)
        lay.addWidget(splitter, 1)
        lay.addWidget(buttons)
        self.resize(1100, 700)
        self._update_buttons()
        if path is not None:
            self.load(path)

    # -- loading -------------------------------------------------------------------------------------------
    def choose_file(self) -> bool:
        path = self._choose_open_path(self, "Open a HAR file", HAR_FILTER)
        return self.load(path) if path else False

    def load(self, path: str | Path) -> bool:
        """Read a HAR file; a file that cannot be used is explained in the dialog, never raised. A file over
        SYNC_HAR_BYTES is read on a job: True then means the reading started, and `loaded` or `load_failed`
        says how it ended. False when the file was refused or could not be read."""
        target = Path(path)
        try:
            size = target.stat().st_size
            if size > MAX_HAR_BYTES:
                return self._fail(
                    f"The file {target} is {format_size(size)}: HAR files over "
                    f"{format_size(MAX_HAR_BYTES)} are not opened here (reading one takes several times its "
                    "size in memory). Export fewer requests, or without response bodies, from the browser."
                )
            if size > SYNC_HAR_BYTES:
                self._read_on_a_job(target, size)
                return True
            data = target.read_bytes()
        except OSError as exc:
            return self._fail(_cannot_read(target, exc))
        return self.load_text(data, str(target))

    def load_text(self, text: str | bytes, name: str = "pasted text") -> bool:
        self.cancel_loading()
        try:
            entries = parse_har(text)
        except ExportError as exc:
            return self._fail(f"{name}: {exc}")
        self._show_loaded(entries, name)
        return True

    @property
    def loading(self) -> bool:
        """Whether a file is being read on a job."""
        return self._jobs is not None and self._jobs.current(READ_SLOT) is not None

    def cancel_loading(self) -> None:
        """Drop the reading in progress (its result is not shown)."""
        if self.loading and self._jobs is not None:
            self._jobs.cancel(READ_SLOT)
            self.notes_label.setText("Reading stopped.")
            self._update_buttons()

    def done(self, result: int) -> None:
        """Closing the dialog (Close, Esc, the window's close button) stops a reading in progress, and lets go
        of a large file's entries a piece at a time (_LetGo): the window frees the dialog next, and freeing
        24,000 entries at once held the UI thread for 70-80 ms."""
        self.cancel_loading()
        super().done(result)
        if len(self._entries) > LET_GO_IN_PIECES:
            entries, rows = self._entries, self.entries_model.take_rows()
            self._entries, self._diagnoses = [], {}
            self.explainer.clear()
            _LetGo(entries, rows)

    def _runner(self) -> JobRunner:
        if self._jobs is None:
            from inspector.ui.jobs import JobRunner

            self._jobs = JobRunner(self, name="HarDialog")
        return self._jobs

    def _read_on_a_job(self, target: Path, size: int) -> None:
        jobs = self._runner()
        name = str(target)
        self._error = ""
        self.error_label.hide()
        self._set_entries([])
        self.file_label.setText(name)
        self.file_label.setToolTip(plain_tip(name))
        self.notes_label.setText(f"Reading {format_size(size)}… (closing the dialog stops it)")
        jobs.start(READ_SLOT, lambda _job: _read_har(target),
                         on_done=lambda read: self._show_loaded(read[0], name, read[1]),
                         on_failed=lambda exc: self._read_failed(target, exc))
        self._update_buttons()

    def _read_failed(self, target: Path, exc: BaseException) -> None:
        if isinstance(exc, OSError):
            self._fail(_cannot_read(target, exc))
        elif isinstance(exc, ExportError):
            self._fail(f"{target}: {exc}")
        else:
            raise exc  # a bug: the app's excepthook shows it
        self.notes_label.clear()
        self._update_buttons()

    def _show_loaded(self, entries: list[HarEntry], name: str, rows: list[Row] | None = None) -> None:
        self._error = ""
        self.error_label.hide()
        self.file_label.setText(name)
        self.file_label.setToolTip(plain_tip(self.file_label.text()))
        self._set_entries(entries, rows)
        if not entries:
            self.notes_label.setText("The file holds no requests.")
        self.loaded.emit(len(entries))

    def _fail(self, message: str) -> bool:
        self._error = message
        self.error_label.setText(message)
        self.error_label.show()
        self.load_failed.emit(message)
        return False

    def _set_entries(self, entries: list[HarEntry], rows: list[Row] | None = None) -> None:
        self._entries = entries
        self._diagnoses = {}
        self.explainer.clear()
        self.notes_label.clear()
        self.entries_model.set_rows(rows if rows is not None else [_row_of(e) for e in entries])
        self._update_buttons()

    # -- the contract --------------------------------------------------------------------------------------
    def entries(self) -> list[HarEntry]:
        return list(self._entries)

    def error_text(self) -> str:
        return self._error

    def select(self, row: int) -> None:
        self.table.selectRow(row)

    def current_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def current_entry(self) -> HarEntry | None:
        row = self.current_row()
        return self._entries[row] if row is not None and row < len(self._entries) else None

    def diagnosis(self, row: int) -> Diagnosis:
        """The explanation of the recorded exchange at this row, offline (computed once). A credential the file
        holds masked is judged by the token recorded with the file's own explanation, never as sent."""
        if row not in self._diagnoses:
            entry = self._entries[row]
            self._diagnoses[row] = explain_recorded(entry.exchange, self._expectations, entry.diagnosis)
        return self._diagnoses[row]

    def set_screen_share_safe(self, on: bool) -> None:
        self.view_state.set_safe(on)  # the explainer and the labels follow it

    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    # -- inside --------------------------------------------------------------------------------------------
    def _style_error(self, theme: Theme) -> None:
        self.error_label.setStyleSheet(label_color_style(theme.error_text, bold=True))

    def _selection_changed(self) -> None:
        row = self.current_row()
        if row is None or row >= len(self._entries):
            self.explainer.clear()
            self.notes_label.clear()
        else:
            self.explainer.set_result(self._entries[row].exchange, self.diagnosis(row))
            self._show_notes()
        self._update_buttons()

    def _show_notes(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        # notes quote the file; scrub anything the entry sent or received that is secret
        scrub = exchange_redactor(entry.exchange).scrub
        lines = [scrub(n) for n in entry.notes]
        lines.append("Explained from the recorded response: nothing was sent.")
        self.notes_label.setText("\n".join(lines))

    def _update_buttons(self) -> None:
        has = self.current_entry() is not None
        self.open_button.setEnabled(has)
        self.resend_button.setEnabled(has)
        self.save_button.setEnabled(has)

    def _emit(self, signal: Any) -> None:
        entry = self.current_entry()
        if entry is not None:
            spec: RequestSpec = entry.spec
            signal.emit(spec)
