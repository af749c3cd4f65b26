"""The response view's Cookies tab: a session profile against a real form login (cookies set, sent, held back
for a Path that does not match), values masked unless revealed outside screen-share mode, the empty state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor

from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.request import RequestSpec
from inspector.ui.cookies_view import COLUMNS, EMPTY_TEXT
from inspector.ui.main_window import MainWindow
from inspector.ui.response_view import COOKIES_TAB, ResponseView
from tests.support.form_login import CSRF, FORM_PASSWORD, PREFS, SESSION_ID, FormLoginHandler

COL = {name: i for i, name in enumerate(COLUMNS)}


@pytest.fixture
def window(qtbot, tmp_path: Path, http_server: Callable[..., str],
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MainWindow, str]]:
    from inspector.core.profiles import FileSecretStore, ProfileStore
    from inspector.ui.profiles_model import ProfilesModel

    base = http_server(FormLoginHandler)
    monkeypatch.setenv("FORM_PASSWORD", FORM_PASSWORD)
    personal = tmp_path / "profiles"
    personal.mkdir()
    (personal / "form.toml").write_text(
        f'format = 1\nname = "Form login"\nkind = "session"\n[credentials]\nlogin_url = "{base}/login"\n'
        'csrf_field = "csrfmiddlewaretoken"\n[credentials.form]\nusername = "support"\n'
        'password = "${env:FORM_PASSWORD}"\n', encoding="utf-8")
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    win.set_profiles(ProfilesModel(ProfileStore(personal, []), FileSecretStore(tmp_path / "data"),
                                   env={"FORM_PASSWORD": FORM_PASSWORD}))
    qtbot.waitUntil(lambda: win.find_profile("Form login") is not None, timeout=10_000)
    yield win, base
    win.shutdown()


def rows(view: ResponseView) -> dict[str, list[list[str]]]:
    tree = view.cookies_view.tree
    out = {}
    for i in range(tree.topLevelItemCount()):
        hop = tree.topLevelItem(i)
        out[hop.text(0)] = [[hop.child(j).text(c) for c in range(len(COLUMNS))] for j in range(hop.childCount())]
    return out


def test_a_form_login_shows_cookies_set_sent_and_held_back(qtbot, window: tuple[MainWindow, str]) -> None:
    win, base = window
    tab = win.current_tab()
    profile = win.find_profile("Form login")
    tab.set_spec(RequestSpec(url=f"{base}/app/data", profile=profile.identity))
    with qtbot.waitSignal(tab.result_received, timeout=20_000) as got:
        assert tab.send()
    assert got.args[0].exchange.response.status == 200
    view = tab.response_view
    assert view.tabs.tabText(COOKIES_TAB) == "Cookies (11)"
    assert view.cookies_view.summary.text() == "5 sent, 2 held back, 4 set"
    listed = rows(view)
    hops = list(listed)
    assert hops == [f"Hop 1 (login): GET {base}/login → 200", f"Hop 2 (login): POST {base}/login → 302",
                    f"Hop 3 (login): GET {base}/app/home → 200", f"Hop 4: GET {base}/app/data → 200"]
    login = {r[COL["Cookie"]]: r for r in listed[hops[1]]}
    session = login["set: sessionid"]
    assert session[COL["Value"]] == "sess-0…"  # masked by default
    assert (session[COL["Domain"]], session[COL["Path"]]) == ("127.0.0.1", "/app")
    assert session[COL["Attributes"]] == "HttpOnly, SameSite=Lax" and session[COL["Expires"]].endswith(" UTC")
    assert login["set: prefs"][COL["Expires"]] == "end of session"
    assert login["set: visited"][COL["Note"]] == "deleted by the server (an expiry in the past)"
    assert login["sent: csrftoken"][COL["Value"]] == "csrf-v…"
    final = {r[COL["Cookie"]]: r for r in listed[hops[3]]}
    assert set(final) == {"sent: sessionid", "sent: csrftoken", "held back: prefs"}
    held = final["held back: prefs"]
    assert held[COL["Path"]] == "/admin" and held[COL["Value"]] == ""
    assert held[COL["Note"]] == "The cookie prefs is for the path /admin, and /app/data is not under it."
    text = "\n".join("\t".join(r) for rs in listed.values() for r in rs)
    assert SESSION_ID not in text and PREFS not in text and CSRF not in text

    # revealed on request, but never in screen-share-safe mode
    cookies = view.cookies_view
    cookies.reveal.setChecked(True)
    assert rows(view)[hops[3]][0][COL["Value"]] == SESSION_ID
    win.view_state.set_safe(True)
    assert not cookies.reveal.isChecked() and not cookies.reveal.isEnabled()
    assert rows(view)[hops[3]][0][COL["Value"]] == "sess-0…"
    win.view_state.set_safe(False)
    assert cookies.reveal.isEnabled() and not cookies.reveal.isChecked()


def test_no_cookies_shows_the_empty_state(response_view: ResponseView) -> None:
    url = "http://127.0.0.1:9/x"
    response_view.show_exchange(Exchange(RequestSpec(url=url), (
        Hop("GET", url, (), b"", Response(200, "OK", (), b"", 0)),)))
    cookies = response_view.cookies_view
    assert response_view.tabs.tabText(COOKIES_TAB) == "Cookies"
    assert cookies.stack.currentWidget() is cookies.empty and cookies.empty.text() == EMPTY_TEXT
    assert not cookies.reveal.isVisibleTo(cookies)


def test_a_new_send_clears_the_cookies(response_view: ResponseView) -> None:
    url = "http://127.0.0.1:9/x"
    response_view.show_exchange(Exchange(RequestSpec(url=url), (
        Hop("GET", url, (("Cookie", "a=1"),), b"", Response(200, "OK", (("Set-Cookie", "b=2"),), b"", 0)),)))
    assert response_view.tabs.tabText(COOKIES_TAB) == "Cookies (2)"
    response_view.show_sending()
    assert response_view.tabs.tabText(COOKIES_TAB) == "Cookies" and response_view.cookies_view.count == 0


def test_a_secure_cookie_held_back_over_http_says_why(response_view: ResponseView, http_server: Callable[..., str],
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """http://shop.example.test through a loopback proxy: not a loopback name, so Secure keeps the cookie home."""
    from inspector.core.pipeline import run
    from inspector.core.profiles.auth import TokenCache
    from inspector.core.profiles.model import new_profile
    from inspector.core.profiles.secrets import Resolver

    proxy = http_server(FormLoginHandler)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("http_proxy", proxy)
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    profile = new_profile("copied", "cookie", tmp_path, credentials={
        "name": "sessionid", "value": "${env:SID}", "domain": "shop.example.test", "secure": True})
    result = run(RequestSpec(url="http://shop.example.test/app/data"), profile=profile, token_cache=TokenCache(),
                 resolver=Resolver(None, env={"SID": SESSION_ID}))
    response_view.show_result(result)
    assert response_view.tabs.tabText(COOKIES_TAB) == "Cookies (1)"
    (hop,) = rows(response_view).values()
    (held,) = hop
    assert held[COL["Cookie"]] == "held back: sessionid" and held[COL["Domain"]] == "shop.example.test"
    assert held[COL["Note"]].startswith("The cookie sessionid is Secure, and this request went over plain http")
    assert SESSION_ID not in "".join(held)
    item = response_view.cookies_view.tree.topLevelItem(0).child(0)
    error = response_view.cookies_view.view_state.theme.error_text
    assert item.foreground(0).color().name().lower() == QColor(error).name().lower()  # said apart in colour
    assert item.foreground(6).color().name().lower() == QColor(error).name().lower()
