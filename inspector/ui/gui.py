"""Start the window: the QApplication, the settings, the demo API when asked, and the main window."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from inspector.core.request import RequestSpec
from inspector.ui.main_window import MainWindow

ORGANIZATION = "request-inspector"
APPLICATION = "Request Inspector"
SETTINGS_ENV = "INSPECTOR_SETTINGS"  # an .ini path: settings go there instead of the user's own


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
    window.show()
    try:
        return app.exec()
    finally:
        window.shutdown()
        if server is not None:
            server.stop()
