"""Start the window: the QApplication, the settings, the demo API when asked, and the main window."""

from __future__ import annotations

import math
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from inspector.assets import APP_ID
from inspector.core.errors import InspectorError
from inspector.core.logfile import AppLog, log_start, start_log
from inspector.core.request import RequestSpec
from inspector.ui.error_dialog import ExceptionHook
from inspector.ui.main_window import MainWindow

ORGANIZATION = "request-inspector"
APPLICATION = "Request Inspector"
SETTINGS_ENV = "INSPECTOR_SETTINGS"  # an .ini path: settings go there instead of the user's own
EXIT_AFTER_SHOW_ENV = "INSPECTOR_EXIT_AFTER_SHOW"


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


def open_history(env: Mapping[str, str], settings: QSettings | None = None) -> Any:
    """The history database in the user's data folder; None (and the window says so) when it cannot open."""
    from inspector.core.history import HistoryStore, default_history_path

    path = default_history_path(env)
    keep = 10_000
    if settings is not None:
        try:
            keep = max(1, int(str(settings.value("history/keep", keep))))
        except (TypeError, ValueError):
            pass
    try:
        return HistoryStore(path, keep=keep)  # it creates the folder 0700 and the file 0600
    except (OSError, InspectorError) as exc:
        print(f"request-inspector: history is off: {exc}", file=sys.stderr)
        return None


def open_profiles(env: Mapping[str, str], team_dirs: Sequence[Path]) -> Any:
    """The profiles model over the personal folder and the team folders, with the user's secret store."""
    from inspector.core.profiles.defaults import default_store_for_secrets, open_default_store
    from inspector.ui.profiles_model import ProfilesModel

    store = open_default_store(team_dirs, environ=env)
    return ProfilesModel(store, default_store_for_secrets(env))


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
    try:
        return start_log(folder, environ=env)
    except OSError as exc:
        print(f"request-inspector: no log file: {exc.strerror or exc} ({exc.filename or folder}).",
              file=sys.stderr)
        return None


def start_error_reporting(window: MainWindow | None, app_log: AppLog | None,
                          parent: QObject | None = None) -> ExceptionHook:
    """Install the excepthook: an unexpected error is logged (masked) and shown in a dialog over window.
    The window's ViewState masks what is shown (its known secrets, strict in screen-share-safe mode) and
    tells the log file every secret it learns."""
    hook = ExceptionHook(parent or window, log_path=app_log.path if app_log else None, dialog_parent=window)
    if window is not None:
        hook.set_mask(window.view_state.mask)
        if app_log is not None:
            app_log.learn(window.view_state.known_secrets())
            window.view_state.secrets_learned.connect(app_log.learn)
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
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv) if argv else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    # the window manager matches the window to request-inspector.desktop (--install-desktop-entry) by this
    # name, and every window and dialog shows this icon
    app.setDesktopFileName(APP_ID)
    from inspector.ui.app_icon import app_icon

    app.setWindowIcon(app_icon())
    # every job's thread is cancelled and joined when the app quits and again at interpreter exit: a worker
    # still running then would be frozen mid-call into Qt as the interpreter goes away
    from inspector.ui.jobs import install_exit_hooks

    install_exit_hooks(app)
    env = os.environ if environ is None else environ
    from PySide6 import __version__ as qt_version

    from inspector import __version__

    app_log = open_log(env)
    if app_log is not None:
        log_start(app_log, __version__, f"PySide6 {qt_version}")
    # errors before the window exists are logged and shown too (no window to mask with yet: the default mask)
    early_hook = start_error_reporting(None, app_log, parent=app)
    settings = make_settings(environ, settings_path)
    # --profiles-dir and the demo's folder are for this run only; the saved ones come from the profiles dialog
    run_only = [Path(d) for d in profiles_dirs]
    team_dirs = run_only + saved_team_dirs(settings)
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
    )
    window.demo_url = demo_url  # the Incidents view offers the demo burst
    early_hook.uninstall()
    hook = start_error_reporting(window, app_log)
    exit_after_show = bool(env.get(EXIT_AFTER_SHOW_ENV))
    # After the first paint: the deferred panes, then the profiles (reading folders, probing the keyring).
    def attach_services() -> None:
        window.set_history(open_history(env, settings))
        window.set_profiles(open_profiles(env, team_dirs))
        model, personal = open_collections(env, settings, collections_dirs, demo_url)
        window.set_collections(model, personal)
        if demo_url:
            open_first_demo_request(window, model)
        model.start()

    if exit_after_show:  # benchmarks/bench_startup.py: the window is on screen; stop before the deferred work
        after_first_paint(window, app.quit)
    else:
        after_first_paint(window, window.ensure_panels, attach_services)
    window.show()
    try:
        return app.exec()
    finally:
        window.shutdown()
        hook.uninstall()
        if server is not None:
            server.stop()
        if app_log is not None:
            app_log.close()
