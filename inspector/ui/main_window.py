"""The main window: layout, menus, shortcuts, and the wiring of editor, response and explainer panes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QSplitter, QToolBar, QWidget

from inspector.core.errors import InspectorError
from inspector.core.exchange import Exchange
from inspector.core.redact import MASK, is_secret_header, mask_url
from inspector.core.request import RequestSpec
from inspector.ui.jobs import Job, JobRunner
from inspector.ui.request_editor import RequestEditor
from inspector.ui.theme import Theme, current_theme, theme_for
from inspector.ui.view_state import MaskedStatusBar, ViewState

if TYPE_CHECKING:
    from inspector.core.pipeline import SendResult

SETTINGS_VERSION = 2  # 1: headers and form fields as objects (read still); 2: the history record's shape


# ---------------------------------------------------------------------------------------------------------
# The last request, as kept between runs: masked the way history masks a request (names and values), and
# secret headers switched off, so a masked credential is never sent by mistake. Serialized by the one codec
# (core.codec), as history stores a request.


def spec_to_settings(spec: RequestSpec) -> str:
    """A JSON text of the spec with every secret masked (secret headers are also disabled)."""
    from inspector.core.codec import spec_to_dict
    from inspector.core.redact import exchange_scrubber, mask_spec

    masked = mask_spec(spec, exchange_scrubber(Exchange(spec)))
    headers = tuple(replace(h, enabled=False) if is_secret_header(h.name) else h for h in masked.headers)
    data = spec_to_dict(replace(masked, headers=headers))
    data["version"] = SETTINGS_VERSION
    return json.dumps(data)


def spec_from_settings(text: str | None) -> RequestSpec | None:
    """The spec saved by spec_to_settings, or None when there is none or it cannot be read."""
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


def _units() -> Any:
    """The response view's size and duration wording (imported when a response is shown, not at start-up)."""
    from inspector.ui import response_view

    return response_view


class _Progress:
    """Bytes received so far, passed on at most every 0.1 s (and at the end): the UI thread is not flooded."""

    INTERVAL_S = 0.1

    def __init__(self, report: Callable[[tuple[int, int | None]], None]) -> None:
        self._report = report
        self._last = 0.0

    def __call__(self, received: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last >= self.INTERVAL_S or (total is not None and received >= total):
            self._last = now
            self._report((received, total))


def masked_credentials(spec: RequestSpec) -> list[str]:
    """Names of enabled credential headers whose value was masked when stored (they cannot be re-sent)."""
    return [h.name for h in spec.headers if h.enabled and is_secret_header(h.name) and MASK in h.value]


class MainWindow(QMainWindow):
    """Editor on top and response below on the left; the explainer on the right."""

    result_received = Signal(object)  # SendResult: emitted after the panes show it
    exchange_received = Signal(object, object)  # its Exchange and Diagnosis | None, after result_received
    reexplained = Signal(object)  # the SendResult explained again with the panel's expectations
    send_failed = Signal(str)  # the request could not be sent (bad input); the sentence is under the URL bar
    cancelled = Signal()
    busy_changed = Signal(bool)

    ELAPSED_TICK_MS = 100

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
    ) -> None:
        super().__init__()
        self.setWindowTitle("Request Inspector")
        self.settings = settings
        # screen-share-safe mode, the colours and user messages: every pane and dialog subscribes to this one
        self.view_state = ViewState(self, theme=theme or current_theme())
        self._follow_palette = theme is None  # a theme given by the caller stays; else it follows the palette
        self.setStatusBar(MaskedStatusBar(self.view_state, self))
        self.demo_requests = list(demo_requests)
        # builds the demo requests again with freshly minted tokens, so "about to expire" means it when loaded
        self._demo_factory = demo_factory
        self.profiles_dirs = list(profiles_dirs)
        self.max_body_bytes = max_body_bytes
        self._send_kwargs = dict(send_kwargs or {})  # extra transport.send arguments (a session, tests)
        # every thread the window starts: the send ("send" slot) and explaining it again ("explain" slot)
        self.jobs = JobRunner(self, name="MainWindow")
        self._sending_since = 0.0
        self._progress: tuple[int, int | None] = (0, None)
        self._sink: IO[bytes] | None = None
        self._sink_path = ""
        self._loading_example = False
        self.result: SendResult | None = None  # the last send's: what the panes, dialogs and exports show
        # Profiles: the model (folders, statuses), one token cache and the ${prompt} answers for this run.
        self.profiles = profiles
        self.history = history
        self._ask_secret = ask_secret or self._ask_secret_dialog
        self._prompted: dict[tuple[str, str], str] = {}
        self._token_cache: Any = None
        self._send_resolver: Any = None
        self._overrides: Any = None  # Expectations typed into the panel, for requests without a profile's
        self.history_pane: Any = None

        self.editor = RequestEditor(self, view=self.view_state)
        self.profile_picker = self.editor.profile_picker
        if profiles is not None:
            self.profile_picker.bind(profiles)
        # The response view (Pygments, the large-body view) is built after the first paint too: see ensure_panels.
        self._response_view: Any = None
        self._response_slot = QWidget(self)
        self._pending_wrap = False
        # The explainer (and the diagnosis engine behind it) is built just after the window first shows:
        # start-up is a feature, and nobody reads the panel before the first response.
        self._explainer: Any = None
        self._explainer_slot = QWidget(self)

        self.left_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.left_splitter.setObjectName("leftSplitter")
        self.left_splitter.addWidget(self.editor)
        self.left_splitter.addWidget(self._response_slot)
        self.left_splitter.setStretchFactor(0, 2)
        self.left_splitter.setStretchFactor(1, 3)
        self.left_splitter.setChildrenCollapsible(False)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.left_splitter)
        self.main_splitter.addWidget(self._explainer_slot)
        self.main_splitter.setStretchFactor(0, 3)
        self.main_splitter.setStretchFactor(1, 2)
        self.main_splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.main_splitter)

        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(self.ELAPSED_TICK_MS)
        self._elapsed_timer.timeout.connect(self._tick_elapsed)

        self._build_actions()
        self._build_examples()
        self.editor.spec_changed.connect(self._forget_example)
        self.editor.send_requested.connect(self.send)
        self.editor.cancel_requested.connect(self.cancel)
        self._safe_badge: QLabel | None = None
        self.view_state.safe_changed.connect(self._on_safe_changed)
        self.statusBar().showMessage("Ready")
        self.resize(1400, 900)
        self.main_splitter.setSizes([850, 550])
        self.left_splitter.setSizes([330, 520])
        self._restore(prefer_demo)

    @property
    def theme(self) -> Theme:
        return self.view_state.theme

    @property
    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    @property
    def explainer(self) -> Any:
        """The ExplainerPanel, built on first use (see ensure_panels)."""
        if self._explainer is None:
            from inspector.ui.explainer_panel import ExplainerPanel

            panel = ExplainerPanel(self, view=self.view_state)
            panel.expectations_changed.connect(self._on_expectations_changed)
            sizes = self.main_splitter.sizes()
            self.main_splitter.replaceWidget(self.main_splitter.indexOf(self._explainer_slot), panel)
            self._explainer_slot.deleteLater()
            self.main_splitter.setSizes(sizes)
            self._explainer = panel
        return self._explainer

    @property
    def response_view(self) -> Any:
        """The ResponseView, built on first use (see ensure_panels)."""
        if self._response_view is None:
            from inspector.ui.response_view import ResponseView

            view = ResponseView(self, max_body_bytes=self.max_body_bytes, view=self.view_state)
            sizes = self.left_splitter.sizes()
            self.left_splitter.replaceWidget(self.left_splitter.indexOf(self._response_slot), view)
            self._response_slot.deleteLater()
            self.left_splitter.setSizes(sizes)
            view.save_requested.connect(self.save_full_body)
            view.set_word_wrap(self._pending_wrap)
            view.wrap_check.toggled.connect(self.wrap_action.setChecked)
            self._response_view = view
        return self._response_view

    def ensure_panels(self) -> None:
        """Build the deferred panes now (called once the window is on screen)."""
        _ = self.response_view
        _ = self.explainer

    # -- actions and menus -------------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], object], *keys: str | QKeySequence.StandardKey,
                tip: str = "") -> QAction:
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
        self.focus_url_action = self._action("Focus &URL", self.editor.focus_url, "Ctrl+L")
        self.find_action = self._action("&Find in body…", lambda: self.response_view.open_find(), "Ctrl+F")
        self.find_next_action = self._action("Find &next", lambda: self.response_view.find_next(), "F3")
        self.find_prev_action = self._action("Find &previous", lambda: self.response_view.find_previous(),
                                             "Shift+F3")
        self.save_body_action = self._action("Save response &body…", lambda: self.response_view.choose_save_path(),
                                             "Ctrl+S")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.report_action = self._action("Support &report…", self.open_report, "Ctrl+Shift+R",
                                          tip="A Markdown or HTML report of the last exchange, secrets masked")
        self.curl_action = self._action("Copy as &curl…", self.open_curl, "Ctrl+Shift+C",
                                        tip="The request as a curl command (credentials masked by default)")
        self.har_import_action = self._action("&Import HAR…", self.open_har, "Ctrl+Shift+O",
                                              tip="Inspect and re-send the entries of a browser's HAR file")
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
        self.profiles_action = self._action("&Profiles…", self.open_profiles_dialog, "Ctrl+Shift+P",
                                            tip="Create, edit and check credential profiles and team folders")
        self.wrap_action = QAction("&Word wrap", self)
        self.wrap_action.setCheckable(True)
        self.wrap_action.toggled.connect(self._set_word_wrap)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.profiles_action)
        file_menu.addSeparator()
        file_menu.addAction(self.har_import_action)
        file_menu.addAction(self.har_export_action)
        file_menu.addAction(self.report_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_body_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        request_menu = menu.addMenu("&Request")
        for a in (self.send_action, self.cancel_action, self.focus_url_action, self.curl_action):
            request_menu.addAction(a)
        self.examples_menu = request_menu.addMenu("&Examples")
        view_menu = menu.addMenu("&View")
        for a in (self.find_action, self.find_next_action, self.find_prev_action):
            view_menu.addAction(a)
        view_menu.addSeparator()
        view_menu.addAction(self.wrap_action)
        view_menu.addAction(self.history_action)
        view_menu.addSeparator()
        view_menu.addAction(self.safe_action)

    def _set_word_wrap(self, on: bool) -> None:
        self._pending_wrap = on
        if self._response_view is not None:
            self._response_view.set_word_wrap(on)

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

    def _on_example_chosen(self, index: int) -> None:
        data = self.examples_combo.itemData(index)
        if data is not None:
            self.load_example(int(data))

    def _forget_example(self) -> None:
        if not self._loading_example:
            self.examples_combo.setCurrentIndex(0)  # the form no longer holds the example named there

    def load_example(self, index: int) -> None:
        """Put a demo request in the editor, ready to send."""
        title, spec = self.demo_requests[index]
        if self._demo_factory is not None:
            fresh = self._demo_factory()
            if index < len(fresh) and fresh[index][0] == title:
                spec = fresh[index][1]
        self._loading_example = True
        try:
            self.editor.set_spec(spec)
        finally:
            self._loading_example = False
        self.examples_combo.setCurrentIndex(index + 1)
        self.editor.show_relevant_tab()
        self.statusBar().showMessage(f"Example loaded: {title}. Press Ctrl+Enter to send it.")

    # -- sending -----------------------------------------------------------------------------------------
    @property
    def sending(self) -> bool:
        """A send is in flight and its result will be shown (a cancelled one no longer counts)."""
        return self.jobs.current("send") is not None

    def send(self) -> bool:
        """Validate the form and send it off the UI thread; False when it cannot be sent (message shown)."""
        if self.sending:
            return False
        spec = self.editor.to_spec()
        try:
            spec.validate()
            self._profile_for(spec)
        except InspectorError as exc:
            self._refuse(str(exc))
            return False
        if not self._ask_prompts(spec):
            self._refuse("The request was not sent: a secret the profile asks for was not given.")
            return False
        self.editor.show_message("")
        self._start(spec, dict(self._send_kwargs, max_body_bytes=self.max_body_bytes), record=True)
        self.statusBar().showMessage(f"Sending {spec.method} {mask_url(spec.url)}…")
        self.response_view.show_sending()
        self.explainer.clear()
        return True

    def _refuse(self, message: str) -> None:
        self.editor.show_message(message)
        self.statusBar().showMessage("The request was not sent: see the message under the address.")
        self.send_failed.emit(message)

    # -- profiles ----------------------------------------------------------------------------------------
    def _profile_for(self, spec: RequestSpec) -> Any | None:
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

    def _ask_prompts(self, spec: RequestSpec) -> bool:
        """Ask on the UI thread for every ${prompt} secret not yet given in this run; False when declined."""
        profile = self._profile_for(spec)
        if profile is None:
            return True
        for name in profile.secret_fields():
            if (profile.credential(name) or "").strip() != "${prompt}" or (profile.name, name) in self._prompted:
                continue
            answer = self._ask_secret(profile.name, name)
            if not answer:
                return False
            self._prompted[(profile.name, name)] = answer
        return True

    def _ask_secret_dialog(self, profile: str, field: str) -> str | None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        dialog = QInputDialog(self)
        dialog.setWindowTitle("Secret needed")
        dialog.setLabelText(f"{field} for profile '{profile}' (kept in memory for this run only):")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        for label in dialog.findChildren(QLabel):  # a team profile's name is not HTML
            label.setTextFormat(Qt.TextFormat.PlainText)
        ok = dialog.exec() == QInputDialog.DialogCode.Accepted
        text = dialog.textValue()
        dialog.deleteLater()
        return text if ok and text else None

    def _resolver(self) -> Any:
        if self._send_resolver is None:
            from inspector.core.profiles import Resolver
            from inspector.core.profiles.auth import TokenCache

            secrets = self.profiles.secrets if self.profiles is not None else None
            # answers were asked for on the UI thread before the send (see _ask_prompts); fields come as
            # "credentials.NAME" from the resolver
            self._send_resolver = Resolver(
                secrets, prompt=lambda p, f: self._prompted.get((p, f.removeprefix("credentials.")))
            )
            self._token_cache = TokenCache()
        return self._send_resolver

    def set_history(self, history: Any) -> None:
        """Attach the history store (opened after the first paint); the pane reopens if it was open last time."""
        self.history = history
        if history is not None and self.settings is not None and \
                self.settings.value("view/history", False) in (True, "true", "1", 1):
            self.history_action.setChecked(True)

    def set_profiles(self, model: Any) -> None:
        """Attach the profiles model (built after the first paint: it reads folders and probes the keyring)."""
        self.profiles = model
        model.setParent(self)  # its polling timer lives and dies with the window
        self._send_resolver = None
        self.profile_picker.bind(model)  # the picker follows every load; the first one runs on a worker
        model.start_watching()
        if getattr(model, "loaded", True):
            self._select_pending_profile()
        else:  # after the picker (connected first) has the first load
            model.profiles_changed.connect(self._select_pending_profile, Qt.ConnectionType.SingleShotConnection)

    def _select_pending_profile(self) -> None:
        wanted = self.editor.pending_profile
        if wanted and self.editor.to_spec().profile is None:
            self.profile_picker.select_identity(wanted)

    def open_profiles_dialog(self) -> None:
        if self.profiles is None:
            self.statusBar().showMessage("Profiles are not available in this window.")
            return
        from inspector.ui.profiles_dialog import ProfilesDialog

        dialog = ProfilesDialog(self.profiles, parent=self, view=self.view_state)
        dialog.folders_changed.connect(self._save_team_dirs)
        current = self.profile_picker.current_profile()
        if current is not None:
            dialog.select(current.identity)
        dialog.exec()

    def _save_team_dirs(self, dirs: list) -> None:
        """Remember the team folders the user chose; folders given for this run only are not saved."""
        from inspector.core.profiles.store import team_dirs_from

        run_only = {str(Path(d).expanduser()) for d in self.profiles_dirs}
        run_only |= {str(d) for d in team_dirs_from(os.environ)}  # INSPECTOR_PROFILES
        kept = [str(d) for d in dirs if str(Path(d).expanduser()) not in run_only]
        if self.settings is not None:
            self.settings.setValue("profiles/teamDirs", json.dumps(kept))

    def _start(self, spec: RequestSpec, send_kwargs: dict[str, Any], *, record: bool) -> None:
        """Send off the UI thread: pipeline.run() as the "send" job; its SendResult comes to _on_result."""
        # prepare, on the UI thread: everything the job needs, read now (the job never touches a widget)
        profile = self._profile_for(spec)
        resolver = self._resolver() if profile is not None else None
        cache, overrides = self._token_cache, self._overrides
        history = self.history if record else None  # re-sending to save a body is not new history
        self.jobs.cancel("explain")  # explaining the previous result again is moot now

        def send(job: Job[SendResult]) -> SendResult:
            from inspector.core.pipeline import run

            return run(spec, profile=profile, resolver=resolver, token_cache=cache, overrides=overrides,
                       history=history, cancel=job.cancel, on_progress=_Progress(job.report),
                       **send_kwargs)

        self.jobs.start("send", send, on_done=self._on_result, on_failed=self._on_send_failed,
                        on_progress=self._on_progress)
        self._sending_since = time.monotonic()
        self._progress = (0, None)
        self._set_busy(True)

    def _set_busy(self, busy: bool) -> None:
        self.editor.set_busy(busy)
        if busy:
            self._elapsed_timer.start()
        else:
            self._elapsed_timer.stop()
        self.busy_changed.emit(busy)

    def _tick_elapsed(self) -> None:
        received, total = self._progress
        self.response_view.update_elapsed(time.monotonic() - self._sending_since, received, total)

    def escape(self) -> None:
        """Esc: cancel a request in flight, else close the find bar."""
        if self.sending:
            self.cancel()
        elif self._response_view is not None and self._response_view.find_bar.isVisible():
            self._response_view.close_find()

    def cancel(self) -> None:
        """Stop waiting: the UI is idle at once and a late answer is ignored."""
        if not self.sending:
            return
        self.jobs.cancel("send")
        self._set_busy(False)
        saving = self._sink is not None
        # The worker stops writing once it sees the cancel; a write that races the close fails harmlessly
        # in the worker, and the half-written file is removed rather than left looking whole.
        self._close_sink()
        self.response_view.show_cancelled()
        if saving:
            Path(self._sink_path).unlink(missing_ok=True)
            self.response_view.set_notice(f"Saving was cancelled: the partial file {self._sink_path} was removed.")
        self.statusBar().showMessage("Cancelled")
        self.cancelled.emit()

    def _on_progress(self, progress: tuple[int, int | None]) -> None:
        self._progress = progress

    def _on_result(self, result: SendResult) -> None:
        """The send's one result: keep it, show it, and tell what the user should know about it."""
        self._set_busy(False)
        if self._sink is not None:
            self._finish_save(result.exchange)
            return
        self.result = result
        shown = result.shown_secrets()  # what the profile resolved and the credentials sent
        self.view_state.remember_secrets(shown.values, shown.names)  # status bar, notices, the log
        self.response_view.show_result(result)
        self.explainer.show_result(result)
        exchange, response = result.exchange, result.exchange.response
        if exchange.error is not None:
            status = f"No response: {exchange.error.kind}"
        elif response is not None:
            units = _units()
            took, size = units.format_duration(exchange.elapsed_s), units.format_size(response.body_bytes)
            status = f"{response.status} {response.reason} in {took}, {size}"
        else:
            status = "No response"
        problem = result.problem("history")
        # a history that could not be written is said where it stays visible (the response notice) and here
        self.statusBar().showMessage(f"{status}. {problem.message}" if problem else status)
        if self.history_pane is not None and self.history is not None:
            self.history_pane.refresh()
        self.result_received.emit(result)
        self.exchange_received.emit(exchange, result.diagnosis)

    def _on_send_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self._close_sink()
        if isinstance(error, InspectorError):  # bad input, a missing secret: nothing was sent
            message = str(error)
        else:  # a bug, not a transport failure (those are in Exchange.error)
            message = f"Sending failed unexpectedly ({type(error).__name__}: {error})."
        self.editor.show_message(message)
        self.response_view.show_problem(message)
        self.statusBar().showMessage("The request was not sent.")
        self.send_failed.emit(message)

    # -- expectations typed into the panel --------------------------------------------------------------
    def _on_expectations_changed(self, expectations: Any) -> None:
        """Use them from now on, and explain the last exchange again with them (off the UI thread: a JWKS URL
        means a network fetch)."""
        self._overrides = expectations
        result = self.result
        if result is None or self.sending:
            return
        self.statusBar().showMessage("Explaining the last response again with these expectations…")
        self.jobs.start("explain", lambda _job: result.explained_again(expectations),
                        on_done=self._on_reexplained, on_failed=self._on_reexplain_failed)

    def _on_reexplained(self, result: SendResult) -> None:
        if self.sending or self.result is None or self.result.exchange is not result.exchange:
            return  # a new send started or finished meanwhile
        self.result = result
        self.explainer.show_result(result)
        self.statusBar().showMessage("Explained again with the expectations from the panel.")
        self.reexplained.emit(result)

    def _on_reexplain_failed(self, error: BaseException) -> None:
        self.statusBar().showMessage(f"Could not explain again: {error}")

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
        if getattr(self, "_follow_palette", False) and event.type() in (QEvent.Type.PaletteChange,
                                                     QEvent.Type.ApplicationPaletteChange):
            self.view_state.set_theme(theme_for(self.palette()))

    # -- history, report, curl, HAR ----------------------------------------------------------------------
    def _toggle_history(self, on: bool) -> None:
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
            self.history_pane.retention_changed.connect(self._save_retention)
            self.history_dock = QDockWidget("History", self)
            self.history_dock.setObjectName("historyDock")
            self.history_dock.setWidget(self.history_pane)
            self.history_dock.visibilityChanged.connect(self.history_action.setChecked)
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.history_dock)
            # a narrow column by default: the editor, response and explanation keep most of the window
            self.resizeDocks([self.history_dock], [max(300, self.width() // 4)], Qt.Orientation.Horizontal)
        if self.history_pane is not None:
            self.history_dock.setVisible(on)

    def _save_retention(self, keep: int) -> None:
        if self.settings is not None:
            self.settings.setValue("history/keep", keep)

    def open_history_record(self, record: Any) -> None:
        """Put a past request in the editor and show what came back then (masked, as stored)."""
        self.editor.set_spec(record.spec)
        self.response_view.show_exchange(record.exchange)
        if record.diagnosis is not None:
            # what was concluded then, findings, claims and timeline included (the raw token was never stored)
            self.explainer.set_result(record.exchange, record.diagnosis)
        else:
            self.explainer.clear()
        masked = masked_credentials(record.spec)
        note = (f" Its {', '.join(masked)} was stored masked: paste it again or pick a profile before sending."
                if masked else " Press Ctrl+Enter to send it again.")
        then = record.diagnosis.summary if record.diagnosis is not None else ""
        verdict = f" Then: {then}" if then else ""
        self.statusBar().showMessage(f"Reopened from history: {record.row.method} {record.row.url}.{verdict}{note}")

    def resend_history_record(self, record: Any) -> None:
        self.editor.set_spec(record.spec)
        masked = masked_credentials(record.spec)
        if masked:
            self.editor.show_message(
                f"Not re-sent: the {', '.join(masked)} of this request was stored masked in history. Paste the "
                "credential again (or pick a profile), then press Ctrl+Enter."
            )
            return
        self.send()

    def _report_record(self, record: Any) -> None:
        from inspector.ui.report_dialog import ReportDialog

        ReportDialog.for_record(record, self).exec()

    def open_report(self) -> None:
        if self.result is None:
            self.statusBar().showMessage("Send a request first: the report describes the last exchange.")
            return
        from inspector.ui.report_dialog import ReportDialog

        ReportDialog.for_result(self.result, self).exec()

    def open_curl(self, source: Any = None) -> None:
        """The curl dialog for an exchange or spec, else the last result, else the request in the editor."""
        from inspector.ui.curl_dialog import CurlDialog

        if source is not None:
            dialog = CurlDialog(source, self, view=self.view_state)
        elif self.result is not None:
            dialog = CurlDialog.for_result(self.result, self, view=self.view_state)
        else:
            dialog = CurlDialog(self.editor.to_spec(), self, view=self.view_state)
        dialog.exec()

    def open_har(self, path: str | None = None) -> None:
        from inspector.ui.har_dialog import HarDialog

        dialog = HarDialog(path, self, view=self.view_state)
        def take(spec: RequestSpec, send: bool) -> None:
            self.editor.set_spec(spec)
            dialog.accept()
            if send:
                self.send()

        dialog.open_requested.connect(lambda spec: take(spec, False))
        dialog.resend_requested.connect(lambda spec: take(spec, True))
        if path is None:
            dialog.choose_file()
            if not dialog.entries() and not dialog.error_text():
                return  # the file chooser was cancelled
        dialog.exec()

    def export_last_har(self, path: str | None = None) -> None:
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

    # -- saving a body bigger than the cap: send again, streaming the body to the file --------------------
    def save_full_body(self, path: str) -> None:
        if self.sending or self.result is None:
            return
        try:
            self._sink = Path(path).open("wb")
        except OSError as exc:
            self.response_view.set_notice(f"Cannot write {path}: {exc.strerror}.", error=True)
            return
        self._sink_path = path
        self._start(self.result.exchange.spec, dict(self._send_kwargs, body_sink=self._sink), record=False)
        self.statusBar().showMessage(f"Sending the request again to save the whole body to {path}…")

    def _close_sink(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def _finish_save(self, exchange: Exchange) -> None:
        self._close_sink()
        if exchange.error is not None:
            message = f"The body was not saved: {exchange.error.message}"
        else:
            size = Path(self._sink_path).stat().st_size
            message = f"Saved the whole body ({_units().format_size(size)}) to {self._sink_path}."
        self.response_view.set_notice(message, error=exchange.error is not None)
        self.statusBar().showMessage(message)

    # -- persistence -------------------------------------------------------------------------------------
    def _restore(self, prefer_demo: bool) -> None:
        s = self.settings
        spec = None
        if s is not None:
            geometry = s.value("window/geometry")
            if isinstance(geometry, QByteArray):
                self.restoreGeometry(geometry)
            for splitter in (self.main_splitter, self.left_splitter):
                state = s.value(f"window/{splitter.objectName()}")
                if isinstance(state, QByteArray):
                    splitter.restoreState(state)
            if s.value("view/screenShareSafe", False) in (True, "true", "1", 1):
                self.set_screen_share_safe(True)
            wrap = s.value("response/wordWrap", False)
            self.wrap_action.setChecked(wrap in (True, "true", "1", 1))
            spec = spec_from_settings(s.value("request/last"))
        if self.demo_requests and (prefer_demo or spec is None):
            self.load_example(0)
        elif spec is not None:
            self.editor.set_spec(spec)

    def save_state(self) -> None:
        """Window geometry, pane sizes and the current request (secrets masked) into the settings."""
        s = self.settings
        if s is None:
            return
        s.setValue("window/geometry", self.saveGeometry())
        for splitter in (self.main_splitter, self.left_splitter):
            s.setValue(f"window/{splitter.objectName()}", splitter.saveState())
        s.setValue("response/wordWrap", self.wrap_action.isChecked())
        s.setValue("view/history", self.history_action.isChecked())
        s.setValue("request/last", spec_to_settings(self.editor.to_spec()))
        s.sync()

    def shutdown(self) -> None:
        """Cancel and join every job of the window and its panes (bounded wait); stop the profile polling."""
        if self.profiles is not None:
            self.profiles.stop_watching()
        self.jobs.stop()
        self._close_sink()
        if self._response_view is not None:
            self._response_view.shutdown()
        if self._explainer is not None:
            self._explainer.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self.shutdown()
        super().closeEvent(event)

