"""The support report: its sections, its toggles, escaping, and that it can be rebuilt from history."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

import inspector
from inspector.core.export import ReportOptions, build_report, report_html, timeline_in_words
from inspector.core.history import HistoryStore
from tests.support.samples import JWT, JWT_SIGNATURE, secret_diagnosis, secret_exchange, simple_exchange


def test_markdown_report_holds_every_section() -> None:
    text = build_report(
        secret_exchange(),
        secret_diagnosis(),
        ReportOptions(),
        generated_at=datetime(2024, 5, 2, 9, 0, tzinfo=UTC),
    )
    assert text.startswith("# Request Inspector report\n")
    assert f"Request Inspector {inspector.__version__}" in text
    assert "report written 2024-05-02 09:00:00 UTC" in text and "profile “Billing API (staging)”" in text
    assert "## Verdict: authentication" in text
    assert "Your token expired 4 min 12 s before the request (by the server's clock)." in text
    for finding in ("token-expired", "credentials-stripped-on-redirect", "server-message"):
        assert finding in text
    assert "Next step: Fetch a new token and send again." in text
    assert "- exp: `1714557348`" in text  # evidence
    assert "Bearer realm=demo, error=invalid\\_token" in text  # the challenge, parsed
    assert "no JWKS configured" in text
    assert "### Hop 1 (token request): POST http://127.0.0.1:8765/oauth/token → 200 OK" in text
    assert "### Hop 3: POST http://localhost:8765/api/things?page=1 → 401 Unauthorized" in text
    assert "origin changed: Authorization, Cookie, X-API-Key" in text
    assert "Authorization: Bearer eyJhbG…" in text
    assert "HTTP/1.1 401 Unauthorized" in text and "WWW-Authenticate: Bearer realm=" in text
    assert '"sub": "user-42"' in text and '"kid": "demo-key"' in text  # decoded header and claims
    assert "decoded without verifying the signature" in text
    assert "It expired 4 min 12 s before the request (by the server's clock)." in text
    assert "Your clock and the server's agree to within 2 s." in text
    assert JWT not in text and JWT_SIGNATURE not in text


@pytest.mark.parametrize(
    ("option", "gone"),
    [
        ("headers", "X-API-Key: ak_liv…"),
        ("body", '"access_token"'),
        ("claims", '"sub": "user-42"'),
        ("timeline", "## Timeline"),
        ("hops", "### Hop 1 (token request)"),
    ],
)
def test_options_turn_sections_off(option: str, gone: str) -> None:
    full = build_report(secret_exchange(), secret_diagnosis(), ReportOptions())
    assert gone in full
    without = build_report(secret_exchange(), secret_diagnosis(), replace(ReportOptions(), **{option: False}))
    assert gone not in without
    assert "## Verdict: authentication" in without


def test_body_excerpt_is_bounded() -> None:
    exchange = simple_exchange(500)
    hop = exchange.hops[0]
    long = replace(hop.response, body=b"z" * 20_000, body_bytes=20_000)
    text = build_report(
        replace(exchange, hops=(replace(hop, response=long),)), None, ReportOptions(body_limit=300)
    )
    assert "z" * 300 in text and "z" * 301 not in text
    assert "(only the first 300 characters of 20000 bytes are shown)" in text
    assert "The request was not explained" in text


def test_html_is_escaped_and_self_contained() -> None:
    page = report_html(secret_exchange(), secret_diagnosis())
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert (
        "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; friends" in page
    )
    assert "&lt;b&gt;4 minutes&lt;/b&gt;" in page  # the server's body, shown as text
    assert not re.search(r"(src|href)\s*=|<link|@import|url\(", page, re.IGNORECASE)
    assert "<style>" in page and "Verdict: authentication" in page
    assert JWT not in page and JWT_SIGNATURE not in page


def test_transport_error_report() -> None:
    text = build_report(
        simple_exchange(None), {"verdict": "transport-error", "summary": "Nothing came back."}
    )
    assert "No response (connection): Could not connect to https://api.test/items." in text
    assert "## Verdict: transport-error" in text


def test_report_from_a_history_record(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        record = store.get(store.add(secret_exchange(), secret_diagnosis()))
    text = build_report(record.exchange, record.diagnosis)
    assert "## Verdict: authentication" in text and "token-expired" in text and '"sub": "user-42"' in text
    assert "It expired 4 min 12 s before the request" in text


@pytest.mark.parametrize(
    ("timeline", "expected"),
    [
        (
            {"remaining_s": -252.0, "server_date": "2024-05-01T10:00:01+00:00"},
            "It expired 4 min 12 s before the",
        ),
        ({"remaining_s": 30.0}, "It had 30 s left when the request was made (by your clock)."),
        ({"clock_skew_s": 400.0}, "Your clock is 6 min 40 s behind the server's."),
        ({"clock_skew_s": -5.0}, "Your clock is 5 s ahead of the server's."),
        ({"lifetime_s": 3600.0}, "Its lifetime is 1 h."),
        ({"issued_at": "2024-05-01T09:02:28+00:00"}, "The token was issued 2024-05-01 09:02:28 UTC."),
        ({"not_before": "2024-05-01T11:00:00+02:00"}, "It is not valid before 2024-05-01 09:00:00 UTC."),
    ],
)
def test_timeline_in_words(timeline: dict, expected: str) -> None:
    assert any(line.startswith(expected) for line in timeline_in_words(timeline)), timeline_in_words(timeline)
