"""A desktop app: the Help menu (shortcuts read from the window itself, the README's quick start, About) and
the application icon on the window and its dialogs."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import pytest
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from inspector import __version__
from inspector.assets import markdown_section, quick_start_markdown, readme_text
from inspector.core.history import HistoryStore
from inspector.core.logfile import LOG_FILE_NAME, default_log_dir
from inspector.core.profiles.defaults import default_data_dir, default_personal_dir
from inspector.ui.app_icon import app_icon
from inspector.ui.help_dialogs import (
    ANYWHERE,
    AboutDialog,
    QuickStartDialog,
    ShortcutsDialog,
    about_facts,
    about_folders,
    shortcuts_of,
)
from inspector.ui.main_window import MainWindow

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("profiles/teamDirs", json.dumps([str(tmp_path / "team")]))
    win = MainWindow(settings, profiles_dirs=[str(tmp_path / "run-only")])
    qtbot.addWidget(win)
    win.show()
    win.ensure_panels()
    yield win
    win.shutdown()


def _words(text: str) -> str:
    return text.replace("&", "").strip()


def test_the_help_menu_has_quick_start_shortcuts_and_about(window: MainWindow) -> None:
    menus = {_words(a.text()): a.menu() for a in window.menuBar().actions()}
    assert "Help" in menus
    items = [_words(a.text()) for a in menus["Help"].actions() if not a.isSeparator()]
    assert items == ["Quick start", "Keyboard shortcuts", "About Request Inspector"]


def test_the_shortcut_list_is_every_shortcut_of_the_window(qtbot, window: MainWindow, tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    window.set_history(store)
    window.history_action.setChecked(True)  # its keys (Ctrl+R, Del) exist from now on
    listed = {(s.keys, s.action) for s in shortcuts_of(window)}
    native = QKeySequence.SequenceFormat.NativeText
    for action in window.findChildren(QAction):
        for sequence in (s for s in action.shortcuts() if not s.isEmpty()):
            assert any(sequence.toString(native) in keys.split(", ") and words == _words(action.text())
                       for keys, words in listed), f"{action.text()} ({sequence.toString()}) is not listed"
    keys_of = {words: keys for keys, words in listed}
    assert "Ctrl+Return" in keys_of["Send"] and keys_of["Quick start"] == "F1"
    assert keys_of["Re-send"] == "Ctrl+R" and keys_of["Find previous (in the find field)"] == "Shift+Return"
    where = {s.action: s.where for s in shortcuts_of(window)}
    assert where["Send"] == ANYWHERE and where["Re-send"] == "History list"
    # a key added to the window shows up without anyone editing a list
    extra = QAction("Frobnicate", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+F"))
    window.addAction(extra)
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    rows = [tuple(dialog.table.item(r, c).text() for c in range(3)) for r in range(dialog.table.rowCount())]
    assert ("Ctrl+Alt+F", "Frobnicate", ANYWHERE) in rows
    assert rows[0][2] == ANYWHERE  # the window-wide keys first
    store.close()


def test_the_shortcuts_action_opens_the_list(qtbot, window: MainWindow, monkeypatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr(ShortcutsDialog, "exec", lambda self: shown.append(self) or 0)
    window.shortcuts_action.trigger()
    assert len(shown) == 1 and isinstance(shown[0], ShortcutsDialog)


def test_quick_start_is_the_readmes_own(qtbot) -> None:
    text = README.read_text(encoding="utf-8")
    assert readme_text() == text
    section = markdown_section(text, "Try it")
    assert section and "Ctrl+Enter" in section and "## " not in section
    assert quick_start_markdown() == section
    dialog = QuickStartDialog()
    qtbot.addWidget(dialog)
    shown = dialog.browser.toPlainText()
    assert "Ctrl+Enter" in shown and "**" not in shown  # rendered, not Markdown source


@pytest.mark.parametrize(("text", "title", "section"), [
    ("# T\n\n## Try it: now\nA\n\n```sh\n## not a heading\n```\nB\n## Next\nC", "Try it",
     "A\n\n```sh\n## not a heading\n```\nB"),
    ("## Other\nx\n## Try it\nlast", "Try it", "last"),
    ("no sections at all", "Try it", ""),
])
def test_a_markdown_section_is_read_whole(text: str, title: str, section: str) -> None:
    assert markdown_section(text, title) == section


def test_about_says_the_versions_and_where_the_files_are(qtbot, window: MainWindow, tmp_path: Path) -> None:
    env = dict(os.environ, INSPECTOR_PROFILES=str(tmp_path / "from-env"))
    folders = about_folders(env, window.settings, window.profiles_dirs)
    dialog = AboutDialog(window, folders=folders)
    qtbot.addWidget(dialog)
    text = dialog.text()
    assert f"Request Inspector {__version__}" in text
    assert qVersion() in text and pyside_version in text and platform.python_version() in text
    for label, path in (("Data folder", default_data_dir(env)),
                        ("Log file", default_log_dir(env) / LOG_FILE_NAME),
                        ("Profiles folder", default_personal_dir(env))):
        assert f"{label}: {path}" in text
    teams = [value for label, value in folders if label == "Team profiles"]
    assert teams == [str(tmp_path / "run-only"), str(tmp_path / "from-env"), str(tmp_path / "team")]
    assert f"Settings: {window.settings.fileName()}" in text
    assert dict(about_facts())["Version"] == f"Request Inspector {__version__}"


def test_the_window_and_its_dialogs_carry_the_application_icon(qtbot, window: MainWindow) -> None:
    icon = app_icon()
    assert not icon.isNull()
    for size in (16, 48, 256):
        assert not icon.pixmap(size, size).isNull()
    assert window.windowIcon().cacheKey() == icon.cacheKey()
    assert QApplication.windowIcon().cacheKey() == icon.cacheKey()  # what every dialog shows
    for dialog in (AboutDialog(window), QuickStartDialog(window), ShortcutsDialog(window)):
        qtbot.addWidget(dialog)
        assert dialog.windowIcon().cacheKey() == icon.cacheKey()


APP_SCRIPT = """
import sys
from PySide6.QtWidgets import QApplication
from inspector.ui.app_icon import app_icon
from inspector.ui.gui import run_gui
status = run_gui([], settings_path=sys.argv[1])
app = QApplication.instance()
print(status, app.desktopFileName(), app.windowIcon().cacheKey() == app_icon().cacheKey())
"""


def test_the_app_names_its_desktop_entry_and_icon(tmp_path: Path) -> None:
    # its own process: run_gui runs the application's event loop and quits it
    import subprocess
    import sys

    from inspector.ui.gui import EXIT_AFTER_SHOW_ENV

    env = dict(os.environ, INSPECTOR_TESTING="1", QT_QPA_PLATFORM="offscreen", **{EXIT_AFTER_SHOW_ENV: "1"})
    env["PYTHONPATH"] = os.pathsep.join([str(README.parent), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", APP_SCRIPT, str(tmp_path / "settings.ini")], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.split() == ["0", "request-inspector", "True"], done.stderr
