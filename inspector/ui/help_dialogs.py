"""The Help menu's windows: the keyboard shortcuts, the README's quick start, and About.

The shortcut list is read from the window's own QActions and QShortcuts when it opens, so it always shows
the keys that work (a key added or changed in the code appears here without anyone editing a list).
About says which versions run and where the app keeps its files.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inspector.ui.view_state import plain_label

__all__ = [
    "AboutDialog",
    "QuickStartDialog",
    "Shortcut",
    "ShortcutsDialog",
    "about_facts",
    "about_folders",
    "shortcuts_of",
]

ANYWHERE = "Anywhere in the window"


@dataclass(frozen=True)
class Shortcut:
    """One key binding as the shortcut list shows it."""

    keys: str  # e.g. "Ctrl+Return, Ctrl+Enter" (in the platform's words)
    action: str  # what it does
    where: str  # where the focus must be for it to work


def _action_words(text: str) -> str:
    """A menu text without its mnemonic marks ("&Find in body…" -> "Find in body…")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def _keys(sequences: Sequence[QKeySequence]) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences if not s.isEmpty())


def _place(widget: object) -> str:
    """Where a widget-scoped key works: the widget's accessible name, else its tool tip, else its name."""
    if not isinstance(widget, QWidget):
        return ANYWHERE
    return widget.accessibleName() or widget.toolTip() or widget.objectName() or type(widget).__name__


def shortcuts_of(window: QWidget) -> list[Shortcut]:
    """Every key binding of the window's actions and shortcuts (those of panes built so far included), the
    window-wide ones first, in the order they were made."""
    found: list[Shortcut] = []
    seen: set[tuple[str, str]] = set()
    for action in window.findChildren(QAction):
        keys = _keys(action.shortcuts())
        if not keys:
            continue
        where = ANYWHERE
        if action.shortcutContext() in (Qt.ShortcutContext.WidgetShortcut,
                                        Qt.ShortcutContext.WidgetWithChildrenShortcut):
            widgets = [o for o in action.associatedObjects() if isinstance(o, QWidget)]
            where = _place(widgets[0]) if widgets else ANYWHERE
        words = _action_words(action.text()) or _action_words(action.toolTip())
        if (keys, words) not in seen:
            seen.add((keys, words))
            found.append(Shortcut(keys, words, where))
    for shortcut in window.findChildren(QShortcut):
        keys = _keys(shortcut.keys())
        if not keys or not shortcut.isEnabled():
            continue
        words = shortcut.whatsThis() or shortcut.objectName() or "(no description)"
        where = ANYWHERE if shortcut.context() in (Qt.ShortcutContext.WindowShortcut,
                                                   Qt.ShortcutContext.ApplicationShortcut) \
            else _place(shortcut.parent())
        if (keys, words) not in seen:
            seen.add((keys, words))
            found.append(Shortcut(keys, words, where))
    found.sort(key=lambda s: s.where != ANYWHERE)  # stable: window-wide first, each group in its own order
    return found


class ShortcutsDialog(QDialog):
    """A table of every keyboard shortcut (see shortcuts_of)."""

    def __init__(self, window: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.shortcuts = shortcuts_of(window)
        self.table = QTableWidget(len(self.shortcuts), 3, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Keys", "Does", "Where"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        for row, shortcut in enumerate(self.shortcuts):
            for col, text in enumerate((shortcut.keys, shortcut.action, shortcut.where)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        note = plain_label("Keys of a pane that is not open yet (the history list) appear once it is open.",
                           self, wrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(note)
        lay.addWidget(buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.horizontalAdvance("x") * 90, metrics.lineSpacing() * (len(self.shortcuts) + 8))


class QuickStartDialog(QDialog):
    """The README's quick start, rendered."""

    def __init__(self, parent: QWidget | None = None, markdown: str | None = None) -> None:
        super().__init__(parent)
        from inspector.assets import quick_start_markdown

        self.setObjectName("quickStartDialog")
        self.setWindowTitle("Quick start")
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("quickStartText")
        self.browser.setOpenExternalLinks(True)
        self.markdown = markdown if markdown is not None else quick_start_markdown()
        self.browser.setMarkdown(self.markdown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser, 1)
        lay.addWidget(buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.horizontalAdvance("x") * 100, metrics.lineSpacing() * 22)


# ---------------------------------------------------------------------------------------------------------
# About


def about_facts() -> list[tuple[str, str]]:
    """(label, value) of what runs: the app, Python, Qt and PySide6, the platform."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    from inspector import __version__

    return [
        ("Version", f"Request Inspector {__version__}"),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("Qt", f"Qt {qVersion()}, PySide6 {pyside_version}"),
        ("System", platform.platform(terse=True)),
    ]


def about_folders(environ: Mapping[str, str] | None = None, settings: QSettings | None = None,
                  extra_profile_dirs: Sequence[str | Path] = ()) -> list[tuple[str, str]]:
    """(label, path) of where the app keeps its files: data (history), log, profiles, team folders,
    settings. The same functions the app opens them with say where they are."""
    import json

    from inspector.core.logfile import LOG_FILE_NAME, default_log_dir
    from inspector.core.profiles.defaults import default_data_dir, default_personal_dir
    from inspector.core.profiles.store import team_dirs_from

    env = os.environ if environ is None else environ
    data = default_data_dir(env)
    folders = [
        ("Data folder", str(data)),
        ("History database", str(data / "history.sqlite3")),
        ("Log file", str(default_log_dir(env) / LOG_FILE_NAME)),
        ("Profiles folder", str(default_personal_dir(env))),
    ]
    teams = [str(Path(d).expanduser()) for d in extra_profile_dirs]
    teams += [str(d) for d in team_dirs_from(env)]
    if settings is not None:
        try:
            saved = json.loads(str(settings.value("profiles/teamDirs", "[]")))
        except (ValueError, RecursionError):
            saved = []
        teams += [d for d in saved if isinstance(d, str)] if isinstance(saved, list) else []
    for team in dict.fromkeys(teams):  # each once, in order
        folders.append(("Team profiles", team))
    if settings is not None and settings.fileName():
        folders.append(("Settings", settings.fileName()))
    return folders


class AboutDialog(QDialog):
    """The version, Python and Qt, and the folders (each copyable, with a button to open it)."""

    def __init__(self, parent: QWidget | None = None, *, facts: Sequence[tuple[str, str]] | None = None,
                 folders: Sequence[tuple[str, str]] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About Request Inspector")
        self.facts = list(facts if facts is not None else about_facts())
        self.folders = list(folders if folders is not None else about_folders())
        title = plain_label("Request Inspector", self, name="aboutTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        blurb = plain_label("Sends API requests and explains why the answer was 401 or 403.", self, wrap=True)
        form = QFormLayout()
        for label, value in self.facts:
            form.addRow(f"{label}:", plain_label(value, self, wrap=True, selectable=True))
        for label, path in self.folders:
            form.addRow(f"{label}:", self._path_row(path))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(blurb)
        lay.addLayout(form)
        lay.addStretch(1)
        lay.addWidget(buttons)
        self.resize(self.fontMetrics().horizontalAdvance("x") * 95, self.sizeHint().height())

    def _path_row(self, path: str) -> QWidget:
        """A read-only field (selectable, never wider than the dialog) and a button opening the folder."""
        row = QWidget(self)
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        field = QLineEdit(path, row)
        field.setReadOnly(True)
        field.setCursorPosition(0)
        lay.addWidget(field, 1)
        button = QPushButton("Open", row)
        folder = Path(path) if Path(path).is_dir() else Path(path).parent
        button.setToolTip(f"Open {folder} in the file manager")
        button.setEnabled(folder.is_dir())
        button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        lay.addWidget(button)
        return row

    def text(self) -> str:
        """Everything the dialog says, one "label: value" a line (for tests and for a bug report)."""
        return "\n".join(f"{label}: {value}" for label, value in (*self.facts, *self.folders))
