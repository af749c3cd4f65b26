"""The window against hostile servers and files: the event loop keeps turning while a worker waits, cancel is
immediate, the message is clear, and no exception escapes into Qt or a worker thread."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from inspector.core.history import HistoryError, HistoryStore
from inspector.ui.main_window import MainWindow
from tests.support.evil_servers import response_head
from tests.support.qt import Ticker

DEEP = 100_000


@pytest.fixture
def escaped(monkeypatch) -> list[str]:
    """Exceptions that reach sys.excepthook (a Qt slot, a QRunnable) or threading.excepthook (a thread)."""
    seen: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: seen.append(f"{t.__name__}: {e}"))
    monkeypatch.setattr(threading, "excepthook", lambda a: seen.append(f"{a.exc_type.__name__}: {a.exc_value}"))
    return seen


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def send(window: MainWindow, url: str) -> None:
    window.editor.url_edit.setText(url)
    window.send()


def hang_before_headers(conn, request, server):
    server.stop.wait(20)


def stall_mid_body(conn, request, server):
    conn.sendall(response_head("200 OK", "Content-Length: 1000") + b"abc")
    server.stop.wait(20)


@pytest.mark.parametrize("handler", [hang_before_headers, stall_mid_body])
def test_ui_keeps_ticking_while_a_server_hangs_and_cancel_is_immediate(qtbot, window, evil_server, escaped,
                                                                       handler) -> None:
    server = evil_server(handler)
    ticker = Ticker()
    send(window, f"{server.url}/x")
    assert window.sending
    qtbot.waitUntil(lambda: len(server.requests) == 1, timeout=5_000)
    start = ticker.ticks
    qtbot.waitUntil(lambda: ticker.ticks >= start + 20, timeout=5_000)  # the loop turns while the worker waits
    assert window.sending
    window.cancel()
    assert not window.sending and window.editor.send_button.isEnabled()  # idle at once, not after a timeout
    assert window.response_view.status_label.text() == "Cancelled"
    server.stop.set()
    qtbot.waitUntil(lambda: len(window.jobs) == 0, timeout=10_000)
    assert escaped == []


def test_a_stalled_body_says_so_after_the_timeout(qtbot, window, evil_server, escaped) -> None:
    server = evil_server(stall_mid_body)
    window.editor.timeout_spin.setValue(0.5)
    with qtbot.waitSignal(window.exchange_received, timeout=15_000) as blocker:
        send(window, f"{server.url}/x")
    exchange = blocker.args[0]
    assert exchange.error.kind == "timeout"
    assert "stopped sending before the body was complete" in exchange.error.message
    server.stop.set()
    assert escaped == []


def deep_json(conn, request, server):
    body = b"[" * DEEP + b'{"access_token": "s3cr3t-value-never-shown"}' + b"]" * DEEP
    conn.sendall(response_head("401 Unauthorized", "Content-Type: application/json",
                               f"Content-Length: {len(body)}", 'WWW-Authenticate: Bearer error="invalid_token"')
                 + body)


def test_a_json_body_nested_100000_deep_is_shown_plain_and_explained(qtbot, window, evil_server,
                                                                      escaped) -> None:
    server = evil_server(deep_json)
    view = window.response_view
    ticker = Ticker()
    with qtbot.waitSignal(view.body_ready, timeout=30_000), \
            qtbot.waitSignal(window.exchange_received, timeout=15_000) as blocker:
        send(window, f"{server.url}/x")
    assert blocker.args[1] is not None  # the explanation survived the body
    assert window.result.problem("explain") is None
    qtbot.waitUntil(lambda: len(window.jobs) == 0, timeout=30_000)
    text = view.body_text()
    assert text.startswith("[[[[") and "s3cr3t-value-never-shown" not in text
    assert ticker.ticks > 0
    assert escaped == []


def test_a_damaged_history_costs_neither_the_explanation_nor_the_window(qtbot, tmp_path, evil_server,
                                                                        escaped) -> None:
    path = tmp_path / "history.sqlite3"
    from inspector.core.exchange import Exchange, Hop, Response
    from inspector.core.request import RequestSpec

    with HistoryStore(path) as store:
        for i in range(200):
            store.add(Exchange(RequestSpec(url=f"http://h/{i}"),
                               hops=(Hop("GET", f"http://h/{i}", (), response=Response(401, "U", (), b"x" * 4000,
                                                                                        4000)),)))
    data = bytearray(path.read_bytes())
    for offset in range(8192, len(data), 3 * 4096):  # keep the header: sqlite opens it, then fails on pages
        data[offset:offset + 2048] = b"\xa5" * 2048
    path.write_bytes(bytes(data))
    history = HistoryStore(path)
    with pytest.raises(HistoryError, match="is damaged .* move the file away"):
        history.count()  # a sentence, not sqlite3.DatabaseError

    server = evil_server(lambda conn, req, srv: conn.sendall(
        response_head("401 Unauthorized", "Content-Length: 2", 'WWW-Authenticate: Bearer error="invalid_token"')
        + b"no"))
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), history=history)
    qtbot.addWidget(win)
    win.show()
    win.history_action.setChecked(True)  # the pane opens on a damaged file and says so
    assert "is damaged" in win.history_pane.count_label.text()
    with qtbot.waitSignal(win.exchange_received, timeout=15_000) as blocker:
        send(win, f"{server.url}/x")
    _exchange, diagnosis = blocker.args
    assert diagnosis is not None and diagnosis.verdict == "authentication"
    problem = win.result.problem("history")
    assert problem is not None
    assert "not saved in the history" in problem.message
    assert "is damaged" in problem.message
    # shown, not only recorded: in the response's notice (it stays) and the status bar
    assert problem.message in win.response_view.notice_label.text()
    assert "not saved in the history" in win.statusBar().currentMessage()
    win.shutdown()
    assert escaped == []


@pytest.mark.parametrize("value", [
    "[" * DEEP + "]" * DEEP,
    '{"method": ' + "[" * DEEP + "]" * DEEP + "}",
    '{"url": 5, "headers": "abc", "timeout_s": "soon", "body": []}',
    "\x00\xff garbage",
], ids=["deep-array", "deep-inside-object", "wrong-types", "binary"])
def test_garbage_settings_still_open_the_window(qtbot, tmp_path, value: str, escaped) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("request/last", value)
    settings.setValue("window/geometry", "not bytes")
    settings.setValue("view/screenShareSafe", "maybe")
    settings.setValue("response/wordWrap", [1, 2])
    settings.sync()
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    assert win.editor.to_spec() is not None
    win.shutdown()
    assert escaped == []
