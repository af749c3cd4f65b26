"""Start the window: the QApplication, the settings, the demo API when asked, and the main window.

Start-up is a feature. Before the window's first paint only what that paint needs is imported and built (the
window, its menus and the first tab's editor) and a light excepthook (EarlyErrors) records any error. Right
after the first paint, DeferredStart does the rest without holding the UI thread for long: the saved tabs,
the history database, the profile folders and the modules the panes need are read or imported on workers
(ui/jobs.py), and the UI thread takes one short step per event-loop turn (the saved tabs, then one pane per
step). When the panes are built, the history open and the profiles loaded, `ready` is emitted; then the log
file opens, the real error dialog takes over from the early hook (and shows and logs what it caught) and the
collections are attached. The OS keyring is not touched at start: the secret store is chosen when a secret is
first needed (core.profiles.secrets.DeferredSecretStore).

INSPECTOR_STARTUP_PROBE=<file> (benchmarks/bench_startup.py, tests): StartupProbe writes to that file, as
JSON, when the window was first painted, when it was ready, the longest gap between the ticks of a 10 ms
timer over the first second after the paint, and the modules imported at the first paint and when ready; then
the app quits.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

# Before the first paint only the window's frame is made (MainWindow(build_later=True)): no `Qt` namespace
# (its first use builds all its enums), no job runner, no inspector.core.
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from inspector.ui.excepthooks import ExceptHooks
from inspector.ui.heap import trim_heap
from inspector.ui.main_window import BUILD_MODULES, MainWindow

if TYPE_CHECKING:
    from inspector.core.logfile import AppLog
    from inspector.core.request import RequestSpec
    from inspector.ui.error_dialog import ExceptionHook
    from inspector.ui.jobs import JobRunner

ORGANIZATION = "request-inspector"
APPLICATION = "Request Inspector"
SETTINGS_ENV = "INSPECTOR_SETTINGS"  # an .ini path: settings go there instead of the user's own
EXIT_AFTER_SHOW_ENV = "INSPECTOR_EXIT_AFTER_SHOW"
STARTUP_PROBE_ENV = "INSPECTOR_STARTUP_PROBE"
HISTORY_KEEP = 10_000

# Imported on a worker right after the first paint, so that the UI thread's steps find them in sys.modules:
# the panes' modules and what they import. Their module-level code only defines classes and constants (no
# QObject, pixmap or font is made at import), which is safe off the UI thread.
PRELOAD_MODULES = (  # what `ready` needs (not the explainer's rules: the first send imports them, on its worker)
    "inspector.ui.response_view",
    "inspector.ui.explainer_panel",
    "inspector.ui.profiles_model",
)
LATER_MODULES = (  # after `ready` (not the Incidents view: its controller is made once the last hour holds an
    # entry, see MainWindow.check_incidents_badge)
    "inspector.ui.error_dialog",
    "inspector.ui.collections_model",
    "inspector.ui.collections_tree",
)


def make_settings(environ: Mapping[str, str] | None = None, path: str | Path | None = None) -> QSettings:
    """QSettings for the window: an explicit .ini path, $INSPECTOR_SETTINGS, a throw-away file under tests
    ($INSPECTOR_TESTING), else the user's settings for organization "request-inspector"."""
    env = os.environ if environ is None else environ
    chosen = path or env.get(SETTINGS_ENV)
    if not chosen and env.get("INSPECTOR_TESTING"):
        chosen = Path(tempfile.mkdtemp(prefix="inspector-settings-")) / "settings.ini"
    if chosen:
        return QSettings(str(chosen), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def saved_team_dirs(settings: QSettings) -> list[Path]:
    """Team folders added in the profiles dialog (kept in the settings as a JSON list)."""
    import json

    try:
        dirs = json.loads(str(settings.value("profiles/teamDirs", "[]")))
    except (ValueError, RecursionError):
        return []
    if not isinstance(dirs, list):  # a hand-edited or damaged settings file: not worth refusing to start
        return []
    return [Path(d) for d in dirs if isinstance(d, str)]


def body_cap_bytes(settings: QSettings) -> int:
    """The largest body kept whole, from the settings key response/maxBodyMB (default 100 MB)."""
    try:
        mb = float(str(settings.value("response/maxBodyMB", 100)))
    except ValueError:
        mb = 100.0
    if not math.isfinite(mb):
        mb = 100.0
    return int(max(1.0, mb) * 1024 * 1024)


def history_keep(settings: QSettings | None) -> int:
    """How many history entries are kept: the settings key history/keep (default HISTORY_KEEP)."""
    if settings is None:
        return HISTORY_KEEP
    try:
        return max(1, int(str(settings.value("history/keep", HISTORY_KEEP))))
    except (TypeError, ValueError):
        return HISTORY_KEEP


def open_history(env: Mapping[str, str], settings: QSettings | None = None, *, keep: int | None = None) -> Any:
    """The history database in the user's data folder; None (and the window says so) when it cannot open.
    Safe on a worker when keep is given (a QSettings is not read there)."""
    from inspector.core.errors import InspectorError
    from inspector.core.history import HistoryStore, default_history_path

    path = default_history_path(env)
    try:
        # it creates the folder 0700 and the file 0600
        return HistoryStore(path, keep=history_keep(settings) if keep is None else keep)
    except (OSError, InspectorError) as exc:
        print(f"request-inspector: history is off: {exc}", file=sys.stderr)
        return None


def profile_sources(env: Mapping[str, str], team_dirs: Sequence[Path]) -> tuple[Any, Any]:
    """(ProfileStore, secret store) for the window: the personal folder and the team folders, and the user's
    secret store, chosen when a secret is first needed (no keyring is probed here). Safe on a worker."""
    from inspector.core.profiles.defaults import default_store_for_secrets, open_default_store
    from inspector.core.profiles.secrets import DeferredSecretStore

    store = open_default_store(team_dirs, environ=env)
    return store, DeferredSecretStore(lambda: default_store_for_secrets(env))


class _FirstPaint(QObject):
    """Runs callbacks once, right after the window's first paint: deferred panes are built only when the
    user already sees a window, and the start-up benchmark measures exactly up to that moment."""

    def __init__(self, target: QWidget, *callbacks: Callable[[], object] | None) -> None:
        super().__init__(target)
        self._callbacks = [c for c in callbacks if c is not None]
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._callbacks:
            callbacks, self._callbacks = self._callbacks, []
            watched.removeEventFilter(self)
            for callback in callbacks:
                QTimer.singleShot(0, callback)
        return False


def after_first_paint(window: QWidget, *callbacks: Callable[[], object] | None) -> None:
    _FirstPaint(window, *callbacks)


def open_log(env: Mapping[str, str], folder: Path | None = None) -> AppLog | None:
    """The log file in the user's log folder (a throw-away one under INSPECTOR_TESTING); None, with a line
    on stderr, when it cannot be opened: the app runs without it."""
    from inspector.core.logfile import start_log

    try:
        return start_log(folder, environ=env)
    except OSError as exc:
        print(f"request-inspector: no log file: {exc.strerror or exc} ({exc.filename or folder}).",
              file=sys.stderr)
        return None


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class EarlyErrors(ExceptHooks):
    """The excepthook before the first paint, light on purpose (no dialog, no log file imported yet): it
    prints each error to stderr (masked) and keeps it (at most MAX_KEPT) until `hand_over(hook)` gives them
    to the real ExceptionHook, which logs them and shows them in its dialog."""

    MAX_KEPT = 20

    def __init__(self) -> None:
        self.caught: list[ExcInfo] = []
        self._lock = threading.Lock()  # a worker thread may fail while the UI thread hands over

    def handle(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            (self._previous or sys.__excepthook__)(exc_type, exc, tb)
            return
        with self._lock:
            self.caught = [*self.caught, (exc_type, exc, tb)][-self.MAX_KEPT:]
        try:
            from inspector.core.redact import mask_text

            details = mask_text("".join(traceback.format_exception(exc_type, exc, tb)))
        except Exception:
            details = f"{exc_type.__name__} (its details are shown once the window is ready)\n"
        print(details, file=sys.stderr, end="" if details.endswith("\n") else "\n")

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    def hand_over(self, hook: ExceptionHook) -> int:
        """Uninstall, install hook in its place, and give it every error caught so far; how many."""
        self.uninstall()
        hook.install()
        with self._lock:
            caught, self.caught = self.caught, []
        for exc_type, exc, tb in caught:
            hook.replay(exc_type, exc, tb)
        return len(caught)


def start_error_reporting(window: MainWindow | None, app_log: AppLog | None,
                          parent: QObject | None = None, *, early: EarlyErrors | None = None) -> ExceptionHook:
    """Install the excepthook: an unexpected error is logged (masked) and shown in a dialog over window.
    The window's ViewState masks what is shown (its known secrets, strict in screen-share-safe mode) and
    tells the log file every secret it learns. With early, the errors it caught are logged and shown too."""
    from inspector.ui.error_dialog import ExceptionHook

    hook = ExceptionHook(parent or window, log_path=app_log.path if app_log else None, dialog_parent=window)
    if window is not None:
        hook.set_mask(window.view_state.mask)
        if app_log is not None:
            app_log.learn(window.view_state.known_secrets())
            window.view_state.secrets_learned.connect(app_log.learn)
    if early is not None:
        early.hand_over(hook)
    else:
        hook.install()
    return hook


def open_collections(env: Mapping[str, str], settings: QSettings | None, collections_dirs: Sequence[str],
                     demo_url: str | None = None) -> tuple[Any, Path]:
    """The collections model over the personal folder, INSPECTOR_COLLECTIONS, --collections-dir and the
    folders added in the window; with demo_url, also the demo collection (read-only) whose environment
    'demo' points at that demo API. Nothing is read here: model.start() loads on workers."""
    import json

    from inspector.core.collections.defaults import default_collections_dir, default_sources
    from inspector.core.collections.store import Source
    from inspector.ui.collections_model import CollectionsModel

    window_dirs: list[str] = []
    if settings is not None:
        try:
            saved = json.loads(str(settings.value("collections/windowDirs", "[]")))
        except (ValueError, RecursionError):
            saved = []
        window_dirs = [d for d in saved if isinstance(d, str)] if isinstance(saved, list) else []
    sources = default_sources(env, cli_dirs=collections_dirs, window_dirs=window_dirs)
    read_only: list[Path] = []
    demo_root = None
    if demo_url:
        from inspector.demo.collection import DEMO_ENVIRONMENT, demo_collection_dir

        demo_root = demo_collection_dir()
        sources.append(Source(demo_root, "team"))
        read_only.append(demo_root)
    model = CollectionsModel(sources, read_only=read_only)
    if demo_root is not None and demo_url:
        model.patch_environment(demo_root, DEMO_ENVIRONMENT, {"base_url": demo_url.rstrip("/")})
        model.set_environment(demo_root, DEMO_ENVIRONMENT)
    return model, default_collections_dir(env)


def open_first_demo_request(window: MainWindow, model: Any) -> None:
    """When the demo collection has loaded: its first request in the window, ready to send."""
    from inspector.demo.collection import demo_collection_dir
    from inspector.ui.collections_model import path_key

    root = demo_collection_dir()

    def loaded(loaded_root: Path) -> None:
        if path_key(loaded_root) != path_key(root):
            return
        model.collection_loaded.disconnect(loaded)
        collection = model.collection(root)
        from inspector.core.collections.resolve import all_requests

        first = next((r for _parents, r in all_requests(collection)), None) if collection else None
        if first is not None and first.path is not None:
            window.open_request(first.path)
            if window.collections_tree is not None:
                window.collections_tree.select_path(first.path)
                window.collections_tree.view.expand(window.collections_tree.view.currentIndex().parent())

    model.collection_loaded.connect(loaded)


def import_window_modules(env: Mapping[str, str]) -> None:
    """The window's first job: the dataclass methods' cache (core/codecache.py; finding its file imports
    platformdirs, kept off the UI thread), then the modules MainWindow.build needs."""
    from inspector.core import codecache
    from inspector.ui.jobs import import_modules

    codecache.install("window", env)  # before the window's dataclasses (the job runner's own two are made already)
    import_modules(BUILD_MODULES)


class DeferredStart(QObject):
    """Everything after the first paint, in steps that each hold the UI thread briefly; see the module text.

    `ready` fires once the panes are built, the history is open (or found unusable) and the profiles have
    loaded; the collections are attached after it. `hook` and `app_log` are the error reporting's once made.
    """

    ready = Signal()
    PANE_STEPS = ("response_view", "explainer")  # the {{variables}} marks: when a {{ first appears (tab.py)
    LATE_ANYWAY_MS = 10_000  # see _late_anyway

    def __init__(self, window: MainWindow, env: Mapping[str, str], settings: QSettings | None,
                 team_dirs: Sequence[Path], *, saved_teams: bool = False, early: EarlyErrors | None = None,
                 collections_dirs: Sequence[str] = (), demo_url: str | None = None,
                 log_folder: Path | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.env = env
        self.settings = settings
        self.team_dirs = list(team_dirs)
        self._saved_teams = saved_teams  # also the team folders kept in the settings (read after the paint)
        self.collections_dirs = list(collections_dirs)
        self.demo_url = demo_url
        self.early = early
        self.log_folder = log_folder
        self.jobs: JobRunner | None = None  # made by start(): the job runner is not imported before the paint
        self.hook: ExceptionHook | None = None
        self.app_log: AppLog | None = None
        self.is_ready = False
        self._pending = {"panes", "history", "profiles"}
        self._steps: list[Callable[[], object]] = []
        self._stopped = False
        self._preloaded = False
        self._log_opened = False
        self._later_loaded = False
        self._history: Any = None
        self._history_opened = False
        self._after_started = False
        self._profile_sources: tuple[Any, Any] | None = None

    # -- the UI thread's steps, one per event-loop turn ----------------------------------------------------
    def start(self) -> None:
        """Called right after the first paint: the window's modules are imported on a worker and the window
        built (one step); then the other workers start, and the UI thread's steps. What `ready` waits for
        runs first; the log file, the error dialog and the collections follow it, so that their imports do
        not compete with the panes' for the interpreter."""
        from inspector.ui.jobs import JobRunner, install_exit_hooks

        app = QApplication.instance()
        if app is not None:
            # every job's thread is cancelled and joined when the app quits and again at interpreter exit: a
            # worker still running then would be frozen mid-call into Qt as the interpreter goes away
            install_exit_hooks(app)
        self.jobs = JobRunner(self, name="Startup")
        if self.window.built:
            self._start_workers()
        else:
            env = self.env
            self.jobs.start("window", lambda _job: import_window_modules(env), on_done=self._on_window_modules,
                            on_failed=lambda _e: self._on_window_modules(None))
        QTimer.singleShot(self.LATE_ANYWAY_MS, self._late_anyway)

    def _on_window_modules(self, _value: object) -> None:
        self._queue(self.window.build, self._start_workers)

    def _start_workers(self) -> None:
        from inspector.ui.jobs import import_modules

        env = self.env
        keep = history_keep(self.settings)
        if self._saved_teams and self.settings is not None:
            self.team_dirs += saved_team_dirs(self.settings)
        team_dirs = list(self.team_dirs)
        jobs = self.jobs
        assert jobs is not None  # made by start()
        # one thread started per step: starting one waits for it to run, which takes a while when the others
        # already hold the interpreter. The saved tabs first (the codec reads them), then what the panes and
        # the profiles need.
        self._queue(
            lambda: jobs.start("codec", lambda _job: import_modules(("inspector.core.codec",)), on_done=self._on_codec,
                               on_failed=lambda _e: self._on_codec(None)),
            lambda: jobs.start("preload", lambda _job: import_modules(PRELOAD_MODULES), on_done=self._on_preloaded,
                               on_failed=lambda _e: self._on_preloaded(None)),
            lambda: jobs.start("history", lambda _job: open_history(env, keep=keep), on_done=self._on_history,
                               on_failed=self._on_history_failed),
            lambda: jobs.start("profiles", lambda _job: profile_sources(env, team_dirs),
                               on_done=self._on_profiles, on_failed=self._on_profiles_failed),
        )

    def _late_anyway(self) -> None:
        """A part of `ready` never came (a worker that hangs on a network folder, say): the log file, the
        error dialog and the collections must not wait for it."""
        if not self.is_ready and not self._stopped:
            self._after_ready()

    def _after_ready(self) -> None:
        if self._after_started:
            return
        self._after_started = True
        if self.jobs is None:  # never started (the window closed at once)
            return
        from inspector.ui.jobs import import_modules

        env, folder = self.env, self.log_folder
        self.jobs.start("log", lambda _job: _open_log_and_start(env, folder), on_done=self._on_log,
                        on_failed=lambda _e: self._on_log(None))
        self.jobs.start("preload-later", lambda _job: import_modules(LATER_MODULES), on_done=self._on_later,
                        on_failed=lambda _e: self._on_later(None))

    def _on_codec(self, _value: object) -> None:
        self._queue(self.window.restore_saved_tabs)

    def _queue(self, *steps: Callable[[], object]) -> None:
        was_idle = not self._steps
        self._steps.extend(steps)
        if was_idle:
            QTimer.singleShot(0, self._next_step)

    def _next_step(self) -> None:
        if self._stopped or not self._steps:
            return
        step = self._steps.pop(0)
        try:
            step()
        finally:
            if self._steps:
                QTimer.singleShot(0, self._next_step)

    def stop(self) -> None:
        """The window is closing: no more steps; the workers are cancelled and joined (bounded)."""
        self._stopped = True
        self._steps.clear()
        if self.jobs is not None:
            self.jobs.stop()

    def _done(self, part: str) -> None:
        self._pending.discard(part)
        if not self._pending and not self.is_ready:
            self.is_ready = True
            self.ready.emit()
            self._after_ready()

    # -- panes -------------------------------------------------------------------------------------------
    def _on_preloaded(self, _value: object) -> None:
        self._preloaded = True
        steps = [functools.partial(self._build_pane, name) for name in self.PANE_STEPS]
        self._queue(*steps, functools.partial(self._done, "panes"))
        if self._history_opened:
            self._queue(self._attach_history)
        if self._profile_sources is not None:
            self._queue(self._attach_profiles)

    def _build_pane(self, name: str) -> None:
        tab = self.window.current_tab()
        if tab is not None:
            getattr(tab, name)  # built on first use (tab.py): the response view, the explainer

    # -- after ready: log file, error reporting, collections ----------------------------------------------
    def _on_log(self, app_log: AppLog | None) -> None:
        self.app_log = app_log
        self._log_opened = True
        if self._later_loaded:  # else when its modules are: the UI thread never waits for a worker's import
            self._queue(self._install_error_reporting)

    def _on_later(self, _value: object) -> None:
        self._later_loaded = True
        self._queue(self._attach_collections, self.window.check_incidents_badge)
        if self._log_opened:
            self._queue(self._install_error_reporting)

    def _install_error_reporting(self) -> None:
        self.hook = start_error_reporting(self.window, self.app_log, early=self.early)
        self._queue(_forget_sources)

    # -- history -----------------------------------------------------------------------------------------
    def _on_history(self, history: Any) -> None:
        self._history, self._history_opened = history, True
        if self._preloaded:  # else when the modules are (the panes are built first)
            self._queue(self._attach_history)

    def _attach_history(self) -> None:
        # the badge is checked once ready (_on_later), or now when this comes after it (a slow history)
        self.window.set_history(self._history, badge=self._later_loaded)
        self._done("history")

    def _on_history_failed(self, error: BaseException) -> None:
        print(f"request-inspector: history is off: {error}", file=sys.stderr)
        self._on_history(None)

    # -- profiles ----------------------------------------------------------------------------------------
    def _on_profiles(self, sources: tuple[Any, Any]) -> None:
        self._profile_sources = sources
        if self._preloaded:
            self._queue(self._attach_profiles)

    def _attach_profiles(self) -> None:
        from inspector.ui.profiles_model import ProfilesModel

        assert self._profile_sources is not None
        model = ProfilesModel(*self._profile_sources)  # its first load starts on its own worker
        self.window.set_profiles(model)
        if model.loaded:
            self._done("profiles")
        else:
            from PySide6.QtCore import Qt

            model.profiles_changed.connect(lambda: self._done("profiles"), Qt.ConnectionType.SingleShotConnection)

    def _on_profiles_failed(self, error: BaseException) -> None:
        print(f"request-inspector: profiles are off: {error}", file=sys.stderr)
        self._done("profiles")

    # -- collections (after ready: the sidebar's tree fills in as the files load on workers) -------------
    def _attach_collections(self) -> None:
        model, personal = open_collections(self.env, self.settings, self.collections_dirs, self.demo_url)
        self.window.set_collections(model, personal)
        if self.demo_url:
            open_first_demo_request(self.window, model)
        model.start()


def _forget_sources() -> None:
    """Drop the source text of every module imported so far: PySide reads each module's source as it is
    imported (looking for `from __feature__ import`), and linecache would keep all of it (some 5 MB) for the
    life of the window. A traceback reads the lines it needs again. Then give the heap the start-up freed
    back to the system (glibc keeps it, in the malloc arena of each worker that imported modules: some 5 MB
    of the idle window's memory)."""
    import linecache

    linecache.clearcache()
    trim_heap()


def _open_log_and_start(env: Mapping[str, str], folder: Path | None) -> AppLog | None:
    """On a worker: the log file and the first line of the run."""
    app_log = open_log(env, folder)
    if app_log is not None:
        from PySide6 import __version__ as qt_version

        from inspector import __version__
        from inspector.core.logfile import log_start

        log_start(app_log, __version__, f"PySide6 {qt_version}")
    return app_log


class StartupProbe(QObject):
    """INSPECTOR_STARTUP_PROBE: when the window was first painted and ready, the worst UI-thread stall over
    the first second after that paint (gaps between the ticks of a 10 ms timer), and the modules imported at
    the first paint; written as JSON to `path`, then the application quits."""

    TICK_MS = 10
    WATCH_S = 1.0
    GIVE_UP_S = 30.0  # ready never came (a broken start): the file is written anyway, without it

    def __init__(self, window: QWidget, startup: DeferredStart, path: Path, app: QApplication) -> None:
        super().__init__(window)
        self._path: Path | None = path
        self._app = app
        self.painted_at: float | None = None
        self.ready_at: float | None = None
        self.modules_at_paint: list[str] = []
        self.modules_at_ready: list[str] = []
        self._ticks: list[float] = []
        self._timer = QTimer(self)  # a coarse timer (within 5% of 10 ms): Qt.TimerType is not used before the paint
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self._tick)
        startup.ready.connect(self._on_ready)
        window.installEventFilter(self)  # installed last, so called first: before DeferredStart's

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.painted_at is None:
            watched.removeEventFilter(self)
            self.modules_at_paint = sorted(sys.modules)
            QTimer.singleShot(0, self._painted)  # once this paint is over, before the deferred steps
        return False

    def _painted(self) -> None:
        self.painted_at = time.time()
        self._ticks = [time.perf_counter()]
        self._timer.start()
        QTimer.singleShot(round(self.GIVE_UP_S * 1000), self._finish)

    def _tick(self) -> None:
        self._ticks.append(time.perf_counter())
        if self._ticks[-1] - self._ticks[0] >= self.WATCH_S:
            self._timer.stop()
            if self.ready_at is not None:
                self._finish()

    def _on_ready(self) -> None:
        self.ready_at = time.time()
        self.modules_at_ready = sorted(sys.modules)
        if not self._timer.isActive() and len(self._ticks) > 1:
            self._finish()

    def worst_stall_ms(self) -> float:
        gaps = [b - a for a, b in zip(self._ticks, self._ticks[1:], strict=False)]
        return round(max(gaps, default=0.0) * 1000, 1)

    def _finish(self) -> None:
        if self._path is None:
            return
        data: dict[str, object] = {"painted_at": self.painted_at, "worst_stall_ms": self.worst_stall_ms(),
                                   "modules_at_paint": self.modules_at_paint, "modules_at_ready": self.modules_at_ready}
        if self.ready_at is not None:
            data["ready_at"] = self.ready_at
        path, self._path = self._path, None
        import json

        path.write_text(json.dumps(data), encoding="utf-8")
        self._app.quit()


def run_gui(
    argv: Sequence[str] | None = None,
    demo_url: str | None = None,
    demo_requests: list[tuple[str, RequestSpec]] | None = None,
    profiles_dirs: Sequence[str] = (),
    *,
    demo: bool = False,
    environ: Mapping[str, str] | None = None,
    settings_path: str | Path | None = None,
    collections_dirs: Sequence[str] = (),
) -> int:
    """Build the QApplication and the window and run until it closes; the exit status.

    demo=True without demo_url starts the demo API on a free loopback port for the life of the window and
    opens the demo collection with its environment 'demo' pointing at it. demo_requests (a list of (title,
    spec)) still fills the Examples menu when given.
    """
    # errors before the real dialog exists are kept and shown by it once it is made (after the first paint)
    early = EarlyErrors()
    early.install()
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv) if argv else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    # the window manager matches the window to request-inspector.desktop (--install-desktop-entry) by this
    # name; every window and dialog shows the application's icon, which the MainWindow sets
    from inspector.assets import APP_ID

    app.setDesktopFileName(APP_ID)
    env = os.environ if environ is None else environ
    settings = make_settings(environ, settings_path)
    # --profiles-dir and the demo's folder are for this run only; the saved ones come from the profiles dialog
    run_only = [Path(d) for d in profiles_dirs]
    team_dirs = list(run_only)  # and the saved ones, read after the first paint (saved_teams)
    server = None
    if demo and demo_url is None:
        from inspector.core.profiles.defaults import default_data_dir
        from inspector.demo.server import demo_environment, materialize_demo_profiles, start_demo_server

        server = start_demo_server("127.0.0.1", 0)
        demo_url = server.base_url
        # The demo profiles' secrets are ${env:...} references: this process provides them.
        os.environ.update(demo_environment(demo_url))
        demo_folder = materialize_demo_profiles(demo_url, default_data_dir(env) / "demo-profiles")
        run_only.append(demo_folder)
        team_dirs.append(demo_folder)
    window = MainWindow(
        settings,
        demo_requests=demo_requests or [],
        prefer_demo=bool(demo_requests),
        profiles_dirs=[str(d) for d in run_only],
        max_body_bytes=body_cap_bytes(settings),
        restore_tabs_later=True,  # after the first paint (DeferredStart), when the codec is imported
        build_later=True,  # only the frame before the first paint: DeferredStart builds the rest
    )
    window.demo_url = demo_url  # the Incidents view offers the demo burst
    startup = DeferredStart(window, env, settings, team_dirs, saved_teams=True, early=early,
                            collections_dirs=collections_dirs, demo_url=demo_url)
    if env.get(EXIT_AFTER_SHOW_ENV):  # the window is on screen: stop before the deferred work
        after_first_paint(window, app.quit)
    else:
        after_first_paint(window, startup.start)
    probe_path = env.get(STARTUP_PROBE_ENV)
    if probe_path:
        StartupProbe(window, startup, Path(probe_path), app)
    window.show()
    try:
        return app.exec()
    finally:
        startup.stop()
        window.shutdown()
        if startup.hook is not None:
            startup.hook.uninstall()
        early.uninstall()
        if server is not None:
            server.stop()
        if startup.app_log is not None:
            startup.app_log.close()
