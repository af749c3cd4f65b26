"""The response pane: status colours, headers, hops, text/image/binary bodies, large bodies, find, save."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QImage

from inspector.core.exchange import Exchange, Hop, Response, TransportFailure
from inspector.core.highlight import pretty_json
from inspector.core.request import RequestSpec
from inspector.core.units import format_size
from inspector.ui.response_view import LARGE_BODY_BYTES, ResponseView
from inspector.ui.theme import DARK, LIGHT

URL = "http://127.0.0.1:9/thing"


def exchange(status: int = 200, body: bytes = b"", content_type: str | None = "application/json",
             headers: tuple[tuple[str, str], ...] = (), truncated: bool = False, received: int | None = None,
             hops: tuple[Hop, ...] = ()) -> Exchange:
    lines = ((("Content-Type", content_type),) if content_type else ()) + headers
    response = Response(status, {200: "OK", 404: "Not Found", 302: "Found"}.get(status, "Whatever"), lines, body,
                        received if received is not None else len(body), truncated)
    final = Hop("GET", URL, (("Accept", "*/*"),), b"", response, 0.012)
    return Exchange(spec=RequestSpec(url=URL), hops=hops + (final,))


@pytest.fixture
def view(response_view: ResponseView) -> ResponseView:
    return response_view  # tests/ui/conftest.py


def test_small_json_is_shown_pretty_at_once(view: ResponseView) -> None:
    view.show_exchange(exchange(200, b'{"b":[1,2],"a":"x"}'))
    assert view.status_label.text() == "200"
    assert view.reason_label.text() == "OK"
    assert view.size_label.text() == "19 B"
    assert view.time_label.text() == "12 ms"
    assert view.body_text() == '{\n  "b": [\n    1,\n    2\n  ],\n  "a": "x"\n}'
    assert view.body_view.toPlainText() == view.body_text()


def test_small_json_gets_colours(view: ResponseView, qtbot) -> None:
    with qtbot.waitSignal(view.highlight_done, timeout=10_000):
        view.show_exchange(exchange(200, b'{"key": "value", "n": 5}'))
    qtbot.waitUntil(lambda: bool(view.body_view.formats_at(1)))
    colours = {c for _, _, c in view.body_view.formats_at(1)}
    assert LIGHT.syntax["tag"] in colours and LIGHT.syntax["string"] in colours


@pytest.mark.parametrize(("status", "key"), [(200, "2xx"), (204, "2xx"), (302, "3xx"), (404, "4xx"), (503, "5xx")])
@pytest.mark.parametrize("theme", [LIGHT, DARK])
def test_status_colour_by_class(qtbot, status: int, key: str, theme) -> None:
    view = ResponseView(theme=theme)
    qtbot.addWidget(view)
    view.show_exchange(exchange(status, b""))
    assert theme.status[key] in view.status_label.styleSheet()
    view.shutdown()


def test_headers_are_listed_with_secrets_masked(view: ResponseView) -> None:
    view.show_exchange(exchange(200, b"{}", headers=(("Set-Cookie", "session=abcdef123456789; Path=/"),
                                                     ("X-Request-Id", "r-1"))))
    rows = [(view.headers_table.item(r, 0).text(), view.headers_table.item(r, 1).text())
            for r in range(view.headers_table.rowCount())]
    assert ("X-Request-Id", "r-1") in rows
    cookie = dict(rows)["Set-Cookie"]
    assert "abcdef123456789" not in cookie and cookie.startswith("session=")
    assert view.tabs.tabText(2) == "Headers (3)"


def test_every_redirect_hop_is_listed(view: ResponseView) -> None:
    first = Hop("GET", "http://127.0.0.1:9/old?token=supersecretvalue",
                (("Authorization", "Bearer x"),), b"",
                Response(302, "Found", (("Location", "http://other.test/new"),), b"", 0), 0.003)
    view.show_exchange(exchange(200, b"{}", hops=(first,)))
    tree = view.hops_tree
    assert tree.topLevelItemCount() == 2
    assert tree.topLevelItem(0).text(2) == "302 Found"
    assert tree.topLevelItem(0).text(4) == "http://other.test/new"
    assert "supersecretvalue" not in tree.topLevelItem(0).text(1)
    assert tree.topLevelItem(1).text(1) == f"GET {URL}"
    assert view.tabs.tabText(3) == "Redirects (1)"


def test_transport_error_shows_kind_and_message(view: ResponseView) -> None:
    failed = Exchange(spec=RequestSpec(url=URL), error=TransportFailure(
        "connection", f"GET {URL} failed: the connection to 127.0.0.1:9 was refused."))
    view.show_exchange(failed)
    assert view.status_label.text() == "Error: connection"
    assert view.notice_label.isVisibleTo(view)
    assert "was refused" in view.notice_label.text()


def png_bytes(width: int, height: int) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(0x3366CC)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


@pytest.mark.parametrize("content_type", ["image/png", "application/octet-stream", None])
def test_image_body_is_drawn(view: ResponseView, qtbot, content_type: str | None) -> None:
    with qtbot.waitSignal(view.body_ready, timeout=10_000):
        view.show_exchange(exchange(200, png_bytes(3, 2), content_type))
    assert view.body_stack.currentWidget() is view.image_area
    assert view.image_label.pixmap().width() == 3
    assert "image 3×2" in view.highlight_label.text()


def test_a_broken_image_is_shown_as_hex(view: ResponseView, qtbot) -> None:
    with qtbot.waitSignal(view.body_ready, timeout=10_000):
        view.show_exchange(exchange(200, b"\x89PNG\r\n\x1a\n" + bytes(50), "image/png"))
    assert view.body_stack.currentWidget() is view.hex_view
    assert view.hex_view.toPlainText().startswith("00000000  89 50 4e 47")


def test_binary_body_is_a_hex_preview_never_decoded_text(view: ResponseView, qtbot) -> None:
    data = bytes(range(256)) * 400  # 100 KB: goes through the worker
    with qtbot.waitSignal(view.body_ready, timeout=10_000):
        view.show_exchange(exchange(200, data, "application/octet-stream"))
    assert view.body_stack.currentWidget() is view.hex_view
    first = view.hex_view.toPlainText().splitlines()[0]
    assert first.startswith("00000000  00 01 02 03")
    assert f"binary, {format_size(len(data))}" in view.highlight_label.text()
    assert "\ufffd" not in view.hex_view.toPlainText()


def test_large_json_loads_progressively_and_completely(view: ResponseView, qtbot) -> None:
    records = [{"id": i, "name": f"customer {i}", "tags": ["a", "b"], "ok": i % 3 == 0} for i in range(20000)]
    body = json.dumps(records, separators=(",", ":")).encode()
    assert len(body) > LARGE_BODY_BYTES  # so it is shown by the view that draws only the lines on screen
    with qtbot.waitSignal(view.large_view.first_screen_shown, timeout=20_000):
        view.show_exchange(exchange(200, body))
    assert view.body_stack.currentWidget() is view.large_view
    with qtbot.waitSignals([view.body_ready, view.highlight_done], timeout=40_000):
        pass
    expected = pretty_json(body.decode())
    assert view.body_text() == expected
    assert view.large_view.toPlainText() == expected
    assert view.last_stats is not None and view.last_stats.ranges > 0
    qtbot.waitUntil(lambda: bool(view.large_view.formats_at(2)))
    bar = view.large_view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)  # colours reach the lines that come on screen
    middle = view.large_view.first_visible_line() + 1
    qtbot.waitUntil(lambda: bool(view.large_view.formats_at(middle)))


def test_a_new_response_cancels_the_stale_highlight(view: ResponseView, qtbot) -> None:
    big = json.dumps([{"id": i} for i in range(100000)]).encode()
    view.show_exchange(exchange(200, big))
    view.show_exchange(exchange(404, b'{"error":"nope"}'))
    with qtbot.waitSignal(view.highlight_done, timeout=20_000):
        pass
    assert view.status_label.text() == "404"
    assert view.body_text() == '{\n  "error": "nope"\n}'


def test_long_lines_are_broken_for_display(view: ResponseView, qtbot) -> None:
    text = "x" * 10_000
    with qtbot.waitSignal(view.body_ready, timeout=10_000):
        view.show_exchange(exchange(200, text.encode(), "text/plain"))
    assert [len(line) for line in view.body_text().splitlines()] == [4000, 4000, 2000]


def test_raw_tab_shows_the_http_message_as_received(view: ResponseView, qtbot) -> None:
    view.show_exchange(exchange(200, b'{"a":1}', headers=(("Set-Cookie", "sid=COOKIE-SECRET-1"),)))
    view.tabs.setCurrentWidget(view.raw_page)  # the Raw tab: raw_view, or raw_large for large bodies
    # the status line, the headers (credentials masked as on the Headers tab), a blank line, the body as sent
    qtbot.waitUntil(lambda: view.raw_view.toPlainText().endswith('\n\n{"a":1}'))
    head, _blank, body = view.raw_view.toPlainText().partition("\n\n")
    assert body == '{"a":1}'
    assert head.splitlines()[:2] == ["HTTP/1.1 200 OK", "Content-Type: application/json"]
    assert head.splitlines()[2].startswith("Set-Cookie: ") and "COOKIE-SECRET-1" not in head


@pytest.mark.parametrize(("body", "content_type", "said"), [
    (b'{"error": "nope"}', "application/json", '{"error": "nope"}'),
    (b"", "text/plain", ""),
    (b"\x00\x01\x02binary", "application/octet-stream", "of binary data"),
])
def test_raw_tab_heads_every_kind_of_body(view: ResponseView, qtbot, body: bytes, content_type: str,
                                          said: str) -> None:
    view.tabs.setCurrentWidget(view.raw_page)
    view.show_exchange(exchange(404, body, content_type))
    qtbot.waitUntil(lambda: view.raw_view.toPlainText().startswith("HTTP/1.1 404 Not Found\n"))
    assert f"Content-Type: {content_type}" in view.raw_view.toPlainText()
    assert said in view.raw_view.toPlainText()


def test_body_over_the_cap_is_not_loaded_whole(qtbot, tmp_path: Path) -> None:
    view = ResponseView(max_body_bytes=1024, theme=LIGHT)
    qtbot.addWidget(view)
    view.show()
    preview = b"a" * 1024
    view.show_exchange(exchange(200, preview, "text/plain", truncated=True, received=5000))
    assert view.notice_label.isVisible()
    assert "not loaded whole" in view.notice_label.text()
    assert view.save_button.isVisible()
    assert view.size_label.text().endswith("(over the cap)")
    view.shutdown()


def test_find_selects_matches_and_wraps(view: ResponseView, qtbot) -> None:
    view.show_exchange(exchange(200, b'{"a":"needle","b":"hay","c":"NEEDLE"}'))
    view.open_find()
    qtbot.keyClicks(view.find_bar.field, "needle")
    assert view.find_next()
    first = view.body_view.textCursor().selectionStart()
    assert view.body_view.textCursor().selectedText() == "needle"
    assert view.find_next()
    assert view.body_view.textCursor().selectedText() == "NEEDLE"
    assert view.find_next()
    assert view.body_view.textCursor().selectionStart() == first  # wrapped around
    view.find_bar.field.setText("absent")
    assert not view.find_next()
    assert view.find_bar.result.text() == "Not found"


def test_save_body_writes_the_bytes_as_received(view: ResponseView, tmp_path: Path) -> None:
    body = b'{"a":1}'
    view.show_exchange(exchange(200, body))
    target = tmp_path / "body.json"
    assert view.save_body_to(target) == len(body)
    assert target.read_bytes() == body


def test_word_wrap_is_refused_for_huge_bodies(view: ResponseView, qtbot) -> None:
    view.set_word_wrap(True)
    assert view.wrap_check.isChecked()
    view.set_word_wrap(False)
    big = json.dumps(["x" * 100] * 30000).encode()  # over 2 MB
    with qtbot.waitSignal(view.body_ready, timeout=30_000):
        view.show_exchange(exchange(200, big))
    view.set_word_wrap(True)
    assert not view.wrap_check.isChecked()
    assert "Word wrap is not available" in view.highlight_label.text()


def test_saving_a_body_writes_it_off_the_ui_thread(qtbot, tmp_path) -> None:
    from inspector.core.exchange import Exchange, Hop, Response
    from inspector.core.request import RequestSpec
    from inspector.ui.response_view import ResponseView

    view = ResponseView()
    qtbot.addWidget(view)
    body = b'{"a": 1}' * 1000
    response = Response(200, "OK", (("Content-Type", "application/json"),), body, len(body))
    with qtbot.waitSignal(view.highlight_done, timeout=10_000):  # no highlighting left running at teardown
        view.show_exchange(Exchange(RequestSpec(url="http://h/"), (Hop("GET", "http://h/", (), response=response),)))
    target = tmp_path / "body.json"
    with qtbot.waitSignal(view.body_saved, timeout=10_000):
        view.save_in_background(str(target))
    assert target.read_bytes() == body
    assert f"to {target}" in view.notice_label.text() and "Saved" in view.notice_label.text()


def test_a_find_going_on_in_steps_stops_when_the_view_shuts_down(qtbot, monkeypatch) -> None:
    """A tab closed while a long find runs in steps: its end would start a job on the closed runner."""
    import sys

    from inspector.ui import body_view

    monkeypatch.setattr(body_view, "FIND_STEP_S", 0.0)  # every window in a step of its own
    monkeypatch.setattr(body_view, "FIND_WINDOW", 1024)
    view = ResponseView(theme=LIGHT)
    qtbot.addWidget(view)
    body = ("línea de texto número uno\n" * 40_000).encode()  # not ASCII: found in steps, case-insensitively
    assert len(body) > LARGE_BODY_BYTES
    with qtbot.waitSignal(view.body_ready, timeout=40_000):
        view.show_exchange(exchange(200, body, "text/plain"))
    view.open_find()
    view.find_bar.field.setText("AGUJA")
    finished: list[bool] = []
    view.large_view.find_finished.connect(finished.append)
    errors: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _t, exc, _tb: errors.append(exc))
    view.find_next()
    assert view.find_bar.result.text() == "Searching…"
    view.shutdown()
    qtbot.wait(300)
    assert finished == [] and errors == []
