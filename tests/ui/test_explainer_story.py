"""The panel tells one story: the banner and the first card agree, evidence reads as words with the raw values
behind Details, the server's message shows once, a refused connection gets its own story, and a masked value
from history or a HAR file is neither judged as a credential nor sent.

Every exchange here is real: the demo API or a small loopback handler.
"""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel

from inspector.core.diagnosis import explain, tell
from inspector.core.diagnosis.findings import finding_summary, leading_finding
from inspector.core.export.har import dump_har, exchange_to_har_entries, to_har
from inspector.core.history import HistoryStore
from inspector.core.request import Header, RequestSpec
from inspector.core.transport import send
from inspector.demo.requests import demo_requests
from inspector.ui.explainer_panel import ExplainerPanel
from inspector.ui.har_dialog import HarDialog
from inspector.ui.main_window import MainWindow
from tests.support.servers import QuietHandler

KEY = "story-ui-secret-story-ui-secret-story!"
MESSAGE = "The access token expired"


def _expired_token() -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": "u-1",
        "iat": int((now - timedelta(hours=2)).timestamp()),
        "exp": int((now - timedelta(hours=1)).timestamp()),
        "scope": "read",
    }
    return jwt.encode(claims, KEY, algorithm="HS256")


class _ExpiredApi(QuietHandler):
    hits: list[str] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            type(self).hits.append(self.headers.get("Authorization") or "")
        challenge = f'Bearer realm="api", error="invalid_token", error_description="{MESSAGE}"'
        self.reply_json(401, {"error": "invalid_token", "error_description": MESSAGE},
                        {"WWW-Authenticate": challenge})


@pytest.fixture
def panel(qtbot) -> ExplainerPanel:
    p = ExplainerPanel()
    qtbot.addWidget(p)
    p.resize(620, 900)
    p.show()
    qtbot.waitExposed(p)
    return p


def _visible_texts(widget) -> list[str]:
    return [
        lab.text().replace("\u200b", "") for lab in widget.findChildren(QLabel) if lab.isVisibleTo(widget)
    ]


def _expired_exchange(url: str):
    exchange = send(
        RequestSpec(url=f"{url}/orders", headers=(Header("Authorization", f"Bearer {_expired_token()}"),))
    )
    return exchange, explain(exchange)


def test_evidence_reads_as_words_and_the_raw_values_wait_behind_details(qtbot, panel, http_server) -> None:
    exchange, diagnosis = _expired_exchange(http_server(_ExpiredApi))
    panel.set_result(exchange, diagnosis)
    card = panel.findings.cards[0]
    assert card.finding.id == "token-expired"
    assert card.details_toggle is not None and card.details is not None
    assert not card.details_shown()
    shown = " ".join(_visible_texts(card))
    assert "1 h 0 min before the request" in shown
    for internal in ("remaining_s", "by_server_clock", "null", "None", "-36"):
        assert internal not in shown, internal
    toggle = card.details_toggle
    qtbot.waitUntil(lambda: toggle.isVisible() and toggle.width() > 0)  # laid out
    panel.scroll_area.ensureWidgetVisible(toggle)
    qtbot.waitUntil(lambda: not toggle.visibleRegion().isEmpty())  # scrolled into view: a click reaches it
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert card.details_shown()
    raw = " ".join(_visible_texts(card))
    assert "remaining_s" in raw and "by_server_clock" in raw  # the raw values, on request
    qtbot.mouseClick(card.details_toggle, Qt.MouseButton.LeftButton)
    assert not card.details_shown()


@pytest.mark.parametrize(
    "title",
    [
        "401 Token dropped by a cross-origin redirect",
        "401 Expired token",
        "403 Authenticated, not permitted",
        "403 insufficient_scope in the body only",
        "401 DPoP required",
    ],
)
def test_the_banner_and_the_first_card_tell_the_same_story(qtbot, panel, demo_url: str, title: str) -> None:
    exchange = send(dict(demo_requests(demo_url))[title])
    diagnosis = explain(exchange)
    panel.set_result(exchange, diagnosis)
    first = panel.findings.cards[0].finding
    leader = leading_finding(diagnosis.findings, diagnosis.verdict)
    assert leader is not None and first.id == leader.id
    assert panel.summary.text().replace("\u200b", "") == finding_summary(first)
    assert panel.verdict_title.text() == tell(diagnosis).title
    if title.startswith("401 Token dropped"):
        assert first.id == "credentials-stripped-on-redirect"
        assert "no-credentials" not in panel.findings.ids()
        assert "could not tell who you are" in panel.verdict_title.text()
    elif title.startswith("401"):
        assert "did not accept the credentials" in panel.verdict_title.text()


def test_the_servers_message_shows_once(qtbot, panel, http_server) -> None:
    exchange, diagnosis = _expired_exchange(http_server(_ExpiredApi))
    panel.set_result(exchange, diagnosis)
    qtbot.waitUntil(lambda: panel.server_box.isVisible())
    texts = _visible_texts(panel.result_box)
    assert sum(t.count(MESSAGE) for t in texts) == 1, [t for t in texts if MESSAGE in t]
    assert "error=<code>invalid_token</code>" in panel.server_box.text()  # the challenge is still shown


def test_a_refused_connection_tells_what_failed_and_what_to_try(qtbot, panel) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exchange = send(RequestSpec(url=f"http://127.0.0.1:{port}/x"))
    panel.set_result(exchange, explain(exchange))
    summary = panel.summary.text().replace("\u200b", "")
    assert "refused" in summary and "No response came back" not in summary
    assert panel.verdict_title.text() == "No response came back"
    texts = " ".join(_visible_texts(panel.result_box))
    assert "Nothing wrong found" not in texts
    assert panel.transport_box.isVisible()
    story = panel.transport_box.text().replace("\u200b", "")
    assert "Likely causes:" in story and "What to try:" in story and f"127.0.0.1:{port}" in story
    assert panel.findings_heading.text() == "What happened"


def test_the_har_dialog_keeps_the_expiry_first_for_its_own_masked_export(qtbot, demo_url: str) -> None:
    exchange = send(dict(demo_requests(demo_url))["401 Expired token"])
    text = dump_har(to_har(exchange_to_har_entries(exchange, explain(exchange))))
    dialog = HarDialog()
    qtbot.addWidget(dialog)
    assert dialog.load_text(text, "own.har")
    dialog.select(0)
    ids = dialog.explainer.findings.ids()
    assert ids[0] == "token-expired" and "malformed-authorization" not in ids
    assert dialog.explainer.summary.text().replace("\u200b", "").startswith("Your token expired")


def test_a_reopened_history_entry_is_not_sent_with_its_masked_token(
    qtbot, tmp_path: Path, http_server
) -> None:
    _ExpiredApi.hits = []
    url = http_server(_ExpiredApi)
    history = HistoryStore(tmp_path / "history.sqlite3")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, history=history)
    qtbot.addWidget(window)
    window.show()
    try:
        token = _expired_token()
        window.editor.set_spec(
            RequestSpec(url=f"{url}/first", headers=(Header("Authorization", f"Bearer {token}"),))
        )
        with qtbot.waitSignal(window.exchange_received, timeout=20_000):
            qtbot.keyClick(window.editor.url_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert len(_ExpiredApi.hits) == 1
        record = history.get(history.page(0, 1)[0].id)
        window.open_history_record(record)
        assert "…" in (window.editor.to_spec().header("Authorization") or "")
        with qtbot.waitSignal(window.send_failed, timeout=20_000) as refused:
            qtbot.keyClick(window.editor.url_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        message = refused.args[0]
        assert "masked" in message and "profile" in message and "latin-1" not in message
        assert "masked" in window.editor.message_label.text()
        qtbot.waitUntil(lambda: not window.sending)
        assert len(_ExpiredApi.hits) == 1  # the mask never went out
    finally:
        window.shutdown()
        history.close()
