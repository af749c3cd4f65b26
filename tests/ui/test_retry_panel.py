"""Try the fix in the window: the button on a finding whose fix is offered, the retry off the UI thread with
Cancel, both outcomes side by side and the conclusion coloured, the retry's response opened in the response
view. Real demo API and loopback servers; profiles and secrets are real files in tmp_path."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from inspector.core.history import HistoryStore
from inspector.core.pipeline import run
from inspector.core.profiles import FileSecretStore, ProfileStore, new_profile
from inspector.core.profiles.auth import TokenCache
from inspector.core.request import Body, Header, RequestSpec
from inspector.core.retry import offered_fixes, retry
from inspector.demo.scenarios import DEMO_CLIENT_SECRET
from inspector.demo.server import DemoServer
from inspector.ui.explainer_panel import ExplainerPanel
from inspector.ui.main_window import MainWindow
from inspector.ui.profiles_model import ProfilesModel
from tests.support.servers import QuietHandler, responding

SHOTS = Path("/tmp")


@pytest.fixture
def services(tmp_path: Path):
    personal = tmp_path / "personal"
    personal.mkdir()
    store = ProfileStore(personal, [])
    secrets = FileSecretStore(tmp_path / "data")
    history = HistoryStore(tmp_path / "history.sqlite3")
    yield store, secrets, history
    history.close()


def make_window(qtbot, tmp_path: Path, services) -> MainWindow:
    store, secrets, history = services
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, history=history)
    qtbot.addWidget(window)
    window.resize(1500, 1000)
    window.show()
    window.set_profiles(ProfilesModel(store, secrets, env={}))
    qtbot.waitUntil(lambda: window.profiles.loaded, timeout=10_000)
    return window


def test_try_the_fix_shows_both_outcomes(qtbot, tmp_path: Path, services, demo_server: DemoServer) -> None:
    store, secrets, history = services
    base = demo_server.base_url
    secrets.set("billing.secret", DEMO_CLIENT_SECRET)
    profile = store.save(new_profile("Billing", "oauth2-client-credentials", store.personal_dir, base_url=base,
                                     credentials={"token_url": f"{base}/oauth/token", "client_id": "demo-service",
                                                  "client_secret": "${secret:billing.secret}",
                                                  "scope": "invoices:read"}))
    window = make_window(qtbot, tmp_path, services)
    qtbot.waitUntil(lambda: bool(window.profiles.profiles), timeout=10_000)
    window.editor.set_spec(RequestSpec(method="POST", url=f"{base}/api/invoices", profile=profile.identity,
                                       body=Body(kind="json", text='{"amount": "1.00"}')))
    with qtbot.waitSignal(window.exchange_received, timeout=20_000) as blocker:
        qtbot.keyClick(window.editor.url_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0].response.status == 403
    panel: ExplainerPanel = window.explainer
    buttons = panel.fix_buttons()
    assert list(buttons) == ["insufficient-scope"]
    assert buttons["insufficient-scope"].text() == "Try with scope invoices:write"
    qtbot.mouseClick(buttons["insufficient-scope"], Qt.MouseButton.LeftButton)
    assert panel.retry_box.isVisible() and panel.retry_box.cancel_button.isVisible()
    qtbot.waitUntil(lambda: panel.retry_outcome() is not None, timeout=20_000)
    outcome = panel.retry_outcome()
    assert outcome is not None and outcome.confirmed
    box = panel.retry_box
    cell = lambda side, key: box.cells[(side, key)].text()  # noqa: E731
    assert (cell("before", "status"), cell("after", "status")) == ("403 Forbidden", "201 Created")
    assert cell("before", "finding") == "The token lacks a required scope (insufficient-scope)"
    assert cell("after", "verdict") == "Looks fine" and cell("after", "finding") == "none"
    assert box.verdict_badge.text().strip() == "Confirmed" and box.verdict_badge.property("confirmed") is True
    assert box.conclusion.text() == ("With scope invoices:write the same request succeeded (201): the missing "
                                     "scope invoices:write was the cause.")
    assert not box.cancel_button.isVisible() and buttons["insufficient-scope"].isEnabled()
    assert history.count() == 2
    assert window.statusBar().currentMessage().startswith("Confirmed: With scope invoices:write")
    qtbot.mouseClick(box.show_after, Qt.MouseButton.LeftButton)
    assert window.response_view.status_label.text().startswith("201")
    qtbot.mouseClick(box.show_before, Qt.MouseButton.LeftButton)
    assert window.response_view.status_label.text().startswith("403")
    window.grab().save(str(SHOTS / "retry-window.png"))
    panel.grab().save(str(SHOTS / "retry-panel.png"))
    assert DEMO_CLIENT_SECRET not in box.conclusion.text()


def _gated_token_api(gate: threading.Event) -> type[QuietHandler]:
    """Challenges Bearer with Token; a request with the Token scheme waits for the gate (at most 5 s)."""

    def respond(handler: QuietHandler, _body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        if (handler.headers.get("Authorization") or "").startswith("Token "):
            gate.wait(5)
            return 200, [("Content-Type", "application/json")], b'{"ok": true}'
        return 401, [("WWW-Authenticate", 'Token realm="api"')], b'{"message": "Bad credentials"}'

    return responding(respond, keep_alive=False)


def test_a_retry_can_be_cancelled_and_leaves_no_thread(qtbot, http_server: Callable[..., str]) -> None:
    gate = threading.Event()
    base = http_server(_gated_token_api(gate))
    first = run(RequestSpec(url=f"{base}/user", headers=(Header("Authorization", "Bearer abc123"),)))
    panel = ExplainerPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 900)
    panel.show()
    panel.show_result(first)
    fixes = {"scheme-mismatch": offered_fixes(first)[0]}
    panel.offer_fixes(fixes, lambda fix, cancel: retry(first, fix, token_cache=TokenCache(), cancel=cancel))
    button = panel.fix_buttons()["scheme-mismatch"]
    assert button.text() == "Try with the Token scheme"
    with qtbot.waitSignal(panel.retry_status, timeout=5_000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert panel.is_retrying() and not button.isEnabled()
    qtbot.mouseClick(panel.retry_box.cancel_button, Qt.MouseButton.LeftButton)
    assert not panel.is_retrying() and button.isEnabled()
    assert panel.retry_box.progress_label.text() == "The retry was cancelled: nothing was compared."
    gate.set()
    panel.shutdown()  # cancels, does not wait
    assert panel.retry_jobs.join(5)  # the cancelled retry's thread ends on its own
    assert panel.retry_outcome() is None


def test_not_confirmed_is_said_and_coloured_apart(qtbot, demo_server: DemoServer, tmp_path: Path) -> None:
    base = demo_server.base_url
    profile = new_profile("Billing", "oauth2-client-credentials", tmp_path, base_url=base, credentials={
        "token_url": f"{base}/oauth/token", "client_id": "demo-service", "client_secret": DEMO_CLIENT_SECRET,
        "scope": "invoices:read"})
    cache = TokenCache()
    first = run(RequestSpec(url=f"{base}/api/admin/users"), profile=profile, token_cache=cache)
    panel = ExplainerPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 900)
    panel.show()
    panel.show_result(first)
    panel.offer_fixes({}, lambda fix, cancel: retry(first, fix, profile=profile, token_cache=cache, cancel=cancel))
    assert panel.fix_buttons() == {}  # authenticated but not permitted: nothing the app can try
    panel.try_fix("fresh-token")
    qtbot.waitUntil(lambda: panel.retry_outcome() is not None, timeout=20_000)
    box = panel.retry_box
    assert box.verdict_badge.text().strip() == "Not confirmed" and box.verdict_badge.property("confirmed") is False
    assert box.conclusion.text().startswith("With a fresh token the server still refused (403)")
    panel.grab().save(str(SHOTS / "retry-panel-not-confirmed.png"))
    panel.shutdown()


def test_the_demo_request_demonstrates_try_the_fix(qtbot, tmp_path: Path, demo_url: str) -> None:
    from inspector.demo.collection import demo_collection_dir
    from inspector.ui.gui import open_collections

    model, _personal = open_collections({"INSPECTOR_TESTING": "1"}, None, [], demo_url)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1500, 1000)
    window.show()
    window.set_collections(model, tmp_path / "personal")
    root = demo_collection_dir()
    model.start(watch=False)
    qtbot.waitUntil(lambda: model.collection(root) is not None, timeout=20_000)
    window.open_request(root / "403s" / "403-csrf-check-failed-try-the-fix.toml")
    with qtbot.waitSignal(window.exchange_received, timeout=30_000) as blocker:
        assert window.send()
    assert blocker.args[0].response.status == 403
    panel: ExplainerPanel = window.explainer
    assert panel.story() is not None and panel.story().findings[0].id == "csrf-failed"
    button = panel.fix_buttons()["csrf-failed"]
    assert button.text() == "Try with the CSRF token"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.retry_outcome() is not None, timeout=20_000)
    assert panel.retry_outcome().confirmed
    assert panel.retry_box.cells[("after", "status")].text() == "201 Created"
    window.grab().save(str(SHOTS / "retry-demo-window.png"))
    window.shutdown()
