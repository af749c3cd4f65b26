"""The large-body pipeline: the incremental line index, lexing on demand, painting only visible columns."""

from __future__ import annotations

import inspect
import json
from array import array

import pytest
from PySide6.QtGui import QFontMetricsF

from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.highlight import STYLE_KEYS, pretty_html, pretty_json, pretty_xml
from inspector.core.request import RequestSpec
from inspector.ui.body_view import LargeTextView, RangeStore, colour_layers, visible_columns
from inspector.ui.response_view import ResponseView
from inspector.ui.theme import LIGHT
from inspector.ui.workers import (
    DECODE_PART_BYTES,
    BodyJob,
    HighlightWorker,
    LineIndexer,
    RangeChunk,
    TextPiece,
    _Streamed,
    _text_parts,
)

KEY = STYLE_KEYS.index("key")


def reference_starts(text: str, limit: int) -> list[int]:
    """Line starts one character at a time: after every newline, and every `limit` characters of a line."""
    starts, col = [0], 0
    for i, c in enumerate(text):
        if c == "\n":
            starts.append(i + 1)
            col = 0
            continue
        if limit and col == limit:
            starts.append(i)
            col = 0
        col += 1
    return starts


@pytest.mark.parametrize(("text", "limit"), [
    ("", 0), ("", 4), ("a", 4), ("\n", 4), ("a\r\nb\r\n", 0), ("a\r\nbcdefgh\r\n", 3), ("no newline at end", 5),
    ("abcd\nabcd\n", 4), ("abcde", 4), ("x" * 40 + "\n" + "y" * 9, 8), ("é😀" * 7 + "\nz", 3),
])
@pytest.mark.parametrize("piece", [1, 2, 7, 1000])
def test_line_index_built_piece_by_piece(text: str, limit: int, piece: int) -> None:
    indexer = LineIndexer(limit)
    starts = [0]
    for pos in range(0, max(1, len(text)), piece):
        starts.extend(indexer.feed(text[pos : pos + piece]).line_starts)
    assert starts == reference_starts(text, limit)
    assert indexer.longest == max(len(line) for line in text.split("\n")) if not limit else indexer.longest <= limit


def test_a_ten_megabyte_line_is_indexed_in_soft_lines() -> None:
    text = "0123456789" * 1_000_000
    indexer = LineIndexer(4000)
    starts = array("i")
    for pos in range(0, len(text), 256 * 1024):
        starts.extend(indexer.feed(text[pos : pos + 256 * 1024]).line_starts)
    assert list(starts) == list(range(4000, len(text), 4000))
    assert indexer.longest == 4000 and indexer.soft_breaks == len(starts)


def big_json(records: int = 30_000) -> bytes:
    return json.dumps([{"id": i, "name": f"customer {i}", "ok": i % 2 == 0} for i in range(records)],
                      separators=(",", ":")).encode()


@pytest.mark.parametrize("pretty", [True, False])
def test_lines_wanted_are_served_while_the_text_is_still_being_made(pretty: bool) -> None:
    body = big_json()
    worker = HighlightWorker(BodyJob(1, body, "application/json", pretty=pretty, line_index=True))
    shown = pretty_json(body.decode()) if pretty else body.decode()
    middle = len(shown) // 2
    events: list[tuple[str, int, int]] = []

    def on_piece(_g: int, piece: TextPiece) -> None:
        if not events:  # the view jumped to the middle as soon as the first lines showed
            worker.want(middle, middle + 2000)
        events.append(("piece", piece.start, piece.start + len(piece.text)))

    worker.text_piece.connect(on_piece)
    worker.range_chunk.connect(lambda _g, c: events.append(("chunk", c.lexed_from, c.lexed_to)))
    worker.text_done.connect(lambda _g: events.append(("done", 0, 0)))
    worker.run()
    served = next(i for i, (kind, a, b) in enumerate(events) if kind == "chunk" and a <= middle < b)
    assert served < events.index(("done", 0, 0))  # coloured before the text was complete
    last_piece = max(i for i, (kind, _a, _b) in enumerate(events) if kind == "piece")
    assert served < last_piece  # not after all the text was made and indexed


def test_ranges_for_a_column_window_touch_only_the_visible_columns() -> None:
    line = 0
    store = RangeStore()
    starts = array("q", range(0, 4000, 4))  # a 4,000-character line with a thousand ranges
    store.add(RangeChunk(0, 4000, starts, array("q", (s + 2 for s in starts)), array("b", [KEY] * len(starts))))
    lo, hi = visible_columns(x0=-700.0, gutter=0.0, width=350.0, advance=7.0)  # scrolled 100 columns right
    assert (lo, hi) == (99, 152)
    visible = store.within(line + lo, line + hi)
    assert visible[0] == (99, 98 + 2, KEY) or visible[0][0] >= 99
    assert all(lo <= s < e <= hi for s, e, _ in visible)
    assert len(visible) <= (hi - lo) // 4 + 1  # not a thousand


def exchange(body: bytes, content_type: str = "application/json") -> Exchange:
    response = Response(200, "OK", (("Content-Type", content_type),), body, len(body))
    spec = RequestSpec(url="http://127.0.0.1:9/x")
    return Exchange(spec=spec, hops=(Hop("GET", spec.url, (), b"", response, 0.01),))


@pytest.mark.parametrize(("body", "content_type", "pretty"), [
    (big_json(60_000), "application/json", True),
    (big_json(60_000), "application/json", False),
    (("<r>" + "".join(f"<i n='{i}'><!-- c --><v>{i}</v></i>" for i in range(40_000)) + "</r>").encode(),
     "application/xml", True),
], ids=["pretty-json", "one-line-json", "pretty-xml"])
def test_the_end_gets_its_colours_after_a_jump_there(response_view: ResponseView, qtbot, body: bytes,
                                                     content_type: str, pretty: bool) -> None:
    response_view.pretty_check.setChecked(pretty)
    view = response_view.large_view
    with qtbot.waitSignal(view.text_complete, timeout=30_000):
        response_view.show_exchange(exchange(body, content_type))
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: view.is_coloured(view.line_count() - 1), timeout=30_000)
    last = view.line_count()
    assert any(view.formats_at(line) for line in range(max(0, last - 8), last))
    with qtbot.waitSignal(response_view.highlight_done, timeout=60_000):
        pass


@pytest.mark.parametrize(("window", "ranges"), [
    ("abcdefghij", []),
    ("abcdefghij", [(100, 103, 1)]),
    ("abcdefghij", [(100, 103, 1), (105, 110, 2)]),
    ('{"k":"v","n":1}', [(101, 104, 0), (105, 108, 2), (109, 112, 0), (113, 114, 3)]),
    ("x" * 200, [(100, 101, 1), (150, 151, 1), (299, 300, 1)]),  # far apart: one layer cut in several
])
def test_colour_layers_put_back_together_are_the_window(window: str, ranges: list[tuple[int, int, int]]) -> None:
    layers = colour_layers(window, 100, ranges)
    shown = [" "] * len(window)
    colour = [-1] * len(window)
    for key, column, text in layers:
        for i, c in enumerate(text):
            if c != " ":
                assert shown[column + i] == " ", "two layers draw the same column"
                shown[column + i] = c
                colour[column + i] = key
    assert "".join(shown) == window
    for s, e, k in ranges:
        assert all(colour[i - 100] == k for i in range(s, e))
    assert all(colour[i] == -1 for i in range(len(window))
               if not any(s <= i + 100 < e for s, e, _ in ranges))


def test_painting_a_long_line_asks_only_for_the_ranges_of_the_visible_columns(qtbot) -> None:
    view = LargeTextView(LIGHT)
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    text = '{"key":"value",' * 5000  # 75,000 characters: soft lines of 4,000
    indexer = LineIndexer(4000)
    view.begin()
    view.append_piece(indexer.feed(text))
    view.finish_input()
    starts = array("q", [m for m in range(0, len(text), 16)])
    view.add_ranges(RangeChunk(0, len(text), starts, array("q", (s + 5 for s in starts)),
                               array("b", [KEY] * len(starts))))
    asked: list[tuple[int, int]] = []
    within = view._ranges.within
    view._ranges.within = lambda a, b: asked.append((a, b)) or within(a, b)  # type: ignore[method-assign]
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum() // 2)
    view.viewport().grab()  # paints the viewport now
    columns = view.viewport().width() / QFontMetricsF(view.font()).horizontalAdvance("M") + 4
    assert asked and all(b - a <= columns for a, b in asked)  # not the 4,000 columns of each line


def test_a_mid_size_body_goes_through_the_same_pipeline_into_the_wrapping_view(response_view: ResponseView,
                                                                               qtbot) -> None:
    # over SMALL_BODY_CHARS (streamed by the worker), under LARGE_BODY_BYTES (shown by the QPlainTextEdit);
    # a line over 4,000 characters and a character beyond U+FFFF move the colours' positions
    records = [{"id": i, "note": "😀" if i == 3 else "x" * (5000 if i == 2 else 3)} for i in range(4000)]
    body = json.dumps(records, ensure_ascii=False).encode()
    assert 64 * 1024 < len(body) < 512 * 1024
    with qtbot.waitSignals([response_view.highlight_done, response_view.body_ready], timeout=30_000):
        response_view.show_exchange(exchange(body))  # body_ready: every piece is in the document
    view = response_view.body_view
    assert response_view.body_stack.currentWidget() is view
    lines = view.toPlainText().split("\n")
    assert max(map(len, lines)) <= 4000  # the long string is broken for display
    assert "".join(lines) == pretty_json(body.decode()).replace("\n", "")
    for after in ('"id": 3', '"id": 4'):  # after the broken line; after the emoji
        line = next(i for i, text in enumerate(lines) if after in text)
        qtbot.waitUntil(lambda line=line: bool(view.formats_at(line)))
        assert (lines[line].index('"id"'), 4, LIGHT.syntax["tag"]) in view.formats_at(line)
        assert (lines[line].index("3" if "3" in after else "4"), 1, LIGHT.syntax["number"]) in view.formats_at(line)
    # the Raw tab: the body as received, made off the UI thread when the tab is shown
    response_view.tabs.setCurrentWidget(response_view.raw_page)
    qtbot.waitUntil(lambda: response_view.raw_view.toPlainText().replace("\n", "").endswith(
        body.decode()[-100:]), timeout=20_000)


@pytest.mark.parametrize("malformed", [False, True])
def test_json_is_pretty_printed_as_it_is_decoded(malformed: bool) -> None:
    # over mask_limit, no secrets to scrub: pretty-printed straight from the decoded parts
    body = big_json(40_000)
    if malformed:
        body = body[:-1]  # the closing bracket is missing: found only at the very end
    worker = HighlightWorker(BodyJob(1, body, "application/json", mask_limit=1000))
    pieces: list[TextPiece] = []
    resets: list[int] = []
    worker.text_piece.connect(lambda _g, p: pieces.append(p))
    worker.text_reset.connect(lambda _g: (resets.append(len(pieces)), pieces.clear()))
    worker.run()
    if malformed:
        assert resets and resets[0] > 1  # pieces were streamed before the error showed
        assert pieces[-1].whole and pieces[-1].text == body.decode()  # then the text as received
    else:
        assert not resets
        assert "".join(p.text for p in pieces) == pretty_json(body.decode())


def big_markup(syntax: str, records: int = 6_000) -> bytes:
    if syntax == "xml":
        rows = "".join(f'<c id="{i}"><n>customer {i}</n><!-- r --><ok/></c>' for i in range(records))
        return ('<?xml version="1.0"?><cs>' + rows + "</cs>").encode()
    rows = "".join(f"<tr><td>{i}</td><td><a href='/c/{i}'>customer {i}</a></td></tr>" for i in range(records))
    return ("<!DOCTYPE html><html><head><title>T</title></head><body><table>" + rows
            + "</table></body></html>").encode()


@pytest.mark.parametrize("syntax", ["xml", "html"])
@pytest.mark.parametrize("malformed", [False, True])
def test_markup_is_pretty_printed_as_it_is_decoded(syntax: str, malformed: bool) -> None:
    body = big_markup(syntax)
    if malformed:  # an end tag without its start, at the very end: found only once the rest was shown
        body += b"</x>" if syntax == "xml" else b"<" + b"b" * 9
    content_type = "application/xml" if syntax == "xml" else "text/html"
    worker = HighlightWorker(BodyJob(1, body, content_type, mask_limit=1000))
    pieces: list[TextPiece] = []
    resets: list[int] = []
    infos = []
    worker.info.connect(lambda _g, info: infos.append(info))
    worker.text_piece.connect(lambda _g, p: pieces.append(p))
    worker.text_reset.connect(lambda _g: (resets.append(len(pieces)), pieces.clear()))
    worker.run()
    assert infos[0].pretty and infos[0].highlighted and infos[0].syntax == syntax
    text = body.decode()
    expected = (pretty_xml if syntax == "xml" else pretty_html)(text)
    if malformed and syntax == "xml":
        assert resets and resets[0] > 1  # pieces were streamed before the error showed
        assert pieces[-1].whole and pieces[-1].text == text  # then the text as received
    else:  # (HTML takes what is not markup as text: nothing is refused)
        assert not resets
        assert "".join(p.text for p in pieces) == expected != text


def test_a_body_too_large_to_highlight_shows_each_part_as_it_is_decoded() -> None:
    body = ("\n".join(f"line {i} of the log" for i in range(60_000))).encode()
    job = BodyJob(1, body, "text/plain", highlight_limit=100_000, mask_limit=1000)
    info, parts, _lexer, pretty = _text_parts(job)
    # nothing but the first part is decoded before the first piece can be sent
    assert isinstance(parts, _Streamed) and len(parts) == 1 and len(parts[0]) <= DECODE_PART_BYTES
    assert inspect.getgeneratorstate(parts.rest) != inspect.GEN_CLOSED
    assert not info.highlighted and pretty is None
    worker = HighlightWorker(job)
    pieces: list[TextPiece] = []
    worker.text_piece.connect(lambda _g, p: pieces.append(p))
    worker.run()
    assert len(pieces) > 1 and "".join(p.text for p in pieces) == body.decode()
    starts = [0, *(s for p in pieces for s in p.line_starts)]
    assert starts == reference_starts(body.decode(), job.line_limit)


@pytest.mark.parametrize("charset", ["utf-16", "utf-8"])
def test_a_body_whose_characters_are_under_the_limit_is_still_highlighted(charset: str) -> None:
    """More bytes than highlight_limit, fewer characters: only decoding tells, so it is decoded first."""
    text = json.dumps([{"name": "é" * 20} for _ in range(2_000)], ensure_ascii=False)
    body = text.encode(charset)
    job = BodyJob(1, body, f"application/json; charset={charset}", highlight_limit=len(text) + 10,
                  mask_limit=1000)
    assert len(body) > job.highlight_limit
    info, _parts, _lexer, _pretty = _text_parts(job)
    assert info.highlighted


@pytest.mark.parametrize(("lexed_from", "starts", "lengths", "codes"), [
    (1000, [1000, 1010, 1250], [3, 200, 5], ("B", "B")),  # offsets and lengths under 256: a byte each
    (0, [0, 300, 60_000], [1, 2, 3], ("H", "B")),
    (5, [5, 70_000], [65_536, 1], ("i", "i")),  # a long string: four bytes where needed
])
def test_range_chunks_keep_small_offsets_and_give_back_the_ranges(lexed_from: int, starts: list[int],
                                                                 lengths: list[int], codes: tuple[str, str]) -> None:
    ends = [s + n for s, n in zip(starts, lengths, strict=True)]
    keys = array("b", [KEY] * len(starts))
    made = [RangeChunk(lexed_from, ends[-1], array("q", starts), array("q", ends), keys),
            RangeChunk.from_lengths(lexed_from, ends[-1], array("l", starts), array("l", lengths), keys)]
    for chunk in made:
        assert (chunk.offsets.typecode, chunk.lengths.typecode) == codes
        assert list(chunk.starts) == starts and list(chunk.ends) == ends
        store = RangeStore()
        store.add(chunk)
        assert store.within(starts[1], ends[1]) == [(starts[1], ends[1], KEY)]


@pytest.mark.parametrize("pretty", [False, True], ids=["as-received", "pretty"])
def test_the_worker_waits_while_the_first_screen_is_drawn(pretty: bool) -> None:
    """Once the first screen's text is sent, the worker makes nothing more until the view says it has drawn
    it (or FIRST_SCREEN_WAIT_S passed): behind a busy worker each of the UI thread's entries into Python
    waits for the GIL, and the first screen of a 10 MB body took 50 ms instead of 20."""
    import threading
    import time

    from PySide6.QtCore import Qt

    worker = HighlightWorker(BodyJob(1, big_json(), "application/json", pretty=pretty, mask_limit=1000))
    worker.FIRST_SCREEN_WAIT_S = 60.0  # only first_screen_drawn() lets it go on
    pieces: list[TextPiece] = []
    worker.text_piece.connect(lambda _g, p: pieces.append(p), Qt.ConnectionType.DirectConnection)
    run = threading.Thread(target=worker.run, daemon=True)
    run.start()
    deadline = time.monotonic() + 20
    while not pieces and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(pieces) == 1
    time.sleep(0.3)
    assert len(pieces) == 1 and run.is_alive()  # waiting: the first piece only
    worker.first_screen_drawn()
    run.join(30)
    assert not run.is_alive()
    assert len(pieces) > 1


@pytest.mark.parametrize(("records", "pretty", "tab"), [
    (60_000, False, "body"),  # a large body, drawn by the large view
    (60_000, True, "headers"),  # a large body while the Headers tab is in front: nothing is drawn
    (6_000, True, "body"),  # a mid-size body, drawn by the wrapping view
], ids=["large", "large-hidden", "mid-size"])
def test_a_shown_body_lets_its_worker_go_on(response_view: ResponseView, qtbot, monkeypatch, records: int,
                                            pretty: bool, tab: str) -> None:
    monkeypatch.setattr(HighlightWorker, "FIRST_SCREEN_WAIT_S", 600.0)  # only the view's word lets it go on
    response_view.pretty_check.setChecked(pretty)
    if tab == "headers":
        response_view.tabs.setCurrentIndex(response_view.tabs.indexOf(response_view.headers_page))
    body = big_json(records)
    assert (len(body) > 512 * 1024) == (records > 10_000)
    with qtbot.waitSignal(response_view.highlight_done, timeout=30_000):
        response_view.show_exchange(exchange(body, "application/json"))
