"""The window fits its screen: sized from it, panes shared sensibly and remembered, nothing widens it, and the
history pane reads well at its first width. Sizes are measured with the widgets' own font metrics; screens are
simulated by resizing the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QWidget

from inspector.core.diagnosis import VERDICT_TITLES, VERDICTS, Diagnosis
from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.history import HistoryStore
from inspector.core.request import Header, RequestSpec
from inspector.ui.history_pane import (
    COL_ELAPSED,
    COL_METHOD,
    COL_STATUS,
    COL_URL,
    COL_VERDICT,
    HistoryPane,
    elide_url,
    verdict_label,
)
from inspector.ui.main_window import (
    PANEL_SHARE,
    MainWindow,
    initial_window_geometry,
    initial_window_size,
    split_width,
)

SCREENS = [QSize(1280, 720), QSize(1600, 1000), QSize(1920, 1080)]
LONG_RUN = "a" * 3000  # one word, no break point: a label showing it would be 20,000 px wide


def _settings(tmp_path: Path, name: str = "settings.ini") -> QSettings:
    return QSettings(str(tmp_path / name), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, tmp_path: Path):
    made: list[MainWindow] = []

    def make(size: QSize | None = None, settings: QSettings | None = None, **kw) -> MainWindow:
        if settings is None:
            settings = _settings(tmp_path, f"s{len(made)}.ini")
        window = MainWindow(settings, **kw)
        qtbot.addWidget(window)
        if size is not None:
            window.resize(size)
        window.show()
        window.ensure_panels()
        qtbot.waitExposed(window)
        QApplication.processEvents()
        made.append(window)
        return window

    yield make
    for window in made:
        window.shutdown()


def _inside(window: QWidget, widget: QWidget) -> bool:
    """The widget is shown and wholly inside the window's rectangle."""
    rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    return widget.isVisible() and window.rect().contains(rect)


# -- the first size ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("available", [*SCREENS, QSize(1366, 768), QSize(3840, 2160), QSize(1024, 600)])
def test_the_first_window_takes_most_of_the_screen_and_never_more(available: QSize) -> None:
    size = initial_window_size(available)
    assert size.width() <= available.width() and size.height() <= available.height()
    assert size.width() >= 0.8 * available.width() or size.width() >= 2000
    assert size.height() >= 0.8 * available.height() or size.height() >= 1400
    rect = initial_window_geometry(QRect(100, 50, available.width(), available.height()))
    assert QRect(100, 50, available.width(), available.height()).contains(rect)  # centred on that screen


def test_a_first_window_is_sized_from_its_screen_not_fixed(qtbot, tmp_path: Path) -> None:
    window = MainWindow(_settings(tmp_path))
    qtbot.addWidget(window)
    available = window.available_geometry()
    assert window.size() == initial_window_size(available.size())
    window.shutdown()


def test_a_saved_size_larger_than_the_screen_is_fitted_to_it(qtbot, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = MainWindow(settings)
    qtbot.addWidget(first)
    available = first.available_geometry().size()
    first.resize(available.width() * 2, available.height() * 2)  # saved on a much larger screen
    first.save_state()
    first.shutdown()
    again = MainWindow(settings)
    qtbot.addWidget(again)
    assert again.width() <= available.width() and again.height() <= available.height()
    again.shutdown()


# -- the panes -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_the_explainer_gets_its_share_of_the_width(make_window, screen: QSize) -> None:
    window = make_window(screen)
    left, panel = window.main_splitter.sizes()
    total = left + panel
    expected = split_width(total, window.left_least_width(), window.panel_min_width())
    assert abs(panel - expected[1]) <= 2
    assert panel >= window.panel_min_width()
    assert panel >= min(PANEL_SHARE * total, total - window.left_least_width()) - 2
    # a line of the panel holds about 40 characters at least
    assert panel >= QFontMetricsF(window.explainer.font()).horizontalAdvance("x" * 40) - 1


def test_split_width_gives_up_the_panel_share_before_the_left_column_least() -> None:
    assert split_width(1000, 300, 200) == (550, 450)  # the share
    assert split_width(800, 500, 200) == (500, 300)  # the left column keeps its least width
    assert split_width(600, 500, 200) == (400, 200)  # the panel keeps its own least width


def _within_screen(window_size: QSize, available: QSize) -> QSize:
    return window_size.boundedTo(available * 0.9)


def test_pane_sizes_are_remembered(make_window, tmp_path: Path) -> None:
    settings = _settings(tmp_path, "remember.ini")
    window = make_window(None, settings)
    window.resize(_within_screen(SCREENS[1], window.available_geometry().size()))  # restored as it is
    QApplication.processEvents()
    total = sum(window.main_splitter.sizes())
    chosen = [total - window.panel_min_width() - 40, window.panel_min_width() + 40]
    window.main_splitter.setSizes(chosen)
    left_total = sum(window.left_splitter.sizes())
    window.left_splitter.setSizes([left_total // 3, left_total - left_total // 3])
    remembered = (window.main_splitter.sizes(), window.left_splitter.sizes())
    window.save_state()
    again = make_window(None, settings)
    assert (again.main_splitter.sizes(), again.left_splitter.sizes()) == remembered


# -- nothing widens the window -------------------------------------------------------------------------------
def _hostile_response(window: MainWindow) -> None:
    response = Response(401, "Unauthorized " + LONG_RUN, (("Content-Type", "application/" + LONG_RUN),),
                        b"{}", 2)
    spec = RequestSpec(url="http://127.0.0.1:9/x")
    window.response_view.show_exchange(Exchange(spec, (Hop("GET", spec.url, (), b"", response, 0.01),)),
                                       notes=["The history could not be written to /tmp/" + LONG_RUN + "."])


def _hostile_url(window: MainWindow) -> None:
    window.editor._url_touched = True  # as after typing
    window.editor.url_edit.setText("https://api.example.com/" + LONG_RUN + " x")


def _hostile_header(window: MainWindow) -> None:
    headers = (Header("Content-Type", LONG_RUN),)
    window.editor.set_spec(RequestSpec(url="http://127.0.0.1:9/", headers=headers))


def _hostile_wrap_message(window: MainWindow) -> None:
    window.response_view.set_word_wrap(True)
    window.response_view.highlight_label.setText("Word wrap is not available: " + LONG_RUN)


@pytest.mark.parametrize("hostile", [_hostile_url, _hostile_response, _hostile_header, _hostile_wrap_message],
                         ids=["url-message", "response-line-and-notice", "content-type-hint", "body-label"])
def test_no_text_can_widen_the_window(make_window, hostile) -> None:
    window = make_window(SCREENS[0])
    before = window.size()
    hostile(window)
    QApplication.processEvents()
    assert window.minimumSizeHint().width() <= before.width()
    assert window.size() == before
    assert window.main_splitter.sizes()[1] >= window.panel_min_width()  # the panel is no sliver


def test_a_pasted_curl_command_does_not_widen_the_window(make_window, qtbot) -> None:
    window = make_window(SCREENS[0])
    before = window.size()
    command = f"curl -H 'X-Trace: {LONG_RUN}' 'https://api.example.com/{LONG_RUN}' --frobnicate"
    window.editor.url_edit.setText("")
    window.editor.url_edit.setFocus()
    QApplication.clipboard().setText(command)
    window.editor.url_edit.paste()
    qtbot.waitUntil(lambda: window.editor.message_label.isVisible())
    assert "--frobnicate" in window.editor.message_label.text()  # its words, without break points
    assert window.size() == before and window.minimumSizeHint().width() <= before.width()


@pytest.mark.parametrize("screen", [SCREENS[0]], ids=["1280x720"])
def test_at_1280x720_the_banner_timeline_and_status_bar_are_on_screen(make_window, qtbot, demo_url: str,
                                                                      screen: QSize) -> None:
    from inspector.demo.requests import demo_requests

    window = make_window(screen, demo_requests=demo_requests(demo_url), prefer_demo=True)
    with qtbot.waitSignal(window.exchange_received, timeout=20_000):
        window.send()
    QApplication.processEvents()
    assert window.size() == screen
    panel = window.explainer
    assert _inside(window, window.statusBar())
    assert _inside(window, window.editor.send_button) and _inside(window, window.editor.url_edit)
    assert _inside(window, panel.banner)
    timeline = panel.token_view.timeline
    assert timeline.isVisible() and panel.scroll_area.viewport().rect().contains(
        QRect(timeline.mapTo(panel.scroll_area.viewport(), timeline.rect().topLeft()), timeline.size()))


# -- the history pane ----------------------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    history = HistoryStore(tmp_path / "history.sqlite3")
    url = "http://127.0.0.1:8765/api/v2/customers/4242/invoices"
    for status, verdict in ((401, "authentication"), (403, "authorization"), (200, "ok")):
        response = Response(status, "x", (), b"", 0)
        exchange = Exchange(RequestSpec(url=url), (Hop("GET", url, (), b"", response, 0.02),))
        history.add(exchange, Diagnosis(verdict=verdict, summary="s"))  # type: ignore[arg-type]
    yield history
    history.close()


def test_verdicts_read_as_words_not_ids(qtbot, store: HistoryStore) -> None:
    pane = HistoryPane(store)
    qtbot.addWidget(pane)
    model = pane.model
    shown = {model.data(model.index(r, COL_VERDICT)) for r in range(model.rowCount())}
    assert shown == {verdict_label("authentication"), verdict_label("authorization"), verdict_label("ok")}
    assert not shown & set(VERDICTS)
    for row in range(model.rowCount()):
        verdict = model.row_at(row).verdict
        tip = model.data(model.index(row, COL_VERDICT), Qt.ItemDataRole.ToolTipRole)
        assert VERDICT_TITLES[verdict] in tip
    # the filter names verdicts in words too, and still filters by id
    combo = pane.verdict_combo
    assert [combo.itemText(i) for i in range(1, combo.count())] == [verdict_label(v) for v in VERDICTS]
    assert combo.itemData(1) == VERDICTS[0]


@pytest.mark.parametrize(("url", "chars", "starts", "ends"), [
    ("https://api.example.com/v2/customers/4242/invoices", 60, "https://api.example.com/v2", "invoices"),
    ("https://api.example.com/v2/customers/4242/invoices", 40, "api.example.com/", "/4242/invoices"),
    ("https://api.example.com/v2/customers/4242/invoices", 28, "api.example.com/…", "invoices"),
    ("https://a-very-long-host-name.internal.example.com/items/42", 20, "…", "items/42"),
])
def test_urls_are_elided_keeping_the_host_and_the_end_of_the_path(qtbot, url: str, chars: int, starts: str,
                                                                    ends: str) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    metrics = widget.fontMetrics()
    width = metrics.horizontalAdvance("x" * chars)
    shown = elide_url(url, metrics, width)
    assert metrics.horizontalAdvance(shown) <= width
    assert shown.startswith(starts) and shown.endswith(ends)


def _cell_text(pane: HistoryPane, row: int, col: int) -> str:
    option = QStyleOptionViewItem()
    option.initFrom(pane.table.viewport())
    option.rect = pane.table.visualRect(pane.model.index(row, col))
    delegate = pane.table.itemDelegateForIndex(pane.model.index(row, col))
    delegate.initStyleOption(option, pane.model.index(row, col))
    return option.text


def test_the_history_dock_shows_status_verdict_and_the_url_end(make_window, store: HistoryStore) -> None:
    window = make_window(SCREENS[0])
    url_before = window.editor.url_edit.width()
    window.set_history(store)
    window.history_action.setChecked(True)
    QApplication.processEvents()
    QApplication.processEvents()
    pane = window.history_pane
    viewport = pane.table.viewport().rect()
    for col in (COL_STATUS, COL_VERDICT, COL_URL):
        assert viewport.contains(pane.table.visualRect(pane.model.index(0, col))), f"column {col} is cut"
    for col in (COL_METHOD, COL_ELAPSED):  # shown inside the URL cell and the status tip instead
        assert pane.table.isColumnHidden(col)
    cell = _cell_text(pane, 0, COL_URL)
    assert cell.startswith("GET ") and cell.endswith("invoices")
    assert "ms" in pane.model.data(pane.model.index(0, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
    # opening it did not clip the URL bar: the editor keeps room for a URL, the Send button is on screen
    assert window.size() == SCREENS[0]
    assert _inside(window, window.editor.send_button) and _inside(window, window.editor.url_edit)
    metrics = QFontMetricsF(window.editor.url_edit.font())
    assert window.editor.url_edit.width() >= min(url_before, metrics.horizontalAdvance("x" * 24))
    assert window.main_splitter.sizes()[1] >= window.panel_min_width()
    assert window.centralWidget().width() >= window.centralWidget().minimumSizeHint().width()


def test_the_history_width_is_remembered(make_window, store: HistoryStore, tmp_path: Path) -> None:
    settings = _settings(tmp_path, "history.ini")
    window = make_window(None, settings)
    window.resize(_within_screen(SCREENS[1], window.available_geometry().size()))
    window.set_history(store)
    window.history_action.setChecked(True)
    QApplication.processEvents()
    wider = window.history_dock.width() + 60
    window.resizeDocks([window.history_dock], [wider], Qt.Orientation.Horizontal)
    QApplication.processEvents()
    chosen = window.history_dock.width()
    window.save_state()
    again = make_window(None, settings)
    again.set_history(store)
    assert again.history_action.isChecked()  # reopened, as it was open
    QApplication.processEvents()
    assert abs(again.history_dock.width() - chosen) <= 2


def test_history_count_label_never_widens_the_pane(qtbot, store: HistoryStore) -> None:
    pane = HistoryPane(store)
    qtbot.addWidget(pane)
    before = pane.minimumSizeHint().width()
    pane.count_label.setText(f"The history at /home/{LONG_RUN}/history.sqlite3 cannot be read.")
    assert pane.minimumSizeHint().width() <= before
    assert LONG_RUN in pane.count_label.text()  # whole, drawn elided (with a tool tip)


def test_the_delegate_keeps_the_model_url_whole(qtbot, store: HistoryStore) -> None:
    pane = HistoryPane(store)
    qtbot.addWidget(pane)
    index = pane.model.index(0, COL_URL)
    assert pane.model.data(index) == "http://127.0.0.1:8765/api/v2/customers/4242/invoices"
    assert not pane.model.data(QModelIndex())
