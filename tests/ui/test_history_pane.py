"""The history pane over a real sqlite history: lazy paging of 50,000 entries, filters, actions, safe mode."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QToolButton

from inspector.core.export import parse_har
from inspector.core.history import HistoryRecord, HistoryStore
from inspector.ui.history_pane import COL_STATUS, COL_TIME, COL_URL, HistoryPane
from tests.support.history import fill_history
from tests.support.samples import SECRETS, secret_diagnosis, secret_exchange, simple_exchange
from tests.support.secret_scan import find_secrets

BIG = 50_000
REAL = 300  # entries written through the store's own add(); the rest go in with executemany
BULK_STATUSES = (200, 401, 403, 404, 500, None)
BULK_VERDICTS = {200: "ok", 401: "authentication", 403: "authorization", 404: "not-credential-related",
                 500: "not-credential-related", None: "transport-error"}  # fmt: skip
SHOTS = Path("/tmp/ui-shots")
NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)


def _clock() -> datetime:
    return NOW


def _real_exchange(i: int):
    status = BULK_STATUSES[i % len(BULK_STATUSES)]
    return simple_exchange(status, ("GET", "POST")[i % 2], f"https://api.test/real/{i}?api_key=k-{i:08d}-secret")


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory):
    """50,000 entries: bulk rows first (oldest), then REAL realistic ones through add() (newest, on top)."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    with HistoryStore(path) as seed:
        seed.add(simple_exchange(200))
        payload = seed._db.execute("SELECT exchange_json FROM payloads").fetchone()[0]
        seed.clear()
    fill_history(path, BIG - REAL, BULK_STATUSES, BULK_VERDICTS, payload)
    store = HistoryStore(path, keep=BIG + 1000)
    for i in range(REAL - 1):
        store.add(_real_exchange(i))
    store.add(secret_exchange(), secret_diagnosis())
    assert store.count() == BIG
    yield store
    store.close()


@pytest.fixture
def small_store(tmp_path: Path):
    store = HistoryStore(tmp_path / "small.sqlite3")
    for i in range(12):
        store.add(_real_exchange(i))
    store.add(secret_exchange(), secret_diagnosis())  # id 13, the newest: row 0
    yield store
    store.close()


class Answers:
    """An injectable `ask`: records the questions and answers with a fixed reply."""

    def __init__(self, reply: bool) -> None:
        self.reply = reply
        self.questions: list[tuple[str, str]] = []

    def __call__(self, parent, title: str, text: str) -> bool:
        self.questions.append((title, text))
        return self.reply


def _pane(qtbot, store: HistoryStore, **kw) -> HistoryPane:
    kw.setdefault("ask", Answers(True))
    kw.setdefault("inform", lambda *a: pytest.fail(f"unexpected message: {a[1:]}"))
    pane = HistoryPane(store, clock=_clock, **kw)
    qtbot.addWidget(pane)
    pane.resize(1000, 420)
    with qtbot.waitActive(pane):  # key shortcuts only reach the active window
        pane.show()
        pane.activateWindow()
    return pane


# --- paging ----------------------------------------------------------------------------------------------


def test_opening_on_fifty_thousand_loads_one_page(qtbot, big_store: HistoryStore) -> None:
    pane = _pane(qtbot, big_store)
    model = pane.model
    assert model.total == BIG
    assert model.loaded_rows == 200 and model.pages_fetched == 1
    assert model.canFetchMore(QModelIndex())
    assert pane.count_label.text() == "50,000 entries"
    # newest first: the last entry added (the secret exchange, masked by the store) is on top
    assert model.row_at(0).verdict == "authentication" and model.row_at(0).method == "POST"
    assert SECRETS["api-key-query"] not in model.data(model.index(0, COL_URL))
    SHOTS.mkdir(exist_ok=True)
    pane.grab().save(str(SHOTS / "history-50k.png"))


def test_scrolling_to_the_bottom_pages_through_everything(qtbot, big_store: HistoryStore) -> None:
    pane = _pane(qtbot, big_store)
    model, table = pane.model, pane.table
    table.scrollToBottom()
    assert model.loaded_rows == 400 and model.pages_fetched == 2  # one more page, not all of them
    for _ in range(BIG // model.page_size + 5):  # bounded: one page per scroll
        if not model.canFetchMore(QModelIndex()):
            break
        table.scrollToBottom()
    assert model.loaded_rows == BIG and model.pages_fetched == BIG // model.page_size
    ids = [model.row_at(r).id for r in range(model.loaded_rows)]
    # every entry once, newest first, down to the oldest (ids are consecutive: a gap would be a lost row)
    assert ids == list(range(ids[0], ids[0] - BIG, -1))
    assert ids[-1] == big_store.page(BIG - 1, 1)[0].id
    print(f"\nfetch ms over {len(model.fetch_ms)} pages: max {max(model.fetch_ms):.1f}, "
          f"mean {sum(model.fetch_ms) / len(model.fetch_ms):.1f}")  # fmt: skip


@pytest.mark.parametrize(
    ("status", "verdict", "check"),
    [
        ("4xx", None, lambda r: r.status is not None and 400 <= r.status < 500),
        ("401", None, lambda r: r.status == 401),
        ("403", None, lambda r: r.status == 403),
        ("5xx", None, lambda r: r.status is not None and r.status >= 500),
        ("none", None, lambda r: r.status is None),
        (None, "authentication", lambda r: r.verdict == "authentication"),
        ("4xx", "authorization", lambda r: r.status == 403 and r.verdict == "authorization"),
    ],
)
def test_status_and_verdict_filters_change_the_count(qtbot, big_store, status, verdict, check) -> None:
    pane = _pane(qtbot, big_store)
    if status:
        with qtbot.waitSignal(pane.model.modelReset):
            pane.status_combo.setCurrentIndex(pane.status_combo.findData(status))
    if verdict:
        with qtbot.waitSignal(pane.model.modelReset):
            pane.verdict_combo.setCurrentIndex(pane.verdict_combo.findData(verdict))
    model = pane.model
    assert 0 < model.total < BIG
    assert model.total == big_store.count(status=status, verdict=verdict)
    assert model.loaded_rows == min(200, model.total)
    assert all(check(model.row_at(r)) for r in range(model.loaded_rows))
    assert pane.count_label.text() == f"{model.total:,} of {BIG:,} entries"


def test_text_filter_waits_for_typing_to_stop(qtbot, big_store: HistoryStore) -> None:
    pane = _pane(qtbot, big_store)
    qtbot.keyClicks(pane.filter_edit, "items/123")
    assert pane.model.total == BIG  # debounced: nothing queried while typing
    with qtbot.waitSignal(pane.model.modelReset, timeout=3000):
        pass
    model = pane.model
    assert 0 < model.total < 200
    assert all("items/123" in model.row_at(r).url for r in range(model.loaded_rows))
    pane.filter_edit.clear()
    with qtbot.waitSignal(pane.model.modelReset, timeout=3000):
        pass
    assert pane.model.total == BIG


# --- actions ---------------------------------------------------------------------------------------------


def test_enter_and_double_click_open_the_record(qtbot, small_store: HistoryStore) -> None:
    pane = _pane(qtbot, small_store)
    pane.select_ids([13])
    pane.table.setFocus()
    with qtbot.waitSignal(pane.open_requested) as opened:
        qtbot.keyClick(pane.table, Qt.Key.Key_Return)
    record = opened.args[0]
    assert isinstance(record, HistoryRecord) and record.id == 13
    assert record.spec.method == "POST" and SECRETS["api-key-query"] not in record.spec.url
    assert record.diagnosis.verdict == "authentication"

    rect = pane.table.visualRect(pane.model.index(2, COL_TIME))
    with qtbot.waitSignal(pane.open_requested) as opened:
        qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args[0].id == 11


def test_resend_report_and_curl_carry_the_selected_record(qtbot, small_store: HistoryStore) -> None:
    pane = _pane(qtbot, small_store)
    pane.select_ids([5])
    pane.table.setFocus()
    with qtbot.waitSignal(pane.resend_requested) as sent:
        qtbot.keyClick(pane.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert sent.args[0].id == 5 and sent.args[0].spec.url.startswith("https://api.test/real/4?")
    with qtbot.waitSignal(pane.report_requested) as report:
        qtbot.mouseClick(pane.findChild(QToolButton, "historyReport"), Qt.MouseButton.LeftButton)
    assert report.args[0].id == 5
    with qtbot.waitSignal(pane.curl_requested) as curl:
        pane.curl_action.trigger()
    assert curl.args[0].id == 5


def test_actions_follow_the_selection(qtbot, small_store: HistoryStore) -> None:
    pane = _pane(qtbot, small_store)
    pane.table.clearSelection()
    assert not pane.open_action.isEnabled() and not pane.delete_action.isEnabled()
    pane.select_ids([3, 4])
    assert not pane.open_action.isEnabled()  # one entry at a time
    assert pane.delete_action.isEnabled() and pane.export_action.isEnabled()
    pane.select_ids([3])
    assert pane.open_action.isEnabled() and pane.resend_action.isEnabled()


def test_delete_asks_first_and_keeps_a_sensible_selection(qtbot, small_store: HistoryStore) -> None:
    no = Answers(False)
    pane = _pane(qtbot, small_store, ask=no)
    pane.select_ids([10])
    pane.table.setFocus()
    qtbot.keyClick(pane.table, Qt.Key.Key_Delete)
    assert no.questions and "Delete this entry" in no.questions[0][1]
    assert small_store.count() == 13 and pane.model.row_of_id(10) is not None

    pane._ask = yes = Answers(True)
    with qtbot.waitSignal(pane.entries_removed) as removed:
        qtbot.keyClick(pane.table, Qt.Key.Key_Delete)
    assert removed.args == [1] and yes.questions
    assert small_store.get(10) is None and pane.model.row_of_id(10) is None
    assert pane.model.total == 12 and pane.count_label.text() == "12 entries"
    assert pane.selected_ids() == [9]  # the next older entry moved into its place

    pane.select_ids([9, 8, 7])
    with qtbot.waitSignal(pane.entries_removed) as removed:  # the store deletes them on a job
        assert pane.delete_selected() == 3
        assert all(pane.model.row_of_id(i) is None for i in (9, 8, 7))  # the rows go at once
    assert removed.args == [3]
    assert "these 3 entries" in yes.questions[-1][1]
    assert small_store.count() == 9


def test_clear_all_asks_and_empties(qtbot, small_store: HistoryStore) -> None:
    pane = _pane(qtbot, small_store, ask=Answers(False))
    assert pane.clear_all() == 0 and small_store.count() == 13
    pane._ask = Answers(True)
    with qtbot.waitSignal(pane.entries_removed):  # the store is cleared by a job
        assert pane.clear_all() == 13
    assert small_store.count() == 0 and pane.model.loaded_rows == 0
    assert not pane.clear_action.isEnabled()


def test_refresh_puts_new_entries_on_top_and_keeps_the_selection(qtbot, small_store: HistoryStore) -> None:
    pane = _pane(qtbot, small_store)
    pane.select_ids([4])
    small_store.add(_real_exchange(100))
    small_store.add(_real_exchange(101))
    pane.refresh()
    assert pane.model.total == 15 and pane.model.loaded_rows == 15
    assert [pane.model.row_at(r).id for r in range(3)] == [15, 14, 13]
    assert pane.selected_ids() == [4]
    assert pane.count_label.text() == "15 entries"


def test_refresh_honours_the_filter_and_retention(qtbot, tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", keep=5)
    for i in range(5):
        store.add(simple_exchange(200, url=f"https://api.test/{i}"))
    pane = _pane(qtbot, store)
    store.add(simple_exchange(401, url="https://api.test/new"))  # retention drops id 1
    pane.refresh()
    assert [pane.model.row_at(r).id for r in range(pane.model.loaded_rows)] == [6, 5, 4, 3, 2]
    pane.set_filters(status="401")
    store.add(simple_exchange(200))
    store.add(simple_exchange(401, url="https://api.test/newer"))
    pane.refresh()
    assert [pane.model.row_at(r).id for r in range(pane.model.loaded_rows)] == [8, 6]
    store.close()


def test_export_selection_as_har_is_masked(qtbot, small_store: HistoryStore, tmp_path: Path) -> None:
    target = tmp_path / "out.har"
    asked: list[str] = []

    def choose(parent, caption, suggested, name_filter):
        asked.append(suggested)
        return str(target)

    pane = _pane(qtbot, small_store, choose_save_path=choose)
    pane.select_ids([13, 12])
    with qtbot.waitSignal(pane.har_exported) as done:
        pane.export_action.trigger()
    assert done.args == [str(target)] and asked == ["history.har"]
    text = target.read_text(encoding="utf-8")
    entries = parse_har(text)
    assert len(entries) == 2
    assert entries[0].spec.url.startswith("https://api.test/real/11?")  # oldest first
    for secret in SECRETS.values():
        assert secret not in text
    assert json.loads(text)["log"]["version"] == "1.2"


def test_lowering_retention_asks_and_trims(qtbot, small_store: HistoryStore) -> None:
    pane = _pane(qtbot, small_store, ask=Answers(False))
    assert not pane.set_keep(5) and small_store.count() == 13 and pane.keep_spin.value() == small_store.keep
    pane._ask = Answers(True)
    with qtbot.waitSignal(pane.retention_changed) as changed:
        pane.keep_spin.setValue(5)
    assert changed.args == [5] and small_store.keep == 5 and small_store.count() == 5
    assert pane.model.loaded_rows == 5 and pane.model.row_at(0).id == 13


def test_status_cell_is_coloured_and_explained(qtbot, small_store: HistoryStore) -> None:
    pane = _pane(qtbot, small_store)
    model = pane.model
    colours = {model.data(model.index(r, COL_STATUS), Qt.ItemDataRole.ForegroundRole).name()
               for r in range(model.loaded_rows)}  # fmt: skip
    assert len(colours) >= 4  # 2xx, 4xx, 5xx and no response differ
    none_row = next(r for r in range(model.loaded_rows) if model.row_at(r).status is None)
    assert "No response" in model.data(model.index(none_row, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
    assert "ago" in model.data(model.index(0, COL_TIME), Qt.ItemDataRole.ToolTipRole)


@pytest.mark.parametrize("safe", [False, True])
def test_no_secret_on_screen(qtbot, small_store: HistoryStore, safe: bool) -> None:
    pane = _pane(qtbot, small_store)
    pane.set_screen_share_safe(safe)
    assert find_secrets(pane, SECRETS.values()) == []
    assert find_secrets(pane, [f"k-{i:08d}-secret" for i in range(12)]) == []


@pytest.mark.qt_log_ignore("does not support grabbing the keyboard")  # the offscreen platform, a popup
def test_right_click_menus_are_freed_once_closed(qtbot, small_store: HistoryStore) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QPoint
    from PySide6.QtWidgets import QMenu

    from tests.support.qt import close_popup_soon

    pane = _pane(qtbot, small_store)
    qtbot.waitUntil(lambda: pane.model.total > 0)
    before = len(pane.findChildren(QMenu))
    for _ in range(5):
        for show in (pane._context_menu, pane._header_menu):
            close_popup_soon()
            show(QPoint(5, 5))
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert len(pane.findChildren(QMenu)) == before
