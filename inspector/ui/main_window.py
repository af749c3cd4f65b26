"""The main window: menus, shortcuts, the collections sidebar and history dock, and the request tabs.

The window holds tabs (ui/tab.py), not request state: each tab has its own editor, response, explanation,
SendResult and send in flight. The window's public names (editor, response_view, explainer, result, send(),
cancel(), main_splitter, ...) are the current tab's, and its signals (exchange_received, result_received,
send_failed, ...) carry every tab's. Open tabs and their unsaved edits come back after a restart, masked the
way history masks a request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what the window's frame needs is imported with this module: it is shown before anything else is
# imported (ui/gui.py). No `Qt` here: its first use builds every enum of the Qt namespace (some 15 ms), so the
# methods that need it import it.
from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSettings, QSize, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QSplitter, QToolBar, QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from inspector.core.pipeline import SendResult
    from inspector.core.request import RequestSpec
    from inspector.ui.jobs import JobRunner
    from inspector.ui.request_editor import RequestEditor
    from inspector.ui.theme import Theme
    from inspector.ui.view_state import ViewState

# the modules build() needs: ui/gui.py imports them on a worker while the frame is on screen
BUILD_MODULES = (
    "inspector.ui.jobs",
    "inspector.ui.view_state",
    "inspector.ui.request_editor",
    "inspector.ui.tab",
)

SETTINGS_VERSION = 2  # 1: headers and form fields as objects (read still); 2: the history record's shape


# ---------------------------------------------------------------------------------------------------------
# The last request, as kept between runs: masked the way history masks a request (names and values), and
# secret headers switched off, so a masked credential is never sent by mistake. Serialized by the one codec
# (core.codec), as history stores a request.


def spec_to_settings(spec: RequestSpec) -> str:
    """A JSON text of the spec with every secret masked (secret headers are also disabled)."""
    import json
    from dataclasses import replace

    from inspector.core.codec import spec_to_dict
    from inspector.core.exchange import Exchange  # not needed before the first paint
    from inspector.core.redact import exchange_scrubber, is_secret_header, mask_spec

    masked = mask_spec(spec, exchange_scrubber(Exchange(spec)))
    headers = tuple(replace(h, enabled=False) if is_secret_header(h.name) else h for h in masked.headers)
    data = spec_to_dict(replace(masked, headers=headers))
    data["version"] = SETTINGS_VERSION
    return json.dumps(data)


def spec_from_settings(text: str | None) -> RequestSpec | None:
    """The spec saved by spec_to_settings, or None when there is none or it cannot be read."""
    import json

    if not text:
        return None
    from inspector.core.codec import RecordError, spec_from_dict

    try:
        data = json.loads(text)
        if isinstance(data, dict) and data.get("version") == 1:  # an older version's: rows were objects
            data["headers"] = [[h["name"], h["value"], h.get("enabled", True)]
                               for h in data.get("headers") or ()]
            body = data.get("body") or {}
            body["fields"] = [[f["name"], f["value"], f.get("is_file", False), f.get("enabled", True)]
                              for f in body.get("fields") or ()]
        return spec_from_dict(data, "request/last")
    except (RecordError, ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError):
        return None  # an unreadable saved request is forgotten, not an error worth a message


# ---------------------------------------------------------------------------------------------------------
# Layout: sized from the screen, never wider than it


def initial_window_size(available: QSize) -> QSize:
    """The first window's size: most of the screen's available area (all but a margin on a small screen),
    so a 1280x720 laptop shows the whole window and a large monitor gives the panes room."""
    def part(total: int, small: int, cap: int) -> int:
        share = 0.94 if total <= small else 0.85
        return max(1, min(total, cap, round(total * share)))

    return QSize(part(available.width(), 1440, 2400), part(available.height(), 900, 1500))


def initial_window_geometry(available: QRect) -> QRect:
    """initial_window_size, centred in the available area."""
    size = initial_window_size(available.size())
    rect = QRect(0, 0, size.width(), size.height())
    rect.moveCenter(available.center())
    return rect


PANEL_SHARE = 0.45  # of the window's width: the explanation is what people come for
HISTORY_SHARE = 0.3  # of the window's width at most, for the history dock's first width
EDITOR_SHARE = 0.36  # of the left column's height: the rest is the response


def split_width(total: int, left_least: int, panel_min: int) -> tuple[int, int]:
    """(left column, explainer) widths for a total width: the panel gets PANEL_SHARE of it, less when the
    left column would get under left_least (but never under panel_min)."""
    panel = max(panel_min, round(total * PANEL_SHARE))
    panel = min(panel, max(panel_min, total - left_least))
    return max(0, total - panel), panel


class _OnNextResize(QObject):
    """Calls back once, just after the widget's next resize (a splitter that is about to get narrower)."""

    def __init__(self, widget: QWidget, callback: Callable[[], object]) -> None:
        super().__init__(widget)
        self._callback: Callable[[], object] | None = callback
        widget.installEventFilter(self)

    def cancel(self) -> None:
        self._callback = None
        self.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self._callback is not None:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)  # after the widget has handled its resize
            self._callback = None
            self.deleteLater()
        return False


def masked_credentials(spec: RequestSpec) -> list[str]:
    """Names of enabled credential headers whose value was masked when stored (core.request's rule, which
    the pipeline enforces: such a request is refused before it is sent)."""
    from inspector.core.redact import is_secret_header
    from inspector.core.request import is_masked

    return [h.name for h in spec.headers if h.enabled and is_secret_header(h.name) and is_masked(h.value)]


MAX_RESTORED_TABS = 30  # tabs beyond this are not restored: each one is an editor built at start-up


class MainWindow(QMainWindow):
    """The collections on the left, the request tabs in the middle (editor and response, explanation)."""

    result_received = Signal(object)  # SendResult: emitted after the panes show it
    exchange_received = Signal(object, object)  # its Exchange and Diagnosis | None, after result_received
    reexplained = Signal(object)  # the SendResult explained again with the panel's expectations
    send_failed = Signal(str)  # the request could not be sent (bad input); the sentence is under the URL bar
    cancelled = Signal()
    busy_changed = Signal(bool)
    tab_opened = Signal(object)  # RequestTab
    current_tab_changed = Signal(object)  # RequestTab
    panel_share = PANEL_SHARE  # each tab's explainer keeps this share of the width

    def __init__(
        self,
        settings: QSettings | None = None,
        *,
        demo_requests: Sequence[tuple[str, RequestSpec]] = (),
        prefer_demo: bool = False,
        profiles_dirs: Sequence[str] = (),
        send_kwargs: dict[str, Any] | None = None,
        max_body_bytes: int = 100 * 1024 * 1024,
        theme: Theme | None = None,
        profiles: Any | None = None,
        history: Any | None = None,
        demo_factory: Callable[[], Sequence[tuple[str, RequestSpec]]] | None = None,
        ask_secret: Callable[[str, str], str | None] | None = None,
        collections: Any | None = None,
        personal_collections: Path | None = None,
        restore_tabs_later: bool = False,
        build_later: bool = False,
    ) -> None:
        """build_later (the app's start-up): only the frame is made here (the title, its place on the
        screen, the menu bar's titles), so that it is on screen at once; build() makes the rest."""
        super().__init__()
        self.setWindowTitle("Request Inspector")
        from inspector.ui.app_icon import ensure_app_icon

        self.setWindowIcon(ensure_app_icon())  # the frame has it (and every dialog, which this sets too)
        self.settings = settings
        self._built = False
        self._theme_choice = theme
        self._follow_palette = theme is None  # a theme given by the caller stays; else it follows the palette
        self.demo_requests = list(demo_requests)
        # builds the demo requests again with freshly minted tokens, so "about to expire" means it when loaded
        self._demo_factory = demo_factory
        self.profiles_dirs = list(profiles_dirs)
        self.max_body_bytes = max_body_bytes
        self._send_kwargs = dict(send_kwargs or {})  # extra transport.send arguments (a session, tests)
        self._loading_example = False
        # Profiles: the model (folders, statuses), one token cache and the ${prompt} answers for this run.
        self.profiles = profiles
        self.history = history
        self.collections: Any = None
        self.personal_collections = personal_collections
        self._ask_secret = ask_secret or self._ask_secret_dialog
        self._prompted: dict[tuple[str, str], str] = {}
        self._token_cache: Any = None
        self._send_resolver: Any = None
        self.history_pane: Any = None
        self._incidents: Any = None  # the Incidents view's controller (ui/incidents_view.py), made on first use
        self.demo_url: str | None = None  # the demo API's address in --demo (the Incidents view's demo burst)
        self.collections_tree: Any = None
        self.collections_dock: Any = None
        self.word_wrap = False
        self._splitter_states: dict[str, QByteArray] = {}
        self._first_show_done = False
        self._panes_restored = False
        self._safe_badge: QLabel | None = None
        # the questions a tab or the window asks; tests put their own answers here
        self.ask_yes_no: Callable[[str, str], bool] = self._ask_yes_no
        self.ask_conflict: Callable[[str], str] = self._ask_conflict
        self.confirm_close: Callable[[Any], str] = self._confirm_close
        self.choose_destination: Callable[[str, Path | None], tuple[Path, str] | None] = \
            self._choose_destination
        # restore_tabs_later (the app's start-up): the saved tabs are read after the first paint, by
        # restore_saved_tabs(), so reading them (the codec's import) does not delay the window
        self._tabs_to_restore: bool | None = prefer_demo if restore_tabs_later else None
        self._prefer_demo = prefer_demo
        self._collections_given = collections
        self._typed_early = ""  # keys typed at the frame, before the URL bar exists: they go there
        # the frame: where the window goes, and the menu bar's titles (their actions come with build())
        self._place()
        bar = self.menuBar()
        self._menus: dict[str, QMenu] = {key: bar.addMenu(title) for key, title in
                                         (("file", "&File"), ("request", "&Request"), ("view", "&View"),
                                          ("help", "&Help"))}
        if not build_later:
            self.build()

    @property
    def built(self) -> bool:
        """build() has run: the tabs, the actions and the panes' hosts exist."""
        return self._built

    def build(self) -> None:
        """Everything but the frame: the status bar, the actions, the first tab and its editor, the saved
        pane sizes and modes; once. The app calls it right after the frame's first paint."""
        if self._built:
            return
        self._built = True
        from inspector.ui.jobs import JobRunner
        from inspector.ui.tab import RequestTabs
        from inspector.ui.theme import current_theme
        from inspector.ui.view_state import MaskedStatusBar, ViewState

        # screen-share-safe mode, the colours and user messages: every pane and dialog subscribes to this one
        self.view_state: ViewState = ViewState(self, theme=self._theme_choice or current_theme())
        self.setStatusBar(MaskedStatusBar(self.view_state, self))
        # every thread the window starts: each tab's send and re-explanation run in slots of their own here
        self.jobs: JobRunner = JobRunner(self, name="MainWindow")

        self.tabs = RequestTabs(self)
        self.tabs.tabCloseRequested.connect(lambda index: self.close_tab(self.tabs.widget(index)))
        self.tabs.currentChanged.connect(self._on_current_changed)
        self.tabs.new_tab_requested.connect(lambda: self.new_tab())
        self.setCentralWidget(self.tabs)

        self._build_actions()
        self._build_examples()
        self.view_state.safe_changed.connect(self._on_safe_changed)
        self.statusBar().showMessage("Ready")
        self.new_tab()
        if self._collections_given is not None:
            self.set_collections(self._collections_given, self.personal_collections)
        self._collections_given = None
        self._restore(self._prefer_demo, tabs=self._tabs_to_restore is None)
        if self._first_show_done:  # the frame was shown before: what a first show does, now
            self._first_shown()
        if self._typed_early:
            typed, self._typed_early = self._typed_early, ""
            self.editor.url_edit.insert(typed)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """At the frame (before build), what is typed is kept for the URL bar: nothing typed is lost."""
        text = event.text()
        if not self._built and text and text.isprintable():
            self._typed_early += text
            event.accept()
            return
        super().keyPressEvent(event)

    # -- the current tab -----------------------------------------------------------------------------------
    def current_tab(self) -> Any:
        """The RequestTab on screen."""
        return self.tabs.currentWidget()

    def all_tabs(self) -> list[Any]:
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    @property
    def editor(self) -> RequestEditor:
        return self.current_tab().editor

    @property
    def profile_picker(self) -> Any:
        return self.current_tab().profile_picker

    @property
    def explainer(self) -> Any:
        """The current tab's ExplainerPanel, built on first use (see ensure_panels)."""
        return self.current_tab().explainer

    @property
    def response_view(self) -> Any:
        """The current tab's ResponseView, built on first use (see ensure_panels)."""
        return self.current_tab().response_view

    @property
    def result(self) -> SendResult | None:
        """The current tab's last send: what the panes, dialogs and exports show."""
        return self.current_tab().result

    @property
    def main_splitter(self) -> QSplitter:
        return self.current_tab().main_splitter

    @property
    def left_splitter(self) -> QSplitter:
        return self.current_tab().left_splitter

    @property
    def sending(self) -> bool:
        """The current tab's send is in flight and its result will be shown (a cancelled one no longer
        counts)."""
        return self.current_tab().sending

    @property
    def theme(self) -> Theme:
        return self.view_state.theme

    @property
    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    def ensure_panels(self) -> None:
        """Build the current tab's deferred panes now (called once the window is on screen)."""
        self.current_tab().ensure_panels()

    # -- layout (the current tab's panes; a new tab copies them) -----------------------------------------
    def panel_min_width(self) -> int:
        """The explainer's least width: its sentences stay readable (about 40 characters a line)."""
        return self.fontMetrics().horizontalAdvance("x" * 40)

    def available_geometry(self) -> QRect:
        """The screen's area free of panels and docks, for the screen the window is on."""
        from PySide6.QtGui import QGuiApplication

        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)

    def left_least_width(self) -> int:
        """The left column's width below which the explainer gives up room first: the editor's least width
        and some 12 more characters of URL."""
        return self.left_splitter.minimumSizeHint().width() + self.fontMetrics().horizontalAdvance("x" * 12)

    def split_panes(self) -> None:
        """Share the central width between the left column and the explainer (see split_width)."""
        total = sum(self.main_splitter.sizes()) or self.width()
        self.main_splitter.setSizes(list(split_width(total, self.left_least_width(), self.panel_min_width())))

    def size_panes(self) -> None:
        """Share the room as a first window should: the explainer PANEL_SHARE of the width, the editor
        EDITOR_SHARE of the left column's height (saved sizes replace this on later runs)."""
        self.split_panes()
        height = sum(self.left_splitter.sizes()) or self.height()
        editor = round(height * EDITOR_SHARE)
        self.left_splitter.setSizes([editor, height - editor])

    def fit_to_screen(self) -> None:
        """Never larger than the screen's available area (a geometry saved on a bigger screen, say)."""
        available = self.available_geometry().size()
        if self.width() > available.width() or self.height() > available.height():
            self.resize(min(self.width(), available.width()), min(self.height(), available.height()))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._first_show_done:
            return
        self._first_show_done = True
        if self._built:
            self._first_shown()

    def _first_shown(self) -> None:
        from PySide6.QtCore import Qt

        if not self._panes_restored:
            self.size_panes()  # again, now that the splitters have their real sizes
        # start where people start: typing or pasting a URL (focus on the method box let an arrow key turn
        # GET into PATCH); no selection, so a test or a user typing at once appends to what is there
        self.editor.url_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- tabs ----------------------------------------------------------------------------------------------
    def new_tab(self, spec: RequestSpec | None = None, *, activate: bool = True) -> Any:
        """A new tab (Ctrl+T), empty or with a scratch request."""
        from inspector.ui.tab import RequestTab

        tab = RequestTab(self, self.tabs)
        for name in ("result_received", "exchange_received", "reexplained", "send_failed", "cancelled",
                     "busy_changed"):
            getattr(tab, name).connect(getattr(self, name))
        tab.result_received.connect(lambda _r, t=tab: self._after_result(t))
        tab.state_changed.connect(lambda t=tab: self._update_tab_title(t))
        tab.status.connect(lambda text, t=tab: self._tab_status(t, text))
        current = self.tabs.currentWidget()
        self._copy_layout(current, tab)
        if spec is not None:
            tab.set_spec(spec)
        index = self.tabs.addTab(tab, tab.display_title())
        self._update_tab_title(tab)
        if activate:
            self.tabs.setCurrentIndex(index)
            tab.editor.focus_url()
        self.tab_opened.emit(tab)
        return tab

    def _copy_layout(self, source: Any, tab: Any) -> None:
        """A new tab's panes as wide as the current tab's (or as the saved ones)."""
        for name in ("main_splitter", "left_splitter"):
            splitter = getattr(tab, name)
            if source is not None and source is not tab:
                splitter.restoreState(getattr(source, name).saveState())
            elif splitter.objectName() in self._splitter_states:
                splitter.restoreState(self._splitter_states[splitter.objectName()])

    def close_tab(self, tab: Any = None) -> bool:
        """Ctrl+W: close a tab (the current one); asks first when it has unsaved edits. The last tab closed
        leaves an empty one. False when the user kept it."""
        tab = tab or self.current_tab()
        if tab is None:
            return False
        # a scratch tab with nothing typed is closed without a question
        worth_asking = tab.origin is not None or bool(tab.editor.to_spec().url.strip())
        if tab.is_dirty() and worth_asking:
            answer = self.confirm_close(tab)
            if answer == "cancel":
                return False
            if answer == "save" and not tab.save():
                return False
        tab.shutdown()
        self.tabs.removeTab(self.tabs.indexOf(tab))
        from inspector.ui.view_state import free_later

        free_later(tab)  # a job of its still running (a large body's check, say) is not waited for
        if self.tabs.count() == 0:
            self.new_tab()
        return True

    def next_tab(self) -> None:
        if self.tabs.count() > 1:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + 1) % self.tabs.count())

    def previous_tab(self) -> None:
        if self.tabs.count() > 1:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() - 1) % self.tabs.count())

    def _on_current_changed(self, index: int) -> None:
        tab: Any = self.tabs.widget(index)
        if tab is None:
            return
        previous = getattr(self, "_previous_tab", None)
        if previous is not None and previous is not tab and previous.parent() is not None:
            self._copy_layout(previous, tab)  # the panes keep their place when switching tabs
        self._previous_tab = tab
        if tab.result is not None:
            shown = tab.result.shown_secrets()
            self.view_state.remember_secrets(shown.values, shown.names)
        tab.set_word_wrap(self.word_wrap)
        self.current_tab_changed.emit(tab)

    def _update_tab_title(self, tab: Any) -> None:
        index = self.tabs.indexOf(tab)
        if index < 0:
            return
        self.tabs.setTabText(index, tab.display_title().replace("&", "&&"))
        # the URL alone: to_spec() would copy the whole body again on every key typed in it
        tip = str(tab.origin) if tab.origin is not None else self.view_state.mask(tab.editor.url_source().strip())
        self.tabs.setTabToolTip(index, tip)

    def _tab_status(self, tab: Any, text: str) -> None:
        if tab is not self.current_tab() and text:
            text = f"{tab.title()}: {text}"
        self.statusBar().showMessage(text)

    @property
    def history(self) -> Any:
        return self._history

    @history.setter
    def history(self, store: Any) -> None:
        # a send adds its entry and drops a few of the oldest at most; a larger trim is a job (_after_result)
        if store is not None and getattr(store, "trim_in_add", None) is None:
            from inspector.core.history import TRIM_BATCH

            store.trim_in_add = TRIM_BATCH
        self._history = store

    def _after_result(self, _tab: Any) -> None:
        from inspector.core.errors import InspectorError

        history = self.history
        try:
            due = history is not None and history.excess() > 0  # the limit was lowered: trimmed by a job
        except InspectorError:
            due = False  # an unreadable history was said when the entry was not saved
        if due:
            self.jobs.start("history-trim", lambda job: history.trim(job.cancel), queue=True,
                            on_done=lambda _removed: self._after_trim(),
                            on_failed=lambda exc: self.statusBar().showMessage(
                                f"The history was not trimmed: {exc}"))
        self._after_trim()

    def _after_trim(self) -> None:
        if self.history_pane is not None and self.history is not None:
            self.history_pane.refresh()
        self._history_changed()

    def _history_changed(self, *_: object) -> None:
        if self.history is None:
            return
        if self._incidents is not None:
            self._incidents.history_changed()  # the incidents and the badge again, once per burst of sends
        else:
            self.check_incidents_badge()

    def incidents(self) -> Any:
        """The Incidents view's controller (ui/incidents_view.py), made on first use: never before the
        first paint."""
        if self._incidents is None:
            from inspector.ui.incidents_view import Incidents

            self._incidents = Incidents(self)
        return self._incidents

    def tab_for(self, path: Path) -> Any | None:
        """The tab editing this request file, if one does."""
        from inspector.ui.collections_model import path_key

        key = path_key(path)
        for tab in self.all_tabs():
            if tab.origin is not None and path_key(tab.origin) == key:
                return tab
        return None

    # -- actions and menus -------------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], object], *keys: str | QKeySequence.StandardKey,
                tip: str = "") -> QAction:
        from PySide6.QtCore import Qt

        action = QAction(text, self)
        shortcuts = [QKeySequence(k) for k in keys]
        if shortcuts:
            action.setShortcuts(shortcuts)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.send_action = self._action("&Send", self.send, "Ctrl+Return", "Ctrl+Enter",
                                        tip="Send the request")
        self.cancel_action = self._action("&Cancel", self.escape, "Esc", tip="Stop waiting for the response")
        self.focus_url_action = self._action("Focus &URL", lambda: self.editor.focus_url(), "Ctrl+L")
        self.find_action = self._action("&Find in body…", lambda: self.response_view.open_find(), "Ctrl+F")
        self.find_next_action = self._action("Find &next", lambda: self.response_view.find_next(), "F3")
        self.find_prev_action = self._action("Find &previous", lambda: self.response_view.find_previous(),
                                             "Shift+F3")
        self.new_tab_action = self._action("&New tab", lambda: self.new_tab(), "Ctrl+T",
                                           tip="A new request in a tab of its own")
        self.close_tab_action = self._action("&Close tab", lambda: self.close_tab(), "Ctrl+W",
                                             tip="Close this tab (asks when it has unsaved edits)")
        self.next_tab_action = self._action("Next tab", self.next_tab, "Ctrl+Tab", "Ctrl+PgDown")
        self.prev_tab_action = self._action("Previous tab", self.previous_tab, "Ctrl+Shift+Tab", "Ctrl+PgUp")
        self.save_request_action = self._action("&Save request", self.save_request, "Ctrl+S",
                                                tip="Save the request to its collection file")
        self.save_request_as_action = self._action("Save request &as…", self.save_request_as,
                                                   tip="Save the request in a collection of your choice")
        self.import_action = self._action("&Import a collection…", self.open_import, "Ctrl+I",
                                          tip="Postman, Insomnia, OpenAPI, curl or HAR into a collection")
        self.save_body_action = self._action("Save response &body…",
                                             lambda: self.response_view.choose_save_path(), "Ctrl+Alt+S")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.report_action = self._action("Support &report…", self.open_report, "Ctrl+Shift+R",
                                          tip="A Markdown or HTML report of the last exchange, secrets "
                                              "masked")
        self.curl_action = self._action("Copy as &curl…", self.open_curl, "Ctrl+Shift+C",
                                        tip="The request as a curl command (credentials masked by default)")
        self.har_import_action = self._action("Open &HAR file…", self.open_har, "Ctrl+Shift+O",
                                              tip="Inspect and re-send the entries of a browser's HAR file")
        self.har_incident_action = self._action(
            "Open HAR as &incident…", lambda: self.incidents().open_har(),
            tip="Find what changed in a HAR file (a customer's) without importing it into your history")
        self.har_export_action = self._action("&Export as HAR…", self.export_last_har, "Ctrl+Shift+E",
                                              tip="The last exchange as HAR 1.2, secrets masked")
        self.safe_action = QAction("Screen-share &safe", self)
        self.safe_action.setCheckable(True)
        self.safe_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.safe_action.setStatusTip("Mask every secret on screen: credentials, tokens, secret parameters")
        self.safe_action.toggled.connect(self.view_state.set_safe)
        self.addAction(self.safe_action)
        self.history_action = QAction("&History", self)
        self.history_action.setCheckable(True)
        self.history_action.setShortcut(QKeySequence("Ctrl+H"))
        self.history_action.toggled.connect(self._toggle_history)
        self.incidents_action = QAction("&Incidents", self)
        self.incidents_action.setCheckable(True)
        self.incidents_action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.incidents_action.setStatusTip("Many refused requests that share a cause: what changed, when, for whom")
        self.incidents_action.toggled.connect(lambda on: self.incidents().show(on) if on or self._incidents
                                              else None)
        self.addAction(self.incidents_action)
        self.collections_action = QAction("C&ollections", self)
        self.collections_action.setCheckable(True)
        self.collections_action.setShortcut(QKeySequence("Ctrl+B"))
        self.collections_action.setStatusTip("The collections sidebar")
        self.collections_action.toggled.connect(self._toggle_collections)
        # only the user's Ctrl+B (or the menu) moves the focus to the filter: the sidebar that appears when
        # the collections arrive after start-up must not take the keys of a URL being typed
        self.collections_action.triggered.connect(self._focus_collections)
        self.addAction(self.collections_action)
        self.profiles_action = self._action("&Profiles…", self.open_profiles_dialog, "Ctrl+Shift+P",
                                            tip="Create, edit and check credential profiles and team folders")
        self.wrap_action = QAction("&Word wrap", self)
        self.wrap_action.setCheckable(True)
        self.wrap_action.toggled.connect(self.set_word_wrap)
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.open_shortcuts, "Ctrl+/",
                                             tip="Every keyboard shortcut of the window")
        self.quick_start_action = self._action("&Quick start", self.open_quick_start, "F1",
                                               tip="How to try the app in a minute")
        self.about_action = self._action("&About Request Inspector", self.open_about,
                                         tip="Version, Qt and Python, and where the app keeps its files")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

        file_menu = self._menus["file"]
        for a in (self.new_tab_action, self.save_request_action, self.save_request_as_action,
                  self.close_tab_action):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.profiles_action)
        file_menu.addSeparator()
        file_menu.addAction(self.har_import_action)
        file_menu.addAction(self.har_incident_action)
        file_menu.addAction(self.har_export_action)
        file_menu.addAction(self.report_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_body_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        request_menu = self._menus["request"]
        for a in (self.send_action, self.cancel_action, self.focus_url_action, self.curl_action):
            request_menu.addAction(a)
        self.examples_menu = request_menu.addMenu("&Examples")
        view_menu = self._menus["view"]
        for a in (self.find_action, self.find_next_action, self.find_prev_action):
            view_menu.addAction(a)
        view_menu.addSeparator()
        view_menu.addAction(self.wrap_action)
        view_menu.addAction(self.collections_action)
        view_menu.addAction(self.history_action)
        view_menu.addAction(self.incidents_action)
        view_menu.addAction(self.next_tab_action)
        view_menu.addAction(self.prev_tab_action)
        view_menu.addSeparator()
        view_menu.addAction(self.safe_action)
        help_menu = self._menus["help"]
        help_menu.addAction(self.quick_start_action)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)

    def set_word_wrap(self, on: bool) -> None:
        self.word_wrap = on
        if self.wrap_action.isChecked() != on:
            self.wrap_action.setChecked(on)
        for tab in self.all_tabs():
            tab.set_word_wrap(on)

    def _build_examples(self) -> None:
        toolbar = QToolBar("Examples", self)
        toolbar.setObjectName("examplesToolbar")
        toolbar.setMovable(False)
        self.examples_combo = QComboBox(toolbar)
        self.examples_combo.setObjectName("examplesCombo")
        self.examples_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.examples_combo.addItem("Choose an example request…", None)
        for i, (title, _spec) in enumerate(self.demo_requests):
            self.examples_combo.addItem(title, i)
            action = self.examples_menu.addAction(title)
            action.triggered.connect(lambda _c=False, i=i: self.load_example(i))
        self.examples_combo.activated.connect(self._on_example_chosen)
        toolbar.addWidget(QLabel(" Examples: ", toolbar))
        toolbar.addWidget(self.examples_combo)
        self.addToolBar(toolbar)
        toolbar.setVisible(bool(self.demo_requests))
        self.examples_menu.setEnabled(bool(self.demo_requests))
        self.current_tab_changed.connect(lambda _t: self._forget_example())

    def _on_example_chosen(self, index: int) -> None:
        data = self.examples_combo.itemData(index)
        if data is not None:
            self.load_example(int(data))

    def _forget_example(self) -> None:
        if not self._loading_example:
            self.examples_combo.setCurrentIndex(0)  # the form no longer holds the example named there

    def load_example(self, index: int) -> None:
        """Put a demo request in the current tab's editor, ready to send."""
        from PySide6.QtCore import Qt

        title, spec = self.demo_requests[index]
        if self._demo_factory is not None:
            fresh = self._demo_factory()
            if index < len(fresh) and fresh[index][0] == title:
                spec = fresh[index][1]
        self._loading_example = True
        try:
            tab = self.current_tab()
            tab.set_spec(spec)
            tab.editor.spec_changed.connect(self._forget_example, Qt.ConnectionType.UniqueConnection)
        finally:
            self._loading_example = False
        self.examples_combo.setCurrentIndex(index + 1)
        self.editor.show_relevant_tab()
        self.statusBar().showMessage(f"Example loaded: {title}. Press Ctrl+Enter to send it.")

    # -- sending (the current tab) -------------------------------------------------------------------------
    def send(self) -> bool:
        """Validate the current tab's form and send it off the UI thread; False when it cannot be sent."""
        return bool(self.current_tab().send())

    def cancel(self) -> None:
        """Stop waiting for the current tab's answer: it is idle at once and a late answer is ignored."""
        self.current_tab().cancel()

    def escape(self) -> None:
        """Esc: cancel a request in flight, else close the find bar."""
        self.current_tab().escape()

    def send_kwargs(self) -> dict[str, Any]:
        return dict(self._send_kwargs)

    def save_full_body(self, path: str) -> None:
        self.current_tab().save_full_body(path)

    # -- profiles ----------------------------------------------------------------------------------------
    def profile_for(self, spec: RequestSpec) -> Any | None:
        """The Profile the spec names, or None; ProfileError when it is gone or its file is broken."""
        if not spec.profile:
            return None
        from inspector.core.errors import ProfileError

        for profile in self.profiles.profiles if self.profiles is not None else ():
            if profile.identity == spec.profile:
                return profile
        raise ProfileError(
            f"The profile '{spec.profile}' is not available (its file was removed or cannot be read): "
            "choose another profile or fix it in File > Profiles."
        )

    _profile_for = profile_for  # the name older callers use

    def find_profile(self, name: str, folder: Path | None = None) -> Any | None:
        """A profile by identity, name or file stem (a collection names profiles by name); one in folder
        (the collection's profiles/) first."""
        from inspector.ui.collections_model import path_key

        profiles = list(self.profiles.profiles) if self.profiles is not None else []
        wanted = name.strip()
        for match in (lambda p: p.identity == wanted, lambda p: p.name == wanted,
                      lambda p: p.path.stem == wanted, lambda p: p.name.casefold() == wanted.casefold()):
            found = [p for p in profiles if match(p)]
            if folder is not None:
                local = [p for p in found if path_key(p.path.parent) == path_key(folder)]
                found = local or found
            if found:
                return found[0]
        return None

    def ask_prompts(self, profile: Any | None, variables: Sequence[str] = ()) -> bool:
        """Ask on the UI thread for every ${prompt} secret not yet given in this run; False when declined."""
        if profile is not None:
            for name in profile.secret_fields():
                if (profile.credential(name) or "").strip() != "${prompt}" or \
                        (profile.name, name) in self._prompted:
                    continue
                answer = self._ask_secret(profile.name, name)
                if not answer:
                    return False
                self._prompted[(profile.name, name)] = answer
        for variable in variables:
            key = (f"variable {variable}", variable)
            if key in self._prompted:
                continue
            answer = self._ask_secret(f"variable {variable}", variable)
            if not answer:
                return False
            self._prompted[key] = answer
        return True

    def _ask_secret_dialog(self, profile: str, field: str) -> str | None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        from inspector.ui.view_state import run_dialog

        dialog = QInputDialog(self)
        dialog.setWindowTitle("Secret needed")
        dialog.setLabelText(f"{field} for profile '{profile}' (kept in memory for this run only):")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        for label in dialog.findChildren(QLabel):  # a team profile's name is not HTML
            label.setTextFormat(Qt.TextFormat.PlainText)
        ok = run_dialog(dialog) == QInputDialog.DialogCode.Accepted
        text = dialog.textValue()
        return text if ok and text else None

    def resolver(self, environ: dict[str, str] | None = None) -> Any:
        """The resolver for a send (any thread): the secret store, ${prompt} answers given on the UI thread,
        and the environment variables (environ, else the process's)."""
        from inspector.core.profiles import Resolver

        secrets = self.profiles.secrets if self.profiles is not None else None
        prompted = self._prompted
        # answers were asked for on the UI thread before the send (see ask_prompts); fields come as
        # "credentials.NAME" from the resolver
        prompt = lambda p, f: prompted.get((p, f.removeprefix("credentials.")))  # noqa: E731
        if environ is not None:
            return Resolver(secrets, env=environ, prompt=prompt)
        if self._send_resolver is None:
            self._send_resolver = Resolver(secrets, prompt=prompt)
        return self._send_resolver

    def _resolver(self) -> Any:
        return self.resolver()

    def token_cache(self) -> Any:
        if self._token_cache is None:
            from inspector.core.profiles.auth import TokenCache

            self._token_cache = TokenCache()
        return self._token_cache

    def set_history(self, history: Any, *, badge: bool = True) -> None:
        """Attach the history store (opened after the first paint); the pane reopens if it was open last
        time. With badge, the status bar's badge is checked at once (the app's start-up checks it once the
        window is ready: check_incidents_badge)."""
        self.history = history
        if badge:
            self.check_incidents_badge()
        if history is not None and self.settings is not None and \
                self.settings.value("view/history", False) in (True, "true", "1", 1):
            self.history_action.setChecked(True)

    def check_incidents_badge(self) -> None:
        """The badge: does the last hour of the history hold an incident? (analysed on a job). Until the last
        hour holds an entry at all (one indexed lookup, on a job), the Incidents controller and its modules are
        not made: an idle window that sent nothing lately does not hold them."""
        history = self.history
        if history is None:
            return
        if self._incidents is not None:
            self._incidents.check_badge()
            return
        from datetime import UTC, datetime

        from inspector.core.history import RECENT

        since = datetime.now(UTC) - RECENT
        self.jobs.start("badge-precheck", lambda _job: history.has_entries_since(since),
                        on_done=self._on_recent_entries)

    def _on_recent_entries(self, any_recent: bool) -> None:
        if any_recent and self.history is not None:
            self.incidents().check_badge()

    def set_profiles(self, model: Any) -> None:
        """Attach the profiles model (built after the first paint: it reads the profile folders; the keyring
        is found on a job when a secret is first needed)."""
        from PySide6.QtCore import Qt

        self.profiles = model
        model.setParent(self)  # its polling timer lives and dies with the window
        self._send_resolver = None
        for tab in self.all_tabs():
            tab.profile_picker.bind(model)  # the picker follows every load; the first one runs on a worker
        self.tab_opened.connect(lambda tab: tab.profile_picker.bind(model))
        model.start_watching()
        if getattr(model, "loaded", True):
            self._select_pending_profile()
        else:  # after the picker (connected first) has the first load
            model.profiles_changed.connect(self._select_pending_profile,
                                           Qt.ConnectionType.SingleShotConnection)
        model.profiles_changed.connect(self._on_profiles_changed)

    def _select_pending_profile(self) -> None:
        for tab in self.all_tabs():
            wanted = tab.editor.pending_profile
            if wanted and tab.editor.to_spec().profile is None:
                tab.profile_picker.select_identity(wanted)
            tab.on_profiles_loaded()

    def _on_profiles_changed(self) -> None:
        for tab in self.all_tabs():
            tab._update_profile_reason()

    def open_profiles_dialog(self) -> None:
        if self.profiles is None:
            self.statusBar().showMessage("Profiles are not available in this window.")
            return
        from inspector.ui.profiles_dialog import ProfilesDialog
        from inspector.ui.view_state import run_dialog

        dialog = ProfilesDialog(self.profiles, parent=self, view=self.view_state)
        dialog.folders_changed.connect(self._save_team_dirs)
        current = self.profile_picker.current_profile()
        if current is not None:
            dialog.select(current.identity)
        run_dialog(dialog)

    # -- help ----------------------------------------------------------------------------------------------
    def open_shortcuts(self) -> None:
        from inspector.ui.help_dialogs import ShortcutsDialog
        from inspector.ui.view_state import run_dialog

        run_dialog(ShortcutsDialog(self))

    def open_quick_start(self) -> None:
        from inspector.ui.help_dialogs import QuickStartDialog
        from inspector.ui.view_state import run_dialog

        run_dialog(QuickStartDialog(self))

    def open_about(self) -> None:
        from inspector.ui.help_dialogs import AboutDialog, about_folders
        from inspector.ui.view_state import run_dialog

        run_dialog(AboutDialog(self, folders=about_folders(os.environ, self.settings, self.profiles_dirs)))

    def _save_team_dirs(self, dirs: list) -> None:
        """Remember the team folders the user chose; folders given for this run only are not saved."""
        import json

        from inspector.core.profiles.store import team_dirs_from

        run_only = {str(Path(d).expanduser()) for d in self.profiles_dirs}
        run_only |= {str(d) for d in team_dirs_from(os.environ)}  # INSPECTOR_PROFILES
        run_only |= {str(d) for d in self._collection_profile_dirs()}
        kept = [str(d) for d in dirs if str(Path(d).expanduser()) not in run_only]
        if self.settings is not None:
            self.settings.setValue("profiles/teamDirs", json.dumps(kept))

    # -- collections ---------------------------------------------------------------------------------------
    def set_collections(self, model: Any, personal: Path | None = None) -> None:
        """Attach the collections (built after the first paint; loading runs on workers) and show the tree."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QDockWidget

        from inspector.ui.collections_tree import CollectionsTree

        self.collections = model
        if personal is not None:
            self.personal_collections = personal
        model.setParent(self)
        if self.settings is not None:
            choices = _json_setting(self.settings, "collections/environments", {})
            if isinstance(choices, dict):
                model.restore_environment_choices(choices)
        self.collections_tree = CollectionsTree(model, self, view=self.view_state)
        tree = self.collections_tree
        tree.window_sources = [str(p) for p in _json_setting(self.settings, "collections/windowDirs", [])
                               if isinstance(p, str)] if self.settings is not None else []
        tree.open_requested.connect(self.open_request)
        tree.request_moved.connect(self._on_request_moved)
        tree.request_deleted.connect(self._on_request_deleted)
        tree.import_requested.connect(self.open_import)
        tree.sources_changed.connect(self._save_collection_dirs)
        model.collection_loaded.connect(self._on_collection_loaded)
        model.environment_changed.connect(lambda _root: self._save_environment_choices())
        for tab in self.all_tabs():
            tab.attach_collections(model)
            if tab.origin is not None:
                tab.on_collection_loaded()  # restored tabs whose collection was loaded already
        self.collections_dock = QDockWidget("Collections", self)
        self.collections_dock.setObjectName("collectionsDock")
        self.collections_dock.setWidget(tree)
        self.collections_dock.visibilityChanged.connect(self.collections_action.setChecked)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.collections_dock)
        self.resizeDocks([self.collections_dock], [max(260, self.width() // 5)], Qt.Orientation.Horizontal)
        shown = self.settings.value("view/collections", True) if self.settings is not None else True
        self.collections_dock.setVisible(shown in (True, "true", "1", 1))
        self.collections_action.setChecked(self.collections_dock.isVisible())

    def _toggle_collections(self, on: bool) -> None:
        if self.collections_dock is None:
            if on:
                self.statusBar().showMessage("Collections are still being found: they appear in a moment.")
            return
        self.collections_dock.setVisible(on)

    def _focus_collections(self, on: bool) -> None:
        if on and self.collections_tree is not None:
            self.collections_tree.filter_edit.setFocus()

    def _collection_profile_dirs(self) -> list[Path]:
        model = self.collections
        if model is None:
            return []
        return [Path(r.root) / "profiles" for r in model.refs if (Path(r.root) / "profiles").is_dir()]

    def _on_collection_loaded(self, root: Path) -> None:
        for tab in self.all_tabs():
            if tab.origin is not None and tab.root is not None:
                from inspector.ui.collections_model import path_key

                if path_key(tab.root) == path_key(root):
                    tab.on_collection_loaded()
        self._add_collection_profiles(root)

    def _add_collection_profiles(self, root: Path) -> None:
        """A collection's profiles/ folder is a team profile folder while the collection is open."""
        folder = Path(root) / "profiles"
        model = self.profiles
        if model is None or not folder.is_dir() or not hasattr(model, "set_team_dirs"):
            return
        from inspector.ui.collections_model import path_key

        have = [p for p, kind in model.folders if kind == "team"]
        if any(path_key(p) == path_key(folder) for p in have):
            return
        model.set_team_dirs([*have, folder])

    def open_request(self, path: Path, new_tab: bool = False) -> Any | None:
        """Open a request file of a collection: its tab if one is open, else the current tab when it is an
        untouched empty one (or new_tab is False and it is not edited), else a new tab."""
        existing = self.tab_for(path)
        if existing is not None:
            self.tabs.setCurrentWidget(existing)
            return existing
        model = self.collections
        located = model.find(path) if model is not None else None
        if located is None:
            self.statusBar().showMessage(f"{path} is not a request of an open collection (yet).")
            return None
        current = self.current_tab()
        reuse = current is not None and not new_tab and not current.is_dirty() and not current.sending \
            and (current.base is None and not current.editor.to_spec().url.strip())
        tab = current if reuse else self.new_tab()
        tab.open_saved(located)
        self.tabs.setCurrentWidget(tab)
        self.statusBar().showMessage(f"Opened '{located.request.name}'. Ctrl+Enter sends it.")
        return tab

    def _on_request_moved(self, old: Path, saved: Any) -> None:
        for tab in self.all_tabs():
            tab.follow_move(old, saved)

    def _on_request_deleted(self, path: Path) -> None:
        tab = self.tab_for(path)
        if tab is not None:
            tab.forget_file()

    def save_request(self) -> bool:
        """Ctrl+S: save the current tab's request to its collection file (Save as… when it has none)."""
        return bool(self.current_tab().save())

    def save_request_as(self) -> bool:
        return bool(self.current_tab().save_as())

    def open_import(self, path: str | None = None) -> Any:
        """File > Import…: the import dialog (the import runs on a worker)."""
        from inspector.ui.import_dialog import ImportDialog
        from inspector.ui.view_state import free_when_closed

        personal = self.personal_collections or _default_personal()
        secrets = self.profiles.secrets if self.profiles is not None else None
        dialog = ImportDialog(personal, self, model=self.collections, secrets=secrets, view=self.view_state)
        dialog.imported.connect(self._on_imported)
        if path:
            dialog.path_edit.setText(path)
            dialog.import_file(path)
        dialog.setModal(True)
        free_when_closed(dialog).show()
        return dialog

    def _on_imported(self, report: Any) -> None:
        if self.collections is not None:
            self.collections.load(Path(report.into))
            self.collections.refresh()
        self.statusBar().showMessage(f"Imported into {report.into}.")

    def save_spec_to_collection(self, spec: RequestSpec, name: str | None = None) -> Any:
        """Save to collection… for a request from history, a HAR file or a pasted curl command: it opens
        in a new tab, which is then saved where the user chooses."""
        tab = self.new_tab(spec)
        if name:
            tab.base = None
        saved = tab.save_as()
        return tab if saved else None

    def save_record_to_collection(self, record: Any) -> Any:
        return self.save_spec_to_collection(record.spec)

    def _choose_destination(self, name: str, folder: Path | None) -> tuple[Path, str] | None:
        if self.collections is None:
            return None
        from inspector.ui.save_request_dialog import SaveRequestDialog
        from inspector.ui.view_state import run_dialog

        dialog = SaveRequestDialog(self.collections, self.personal_collections or _default_personal(), self,
                                   name=name, folder=folder, view=self.view_state)
        ok = run_dialog(dialog) == SaveRequestDialog.DialogCode.Accepted
        chosen = dialog.destination() if ok else None
        return chosen

    def _ask_yes_no(self, title: str, text: str) -> bool:
        from PySide6.QtWidgets import QMessageBox

        from inspector.ui.view_state import plain_message_box, run_dialog

        box = plain_message_box(self, QMessageBox.Icon.Question, title, text)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        return run_dialog(box) == QMessageBox.StandardButton.Yes

    def _ask_conflict(self, text: str) -> str:
        """'overwrite' | 'reload' | 'save_as' | 'cancel': a file changed on disk since the tab loaded it."""
        from PySide6.QtWidgets import QMessageBox

        from inspector.ui.view_state import plain_message_box, run_dialog

        box = plain_message_box(self, QMessageBox.Icon.Warning, "Changed on disk", text)
        overwrite = box.addButton("Overwrite with mine", QMessageBox.ButtonRole.DestructiveRole)
        reload = box.addButton("Reload theirs", QMessageBox.ButtonRole.ResetRole)
        save_as = box.addButton("Save as…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        run_dialog(box)
        clicked = box.clickedButton()  # (deleted later, on the event loop's next turn)
        return {id(overwrite): "overwrite", id(reload): "reload", id(save_as): "save_as"}.get(
            id(clicked), "cancel")

    def _confirm_close(self, tab: Any) -> str:
        """'save' | 'discard' | 'cancel' for a tab with unsaved edits."""
        from PySide6.QtWidgets import QMessageBox

        from inspector.ui.view_state import plain_message_box, run_dialog

        box = plain_message_box(self, QMessageBox.Icon.Question, "Unsaved edits",
                                f"'{tab.title()}' has edits that are not saved. Save them first?")
        box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        answer = run_dialog(box)
        if answer == QMessageBox.StandardButton.Save:
            return "save"
        if answer == QMessageBox.StandardButton.Discard:
            return "discard"
        return "cancel"

    def _save_collection_dirs(self, dirs: list) -> None:
        import json

        if self.settings is not None:
            self.settings.setValue("collections/windowDirs", json.dumps([str(d) for d in dirs]))

    def _save_environment_choices(self) -> None:
        import json

        if self.settings is not None and self.collections is not None:
            self.settings.setValue("collections/environments",
                                   json.dumps(self.collections.environment_choices()))

    # -- screen-share-safe mode and theme: the panes follow view_state themselves --------------------------
    def set_screen_share_safe(self, on: bool) -> None:
        """Mask every secret in every pane; the title says so; remembered between runs."""
        self.view_state.set_safe(on)

    def _on_safe_changed(self, on: bool) -> None:
        if self.safe_action.isChecked() != on:
            self.safe_action.setChecked(on)
        self.setWindowTitle(
            "Request Inspector — SCREEN-SHARE SAFE (secrets hidden)" if on else "Request Inspector")
        if self._safe_badge is None:
            self._safe_badge = QLabel(" Screen-share safe: secrets hidden ", self)
            self._safe_badge.setObjectName("safeBadge")
            self.statusBar().addPermanentWidget(self._safe_badge)
            self.view_state.follow_theme(self._style_safe_badge)
        self._safe_badge.setVisible(on)
        if self.settings is not None:
            self.settings.setValue("view/screenShareSafe", on)
        self.statusBar().showMessage("Screen-share safe: secrets are masked everywhere." if on
                                     else "Screen-share safe is off: secrets show where you ask for them.")

    def _style_safe_badge(self, theme: Theme) -> None:
        if self._safe_badge is not None:
            self._safe_badge.setStyleSheet(
                f"background: {theme.safe_badge_bg}; color: {theme.safe_badge_text}; border-radius: 3px;"
                " padding: 1px 6px;")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if getattr(self, "_built", False) and self._follow_palette and \
                event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            from inspector.ui.theme import theme_for

            self.view_state.set_theme(theme_for(self.palette()))

    # -- history, report, curl, HAR ----------------------------------------------------------------------
    def _toggle_history(self, on: bool) -> None:
        from PySide6.QtCore import Qt

        if on and self.history_pane is None:
            if self.history is None:
                self.statusBar().showMessage("History is off: its database could not be opened.")
                self.history_action.setChecked(False)
                return
            from PySide6.QtWidgets import QDockWidget

            from inspector.ui.history_pane import HistoryPane

            self.history_pane = HistoryPane(self.history, self, view=self.view_state)
            self.history_pane.open_requested.connect(self.open_history_record)
            self.history_pane.resend_requested.connect(self.resend_history_record)
            self.history_pane.report_requested.connect(self._report_record)
            self.history_pane.curl_requested.connect(lambda record: self.open_curl(record.exchange))
            self.history_pane.save_requested.connect(self.save_record_to_collection)
            self.history_pane.retention_changed.connect(self._save_retention)
            self.history_pane.entries_removed.connect(self._history_changed)
            self.history_dock = QDockWidget("History", self)
            self.history_dock.setObjectName("historyDock")
            self.history_dock.setWidget(self.history_pane)
            # a dock whose tab is behind another's (Incidents) says "not visible" but is still open
            self.history_dock.visibilityChanged.connect(
                lambda shown: self.history_action.setChecked(shown or not self.history_dock.isHidden()))
            # the central area is about to lose the dock's width: the explainer gives up its share first,
            # so the URL bar keeps a useful width (once the splitter has its new width)
            saved = self._saved_history_width()
            resplit = _OnNextResize(self.main_splitter, self.split_panes)
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.history_dock)
            self.resizeDocks([self.history_dock], [saved or self.history_dock_width()],
                             Qt.Orientation.Horizontal)
            if saved or not self.isVisible():
                resplit.cancel()  # the pane sizes were saved with its width; a hidden window splits on show
        if self.history_pane is not None:
            self.history_dock.setVisible(on)

    def _saved_history_width(self) -> int:
        """The history's width when the window last closed (0: none saved, or not a number)."""
        try:
            return max(0, int(str(self.settings.value("window/historyWidth", 0)))) if self.settings else 0
        except ValueError:
            return 0

    def history_dock_width(self) -> int:
        """The history's first width: what its columns need, but at most HISTORY_SHARE of the window and
        never so much that the editor, the URL bar and the explanation lose their least widths."""
        room = self.width() - self.main_splitter.minimumSizeHint().width() - 8  # the dock's separator
        want = min(self.history_pane.preferred_width(), round(self.width() * HISTORY_SHARE), room)
        return max(want, self.history_dock.minimumSizeHint().width())

    def _save_retention(self, keep: int) -> None:
        if self.settings is not None:
            self.settings.setValue("history/keep", keep)

    def open_history_record(self, record: Any) -> None:
        """Put a past request in the current tab and show what came back then (masked, as stored)."""
        self.current_tab().show_record(record)
        masked = masked_credentials(record.spec)
        note = (f" Its {', '.join(masked)} was stored masked: paste it again or pick a profile before "
                "sending." if masked else " Press Ctrl+Enter to send it again.")
        then = record.diagnosis.summary if record.diagnosis is not None else ""
        verdict = f" Then: {then}" if then else ""
        self.statusBar().showMessage(
            f"Reopened from history: {record.row.method} {record.row.url}.{verdict}{note}")

    def resend_history_record(self, record: Any) -> None:
        self.current_tab().set_spec(record.spec)
        masked = masked_credentials(record.spec)
        if masked:
            self.editor.show_message(
                f"Not re-sent: the {', '.join(masked)} of this request was stored masked in history. Paste "
                "the credential again (or pick a profile), then press Ctrl+Enter."
            )
            return
        self.send()

    def _report_record(self, record: Any) -> None:
        from inspector.ui.report_dialog import ReportDialog
        from inspector.ui.view_state import run_dialog

        run_dialog(ReportDialog.for_record(record, self))

    def open_report(self) -> None:
        if self.result is None:
            self.statusBar().showMessage("Send a request first: the report describes the last exchange.")
            return
        from inspector.ui.report_dialog import ReportDialog
        from inspector.ui.view_state import run_dialog

        run_dialog(ReportDialog.for_result(self.result, self, context=self.current_tab().send_context))

    def open_curl(self, source: Any = None) -> None:
        """The curl dialog for an exchange or spec, else the last result, else the request in the editor."""
        from inspector.ui.curl_dialog import CurlDialog
        from inspector.ui.view_state import run_dialog

        if source is not None:
            dialog = CurlDialog(source, self, view=self.view_state)
        elif self.result is not None:
            dialog = CurlDialog.for_result(self.result, self, view=self.view_state)
        else:
            self.editor.commit_edits()
            dialog = CurlDialog(self.editor.to_spec(), self, view=self.view_state)
        run_dialog(dialog)

    def open_har(self, path: str | None = None) -> None:
        from inspector.ui.har_dialog import HarDialog
        from inspector.ui.view_state import free_later, run_dialog

        dialog = HarDialog(path, self, view=self.view_state)

        def take(spec: RequestSpec, send: bool) -> None:
            self.current_tab().set_spec(spec)
            dialog.accept()
            if send:
                self.send()

        def save(spec: RequestSpec) -> None:
            dialog.accept()
            self.save_spec_to_collection(spec)

        dialog.open_requested.connect(lambda spec: take(spec, False))
        dialog.resend_requested.connect(lambda spec: take(spec, True))
        dialog.save_requested.connect(save)
        if path is None and not dialog.choose_file() and not dialog.error_text():
            free_later(dialog)
            return  # the file chooser was cancelled
        run_dialog(dialog)

    def export_last_har(self, path: str | None = None) -> None:
        from inspector.core.errors import InspectorError

        if self.result is None:
            self.statusBar().showMessage("Send a request first: the HAR holds the last exchange.")
            return
        if path is None:
            from PySide6.QtWidgets import QFileDialog

            path, _ = QFileDialog.getSaveFileName(self, "Export as HAR", "exchange.har", "HAR files (*.har)")
            if not path:
                return
        from inspector.ui.har_dialog import export_har

        try:
            export_har([self.result], path)
        except InspectorError as exc:
            self.statusBar().showMessage(str(exc))
            return
        self.statusBar().showMessage(f"Exported the exchange as HAR (secrets masked) to {path}.")

    # -- persistence -------------------------------------------------------------------------------------
    def _place(self) -> None:
        """The window's geometry: as it was left, kept inside the screen; else initial_window_geometry."""
        geometry = self.settings.value("window/geometry") if self.settings is not None else None
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
            self.fit_to_screen()
            return
        first = initial_window_geometry(self.available_geometry())
        self.resize(first.size())
        self.move(first.topLeft())

    def _restore(self, prefer_demo: bool, *, tabs: bool = True) -> None:
        """The pane sizes, modes and (with tabs) the open tabs of the last run (the geometry is _place's)."""
        s = self.settings
        self._panes_restored = False
        if s is not None:
            restored = []
            for splitter in (self.main_splitter, self.left_splitter):
                state = s.value(f"window/{splitter.objectName()}")
                ok = isinstance(state, QByteArray) and splitter.restoreState(state)
                if ok:
                    self._splitter_states[splitter.objectName()] = state
                restored.append(ok)
            self._panes_restored = all(restored)
            if s.value("view/screenShareSafe", False) in (True, "true", "1", 1):
                self.set_screen_share_safe(True)
            wrap = s.value("response/wordWrap", False)
            self.wrap_action.setChecked(wrap in (True, "true", "1", 1))
        if not self._panes_restored:
            self.main_splitter.resize(self.width(), self.height())  # a first guess until the window shows
            self.left_splitter.resize(self.width() // 2, self.height())
            self.size_panes()
        if tabs:
            self._restore_content(prefer_demo)

    def restore_saved_tabs(self) -> None:
        """The tabs (or the request) of the last run, when the window was made with restore_tabs_later; once.
        A tab the user has typed into meanwhile is kept: the saved ones open beside it."""
        prefer_demo, self._tabs_to_restore = self._tabs_to_restore, None
        if prefer_demo is not None:
            self._restore_content(prefer_demo)

    def _restore_content(self, prefer_demo: bool) -> None:
        s = self.settings
        spec = None
        restored_tabs = False
        if s is not None:
            restored_tabs = self._restore_tabs(_json_setting(s, "tabs/open", None), s.value("tabs/current", 0))
            if not restored_tabs:
                spec = spec_from_settings(s.value("request/last"))
        if self.demo_requests and (prefer_demo or (spec is None and not restored_tabs)):
            if restored_tabs:
                self.new_tab()
            self.load_example(0)
        elif spec is not None:
            if self.current_tab().is_dirty():
                self.new_tab(spec)
            else:
                self.current_tab().set_spec(spec)

    def _restore_tabs(self, saved: Any, current: Any) -> bool:
        """The tabs open when the window last closed (their edits masked); False when there were none."""
        if not isinstance(saved, list) or not saved:
            return False
        first = True
        for entry in saved[:MAX_RESTORED_TABS]:
            if not isinstance(entry, dict):
                continue
            spec = spec_from_settings(entry.get("spec")) if isinstance(entry.get("spec"), str) else None
            if spec is None:
                continue
            reuse = first and not self.current_tab().is_dirty()  # typed into before a late restore: kept
            tab = self.current_tab() if reuse else self.new_tab(activate=False)
            first = False
            origin = entry.get("origin")
            dirty = bool(entry.get("dirty"))
            if isinstance(origin, str) and origin:
                tab.bind_restored(Path(origin), spec, dirty=dirty)
            else:
                tab.set_spec(spec, clean=not dirty)
            self._update_tab_title(tab)
        if first:
            return False
        try:
            index = int(str(current))
        except ValueError:
            index = 0
        if 0 <= index < self.tabs.count():
            self.tabs.setCurrentIndex(index)
        return True

    def tabs_state(self) -> list[dict[str, Any]]:
        """What save_state keeps of each tab: its form masked as history masks it, its file, whether it
        has unsaved edits."""
        out = []
        for tab in self.all_tabs():
            tab.editor.commit_edits()
            out.append({"spec": spec_to_settings(tab.editor.to_spec()),
                        "origin": str(tab.origin) if tab.origin is not None else None,
                        "dirty": tab.is_dirty(), "title": tab.title()})
        return out

    def save_state(self) -> None:
        """Window geometry, pane sizes, the open tabs and the current request (secrets masked)."""
        import json

        s = self.settings
        if s is None:
            return
        s.setValue("window/geometry", self.saveGeometry())
        if self.history_pane is not None and self.history_dock.isVisible():
            s.setValue("window/historyWidth", self.history_dock.width())
        for splitter in (self.main_splitter, self.left_splitter):
            s.setValue(f"window/{splitter.objectName()}", splitter.saveState())
        s.setValue("response/wordWrap", self.wrap_action.isChecked())
        s.setValue("view/history", self.history_action.isChecked())
        if self.collections_dock is not None:
            s.setValue("view/collections", self.collections_dock.isVisible())
        if self._tabs_to_restore is None:  # closed before the saved tabs came back: they stay saved
            s.setValue("request/last", spec_to_settings(self.editor.to_spec()))
            s.setValue("tabs/open", json.dumps(self.tabs_state()))
            s.setValue("tabs/current", self.tabs.currentIndex())
        self._save_environment_choices()
        s.sync()

    def shutdown(self) -> None:
        """Cancel every job of the window, its panes and its tabs, stop the pollings, and wait for their
        threads (bounded)."""
        if not self._built:
            return
        if self.profiles is not None:
            self.profiles.stop_watching()
        if self.collections is not None:
            self.collections.stop()
        from inspector.ui.jobs import JobRunner, join_closed

        tabs = self.all_tabs()
        for tab in tabs:
            tab.shutdown()
        if self.history_pane is not None:
            self.history_pane.shutdown()
        if self._incidents is not None:
            self._incidents.shutdown()
        self.jobs.stop(0)  # cancelled; waited for below with the tabs' jobs, in one bounded wait
        join_closed([self.jobs, *(runner for tab in tabs for runner in tab.findChildren(JobRunner))])

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._built:  # else closed while only the frame was up: the last run's state stays as it was
            self.save_state()
        self.shutdown()
        super().closeEvent(event)


def _json_setting(settings: QSettings | None, key: str, default: Any) -> Any:
    import json

    if settings is None:
        return default
    try:
        return json.loads(str(settings.value(key, json.dumps(default))))
    except (ValueError, RecursionError):
        return default  # a hand-edited or damaged settings file: not worth refusing to start


def _default_personal() -> Path:
    from inspector.core.collections.defaults import default_collections_dir

    return default_collections_dir()
