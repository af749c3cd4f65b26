"""Tabs and collections in the window: several requests open, each with its own send; requests opened from a
collection with their environment's variables; saving, conflicts, close prompts, and tabs after a restart.

Real loopback servers, real collection folders in tmp_path, real settings files.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from workbench_support import loaded_model, make_collection, write

from inspector.core.request import Body, Header, RequestSpec
from inspector.ui.main_window import MainWindow

RELEASE = threading.Event()
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLXNlY3JldA"


class Echo(BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass

    def _answer(self) -> None:
        if self.path.startswith("/slow"):
            RELEASE.wait(10)  # bounded: the test releases it
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        data = json.dumps({"path": self.path, "trace": self.headers.get("X-Trace"), "body": body,
                           "auth": self.headers.get("Authorization")}).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer


@pytest.fixture
def server(http_server):
    RELEASE.clear()
    yield http_server(Echo)
    RELEASE.set()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def shop(tmp_path: Path, server: str) -> Path:
    return make_collection(tmp_path / "team", base_url=server)


def make_window(qtbot, settings: QSettings, model=None, **kwargs) -> MainWindow:
    window = MainWindow(settings, **kwargs)
    qtbot.addWidget(window)
    window.show()
    if model is not None:
        window.set_collections(model, model.sources[0].path.parent / "personal")
    return window


@pytest.fixture
def window(qtbot, settings: QSettings, shop: Path):
    model = loaded_model(qtbot, shop.parent)
    win = make_window(qtbot, settings, model)
    yield win
    win.shutdown()


def send_and_wait(qtbot, window: MainWindow) -> dict:
    with qtbot.waitSignal(window.exchange_received, timeout=20_000) as blocker:
        assert window.send()
    return json.loads(blocker.args[0].response.body)


def test_tab_shortcuts(window: MainWindow) -> None:
    keys = {a.text(): {s.toString() for s in a.shortcuts()} for a in window.actions()}
    assert keys["&New tab"] == {"Ctrl+T"}
    assert keys["&Close tab"] == {"Ctrl+W"}
    assert "Ctrl+Tab" in keys["Next tab"] and "Ctrl+Shift+Tab" in keys["Previous tab"]
    assert keys["&Save request"] == {"Ctrl+S"}
    assert keys["Save response &body…"] == {"Ctrl+Alt+S"}  # Ctrl+S saves the request now


def test_new_tab_close_and_cycle(qtbot, window: MainWindow) -> None:
    first = window.current_tab()
    window.new_tab_action.trigger()
    second = window.current_tab()
    assert second is not first and window.tabs.count() == 2
    assert window.editor is second.editor
    window.next_tab_action.trigger()
    assert window.current_tab() is first
    window.prev_tab_action.trigger()
    assert window.current_tab() is second
    window.close_tab_action.trigger()  # nothing typed: no question
    assert window.tabs.count() == 1 and window.current_tab() is first
    window.close_tab_action.trigger()  # the last tab closed leaves an empty one
    assert window.tabs.count() == 1 and window.current_tab() is not first


def test_a_closed_tab_leaves_nothing_in_the_windows_job_runner(qtbot, window: MainWindow, server: str) -> None:
    """A window open all day opens and closes thousands of tabs: their send and explain slots go with them."""
    keep = window.current_tab()
    for n in range(3):
        window.new_tab(RequestSpec(url=f"{server}/fast/{n}"))
        send_and_wait(qtbot, window)
        window.close_tab(window.current_tab())
    assert window.current_tab() is keep
    per_tab = [name for name in window.jobs._state.slots if name.startswith(("send:", "explain:"))]
    assert set(per_tab) <= {keep.send_slot, keep.explain_slot}


def test_a_tab_closed_while_its_jobs_run_is_freed_at_once_and_never_waits_for_them(qtbot, window: MainWindow,
                                                                                  monkeypatch) -> None:
    """A tab closed while a held body's JSON is checked, and while its response view and its explainer have
    work that cannot stop at once (a body saved to a slow disk, a signature check), goes on the event loop's
    next turn: its jobs are cancelled and no thread is waited for on the UI thread."""
    import shiboken6

    from inspector.core.offload import HELPER
    from inspector.ui import request_editor
    from inspector.ui.jobs import Job

    release = threading.Event()
    real_call = HELPER.call
    monkeypatch.setattr(HELPER, "call", lambda fn, *a, **kw: release.wait(10) and real_call(fn, *a, **kw))
    big = '"' + "x" * request_editor.LARGE_EDIT_CHARS + '"'
    tab = window.new_tab(RequestSpec("POST", "http://127.0.0.1:1/x", body=Body("json", big)))
    tab.editor.tabs.setCurrentIndex(2)  # the Body page is built: the body is held, its JSON checked
    qtbot.waitUntil(lambda: tab.editor.large_body_bar.isVisible(), timeout=5_000)
    checking = tab.editor._body_jobs.current("check")  # the held body's JSON check, stuck in the helper call
    assert checking is not None
    stuck = [checking, tab.response_view.jobs.start("save", lambda _job: release.wait(10)),
             tab.explainer.retry_jobs.start("retry", lambda _job: release.wait(10))]
    joined: list[Job] = []
    original = Job.join
    monkeypatch.setattr(Job, "join", lambda self, timeout=None: joined.append(self) or original(self, timeout))
    window.close_tab(tab)
    assert all(job.cancel.is_set() for job in stuck)  # by the tab's shutdown, before it is freed
    qtbot.waitUntil(lambda: not shiboken6.isValid(tab), timeout=5_000)
    assert joined == []
    assert all(job.cancel.is_set() and job.is_alive() for job in stuck)
    release.set()
    assert all(original(job, 5) for job in stuck)


def test_sending_in_one_tab_never_disturbs_another(qtbot, window: MainWindow, server: str) -> None:
    slow = window.current_tab()
    slow.set_spec(RequestSpec(url=f"{server}/slow"))
    assert window.send()
    fast = window.new_tab(RequestSpec(url=f"{server}/fast"))
    assert not window.sending  # the new tab's own state
    body = send_and_wait(qtbot, window)
    assert body["path"] == "/fast"
    assert fast.response_view.status_label.text() == "200"
    assert slow.sending and slow.response_view.status_label.text() == "Sending…"
    assert window.result is fast.result
    with qtbot.waitSignal(slow.exchange_received, timeout=20_000):
        RELEASE.set()
    assert json.loads(slow.result.exchange.response.body)["path"] == "/slow"
    assert json.loads(fast.result.exchange.response.body)["path"] == "/fast"
    assert window.current_tab() is fast  # a result in another tab does not switch tabs


def test_cancel_in_one_tab_leaves_the_other_running(qtbot, window: MainWindow, server: str) -> None:
    first = window.current_tab()
    first.set_spec(RequestSpec(url=f"{server}/slow/1"))
    first.send()
    second = window.new_tab(RequestSpec(url=f"{server}/slow/2"))
    second.send()
    window.cancel()
    assert not second.sending and first.sending
    with qtbot.waitSignal(first.exchange_received, timeout=20_000):
        RELEASE.set()
    assert second.response_view.status_label.text() == "Cancelled"


def test_a_collection_request_opens_with_its_template_and_sends_resolved(qtbot, window: MainWindow,
                                                                         shop: Path, server: str) -> None:
    tab = window.open_request(shop / "orders" / "list-orders.toml")
    assert tab is window.current_tab()
    assert window.editor.url_edit.text() == "{{base_url}}/orders?tenant={{tenant}}"
    assert window.tabs.tabText(window.tabs.currentIndex()) == "List orders"
    assert tab.breadcrumb.text() == "Shop / Orders / List orders"
    assert tab.marks.unresolved() == ["base_url"]  # no environment chosen yet (the collection has two)
    assert "{{base_url}}" in tab.marks.line.text()
    with qtbot.waitSignal(window.send_failed, timeout=5_000) as blocker:
        assert not window.send()
    message = blocker.args[0]
    assert "{{base_url}}" in message and "List orders" in message and "nothing was sent" in message
    assert "Choose an environment" in message
    tab.environment_picker.choose("local")
    assert tab.marks.unresolved() == []
    body = send_and_wait(qtbot, window)
    assert body["path"] == "/orders?tenant=t-1"
    assert len(body["trace"]) == 36  # {{$uuid}}
    assert window.result.exchange.spec.url == f"{server}/orders?tenant=t-1"
    context = tab.sent_context.text()
    assert f"{server}/orders?tenant=t-1" in context and "the environment 'local'" in context
    assert "Shop / Orders/List orders" in context or "Shop / Orders" in context
    assert not tab.is_dirty()


def test_marking_a_long_body_looks_the_scope_up_once_not_per_line(qtbot, window: MainWindow, shop: Path) -> None:
    """The body's {{variables}} are marked line by line: a body of thousands of lines must not work out the tab's
    scope (the whole form read again) for each of them."""
    tab = window.open_request(shop / "orders" / "list-orders.toml")
    tab.environment_picker.choose("local")
    lines = [f'  "field{i}": {i},' for i in range(3000)]
    body = "{\n" + "\n".join(lines) + '\n  "who": "{{tenant}}"\n}'
    tab.editor.tabs.setCurrentIndex(2)
    tab.editor.set_spec(replace(tab.editor.to_spec(), body=Body("json", body)))
    calls: list[int] = []
    real = tab.variable_scope
    tab.marks._scope = lambda: calls.append(1) or real()  # type: ignore[method-assign]
    tab.marks.refresh()
    assert 1 <= len(calls) <= 3
    [span] = tab.marks.spans("body")
    assert span.name == "tenant" and span.status != "unresolved"


def test_hover_shows_the_value_and_masks_a_secret_in_safe_mode(qtbot, window: MainWindow, shop: Path) -> None:
    write(shop / "orders" / "secret.toml", """
        name = "Secret"
        url = "{{base_url}}/s"
        [[headers]]
        name = "X-Token"
        value = "{{api_token}}"
    """)
    window.collections.load_now(shop)
    tab = window.open_request(shop / "orders" / "secret.toml")
    tab.environment_picker.choose("other")
    assert tab.marks.tooltip("url", 3) == "{{base_url}} = http://127.0.0.1:1  (from the environment 'other')"
    assert tab.marks.tooltip("url", 14) == ""
    [span] = tab.marks.spans("headers")
    assert span.status == "secret" and span.shown == "${secret:shop-token}"
    tab.editor.url_edit.setText("{{base_url}}/s?k={{api_token}}")
    hover = tab.marks.tooltip("url", 20)
    assert "${secret:shop-token}" in hover and "a secret" in hover
    window.set_screen_share_safe(True)
    hover = tab.marks.tooltip("url", 20)
    assert "shop-token" not in hover and "${secret:…" in hover


def test_the_tab_says_which_profile_applies_and_why(qtbot, window: MainWindow, shop: Path) -> None:
    write(shop / "collection.toml", """
        format = 1
        name = "Shop"
        profile = "Shop staff"
        order = ["orders", "ping"]
        [vars]
        tenant = "t-1"
    """)
    write(shop / "orders" / "folder.toml", """
        name = "Orders"
        profile = ""
    """)
    window.collections.load_now(shop)
    ping = window.open_request(shop / "ping.toml")
    assert ping.profile_reason.text().startswith("Profile: 'Shop staff' — the collection's default.")
    orders = window.open_request(shop / "orders" / "list-orders.toml", new_tab=True)
    assert orders.profile_reason.text() == "No profile: the folder 'Orders' is set to send no credentials."


def test_edit_shows_a_dot_and_ctrl_s_saves_the_file(qtbot, window: MainWindow, shop: Path) -> None:
    path = shop / "orders" / "create-order.toml"
    tab = window.open_request(path)
    tab.editor.url_edit.setText("{{base_url}}/orders/v2")
    assert tab.is_dirty()
    assert window.tabs.tabText(window.tabs.currentIndex()).startswith("● ")
    window.save_request_action.trigger()
    text = path.read_text()
    assert 'url = "{{base_url}}/orders/v2"' in text
    assert 'team_note = "kept"' in text and "expect_status = 201" in text
    assert not tab.is_dirty()
    assert not window.tabs.tabText(window.tabs.currentIndex()).startswith("● ")
    assert window.collections.find(path).request.url == "{{base_url}}/orders/v2"


def test_a_change_on_disk_reaches_an_unedited_tab_and_spares_an_edited_one(qtbot, window: MainWindow,
                                                                           shop: Path) -> None:
    clean = window.open_request(shop / "ping.toml")
    edited = window.open_request(shop / "orders" / "create-order.toml", new_tab=True)
    edited.editor.method_combo.setCurrentText("PUT")
    assert edited.is_dirty()
    write(shop / "ping.toml", 'name = "Ping"\nurl = "{{base_url}}/ping/v2"\n')
    write(shop / "orders" / "create-order.toml", 'name = "Create order"\nmethod = "POST"\n'
                                                 'url = "{{base_url}}/theirs"\n')
    window.collections.load_now(shop)  # what the poll does after a git pull
    assert clean.editor.url_edit.text() == "{{base_url}}/ping/v2"
    assert edited.editor.method_combo.currentText() == "PUT"  # the edits stay
    assert "changed on disk" in edited.breadcrumb.text()
    asked: list[str] = []
    window.ask_conflict = lambda text: asked.append(text) or "cancel"
    window.tabs.setCurrentWidget(edited)
    assert not window.save_request()
    assert "changed on disk" in asked[0]
    assert "theirs" in (shop / "orders" / "create-order.toml").read_text()  # never silently overwritten
    window.ask_conflict = lambda text: "overwrite"
    assert window.save_request()
    text = (shop / "orders" / "create-order.toml").read_text()
    assert 'method = "PUT"' in text


def test_closing_an_edited_tab_asks(qtbot, window: MainWindow, shop: Path) -> None:
    tab = window.open_request(shop / "ping.toml", new_tab=True)
    tab.editor.url_edit.setText("{{base_url}}/edited")
    window.confirm_close = lambda t: "cancel"
    assert not window.close_tab()
    assert window.current_tab() is tab
    window.confirm_close = lambda t: "save"
    assert window.close_tab()
    assert "edited" in (shop / "ping.toml").read_text()


def test_rename_and_delete_in_the_tree_are_followed_by_the_tab(qtbot, window: MainWindow, shop: Path) -> None:
    tab = window.open_request(shop / "ping.toml")
    tree = window.collections_tree
    tree.select_path(shop / "ping.toml")
    tree.ask_text = lambda *_: "Health"
    tree.rename_action.trigger()
    assert tab.origin == shop / "health.toml"
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Health"
    qtbot.waitUntil(lambda: tree.item_for(shop / "health.toml") is not None)  # read again on a worker
    assert tree.select_path(shop / "health.toml")
    tree.delete_action.trigger()
    assert tab.origin is None and tab.is_dirty()  # its form stays, to be saved elsewhere


def test_a_new_request_made_in_the_tree_opens_in_a_tab(qtbot, window: MainWindow, shop: Path) -> None:
    tree = window.collections_tree
    assert tree.select_path(shop / "orders")
    tree.ask_text = lambda *_: "Cancel order"
    before = window.tabs.count()
    tree.new_request_action.trigger()
    path = shop / "orders" / "cancel-order.toml"
    # its collection is read again on a worker: the tab opens once the model has the file
    qtbot.waitUntil(lambda: window.current_tab().origin == path, timeout=10_000)
    assert window.tabs.count() == before + 1
    assert tree.view.currentIndex().data(Qt.ItemDataRole.UserRole + 5) == "Cancel order"
    # the selection waiting for the re-reading is used once: a later reading opens nothing
    window.tabs.setCurrentIndex(0)
    first = window.current_tab()
    with qtbot.waitSignal(tree.model.collection_loaded, timeout=10_000):
        tree.model.load(shop)
    qtbot.wait(50)
    assert window.current_tab() is first and window.tabs.count() == before + 1


def test_save_as_from_a_scratch_tab_turns_credentials_into_variables(qtbot, window: MainWindow, shop: Path,
                                                                     server: str) -> None:
    window.current_tab().set_spec(RequestSpec(url=f"{server}/x?q=1",
                                              headers=(Header("Authorization", f"Bearer {JWT}"),)))
    window.choose_destination = lambda name, folder: (shop / "orders", "Captured")
    questions: list[str] = []
    window.ask_yes_no = lambda title, text: questions.append(text) or True
    assert window.save_request()  # no file yet: Ctrl+S is Save as…
    path = shop / "orders" / "captured.toml"
    text = path.read_text()
    assert JWT not in text and "Bearer {{authorization}}" in text
    assert "header 'Authorization'" in questions[0]
    tab = window.current_tab()
    assert tab.origin == path and not tab.is_dirty()
    assert window.editor.headers_table.rows()[0] == ("Authorization", "Bearer {{authorization}}", True)
    assert "{{authorization}}" in tab.save_note.text() and tab.save_note.isVisible()


def test_save_to_collection_from_history(qtbot, tmp_path: Path, settings: QSettings, shop: Path,
                                         server: str) -> None:
    from inspector.core.history import HistoryStore

    history = HistoryStore(tmp_path / "history.sqlite3")
    model = loaded_model(qtbot, shop.parent)
    window = make_window(qtbot, settings, model, history=history)
    window.current_tab().set_spec(RequestSpec(url=f"{server}/from-history",
                                              headers=(Header("X-Api-Key", "k-12345678"),)))
    send_and_wait(qtbot, window)
    window.history_action.setChecked(True)
    pane = window.history_pane
    qtbot.waitUntil(lambda: pane.model.total >= 1, timeout=10_000)
    pane.select_ids([pane.model.row_at(0).id])
    window.choose_destination = lambda name, folder: (shop, "From history")
    window.ask_yes_no = lambda title, text: True
    pane.save_action.trigger()
    text = (shop / "from-history.toml").read_text()
    assert "/from-history" in text and "k-12345678" not in text
    window.shutdown()
    history.close()


def test_tabs_and_their_edits_come_back_after_a_restart_masked(qtbot, tmp_path: Path, settings: QSettings,
                                                               shop: Path, server: str) -> None:
    model = loaded_model(qtbot, shop.parent)
    first = make_window(qtbot, settings, model)
    first.current_tab().set_spec(RequestSpec(url=f"{server}/scratch",
                                             headers=(Header("Authorization", f"Bearer {JWT}"),)))
    edited = first.open_request(shop / "orders" / "create-order.toml", new_tab=True)
    edited.editor.url_edit.setText("{{base_url}}/orders/unsaved")
    first.open_request(shop / "ping.toml", new_tab=True)
    first.tabs.setCurrentIndex(1)
    first.close()
    stored = Path(settings.fileName()).read_text()
    assert "c2lnbmF0dXJlLXNlY3JldA" not in stored  # the token's secret part never reaches the settings

    model2 = loaded_model(qtbot, shop.parent)
    second = make_window(qtbot, settings)
    assert second.tabs.count() == 3 and second.tabs.currentIndex() == 1
    second.set_collections(model2, tmp_path / "personal")
    tabs = second.all_tabs()
    assert tabs[0].editor.url_edit.text() == f"{server}/scratch"
    auth = tabs[0].editor.to_spec().headers[0]
    assert not auth.enabled and "c2lnbmF0dXJlLXNlY3JldA" not in auth.value
    qtbot.waitUntil(lambda: tabs[1].base is not None, timeout=10_000)
    assert tabs[1].editor.url_edit.text() == "{{base_url}}/orders/unsaved" and tabs[1].is_dirty()
    assert tabs[2].origin == shop / "ping.toml" and not tabs[2].is_dirty()
    assert second.tabs.tabText(1).startswith("● ")
    second.shutdown()


def test_demo_collection_opens_with_the_demo_environment(qtbot, tmp_path: Path, settings: QSettings,
                                                         demo_url: str) -> None:
    from inspector.demo.collection import demo_collection_dir
    from inspector.ui.gui import open_collections, open_first_demo_request

    model, _personal = open_collections({"INSPECTOR_TESTING": "1"}, None, [], demo_url)
    window = make_window(qtbot, settings)
    window.set_collections(model, tmp_path / "personal")
    open_first_demo_request(window, model)
    model.start(watch=False)
    root = demo_collection_dir()
    qtbot.waitUntil(lambda: window.current_tab().origin is not None, timeout=20_000)
    tab = window.current_tab()
    assert tab.origin == root / "start-here" / "401-expired-token.toml"
    assert model.environment_name(root) == "demo"
    assert model.environment(root).vars["base_url"] == demo_url.rstrip("/")
    with qtbot.waitSignal(window.exchange_received, timeout=30_000) as blocker:
        assert window.send()
    exchange, diagnosis = blocker.args
    assert exchange.response.status == 401
    assert exchange.spec.url.startswith(demo_url.rstrip("/"))
    assert diagnosis is not None and diagnosis.verdict
    assert "the environment 'demo'" in tab.sent_context.text()
    tab.editor.url_edit.setText("{{base_url}}/changed")
    assert model.is_read_only(root)
    window.choose_destination = lambda name, folder: None
    assert not window.save_request()  # the demo is never written: Save as… (cancelled here)
    assert "changed" not in (root / "start-here" / "401-expired-token.toml").read_text()
    window.shutdown()


def test_the_report_names_the_environment(qtbot, window: MainWindow, shop: Path) -> None:
    from inspector.ui.report_dialog import ReportDialog

    tab = window.open_request(shop / "ping.toml")
    tab.environment_picker.choose("local")
    send_and_wait(qtbot, window)
    dialog = ReportDialog.for_result(window.result, window, context=tab.send_context)
    qtbot.addWidget(dialog)
    text = dialog.report_text()
    assert "the environment 'local'" in text and "Shop / Ping" in text


def test_keyboard_ctrl_t_and_ctrl_s(qtbot, window: MainWindow, shop: Path) -> None:
    tab = window.open_request(shop / "ping.toml")
    tab.editor.url_edit.setText("{{base_url}}/ping?v=2")
    qtbot.keyClick(tab.editor.url_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "v" in (shop / "ping.toml").read_text() and not tab.is_dirty()
    qtbot.keyClick(window.editor.url_edit, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.count() == 2


def test_a_url_made_of_variables_is_not_called_invalid_while_typing(qtbot, window: MainWindow,
                                                                    shop: Path) -> None:
    tab = window.open_request(shop / "ping.toml")
    qtbot.keyClicks(tab.editor.url_edit, "/more")
    assert tab.editor.url_edit.text() == "{{base_url}}/ping/more"
    assert not tab.editor.message_label.isVisible()


def test_import_from_the_window_shows_the_collection_in_the_tree(qtbot, tmp_path: Path, settings: QSettings,
                                                                 shop: Path) -> None:
    from inspector.core.collections.store import Source

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "import"
    personal = tmp_path / "personal"
    model = loaded_model(qtbot, shop.parent)
    model.sources.insert(0, Source(personal, "personal"))
    window = make_window(qtbot, settings)
    window.set_collections(model, personal)
    dialog = window.open_import()
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.imported, timeout=30_000) as blocker:
        dialog.import_file(fixtures / "openapi-3.1-notes.json")
    into = Path(blocker.args[0].into)
    assert into.parent == personal
    qtbot.waitUntil(lambda: model.is_loaded(into) and window.collections_tree.item_for(into) is not None,
                    timeout=20_000)
    assert window.collections_tree.visible_requests()
    window.shutdown()


def test_the_window_accepts_collections_dirs_on_its_command_line() -> None:
    from inspector.cli.args import build_gui_parser

    opts = build_gui_parser().parse_args(["--collections-dir", "a", "--collections-dir", "b", "--demo"])
    assert opts.collections_dir == ["a", "b"] and opts.demo


def test_a_collection_profile_with_a_secret_reference_is_used_and_masked(qtbot, tmp_path: Path,
                                                                         settings: QSettings, shop: Path,
                                                                         server: str) -> None:
    from inspector.core.profiles import FileSecretStore, ProfileStore
    from inspector.ui.profiles_model import ProfilesModel

    write(shop / "profiles" / "shop-key.toml", """
        format = 1
        name = "Shop key"
        kind = "api-key"
        [credentials]
        name = "X-Trace"
        value = "${secret:shop-key}"
        in = "header"
    """)
    write(shop / "collection.toml", """
        format = 1
        name = "Shop"
        profile = "Shop key"
        [vars]
        tenant = "t-1"
    """)
    secrets = FileSecretStore(tmp_path / "data")
    secrets.set("shop-key", "sk-0123456789abcdef")
    personal = tmp_path / "profiles"
    personal.mkdir()
    profiles = ProfilesModel(ProfileStore(personal, []), secrets, env={})
    window = make_window(qtbot, settings, profiles=None)
    window.set_profiles(profiles)
    model = loaded_model(qtbot, shop.parent)
    window.set_collections(model, tmp_path / "personal")
    window.collections.load_now(shop)  # the collection's profiles/ becomes a team folder
    qtbot.waitUntil(lambda: window.find_profile("Shop key") is not None, timeout=10_000)
    tab = window.open_request(shop / "ping.toml")
    tab.environment_picker.choose("local")
    assert tab.profile_reason.text() == "Profile: 'Shop key' — the collection's default."
    body = send_and_wait(qtbot, window)
    assert body["trace"] == "sk-0123456789abcdef"  # the profile's secret, resolved at send time
    assert "sk-0123456789abcdef" not in tab.sent_context.text()
    assert "profile 'Shop key'" in tab.sent_context.text()
    window.shutdown()


def test_har_entries_can_be_saved_to_a_collection(qtbot, window: MainWindow, shop: Path) -> None:
    from inspector.ui.har_dialog import HarDialog

    har = Path(__file__).resolve().parents[1] / "fixtures" / "chrome_demo.har"
    dialog = HarDialog(har, window, view=window.view_state)
    qtbot.addWidget(dialog)
    dialog.select(0)
    with qtbot.waitSignal(dialog.save_requested) as blocker:
        dialog.save_button.click()
    window.choose_destination = lambda name, folder: (shop, "From HAR")
    window.ask_yes_no = lambda title, text: True
    tab = window.save_spec_to_collection(blocker.args[0])
    assert tab is not None and tab.origin == shop / "from-har.toml"
    from inspector.core.collections.secrecy import request_literal_secrets
    from inspector.core.collections.store import read_request

    assert request_literal_secrets(read_request(shop / "from-har.toml")) == []


def test_the_sidebar_arriving_after_start_up_leaves_the_url_bar_its_keys(qtbot, settings: QSettings,
                                                                          shop: Path) -> None:
    """The collections attach after the window is ready, while someone may be typing a URL: the sidebar
    shows without taking the focus; Ctrl+B (the action, triggered) does move it to the sidebar's filter."""
    window = make_window(qtbot, settings)
    window.activateWindow()
    window.editor.url_edit.setFocus()
    qtbot.keyClicks(window.editor.url_edit, "https://api.")
    window.set_collections(loaded_model(qtbot, shop.parent), shop.parent / "personal")
    qtbot.waitUntil(lambda: window.collections_dock.isVisible(), timeout=5_000)
    qtbot.keyClicks(window.focusWidget(), "example.com/")
    assert window.editor.url_edit.text() == "https://api.example.com/"
    assert window.collections_tree.filter_edit.text() == ""
    window.collections_action.trigger()  # Ctrl+B: hidden
    window.collections_action.trigger()  # and shown again, by the user
    assert window.focusWidget() is window.collections_tree.filter_edit
    window.shutdown()
