"""A send whose profile signs in with a browser or a device code, in the window: the waiting state (the URL,
Copy, Open again, the device's code, the time left, Cancel), a Cancel that ends the send as cancelled with no
thread left, and a sign-in completed by a BROWSER script that follows the URL as a browser would.

Real parts: the demo API's authorization server on 127.0.0.1, profile files in tmp_path, a BROWSER script run
by Python's webbrowser module exactly as a person's browser would be.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication

from inspector.core.request import RequestSpec
from inspector.demo.server import DemoServer
from inspector.ui.main_window import MainWindow
from inspector.ui.signin_wait import format_left
from tests.support.qt import Ticker

# A browser that writes down the URL it was given, then waits (without signing in) until the test lets it
# go: the window must not wait for it, and the sign-in never comes back.
WAITING_BROWSER = """#!{python}
import pathlib, sys, time
pathlib.Path({seen!r}).write_text(sys.argv[1], encoding="utf-8")
release = pathlib.Path({release!r})
for _ in range(600):  # bounded: 30 s at most
    if release.exists():
        break
    time.sleep(0.05)
"""

# A browser that follows the URL and its redirects, as a browser does: the sign-in completes.
FOLLOWING_BROWSER = """#!{python}
import sys, requests
session = requests.Session()
session.trust_env = False
session.get(sys.argv[1], timeout=20, allow_redirects=True)
"""


class Browser:
    """A BROWSER script for the test, and the URL it was opened with."""

    def __init__(self, folder: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen = folder / "opened-url.txt"
        self.release = folder / "release-browser"
        script = folder / "browser.py"
        script.write_text(body.format(python=sys.executable, seen=str(self.seen), release=str(self.release)),
                          encoding="utf-8")
        script.chmod(0o755)
        monkeypatch.setenv("BROWSER", str(script))

    def opened(self) -> str:
        return self.seen.read_text(encoding="utf-8") if self.seen.exists() else ""

    def let_go(self) -> None:
        self.release.touch()


def write_profile(folder: Path, stem: str, kind: str, credentials: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.toml").write_text(
        f'format = 1\nname = "{stem}"\nkind = "{kind}"\n[credentials]\n{credentials}', encoding="utf-8")


@pytest.fixture
def window(qtbot, tmp_path: Path, demo_server: DemoServer) -> Iterator[MainWindow]:
    from inspector.core.profiles import FileSecretStore, ProfileStore
    from inspector.ui.profiles_model import ProfilesModel

    base = demo_server.base_url
    personal = tmp_path / "profiles"
    write_profile(personal, "browser", "oauth2-authorization-code",
                  f'issuer = "{base}/"\nclient_id = "demo-cli"\nscope = "openid invoices:read"\n')
    write_profile(personal, "device", "oauth2-device-code",
                  f'issuer = "{base}/"\nclient_id = "demo-cli"\nscope = "invoices:read"\n')
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    win.set_profiles(ProfilesModel(ProfileStore(personal, []), FileSecretStore(tmp_path / "data"), env={}))
    qtbot.waitUntil(lambda: win.find_profile("device") is not None, timeout=10_000)
    yield win
    win.shutdown()


def start_send(window: MainWindow, base: str, profile: str) -> object:
    tab = window.current_tab()
    found = window.find_profile(profile)
    assert found is not None
    tab.set_spec(RequestSpec(url=f"{base}/api/invoices", profile=found.identity))
    assert tab.send()
    return tab


def test_the_browser_flow_waits_visibly_and_cancel_ends_it(qtbot, window: MainWindow, demo_server: DemoServer,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = Browser(tmp_path, WAITING_BROWSER, monkeypatch)
    ticker = Ticker()
    tab = start_send(window, demo_server.base_url, "browser")
    panel = tab.sign_in.panel
    qtbot.waitUntil(lambda: panel.isVisible() and bool(browser.opened()), timeout=20_000)
    try:
        ticker.keeps_ticking(qtbot)  # the browser command runs on: the window does not wait for it
        url = browser.opened()
        assert url.startswith(f"{demo_server.base_url}/oauth/authorize?") and "code_challenge=" in url
        assert panel.title.text() == "Waiting for you to sign in in your browser…"
        assert panel.url_field.text() == url and panel.url_field.isReadOnly()  # selectable, whole
        assert panel.open_button.isVisible() and panel.open_button.text() == "Open again"
        assert not panel.code.isVisible()
        assert re.fullmatch(r"[12]:\d\d left", panel.left_label.text())  # the 120 s timeout counts down
        assert not tab.response_view.tabs.isVisible()  # the waiting state stands in for the response
        assert tab.response_view.status_label.text() == "Signing in…"
        panel.copy_url.click()
        assert QGuiApplication.clipboard().text() == url
        # Open again runs the browser command once more, off the UI thread (this one does not return)
        browser.seen.unlink()
        panel.open_button.click()
        qtbot.waitUntil(lambda: browser.opened() == url, timeout=20_000)
        ticker.keeps_ticking(qtbot)
        # on a shared screen the state is masked in the field, and Copy still copies the whole address
        window.view_state.set_safe(True)
        assert "state=" in panel.url_field.text() and panel.url_field.text() != url
        window.view_state.set_safe(False)
        assert panel.url_field.text() == url

        with qtbot.waitSignal(tab.result_received, timeout=20_000) as got:
            qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
        exchange = got.args[0].exchange
        assert exchange.error is not None and exchange.error.kind == "cancelled" and exchange.response is None
        assert [h.role for h in exchange.hops] == ["discovery", "authorize"]
        assert exchange.hops[-1].response is None  # the browser never came back
        diagnosis = got.args[0].diagnosis  # what stopped, explained (nothing was sent to the API)
        assert diagnosis is not None and diagnosis.findings[0].id == "oauth-flow-failed"
        assert diagnosis.findings[0].evidence["error"] == "cancelled"
        assert not panel.isVisible() and tab.response_view.tabs.isVisible() and not tab.sending
        assert tab.response_view.status_label.text() == "Error: cancelled"
        qtbot.waitUntil(lambda: not window.jobs.alive(), timeout=10_000)  # the send's thread ended
    finally:
        ticker.stop()
        browser.let_go()  # the scripts end; so do the threads that ran them
    qtbot.waitUntil(lambda: not panel.jobs.alive(), timeout=10_000)


def test_a_browser_that_signs_in_gets_the_response(qtbot, window: MainWindow, demo_server: DemoServer,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Browser(tmp_path, FOLLOWING_BROWSER, monkeypatch)
    tab = window.current_tab()
    shown: list[bool] = []
    tab.sign_in.waiting_changed.connect(shown.append)
    with qtbot.waitSignal(tab.result_received, timeout=30_000) as got:
        start_send(window, demo_server.base_url, "browser")
    result = got.args[0]
    assert result.exchange.response is not None and result.exchange.response.status == 200
    assert [h.role for h in result.exchange.hops] == ["discovery", "authorize", "token", "jwks", "request"]
    assert result.diagnosis is not None and result.diagnosis.verdict == "ok"
    assert shown[0] is True and shown[-1] is False  # the waiting state came and went
    assert not tab.sign_in.panel.isVisible() and tab.response_view.tabs.isVisible()
    assert tab.response_view.status_label.text() == "200"


def test_the_device_flow_shows_the_code_to_enter(qtbot, window: MainWindow, demo_server: DemoServer,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = Browser(tmp_path, WAITING_BROWSER, monkeypatch)  # opens verification_uri_complete, approves nothing
    tab = start_send(window, demo_server.base_url, "device")
    panel = tab.sign_in.panel
    try:
        qtbot.waitUntil(lambda: panel.isVisible() and bool(browser.opened()), timeout=20_000)
        code = panel.code.text()
        assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", code) and panel.code.isVisible()
        assert panel.code.font().pointSizeF() > 2 * panel.message.font().pointSizeF()  # large
        assert panel.title.text() == "Enter this code on another device"
        assert panel.url_field.text() == f"{demo_server.base_url}/device"
        assert browser.opened().endswith(f"user_code={code}")
        panel.copy_code.click()
        assert QGuiApplication.clipboard().text() == code
        panel.copy_url.click()
        assert QGuiApplication.clipboard().text() == f"{demo_server.base_url}/device"
        # the person approves on another device: the polling send gets its token and the response
        with qtbot.waitSignal(tab.result_received, timeout=30_000) as got:
            requests.get(f"{demo_server.base_url}/device", params={"user_code": code}, timeout=10)
        assert got.args[0].exchange.response.status == 200 and not panel.isVisible()
    finally:
        browser.let_go()


def test_cancel_on_the_device_code_ends_the_send_as_cancelled(qtbot, window: MainWindow,
                                                              demo_server: DemoServer, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    browser = Browser(tmp_path, WAITING_BROWSER, monkeypatch)
    tab = start_send(window, demo_server.base_url, "device")
    panel = tab.sign_in.panel
    try:
        qtbot.waitUntil(lambda: panel.isVisible() and bool(panel.code.text()), timeout=20_000)
        with qtbot.waitSignal(tab.result_received, timeout=20_000) as got:
            panel.cancel_button.click()
        assert got.args[0].exchange.error.kind == "cancelled" and not panel.isVisible()
    finally:
        browser.let_go()


def test_esc_while_waiting_cancels_like_any_send(qtbot, window: MainWindow, demo_server: DemoServer,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = Browser(tmp_path, WAITING_BROWSER, monkeypatch)
    tab = start_send(window, demo_server.base_url, "browser")
    panel = tab.sign_in.panel
    try:
        qtbot.waitUntil(lambda: panel.isVisible(), timeout=20_000)
        tab.escape()
        assert not tab.sending and not panel.isVisible()
        assert tab.response_view.status_label.text() == "Cancelled"
        qtbot.waitUntil(lambda: not window.jobs.alive(), timeout=10_000)  # the flow saw the job's cancel
    finally:
        browser.let_go()


@pytest.mark.parametrize(("seconds", "text"), [(119.2, "2:00 left"), (61, "1:01 left"), (59.5, "1:00 left"),
                                               (0.2, "0:01 left"), (0, "time is up"), (-3, "time is up")])
def test_time_left_reads_as_minutes_and_seconds(seconds: float, text: str) -> None:
    assert format_left(seconds) == text
