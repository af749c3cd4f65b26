"""The history pane: past exchanges newest first, paged lazily from the sqlite store, with filters and
actions.

Embedding API:

    pane = HistoryPane(store, *, ask=None, inform=None, choose_save_path=None, clock=None, page_size=200,
                       view=None)
        view               the window's ViewState (screen-share-safe mode, theme); None: the pane's own
        store              an open inspector.core.history.HistoryStore (the pane never closes it)
        ask(parent, title, text) -> bool           confirmation (delete, clear, lower retention); default
                                                   a QMessageBox; tests pass a function
        inform(parent, title, text) -> None        an error or notice in words; default a QMessageBox
        choose_save_path(parent, caption, suggested_name, name_filter) -> str | None
                                                   where to write the HAR export; default QFileDialog
        clock() -> datetime                        UTC-aware "now" for the relative times in tool tips

    Signals
        open_requested(HistoryRecord)      Enter / double-click / "Open in editor": put record.spec in the
                                           editor and show record.exchange with record.diagnosis
        resend_requested(HistoryRecord)    "Re-send" (Ctrl+R): send record.spec again
        report_requested(HistoryRecord)    "Report…": open ReportDialog(record.exchange, record.diagnosis)
        curl_requested(HistoryRecord)      "Copy as curl…": open CurlDialog(record.exchange)
        har_exported(str)                  the path a HAR export of the selection was written to
        entries_removed(int)               after a delete, a clear or a trim: how many entries went
        retention_changed(int)             the user changed "keep the newest N" (persist it in settings);
                                           after the oldest entries beyond it are gone

    Methods
        refresh()                  call after store.add(): new rows appear at the top, selection and scroll
                                   kept
        reload()                   drop what is loaded and start again from the first page
        set_filters(text=None, status=None, verdict=None)   also what the filter bar does
        selected_ids() -> list[int];  select_ids(ids);  current_record() -> HistoryRecord | None
        open_selected(), resend_selected(), report_selected(), export_selected(path=None), delete_selected(),
        clear_all()                the actions, callable directly (tests, menus of the main window)
        set_keep(n)                the retention limit; lowering it trims the store
        shutdown()                 stop a trim or clear in flight (the window calls it when it closes)
        set_screen_share_safe(on)  the rows are masked by the store already; URLs are masked again on display
                                   (sets the mode on the pane's ViewState, which the model follows)
        model: HistoryModel        loaded_rows, total, pages_fetched, fetch_ms (each page's query + insert)
        table: QTableView          actions: open_action, resend_action, report_action, curl_action,
                                   export_action, delete_action, clear_action (QActions, for menus)

Paging: the model asks the store for one page (200 rows) at a time through canFetchMore/fetchMore, which the
view calls when its last loaded row scrolls into sight. Each page is one indexed query (ORDER BY id DESC
LIMIT/OFFSET, a few ms on 50,000 rows), so it runs on the UI thread. Clearing the store and trimming it to a
lowered limit delete thousands of rows, and so may deleting the selected entries: they run as jobs (TRIM_SLOT,
CLEAR_SLOT, DELETE_SLOT), in short batches; the list drops the rows at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.diagnosis import VERDICT_TITLES, VERDICTS
from inspector.core.errors import InspectorError
from inspector.core.history import HistoryRecord, HistoryRow, HistoryStore
from inspector.core.redact import mask_url
from inspector.core.timeline import describe_relative
from inspector.ui.jobs import JobRunner
from inspector.ui.view_state import ViewState, plain_label, plain_message_box, plain_tip, run_dialog, warn

__all__ = ["COLUMNS", "STATUS_FILTERS", "HistoryModel", "HistoryPane"]

Index = QModelIndex | QPersistentModelIndex
Ask = Callable[[QWidget, str, str], bool]
Inform = Callable[[QWidget, str, str], None]
ChooseSavePath = Callable[[QWidget, str, str, str], "str | None"]

COLUMNS = ("Time", "Method", "URL", "Status", "Verdict", "Elapsed")
COL_TIME, COL_METHOD, COL_URL, COL_STATUS, COL_VERDICT, COL_ELAPSED = range(len(COLUMNS))
# On screen the short columns come first, so a narrow dock still shows when, what came back and the verdict;
# the URL (drawn after its method) takes what is left. Method and Elapsed are hidden at first (the header's
# context menu shows them; Elapsed is also in the status's tool tip). The model's column numbers above do not
# change.
SHOWN_ORDER = (COL_TIME, COL_STATUS, COL_VERDICT, COL_METHOD, COL_URL, COL_ELAPSED)
HIDDEN_AT_FIRST = (COL_METHOD, COL_ELAPSED)
URL_MIN_CHARS = 26  # the default width shows a method, a host and the end of a path
# A verdict in a word or two for the column (the full title, from the findings catalogue, is its tool tip).
VERDICT_WORDS = {
    "ok": "Looks fine",
    "authentication": "Not accepted",
    "authorization": "Refused",
    "step-up": "Step-up needed",
    "proxy-authentication": "Proxy login",
    "not-credential-related": "Not credentials",
    "transport-error": "No response",
}
# label shown in the combo -> the store's status filter
STATUS_FILTERS: tuple[tuple[str, str | None], ...] = (
    ("All statuses", None),
    ("2xx", "2xx"),
    ("3xx", "3xx"),
    ("4xx", "4xx"),
    ("401", "401"),
    ("403", "403"),
    ("5xx", "5xx"),
    ("No response", "none"),
)
_STATUS_WORDS = {2: "success", 3: "redirect", 4: "client error", 5: "server error"}
FILTER_DELAY_MS = 250
# the pane's jobs: deleting thousands of entries takes a second or two, never on the UI thread
TRIM_SLOT, CLEAR_SLOT, DELETE_SLOT = "history-trim", "history-clear", "history-delete"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _ask(parent: QWidget, title: str, text: str) -> bool:
    box = plain_message_box(parent, QMessageBox.Icon.Question, title, text)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return run_dialog(box) == QMessageBox.StandardButton.Yes


def _choose_save_path(parent: QWidget, caption: str, suggested: str, name_filter: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, name_filter)
    return path or None


def verdict_label(verdict: str | None) -> str:
    """A verdict in a few words for a column or a menu ("Not accepted"); a verdict this pane does not know
    yet reads as its title up to a colon."""
    if not verdict:
        return ""
    if verdict in VERDICT_WORDS:
        return VERDICT_WORDS[verdict]
    title = VERDICT_TITLES.get(verdict, verdict)
    return title.split(":", 1)[0].strip() or title


def elide_url(url: str, metrics: QFontMetrics, width: int) -> str:
    """The URL as it fits in width pixels, keeping what tells entries apart: the scheme goes first, then the
    middle of the path, so the host and the end of the path stay ("api.example.com/…/invoices/42"); when
    even the host leaves too little room, the end of the path wins ("…/invoices/42")."""
    if metrics.horizontalAdvance(url) <= width:
        return url
    bare = url.split("://", 1)[1] if "://" in url else url
    if metrics.horizontalAdvance(bare) <= width:
        return bare
    host, slash, rest = bare.partition("/")
    if slash and metrics.horizontalAdvance(host + "/…" + "x" * 8) <= width:
        # the host whole, then as much of the path's end as fits after "/…"
        return host + "/" + metrics.elidedText(rest, Qt.TextElideMode.ElideLeft,
                                               width - metrics.horizontalAdvance(host + "/"))
    return metrics.elidedText(bare, Qt.TextElideMode.ElideLeft, width)  # a long host: the path's end wins


class _UrlDelegate(QStyledItemDelegate):
    """Draws the URL column as "METHOD url", the URL elided by elide_url instead of in the middle."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        row = index.data(Qt.ItemDataRole.UserRole)
        method = f"{row.method} " if isinstance(row, HistoryRow) and row.method else ""
        widget = option.widget
        style = widget.style() if widget is not None else None
        margin = 6
        if style is not None:
            margin = (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1) * 2
        metrics = option.fontMetrics
        width = option.rect.width() - margin - 2 - metrics.horizontalAdvance(method)
        option.text = method + elide_url(option.text, metrics, width)


def format_elapsed(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def format_time(moment: datetime, now: datetime) -> str:
    """Local time: 'HH:MM:SS' today, 'YYYY-MM-DD HH:MM' before."""
    local, local_now = moment.astimezone(), now.astimezone()
    if local.date() == local_now.date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def time_tooltip(moment: datetime, now: datetime) -> str:
    delta = (now - moment).total_seconds()
    when = "in the future" if delta < -1 else f"{describe_relative(delta)} ago"
    return f"{moment.astimezone().strftime('%Y-%m-%d %H:%M:%S %Z')} ({when})"


class HistoryModel(QAbstractTableModel):
    """History rows for a filter, loaded one page at a time; never holds more than has been scrolled to."""

    def __init__(
        self,
        store: HistoryStore,
        *,
        page_size: int = 200,
        clock: Callable[[], datetime] = _utc_now,
        parent: Any = None,
        view: ViewState | None = None,
    ) -> None:
        super().__init__(parent)
        self.view_state = view or ViewState(self)
        self._store = store
        self.page_size = max(1, page_size)
        self._clock = clock
        self._rows: list[HistoryRow] = []
        self._total = 0
        self._deleting: set[int] = set()  # ids a job is deleting from the store: never shown again
        self._filters: dict[str, Any] = {"text": None, "status": None, "verdict": None}
        self.pages_fetched = 0
        self.fetch_ms: list[float] = []  # wall time of each fetchMore: the page query plus the row insert
        self.problem: str | None = None  # why the store cannot be read (a damaged file), shown by the pane
        self.view_state.safe_changed.connect(self._refresh_urls)
        self.view_state.theme_changed.connect(self._refresh_urls)

    def _page(self, offset: int) -> list[HistoryRow]:
        """A page from the store; none (and self.problem says why) when the file cannot be read."""
        try:
            page = self._store.page(offset, self.page_size, **self._filters)
            return [r for r in page if r.id not in self._deleting] if self._deleting else page
        except InspectorError as exc:
            self.problem = str(exc)
            return []

    def store_count(self, filtered: bool = True) -> int:
        """Entries in the store (for the filters, or all); 0 (and self.problem says why) when unreadable."""
        try:
            return self._store.count(**self._filters) if filtered else self._store.count()
        except InspectorError as exc:
            self.problem = str(exc)
            return 0

    # -- state ---------------------------------------------------------------------------------------------
    @property
    def filters(self) -> dict[str, Any]:
        return dict(self._filters)

    @property
    def total(self) -> int:
        """Rows matching the filter in the store (loaded or not)."""
        return self._total

    @property
    def loaded_rows(self) -> int:
        return len(self._rows)

    def row_at(self, row: int) -> HistoryRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of_id(self, entry_id: int) -> int | None:
        # ids are loaded in descending order: bisect would do, a loaded list is at most a few thousand long
        for i, r in enumerate(self._rows):
            if r.id == entry_id:
                return i
        return None

    def set_filters(self, text: str | None, status: str | None, verdict: str | None) -> None:
        self._filters = {"text": text or None, "status": status or None, "verdict": verdict or None}
        self.reload()

    def _refresh_urls(self, *_: object) -> None:
        """Safe mode or the theme changed: the URLs and status colours are read again."""
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    def reload(self) -> None:
        """Forget the loaded rows, count again and load the first page."""
        self.beginResetModel()
        self._rows = []
        self._total = self.store_count()
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def show_nothing(self) -> None:
        """Empty the list at once (the store is being cleared by a job; reload() when it is done)."""
        self.beginResetModel()
        self._rows = []
        self._total = 0
        self.endResetModel()

    def refresh(self) -> int:
        """Put rows added since the last load on top; returns how many. Falls back to reload() when lost."""
        if not self._rows:
            self.reload()
            return len(self._rows)
        top_id = self._rows[0].id
        fresh = [r for r in self._page(0) if r.id > top_id]
        total = self.store_count()
        if len(fresh) >= self.page_size:  # more than a page arrived: the gap cannot be bridged cheaply
            self.reload()
            return len(self._rows)
        if fresh:
            self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
            self._rows[0:0] = fresh
            self.endInsertRows()
        # retention drops the oldest entries: those are the tail of what is loaded, if anything
        if len(self._rows) > total:
            self.beginRemoveRows(QModelIndex(), total, len(self._rows) - 1)
            del self._rows[total:]
            self.endRemoveRows()
        self._total = total
        return len(fresh)

    def remove_ids(self, ids: Iterable[int]) -> None:
        """Drop rows the store no longer has (deleted through this pane) without reloading: one removal per
        run of neighbouring rows, so that deleting thousands of selected rows stays quick."""
        gone = set(ids)
        rows = [i for i, r in enumerate(self._rows) if r.id in gone]
        runs: list[tuple[int, int]] = []  # (first, last), ascending
        for i in rows:
            if runs and runs[-1][1] == i - 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
        for first, last in reversed(runs):  # from the bottom, so the rows above keep their numbers
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
        self._total = max(0, self._total - len(rows))

    def deleting(self, ids: Iterable[int]) -> None:
        """These entries are being deleted from the store by a job: their rows go now, and a page read
        meanwhile does not bring them back."""
        ids = set(ids)
        self._deleting |= ids
        self.remove_ids(ids)

    def deleted(self, ids: Iterable[int]) -> None:
        """The job deleting these entries ended."""
        self._deleting.difference_update(ids)

    # -- lazy loading --------------------------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008  # Qt's own default
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        started = time.perf_counter()
        page = self._page(len(self._rows))
        last_id = self._rows[-1].id if self._rows else None
        # an entry added since the last page shifts the offsets by one: never show a row twice
        page = [r for r in page if last_id is None or r.id < last_id]
        if not page:
            self._total = len(self._rows)  # the store has fewer rows than counted: stop asking
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()
        self.pages_fetched += 1
        self.fetch_ms.append((time.perf_counter() - started) * 1000.0)

    # -- table model ---------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_STATUS:
            return self.view_state.theme.status_color(row.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_STATUS, COL_ELAPSED):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None

    def _url(self, row: HistoryRow) -> str:
        # the store masked the URL before writing it; safe mode masks again in case a rule has grown since
        return mask_url(row.url) if self.view_state.safe else row.url

    def _display(self, row: HistoryRow, col: int) -> str:
        if col == COL_TIME:
            return format_time(row.time, self._clock())
        if col == COL_METHOD:
            return row.method
        if col == COL_URL:
            return self._url(row)
        if col == COL_STATUS:
            return str(row.status) if row.status is not None else "—"
        if col == COL_VERDICT:
            return verdict_label(row.verdict)
        if col == COL_ELAPSED:
            return format_elapsed(row.elapsed_ms)
        return ""

    def _tooltip(self, row: HistoryRow, col: int) -> str | None:
        if col == COL_TIME:
            return time_tooltip(row.time, self._clock())
        if col == COL_URL:
            return plain_tip(self._url(row))  # a URL from a HAR or a server could read as HTML
        if col == COL_STATUS:
            if row.status is None:
                return "No response: the request failed before an answer came back."
            took = f" in {format_elapsed(row.elapsed_ms)}" if row.elapsed_ms is not None else ""
            return f"{row.status} ({_STATUS_WORDS.get(row.status // 100, 'other')}){took}"
        if col == COL_VERDICT and row.verdict:
            return f"{VERDICT_TITLES.get(row.verdict, row.verdict)} ({row.verdict})"
        return None


class _HistoryTable(QTableView):
    """The table; Enter opens the current row (QAbstractItemView would only emit activated on some styles)."""

    def __init__(self, on_enter: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._on_enter = on_enter

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ):
            self._on_enter()
            event.accept()
            return
        super().keyPressEvent(event)


class HistoryPane(QWidget):
    """Past exchanges: filter, reopen, re-send, report, export as HAR, delete; see the module text."""

    open_requested = Signal(object)  # HistoryRecord
    resend_requested = Signal(object)  # HistoryRecord
    report_requested = Signal(object)  # HistoryRecord
    curl_requested = Signal(object)  # HistoryRecord
    save_requested = Signal(object)  # HistoryRecord: "Save to collection…"
    har_exported = Signal(str)
    entries_removed = Signal(int)
    retention_changed = Signal(int)

    def __init__(
        self,
        store: HistoryStore,
        parent: QWidget | None = None,
        *,
        ask: Ask | None = None,
        inform: Inform | None = None,
        choose_save_path: ChooseSavePath | None = None,
        clock: Callable[[], datetime] | None = None,
        page_size: int = 200,
        view: ViewState | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyPane")
        self.store = store
        self.view_state = view or ViewState(self)
        self.jobs = JobRunner(self, name="HistoryPane")
        self._deletes = 0  # delete jobs started: each runs in a slot of its own
        self._working = ""  # what a trim or clear in flight is doing, for the count label
        self._ask = ask or _ask
        self._inform = inform or warn
        self._choose_save_path = choose_save_path or _choose_save_path

        # -- filter bar
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("historyFilterText")
        self.filter_edit.setPlaceholderText("Filter by URL…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setToolTip("Show only entries whose URL contains this text")
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("historyFilterStatus")
        for label, value in STATUS_FILTERS:
            self.status_combo.addItem(label, value)
        self.status_combo.setToolTip("Show only entries with this status")
        self.verdict_combo = QComboBox()
        self.verdict_combo.setObjectName("historyFilterVerdict")
        self.verdict_combo.addItem("All verdicts", None)
        for verdict in VERDICTS:
            self.verdict_combo.addItem(verdict_label(verdict), verdict)
            self.verdict_combo.setItemData(self.verdict_combo.count() - 1,
                                           VERDICT_TITLES.get(verdict, verdict), Qt.ItemDataRole.ToolTipRole)
        for combo, chars in ((self.verdict_combo, 10), (self.status_combo, 8)):  # narrow: the dock is
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(chars)
        self.verdict_combo.setToolTip("Show only entries the explainer gave this verdict")
        # may quote the database's path and error: elided (whole in its tool tip), it never widens the window
        self.count_label = plain_label(name="historyCount", elide=Qt.TextElideMode.ElideMiddle)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._apply_filters)
        self.filter_edit.textChanged.connect(lambda _text: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self._apply_filters)
        self.status_combo.currentIndexChanged.connect(lambda _i: self._apply_filters())
        self.verdict_combo.currentIndexChanged.connect(lambda _i: self._apply_filters())

        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.status_combo)
        bar.addWidget(self.verdict_combo)

        # -- the table
        self.model = HistoryModel(store, page_size=page_size, clock=clock or _utc_now, parent=self,
                                  view=self.view_state)
        self.table = _HistoryTable(self.open_selected)
        self.table.setObjectName("historyTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setAccessibleName("History list")  # named so in the keyboard shortcut list
        self.table.setItemDelegateForColumn(COL_URL, _UrlDelegate(self.table))
        self.table.setShowGrid(False)
        self.table.setSortingEnabled(False)  # the store decides the order: newest first
        vh = self.table.verticalHeader()
        vh.setVisible(False)
        # fixed row heights: the view never measures rows it does not show
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(COL_URL, QHeaderView.ResizeMode.Stretch)
        hh.setHighlightSections(False)
        for visual, col in enumerate(SHOWN_ORDER):
            hh.moveSection(hh.visualIndex(col), visual)
        for col in HIDDEN_AT_FIRST:  # a narrow dock keeps the room for the URL
            hh.hideSection(col)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._header_menu)
        metrics = self.fontMetrics()
        pad = 16  # the cell's margins and a little air
        samples = {COL_TIME: "00:00:00", COL_METHOD: "DELETE", COL_STATUS: "000",
                   COL_VERDICT: max((verdict_label(v) for v in VERDICTS), key=metrics.horizontalAdvance),
                   COL_ELAPSED: "0.00 s"}
        for col, sample in samples.items():
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(COLUMNS[col]))
            self.table.setColumnWidth(col, width + pad)
        hh.setMinimumSectionSize(metrics.horizontalAdvance("M…") + pad)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

        # -- actions: one QAction each, shared by buttons, the context menu and the keys
        def action(text: str, tip: str, slot: Callable[[], object], keys: Iterable[str] = ()) -> QAction:
            act = QAction(text, self)
            act.setIconText(text)  # a button keeps its "…": it says a dialog follows
            act.setToolTip(tip)
            act.setShortcuts([QKeySequence(k) for k in keys])
            # keys work while the table has focus: Del in the filter box must delete a character
            act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            act.triggered.connect(lambda _checked=False: slot())
            self.table.addAction(act)
            return act

        self.open_action = action("Open in editor",
                                  "Open the request in the editor and show its answer (Enter)",
                                  self.open_selected)
        self.resend_action = action("Re-send", "Send this request again (Ctrl+R)", self.resend_selected,
                                    ["Ctrl+R"])
        self.report_action = action("Report…", "Write a support report for this exchange",
                                    self.report_selected)
        self.curl_action = action("Copy as curl…", "Copy this request as a curl command", self.curl_selected)
        self.save_action = action("Save to collection…", "Keep this request in a collection",
                                  self.save_selected)
        self.export_action = action("Export HAR…", "Save the selected entries as a HAR file (secrets masked)",
                                    self.export_selected)
        self.delete_action = action("Delete", "Delete the selected entries (Del)", self.delete_selected,
                                    ["Del"])
        self.clear_action = action("Clear all…", "Delete the whole history", self.clear_all)

        # Two short rows so the pane fits a narrow dock: the common actions, then "More" and the counts.
        buttons = QHBoxLayout()
        for act, name in (
            (self.open_action, "historyOpen"),
            (self.resend_action, "historyResend"),
            (self.report_action, "historyReport"),
        ):
            button = QToolButton()
            button.setObjectName(name)
            button.setDefaultAction(act)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
        more = QToolButton()
        more.setObjectName("historyMore")
        more.setText("More")
        more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more_menu = QMenu(more)
        for act in (self.curl_action, self.save_action, self.export_action, self.delete_action,
                    self.clear_action):
            more_menu.addAction(act)
        more.setMenu(more_menu)
        buttons.addWidget(more)
        buttons.addStretch(1)
        counts = QHBoxLayout()
        counts.addWidget(self.count_label)
        counts.addStretch(1)
        keep_label = QLabel("Keep")
        self.keep_spin = QSpinBox()
        self.keep_spin.setObjectName("historyKeep")
        self.keep_spin.setRange(1, 1_000_000)
        self.keep_spin.setSingleStep(1000)
        self.keep_spin.setGroupSeparatorShown(True)
        self.keep_spin.setSuffix(" newest")
        self.keep_spin.setValue(store.keep)
        self.keep_spin.setKeyboardTracking(False)  # act on the finished number, not on every digit typed
        self.keep_spin.setToolTip("The retention limit: older entries are deleted as new ones arrive")
        self.keep_spin.valueChanged.connect(self._keep_changed)
        keep_label.setBuddy(self.keep_spin)
        counts.addWidget(keep_label)
        counts.addWidget(self.keep_spin)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        lay.addLayout(counts)

        sel = self.table.selectionModel()
        sel.selectionChanged.connect(lambda *_: self._update_actions())
        self.model.modelReset.connect(self._update_actions)
        self.model.rowsInserted.connect(lambda *_: self._update_count())
        self.model.rowsRemoved.connect(lambda *_: self._update_actions())
        self.model.reload()

    def preferred_width(self) -> int:
        """The width that shows time, status, verdict and about URL_MIN_CHARS characters of the URL (the
        dock's first width when the window has the room)."""
        hh = self.table.horizontalHeader()
        others = sum(self.table.columnWidth(col) for col in range(len(COLUMNS))
                     if col != COL_URL and not hh.isSectionHidden(col))
        url = self.fontMetrics().horizontalAdvance("x" * URL_MIN_CHARS)
        chrome = 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width()
        layout = self.layout()
        margins = layout.contentsMargins() if layout is not None else None
        sides = margins.left() + margins.right() if margins is not None else 0
        return others + url + chrome + sides

    # -- filters -------------------------------------------------------------------------------------------
    def set_filters(self, text: str | None = None, status: str | None = None,
                    verdict: str | None = None) -> None:
        """Set the filter bar and apply it now (no debounce)."""
        for combo, value in ((self.status_combo, status), (self.verdict_combo, verdict)):
            combo.blockSignals(True)
            i = combo.findData(value)
            combo.setCurrentIndex(max(0, i))
            combo.blockSignals(False)
        self.filter_edit.blockSignals(True)
        self.filter_edit.setText(text or "")
        self.filter_edit.blockSignals(False)
        self._apply_filters()

    def _apply_filters(self) -> None:
        self._filter_timer.stop()
        self.model.set_filters(
            self.filter_edit.text().strip(), self.status_combo.currentData(), self.verdict_combo.currentData()
        )
        self.table.scrollToTop()

    # -- loading -------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """New entries were added to the store: show them on top, keep the selection and the scroll spot."""
        if self.jobs.busy(CLEAR_SLOT):
            return  # the list shows nothing until the clear is done; then it is loaded again
        bar = self.table.verticalScrollBar()
        at_top = bar.value() == bar.minimum()
        added = self.model.refresh()
        if at_top:
            self.table.scrollToTop()
        elif added:
            # keep the rows the user was looking at in place
            bar.setValue(bar.value() + added)
        self._update_actions()

    def reload(self) -> None:
        self.model.reload()

    # -- selection -----------------------------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def selected_ids(self) -> list[int]:
        rows = (self.model.row_at(r) for r in self.selected_rows())
        return [r.id for r in rows if r is not None]

    def select_ids(self, ids: Iterable[int]) -> None:
        selection = QItemSelection()
        first: QModelIndex | None = None
        for entry_id in ids:
            row = self.model.row_of_id(entry_id)
            if row is None:
                continue
            left, right = self.model.index(row, 0), self.model.index(row, len(COLUMNS) - 1)
            selection.select(left, right)
            first = first or left
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(selection, flags)
        if first is not None:
            self.table.selectionModel().setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.table.scrollTo(first)

    def _record(self, entry_id: int) -> HistoryRecord | None:
        try:
            record = self.store.get(entry_id)
        except InspectorError as exc:
            self._inform(self, "History entry", str(exc))
            return None
        if record is None:
            self._inform(self, "History entry", f"History entry {entry_id} no longer exists: it was deleted.")
            self.model.remove_ids([entry_id])
        return record

    def current_record(self) -> HistoryRecord | None:
        """The stored entry of the current (or first selected) row, read from the store."""
        ids = self.selected_ids()
        if not ids:
            current = self.table.currentIndex()
            row = self.model.row_at(current.row()) if current.isValid() else None
            ids = [row.id] if row else []
        return self._record(ids[0]) if ids else None

    # -- actions -------------------------------------------------------------------------------------------
    def _emit_for_current(self, signal: Any) -> None:
        record = self.current_record()
        if record is not None:
            signal.emit(record)

    def open_selected(self) -> None:
        self._emit_for_current(self.open_requested)

    def resend_selected(self) -> None:
        self._emit_for_current(self.resend_requested)

    def report_selected(self) -> None:
        self._emit_for_current(self.report_requested)

    def curl_selected(self) -> None:
        self._emit_for_current(self.curl_requested)

    def save_selected(self) -> None:
        self._emit_for_current(self.save_requested)

    def export_selected(self, path: str | Path | None = None) -> Path | None:
        """Write the selected entries as one HAR file; asks where unless a path is given."""
        from inspector.ui.har_dialog import export_har  # the HAR dialog owns HAR writing

        ids = self.selected_ids()
        if not ids:
            return None
        if path is None:
            suggested = "history.har" if len(ids) > 1 else f"history-{ids[0]}.har"
            chosen = self._choose_save_path(self, "Export as HAR", suggested,
                                            "HAR files (*.har);;All files (*)")
            if not chosen:
                return None
            path = chosen
        records = [r for r in (self._record(i) for i in sorted(ids)) if r is not None]  # oldest first
        try:
            export_har(((r.exchange, r.diagnosis) for r in records), path)
        except InspectorError as exc:
            self._inform(self, "Export as HAR", str(exc))
            return None
        self.har_exported.emit(str(path))
        return Path(path)

    def delete_selected(self) -> int:
        """Delete the selected entries after a confirmation: they leave the list at once, the store deletes
        them on a job, then entries_removed says how many went. Returns how many are being deleted."""
        ids = self.selected_ids()
        if not ids:
            return 0
        first_row = self.selected_rows()[0]
        what = "this entry" if len(ids) == 1 else f"these {len(ids):,} entries"
        if not self._ask(self, "Delete history entries",
                         f"Delete {what} from the history? This cannot be undone."):
            return 0
        # the rows go at once; the store deletes them on a job, a batch per transaction (thousands of
        # selected entries must not hold the UI thread), then entries_removed says how many went
        self._deletes += 1
        slot = f"{DELETE_SLOT}:{self._deletes}"  # each delete runs to its end: a later one never cancels it
        store = self.store
        self.jobs.start(slot, lambda job: store.delete_many(ids, job.cancel), name=DELETE_SLOT,
                        on_done=lambda n: self._deleted(ids, n),
                        on_failed=lambda exc: self._delete_failed(ids, exc))
        self.model.deleting(ids)
        # select the row that moved into the place of the first deleted one, as a list does after a delete
        if self.model.loaded_rows == 0 and self.model.canFetchMore(QModelIndex()):
            self.model.fetchMore(QModelIndex())
        row = self.model.row_at(min(first_row, self.model.loaded_rows - 1))
        if row is not None:
            self.select_ids([row.id])
        self._update_actions()
        return len(ids)

    def _deleted(self, ids: list[int], removed: int) -> None:
        self.model.deleted(ids)
        self._update_actions()
        self.entries_removed.emit(removed)

    def _delete_failed(self, ids: list[int], exc: BaseException) -> None:
        self.model.deleted(ids)  # what the store still holds is shown again by the reload
        self._store_failed("Delete history entries", exc)

    def clear_all(self) -> int:
        """Delete every entry after a confirmation: the list empties at once, the store is cleared by a job
        (CLEAR_SLOT), then entries_removed says how many went. Returns how many are being deleted."""
        total = self.store_count()
        if total == 0:
            return 0
        if not self._ask(
            self, "Clear the history", f"Delete all {total:,} history entries? This cannot be undone."
        ):
            return 0
        self._working = f"Deleting {total:,} entries…"
        self.model.show_nothing()
        store = self.store
        self.jobs.start(CLEAR_SLOT, lambda job: store.clear(job.cancel), on_done=self._cleared,
                        on_failed=lambda exc: self._store_failed("Clear the history", exc))
        self._update_actions()
        return total

    def _cleared(self, removed: int) -> None:
        self._working = ""
        self.model.reload()
        self._update_actions()
        self.entries_removed.emit(removed)

    def _store_failed(self, title: str, exc: BaseException) -> None:
        """A job on the store failed: say so, and show what the store holds now."""
        self._working = ""
        if not isinstance(exc, InspectorError):
            raise exc  # a bug: the app's excepthook shows it
        self._inform(self, title, str(exc))
        self.model.reload()
        self._update_actions()

    def set_keep(self, keep: int) -> bool:
        """Change the retention limit; lowering it below the current count asks first. True when applied:
        the oldest entries are deleted by a job (TRIM_SLOT), then entries_removed and retention_changed."""
        total = self.store_count()
        if keep < total and not self._ask(
            self,
            "Lower the history limit",
            f"Keeping only the newest {keep:,} entries deletes the {total - keep:,} oldest now. Continue?",
        ):
            self.keep_spin.blockSignals(True)
            self.keep_spin.setValue(self.store.keep)
            self.keep_spin.blockSignals(False)
            return False
        self.store.keep = keep
        self.keep_spin.blockSignals(True)
        self.keep_spin.setValue(keep)
        self.keep_spin.blockSignals(False)
        if keep >= total:
            self.retention_changed.emit(keep)
            return True
        self._working = f"Deleting the {total - keep:,} oldest entries…"
        store = self.store
        self.jobs.start(TRIM_SLOT, lambda job: store.trim(job.cancel), on_done=lambda n: self._trimmed(keep, n),
                        on_failed=lambda exc: self._store_failed("History limit", exc))
        self._update_actions()
        return True

    def _trimmed(self, keep: int, removed: int) -> None:
        self._working = ""
        self.model.refresh()
        if removed:
            self.entries_removed.emit(removed)
        self.retention_changed.emit(keep)
        self._update_actions()

    def store_count(self) -> int:
        """Entries in the store; 0 (and the count label says why) when it cannot be read."""
        return self.model.store_count(filtered=False)

    @property
    def working(self) -> bool:
        """Whether a trim or clear of the store is running."""
        return self.jobs.busy(TRIM_SLOT) or self.jobs.busy(CLEAR_SLOT)

    def shutdown(self) -> None:
        """Stop a trim or clear in flight (the store stays consistent: each batch is one transaction)."""
        self.jobs.stop()

    def _keep_changed(self, value: int) -> None:
        if value != self.store.keep:
            self.set_keep(value)

    def set_screen_share_safe(self, on: bool) -> None:
        """History rows are masked when stored; in safe mode URLs are masked once more as they are shown."""
        self.view_state.set_safe(on)

    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    # -- chrome --------------------------------------------------------------------------------------------
    def column_menu(self) -> QMenu:
        """Show or hide a column (every one but the URL)."""
        menu = QMenu(self)
        hh = self.table.horizontalHeader()
        for col in SHOWN_ORDER:
            if col == COL_URL:
                continue
            act = menu.addAction(COLUMNS[col])
            act.setCheckable(True)
            act.setChecked(not hh.isSectionHidden(col))
            act.toggled.connect(lambda on, col=col: hh.setSectionHidden(col, not on))
        return menu

    def _header_menu(self, pos: QPoint) -> None:
        menu = self.column_menu()
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))
        menu.deleteLater()  # a menu per right click, not kept by the pane all day

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid() and not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.select_ids([self.model.row_at(index.row()).id])  # type: ignore[union-attr]
        menu = QMenu(self)
        for act in (self.open_action, self.resend_action, self.report_action, self.curl_action,
                    self.save_action):
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self.export_action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        menu.addAction(self.clear_action)
        menu.exec(self.table.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def _update_count(self) -> None:
        if self._working:
            self.count_label.setText(self._working)
            return
        shown, total = self.model.total, self.model.store_count(filtered=False)
        if self.model.problem:
            self.count_label.setText(self.model.problem)
        elif any(self.model.filters.values()):
            self.count_label.setText(f"{shown:,} of {total:,} entries")
        else:
            self.count_label.setText(f"{total:,} entries" if total != 1 else "1 entry")

    def _update_actions(self) -> None:
        n = len(self.table.selectionModel().selectedRows())
        for act in (self.open_action, self.resend_action, self.report_action, self.curl_action,
                    self.save_action):
            act.setEnabled(n == 1)
        self.export_action.setEnabled(n >= 1)
        self.delete_action.setEnabled(n >= 1)
        self.clear_action.setEnabled(not self._working and self.model.store_count(filtered=False) > 0)
        self._update_count()
