"""LargeTextView (draws only the lines on screen), its range store, and the worker's line-indexed output."""

from __future__ import annotations

import json
from array import array
from itertools import pairwise

import pytest
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication, QImage

from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.highlight import STYLE_KEYS, break_long_lines, pretty_json
from inspector.core.request import RequestSpec
from inspector.ui import body_view
from inspector.ui.body_view import LargeTextView, RangeStore
from inspector.ui.response_view import LARGE_BODY_BYTES, ResponseView
from inspector.ui.theme import LIGHT
from inspector.ui.workers import BodyJob, HighlightWorker, LineIndexer, RangeChunk, TextPiece, raw_pieces

KEY = STYLE_KEYS.index("key")
STRING = STYLE_KEYS.index("string")


def numbered_text(lines: int) -> str:
    return "\n".join(f"line {i:06d} alpha beta gamma" for i in range(lines))


def stream(view: LargeTextView, text: str, piece: int = 64 * 1024) -> None:
    """Feed text as the worker does: pieces with their line index."""
    view.begin()
    indexer = LineIndexer()
    for pos in range(0, len(text), piece):
        view.append_piece(indexer.feed(text[pos : pos + piece]))
    view.finish_input()


def chunk(ranges: list[tuple[int, int, int]], lexed_from: int, lexed_to: int) -> RangeChunk:
    return RangeChunk(lexed_from, lexed_to, array("q", [s for s, _, _ in ranges]),
                      array("q", [e for _, e, _ in ranges]), array("b", [k for _, _, k in ranges]))


@pytest.fixture
def view(qtbot) -> LargeTextView:
    widget = LargeTextView(LIGHT)
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def advance(view: LargeTextView) -> float:
    """The width of a character as the view's own font measures it (fractional: 7.19 px in Noto Sans Mono)."""
    return QFontMetricsF(view.font()).horizontalAdvance("x")


def point_at(view: LargeTextView, offset: int, dx: int = 0) -> QPoint:
    """A point inside the character at `offset` (dx pixels right of its left edge), for mouse events."""
    return view.visible_rect_of(offset).topLeft().toPoint() + QPoint(dx, 3)


def on_screen(view: LargeTextView, rect: QRectF) -> bool:
    return QRectF(view.viewport().rect()).contains(rect)


def colours_in(image: QImage, area: QRectF) -> set[str]:
    rect = area.toAlignedRect()
    found = set()
    for x in range(max(0, rect.left()), min(image.width(), rect.right() + 1)):
        for y in range(max(0, rect.top()), min(image.height(), rect.bottom() + 1)):
            found.add(QColor(image.pixel(x, y)).name())
    return found


def close_to(colour: str, found: set[str], tolerance: int = 40) -> bool:
    want = QColor(colour)
    return any(abs(QColor(c).red() - want.red()) + abs(QColor(c).green() - want.green())
               + abs(QColor(c).blue() - want.blue()) <= tolerance for c in found)


# -- the line index ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "a", "\n", "ab\ncd", "ab\n\ncd\n", "x" * 50 + "\n" + "y" * 7, "é\n😀x\n"])
@pytest.mark.parametrize("piece", [1, 3, 1000])
def test_line_indexer_finds_every_line_start_and_the_longest_line(text: str, piece: int) -> None:
    indexer = LineIndexer()
    starts = [0]
    pieces: list[TextPiece] = []
    for pos in range(0, max(1, len(text)), piece):
        pieces.append(indexer.feed(text[pos : pos + piece]))
        starts.extend(pieces[-1].line_starts)
    assert starts == [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    assert pieces[-1].longest == max(len(line) for line in text.split("\n"))
    assert [p.start for p in pieces] == list(range(0, max(1, len(text)), piece))[: len(pieces)]


@pytest.mark.parametrize(
    ("chunks", "query", "covered", "within"),
    [
        ([([(0, 3, KEY)], 0, 10)], (0, 10), True, [(0, 3, KEY)]),
        ([([(0, 3, KEY)], 0, 10)], (0, 11), False, [(0, 3, KEY)]),
        ([([(20, 25, STRING)], 10, 30), ([(2, 4, KEY)], 0, 10)], (0, 30), True, [(2, 4, KEY), (20, 25, STRING)]),
        ([([(20, 25, STRING)], 10, 30), ([(2, 4, KEY)], 0, 10)], (3, 22), True, [(3, 4, KEY), (20, 22, STRING)]),
        ([([(20, 25, STRING)], 15, 30), ([(2, 4, KEY)], 0, 10)], (3, 22), False, [(3, 4, KEY), (20, 22, STRING)]),
    ],
)
def test_range_store_takes_chunks_in_any_order(chunks, query, covered, within) -> None:
    store = RangeStore()
    for ranges, a, b in chunks:
        store.add(chunk(ranges, a, b))
    assert store.within(*query) == within
    assert store.covers(*query) == covered


def test_range_store_knows_what_is_not_lexed_yet() -> None:
    store = RangeStore()
    store.add(chunk([], 100, 200))
    store.add(chunk([], 0, 50))
    assert store.covers(0, 50) and store.covers(120, 200)
    assert not store.covers(40, 120)
    store.add(chunk([], 50, 100))
    assert store.covers(0, 200) and store.covered == [[0, 200]]


# -- the view ------------------------------------------------------------------------------------------


def test_first_lines_show_as_soon_as_the_first_piece_arrives(view: LargeTextView, qtbot) -> None:
    text = numbered_text(200_000)  # ~6 MB
    indexer = LineIndexer()
    view.begin()
    with qtbot.waitSignal(view.first_screen_shown, timeout=1000):
        view.append_piece(indexer.feed(text[:16 * 1024]))
    assert view.loading
    assert view.line_text(0) == "line 000000 alpha beta gamma"
    image = view.viewport().grab().toImage()
    first_line = view.visible_rect_of(0).adjusted(0, 0, 200, 0)
    assert close_to(view.palette().text().color().name(), colours_in(image, first_line))
    for pos in range(16 * 1024, len(text), 256 * 1024):
        view.append_piece(indexer.feed(text[pos : pos + 256 * 1024]))
    with qtbot.waitSignal(view.text_complete, timeout=1000):
        view.finish_input()
    assert view.line_count() == 200_000
    assert view.full_text() == text


def test_scrolling_to_the_end_shows_the_last_line(view: LargeTextView, qtbot) -> None:
    text = numbered_text(100_000)
    stream(view, text)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())
    last = view.line_count() - 1
    assert view.first_visible_line() <= last < view.first_visible_line() + view.visible_line_count()
    assert on_screen(view, view.visible_rect_of(view.line_bounds(last)[0]))
    assert view.line_text(last) == "line 099999 alpha beta gamma"


def test_drag_selects_and_copy_puts_it_on_the_clipboard(view: LargeTextView, qtbot) -> None:
    stream(view, numbered_text(1000))
    vp = view.viewport()
    start = view.line_bounds(2)[0] + 5  # "000002 ..."
    end = view.line_bounds(4)[0] + 11
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=point_at(view, start))
    qtbot.mouseMove(vp, pos=point_at(view, end))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=point_at(view, end))
    expected = "000002 alpha beta gamma\nline 000003 alpha beta gamma\nline 000004"
    assert view.selected_text() == expected
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == expected
    # shift-click extends from the same anchor
    further = view.line_bounds(5)[0] + 4
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     pos=point_at(view, further))
    assert view.selection() == (start, further)


def test_double_click_selects_a_word_and_ctrl_a_copies_everything(view: LargeTextView, qtbot) -> None:
    text = numbered_text(100_000)  # ~3 MB on the clipboard
    stream(view, text)
    word = view.line_bounds(1)[0] + 19  # inside "beta"
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton,
                      pos=point_at(view, word, dx=2))
    assert view.selected_text() == "beta"
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == text


def test_context_menu_offers_copy_and_select_all(view: LargeTextView) -> None:
    stream(view, "abc\ndef")
    menu = view.context_menu()
    actions = {a.text(): a for a in menu.actions()}
    assert set(actions) == {"Copy", "Select all"}
    assert not actions["Copy"].isEnabled()
    actions["Select all"].trigger()
    assert view.selected_text() == "abc\ndef"
    assert view.context_menu().actions()[0].isEnabled()


def test_find_moves_to_the_match_and_wraps_around(view: LargeTextView) -> None:
    lines = numbered_text(120_000).split("\n")
    lines[10] += " NEEDLE"
    lines[110_000] += " needle"
    stream(view, "\n".join(lines))
    first = view.line_bounds(10)[0] + len(lines[10]) - 6
    second = view.line_bounds(110_000)[0] + len(lines[110_000]) - 6
    assert view.find_text("needle") is True
    assert view.selection() == (first, first + 6)
    assert view.find_text("needle") is True
    assert view.selection() == (second, second + 6)
    assert view.first_visible_line() <= 110_000 < view.first_visible_line() + view.visible_line_count()
    assert view.find_text("needle") is True
    assert view.selection() == (first, first + 6)  # wrapped around
    assert view.find_text("needle", backward=True) is True
    assert view.selection() == (second, second + 6)  # backward wraps too
    assert view.find_text("needle", case_sensitive=True) is True
    assert view.selection() == (second, second + 6)
    assert view.find_text("absent") is False


def test_a_long_find_goes_on_in_steps_and_reports_the_end(view: LargeTextView, qtbot, monkeypatch) -> None:
    monkeypatch.setattr(body_view, "FIND_STEP_S", 0.0)  # every window in a step of its own
    monkeypatch.setattr(body_view, "FIND_WINDOW", 1024)
    lines = numbered_text(5000).split("\n")
    lines[4000] += " Ärger"  # not ASCII: searched with a case-insensitive regex
    stream(view, "\n".join(lines))
    with qtbot.waitSignal(view.find_finished, timeout=5000) as blocker:
        assert view.find_text("äRGER") is None
    assert blocker.args == [True]
    assert view.selected_text() == "Ärger"
    with qtbot.waitSignal(view.find_finished, timeout=5000) as blocker:
        view.find_text("nowhere")
    assert blocker.args == [False]


def test_matches_on_screen_are_marked(view: LargeTextView) -> None:
    stream(view, numbered_text(100))
    view.find_text("gamma")
    image = view.viewport().grab().toImage()
    a = view.line_bounds(3)[0] + 23
    assert close_to("#ffe27a", colours_in(image, view.visible_rect_of(a)), tolerance=60)


def test_ranges_paint_colours_and_plain_lines_wait_for_them(view: LargeTextView, qtbot) -> None:
    text = '{\n  "name": "value"\n}'
    stream(view, text)
    key_at = text.index('"name"')
    value_at = text.index('"value"')
    key_rect = view.visible_rect_of(key_at).adjusted(0, 0, advance(view) * 5, 0)
    value_rect = view.visible_rect_of(value_at).adjusted(0, 0, advance(view) * 6, 0)
    before = view.viewport().grab().toImage()
    assert not close_to(LIGHT.syntax["key"], colours_in(before, key_rect), tolerance=30)
    with qtbot.waitSignal(view.highlight_applied, timeout=2000):
        view.add_ranges(chunk([(key_at, key_at + 6, KEY), (value_at, value_at + 7, STRING)], 0, len(text)))
        view.viewport().repaint()
    after = view.viewport().grab().toImage()
    assert close_to(LIGHT.syntax["key"], colours_in(after, key_rect), tolerance=30)
    assert close_to(LIGHT.syntax["string"], colours_in(after, value_rect), tolerance=30)
    assert view.formats_at(1) == [(2, 6, LIGHT.syntax["key"]), (10, 7, LIGHT.syntax["string"])]


def test_uncoloured_lines_on_screen_are_asked_for(view: LargeTextView, qtbot) -> None:
    stream(view, numbered_text(10_000))
    view.add_ranges(chunk([], 0, view.line_bounds(100)[0]))
    bar = view.verticalScrollBar()
    with qtbot.waitSignal(view.lines_wanted, timeout=2000) as blocker:
        bar.setValue(5000)
    start, end = blocker.args
    assert start == view.line_bounds(5000)[0] and end > start


def test_keyboard_moves_the_cursor_and_scrolls(view: LargeTextView, qtbot) -> None:
    text = numbered_text(10_000)
    stream(view, text)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.cursor_position() == view.line_bounds(1)[0] + 2
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.cursor_position() == view.line_bounds(1)[1]
    qtbot.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_text() == "line 000001 alpha beta gamma"
    page = view.visible_line_count()
    qtbot.keyClick(view, Qt.Key.Key_PageDown)
    assert view.line_of(view.cursor_position()) == 1 + page - 1
    assert view.first_visible_line() > 0
    qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert view.cursor_position() == len(text)
    assert view.first_visible_line() == view.verticalScrollBar().maximum()
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_text() == "\nline 009999 alpha beta gamma"  # same column, one line up
    qtbot.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert view.cursor_position() == 0 and view.first_visible_line() == 0


@pytest.mark.parametrize(("family", "size"), [("", 0.0), ("monospace", 7.5), ("monospace", 9.0),
                                              ("monospace", 10.5), ("monospace", 13.0)])
def test_long_lines_widen_the_horizontal_scroll_range(view: LargeTextView, family: str, size: float) -> None:
    if family:  # whatever the font, the view measures it as it draws it: no size is assumed anywhere
        font = QFont(family)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(size)
        view.setFont(font)
    stream(view, "short\n" + "x" * 3000)
    assert view.visible_rect_of(1).left() - view.visible_rect_of(0).left() == pytest.approx(advance(view))
    assert view.horizontalScrollBar().maximum() >= 3000 * advance(view) - view.viewport().width()
    view.set_selection(3005, 3005)  # near the end of the long line: scrolled into view
    assert on_screen(view, view.visible_rect_of(3005))


# -- the worker's line-indexed output ------------------------------------------------------------------


def large_json(records: int = 20_000) -> bytes:
    return json.dumps([{"id": i, "name": f"customer {i}", "ok": i % 2 == 0} for i in range(records)],
                      separators=(",", ":")).encode()


def test_line_index_job_sends_text_with_its_index_then_non_overlapping_ranges() -> None:
    body = large_json()
    job = BodyJob(3, body, "application/json", line_index=True)
    worker = HighlightWorker(job)
    pieces: list[TextPiece] = []
    chunks: list[RangeChunk] = []
    worker.text_piece.connect(lambda g, p: pieces.append(p))
    worker.range_chunk.connect(lambda g, c: chunks.append(c))
    worker.run()  # on this thread: every signal is delivered at once
    text = pretty_json(body.decode())
    assert "".join(p.text for p in pieces) == text
    starts = [0] + [s for p in pieces for s in p.line_starts]
    assert starts == [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    spans = sorted((c.lexed_from, c.lexed_to) for c in chunks)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(spans))  # no gap, no overlap
    tags = {text[s:e] for c in chunks for s, e, k in zip(c.starts, c.ends, c.keys, strict=True)
            if STYLE_KEYS[k] == "tag"}
    assert tags == {'"id"', '"name"', '"ok"'}
    # the Raw tab's text, as received: long lines are broken for display by soft line starts, so the lines
    # are those break_long_lines gives while the text stays the text received
    (raw,) = raw_pieces(job)
    assert raw.text == body.decode()
    lines = [raw.text[a:b] for a, b in pairwise([0, *raw.line_starts, len(raw.text)])]
    assert "\n".join(lines) == break_long_lines(body.decode(), 4000)[0]


def test_the_worker_lexes_what_the_view_wants_first() -> None:
    body = large_json()
    worker = HighlightWorker(BodyJob(3, body, "application/json", line_index=True))
    text = pretty_json(body.decode())
    order: list[int] = []
    done: list[bool] = []
    worker.text_done.connect(lambda g: done.append(True))
    worker.range_chunk.connect(lambda g, c: order.append(c.lexed_from) if done else None)
    worker.want(len(text) - 100, len(text))
    worker.run()
    assert order[0] > len(text) // 2  # the end, not the next segment in order
    assert sorted(order) != order


# -- in the response view ------------------------------------------------------------------------------


def exchange(body: bytes, content_type: str = "application/json") -> Exchange:
    response = Response(200, "OK", (("Content-Type", content_type),), body, len(body))
    spec = RequestSpec(url="http://127.0.0.1:9/x")
    return Exchange(spec=spec, hops=(Hop("GET", spec.url, (), b"", response, 0.01),))


def test_large_bodies_use_the_large_view_and_refuse_word_wrap(response_view: ResponseView, qtbot) -> None:
    body = large_json()
    assert len(body) > LARGE_BODY_BYTES
    with qtbot.waitSignals([response_view.body_ready, response_view.highlight_done], timeout=30_000):
        response_view.show_exchange(exchange(body))
    assert response_view.body_stack.currentWidget() is response_view.large_view
    assert response_view.body_text() == pretty_json(body.decode())
    response_view.set_word_wrap(True)
    assert not response_view.wrap_check.isChecked()
    assert "Word wrap is not available" in response_view.highlight_label.text()
    assert "off for bodies over" in response_view.wrap_check.toolTip()
    # find from the find bar moves the large view to the match
    response_view.open_find()
    qtbot.keyClicks(response_view.find_bar.field, "customer 19999")
    assert response_view.find_next()
    assert response_view.large_view.selected_text() == "customer 19999"
    # the raw tab shows the message as received in the large raw view: status line, header, blank, body
    response_view.tabs.setCurrentWidget(response_view.raw_page)
    qtbot.waitUntil(lambda: response_view.raw_large.line_count() > 1)
    assert [response_view.raw_large.line_text(i) for i in range(3)] == [
        "HTTP/1.1 200 OK", "Content-Type: application/json", ""]
    assert response_view.raw_large.line_text(3) == body.decode()[:4000]
    # a small body goes back to the ordinary view
    response_view.show_exchange(exchange(b'{"a": 1}'))
    assert response_view.body_stack.currentWidget() is response_view.body_view
    assert response_view.body_text() == '{\n  "a": 1\n}'


def test_the_view_says_once_when_it_has_drawn_text(view: LargeTextView) -> None:
    """first_screen_painted: what lets the body's worker go on (HighlightWorker.first_screen_drawn)."""
    painted: list[int] = []
    view.first_screen_painted.connect(lambda: painted.append(view.text_length()))
    view.begin()
    view.viewport().grab()
    assert painted == []  # nothing drawn yet: no text
    view.append_piece(LineIndexer().feed("first line\nsecond line\n"))
    view.viewport().grab()
    view.viewport().grab()
    assert painted == [23]
    view.begin()  # the next body
    view.append_piece(LineIndexer().feed("another\n"))
    view.viewport().grab()
    assert painted == [23, 8]


def test_a_view_closed_right_after_painting_new_colours_raises_nothing(qtbot) -> None:
    """highlight_applied is emitted on the next turn of the event loop: not into a view deleted meanwhile."""
    import shiboken6

    widget = LargeTextView(LIGHT)
    widget.resize(400, 200)
    widget.show()
    qtbot.waitExposed(widget)
    stream(widget, '{"a": 1}')
    widget.add_ranges(chunk([(1, 4, KEY)], 0, 8))
    widget.viewport().grab()  # colours painted: the signal is on its way
    shiboken6.delete(widget)
    qtbot.wait(20)  # an exception raised in the event loop fails the test (pytest-qt)


def screen_pixels(view: LargeTextView) -> QImage:
    """What the window shows now (the backing store), not a fresh rendering as grab() would make."""
    window = view.window()
    image = QGuiApplication.primaryScreen().grabWindow(window.winId()).toImage()
    top_left = view.viewport().mapTo(window, QPoint(0, 0))
    return image.copy(top_left.x(), top_left.y(), view.viewport().width(), view.viewport().height())


class Paints:
    """Records the rectangles of the view's paint events; tells whether what the window shows is what a full
    repaint draws."""

    def __init__(self, view: LargeTextView) -> None:
        self.view = view
        self.rects: list[QRectF] = []
        self._paint = view.paintEvent
        view.paintEvent = self._record  # type: ignore[method-assign]

    def _record(self, event) -> None:  # type: ignore[no-untyped-def]
        self.rects.append(QRectF(event.rect()))
        self._paint(event)

    def shown_as_a_full_repaint(self) -> bool:
        shown = screen_pixels(self.view)
        self.view.paintEvent = self._paint  # type: ignore[method-assign]
        try:
            return shown == self.view.viewport().grab().toImage().convertToFormat(shown.format())
        finally:
            self.view.paintEvent = self._record  # type: ignore[method-assign]


def test_scrolling_a_few_lines_paints_only_the_lines_that_come_into_view(view: LargeTextView, qtbot) -> None:
    stream(view, numbered_text(2000))
    view.add_ranges(chunk([(view.line_bounds(n)[0], view.line_bounds(n)[0] + 4, KEY) for n in range(0, 2000, 3)],
                          0, view.text_length()))
    view.set_selection(view.line_bounds(40)[0] + 5, view.line_bounds(42)[0] + 9)  # crosses the scrolled lines
    bar = view.verticalScrollBar()
    bar.setValue(30)
    qtbot.wait(50)
    paints = Paints(view)
    line_h = view.visible_rect_of(0).height()
    for value in (33, 34, 31):  # as a wheel does: down three, down one, up three
        paints.rects.clear()
        bar.setValue(value)
        qtbot.waitUntil(lambda: bool(paints.rects))
        assert all(r.height() <= 3 * line_h + 1 for r in paints.rects), paints.rects  # never the whole view
        assert paints.shown_as_a_full_repaint()
    paints.rects.clear()
    bar.setValue(bar.value() + view.visible_line_count())  # a page: everything is new
    qtbot.waitUntil(lambda: bool(paints.rects))
    assert max(r.height() for r in paints.rects) >= view.viewport().height() - 1


def test_line_numbers_that_widen_off_screen_repaint_the_view(view: LargeTextView, qtbot) -> None:
    """The gutter grows from 4 to 5 digits while lines arrive far below: the lines on screen move right."""
    view.begin()
    indexer = LineIndexer()
    view.append_piece(indexer.feed(numbered_text(9_990) + "\n"))
    qtbot.wait(50)
    before = view.visible_rect_of(0).x()
    paints = Paints(view)
    view.append_piece(indexer.feed(numbered_text(100)))  # lines 9,991 to 10,090: off screen
    qtbot.waitUntil(lambda: bool(paints.rects))
    assert view.visible_rect_of(0).x() > before
    assert max(r.width() for r in paints.rects) >= view.viewport().width() - 1


def test_arrow_keys_repaint_the_caret_lines_only(view: LargeTextView, qtbot) -> None:
    stream(view, numbered_text(2000))
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    page = view.visible_line_count()
    for _ in range(page - 2):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.wait(30)
    paints = Paints(view)
    line_h = view.visible_rect_of(0).height()
    for key, mods, lines in ((Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier, 2),  # the last whole line
                             (Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier, 3),  # scrolls by one
                             (Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier, 2),
                             (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier, 2)):  # the selection goes
        paints.rects.clear()
        qtbot.keyClick(view, key, mods)
        qtbot.waitUntil(lambda: bool(paints.rects))
        qtbot.wait(10)
        assert sum(r.height() for r in paints.rects) <= lines * line_h + 1, (key, paints.rects)
        assert paints.shown_as_a_full_repaint()
    assert view.first_visible_line() == 1
