"""The Incidents view beside History: many refused requests that share a cause, what changed and when.

Embedding API:

    view = IncidentsView(store, *, view=None, clock=None, demo_url=None)
        store      an open HistoryStore (None: only HAR files can be analysed)
        view       the window's ViewState (screen-share-safe mode masks URLs and evidence again)
        clock()    UTC-aware now (the "since" of the analysis and the badge's last hour)
        demo_url   the demo API's address: shows "Run the demo burst" (demo mode only)
    view.analyse()              read history since the chosen time and find its incidents, on a worker
    view.open_har(path)         analyse a HAR file (a customer's) instead, without importing it into history
    view.show_history()         back to the history after a HAR file
    view.analysis -> Analysis | None;  view.incidents() -> list[Incident];  view.select(index)
    view.current_incident(); view.open_entry(entry_id); view.copy_next_step(); view.report_text(fmt)
    view.set_busy(text | None)  the busy line (analysis or the demo burst)
    Signals
        open_requested(HistoryRecord)   a request of the incident, to show in a tab (a HAR's: a copy that
                                        is not in history, its credentials masked)
        analysed(Analysis)              after each analysis reached the view
        burst_requested()               "Run the demo burst" was clicked

`Incidents(window)` is what the main window creates on first use (never before the first paint): the dock
beside History, the badge in the status bar when the last hour holds an incident, File > Open HAR as
incident…, and the demo burst sent through the same pipeline as every send.

Analysis runs off the UI thread through ui/jobs.py: a newer analysis supersedes an older one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.errors import InspectorError
from inspector.core.history import RECENT
from inspector.core.redact import mask_url
from inspector.ui.jobs import Job, JobRunner
from inspector.ui.view_state import ViewState, free_when_closed, plain_label

# core.incidents and the timeline are imported where they are used: the window makes the controller (the
# status bar's badge) early, and its analysis runs on a worker; the view itself is built on first use.
if TYPE_CHECKING:
    from inspector.core.export.har import HarEntry
    from inspector.core.history import HistoryRecord, HistoryStore
    from inspector.core.incidents import Incident, IncidentEntry

__all__ = ["SINCE_CHOICES", "Analysis", "Incidents", "IncidentsView", "analyse_har", "analyse_history"]

# label -> how far back the history is read (None: all of it)
SINCE_CHOICES: tuple[tuple[str, timedelta | None], ...] = (
    ("Last hour", timedelta(hours=1)),
    ("Last 24 hours", timedelta(hours=24)),
    ("Last 7 days", timedelta(days=7)),
    ("All history", None),
)
DEFAULT_SINCE = 1  # the last 24 hours
BADGE_WINDOW = RECENT  # the badge says whether the last hour holds an incident
DOCK_SHARE = 0.3  # of the window's width when first shown, as History (the explanation keeps its room)
REANALYSE_DELAY_MS = 400  # a burst of sends is analysed once, after it
COLUMNS = ("Cause", "Failed", "OK", "State", "First failure", "Last success", "Hosts", "Profiles")
COL_STATE = 3
REQUEST_COLUMNS = ("Time", "Status", "Request", "Findings")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Analysis:
    """One analysis as the view shows it: where it read from, the incidents, and the entries they hold."""

    source: str  # "history" | "har"
    label: str  # "your history, the last 24 hours" | "the HAR file customer.har"
    incidents: tuple[Incident, ...]
    entries: Mapping[int, IncidentEntry]
    looked_at: int
    now: datetime
    har: Mapping[int, HarEntry] = field(default_factory=dict)  # a HAR's entries by incident entry id
    path: Path | None = None


def analyse_history(store: HistoryStore, since: timedelta | None, now: datetime, label: str = "") -> Analysis:
    """The incidents of the history since `since` before now (all of it with None). Runs on a worker."""
    from inspector.core.incidents import incidents

    moment = now - since if since is not None else None
    entries = store.incident_entries(moment)
    found = incidents(entries, moment, lambda: now)
    return Analysis("history", label or "your history", tuple(found), {e.id: e for e in entries},
                    len(entries), now)


def analyse_har(path: Path, now: datetime) -> Analysis:
    """The incidents of every entry of a HAR file (not imported anywhere). ExportError when it is not HAR,
    OSError when it cannot be read. Runs on a worker."""
    from inspector.core.export.har import parse_har
    from inspector.core.incidents import entries_from_har_entries, incidents

    parsed = parse_har(path.read_bytes())
    entries = entries_from_har_entries(parsed)
    har = {h.indexes[0] + 1: h for h in parsed}  # the same numbering as the entries
    found = incidents(entries, None, lambda: now)
    return Analysis("har", f"the HAR file {path.name}", tuple(found), {e.id: e for e in entries}, len(entries),
                    now, har, path)


def recent(found: tuple[Incident, ...] | list[Incident], now: datetime) -> list[Incident]:
    """The incidents whose last failure lies within BADGE_WINDOW of now (what the badge counts). A lone
    failure is kept as a `mixed` group so that no entry is lost, but one refused request is a question, not
    an incident to announce."""
    from inspector.core.incidents import MIN_FAILURES

    return [i for i in found if i.last_failure >= now - BADGE_WINDOW and i.failed >= MIN_FAILURES]


def _clock(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "—"
    local, local_now = moment.astimezone(), now.astimezone()
    if local.date() == local_now.date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def _shown_url(url: str, with_host: bool) -> str:
    """The path and query (the host is the incident's, in the list), or host and path when it has several."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    rest = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{parts.netloc}{rest}" if with_host else rest


def _clock_ms(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S.%f")[:-3]


class _Requests(QTreeWidget):
    """The incident's requests; Enter opens the current one (as a double-click does)."""

    activated_entry = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            item = self.currentItem()
            if item is not None:
                self.activated_entry.emit(int(item.data(0, Qt.ItemDataRole.UserRole)))
                return
        super().keyPressEvent(event)


class IncidentsView(QWidget):
    """The list of incidents and, for the selected one, its timeline, cause, evidence, next step and requests."""

    open_requested = Signal(object)  # HistoryRecord
    analysed = Signal(object)  # Analysis
    burst_requested = Signal()

    def __init__(
        self,
        store: HistoryStore | None,
        parent: QWidget | None = None,
        *,
        view: ViewState | None = None,
        clock: Callable[[], datetime] | None = None,
        demo_url: str | None = None,
        choose_har: Callable[[QWidget], str | None] | None = None,
    ) -> None:
        from inspector.ui.incident_timeline import FAILURE, SUCCESS, IncidentTimeline

        super().__init__(parent)
        self.setObjectName("incidentsView")
        self.store = store
        self.view_state = view or ViewState(self)
        self._clock = clock or _utc_now
        self.demo_url = demo_url
        self._choose_har = choose_har or _choose_har
        self.jobs = JobRunner(self, name="IncidentsView")
        self.analysis: Analysis | None = None
        self._har_path: Path | None = None  # the HAR file on screen; None: the history
        self._busy_reasons: dict[str, str] = {}

        # -- the bar: where from, since when, refresh; the busy line --------------------------------------
        self.source_label = plain_label("", self, name="incidentsSource", wrap=True)
        self.since_combo = QComboBox(self)
        self.since_combo.setObjectName("incidentsSince")
        for text, delta in SINCE_CHOICES:
            self.since_combo.addItem(text, delta)
        self.since_combo.setCurrentIndex(DEFAULT_SINCE)
        self.since_combo.setToolTip("How far back the history is read")
        self.since_combo.currentIndexChanged.connect(lambda _i: self.analyse())
        self.refresh_button = QToolButton(self)
        self.refresh_button.setObjectName("incidentsRefresh")
        self.refresh_button.setText("Refresh")
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.har_button = QToolButton(self)
        self.har_button.setObjectName("incidentsOpenHar")
        self.har_button.setText("Open HAR…")
        self.har_button.setToolTip("Analyse a HAR file (a customer's) without importing it into your history")
        self.har_button.clicked.connect(lambda: self.choose_har())
        self.back_button = QToolButton(self)
        self.back_button.setObjectName("incidentsBack")
        self.back_button.setText("Back to my history")
        self.back_button.clicked.connect(lambda: self.show_history())
        self.burst_button = QPushButton("Run the demo burst", self)
        self.burst_button.setObjectName("incidentsDemoBurst")
        self.burst_button.setToolTip("Send 20 requests to the demo API whose signing key rotated while the "
                                     "client's tokens expired together: an incident appears here")
        self.burst_button.clicked.connect(self.burst_requested.emit)
        self.burst_button.setVisible(bool(demo_url))
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.since_combo)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.har_button)
        bar.addWidget(self.back_button)
        bar.addStretch(1)
        demo_row = QHBoxLayout()  # its own row: the bar stays narrow enough for a dock beside the tabs
        demo_row.setContentsMargins(0, 0, 0, 0)
        demo_row.addWidget(self.burst_button)
        demo_row.addStretch(1)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("incidentsBusy")
        self.progress.setRange(0, 0)  # busy: how long an analysis takes is not known in advance
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.busy_label = plain_label("", self, name="incidentsBusyText")
        busy = QHBoxLayout()
        busy.setContentsMargins(0, 0, 0, 0)
        busy.addWidget(self.busy_label)
        busy.addWidget(self.progress, 1)
        self._busy_row = QWidget(self)
        self._busy_row.setLayout(busy)
        self._busy_row.hide()

        # -- the list ----------------------------------------------------------------------------------------
        self.list = QTreeWidget(self)
        self.list.setObjectName("incidentsList")
        self.list.setHeaderLabels(list(COLUMNS))
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setAllColumnsShowFocus(True)
        header = self.list.header()
        header.setStretchLastSection(False)
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.list.currentItemChanged.connect(lambda *_: self._show_current())
        self.empty_label = plain_label("", self, name="incidentsEmpty", wrap=True)

        # -- the selected incident ---------------------------------------------------------------------------
        self.title_label = plain_label("", self, name="incidentTitle", wrap=True)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.timeline = IncidentTimeline(self)
        self.timeline.mark_clicked.connect(self.select_entry)
        self.legend = QLabel(self)
        self.legend.setObjectName("incidentLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setText(
            f'<span style="color:{FAILURE.name()}">▮</span> refused &nbsp; '
            f'<span style="color:{SUCCESS.name()}">▮</span> succeeded &nbsp; '
            '<span style="background:rgba(255,167,38,0.35)">&nbsp;&nbsp;&nbsp;</span> the change happened here '
            "(between the last success and the first failure)")
        self.legend.setWordWrap(True)
        self.state_label = plain_label("", self, name="incidentState", wrap=True)
        self.evidence = QTreeWidget(self)
        self.evidence.setObjectName("incidentEvidence")
        self.evidence.setHeaderLabels(["Evidence", "Value"])
        self.evidence.setRootIsDecorated(False)
        self.evidence.setWordWrap(True)
        self.evidence.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.evidence.header().setStretchLastSection(True)
        self.next_step = QPlainTextEdit(self)
        self.next_step.setObjectName("incidentNextStep")
        self.next_step.setReadOnly(True)
        self.next_step.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                               | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.next_step.setFixedHeight(self.fontMetrics().lineSpacing() * 7 + 12)  # a narrow dock wraps it
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("incidentCopyNextStep")
        self.copy_button.setToolTip("Copy the next step, to paste into a ticket")
        self.copy_button.clicked.connect(lambda: self.copy_next_step())
        self.requests = _Requests(self)
        self.requests.setObjectName("incidentRequests")
        self.requests.setHeaderLabels(list(REQUEST_COLUMNS))
        self.requests.setRootIsDecorated(False)
        self.requests.setUniformRowHeights(True)
        self.requests.setAllColumnsShowFocus(True)
        rh = self.requests.header()
        for col in (0, 1):
            rh.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        rh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        rh.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # the request and its findings share
        rh.setStretchLastSection(False)
        self.requests.itemDoubleClicked.connect(
            lambda item, _col: self.open_entry(int(item.data(0, Qt.ItemDataRole.UserRole))))
        self.requests.activated_entry.connect(self.open_entry)
        self.requests.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.requests.setToolTip("Double-click a request, or press Enter, to open it in a tab")
        self.open_button = QPushButton("Open in a tab", self)
        self.open_button.setObjectName("incidentOpen")
        self.open_button.clicked.connect(self._open_current_request)
        self.report_button = QPushButton("Report…", self)
        self.report_button.setObjectName("incidentReport")
        self.report_button.setToolTip("A Markdown or HTML report of this incident for a ticket, secrets masked")
        self.report_button.clicked.connect(lambda: self.open_report())

        detail = QWidget(self)
        d = QVBoxLayout(detail)
        d.setContentsMargins(0, 0, 0, 0)
        d.addWidget(self.title_label)
        d.addWidget(self.timeline)
        d.addWidget(self.legend)
        d.addWidget(self.state_label)
        next_row = QHBoxLayout()
        next_row.addWidget(plain_label("Next step", self))
        next_row.addStretch(1)
        next_row.addWidget(self.copy_button)
        d.addLayout(next_row)
        d.addWidget(self.next_step)
        lines = self.fontMetrics().lineSpacing()
        self.evidence.setMinimumHeight(lines * 7)  # a short window scrolls the detail instead of squeezing it
        self.requests.setMinimumHeight(lines * 9)
        d.addWidget(self.evidence, 1)
        req_row = QHBoxLayout()
        req_row.addWidget(plain_label("Requests", self))
        req_row.addStretch(1)
        req_row.addWidget(self.open_button)
        req_row.addWidget(self.report_button)
        d.addLayout(req_row)
        d.addWidget(self.requests, 2)
        self.detail = detail
        scroll = QScrollArea(self)
        scroll.setObjectName("incidentDetail")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # it wraps instead
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(detail)
        scroll.setMinimumHeight(self.fontMetrics().lineSpacing() * 12)

        top = QWidget(self)
        t = QVBoxLayout(top)
        t.setContentsMargins(0, 0, 0, 0)
        t.addWidget(self.list, 1)
        t.addWidget(self.empty_label)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("incidentsSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setChildrenCollapsible(False)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.source_label)
        lay.addLayout(bar)
        lay.addLayout(demo_row)
        lay.addWidget(self._busy_row)
        lay.addWidget(self.splitter, 1)
        self.view_state.safe_changed.connect(lambda _on: self._render())
        self._render()

    # -- analysis ----------------------------------------------------------------------------------------
    def since(self) -> timedelta | None:
        data = self.since_combo.currentData()
        return data if isinstance(data, timedelta) else None

    def refresh(self) -> None:
        """Analyse again what is on screen: the HAR file, else the history."""
        if self._har_path is not None:
            self.open_har(self._har_path)
        else:
            self.analyse()

    def analyse(self) -> None:
        """Find the incidents of the history since the chosen time, off the UI thread."""
        if self._har_path is not None:
            return  # a HAR file is on screen: the history's changes do not concern it
        store = self.store
        if store is None:
            self.source_label.setText("History is off: its database could not be opened. Open a HAR file to "
                                      "analyse one.")
            return
        since, now = self.since(), self._clock()
        label = f"your history, {self.since_combo.currentText().lower()}"
        self.set_busy("Looking for incidents in your history…", key="analyse")
        self.jobs.start("analyse", lambda job: analyse_history(store, since, now, label),
                        on_done=self._on_analysed, on_failed=self._on_failed)

    def choose_har(self) -> None:
        path = self._choose_har(self)
        if path:
            self.open_har(path)

    def open_har(self, path: str | Path) -> None:
        """Analyse a HAR file off the UI thread; it is not imported into history."""
        har = Path(path).expanduser()
        self._har_path = har
        now = self._clock()
        self.set_busy(f"Reading {har.name} and looking for incidents…", key="analyse")
        self.jobs.start("analyse", lambda job: analyse_har(har, now), on_done=self._on_analysed,
                        on_failed=self._on_failed)
        self._update_bar()

    def show_history(self) -> None:
        self._har_path = None
        self._update_bar()
        self.analyse()

    def _on_analysed(self, analysis: Analysis) -> None:
        self.set_busy(None, key="analyse")
        self.analysis = analysis
        self._render()
        self.analysed.emit(analysis)

    def _on_failed(self, error: BaseException) -> None:
        self.set_busy(None, key="analyse")
        if isinstance(error, OSError):
            text = f"The file {self._har_path} cannot be read: {error.strerror or error}."
        elif isinstance(error, InspectorError):
            text = str(error)
        else:
            text = f"The analysis failed: {error}"
        self.analysis = None
        self._render(problem=text)

    def set_busy(self, text: str | None, *, key: str = "burst") -> None:
        """Show (text) or end (None) a busy reason; the line stays while any reason does."""
        if text:
            self._busy_reasons[key] = text
        else:
            self._busy_reasons.pop(key, None)
        self.busy_label.setText(" · ".join(self._busy_reasons.values()))
        self._busy_row.setVisible(bool(self._busy_reasons))
        self.burst_button.setEnabled("burst" not in self._busy_reasons)

    def is_busy(self) -> bool:
        return bool(self._busy_reasons)

    def showing_har(self) -> bool:
        """A HAR file is on screen (the history's changes do not change what the view shows)."""
        return self._har_path is not None

    # -- showing -----------------------------------------------------------------------------------------
    def incidents(self) -> list[Incident]:
        return list(self.analysis.incidents) if self.analysis is not None else []

    def _update_bar(self) -> None:
        har = self._har_path is not None
        self.since_combo.setEnabled(not har)
        self.back_button.setVisible(har and self.store is not None)

    def _render(self, problem: str | None = None) -> None:
        """The list from the analysis (the selected incident kept when it is still there)."""
        from inspector.core.incidents import CAUSE_TITLES
        from inspector.ui.incident_timeline import FAILURE, SUCCESS

        self._update_bar()
        a = self.analysis
        if self._har_path is not None:
            self.source_label.setText(f"From the HAR file {self._har_path.name}: not imported into your "
                                      "history; its requests open as read-only copies.")
        elif a is not None:
            self.source_label.setText(f"From {a.label} ({a.looked_at:,} requests looked at).")
        else:
            self.source_label.setText("From your history.")
        keep = self.current_incident()
        keep_key = (keep.cause, keep.first_failure) if keep is not None else None
        self.list.blockSignals(True)
        self.list.clear()
        found = self.incidents()
        now = a.now if a is not None else self._clock()
        for n, i in enumerate(found):
            item = QTreeWidgetItem([
                CAUSE_TITLES.get(i.cause, i.cause),
                str(i.failed),
                str(i.succeeded),
                "ongoing" if i.ongoing else "recovered",
                _clock(i.first_failure, now),
                _clock(i.last_success, now),
                ", ".join(i.hosts),
                ", ".join(i.profiles) or "—",
            ])
            item.setData(0, Qt.ItemDataRole.UserRole, n)
            item.setToolTip(0, f"{i.cause}: {self.view_state.mask(i.title)}")
            item.setForeground(COL_STATE, FAILURE if i.ongoing else SUCCESS)
            self.list.addTopLevelItem(item)
        self.list.blockSignals(False)
        if problem:
            self.empty_label.setText(problem)
        elif a is None:
            self.empty_label.setText("Looking…" if self.is_busy() else "")
        elif not found:
            where = "this HAR file" if a.source == "har" else "this time"
            self.empty_label.setText(
                f"No incident: of the {a.looked_at:,} requests in {where}, no two failed for one cause. "
                + (f"In demo mode, “{self.burst_button.text()}” makes one." if self.demo_url else ""))
        else:
            self.empty_label.setText("")
        self.empty_label.setVisible(bool(self.empty_label.text()))
        index = 0
        if keep_key is not None:
            index = next((n for n, i in enumerate(found) if (i.cause, i.first_failure) == keep_key), 0)
        first = self.list.topLevelItem(index) if found else None
        if first is not None:
            self.list.setCurrentItem(first)
        self._show_current()

    def select(self, index: int) -> None:
        item = self.list.topLevelItem(index)
        if item is not None:
            self.list.setCurrentItem(item)

    def current_incident(self) -> Incident | None:
        item = self.list.currentItem() if hasattr(self, "list") else None
        found = self.incidents()
        if item is None:
            return None
        n = item.data(0, Qt.ItemDataRole.UserRole)
        return found[n] if isinstance(n, int) and 0 <= n < len(found) else None

    def _show_current(self) -> None:
        incident = self.current_incident()
        a = self.analysis
        self.detail.setEnabled(incident is not None)
        self.timeline.set_incident(incident)
        self.evidence.clear()
        self.requests.clear()
        if incident is None or a is None:
            self.title_label.setText("Select an incident to see what changed, when and for whom."
                                     if self.incidents() else "")
            self.state_label.setText("")
            self.next_step.setPlainText("")
            return
        mask = self.view_state.mask
        self.title_label.setText(mask(incident.title))
        since_ok = (f"last success {_clock(incident.last_success, a.now)}" if incident.last_success
                    else "no success before it in what was read")
        state = "still failing" if incident.ongoing else "recovered since"
        self.state_label.setText(
            f"Cause: {incident.cause}. {incident.failed} refused, {incident.succeeded} succeeded meanwhile; "
            f"first failure {_clock(incident.first_failure, a.now)}, {since_ok}; {state}. Profiles: "
            f"{', '.join(incident.profiles) or 'none'}.")
        self.next_step.setPlainText(mask(incident.next_step))
        from inspector.core.export.incident_report import evidence_items  # the export package: not at start-up

        for label, value in evidence_items(incident):
            item = QTreeWidgetItem([label, mask(value)])
            item.setToolTip(1, mask(value))
            self.evidence.addTopLevelItem(item)
        several_hosts = len(incident.hosts) > 1
        for entry_id in incident.entries:
            e = a.entries.get(entry_id)
            if e is None:
                continue
            item = QTreeWidgetItem([
                _clock_ms(e.at),
                str(e.status) if e.status is not None else "—",
                f"{e.method} {mask(_shown_url(mask_url(e.url), several_hosts))}",
                ", ".join(e.findings),
            ])
            item.setData(0, Qt.ItemDataRole.UserRole, e.id)
            item.setToolTip(2, f"#{e.id} {e.method} {mask(mask_url(e.url))}")
            self.requests.addTopLevelItem(item)
        top = self.requests.topLevelItem(0)
        if top is not None:
            self.requests.setCurrentItem(top)

    def select_entry(self, entry_id: int) -> None:
        """Make the request with this id current in the requests list (a click on its mark)."""
        for n in range(self.requests.topLevelItemCount()):
            item = self.requests.topLevelItem(n)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == entry_id:
                self.requests.setCurrentItem(item)
                self.requests.scrollToItem(item)
                return

    # -- actions -----------------------------------------------------------------------------------------
    def copy_next_step(self) -> str:
        text = self.next_step.toPlainText()
        if text:
            QGuiApplication.clipboard().setText(text)
        return text

    def _open_current_request(self) -> None:
        item = self.requests.currentItem()
        if item is not None:
            self.open_entry(int(item.data(0, Qt.ItemDataRole.UserRole)))

    def record_for(self, entry_id: int) -> HistoryRecord | None:
        """The stored entry (history), or a record made from the HAR file's entry (not stored anywhere)."""
        a = self.analysis
        if a is None:
            return None
        if a.source == "har":
            return _har_record(entry_id, a)
        if self.store is None:
            return None
        return self.store.get(entry_id)

    def open_entry(self, entry_id: int) -> None:
        try:
            record = self.record_for(entry_id)
        except InspectorError as exc:
            self.view_state.post(str(exc), level="error")
            return
        if record is None:
            self.view_state.post(f"History entry {entry_id} no longer exists: it was deleted.", level="error")
            return
        self.open_requested.emit(record)

    def report_text(self, fmt: str = "markdown") -> str:
        """The current incident's support report (secrets masked); "" when none is selected."""
        incident, a = self.current_incident(), self.analysis
        if incident is None or a is None:
            return ""
        source = a.label if a.source == "har" else "the history"
        from inspector.core.export.incident_report import build_incident_report, incident_report_html

        build = incident_report_html if fmt == "html" else build_incident_report
        return build(incident, a.entries.values(), source=source, generated_at=self._clock())

    def open_report(self) -> QDialog | None:
        if self.current_incident() is None:
            return None
        dialog = IncidentReportDialog(self, self)
        dialog.setModal(True)
        free_when_closed(dialog).show()
        return dialog

    def shutdown(self) -> None:
        self.jobs.stop()


def _har_record(entry_id: int, a: Analysis) -> HistoryRecord | None:
    """A HAR entry as a HistoryRecord to show in a tab: judged the way the incidents were, stored nowhere."""
    from inspector.core.diagnosis import explain_recorded
    from inspector.core.history import HistoryRecord, HistoryRow

    har, e = a.har.get(entry_id), a.entries.get(entry_id)
    if har is None or e is None:
        return None
    diagnosis = har.diagnosis or (explain_recorded(har.exchange) if har.exchange.hops else None)
    elapsed = round(har.exchange.elapsed_s * 1000.0, 3) if har.exchange.hops else None
    row = HistoryRow(entry_id, e.at, e.method, e.url, e.status, e.verdict, elapsed)
    return HistoryRecord(row, None, har.spec, har.exchange, diagnosis)


def _choose_har(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open HAR as incident", "",
                                          "HAR files (*.har *.json);;All files (*)")
    return path or None


class IncidentReportDialog(QDialog):
    """The incident's support report: Markdown or HTML, copied or saved. Secrets are always masked."""

    def __init__(self, incidents_view: IncidentsView, parent: QWidget | None = None, *,
                 choose_save_path: Callable[[QWidget, str], str | None] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentReportDialog")
        self.setWindowTitle("Incident report")
        self._view = incidents_view
        self._choose = choose_save_path or _choose_report_path
        self.format_combo = QComboBox(self)
        self.format_combo.addItem("Markdown", "markdown")
        self.format_combo.addItem("HTML", "html")
        self.format_combo.currentIndexChanged.connect(lambda _i: self._fill())
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("incidentReportText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button = buttons.addButton("Save…", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(lambda: self.save())
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(plain_label("Format", self))
        top.addWidget(self.format_combo)
        top.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(plain_label("Secrets (tokens, passwords, API keys, cookies) are masked in this report.",
                                  self, wrap=True))
        lay.addWidget(self.text, 1)
        lay.addWidget(buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.horizontalAdvance("x" * 100), metrics.lineSpacing() * 32)
        self._fill()

    def format(self) -> str:
        return str(self.format_combo.currentData())

    def report_text(self) -> str:
        return self.text.toPlainText()

    def _fill(self) -> None:
        self.text.setPlainText(self._view.report_text(self.format()))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.report_text())

    def save(self, path: str | Path | None = None) -> Path | None:
        from inspector.core.files import SHARED_FILE, atomic_write

        suffix = "html" if self.format() == "html" else "md"
        chosen = str(path) if path is not None else self._choose(self, f"incident-report.{suffix}")
        if not chosen:
            return None
        try:
            atomic_write(Path(chosen), self.report_text().encode("utf-8"), SHARED_FILE)
        except (OSError, InspectorError) as exc:
            self._view.view_state.post(f"The report was not saved to {chosen}: {exc}", level="error")
            return None
        return Path(chosen)


def _choose_report_path(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save the incident report", suggested,
                                          "Markdown (*.md);;HTML (*.html);;All files (*)")
    return path or None


# -------------------------------------------------------------------------------------------------------------
# The window's side: the dock beside History, the badge, File > Open HAR as incident…, the demo burst


class Incidents(QObject):
    """What the main window creates on first use: the Incidents dock (built when first shown), the badge on
    the status bar when the last hour holds an incident, and the demo burst. Never built before first paint."""

    badge_changed = Signal(int)  # how many incidents the last hour holds

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.jobs = JobRunner(self, name="Incidents")
        self.view: IncidentsView | None = None
        self.dock: Any = None
        self.recent_count = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REANALYSE_DELAY_MS)
        self._timer.timeout.connect(self._reanalyse)
        self.badge = QToolButton(window)
        self.badge.setObjectName("incidentsBadge")
        self.badge.setAutoRaise(True)
        self.badge.setToolTip("Open the Incidents view")
        self.badge.clicked.connect(lambda: self.show(True))
        self.badge.hide()
        window.statusBar().addPermanentWidget(self.badge)

    @property
    def demo_url(self) -> str | None:
        return self.window.demo_url

    # -- the dock ------------------------------------------------------------------------------------------
    def ensure_view(self) -> IncidentsView:
        if self.view is None:
            from PySide6.QtWidgets import QDockWidget

            w = self.window
            self.view = IncidentsView(w.history, w, view=w.view_state, demo_url=self.demo_url)
            self.view.open_requested.connect(self.open_record)
            self.view.analysed.connect(self._on_view_analysed)
            self.view.burst_requested.connect(self.run_demo_burst)
            self.dock = QDockWidget("Incidents", w)
            self.dock.setObjectName("incidentsDock")
            self.dock.setWidget(self.view)
            history_dock = w.history_dock if w.history_pane is not None else None
            w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
            if history_dock is not None and history_dock.isVisible():
                w.tabifyDockWidget(history_dock, self.dock)  # beside History, one tab each
            # the view shows a list, a time axis and sentences: it needs more room than History's columns
            width = round(w.width() * DOCK_SHARE)
            # never so wide that the editor and the explanation lose their least widths
            width = min(width, w.width() - w.main_splitter.minimumSizeHint().width() - 8)
            width = max(self.dock.minimumSizeHint().width(), width)
            w.resizeDocks([self.dock], [width], Qt.Orientation.Horizontal)
            QTimer.singleShot(0, w.split_panes)  # the central panes share what is left, the explanation first
            # a tab behind History's says "not visible" but is still open
            self.dock.visibilityChanged.connect(
                lambda shown: w.incidents_action.setChecked(shown or not self.dock.isHidden()))
            self._update_titles()
            self.view.analyse()
        return self.view

    def show(self, on: bool = True) -> None:
        view = self.ensure_view()
        self.dock.setVisible(on)
        if on:
            self.dock.raise_()
            view.list.setFocus()

    def is_shown(self) -> bool:
        return self.dock is not None and self.dock.isVisible()

    # -- history changed: the analysis and the badge again (once per burst of sends) ---------------------
    def history_changed(self) -> None:
        self._timer.start()

    def _reanalyse(self) -> None:
        if self.is_shown() and self.view is not None and not self.view.showing_har():
            self.view.analyse()  # the badge follows from the view's analysis
        else:
            self.check_badge()

    def check_badge(self) -> None:
        """Count the last hour's incidents off the UI thread (the view need not exist)."""
        store = self.window.history
        if store is None:
            return
        now = _utc_now()
        self.jobs.start("badge", lambda job: analyse_history(store, BADGE_WINDOW, now),
                        on_done=lambda a: self.set_recent(len(recent(a.incidents, a.now))))

    def _on_view_analysed(self, analysis: Analysis) -> None:
        if analysis.source == "history":
            self.set_recent(len(recent(analysis.incidents, analysis.now)))

    def set_recent(self, count: int) -> None:
        self.recent_count = count
        self.badge.setText(f"⚠ {count} incident{'s' if count != 1 else ''} in the last hour")
        self.badge.setVisible(count > 0)
        self._update_titles()
        self.badge_changed.emit(count)

    def _update_titles(self) -> None:
        suffix = f" ({self.recent_count})" if self.recent_count else ""
        if self.dock is not None:
            self.dock.setWindowTitle(f"Incidents{suffix}")
        self.window.incidents_action.setText(f"&Incidents{suffix}")

    # -- opening -------------------------------------------------------------------------------------------
    def open_har(self, path: str | None = None) -> None:
        """File > Open HAR as incident…: pick a HAR file and show its incidents (nothing is imported)."""
        view = self.ensure_view()
        if path is None:
            path = view._choose_har(self.window)
            if not path:
                return
        self.show(True)
        view.open_har(path)

    def open_record(self, record: Any) -> None:
        """A request of an incident in a tab, the way History opens one (a new tab unless this one is empty)."""
        w = self.window
        tab = w.current_tab()
        if tab is None or tab.is_dirty() or tab.result is not None or tab.editor.to_spec().url.strip():
            w.new_tab()
        w.open_history_record(record)
        view = self.view
        if view is not None and view.analysis is not None and view.analysis.source == "har":
            w.statusBar().showMessage(f"Opened request #{record.id} of {view.analysis.label} (a copy: it is not in "
                                      "your history, and its credentials were masked in the file).")

    # -- the demo burst ------------------------------------------------------------------------------------
    def run_demo_burst(self) -> None:
        """Send the demo's incident burst (~20 requests) through the pipeline, off the UI thread."""
        w, url = self.window, self.demo_url
        if not url or w.history is None:
            w.statusBar().showMessage("The demo burst needs the demo API (--demo) and the history.")
            return
        history, kwargs = w.history, w.send_kwargs()
        view = self.ensure_view()

        def work(job: Job[int]) -> int:
            from inspector.core.pipeline import run
            from inspector.demo.requests import burst_requests

            sent = 0
            burst = burst_requests(url)
            for n, (_title, spec) in enumerate(burst, start=1):
                if job.cancelled:
                    break
                run(spec, history=history, cancel=job.cancel, **kwargs)
                sent = n
                job.report((n, len(burst)))
            return sent

        view.set_busy("Sending the demo burst…", key="burst")
        self.jobs.start("burst", work, on_done=self._burst_done, on_failed=self._burst_failed,
                        on_progress=lambda p: view.set_busy(f"Sending the demo burst: {p[0]} of {p[1]}…",
                                                            key="burst"))

    def _burst_done(self, sent: int) -> None:
        if self.view is not None:
            self.view.set_busy(None, key="burst")
            self.view.show_history()
        if self.window.history_pane is not None:
            self.window.history_pane.refresh()
        self.window.statusBar().showMessage(f"Sent the demo burst ({sent} requests): the incidents it caused "
                                            "are in the Incidents view.")

    def _burst_failed(self, error: BaseException) -> None:
        if self.view is not None:
            self.view.set_busy(None, key="burst")
        self.window.statusBar().showMessage(f"The demo burst stopped: {error}")

    def shutdown(self) -> None:
        self.jobs.stop()
        if self.view is not None:
            self.view.shutdown()
