"""Start the window: the QApplication, the settings, the demo API when asked, and the main window."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from inspector.core.request import RequestSpec
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


def run_gui(
    argv: Sequence[str] | None = None,
    demo_url: str | None = None,
    demo_requests: list[tuple[str, RequestSpec]] | None = None,
    profiles_dirs: Sequence[str] = (),
    *,
    demo: bool = False,
    environ: Mapping[str, str] | None = None,
    settings_path: str | Path | None = None,
) -> int:
    """Build the QApplication and the window and run until it closes; the exit status.

    demo=True without demo_url starts the demo API on a free loopback port for the life of the window and
    loads its demo requests.
    """
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv) if argv else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    server = None
    if demo and demo_url is None:
        from inspector.demo.server import start_demo_server

        server = start_demo_server("127.0.0.1", 0)
        demo_url = server.base_url
    if demo_url and demo_requests is None:
        from inspector.demo.requests import demo_requests as make_demo_requests

        demo_requests = make_demo_requests(demo_url)
    window = MainWindow(
        make_settings(environ, settings_path),
        demo_requests=demo_requests or [],
        prefer_demo=demo_url is not None,
        profiles_dirs=list(profiles_dirs),
    )
    exit_after_show = bool((environ if environ is not None else os.environ).get(EXIT_AFTER_SHOW_ENV))
    after_first_paint(window, window.ensure_panels, app.quit if exit_after_show else None)
    window.show()
    try:
        return app.exec()
    finally:
        window.shutdown()
        if server is not None:
            server.stop()
