"""The panes of an empty tab are cheap: what only a response, a result or a {{variable}} needs is made (and
imported) when first needed, and then works as if it had always been there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.request import Header, RequestSpec
from inspector.ui.explainer_panel import ExplainerPanel
from inspector.ui.lazy import is_built
from inspector.ui.main_window import MainWindow
from inspector.ui.response_view import ResponseView

ROOT = Path(__file__).resolve().parents[2]
URL = "http://127.0.0.1:9/thing"
# what an empty tab's panes must not import: the body pipeline, the large-body view, the cookie table, the
# explanation's story, evidence and timeline, and the {{variables}} marks
NOT_FOR_EMPTY_PANES = ("inspector.core.highlight", "pygments", "inspector.ui.workers", "inspector.ui.body_view",
                       "inspector.ui.cookies_view", "inspector.ui.timeline_widget",
                       "inspector.core.diagnosis.story", "inspector.core.diagnosis.evidence",
                       "inspector.ui.variable_marks", "inspector.core.textfind")
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJl"


def exchange(body: bytes = b'{"a": 1}') -> Exchange:
    response = Response(401, "Unauthorized", (("Content-Type", "application/json"), ("X-Trace", "t-1")), body,
                        len(body), False)
    return Exchange(spec=RequestSpec(url=URL), hops=(Hop("GET", URL, (), b"", response, 0.01),))


@pytest.mark.smoke
def test_an_empty_tab_imports_nothing_only_a_response_needs(tmp_path: Path) -> None:
    code = f"""
import json, sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from inspector.core.request import Header, RequestSpec
from inspector.ui.main_window import MainWindow
window = MainWindow(QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat))
window.show()
tab = window.current_tab()
tab.ensure_panels()
tab.set_spec(RequestSpec(url="http://127.0.0.1:9/x", headers=(Header("Accept", "*/*"),)))
app.processEvents()
print(json.dumps([m for m in {NOT_FOR_EMPTY_PANES!r} if m in sys.modules]))
window.shutdown()
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=False, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_response_tabs_are_made_when_shown_or_filled(response_view: ResponseView, qtbot) -> None:
    view = response_view
    lazy = ("raw_view", "raw_large", "large_view", "hex_view", "image_area", "headers_table", "hops_tree",
            "cookies_view")
    assert not any(is_built(view, name) for name in lazy)
    view.tabs.setCurrentWidget(view.raw_page)  # an empty Raw tab shows an empty text view, as before
    assert is_built(view, "raw_view") and view.raw_page.currentWidget() is view.raw_view
    view.tabs.setCurrentWidget(view.headers_page)
    assert is_built(view, "headers_table") and view.headers_table.isVisible()
    assert view.headers_table.rowCount() == 0
    view.show_exchange(exchange())
    assert view.tabs.tabText(2) == "Headers (2)"
    assert [view.headers_table.item(r, 0).text() for r in range(2)] == ["Content-Type", "X-Trace"]
    view.tabs.setCurrentWidget(view.raw_page)
    qtbot.waitUntil(lambda: view.raw_view.toPlainText().startswith("HTTP/1.1 401 Unauthorized\n"))
    view.tabs.setCurrentWidget(view.cookies_page)
    assert view.cookies_page.currentWidget() is view.cookies_view and view.cookies_view.isVisible()
    assert not is_built(view, "large_view")  # a small body never needs the large-body view


def test_a_redirects_tab_filled_before_it_is_shown(response_view: ResponseView) -> None:
    response_view.show_exchange(exchange())
    assert response_view.hops_tree.topLevelItemCount() == 1
    response_view.tabs.setCurrentWidget(response_view.hops_page)
    assert response_view.hops_page.currentWidget() is response_view.hops_tree
    assert response_view.hops_tree.isVisible()


def test_the_explainer_makes_its_result_parts_with_the_first_result(qtbot) -> None:
    from inspector.core.diagnosis import Diagnosis

    panel = ExplainerPanel()
    qtbot.addWidget(panel)
    panel.resize(500, 700)
    panel.show()
    assert not is_built(panel, "result_box") and not is_built(panel, "paste_box")
    assert panel.placeholder.isVisible()
    assert panel.fix_buttons() == {} and panel.retry_outcome() is None
    panel.set_result(exchange(), Diagnosis(verdict="no-credential", summary="No credential was sent."))
    assert panel.result_box.isVisible() and not panel.placeholder.isVisible()
    assert panel.verdict_title.text()
    panel.clear()
    assert not panel.result_box.isVisible() and panel.placeholder.isVisible()
    panel.shutdown()


def test_the_decoder_tab_makes_its_paste_box_when_shown(qtbot) -> None:
    panel = ExplainerPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.sections.setCurrentWidget(panel.decoder_area)
    assert is_built(panel, "paste_box") and panel.paste_box.isVisible()
    panel.sections.setCurrentIndex(0)
    other = ExplainerPanel()
    qtbot.addWidget(other)
    other.show()
    other.paste_token(JWT)  # a drop or a paste makes it too, and brings its tab to the front
    assert other.sections.currentWidget() is other.decoder_area
    assert other.paste_box.result() is not None and other.paste_box.isVisible()
    panel.shutdown()
    other.shutdown()


@pytest.fixture
def window(qtbot, tmp_path: Path):
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    yield win
    win.shutdown()


def test_a_new_tab_leaves_its_editor_pages_unbuilt_until_shown(window: MainWindow) -> None:
    """Headers, Body and Options are built when first shown (test_editor_lazy_pages.py has the rest)."""
    tab = window.current_tab()
    tab.ensure_panels()
    tab.set_spec(RequestSpec(url="http://127.0.0.1:9/x", headers=(Header("Accept", "*/*"),)))
    assert not tab.editor.pages_built
    tab.editor.tabs.setCurrentIndex(1)
    assert tab.editor.pages_built and tab.editor.headers_table.rows() == [("Accept", "*/*", True)]


def test_marks_are_made_only_for_a_form_with_variables(window: MainWindow, qtbot) -> None:
    tab = window.current_tab()
    tab.ensure_panels()
    tab.set_spec(RequestSpec(url="http://127.0.0.1:9/x", headers=(Header("Accept", "*/*"),)))
    assert tab._marks is None
    tab.set_spec(RequestSpec(url="http://127.0.0.1:9/x", headers=(Header("X-Tenant", "{{tenant}}"),)))
    assert tab._marks is not None  # a {{variable}} in a header only: set_spec makes the marks
    assert tab.marks.unresolved() == ["tenant"]
    assert "{{tenant}}" in tab.marks.line.text()


def test_a_variable_typed_into_a_header_makes_the_marks(window: MainWindow, qtbot) -> None:
    tab = window.current_tab()
    assert tab._marks is None
    tab.editor.headers_table.set_rows([("X-Tenant", "{{tenant}}", True)])
    tab.editor.spec_changed.emit()  # what an edit of a cell sends
    assert tab._marks is not None and tab.marks.unresolved() == ["tenant"]


def test_a_restored_tab_with_variables_is_marked(window: MainWindow, tmp_path: Path) -> None:
    tab = window.new_tab(RequestSpec(url="http://127.0.0.1:9/x"))
    assert tab._marks is None
    tab.bind_restored(tmp_path / "gone.toml", RequestSpec(url="{{base}}/x"), dirty=True)
    assert tab._marks is not None and tab.marks.unresolved() == ["base"]


def test_the_first_send_imports_what_its_answer_needs_on_a_worker(tmp_path: Path) -> None:
    """The panes are lazy, but the first answer must not make the UI thread import them: they are imported
    on a job while the request is in flight (a slow server here, so the answer comes after). Nor may the
    first send itself import requests there (the token cache and the sign-in wait need it): SEND_MODULES are
    imported on the send's job first."""
    code = f"""
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from inspector.ui.tab import RESULT_MODULES, SEND_MODULES

on_ui_thread = []
WATCHED = {{*RESULT_MODULES, *SEND_MODULES, "requests", "urllib3"}}

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in WATCHED and threading.current_thread() is threading.main_thread():
            on_ui_thread.append(name)
        return None

sys.meta_path.insert(0, Watch())

class Slow(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(1.5)
        body = b'{{"error": "invalid_token"}}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
threading.Thread(target=server.serve_forever, daemon=True).start()
app = QApplication([])
from inspector.core.request import RequestSpec
from inspector.ui.main_window import MainWindow
window = MainWindow(QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat))
window.show()
window.current_tab().ensure_panels()
done = []
window.result_received.connect(done.append)
window.current_tab().set_spec(RequestSpec(url=f"http://127.0.0.1:{{server.server_address[1]}}/x"))
window.send()
deadline = time.monotonic() + 30
while not done and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
print(json.dumps({{"answered": bool(done), "on_ui_thread": on_ui_thread,
                  "loaded": [m for m in RESULT_MODULES if m in sys.modules]}}))
window.shutdown()
server.shutdown()
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=False, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    from inspector.ui.tab import RESULT_MODULES

    assert out == {"answered": True, "on_ui_thread": [], "loaded": list(RESULT_MODULES)}


def test_a_send_waiting_for_its_modules_is_busy_and_can_be_cancelled(window: MainWindow, qtbot, tmp_path: Path,
                                                                      monkeypatch, http_server) -> None:
    """The first send of a window imports SEND_MODULES on its job before it starts: the tab is busy meanwhile,
    Cancel drops the send, and a send that is not cancelled goes on once they are imported."""
    import threading

    from inspector.ui import tab as tab_module
    from tests.support.servers import answering

    gate = threading.Event()
    (tmp_path / "zz_slow_send_module.py").write_text(
        "import sys\nsys.modules['tests_gate'].wait(20)\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "tests_gate", gate)
    monkeypatch.setattr(tab_module, "SEND_MODULES", ("zz_slow_send_module",))
    url = http_server(answering(200, b"ok", {"Content-Type": "text/plain"}))
    tab = window.current_tab()
    tab.set_spec(RequestSpec(url=f"{url}/x"))
    received: list[object] = []
    window.exchange_received.connect(lambda *args: received.append(args))

    assert window.send()
    assert tab.sending and tab.editor.cancel_button.isEnabled()  # busy while the modules are imported
    tab.cancel()
    assert not tab.sending
    gate.set()
    qtbot.wait(300)  # the import ends; the cancelled send must not start
    assert received == [] and "zz_slow_send_module" in sys.modules

    monkeypatch.delitem(sys.modules, "zz_slow_send_module")
    with qtbot.waitSignal(window.exchange_received, timeout=20_000):
        assert window.send()  # imported again (the gate is open): this one goes on
    assert len(received) == 1


def test_the_explanations_parts_are_made_while_the_request_is_in_flight(window: MainWindow, qtbot,
                                                                          http_server) -> None:
    import threading

    from tests.support.servers import answering

    gate = threading.Event()
    url = http_server(answering(401, b'{"error": "invalid_token"}', {"Content-Type": "application/json"},
                                gate=gate, gate_s=20))
    tab = window.new_tab(RequestSpec(url=f"{url}/x"))
    assert not is_built(tab.explainer, "result_box")
    try:
        assert window.send()
        qtbot.waitUntil(lambda: is_built(tab.explainer, "result_box"), timeout=10_000)
        assert tab.sending and not tab.explainer.result_box.isVisible()  # made, hidden, before the answer
    finally:
        gate.set()
    with qtbot.waitSignal(window.exchange_received, timeout=20_000):
        pass
    assert tab.explainer.result_box.isVisibleTo(tab.explainer) and tab.explainer.verdict() == "authentication"
