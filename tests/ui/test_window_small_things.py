"""The small things a user notices: Ctrl+Enter mid-edit, the wheel over value boxes, the first focus, a header
a profile replaces, pretty HTML, the timeout box, Find's count, and the token decoder's own tab."""

from __future__ import annotations

import json
import textwrap
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QFontMetricsF, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit, QWidget

from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.profiles import FileSecretStore, ProfileStore
from inspector.core.request import Header, RequestSpec
from inspector.ui.explainer_panel import ExplainerPanel
from inspector.ui.main_window import MainWindow
from inspector.ui.profiles_model import ProfilesModel
from inspector.ui.request_editor import RequestEditor, profile_header_names
from inspector.ui.response_view import LARGE_BODY_BYTES, ResponseView
from inspector.ui.theme import LIGHT


class Echo(BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps({"probe": self.headers.get("X-Probe")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    win.ensure_panels()
    qtbot.waitExposed(win)
    yield win
    win.shutdown()


def _wheel(widget: QWidget, up: bool = False) -> None:
    """One notch of the mouse wheel over the middle of the widget (down: the value goes down)."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 if up else -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


# -- Ctrl+Enter while a cell is being edited -----------------------------------------------------------------
def test_ctrl_enter_in_a_header_cell_sends_what_was_typed(qtbot, window: MainWindow, http_server) -> None:
    url = http_server(Echo)
    window.editor.set_spec(RequestSpec(url=f"{url}/x", headers=(Header("X-Probe", "old"),)))
    window.activateWindow()
    qtbot.waitActive(window)
    table = window.editor.headers_table
    window.editor.tabs.setCurrentIndex(1)
    table.setCurrentCell(0, 2)
    if table.state() != QAbstractItemView.State.EditingState:  # a current-cell edit trigger opens it already
        table.editItem(table.item(0, 2))
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and table.viewport().isAncestorOf(editor)
    editor.selectAll()
    qtbot.keyClicks(editor, "new")
    with qtbot.waitSignal(window.exchange_received, timeout=15_000) as sent:
        qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    exchange, _diagnosis = sent.args
    assert exchange.spec.header("X-Probe") == "new"
    assert json.loads(exchange.response.body) == {"probe": "new"}
    assert table.row_values(0) == ("X-Probe", "new", True)  # the cell holds it too, its editor closed


# -- the wheel changes a value box only when it has the focus -----------------------------------------------
def test_the_wheel_over_the_leeway_box_does_not_change_it_or_re_explain(qtbot) -> None:
    panel = ExplainerPanel()
    qtbot.addWidget(panel)
    panel.show()
    leeway = panel.expectations_box.leeway
    heard: list[object] = []
    panel.expectations_changed.connect(heard.append)
    assert leeway.focusPolicy() == Qt.FocusPolicy.StrongFocus  # a wheel does not give it the focus either
    _wheel(leeway)
    _wheel(leeway)
    leeway.editingFinished.emit()  # as leaving it would
    assert leeway.value() == 60 and heard == []
    # with the focus (clicked or tabbed to) the wheel does change it
    leeway.setFocus()
    qtbot.waitUntil(leeway.hasFocus)
    _wheel(leeway, up=True)
    assert leeway.value() == 61


def test_the_wheel_over_the_method_and_timeout_boxes_changes_nothing(qtbot) -> None:
    editor = RequestEditor()
    qtbot.addWidget(editor)
    editor.show()
    for box in (editor.method_combo, editor.timeout_spin, editor.body_kind_combo, editor.profile_picker):
        assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus
    before = editor.to_spec()
    for box in (editor.method_combo, editor.timeout_spin, editor.body_kind_combo):
        _wheel(box)
    assert editor.to_spec() == before and editor.to_spec().method == "GET"


# -- the first focus -----------------------------------------------------------------------------------------
def test_focus_starts_on_the_url_field(qtbot, window: MainWindow) -> None:
    assert window.focusWidget() is window.editor.url_edit
    assert window.editor.url_edit.selectedText() == ""  # typing adds to the URL, it does not replace it


# -- a header the profile replaces ---------------------------------------------------------------------------
def _bearer_profiles(tmp_path: Path) -> ProfilesModel:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "billing.toml").write_text(textwrap.dedent("""\
        format = 1
        name = "Billing"
        kind = "bearer"
        [credentials]
        token = "${env:TOKEN}"
    """), encoding="utf-8")
    (folder / "keyed.toml").write_text(textwrap.dedent("""\
        format = 1
        name = "Keyed"
        kind = "api-key"
        [credentials]
        name = "X-Api-Key"
        value = "${env:KEY}"
    """), encoding="utf-8")
    return ProfilesModel(ProfileStore(folder, []), FileSecretStore(tmp_path / "data"),
                         env={"TOKEN": "t", "KEY": "k"})


def test_an_enabled_authorization_row_says_the_profile_replaces_it(qtbot, tmp_path: Path) -> None:
    model = _bearer_profiles(tmp_path)
    with qtbot.waitSignal(model.profiles_changed, timeout=10_000):
        pass
    editor = RequestEditor()
    qtbot.addWidget(editor)
    editor.profile_picker.bind(model)
    editor.set_spec(RequestSpec(url="https://api.example.com/", headers=(
        Header("Authorization", "Bearer mine"), Header("authorization", "Bearer off", enabled=False),
        Header("X-Api-Key", "k1"), Header("Accept", "*/*"))))
    table = editor.headers_table
    assert [table.row_note(r) for r in range(4)] == ["", "", "", ""]  # no profile: nothing replaced

    billing = next(p for p in model.profiles if p.name == "Billing")
    editor.profile_picker.select_identity(billing.identity)
    note = table.row_note(0)
    assert "Billing" in note and "Replaced" in note
    assert table.item(0, 1).font().italic() and table.item(0, 2).font().italic()
    assert note in table.item(0, 1).toolTip()
    assert table.row_note(1) == ""  # a row that is off is not sent anyway
    assert table.row_note(2) == "" and table.row_note(3) == ""

    keyed = next(p for p in model.profiles if p.name == "Keyed")
    editor.profile_picker.select_identity(keyed.identity)
    assert table.row_note(0) == "" and not table.item(0, 1).font().italic()
    assert "Keyed" in table.row_note(2)  # its API key header, whatever its case

    table.set_row_enabled(2, False)  # unticked: the profile no longer replaces anything the user sends
    assert table.row_note(2) == ""


@pytest.mark.parametrize(("kind", "credentials", "names"), [
    ("none", {}, ()),
    ("basic", {}, ("Authorization",)),
    ("bearer", {}, ("Authorization",)),
    ("digest", {}, ("Authorization",)),
    ("oauth2-client-credentials", {}, ("Authorization",)),
    ("api-key", {"name": "X-Key"}, ("X-Key",)),
    ("api-key", {}, ("X-API-Key",)),
    ("api-key", {"name": "key", "in": "query"}, ()),
])
def test_the_headers_each_kind_of_profile_sets(kind: str, credentials: dict[str, str],
                                               names: tuple[str, ...]) -> None:
    class Profile:
        def __init__(self) -> None:
            self.kind = kind

        def credential(self, name: str) -> str | None:
            return credentials.get(name)

    assert profile_header_names(Profile()) == names


# -- pretty HTML, the timeout box ----------------------------------------------------------------------------
def _exchange(body: bytes, content_type: str) -> Exchange:
    response = Response(200, "OK", (("Content-Type", content_type),), body, len(body))
    spec = RequestSpec(url="http://127.0.0.1:9/page")
    return Exchange(spec, (Hop("GET", spec.url, (), b"", response, 0.01),))


@pytest.fixture
def view(qtbot) -> ResponseView:
    widget = ResponseView(theme=LIGHT)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    yield widget
    widget.shutdown()


def test_an_html_body_is_pretty_printed(view: ResponseView, qtbot) -> None:
    page = (b"<!DOCTYPE html><html><head><title>401</title></head>"
            b"<body><h1>Unauthorized</h1><p>Sign in</p></body></html>")
    with qtbot.waitSignal(view.body_ready, timeout=10_000):
        view.show_exchange(_exchange(page, "text/html; charset=utf-8"))
    lines = view.body_text().splitlines()
    assert len(lines) > 5 and "  <body>" in lines and "    <h1>Unauthorized</h1>" in lines
    qtbot.waitUntil(lambda: "pretty" in view.highlight_label.text())
    view.pretty_check.setChecked(False)
    qtbot.waitUntil(lambda: view.body_text() == page.decode())


def test_the_timeout_box_does_not_stretch_across_the_options_tab(qtbot) -> None:
    editor = RequestEditor()
    qtbot.addWidget(editor)
    editor.resize(1400, 500)
    editor.show()
    editor.tabs.setCurrentIndex(3)
    QApplication.processEvents()
    spin = editor.timeout_spin
    assert spin.width() <= spin.sizeHint().width()
    assert spin.width() < editor.tabs.currentWidget().width() / 3


# -- Find counts the matches ---------------------------------------------------------------------------------
@pytest.mark.parametrize("large", [False, True], ids=["body", "large body"])
def test_find_says_which_match_of_how_many(view: ResponseView, qtbot, large: bool) -> None:
    line = '{"item": "needle"}, '
    count = 17
    filler = "x" * (LARGE_BODY_BYTES + 10) if large else ""
    body = ("[" + line * count + json.dumps(filler) + "]").encode()
    with qtbot.waitSignal(view.body_ready, timeout=30_000):
        view.show_exchange(_exchange(body, "application/json"))
    view.open_find()
    qtbot.keyClicks(view.find_bar.field, "NEEDLE")  # case-insensitive by default
    view.find_next()
    qtbot.waitUntil(lambda: view.find_bar.result.text() == f"1 of {count}", timeout=10_000)
    view.find_next()
    qtbot.waitUntil(lambda: view.find_bar.result.text() == f"2 of {count}", timeout=10_000)
    view.find_previous()
    view.find_previous()
    qtbot.waitUntil(lambda: view.find_bar.result.text() == f"{count} of {count}", timeout=10_000)
    view.find_bar.case.setChecked(True)
    view.find_next()
    qtbot.waitUntil(lambda: view.find_bar.result.text() == "Not found", timeout=10_000)


# -- the token decoder ---------------------------------------------------------------------------------------
def test_the_token_decoder_has_its_own_tab(qtbot) -> None:
    panel = ExplainerPanel()
    qtbot.addWidget(panel)
    panel.show()
    tabs = panel.sections
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Explanation", "Decode a token"]
    assert not panel.scroll_area.widget().isAncestorOf(panel.paste_box)  # not under the explanation
    assert tabs.currentWidget() is panel.scroll_area
    panel.paste_token("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyIn0.")
    assert tabs.currentWidget() is panel.decoder_area and panel.paste_box.isVisible()
    # the decoder's box sits at the top of its tab
    top = panel.paste_box.mapTo(panel.decoder_area.widget(), panel.paste_box.rect().topLeft()).y()
    assert top < QFontMetricsF(panel.font()).height() * 2


# -- a dialog that is closed is gone ---------------------------------------------------------------------------
def test_closed_dialogs_do_not_stay_behind_in_the_window(qtbot, tmp_path: Path, http_server, monkeypatch) -> None:
    """A window open all day: every report, curl, HAR, profiles or help dialog closed is freed (a report keeps
    the whole exchange, the profiles dialog answered every later reading of the folders)."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QDialog

    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.ensure_panels()
    model = _bearer_profiles(tmp_path)
    with qtbot.waitSignal(model.profiles_changed, timeout=10_000):
        window.set_profiles(model)
    url = http_server(Echo)
    window.editor.set_spec(RequestSpec(url=f"{url}/x"))
    with qtbot.waitSignal(window.exchange_received, timeout=15_000):
        window.send()
    har = tmp_path / "one.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [{
        "startedDateTime": "2026-11-28T10:00:00Z", "time": 1,
        "request": {"method": "GET", "url": f"{url}/x", "httpVersion": "HTTP/1.1", "headers": [],
                    "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                     "content": {"size": 0, "mimeType": "text/plain"}, "redirectURL": "", "headersSize": -1,
                     "bodySize": 0}, "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}}]}}),
        encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(QDialog, "exec", lambda self: shown.append(type(self).__name__) or 0)
    for _round in range(2):
        window.open_profiles_dialog()
        window.open_report()
        window.open_curl()
        window.open_har(str(har))
        window.open_shortcuts()
        window.open_quick_start()
        window.open_about()
        window.open_import().reject()  # shown, not exec()'d: freed once closed
    assert sorted(set(shown)) == ["AboutDialog", "CurlDialog", "HarDialog", "ProfilesDialog", "QuickStartDialog",
                                  "ReportDialog", "ShortcutsDialog"]

    def left() -> list[str]:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        return [type(d).__name__ for d in window.findChildren(QDialog)]

    qtbot.waitUntil(lambda: left() == [], timeout=5000)  # (freed on the next turn, its jobs cancelled)
    with qtbot.waitSignal(model.profiles_changed, timeout=10_000):
        model.reload()  # no closed dialog is left to answer it (a deleted one would raise here)
    window.shutdown()


def test_open_har_shows_a_file_read_on_a_job(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    """A HAR over SYNC_HAR_BYTES is read on a job: the dialog opens meanwhile (it was taken for a cancelled
    file chooser, and freed while its reading ran)."""
    from PySide6.QtWidgets import QDialog

    from inspector.ui import har_dialog

    har = tmp_path / "big.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": []}}), encoding="utf-8")
    monkeypatch.setattr(har_dialog, "SYNC_HAR_BYTES", 10)
    monkeypatch.setattr(har_dialog, "_choose_open_path", lambda *_a: str(har))
    shown: list[object] = []
    monkeypatch.setattr(QDialog, "exec", lambda self: shown.append(self) or 0)
    window.open_har()
    assert [type(d).__name__ for d in shown] == ["HarDialog"]
