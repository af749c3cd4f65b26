"""The Incidents view: incidents found off the UI thread in a real sqlite history (the demo burst sent through
the pipeline to the demo API), the timeline's marks, opening a request in a tab, a HAR file analysed without
being imported, the badge, the report, the demo burst button; no secret on screen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication

from inspector.core.history import HistoryStore
from inspector.core.incidents import Incident
from inspector.core.pipeline import SendResult, run
from inspector.demo.requests import burst_requests
from inspector.ui.incident_timeline import MARGIN, incident_geometry
from inspector.ui.incidents_view import (
    BADGE_WINDOW,
    IncidentReportDialog,
    IncidentsView,
    analyse_history,
    recent,
)
from inspector.ui.main_window import MainWindow
from tests.support.secret_scan import find_secrets


@dataclass
class Burst:
    store: HistoryStore
    results: list[SendResult]
    tokens: list[str]


@pytest.fixture
def burst(demo_url: str, tmp_path: Path) -> Iterator[Burst]:
    """A real history holding the demo burst: 6 successes, then 7 refusals for a new signing key and 7 for
    tokens that expired together."""
    store = HistoryStore(tmp_path / "history.sqlite3")
    sent = burst_requests(demo_url)
    results = [run(spec, history=store) for _title, spec in sent]
    tokens = sorted({h.value.split(" ", 1)[1] for _t, spec in sent for h in spec.headers})
    yield Burst(store, results, tokens)
    store.close()


@pytest.fixture
def view(qtbot, burst: Burst) -> Iterator[IncidentsView]:
    widget = IncidentsView(burst.store)
    qtbot.addWidget(widget)
    widget.resize(700, 900)
    widget.show()
    yield widget
    widget.shutdown()


def analysed(qtbot, view: IncidentsView) -> list[Incident]:
    qtbot.waitUntil(lambda: view.analysis is not None and not view.is_busy(), timeout=20_000)
    return view.incidents()


def test_the_incidents_are_found_off_the_ui_thread_with_a_busy_state(qtbot, view: IncidentsView) -> None:
    view.analyse()
    assert view.is_busy() and view.progress.isVisibleTo(view)  # busy until the worker's answer arrives
    found = analysed(qtbot, view)
    assert {i.cause for i in found} == {"signing-key-rotated", "credentials-expired"}
    assert not view.progress.isVisibleTo(view)
    assert view.list.topLevelItemCount() == 2
    causes = {view.list.topLevelItem(n).text(0) for n in range(2)}  # type: ignore[union-attr]
    assert causes == {"The signing key was rotated", "Credentials expired together"}
    assert view.list.topLevelItem(0).text(3) == "ongoing"  # type: ignore[union-attr]
    assert "your history" in view.source_label.text()


def test_the_selected_incident_shows_cause_evidence_next_step_and_requests(qtbot, view: IncidentsView) -> None:
    view.analyse()
    found = analysed(qtbot, view)
    n = next(k for k, i in enumerate(found) if i.cause == "signing-key-rotated")
    view.select(n)
    incident = view.current_incident()
    assert incident is not None and incident.cause == "signing-key-rotated"
    assert view.next_step.toPlainText() == incident.next_step
    assert view.next_step.isReadOnly()
    labels = [view.evidence.topLevelItem(k).text(0) for k in range(view.evidence.topLevelItemCount())]  # type: ignore[union-attr]
    assert "Key id of the last success (kid)" in labels and "Key id of the failing tokens (kid)" in labels
    assert view.requests.topLevelItemCount() == incident.failed == 7
    assert "Cause: signing-key-rotated" in view.state_label.text()
    view.copy_button.click()
    assert QGuiApplication.clipboard().text() == incident.next_step


def test_the_timeline_marks_follow_the_widget_width_not_the_font(qtbot, view: IncidentsView) -> None:
    view.analyse()
    incident = analysed(qtbot, view)[0]
    narrow, wide = incident_geometry(incident, 400), incident_geometry(incident, 1000)
    failures = [m for m in wide.marks if m.kind == "failure"]
    successes = [m for m in wide.marks if m.kind == "success"]
    assert sorted(m.entry_id for m in failures) == sorted(incident.entries)
    assert sorted(m.entry_id for m in successes) == sorted(incident.successes)
    assert all(MARGIN <= m.x <= 1000 - MARGIN for m in wide.marks)
    # time order is x order, and the same moments scale with the width
    by_time = sorted(failures, key=lambda m: m.at)
    assert [m.x for m in by_time] == sorted(m.x for m in by_time)
    for a, b in zip(narrow.marks, wide.marks, strict=True):
        assert (a.x - MARGIN) / (400 - 2 * MARGIN) == pytest.approx((b.x - MARGIN) / (1000 - 2 * MARGIN))
    # the band: from the last success before to the first failure
    assert incident.last_success is not None and wide.band is not None
    last_ok = max(m.x for m in successes if m.at <= incident.first_failure)
    assert wide.band == (pytest.approx(last_ok), pytest.approx(min(m.x for m in failures)))
    # the widget draws what the function returns for its width, whatever its font
    view.timeline.resize(600, view.timeline.height())
    before = view.timeline.geometry_now()
    font = view.timeline.font()
    font.setPointSize(font.pointSize() * 3)
    view.timeline.setFont(font)
    assert view.timeline.geometry_now() == before == incident_geometry(view.timeline.incident(), 600)


def test_a_click_on_a_mark_selects_its_request(qtbot, view: IncidentsView) -> None:
    view.analyse()
    analysed(qtbot, view)
    mark = next(m for m in reversed(view.timeline.geometry_now().marks) if m.kind == "failure")
    y = view.timeline.height() // 2
    from PySide6.QtCore import QPoint

    qtbot.mouseClick(view.timeline, Qt.MouseButton.LeftButton, pos=QPoint(round(mark.x), y))
    current = view.requests.currentItem()
    assert current is not None and current.data(0, Qt.ItemDataRole.UserRole) == mark.entry_id


def test_geometry_of_a_single_failure_without_success() -> None:
    at = datetime(2026, 11, 27, 14, 2, tzinfo=UTC)
    incident = Incident("mixed", "t", (1,), at, at, None, True, 1, 0, ("h:80",), (), ("/",), (), ("x",), {}, "s",
                        (), (at,), ())
    g = incident_geometry(incident, 300)
    assert g.band is None and len(g.marks) == 1 and MARGIN < g.marks[0].x < 300 - MARGIN


def test_enter_on_a_request_opens_it_in_a_tab_of_the_window(qtbot, burst: Burst, tmp_path: Path) -> None:
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), history=burst.store)
    qtbot.addWidget(win)
    win.show()
    try:
        assert win._incidents is None  # nothing of the view is built until it is asked for
        win.incidents_action.setChecked(True)
        view = win.incidents().view
        assert view is not None and win.incidents().dock.isVisible()
        incident = analysed(qtbot, view)[0]
        tabs = win.tabs.count()
        view.requests.setFocus()
        entry_id = incident.entries[1]
        view.select_entry(entry_id)
        qtbot.keyClick(view.requests, Qt.Key.Key_Return)
        record = burst.store.get(entry_id)
        assert record is not None
        assert win.current_tab().editor.to_spec().url == record.spec.url
        assert win.result is None or win.tabs.count() >= tabs
        # a second request opens in another tab: the first one is not overwritten
        other = incident.entries[2]
        item = next(view.requests.topLevelItem(k) for k in range(view.requests.topLevelItemCount())
                    if view.requests.topLevelItem(k).data(0, Qt.ItemDataRole.UserRole) == other)  # type: ignore[union-attr]
        view.requests.scrollToItem(item)
        rect = view.requests.visualItemRect(item)
        with qtbot.waitSignal(view.open_requested):
            qtbot.mouseClick(view.requests.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            qtbot.mouseDClick(view.requests.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert win.tabs.count() == tabs + 1
        assert not find_secrets(win, burst.tokens)
    finally:
        win.shutdown()


def test_a_har_file_is_analysed_without_being_imported(qtbot, burst: Burst, tmp_path: Path) -> None:
    from inspector.ui.har_dialog import export_har

    har = tmp_path / "customer.har"
    export_har(burst.results, har, include_secrets=True)  # a customer's file holds real tokens
    empty = HistoryStore(tmp_path / "mine.sqlite3")
    view = IncidentsView(empty)
    qtbot.addWidget(view)
    view.show()
    try:
        view.open_har(har)
        found = analysed(qtbot, view)
        assert {"signing-key-rotated", "credentials-expired"} <= {i.cause for i in found}
        assert view.analysis is not None and view.analysis.source == "har"
        assert "customer.har" in view.source_label.text() and "not imported" in view.source_label.text()
        assert empty.count() == 0  # nothing went into the history
        assert view.back_button.isVisibleTo(view) and not view.since_combo.isEnabled()
        with qtbot.waitSignal(view.open_requested) as opened:
            view.open_entry(found[0].entries[0])
        record = opened.args[0]
        assert record.exchange.final_hop.response.status == 401
        assert empty.count() == 0
        assert not find_secrets(view, burst.tokens)
        assert all(t not in view.report_text() for t in burst.tokens)
        view.show_history()
        qtbot.waitUntil(lambda: view.analysis is not None and view.analysis.source == "history", timeout=20_000)
        assert view.incidents() == []
    finally:
        view.shutdown()
        empty.close()


def test_file_open_har_as_incident_shows_it_in_the_view(qtbot, burst: Burst, tmp_path: Path) -> None:
    from inspector.ui.har_dialog import export_har

    har = tmp_path / "ticket-4711.har"
    export_har(burst.results, har)
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), history=None)
    qtbot.addWidget(win)
    win.show()
    try:
        assert win.har_incident_action.text() == "Open HAR as &incident…"
        win.incidents().open_har(str(har))
        view = win.incidents().view
        assert view is not None
        assert analysed(qtbot, view)
        assert "ticket-4711.har" in view.source_label.text()
    finally:
        win.shutdown()


def test_a_file_that_is_not_har_says_so(qtbot, tmp_path: Path) -> None:
    bad = tmp_path / "notes.har"
    bad.write_text("not json", encoding="utf-8")
    view = IncidentsView(None)
    qtbot.addWidget(view)
    try:
        view.open_har(bad)
        qtbot.waitUntil(lambda: not view.is_busy(), timeout=20_000)
        assert view.empty_label.text() and "notes.har" in view.empty_label.text() or "HAR" in view.empty_label.text()
        assert view.incidents() == []
    finally:
        view.shutdown()


def test_the_badge_shows_when_the_last_hour_holds_an_incident(qtbot, burst: Burst, tmp_path: Path) -> None:
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    try:
        win.set_history(burst.store)
        badge = win.incidents().badge
        qtbot.waitUntil(lambda: badge.isVisibleTo(win), timeout=20_000)
        assert badge.text() == "⚠ 2 incidents in the last hour"
        assert win.incidents_action.text() == "&Incidents (2)"
        assert win.incidents().view is None  # the badge does not build the view
        badge.click()
        assert win.incidents().view is not None and win.incidents().dock.isVisible()
    finally:
        win.shutdown()


@pytest.mark.parametrize("picked", [
    pytest.param(lambda r: r[:3], id="a quiet hour: successes only"),
    # incidents.md: "One refused request is a question": a lone failure (kept as `mixed` so no entry is lost)
    # does not light the badge
    pytest.param(lambda r: r[:3] + r[6:7], id="three successes, then one refused request"),
])
def test_no_badge_without_an_incident(qtbot, demo_url: str, tmp_path: Path, picked) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    for _title, spec in picked(burst_requests(demo_url)):
        run(spec, history=store)
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    try:
        win.set_history(store)
        qtbot.waitUntil(lambda: not win.incidents().jobs.busy("badge"), timeout=20_000)
        assert not win.incidents().badge.isVisibleTo(win) and win.incidents().recent_count == 0
    finally:
        win.shutdown()
        store.close()


def test_the_badge_counts_only_incidents_whose_last_failure_is_within_the_hour(burst: Burst) -> None:
    """The view may read 24 hours or 7 days; the badge's count (recent) keeps the last hour's incidents only."""
    found = analyse_history(burst.store, None, datetime.now(UTC)).incidents
    last = max(i.last_failure for i in found)
    assert len(recent(found, last)) == 2
    assert recent(found, last + BADGE_WINDOW + timedelta(seconds=1)) == []


def test_the_report_dialog_has_the_incident_and_no_secret(qtbot, view: IncidentsView, burst: Burst,
                                                          tmp_path: Path) -> None:
    view.analyse()
    incident = analysed(qtbot, view)[0]
    dialog = view.open_report()
    assert isinstance(dialog, IncidentReportDialog)
    qtbot.addWidget(dialog)
    text = dialog.report_text()
    assert text.startswith("# Incident report") and incident.cause in text.replace("\\-", "-")
    dialog.format_combo.setCurrentIndex(1)
    assert dialog.report_text().startswith("<!DOCTYPE html>")
    saved = dialog.save(tmp_path / "report.html")
    assert saved is not None and saved.read_text(encoding="utf-8") == dialog.report_text()
    for page in (text, dialog.report_text()):
        assert all(t not in page for t in burst.tokens)
    assert not find_secrets(dialog, burst.tokens)
    dialog.close()


def test_the_demo_burst_button_is_shown_only_in_demo_mode(qtbot, burst: Burst) -> None:
    plain = IncidentsView(burst.store)
    demo = IncidentsView(burst.store, demo_url="http://127.0.0.1:1")
    for w in (plain, demo):
        qtbot.addWidget(w)
    try:
        assert plain.burst_button.isHidden() and not demo.burst_button.isHidden()
    finally:
        plain.shutdown()
        demo.shutdown()


def test_the_demo_burst_sends_through_the_pipeline_and_an_incident_appears(qtbot, demo_url: str,
                                                                           tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), history=store)
    win.demo_url = demo_url
    qtbot.addWidget(win)
    win.show()
    try:
        inc = win.incidents()
        inc.show(True)
        view = inc.view
        assert view is not None and not view.burst_button.isHidden()
        qtbot.mouseClick(view.burst_button, Qt.MouseButton.LeftButton)
        assert view.is_busy() and not view.burst_button.isEnabled()
        qtbot.waitUntil(lambda: store.count() == 20 and not view.is_busy()
                        and {i.cause for i in view.incidents()} >= {"signing-key-rotated"}, timeout=40_000)
        assert view.burst_button.isEnabled()
        qtbot.waitUntil(lambda: inc.recent_count == 2, timeout=20_000)
    finally:
        win.shutdown()
        store.close()


def test_a_change_of_history_is_analysed_again_once_after_a_burst(qtbot, burst: Burst, demo_url: str,
                                                                   tmp_path: Path) -> None:
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), history=burst.store)
    qtbot.addWidget(win)
    win.show()
    try:
        inc = win.incidents()
        inc.show(True)
        view = inc.view
        assert view is not None
        analysed(qtbot, view)
        seen: list[object] = []
        view.analysed.connect(seen.append)
        for _title, spec in burst_requests(demo_url)[-4:]:  # four more refusals, each announced
            run(spec, history=burst.store)
            win._history_changed()
        qtbot.waitUntil(lambda: len(seen) == 1, timeout=20_000)
        qtbot.wait(600)  # longer than the debounce: no second analysis follows
        assert len(seen) == 1
        assert view.analysis is not None and view.analysis.looked_at == 24
        assert view.since() == timedelta(hours=24)
    finally:
        win.shutdown()


def test_the_window_does_not_import_the_view_before_it_is_asked_for() -> None:
    import subprocess
    import sys

    from tests.support.cli import ROOT

    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from inspector.ui.main_window import MainWindow\n"
        "w = MainWindow(None)\n"
        "w.show(); app.processEvents()\n"
        "print(sorted(m for m in sys.modules if 'incident' in m))\n"
        "w.shutdown()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_while_a_har_file_is_shown_history_changes_still_update_the_badge(qtbot, burst: Burst,
                                                                          tmp_path: Path) -> None:
    from inspector.ui.har_dialog import export_har

    har = tmp_path / "customer.har"
    export_har(burst.results[:6], har)  # successes only: no incident in the file
    store = HistoryStore(tmp_path / "mine.sqlite3")
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), history=store)
    qtbot.addWidget(win)
    win.show()
    try:
        inc = win.incidents()
        inc.open_har(str(har))
        view = inc.view
        assert view is not None
        qtbot.waitUntil(lambda: view.analysis is not None and view.analysis.source == "har"
                        and not view.is_busy(), timeout=20_000)
        assert view.incidents() == [] and "No incident" in view.empty_label.text()
        for result in burst.results:  # the user's own history now holds the burst
            store.add(result.exchange, result.diagnosis)
        win._history_changed()
        qtbot.waitUntil(lambda: inc.recent_count == 2, timeout=20_000)
        assert view.showing_har() and view.analysis.source == "har"  # the HAR file stays on screen
    finally:
        win.shutdown()
        store.close()
