"""Transient labels (the URL message, notices, summaries, the banner, the status bar) never show a secret, in
normal or screen-share-safe mode; and text from a server or a file is never drawn as rich text.

A real window with qtbot: text is typed and pasted the way a user does, real loopback servers answer, real
profiles and secrets live in tmp_path. Every label the window can show is scanned.
"""

from __future__ import annotations

import html
import json
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import QApplication, QLabel, QStatusBar, QWidget

from inspector.core.history import HistoryStore
from inspector.core.profiles import FileSecretStore, ProfileStore, new_profile
from inspector.core.request import RequestSpec
from inspector.ui.har_dialog import HarDialog
from inspector.ui.main_window import MainWindow
from inspector.ui.profile_picker import ProfilePicker
from inspector.ui.profiles_model import ProfilesModel
from tests.support.secret_scan import find_secrets
from tests.support.servers import QuietHandler

USER_PASSWORD = "pw-SECRET-93817"
QUERY_KEY = "AK-SECRET-55512"
BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.BEARER-sig-SECRET-0042"
CLIENT_SECRET = "client-secret-SECRET-7781"
REFRESH_TOKEN = "refresh-token-SECRET-4410"
HOSTILE_REASON = '<img src="file:///etc/passwd"><b>200 OK</b>'
HOSTILE_MESSAGE = "<h1>Welcome</h1><img src='file:///etc/passwd'><a href='https://evil.example'>click</a>"


def label_texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every transient label: QLabels, the status bar's message, the window title."""
    for label in root.findChildren(QLabel):
        yield f"QLabel[{label.objectName()}]", label.text()
        if label.toolTip():
            yield f"QLabel[{label.objectName()}]/tooltip", label.toolTip()
    for bar in root.findChildren(QStatusBar):
        yield "statusBar", bar.currentMessage()
    yield "windowTitle", root.windowTitle()


def labels_holding(root: QWidget, secrets: list[str]) -> list[tuple[str, str]]:
    # a label may break a long value with zero-width spaces: compare what a reader sees
    return [(w, t) for w, t in label_texts(root) if any(s in t.replace("\u200b", "") for s in secrets)]


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    win.ensure_panels()
    return win


# -- item 5 (window half): the URL message while typing or pasting ------------------------------------------


@pytest.mark.parametrize("safe", [False, True], ids=["normal", "screen-share-safe"])
def test_typing_a_url_with_secrets_never_repeats_them_under_the_url_bar(qtbot, window: MainWindow,
                                                                         safe: bool) -> None:
    window.set_screen_share_safe(safe)
    url = f"https://alice:{USER_PASSWORD}@api.example.com/items?api_key={QUERY_KEY} and more"
    window.editor.url_edit.setFocus()
    qtbot.keyClicks(window.editor.url_edit, url)
    message = window.editor.message_label
    # the message is there, so the scan means something
    assert message.isVisible() and "space" in message.text()
    assert labels_holding(window, [USER_PASSWORD, QUERY_KEY]) == []
    window.send()  # refused: the same sentence, under the URL bar and in the status bar
    assert labels_holding(window, [USER_PASSWORD, QUERY_KEY]) == []


@pytest.mark.parametrize("safe", [False, True], ids=["normal", "screen-share-safe"])
def test_a_pasted_curl_command_with_a_bearer_token_is_never_repeated_in_a_label(qtbot, window: MainWindow,
                                                                               safe: bool) -> None:
    window.set_screen_share_safe(safe)
    command = (f"curl 'https://api.example.com/v1/orders?page=2' -H 'Authorization: Bearer {BEARER}' "
               "-H 'Accept: application/json'")
    QGuiApplication.clipboard().setText(command)
    edit = window.editor.url_edit
    edit.setFocus()
    qtbot.keySequence(edit, QKeySequence.StandardKey.Paste)
    # at the paste the URL message complains about the spaces; it must not quote the token
    assert labels_holding(window, [BEARER]) == []
    qtbot.waitUntil(lambda: window.editor.url_source() == "https://api.example.com/v1/orders?page=2")
    headers = [(h.name, h.value) for h in window.editor.to_spec().headers]
    assert ("Authorization", f"Bearer {BEARER}") in headers
    assert labels_holding(window, [BEARER]) == []
    if safe:  # and nothing else on screen shows it either: the headers table masks it
        assert find_secrets(window, [BEARER]) == []


def test_a_curl_command_that_cannot_be_imported_is_masked_in_safe_mode(qtbot, window: MainWindow) -> None:
    window.set_screen_share_safe(True)
    command = f"curl -H 'Authorization: Bearer {BEARER}' 'https://api.example.com/x"  # the quote never closes
    QGuiApplication.clipboard().setText(command)
    window.editor.url_edit.setFocus()
    qtbot.keySequence(window.editor.url_edit, QKeySequence.StandardKey.Paste)
    qtbot.waitUntil(lambda: "cannot be imported" in window.editor.message_label.text())
    assert find_secrets(window, [BEARER]) == []  # the URL bar too: it shows the command masked
    window.set_screen_share_safe(False)
    assert window.editor.url_source() == command  # nothing typed was lost


# -- item 3: a token endpoint that echoes the client secret and the refresh token ----------------------------


class EchoingTokenEndpoint(QuietHandler):
    def do_POST(self) -> None:
        sent = self.read_body().decode()
        from urllib.parse import parse_qs

        form = {k: v[0] for k, v in parse_qs(sent).items()}
        self.reply_json(401, {
            "error": "invalid_client",
            "error_description": f"client_secret={form.get('client_secret')} is not valid for refresh_token "
                                 f"{form.get('refresh_token')}",
        })

    def do_GET(self) -> None:
        self.reply(200)


@pytest.fixture
def oauth_window(qtbot, tmp_path: Path, http_server):
    url = http_server(EchoingTokenEndpoint)
    personal = tmp_path / "personal"
    personal.mkdir()
    store = ProfileStore(personal, [])
    secrets = FileSecretStore(tmp_path / "data")
    secrets.set("cs", CLIENT_SECRET)
    secrets.set("rt", REFRESH_TOKEN)
    profile = store.save(new_profile("O", "oauth2-refresh-token", personal, stem="o", credentials={
        "token_url": f"{url}/token", "client_id": "c", "client_secret": "${secret:cs}",
        "refresh_token": "${secret:rt}"}))
    history = HistoryStore(tmp_path / "history.sqlite3")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, history=history)
    qtbot.addWidget(window)
    window.show()
    window.set_profiles(ProfilesModel(store, secrets, env={}))
    qtbot.waitUntil(lambda: window.profiles.loaded, timeout=10_000)
    window.editor.set_spec(RequestSpec(url=f"{url}/api", profile=profile.identity))
    yield window
    history.close()


def test_a_token_endpoint_echoing_the_client_secret_is_masked_in_the_summary(qtbot, oauth_window) -> None:
    window = oauth_window
    with qtbot.waitSignal(window.exchange_received, timeout=20_000) as blocker:
        window.send()
    exchange, diagnosis = blocker.args
    echoed = exchange.final_hop.response.body.decode()
    assert CLIENT_SECRET in echoed and REFRESH_TOKEN in echoed  # the server did echo them
    assert diagnosis is not None and diagnosis.summary  # the summary quotes the server's description
    summary = window.explainer.summary.text()
    assert "invalid_client" in summary
    assert labels_holding(window, [CLIENT_SECRET, REFRESH_TOKEN]) == []
    window.safe_action.trigger()
    assert labels_holding(window, [CLIENT_SECRET, REFRESH_TOKEN]) == []
    assert find_secrets(window, [CLIENT_SECRET, REFRESH_TOKEN]) == []


# -- item 7: server and file text is plain text ------------------------------------------------------------


class HostileReason(QuietHandler):
    def do_GET(self) -> None:
        body = json.dumps({"error": "forbidden", "message": HOSTILE_MESSAGE}).encode()
        self.reply(403, body, {"Content-Type": "application/json"}, reason=HOSTILE_REASON)


def rich_leaks(root: QWidget, markers: tuple[str, ...]) -> list[tuple[str, str]]:
    """Labels and tool tips that would draw server markup: a marker in a text Qt renders as rich text."""
    leaks = []
    for label in root.findChildren(QLabel):
        text = label.text()
        rich = label.textFormat() == Qt.TextFormat.RichText or (
            label.textFormat() == Qt.TextFormat.AutoText and QtGui.mightBeRichText(text))
        if rich and any(m in text for m in markers):
            leaks.append((f"QLabel[{label.objectName()}]", text))
    for widget in [root, *root.findChildren(QWidget)]:
        tip = widget.toolTip()
        if tip and QtGui.mightBeRichText(tip) and any(m in tip for m in markers):
            leaks.append((f"{type(widget).__name__}[{widget.objectName()}]/tooltip", tip))
    return leaks


MARKERS = ("<img", "<b>200 OK", "<h1>", "<a href")


def test_a_reason_phrase_and_a_message_in_html_are_shown_as_plain_text(qtbot, window: MainWindow,
                                                                      http_server) -> None:
    url = http_server(HostileReason)
    window.editor.set_spec(RequestSpec(url=f"{url}/r"))
    with qtbot.waitSignal(window.exchange_received, timeout=20_000) as blocker:
        window.send()
    exchange, _diagnosis = blocker.args
    assert exchange.response.reason == HOSTILE_REASON  # the hostile text did arrive
    shown = [label for label in window.findChildren(QLabel)
             if "<img" in label.text() or "&lt;img" in label.text()]
    assert shown, "the reason phrase is shown somewhere"
    for label in shown:
        assert label.textFormat() == Qt.TextFormat.PlainText or "&lt;img" in label.text(), label.objectName()
    assert window.response_view.reason_label.text() == HOSTILE_REASON  # plain: exactly what the server said
    assert rich_leaks(window, MARKERS) == []


class NotHttp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.recv(4096)
        self.request.sendall(b"<img src='file:///etc/passwd'> SSH-2.0-OpenSSH_9.6 <b>200 OK</b>\r\n\r\n")


def test_a_non_http_answer_is_shown_as_plain_text(qtbot, window: MainWindow) -> None:
    server = socketserver.TCPServer(("127.0.0.1", 0), NotHttp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        window.editor.set_spec(RequestSpec(url=f"http://127.0.0.1:{server.server_address[1]}/", timeout_s=5))
        with qtbot.waitSignal(window.exchange_received, timeout=20_000):
            window.send()
        assert rich_leaks(window, ("<img", "<b>200 OK")) == []
    finally:
        server.shutdown()
        server.server_close()


def test_a_har_file_name_is_plain_text(qtbot, tmp_path: Path) -> None:
    name = tmp_path / "<img src='file:'><b>200 OK<b>.har"
    name.write_text(json.dumps({"log": {"version": "1.2", "entries": []}}))
    dialog = HarDialog(name)
    qtbot.addWidget(dialog)
    assert dialog.file_label.textFormat() == Qt.TextFormat.PlainText
    assert str(name) in dialog.file_label.text()
    assert rich_leaks(dialog, ("<img", "<b>200 OK")) == []
    bad = tmp_path / "<img src='x'>broken.har"
    bad.write_text("{not json")
    dialog.load(bad)
    assert dialog.error_label.isVisibleTo(dialog)
    assert dialog.error_label.textFormat() == Qt.TextFormat.PlainText
    assert rich_leaks(dialog, ("<img",)) == []


def test_a_team_profile_name_is_plain_text_in_the_picker(qtbot, tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    store = ProfileStore(tmp_path / "personal", [team])
    hostile = "<img src='file:///etc/passwd'><b>Prod</b>"
    store.save(new_profile(hostile, "bearer", team, stem="p", folder_kind="team",
                           credentials={"token": "${env:T}"}, base_url="https://api.example.com"))
    model = ProfilesModel(store, FileSecretStore(tmp_path / "data"), env={})
    model.reload_now()
    picker = ProfilePicker()
    qtbot.addWidget(picker)
    picker.bind(model)
    picker.url_changed("https://api.example.com/x")  # suggested: its name is in the picker's tool tip
    assert picker.current_profile() is not None and hostile in html.unescape(picker.toolTip())
    assert rich_leaks(picker, ("<img", "<b>Prod")) == []
    for i in range(picker.count()):
        tip = picker.itemData(i, Qt.ItemDataRole.ToolTipRole) or ""
        assert not (QtGui.mightBeRichText(tip) and "<img" in tip)


def test_no_label_in_the_app_is_left_to_guess_rich_text_from_server_words(qtbot, window: MainWindow,
                                                                         http_server) -> None:
    """A wider net: after a hostile answer, no AutoText label anywhere holds the server's words."""
    url = http_server(HostileReason)
    window.editor.set_spec(RequestSpec(url=f"{url}/r"))
    with qtbot.waitSignal(window.exchange_received, timeout=20_000):
        window.send()
    for widget in QApplication.topLevelWidgets():
        if widget is window or window.isAncestorOf(widget):
            assert rich_leaks(widget, MARKERS) == []
