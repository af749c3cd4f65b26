"""The window with its real services: profiles from files, history in sqlite, HAR export, curl paste.

Loopback servers only; profiles and secrets are real files in tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from inspector.core.history import HistoryStore
from inspector.core.profiles import FileSecretStore, ProfileStore, new_profile
from inspector.core.request import Header, RequestSpec
from inspector.ui.main_window import MainWindow
from inspector.ui.profiles_model import ProfilesModel
from tests.support.servers import QuietHandler, answering

API_KEY = "key-9f8e7d6c5b4a3210"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZS0x"


class Api(QuietHandler):
    def do_GET(self) -> None:
        if self.headers.get("X-API-Key") == API_KEY:
            self.reply_json(200, {"ok": True, "path": self.path})
        else:
            self.reply_json(401, {"message": "Unauthorized", "path": self.path},
                            {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})


@pytest.fixture
def api(http_server) -> str:
    return http_server(Api)


@pytest.fixture
def services(tmp_path: Path):
    personal, team = tmp_path / "personal", tmp_path / "team"
    personal.mkdir()
    team.mkdir()
    store = ProfileStore(personal, [team])
    secrets = FileSecretStore(tmp_path / "data")
    history = HistoryStore(tmp_path / "history.sqlite3")
    yield store, secrets, history
    history.close()


def make_window(qtbot, tmp_path: Path, services, **kwargs) -> MainWindow:
    store, secrets, history = services
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, history=history, **kwargs)
    qtbot.addWidget(window)
    window.show()
    window.set_profiles(ProfilesModel(store, secrets, env={}))
    qtbot.waitUntil(lambda: window.profiles.loaded, timeout=10_000)  # the first load runs on a worker
    return window


def send_and_wait(qtbot, window: MainWindow):
    with qtbot.waitSignal(window.exchange_received, timeout=20_000) as blocker:
        qtbot.keyClick(window.editor.url_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    return blocker.args


def test_a_profile_secret_is_sent_recorded_masked_and_never_shown(qtbot, tmp_path, services, api) -> None:
    store, secrets, history = services
    secrets.set("api.value", API_KEY)
    profile = store.save(new_profile("Team API", "api-key", store.personal_dir, stem="api",
                                     credentials={"name": "X-API-Key", "value": "${secret:api.value}",
                                                  "in": "header"}, base_url=api))
    window = make_window(qtbot, tmp_path, services)
    window.editor.set_spec(RequestSpec(url=f"{api}/items", profile=profile.identity))
    assert "X-API-Key: ‹${secret:api.value}›" in window.editor.credentials_label.text()
    exchange, diagnosis = send_and_wait(qtbot, window)
    assert exchange.response.status == 200 and diagnosis.verdict == "ok"
    assert exchange.profile_name == "Team API"
    assert history.count() == 1
    from tests.support.secret_scan import find_secrets

    assert find_secrets(window, [API_KEY]) == []
    raw = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.parent.name != "data")
    assert API_KEY.encode() not in raw


def test_missing_secret_stops_the_send_with_a_sentence(qtbot, tmp_path, services, api) -> None:
    store, _secrets, history = services
    profile = store.save(new_profile("Env API", "api-key", store.personal_dir, stem="env-api",
                                     credentials={"name": "X-API-Key", "value": "${env:NO_SUCH_KEY_VAR}"}))
    window = make_window(qtbot, tmp_path, services)
    window.editor.set_spec(RequestSpec(url=f"{api}/items", profile=profile.identity))
    with qtbot.waitSignal(window.send_failed, timeout=20_000) as blocker:
        window.send()
    assert "NO_SUCH_KEY_VAR" in blocker.args[0]
    assert "NO_SUCH_KEY_VAR" in window.editor.message_label.text()
    assert history.count() == 0


def test_prompt_secret_is_asked_once_per_run(qtbot, tmp_path, services, api) -> None:
    store, _secrets, _history = services
    profile = store.save(new_profile("Prompted", "api-key", store.personal_dir, stem="prompted",
                                     credentials={"name": "X-API-Key", "value": "${prompt}"}))
    asked: list[tuple[str, str]] = []

    def ask(name: str, field: str) -> str:
        asked.append((name, field))
        return API_KEY

    window = make_window(qtbot, tmp_path, services, ask_secret=ask)
    window.editor.set_spec(RequestSpec(url=f"{api}/items", profile=profile.identity))
    assert send_and_wait(qtbot, window)[0].response.status == 200
    assert send_and_wait(qtbot, window)[0].response.status == 200
    assert asked == [("Prompted", "value")]


def test_history_pane_reopens_and_refuses_to_resend_a_masked_token(qtbot, tmp_path, services, api) -> None:
    window = make_window(qtbot, tmp_path, services)
    window.editor.set_spec(RequestSpec(url=f"{api}/first", headers=(Header("Authorization", f"Bearer {TOKEN}"),)))
    _exchange, diagnosis = send_and_wait(qtbot, window)
    assert diagnosis.verdict == "authentication"
    window.history_action.trigger()
    pane = window.history_pane
    assert pane is not None and pane.model.total == 1
    record = services[2].get(services[2].page(0, 1)[0].id)
    window.editor.set_spec(RequestSpec(url=f"{api}/other"))
    window.open_history_record(record)
    assert window.editor.to_spec().url == f"{api}/first"
    assert window.explainer.verdict() == "authentication"  # the explanation of then, shown again
    assert "token-expired" in window.explainer.findings.ids()
    assert "stored masked" in window.statusBar().currentMessage()
    window.resend_history_record(record)
    assert not window.sending
    assert "Authorization of this request was stored masked" in window.editor.message_label.text()
    from tests.support.secret_scan import find_secrets

    assert find_secrets(pane, [TOKEN]) == []


def test_export_last_exchange_as_har_is_masked(qtbot, tmp_path, services, api) -> None:
    window = make_window(qtbot, tmp_path, services)
    window.editor.set_spec(RequestSpec(url=f"{api}/x", headers=(Header("Authorization", f"Bearer {TOKEN}"),)))
    send_and_wait(qtbot, window)
    target = tmp_path / "out.har"
    window.export_last_har(str(target))
    har = json.loads(target.read_text())
    assert har["log"]["version"] == "1.2" and len(har["log"]["entries"]) == 1
    assert TOKEN not in target.read_text()
    assert har["log"]["entries"][0]["response"]["status"] == 401


# Answers every request with an OAuth token response and a session cookie: secrets in body and headers.
TokenEndpoint = answering(200, json.dumps({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300}),
                          {"Content-Type": "application/json", "Set-Cookie": f"session={API_KEY}; Path=/; HttpOnly"})


def test_screen_share_safe_mode_hides_every_secret_in_every_pane(qtbot, tmp_path, services, http_server) -> None:
    """A known secret in the URL, a header, the body and the response; the mode on: no widget shows it."""
    from tests.support.secret_scan import find_secrets

    url = http_server(TokenEndpoint)
    window = make_window(qtbot, tmp_path, services)
    window.editor.set_spec(RequestSpec(
        url=f"{url}/token?api_key={API_KEY}&page=1",
        headers=(Header("Authorization", f"Bearer {TOKEN}"), Header("X-Trace", "visible-value")),
    ))
    window.editor.tabs.setCurrentIndex(1)  # Headers: its page is built when first shown, with the token in it
    send_and_wait(qtbot, window)
    window.history_action.trigger()
    assert find_secrets(window, [TOKEN]) != [], "the scan must see the token somewhere before the mode is on"

    window.safe_action.trigger()
    qtbot.waitUntil(lambda: not find_secrets(window, [TOKEN, API_KEY]), timeout=5000)
    assert "SCREEN-SHARE SAFE" in window.windowTitle()
    # what is not secret stays readable, and the request still holds the real values
    assert find_secrets(window, ["visible-value"]) != []
    spec = window.editor.to_spec()
    assert spec.header("Authorization") == f"Bearer {TOKEN}" and API_KEY in spec.url
    # the mode persists between runs
    window.save_state()
    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    assert again.screen_share_safe and again.safe_action.isChecked()
    # and turning it off shows the values again
    window.safe_action.trigger()
    assert find_secrets(window, [TOKEN]) != []


def test_folders_given_for_one_run_are_not_saved_as_team_folders(qtbot, tmp_path, services, monkeypatch) -> None:
    run_only, env_dir, chosen = tmp_path / "cli-dir", tmp_path / "env-dir", tmp_path / "mine"
    monkeypatch.setenv("INSPECTOR_PROFILES", str(env_dir))
    window = make_window(qtbot, tmp_path, services, profiles_dirs=[str(run_only)])
    window._save_team_dirs([run_only, env_dir, chosen])
    assert json.loads(window.settings.value("profiles/teamDirs")) == [str(chosen)]


def test_demo_examples_get_fresh_tokens_when_loaded(qtbot, tmp_path, services) -> None:
    minted = iter(range(1000))

    def factory() -> list[tuple[str, RequestSpec]]:
        n = next(minted)
        return [("200 Valid token", RequestSpec(url="http://127.0.0.1:9/x",
                                               headers=(Header("Authorization", f"Bearer tok-{n}"),)))]

    window = make_window(qtbot, tmp_path, services, demo_requests=factory(), demo_factory=factory)
    window.load_example(0)
    first = window.editor.to_spec().header("Authorization")
    window.load_example(0)
    assert window.editor.to_spec().header("Authorization") != first


class SlowSecondTime(QuietHandler):
    """Answers at once the first time; the second time (the save) it sends a little, then holds the rest."""

    calls = 0
    release = __import__("threading").Event()

    def do_GET(self) -> None:
        type(self).calls += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2000")
        self.end_headers()
        if type(self).calls == 1:
            self.wfile.write(b"x" * 2000)
            return
        self.wfile.write(b"x" * 100)
        self.wfile.flush()
        type(self).release.wait(20)


def test_cancelling_a_save_removes_the_partial_file(qtbot, tmp_path, services, http_server) -> None:
    SlowSecondTime.calls = 0
    SlowSecondTime.release.clear()
    url = http_server(SlowSecondTime)
    window = make_window(qtbot, tmp_path, services)
    window.editor.set_spec(RequestSpec(url=f"{url}/big"))
    send_and_wait(qtbot, window)
    target = tmp_path / "body.bin"
    try:
        window.save_full_body(str(target))
        qtbot.waitUntil(lambda: SlowSecondTime.calls == 2 and target.exists(), timeout=10_000)
        window.cancel()
        assert not target.exists()
        assert "partial file" in window.response_view.notice_label.text()
    finally:
        SlowSecondTime.release.set()


def test_the_history_pane_reopens_if_it_was_open(qtbot, tmp_path, services) -> None:
    window = make_window(qtbot, tmp_path, services)
    window.history_action.trigger()
    window.save_state()
    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    assert again.history_pane is None
    again.set_history(services[2])
    assert again.history_pane is not None and again.history_action.isChecked()


@pytest.mark.parametrize(("value", "expected"), [(None, 100 * 2**20), ("5", 5 * 2**20), ("junk", 100 * 2**20),
                                                 ("nan", 100 * 2**20), ("0", 2**20)])
def test_the_body_cap_comes_from_the_settings(tmp_path, value, expected) -> None:
    from inspector.ui.gui import body_cap_bytes

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    if value is not None:
        settings.setValue("response/maxBodyMB", value)
    assert body_cap_bytes(settings) == expected


def test_expectations_typed_into_the_panel_explain_again_and_apply_to_the_next_send(
        qtbot, tmp_path, services, api) -> None:
    import jwt

    token = jwt.encode({"sub": "u", "aud": "https://api.example.com", "exp": 4102444800}, "k" * 32,
                       algorithm="HS256")
    window = make_window(qtbot, tmp_path, services)
    window.editor.set_spec(RequestSpec(url=f"{api}/x", headers=(Header("Authorization", f"Bearer {token}"),)))
    _exchange, diagnosis = send_and_wait(qtbot, window)
    assert "audience-mismatch" not in diagnosis.finding_ids
    box = window.explainer.expectations_box
    box.audience.setText("https://other.example.com")
    with qtbot.waitSignal(window.reexplained, timeout=10_000):
        box.audience.editingFinished.emit()
    assert "audience-mismatch" in window.result.diagnosis.finding_ids
    assert "audience-mismatch" in window.explainer.findings.ids()
    _exchange, again = send_and_wait(qtbot, window)
    assert "audience-mismatch" in again.finding_ids
