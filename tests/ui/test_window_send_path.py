"""The window's send path at scale: one kept-alive session per tab (closed with it), and history trims and
clears that run as jobs instead of on the UI thread. Real loopback servers and real sqlite files."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from inspector.core.history import TRIM_BATCH, HistoryStore
from inspector.core.request import RequestSpec
from inspector.ui.history_pane import CLEAR_SLOT, TRIM_SLOT, HistoryPane
from inspector.ui.main_window import MainWindow
from tests.support.history import fill_history
from tests.support.servers import QuietHandler, QuietServer

WATCH = "inspector-send-watch"
STATUSES = (200, 401)
VERDICTS = {200: "ok", 401: "authentication"}


class KeepAlive(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.startswith("/401"):
            self.reply_json(401, {"error": "invalid_token"}, [("WWW-Authenticate", 'Bearer error="invalid_token"')])
        else:
            self.reply_json(200, {"ok": True})


@pytest.fixture
def server():
    srv = QuietServer(("127.0.0.1", 0), KeepAlive)
    srv.serve_in_background()
    yield srv
    srv.stop()


class Recording(HistoryStore):
    """A real store that notes the thread each trim and clear ran on, and how many rows each add left."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threads: list[tuple[str, bool]] = []

    def trim(self, *args: Any, **kwargs: Any) -> int:
        self.threads.append(("trim", threading.current_thread() is threading.main_thread()))
        return super().trim(*args, **kwargs)

    def clear(self, *args: Any, **kwargs: Any) -> int:
        self.threads.append(("clear", threading.current_thread() is threading.main_thread()))
        return super().clear(*args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> int:
        self.threads.append(("delete", threading.current_thread() is threading.main_thread()))
        return super().delete_many(*args, **kwargs)


def big_history(path: Path, n: int, **kwargs: Any) -> Recording:
    HistoryStore(path).close()
    fill_history(path, n, STATUSES, VERDICTS)
    return Recording(path, **kwargs)


@contextmanager
def pane_over(qtbot, tmp_path: Path, entries: int) -> Iterator[tuple[HistoryPane, Recording]]:
    """A history pane over a recording store of `entries` entries; it says yes to every question and fails
    the test on any message. Shut down and closed afterwards."""
    store = big_history(tmp_path / "history.sqlite3", entries, keep=10_000)
    pane = HistoryPane(store, ask=lambda *_a: True, inform=lambda *a: pytest.fail(f"unexpected: {a[1:]}"))
    qtbot.addWidget(pane)
    try:
        yield pane, store
    finally:
        pane.shutdown()
        store.close()


def window_with(qtbot, tmp_path: Path, **kwargs: Any) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


def send(qtbot, window: MainWindow, url: str) -> Any:
    window.editor.set_spec(RequestSpec(url=url, timeout_s=10))
    with qtbot.waitSignal(window.exchange_received, timeout=20_000) as blocker:
        assert window.send()
    return blocker.args[0]


def watchers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == WATCH]


def test_three_sends_from_one_tab_use_one_connection(qtbot, tmp_path: Path, server: QuietServer) -> None:
    window = window_with(qtbot, tmp_path)
    url = f"http://127.0.0.1:{server.server_address[1]}/x"
    try:
        for _ in range(3):
            assert send(qtbot, window, url).response.status == 200
        assert server.accepted == 1
        assert len(watchers()) == 1  # one watcher for the tab's sends, kept between them
        window.new_tab_action.trigger()  # another tab has a session of its own
        send(qtbot, window, url)
        assert server.accepted == 2 and len(watchers()) == 1  # but the same one watcher
    finally:
        window.shutdown()
    assert watchers() == []  # closing the tabs closed their sessions


def test_closing_a_tab_closes_its_session(qtbot, tmp_path: Path, server: QuietServer) -> None:
    window = window_with(qtbot, tmp_path)
    url = f"http://127.0.0.1:{server.server_address[1]}/x"
    try:
        send(qtbot, window, url)
        tab = window.current_tab()
        session = tab.transport_session()
        assert len(session.get_adapter(url).poolmanager.pools) == 1  # the kept connection's pool
        tab.mark_clean()  # closed without the question about unsaved edits
        assert window.close_tab(tab)
        assert not watchers()
        assert len(session.get_adapter(url).poolmanager.pools) == 0  # closed with the tab
    finally:
        window.shutdown()


def test_the_first_send_over_the_limit_leaves_the_trim_to_a_job(qtbot, tmp_path: Path,
                                                                 server: QuietServer) -> None:
    store = big_history(tmp_path / "history.sqlite3", 3_000, keep=100)
    window = window_with(qtbot, tmp_path, history=store)
    try:
        window.history_action.setChecked(True)  # the pane shows the trimmed list afterwards
        exchange = send(qtbot, window, f"http://127.0.0.1:{server.server_address[1]}/x")
        assert exchange.response.status == 200
        qtbot.waitUntil(lambda: store.excess() == 0 and not window.jobs.busy("history-trim"), timeout=20_000)
        assert store.threads and all(not on_ui for _what, on_ui in store.threads)  # on a worker
        assert store.count() == 100 and store.page(0, 1)[0].id == 3_001  # the new entry is kept
        assert store.trim_in_add == TRIM_BATCH  # the window bounds what an add deletes
        qtbot.waitUntil(lambda: window.history_pane.model.total == 100, timeout=5_000)
    finally:
        window.shutdown()
        store.close()


def test_the_pane_trims_and_clears_through_jobs(qtbot, tmp_path: Path) -> None:
    with pane_over(qtbot, tmp_path, 5_000) as (pane, store):
        with qtbot.waitSignal(pane.entries_removed, timeout=20_000) as removed:
            assert pane.set_keep(1_000)
            assert pane.jobs.busy(TRIM_SLOT) and pane.working  # started, not done inline
            assert "Deleting the 4,000 oldest" in pane.count_label.text()
        assert removed.args == [4_000] and store.count() == 1_000 and pane.model.total == 1_000
        assert store.threads == [("trim", False)]

        with qtbot.waitSignal(pane.entries_removed, timeout=20_000) as cleared:
            assert pane.clear_all() == 1_000
            assert pane.jobs.busy(CLEAR_SLOT) and pane.model.loaded_rows == 0  # emptied at once
            assert not pane.clear_action.isEnabled()
        assert cleared.args == [1_000] and store.count() == 0
        assert store.threads[-1] == ("clear", False)
        assert pane.count_label.text() == "0 entries" and not pane.working


def test_deleting_thousands_of_selected_entries_runs_on_a_job(qtbot, tmp_path: Path) -> None:
    with pane_over(qtbot, tmp_path, 3_000) as (pane, store):
        while pane.model.canFetchMore():
            pane.model.fetchMore()
        assert pane.model.loaded_rows == 3_000
        pane.table.selectAll()
        with qtbot.waitSignal(pane.entries_removed, timeout=20_000) as removed:
            assert pane.delete_selected() == 3_000
            assert pane.model.loaded_rows == 0 and pane.model.total == 0  # the rows went at once
        assert removed.args == [3_000] and store.count() == 0
        assert store.threads == [("delete", False)]  # one call, off the UI thread
        assert pane.count_label.text() == "0 entries"


def test_rows_being_deleted_do_not_come_back_with_a_page(qtbot, tmp_path: Path) -> None:
    with pane_over(qtbot, tmp_path, 500) as (pane, store):
        newest = [pane.model.row_at(i).id for i in range(3)]
        pane.model.deleting(newest)  # as while a delete job runs: the store still has them
        pane.model.reload()
        assert all(pane.model.row_of_id(i) is None for i in newest)
        pane.model.deleted(newest)
        pane.model.reload()
        assert all(pane.model.row_of_id(i) is not None for i in newest)


# -- memory over many sends: what each send leaves behind must not pile up ----------------------------------


def test_a_runner_forgets_the_jobs_that_ended(qtbot) -> None:
    from inspector.ui.jobs import JobRunner

    runner = JobRunner(name="many")
    try:
        done: list[int] = []
        for i in range(30):
            runner.start("send", lambda _job, i=i: i, on_done=done.append)
            qtbot.waitUntil(lambda: len(done) == i + 1, timeout=5_000)  # noqa: B023  # waited for here
        assert len(runner._state.jobs) <= 2  # not one per job ever started
    finally:
        assert runner.stop()


def test_finding_cards_reuse_one_icon_per_severity(qtbot, tmp_path: Path, server: QuietServer) -> None:
    """A new QIcon per card caches its pixmap under a new key: Qt's pixmap cache would grow by a copy per send."""
    from PySide6.QtWidgets import QLabel

    window = window_with(qtbot, tmp_path)
    url = f"http://127.0.0.1:{server.server_address[1]}/401"
    try:
        keys = []
        for _ in range(2):
            send(qtbot, window, url)
            cards = window.current_tab().explainer.findings.cards
            assert cards
            icons = [lab for lab in cards[0].findChildren(QLabel) if not lab.pixmap().isNull()]
            keys.append(icons[0].pixmap().cacheKey())
        assert keys[0] == keys[1]
    finally:
        window.shutdown()
