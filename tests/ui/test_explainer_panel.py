"""The explainer panel: verdict banner, findings, server words, token tables, paste box, screen-share-safe."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QColor, QDropEvent, QPalette
from PySide6.QtWidgets import QLabel, QLineEdit, QTableWidget

from inspector.core.challenges import Challenge
from inspector.core.diagnosis import VERDICTS, Diagnosis, explain
from inspector.core.diagnosis.findings import Finding
from inspector.core.exchange import Exchange, Hop, Response, TransportFailure
from inspector.core.request import Header, RequestSpec
from inspector.core.timeline import build_timeline
from inspector.core.tokens import SentCredential, TokenInfo, inspect_token
from inspector.core.transport import send
from inspector.ui.explainer_panel import VERDICT_COLORS, ExplainerPanel
from tests.support.servers import QuietHandler, answering

T = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
SECRET = "a-shared-secret-long-enough-for-hs256!!"
SHOTS = Path("/tmp/ui-shots")


def _mint(claims: dict, **kw) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256", **kw)


def _claims(now: datetime, exp_in: timedelta) -> dict:
    return {
        "iss": "https://login.example.com/",
        "sub": "user-42",
        "aud": ["https://api.example.com", "account"],
        "iat": int((now - timedelta(hours=1)).timestamp()),
        "exp": int((now + exp_in).timestamp()),
        "scope": "orders:read orders:write",
        "azp": "support-console",
    }


def _exchange(raw: str, status: int = 401) -> Exchange:
    hop = Hop(
        "GET",
        "https://api.example.com/orders",
        (("Authorization", f"Bearer {raw}"),),
        response=Response(
            status, "Unauthorized", (("WWW-Authenticate", 'Bearer error="invalid_token"'),), b"", 0
        ),
        elapsed_s=0.05,
        sent_at=T,
    )
    return Exchange(RequestSpec(url="https://api.example.com/orders"), (hop,), sent_at=T, received_at=T)


def _diagnosis(
    raw: str, verdict: str = "authentication", findings: tuple[Finding, ...] = (), **kw
) -> Diagnosis:
    claims = _claims(T, timedelta(minutes=-4, seconds=-12))
    tl = build_timeline(
        claims, sent_at=T, elapsed_s=0.05, server_date="Wed, 01 May 2024 10:00:00 GMT", age_header=None, now=T
    )
    token = kw.pop("token", None) or inspect_token(raw)
    return Diagnosis(
        verdict,
        kw.pop("summary", "Your token expired 4 min 12 s before the request (by the server's clock)."),
        findings,
        challenges=(Challenge("Bearer", params={"realm": "api", "error": "invalid_token"}),),
        credential=SentCredential("authorization", "Authorization", "Bearer", raw),
        token=token,
        timeline=tl,
        server_error="invalid_token",
        server_message="The access token expired",
        missing_evidence=("the body was empty: no message from the server",),
        **kw,
    )


@pytest.fixture
def raw() -> str:
    return _mint(_claims(T, timedelta(minutes=-4, seconds=-12)), headers={"kid": "k1"})


@pytest.fixture
def panel(qtbot) -> ExplainerPanel:
    p = ExplainerPanel(clock=lambda: T + timedelta(seconds=3))
    qtbot.addWidget(p)
    p.resize(560, 800)
    return p


def _visible_texts(panel: ExplainerPanel) -> list[str]:
    """Everything the pane shows as text (zero-width break points removed)."""
    out: list[str] = []
    for lab in panel.findChildren(QLabel):
        if lab.isVisibleTo(panel):
            out.append(lab.text())
    for edit in panel.findChildren(QLineEdit):
        out.append(edit.displayText())
    for table in panel.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                item = table.item(r, c)
                if item is not None:
                    out.append(item.text())
    return [t.replace("\u200b", "") for t in out]


def _settle(qtbot, panel: ExplainerPanel) -> None:
    panel.show()
    qtbot.waitExposed(panel)

    def fitted() -> bool:
        # the page and each section fit their wrapped text to the width over a few layout passes
        boxes = [panel.scroll_area.widget(), panel.result_box, panel.token_view, panel.paste_box.token_view]
        return all(
            w.height() >= w.layout().totalHeightForWidth(w.width()) for w in boxes if w.isVisibleTo(panel)
        )

    qtbot.waitUntil(fitted)


def _shoot(widget, tmp_path: Path, name: str) -> None:
    img = widget.grab()
    assert img.save(str(tmp_path / name))
    SHOTS.mkdir(parents=True, exist_ok=True)
    img.save(str(SHOTS / name))


@pytest.mark.parametrize("verdict", VERDICTS)
def test_banner_says_the_summary_in_the_verdict_colour(
    qtbot, panel: ExplainerPanel, raw: str, verdict: str
) -> None:
    summary = f"Summary for {verdict}: what a support engineer would say."
    panel.set_result(_exchange(raw), _diagnosis(raw, verdict, summary=summary))
    _settle(qtbot, panel)
    assert panel.summary.text().replace("\u200b", "") == summary
    assert panel.verdict() == verdict
    assert panel.verdict_title.text()
    img = panel.banner.grab().toImage()
    # sample the banner's right edge, where there is padding and no text
    sample = img.pixelColor(img.width() - 4, img.height() // 2)
    assert sample.name() == QColor(VERDICT_COLORS[verdict]).name()
    assert len(set(VERDICT_COLORS.values())) == len(VERDICTS)


def test_findings_are_ordered_by_severity_with_next_steps(qtbot, panel: ExplainerPanel, raw: str) -> None:
    findings = (
        Finding(
            "server-error-code",
            "info",
            "The server says invalid_token",
            "error=invalid_token",
            {"header": 'WWW-Authenticate: Bearer error="invalid_token"'},
        ),
        Finding(
            "clock-skew",
            "warning",
            "Your clock is 7 min behind the server",
            "Clock readings differ.",
            {"sent_at": "2024-05-01T10:00:00Z", "server_date": "2024-05-01T10:07:00Z"},
            "Sync your clock.",
        ),
        Finding(
            "token-expired",
            "error",
            "The token expired",
            "exp is before the server's time.",
            {"exp": 1714557348},
            "Get a new token.",
        ),
    )
    panel.set_result(_exchange(raw), _diagnosis(raw, findings=findings))
    _settle(qtbot, panel)
    assert panel.findings.ids() == ["token-expired", "clock-skew", "server-error-code"]
    first = panel.findings.cards[0]
    assert first.details_toggle is not None
    first.details_toggle.setChecked(True)  # the raw evidence is made when its Details are first opened
    texts = [lab.text() for lab in first.findChildren(QLabel)]
    assert any("The token expired" in t for t in texts)
    assert any("Get a new token." in t for t in texts)
    assert any("1714557348" in t for t in texts)  # the evidence it used
    skew = panel.findings.cards[1]
    shown = [lab.text() for lab in skew.findChildren(QLabel) if lab.isVisibleTo(skew)]
    assert "2024-05-01 10:00:00 UTC" in shown and "2024-05-01 10:07:00 UTC" in shown  # both clock readings
    assert skew.details_toggle is not None
    skew.details_toggle.setChecked(True)
    skew_texts = [lab.text() for lab in skew.findChildren(QLabel) if lab.isVisibleTo(skew)]
    assert "2024-05-01T10:07:00Z" in skew_texts  # and the raw values behind Details


def test_server_words_challenges_and_missing_evidence(qtbot, panel: ExplainerPanel, raw: str) -> None:
    panel.set_result(_exchange(raw), _diagnosis(raw))
    _settle(qtbot, panel)
    server = panel.server_box.text()
    assert "invalid_token" in server and "The access token expired" in server
    assert "WWW-Authenticate" in server and "<b>Bearer</b>" in server and "realm" in server
    assert "the body was empty" in panel.missing_box.text()
    assert panel.credential_where.text() == "Sent in the Authorization header with the Bearer scheme."


@pytest.mark.parametrize(
    ("verified", "verify_error", "expected", "absent"),
    [
        (True, None, "✔ Signature verified", None),
        (False, None, "Signature not checked", "verified"),
        (False, "The signature does not match the key.", "Signature check failed", "✔"),
    ],
)
def test_verified_badge_only_when_verified(
    qtbot,
    panel: ExplainerPanel,
    raw: str,
    verified: bool,
    verify_error: str | None,
    expected: str,
    absent: str | None,
) -> None:
    base = inspect_token(raw)
    token = TokenInfo(
        base.format, base.raw, base.header, base.claims, verified=verified, verify_error=verify_error
    )
    panel.set_result(_exchange(raw), _diagnosis(raw, token=token))
    _settle(qtbot, panel)
    badge = panel.token_view.badge.text()
    assert expected in badge
    if absent:
        assert absent not in badge
    if verify_error:
        assert verify_error in badge


def test_claims_table_explains_each_claim(qtbot, panel: ExplainerPanel, raw: str) -> None:
    panel.set_result(_exchange(raw), _diagnosis(raw))
    _settle(qtbot, panel)
    table = panel.token_view.claims_table
    assert table.column_texts(0) == ["iss", "sub", "aud", "iat", "exp", "scope", "azp"]
    values = dict(zip(table.column_texts(0), table.column_texts(1), strict=True))
    meanings = dict(zip(table.column_texts(0), table.column_texts(2), strict=True))
    assert values["aud"] == "https://api.example.com, account"
    assert values["scope"] == "orders:read, orders:write"
    assert "2024-05-01 09:55:48 UTC" in values["exp"]
    assert "local (" in values["exp"]
    assert "4 min 12 s before the request" in values["exp"]
    assert meanings["aud"].startswith("Audience")
    assert all(meanings[k] for k in meanings)
    glance = panel.token_view.glance.text()
    assert "orders:read" in glance and "account" in glance
    assert panel.token_view.header_table.column_texts(0) == ["alg", "kid", "typ"]
    assert (
        not panel.token_view.claims_table.verticalScrollBar().isVisible()
    )  # the pane scrolls, not the table


def test_timeline_in_the_panel_says_it_in_words(qtbot, panel: ExplainerPanel, raw: str) -> None:
    panel.set_result(_exchange(raw), _diagnosis(raw))
    _settle(qtbot, panel)
    tw = panel.token_view.timeline
    assert tw.isVisible() and tw.is_ticking()
    assert tw.headline_texts()[0] == "Expired 4 min 12 s before the request (by the server's clock)."
    panel.hide()
    assert not tw.is_ticking()


def test_paste_box_decodes_an_expired_jwt_offline(qtbot, panel: ExplainerPanel, tmp_path: Path) -> None:
    token = _mint(_claims(T, timedelta(minutes=-30)))
    panel.paste_token(f"Bearer {token}")
    _settle(qtbot, panel)
    box = panel.paste_box
    assert "token-expired" in box.findings.ids()
    view = box.token_view
    assert view.format_label.text().startswith("Signed JWT (JWS)")
    assert "sub" in view.claims_table.column_texts(0)
    assert "Signature not checked" in view.badge.text()
    assert view.timeline.headline_texts()[0] == "Expired 30 min 3 s ago (by your clock)."
    exp_value = dict(zip(view.claims_table.column_texts(0), view.claims_table.column_texts(1), strict=True))[
        "exp"
    ]
    assert "30 min 3 s ago" in exp_value
    _shoot(panel.scroll_area.widget(), tmp_path, "panel-paste-expired.png")


def test_dropped_text_is_decoded(qtbot, panel: ExplainerPanel) -> None:
    token = _mint(_claims(T, timedelta(hours=1)))
    mime = QMimeData()
    mime.setText(token)
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    panel.dropEvent(event)
    assert panel.paste_box.edit.text() == token
    assert "token-expired" not in panel.paste_box.findings.ids()
    assert (
        panel.paste_box.token_view.timeline.headline_texts()[0] == "Expires in 59 min 57 s (by your clock)."
    )


def test_paste_box_names_an_opaque_token(qtbot, panel: ExplainerPanel) -> None:
    panel.paste_token("ghp_abcdefghijklmnopqrstuvwxyz0123456789")
    assert "opaque-token" in panel.paste_box.findings.ids()
    assert panel.paste_box.token_view.format_label.text().startswith("Not a JWT")


@pytest.mark.parametrize("palette_name", ["light", "dark"])
def test_screen_share_safe_hides_raw_tokens_but_not_claims(
    qtbot, panel: ExplainerPanel, raw: str, tmp_path: Path, palette_name: str
) -> None:
    if palette_name == "dark":
        pal = QPalette()
        for role, color in (
            (QPalette.ColorRole.Window, "#1e1f22"),
            (QPalette.ColorRole.WindowText, "#e8eaed"),
            (QPalette.ColorRole.Base, "#151515"),
            (QPalette.ColorRole.Text, "#e8eaed"),
            (QPalette.ColorRole.Button, "#2b2d30"),
            (QPalette.ColorRole.ButtonText, "#e8eaed"),
            (QPalette.ColorRole.PlaceholderText, "#9aa0a6"),
        ):
            pal.setColor(role, QColor(color))
        panel.setPalette(pal)
    findings = (
        Finding("token-expired", "error", "Expired", "It expired.", {"authorization": f"Bearer {raw}"}),
    )
    panel.set_result(_exchange(raw), _diagnosis(raw, findings=findings))
    pasted = _mint(_claims(T, timedelta(minutes=5)))
    panel.paste_token(pasted)
    _settle(qtbot, panel)

    # plain mode: the raw token can be revealed on purpose (on the Explanation tab; the decoder has its own)
    panel.sections.setCurrentWidget(panel.scroll_area)
    panel.token_view.raw.toggle.click()
    assert any(raw in t for t in _visible_texts(panel))

    panel.set_screen_share_safe(True)
    _settle(qtbot, panel)
    texts = _visible_texts(panel)
    panel.sections.setCurrentWidget(panel.decoder_area)  # and what the decoder tab shows
    texts += _visible_texts(panel)
    panel.sections.setCurrentWidget(panel.scroll_area)
    for secret in (raw, pasted, raw[:40], pasted[:40]):
        assert not any(secret in t for t in texts), "a raw token is on screen in screen-share-safe mode"
    assert not panel.token_view.raw.toggle.isEnabled()
    assert not panel.credential_value.toggle.isEnabled()
    assert panel.paste_box.edit.echoMode() == QLineEdit.EchoMode.Password
    # decoded claims stay readable
    assert "user-42" in panel.token_view.claims_table.column_texts(1)
    assert "user-42" in panel.paste_box.token_view.claims_table.column_texts(1)
    _shoot(panel.scroll_area.widget(), tmp_path, f"panel-safe-{palette_name}.png")

    panel.set_screen_share_safe(False)
    assert panel.token_view.raw.toggle.isEnabled()
    assert panel.paste_box.edit.echoMode() == QLineEdit.EchoMode.Normal


def test_clear_and_transport_error(qtbot, panel: ExplainerPanel) -> None:
    failure = TransportFailure("connection", "GET http://127.0.0.1:9/ failed: the connection was refused.")
    ex = Exchange(
        RequestSpec(url="http://127.0.0.1:9/"), (Hop("GET", "http://127.0.0.1:9/", ()),), error=failure
    )
    panel.set_result(ex, None)
    _settle(qtbot, panel)
    assert panel.result_box.isVisible()
    assert "connection was refused" in panel.summary.text().replace("\u200b", "")
    assert "no response (connection)" in panel.request_line.text().replace("\u200b", "")
    panel.clear()
    assert panel.placeholder.isVisible() and not panel.result_box.isVisible()


_ExpiredTokenApi = answering(
    401, json.dumps({"error": "invalid_token", "error_description": "The access token expired"}),
    {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"', "Content-Type": "application/json"},
)


def test_real_send_and_explain_end_to_end(qtbot, http_server, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    token = _mint(_claims(now, timedelta(minutes=-10)))
    url = http_server(_ExpiredTokenApi)
    spec = RequestSpec(url=f"{url}/orders", headers=(Header("Authorization", f"Bearer {token}"),))
    exchange = send(spec)
    diagnosis = explain(exchange)
    panel = ExplainerPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 900)
    panel.set_result(exchange, diagnosis)
    _settle(qtbot, panel)
    assert panel.verdict() == "authentication"
    assert "token-expired" in panel.findings.ids()
    # errors first: the only error here is the expiry
    assert panel.findings.ids()[0] == "token-expired"
    assert [c.finding.severity for c in panel.findings.cards] == sorted(
        (c.finding.severity for c in panel.findings.cards), key=["error", "warning", "info"].index)
    assert "invalid_token" in panel.server_box.text()
    assert panel.token_view.timeline.isVisible()
    assert not any(token in t for t in _visible_texts(panel))  # masked unless revealed
    _shoot(panel.scroll_area.widget(), tmp_path, "panel-real-expired.png")


def _jwks_handler(jwks: dict, gate: threading.Event | None = None) -> type[QuietHandler]:
    # with a gate: bounded, the test opens it when done
    return answering(200, json.dumps(jwks), {"Content-Type": "application/json"}, gate=gate)


def _rsa_token_and_jwks() -> tuple[str, dict]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "test-key", "use": "sig", "alg": "RS256"})
    claims = _claims(datetime.now(UTC), timedelta(hours=1))
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "test-key"})
    return token, {"keys": [jwk]}


def test_jwks_check_runs_off_the_ui_thread_and_verifies(qtbot, panel: ExplainerPanel, http_server) -> None:
    token, jwks = _rsa_token_and_jwks()
    url = http_server(_jwks_handler(jwks)) + "/jwks.json"
    panel.paste_token(token)
    box = panel.paste_box
    assert "Signature not checked" in box.token_view.badge.text()
    with qtbot.waitSignal(box.jwks_check_finished, timeout=15000) as blocker:
        box.start_jwks_check(url)
        assert box.is_checking()
    assert blocker.args == ["verified"]
    assert box.token_view.badge.text() == "✔ Signature verified"
    assert not box.is_checking()


def test_jwks_check_can_be_cancelled(qtbot, panel: ExplainerPanel, http_server) -> None:
    token, jwks = _rsa_token_and_jwks()
    gate = threading.Event()
    url = http_server(_jwks_handler(jwks, gate)) + "/jwks.json"
    panel.paste_token(token)
    box = panel.paste_box
    try:
        box.start_jwks_check(url)
        with qtbot.waitSignal(box.jwks_check_finished, timeout=2000) as blocker:
            box.cancel_button.click()
        assert blocker.args == ["cancelled"]
        assert box.status.text() == "Signature check cancelled."
    finally:
        gate.set()
    assert box.wait_for_workers(15000)
    qtbot.wait(50)  # let a late answer arrive: it must be ignored
    assert "Signature not checked" in box.token_view.badge.text()
    assert box.check_button.isEnabled()


def test_evidence_details_made_on_opening_are_masked_like_the_card(qtbot, panel: ExplainerPanel, raw: str) -> None:
    """A card's raw evidence is made when its Details are first opened, through the same mask: the token
    sent (a secret of this exchange) never shows, and in screen-share-safe mode a secret key is masked whole."""
    finding = Finding("token-expired", "error", "The token expired", "exp passed.",
                      {"sent": f"Authorization: Bearer {raw}", "client_secret": "s3cr3t-value-1234567890"},
                      "Get a new token.")
    panel.set_result(_exchange(raw), _diagnosis(raw, findings=(finding,)))
    panel.set_screen_share_safe(True)
    card = panel.findings.cards[0]
    assert card.details is not None and card.details.layout() is None  # not made yet
    assert card.details_toggle is not None
    card.details_toggle.setChecked(True)
    texts = [lab.text() for lab in card.details.findChildren(QLabel)]
    assert any("client_secret" in t for t in texts)
    assert not any(raw in t or "s3cr3t-value" in t for t in texts)


def test_the_first_answer_is_shown_once_filled(qtbot, panel: ExplainerPanel, raw: str) -> None:
    """The result parts become visible once their content is set: shown first and filled after, every part
    shown or hidden while filling went through Qt's show machinery under a visible parent, one at a time,
    which made the first answer's stall longer."""
    from PySide6.QtCore import QEvent, QObject

    seen: list[tuple[str, bool]] = []

    class OnShow(QObject):
        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.Show:
                seen.append((panel.verdict_title.text(), panel.token_view.isVisibleTo(panel.result_box)))
            return False

    panel.show()
    watcher = OnShow()
    panel.result_box.installEventFilter(watcher)
    panel.set_result(_exchange(raw), _diagnosis(raw))
    assert panel.result_box.isVisible()
    assert seen == [(panel.verdict_title.text(), True)]  # the verdict and the token were there when it appeared
    assert seen[0][0]


EXPIRED = Finding("token-expired", "error", "The token expired", "exp is before the server's time.",
                  {"exp": "2024-05-01T09:55:48Z"}, "Get a new token.")


def test_with_then_the_findings_come_first_and_the_rest_on_the_next_turn(qtbot, panel: ExplainerPanel,
                                                                          raw: str) -> None:
    """The UI thread is not held for the whole explanation at a stretch: the verdict and the findings are made
    when set_result returns, the token, the server's words and the rest on the next turn, then() after that.
    (A first answer's box appears with the second step, whole.)"""
    panel.show()
    done: list[str] = []
    panel.set_result(_exchange(raw), _diagnosis(raw, findings=(EXPIRED,)), then=lambda: done.append("drawn"))
    assert panel.verdict() == "authentication" and panel.findings.ids() == ["token-expired"]
    assert panel.token_view.format_label.text() == "" and done == []  # not yet: the next turn
    qtbot.waitUntil(lambda: done == ["drawn"])
    assert panel.token_view.format_label.text() and panel.result_box.isVisible()
    texts = " ".join(_visible_texts(panel))
    assert "The access token expired" in texts and "The token expired" in texts


def test_another_result_or_a_clear_before_the_second_turn_drops_then(qtbot, panel: ExplainerPanel,
                                                                      raw: str) -> None:
    panel.show()
    done: list[str] = []
    panel.set_result(_exchange(raw), _diagnosis(raw), then=lambda: done.append("first"))
    panel.set_result(_exchange(raw), _diagnosis(raw, findings=(EXPIRED,)), then=lambda: done.append("second"))
    qtbot.waitUntil(lambda: done == ["second"])
    assert panel.findings.ids() == ["token-expired"]
    panel.set_result(_exchange(raw), _diagnosis(raw), then=lambda: done.append("third"))
    panel.clear()
    qtbot.wait(50)
    assert done == ["second"] and panel.placeholder.isVisible() and not panel.result_box.isVisible()


def test_a_redraw_before_the_second_turn_finishes_at_once(qtbot, panel: ExplainerPanel, raw: str) -> None:
    """Screen-share mode switched on in between: the result is drawn whole, masked, and then() runs then."""
    secret = "s3cr3t-client-value-42"
    leaky = Finding("token-expired", "error", "The token expired", "exp is before the server's time.",
                    {"client_secret": secret}, "Get a new token.")
    panel.show()
    panel.set_result(_exchange(raw), _diagnosis(raw, findings=(leaky,)))  # an answer already on screen
    panel.findings.cards[0].details_toggle.setChecked(True)
    assert secret in " ".join(_visible_texts(panel))  # safe mode off: evidence is shown as it is
    done: list[str] = []
    panel.set_result(_exchange(raw), _diagnosis(raw, findings=(leaky,)), then=lambda: done.append("drawn"))
    panel.findings.cards[0].details_toggle.setChecked(True)
    panel.set_screen_share_safe(True)
    assert done == ["drawn"] and panel.token_view.format_label.text()
    assert secret not in " ".join(_visible_texts(panel))
    qtbot.wait(50)
    assert done == ["drawn"]  # once


def test_the_same_answer_explained_again_in_between_runs_then_once(qtbot, panel: ExplainerPanel,
                                                                   raw: str) -> None:
    """The expectations typed in the panel explain the same exchange again before the second turn: drawn at
    once with the new explanation, and what was to follow the first drawing still follows (once)."""
    panel.show()
    exchange = _exchange(raw)
    done: list[str] = []
    panel.set_result(exchange, _diagnosis(raw), then=lambda: done.append("drawn"))
    panel.set_result(exchange, _diagnosis(raw, findings=(EXPIRED,)))
    assert done == ["drawn"] and panel.findings.ids() == ["token-expired"] and panel.result_box.isVisible()
    qtbot.wait(50)
    assert done == ["drawn"]


def test_a_step_that_fails_leaves_nothing_to_follow(qtbot, panel: ExplainerPanel, raw: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A step that raises (a bug) is reported as any error is; what was to follow the drawing is dropped, so
    a later redraw (here: screen-share mode) does not run it at an unrelated moment."""
    panel.show()
    failures: list[BaseException] = []
    monkeypatch.setattr(panel.token_view, "set_token", lambda *_a, **_k: (_ for _ in ()).throw(RuntimeError("x")))
    monkeypatch.setattr("sys.excepthook", lambda _t, exc, _tb: failures.append(exc))
    done: list[str] = []
    panel.set_result(_exchange(raw), _diagnosis(raw), then=lambda: done.append("drawn"))
    qtbot.waitUntil(lambda: bool(failures))
    monkeypatch.undo()  # set_token and the excepthook as they were
    panel.set_screen_share_safe(True)
    qtbot.wait(50)
    assert done == [] and isinstance(failures[0], RuntimeError)
