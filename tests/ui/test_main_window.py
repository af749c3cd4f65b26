"""The window driven as a user would: type a URL, press Ctrl+Enter, read the status and the body.

Every test talks to a real loopback server started by the `http_server` fixture.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from inspector.core.request import Body, Header, RequestSpec
from inspector.ui.main_window import MainWindow, spec_from_settings, spec_to_settings
from inspector.ui.request_editor import NO_PROFILE
from tests.support.servers import QuietHandler

RELEASE = threading.Event()  # lets a slow handler finish early when its test is over


class Handler(QuietHandler):
    def _send(self, status: int, body: bytes, ctype: str = "application/json", **headers: str) -> None:
        self.reply(status, body, {"Content-Type": ctype, **{k.replace("_", "-"): v for k, v in headers.items()}})

    def do_GET(self) -> None:
        if self.path.startswith("/json"):
            self._send(200, json.dumps({"path": self.path, "items": [1, 2]}).encode())
        elif self.path == "/missing":
            self._send(404, b'{"error":"not_found"}')
        elif self.path == "/old":
            self._send(302, b"", "text/plain", Location="/json?from=old")
        elif self.path == "/slow":
            RELEASE.wait(5)  # bounded: the test cancels long before, then releases it
            self._send(200, b'{"late":true}')
        elif self.path == "/big":
            self._send(200, b"x" * 200_000, "text/plain")
        else:
            self._send(500, b"boom", "text/plain")

    def do_POST(self) -> None:
        body = self.read_body()
        echo = {"content_type": self.headers.get("Content-Type"), "body": body.decode()}
        self._send(201, json.dumps(echo).encode())


@pytest.fixture
def server(http_server) -> str:
    RELEASE.clear()
    url = http_server(Handler)
    yield url
    RELEASE.set()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings: QSettings) -> MainWindow:
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def type_url_and_send(qtbot, window: MainWindow, url: str) -> None:
    window.editor.url_edit.clear()
    qtbot.keyClicks(window.editor.url_edit, url)
    qtbot.keyClick(window.editor.url_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_type_url_press_ctrl_enter_read_status_and_body(qtbot, window: MainWindow, server: str) -> None:
    with qtbot.waitSignal(window.exchange_received, timeout=15_000):
        type_url_and_send(qtbot, window, f"{server}/json?q=1")
    view = window.response_view
    assert view.status_label.text() == "200"
    assert view.reason_label.text() == "OK"
    assert json.loads(view.body_text()) == {"path": "/json?q=1", "items": [1, 2]}
    assert '\n  "items": [' in view.body_text()  # pretty-printed
    assert window.editor.send_button.isEnabled()
    assert window.editor.params_table.rows() == [("q", "1", True)]


def test_send_button_and_404(qtbot, window: MainWindow, server: str) -> None:
    window.editor.set_spec(RequestSpec(url=f"{server}/missing"))
    with qtbot.waitSignal(window.exchange_received, timeout=15_000):
        qtbot.mouseClick(window.editor.send_button, Qt.MouseButton.LeftButton)
    assert window.response_view.status_label.text() == "404"
    assert window.response_view.body_text() == '{\n  "error": "not_found"\n}'


def test_a_bad_url_is_reported_under_the_url_bar_not_sent(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.send_failed, timeout=5_000) as blocker:
        type_url_and_send(qtbot, window, "example.com/items")
    assert "has no scheme" in blocker.args[0]
    assert window.editor.message_label.isVisible()
    assert "has no scheme" in window.editor.message_label.text()
    assert not window.sending


def test_json_body_is_sent_with_its_content_type(qtbot, window: MainWindow, server: str) -> None:
    window.editor.set_spec(RequestSpec("POST", f"{server}/echo", body=Body("json", '{"n": 1}')))
    with qtbot.waitSignal(window.exchange_received, timeout=15_000) as blocker:
        window.send()
    echo = json.loads(blocker.args[0].response.body)
    assert echo == {"content_type": "application/json", "body": '{"n": 1}'}
    assert window.response_view.status_label.text() == "201"


def test_redirects_are_followed_and_every_hop_listed(qtbot, window: MainWindow, server: str) -> None:
    with qtbot.waitSignal(window.exchange_received, timeout=15_000):
        type_url_and_send(qtbot, window, f"{server}/old")
    assert window.response_view.status_label.text() == "200"
    tree = window.response_view.hops_tree
    assert tree.topLevelItemCount() == 2
    assert tree.topLevelItem(0).text(2) == "302 Found"
    assert tree.topLevelItem(1).text(1) == f"GET {server}/json?from=old"


def test_escape_cancels_at_once_and_a_late_answer_is_ignored(qtbot, window: MainWindow, server: str) -> None:
    received = []
    window.exchange_received.connect(lambda e, d: received.append(e))
    type_url_and_send(qtbot, window, f"{server}/slow")
    assert window.sending
    assert window.response_view.status_label.text() == "Sending…"
    qtbot.waitUntil(lambda: window.response_view.elapsed_label.text() not in ("", "0.0 s"), timeout=5_000)
    with qtbot.waitSignal(window.cancelled, timeout=2_000):
        qtbot.keyClick(window.editor.url_edit, Qt.Key.Key_Escape)
    assert not window.sending
    assert window.response_view.status_label.text() == "Cancelled"
    assert window.editor.send_button.isEnabled()
    RELEASE.set()  # the server answers now; the window must not show it
    qtbot.waitUntil(lambda: len(window.jobs) == 0, timeout=10_000)
    assert received == []
    assert window.response_view.status_label.text() == "Cancelled"


def job_threads() -> list[threading.Thread]:
    """Threads the window's job runners started (jobs.py names them inspector-<slot>)."""
    slots = ("inspector-send", "inspector-explain", "inspector-body", "inspector-save", "inspector-jwks")
    return [t for t in threading.enumerate() if t.name in slots]


def test_shutdown_cancels_and_joins_the_send_in_flight(qtbot, window: MainWindow, server: str) -> None:
    received = []
    window.exchange_received.connect(lambda e, d: received.append(e))
    type_url_and_send(qtbot, window, f"{server}/slow")
    qtbot.waitUntil(lambda: bool(job_threads()), timeout=5_000)
    window.shutdown()  # the server still holds the answer: the cancel must end the job, and shutdown waits
    assert job_threads() == [] and len(window.jobs) == 0
    qtbot.wait(50)
    assert received == []


def test_shutdown_waits_for_the_tabs_jobs_too(qtbot, window: MainWindow) -> None:
    """Closing a tab never waits for its jobs, closing the window does (bounded), even where no exit hook
    runs (a script, an embedding): a body being saved to a slow disk, say, that cannot see its cancel."""
    import time

    tab = window.current_tab()
    job = tab.response_view.jobs.start("save", lambda _job: time.sleep(1.0))
    window.shutdown()
    assert job.cancel.is_set() and not job.is_alive()


def test_destroying_the_window_cancels_its_jobs_and_the_send_ends_on_its_own(qtbot, settings: QSettings,
                                                                            server: str) -> None:
    """No shutdown(): the window's job runner goes with it and cancels its send without waiting for it (the
    UI thread never joins a worker while the app goes on); the cancelled send stops on its own, and a thread
    still running when the app quits is joined by the exit hooks (test_jobs)."""
    from shiboken6 import Shiboken

    from inspector.ui import jobs

    win = MainWindow(settings)
    win.show()
    type_url_and_send(qtbot, win, f"{server}/slow")
    qtbot.waitUntil(lambda: bool(job_threads()), timeout=5_000)
    sends = [job for state in jobs._STATES for job in state.jobs if job.name.startswith("send")]
    assert sends
    Shiboken.delete(win)
    assert all(job.cancel.is_set() for job in sends)
    qtbot.waitUntil(lambda: job_threads() == [], timeout=5_000)


def test_connection_refused_shows_kind_and_message(qtbot, window: MainWindow, http_server) -> None:
    url = http_server(Handler)
    port = url.rsplit(":", 1)[1]
    from socket import socket

    with socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    assert str(dead) != port
    with qtbot.waitSignal(window.exchange_received, timeout=15_000):
        type_url_and_send(qtbot, window, f"http://127.0.0.1:{dead}/")
    assert window.response_view.status_label.text() == "Error: connection"
    assert "refused" in window.response_view.notice_label.text()


def test_geometry_panes_and_last_request_survive_a_restart(qtbot, settings: QSettings, server: str) -> None:
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    first.editor.set_spec(RequestSpec("POST", f"{server}/echo?access_token=abcdefghijklmnop",
                                      (Header("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.secretpart"),
                                       Header("X-Trace", "7")), Body("text", "hello")))
    first.resize(760, 560)  # inside the offscreen screen (800x600), so restoring does not clamp it
    first.main_splitter.setSizes([500, 250])
    sizes = first.main_splitter.sizes()
    first.close()

    stored = Path(settings.fileName()).read_text()
    assert "secretpart" not in stored and "abcdefghijklmnop" not in stored

    second = MainWindow(settings)
    qtbot.addWidget(second)
    second.show()
    spec = second.editor.to_spec()
    assert spec.method == "POST" and spec.body == Body("text", "hello")
    assert spec.url.startswith(f"{server}/echo?access_token=")
    auth = spec.headers[0]
    assert auth.name == "Authorization" and not auth.enabled and auth.value.startswith("Bearer eyJhbG")
    assert "secretpart" not in auth.value
    assert spec.headers[1] == Header("X-Trace", "7")
    assert second.size() == first.size()
    assert second.main_splitter.sizes() == sizes
    second.shutdown()


def test_opens_with_demo_requests_ready_to_send(qtbot, settings: QSettings, server: str) -> None:
    demos = [("JSON", RequestSpec(url=f"{server}/json")), ("Missing", RequestSpec(url=f"{server}/missing"))]
    win = MainWindow(settings, demo_requests=demos, prefer_demo=True)
    qtbot.addWidget(win)
    win.show()
    assert win.editor.url_edit.text() == f"{server}/json"
    assert win.examples_combo.count() == 3
    win.examples_combo.activated.emit(2)
    assert win.editor.url_edit.text() == f"{server}/missing"
    assert win.examples_combo.currentIndex() == 2
    with qtbot.waitSignal(win.exchange_received, timeout=15_000):
        qtbot.keyClick(win.editor.url_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert win.response_view.status_label.text() == "404"
    win.shutdown()


def test_profile_picker_is_in_the_url_row(window: MainWindow) -> None:
    assert window.profile_picker is window.editor.profile_picker
    assert window.profile_picker.currentText() == NO_PROFILE
    url_row_y = window.editor.url_edit.geometry().center().y()
    assert abs(window.profile_picker.geometry().center().y() - url_row_y) < 5


@pytest.mark.parametrize(
    ("spec", "hidden"),
    [
        (RequestSpec(url="http://h/?api_key=topsecretvalue1"), "topsecretvalue1"),
        (RequestSpec(url="http://h/", headers=(Header("X-API-Key", "topsecretvalue2"),)), "topsecretvalue2"),
        (RequestSpec(url="http://h/", body=Body("json", '{"password": "topsecretvalue3"}')), "topsecretvalue3"),
        (RequestSpec(url="http://user:topsecretvalue4@h/"), "topsecretvalue4"),
    ],
)
def test_saved_request_never_holds_secrets(spec: RequestSpec, hidden: str) -> None:
    text = spec_to_settings(spec)
    assert hidden not in text
    restored = spec_from_settings(text)
    assert restored is not None and restored.method == spec.method


def test_unreadable_saved_request_is_forgotten() -> None:
    assert spec_from_settings("{not json") is None
    assert spec_from_settings(None) is None


def test_ctrl_l_focuses_the_url(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    window.response_view.body_view.setFocus()
    window.focus_url_action.trigger()
    qtbot.waitUntil(lambda: window.editor.url_edit.hasFocus() or window.focusWidget() is window.editor.url_edit)
    assert window.focus_url_action.shortcut().toString() == "Ctrl+L"
    assert {s.toString() for s in window.send_action.shortcuts()} == {"Ctrl+Return", "Ctrl+Enter"}


def test_a_one_line_body_is_loaded_in_the_background_in_short_lines(qtbot, window: MainWindow, server: str) -> None:
    signals = [window.exchange_received, window.response_view.body_ready]
    with qtbot.waitSignals(signals, timeout=15_000):
        type_url_and_send(qtbot, window, f"{server}/big")
    assert window.response_view.size_label.text() == "195.3 KB"
    lines = window.response_view.body_view.toPlainText().split("\n")
    assert len(lines) == 50 and {len(line) for line in lines} == {4000}



def test_a_request_saved_by_the_previous_version_still_opens() -> None:
    old = json.dumps({
        "method": "POST", "url": "http://h/x",
        "headers": [{"name": "Authorization", "value": "Bearer abcdef…", "enabled": False},
                    {"name": "X-Trace", "value": "7", "enabled": True}],
        "body": {"kind": "form", "text": "", "fields": [{"name": "a", "value": "1", "is_file": False,
                                                          "enabled": True}]},
        "timeout_s": 12.0, "follow_redirects": False, "verify_tls": True, "profile": None, "version": 1,
    })
    spec = spec_from_settings(old)
    assert spec is not None and spec.method == "POST" and spec.timeout_s == 12.0 and not spec.follow_redirects
    assert spec.headers == (Header("Authorization", "Bearer abcdef…", False), Header("X-Trace", "7"))
    assert spec.body.kind == "form" and [(f.name, f.value) for f in spec.body.fields] == [("a", "1")]


def test_the_saved_request_is_masked_like_history() -> None:
    from inspector.core.exchange import Exchange
    from inspector.core.redact import exchange_scrubber, mask_spec

    spec = RequestSpec("POST", "http://h/x?api_key=topsecretvalue1",
                       (Header("X-Custom-Token", "topsecretvalue2"), Header("X-Trace", "7")),
                       Body("text", "echo topsecretvalue1 back"))
    saved = spec_from_settings(spec_to_settings(spec))
    history = mask_spec(spec, exchange_scrubber(Exchange(spec)))
    assert saved is not None
    assert (saved.url, saved.body) == (history.url, history.body)  # by name and by value, as in history
    assert "topsecretvalue1" not in saved.body.text
    masked_token = history.headers[0].value
    assert saved.headers == (Header("X-Custom-Token", masked_token, False), Header("X-Trace", "7"))
