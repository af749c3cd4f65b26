"""An unexpected error is shown in a dialog (not lost) and written to the log file, secrets masked.

The hook replaces pytest-qt's own exception capture for these tests (qt_no_exception_capture): the errors
raised here are the point of the test, and the hook under test is what catches them.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QPushButton

from inspector.core.logfile import start_log
from inspector.ui.error_dialog import ErrorDialog
from inspector.ui.gui import start_error_reporting
from inspector.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_no_exception_capture

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.CRASH-sig-SECRET-7788"
KNOWN = "profile-secret-SECRET-3141"  # a profile's secret: nothing about its shape says so


@pytest.fixture
def reporting(qtbot, tmp_path: Path):
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    log = start_log(tmp_path / "logs")
    before = sys.excepthook, threading.excepthook
    hook = start_error_reporting(window, log)
    window.view_state.remember_secrets([KNOWN])  # as after a send with a profile
    yield window, hook, log
    hook.uninstall()
    log.close()
    assert (sys.excepthook, threading.excepthook) == before  # the previous hooks are back


def _error_dialog(window: MainWindow) -> ErrorDialog | None:
    found = window.findChild(QDialog, "errorDialog")
    return found if isinstance(found, ErrorDialog) and found.isVisible() else None


def test_an_error_in_a_slot_opens_the_dialog_and_is_logged_masked(qtbot, reporting) -> None:
    window, hook, log = reporting

    def broken_slot() -> None:
        raise RuntimeError(f"upstream refused Authorization: Bearer {TOKEN} for the key {KNOWN}")

    button = QPushButton("Break", window)
    button.clicked.connect(broken_slot)
    button.show()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _error_dialog(window) is not None, timeout=5_000)
    dialog = _error_dialog(window)
    assert dialog is not None and dialog is hook.dialog()
    assert not dialog.isModal()  # the window stays usable
    assert "RuntimeError" in dialog.summary.text()
    details = dialog.details_text()
    assert "Traceback" in details and "broken_slot" in details
    for text in (dialog.summary.text(), details):
        assert TOKEN not in text and KNOWN not in text
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == details
    log.flush()
    written = log.path.read_text(encoding="utf-8")
    assert "Unexpected error" in written and "Traceback" in written and "broken_slot" in written
    assert "RuntimeError: upstream refused Authorization: Bearer eyJhbG…" in written
    assert TOKEN not in written and KNOWN not in written
    assert str(log.path) in dialog.hint.text()  # the user is told where the file is


def test_an_error_on_a_worker_thread_is_shown_on_the_window(qtbot, reporting) -> None:
    window, _hook, log = reporting

    def work() -> None:
        raise ValueError(f"the JWKS at https://u:{KNOWN}@idp.example/jwks could not be read")

    worker = threading.Thread(target=work, name="inspector-test-worker")
    worker.start()
    worker.join(5)
    qtbot.waitUntil(lambda: _error_dialog(window) is not None, timeout=5_000)
    dialog = _error_dialog(window)
    assert dialog is not None and "ValueError" in dialog.summary.text()
    log.flush()
    written = log.path.read_text(encoding="utf-8")
    assert "inspector-test-worker" in written or "ValueError" in written
    assert KNOWN not in written and KNOWN not in dialog.details_text()


def test_repeated_errors_share_one_dialog_and_it_stays_bounded(qtbot, reporting) -> None:
    window, hook, _log = reporting
    for i in range(30):
        try:
            raise KeyError(f"k{i % 25}")
        except KeyError:
            hook.handle(*sys.exc_info())  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: _error_dialog(window) is not None, timeout=5_000)
    dialogs = [w for w in QApplication.topLevelWidgets() + window.findChildren(QDialog)
               if w.objectName() == "errorDialog"]
    assert len(set(map(id, dialogs))) == 1
    dialog = hook.dialog()
    assert dialog is not None
    qtbot.waitUntil(lambda: "KeyError: 'k4'" in dialog.summary.text(), timeout=5_000)
    assert dialog.details_text().count("Traceback") == 20  # the newest ones only


def test_in_safe_mode_the_dialog_masks_strictly(qtbot, reporting) -> None:
    window, hook, _log = reporting
    window.set_screen_share_safe(True)
    opaque = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # no name says it is secret: strict mode masks it anyway
    try:
        raise RuntimeError(f"cache entry {opaque} is stale")
    except RuntimeError:
        hook.handle(*sys.exc_info())  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: _error_dialog(window) is not None, timeout=5_000)
    dialog = hook.dialog()
    assert dialog is not None and opaque not in dialog.summary.text() and opaque not in dialog.details_text()
