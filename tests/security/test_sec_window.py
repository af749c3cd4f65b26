"""The window never shows a secret a server echoes back (error message, body echo, redirect Location), in normal
or screen-share-safe mode, and never writes one to its settings file or history.

Real profiles and secret store in tmp_path, a real loopback server, the whole widget tree scanned.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from inspector.core.history import HistoryStore
from inspector.core.profiles import FileSecretStore, ProfileStore, new_profile
from inspector.core.request import Body, Header, RequestSpec
from inspector.ui.main_window import MainWindow, spec_to_settings
from inspector.ui.profiles_model import ProfilesModel
from tests.support.secret_scan import find_secrets
from tests.support.servers import QuietHandler

KEY = "custom-key-SECRET-4567"
ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.ACCESS-sig-AAAAAAAAAAAA"
REFRESH = "refresh-rotated-SECRET-0001"
ID_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJub25jZSI6Im4ifQ.IDTOKEN-sig-BBBBBBBBBB"
CLIENT_SECRET = "client-secret-SECRET-777"
REFRESH_IN = "refresh-initial-SECRET-888"
REDIRECT_TOKEN = "loc-token-SECRET-555555"
SECRETS = [KEY, ACCESS, REFRESH, ID_TOKEN, CLIENT_SECRET, REFRESH_IN, REDIRECT_TOKEN]


class EchoingApi(QuietHandler):
    def do_POST(self) -> None:
        self.read_body()
        self.reply_json(200, {"access_token": ACCESS, "refresh_token": REFRESH, "id_token": ID_TOKEN,
                              "token_type": "Bearer", "expires_in": 300})

    def do_GET(self) -> None:
        if self.path.startswith("/hop"):
            location = f"/landing?access_token={REDIRECT_TOKEN}#id_token={REDIRECT_TOKEN}"
            self.reply_json(302, {}, [("Location", location)])
            return
        why = f"Rejected {self.path} with {self.headers.get('Authorization')}"
        doc = {"error": "invalid_token", "error_description": why, "received": dict(self.headers)}
        self.reply_json(401, doc, [("WWW-Authenticate", 'Bearer error="invalid_token"')])


@pytest.fixture
def window_with(qtbot, tmp_path: Path, http_server):
    url = http_server(EchoingApi)
    personal = tmp_path / "personal"
    personal.mkdir()
    store = ProfileStore(personal, [])
    secrets = FileSecretStore(tmp_path / "data")
    history = HistoryStore(tmp_path / "history.sqlite3")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    def make(kind: str):
        if kind == "api-key query":
            # a name no rule can guess: only the profile says it is secret
            secrets.set("k", KEY)
            profile = store.save(new_profile("Q", "api-key", personal, stem="q", credentials={
                "name": "tenant_auth", "value": "${secret:k}", "in": "query"}))
        else:
            secrets.set("cs", CLIENT_SECRET)
            secrets.set("rt", REFRESH_IN)
            profile = store.save(new_profile("O", "oauth2-refresh-token", personal, stem="o", credentials={
                "token_url": f"{url}/token", "client_id": "c", "client_secret": "${secret:cs}",
                "refresh_token": "${secret:rt}"}))
        window = MainWindow(settings, history=history)
        qtbot.addWidget(window)
        window.show()
        window.set_profiles(ProfilesModel(store, secrets, env={}))
        qtbot.waitUntil(lambda: window.profiles.loaded, timeout=10_000)  # the first load runs on a worker
        window.editor.set_spec(RequestSpec(url=f"{url}/hop", profile=profile.identity))
        return window

    yield make, tmp_path
    history.close()


@pytest.mark.parametrize("kind", ["api-key query", "oauth2 refresh token"])
def test_echoed_and_redirected_secrets_are_never_on_screen_or_on_disk(qtbot, window_with, kind: str) -> None:
    make, tmp_path = window_with
    window = make(kind)
    with qtbot.waitSignal(window.exchange_received, timeout=20_000) as blocker:
        window.send()
    exchange, _diagnosis = blocker.args
    assert exchange.response.status == 401 and len(exchange.request_hops) == 2
    # the server did echo them (so the scan below is not vacuous)
    assert REDIRECT_TOKEN in exchange.response.body.decode()
    window.history_action.trigger()
    window.response_view.tabs.setCurrentWidget(window.response_view.raw_page)  # the raw body too
    qtbot.wait(200)
    assert find_secrets(window, SECRETS) == []
    window.safe_action.trigger()
    qtbot.wait(200)
    assert find_secrets(window, SECRETS) == []
    window.save_state()
    window.settings.sync()
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.parent.name != "data")
    assert [s for s in SECRETS if s.encode() in written] == []


def test_the_last_request_in_the_settings_file_has_no_form_encoded_secret() -> None:
    spec = RequestSpec(method="POST", url="https://login.example.com/token",
                       headers=(Header("Content-Type", "application/x-www-form-urlencoded"),
                                Header("X-Custom-Key", KEY)),
                       body=Body(kind="text", text=f"grant_type=client_credentials&client_secret={CLIENT_SECRET}"))
    saved = spec_to_settings(spec)
    assert CLIENT_SECRET not in saved and KEY not in saved
    assert "grant_type=client_credentials" in saved
