"""Importing the incidents view (the window makes its controller, the status bar's badge, early) imports
neither core.incidents nor the timeline widget: the analysis imports them on its worker, the view when built."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_incidents_view_imports_no_analysis_and_no_timeline() -> None:
    script = ("import sys\nimport inspector.ui.incidents_view\n"
              "later = ('inspector.core.incidents', 'inspector.ui.incident_timeline')\n"
              "print([m for m in later if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_the_incidents_controller_is_made_only_once_the_last_hour_holds_an_entry(qtbot, tmp_path: Path) -> None:
    """An idle window whose history holds nothing from the last hour does not make the Incidents controller
    (nor import its modules) for the badge; a send, or an entry from the last hour, makes it."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from PySide6.QtCore import QSettings

    from inspector.core.history import HistoryStore
    from inspector.ui.main_window import MainWindow
    from tests.support.samples import simple_exchange

    store = HistoryStore(tmp_path / "h.sqlite3")
    store.add(simple_exchange(401))  # sent in 2024
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    try:
        win.set_history(store)  # checks the badge
        qtbot.waitUntil(lambda: not win.jobs.busy("badge-precheck"), timeout=10_000)
        assert win._incidents is None

        store.add(replace(simple_exchange(401), sent_at=datetime.now(UTC)))
        win._history_changed()  # what a send, a delete or a trim does
        qtbot.waitUntil(lambda: win._incidents is not None, timeout=10_000)
        qtbot.waitUntil(lambda: not win.incidents().jobs.busy("badge"), timeout=20_000)
    finally:
        win.shutdown()
        store.close()


def test_has_entries_since(tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from inspector.core.history import HistoryStore
    from tests.support.samples import SENT_AT, simple_exchange

    store = HistoryStore(tmp_path / "h.sqlite3")
    try:
        assert not store.has_entries_since(SENT_AT - timedelta(days=1))
        store.add(simple_exchange(200))
        assert store.has_entries_since(SENT_AT - timedelta(seconds=1))
        assert not store.has_entries_since(SENT_AT + timedelta(seconds=1))
        store.add(replace(simple_exchange(500), sent_at=datetime.now(UTC)))
        assert store.has_entries_since(datetime.now(UTC) - timedelta(hours=1))
    finally:
        store.close()
