"""A tab's requests.Session is made by its first send's job, not on the UI thread (importing requests takes a
tenth of a second), once per tab, and a closed tab's session is never made again. Real loopback server."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from inspector.core import transport
from inspector.core.errors import InspectorError
from inspector.core.request import RequestSpec
from inspector.ui.main_window import MainWindow
from inspector.ui.tab import TabSession
from tests.support.servers import QuietHandler, QuietServer


class Ok(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.reply_json(200, {"ok": True})


@pytest.fixture
def server():
    srv = QuietServer(("127.0.0.1", 0), Ok)
    srv.serve_in_background()
    yield srv
    srv.stop()


def test_the_first_send_makes_the_tab_session_on_its_job(qtbot, tmp_path: Path, server: QuietServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    made_on: list[bool] = []
    real = transport.new_session

    def recording() -> Any:
        made_on.append(threading.current_thread() is threading.main_thread())
        return real()

    monkeypatch.setattr(transport, "new_session", recording)
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    url = f"http://127.0.0.1:{server.server_address[1]}/x"
    try:
        for _ in range(2):
            window.editor.set_spec(RequestSpec(url=url, timeout_s=10))
            with qtbot.waitSignal(window.exchange_received, timeout=20_000) as blocker:
                assert window.send()
            assert blocker.args[0].response.status == 200
        assert made_on == [False]  # once for the tab, on the send's worker
    finally:
        window.shutdown()


def test_a_closed_tab_session_is_not_made_again() -> None:
    session = TabSession()
    first = session.get()
    assert session.get() is first
    session.close()
    with pytest.raises(InspectorError, match="The tab was closed"):
        session.get()
    session.close()  # twice is harmless
