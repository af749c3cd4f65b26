"""The secret scan: with known secret values sent and received, nothing history or an export writes holds them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.export import (
    build_report,
    dump_har,
    exchange_to_har_entries,
    report_html,
    to_curl,
    to_har,
)
from inspector.core.history import HistoryStore
from inspector.core.redact import Redactor
from inspector.core.request import RequestSpec
from tests.support.samples import SECRETS, secret_diagnosis, secret_exchange
from tests.support.servers import answering

PROFILE_SECRET = (
    "profile-resolved-secret-000111"  # known only to the Redactor, as a profile's secret would be
)


def _history_text(tmp_path: Path, exchange: Exchange) -> str:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        entry_id = store.add(exchange, secret_diagnosis(), Redactor([PROFILE_SECRET]))
        record = store.get(entry_id)
        shown = repr(record) + repr(store.page())
        shown += dump_har(to_har(exchange_to_har_entries(record.exchange, record.diagnosis)))
        shown += build_report(record.exchange, record.diagnosis)
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    return shown + raw.decode("latin-1")


OUTPUTS: dict[str, Callable[[Exchange, Path], str]] = {
    "history": lambda ex, tmp: _history_text(tmp, ex),
    "to_curl(spec)": lambda ex, tmp: to_curl(ex.spec, redactor=Redactor([PROFILE_SECRET])),
    "to_curl(hops)": lambda ex, tmp: "\n".join(
        to_curl(h, redactor=Redactor([PROFILE_SECRET])) for h in ex.hops
    ),
    "to_har": lambda ex, tmp: dump_har(
        to_har(exchange_to_har_entries(ex, secret_diagnosis(), redactor=Redactor([PROFILE_SECRET])))
    ),
    "build_report": lambda ex, tmp: build_report(ex, secret_diagnosis(), redactor=Redactor([PROFILE_SECRET])),
    "report_html": lambda ex, tmp: report_html(ex, secret_diagnosis(), redactor=Redactor([PROFILE_SECRET])),
}


def _with_profile_secret(exchange: Exchange) -> Exchange:
    """The profile's secret also turns up where no name says it is secret: an echoing body."""
    hop = exchange.hops[-1]
    echo = Response(
        200, "OK", (("Content-Type", "text/plain"),), f"debug: key={PROFILE_SECRET}\n".encode(), 40
    )
    extra_hop = Hop("GET", "http://127.0.0.1:8765/debug", (("X-Custom", PROFILE_SECRET),), b"", echo, 0.001,
                    hop.sent_at)  # fmt: skip
    return Exchange(exchange.spec, (*exchange.hops, extra_hop), None, exchange.sent_at, exchange.received_at,
                    exchange.profile_name, exchange.token_problem)  # fmt: skip


@pytest.mark.parametrize("output", list(OUTPUTS))
def test_no_secret_survives(output: str, tmp_path: Path) -> None:
    text = OUTPUTS[output](_with_profile_secret(secret_exchange()), tmp_path)
    assert text  # the output was written at all
    leaked = [name for name, value in [*SECRETS.items(), ("profile", PROFILE_SECRET)] if value in text]
    assert leaked == []


@pytest.mark.parametrize("output", ["to_curl(spec)", "to_har", "build_report"])
def test_masked_outputs_still_say_what_was_sent(output: str, tmp_path: Path) -> None:
    text = OUTPUTS[output](secret_exchange(), tmp_path)
    assert "Bearer eyJhbG…" in text  # the scheme and a recognisable start remain
    assert "ak_liv…" in text


# A tiny OAuth token endpoint: it echoes nothing but answers with a token and a session cookie.
_TokenEndpoint = answering(
    200, json.dumps({"access_token": SECRETS["access-token"], "token_type": "Bearer", "expires_in": 60}),
    {"Content-Type": "application/json", "Set-Cookie": f"sid={SECRETS['set-cookie']}; Path=/; HttpOnly"},
)


def test_a_real_token_request_is_stored_and_exported_masked(http_server, tmp_path: Path) -> None:
    base = http_server(_TokenEndpoint)
    sent_at = datetime.now(UTC)
    r = requests.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials", "client_secret": SECRETS["client-secret"]},
        auth=("billing-client", SECRETS["basic-password"]),
        timeout=10,
    )
    hop = Hop(
        "POST",
        r.request.url,
        tuple(r.request.headers.items()),
        r.request.body.encode() if isinstance(r.request.body, str) else r.request.body or b"",
        Response(r.status_code, r.reason, tuple(r.raw.headers.items()), r.content, len(r.content)),
        r.elapsed.total_seconds(),
        sent_at,
        role="token",
    )
    exchange = Exchange(RequestSpec("POST", r.request.url), (hop,), sent_at=sent_at)
    texts = {name: fn(exchange, tmp_path / name.replace("(", "_").replace(")", "")) for name, fn in OUTPUTS.items()
             if name != "history"}  # fmt: skip
    (tmp_path / "db").mkdir()
    texts["history"] = _history_text(tmp_path / "db", exchange)
    for name, text in texts.items():
        for secret in ("client-secret", "basic-password", "basic-encoded", "access-token", "set-cookie"):
            assert SECRETS[secret] not in text, (name, secret)
    assert "cs_cli" in texts["to_curl(hops)"]  # the field is there, masked


def test_ordinary_words_are_not_scrubbed_as_secrets() -> None:
    """A short cookie value or a JSON error "code" must not blank the same words everywhere else."""
    hop = Hop(
        "GET",
        "http://127.0.0.1:8765/api/me",
        (("Cookie", "theme=dark; consent=true"), ("Authorization", f"Bearer {SECRETS['access-token']}")),
        b"",
        Response(
            401,
            "Unauthorized",
            (("Content-Type", "application/json"), ("WWW-Authenticate", 'Bearer error="invalid_token"')),
            json.dumps({"error": {"code": "invalid_token", "message": "dark mode is true"}}).encode(),
            80,
        ),
        0.002,
        datetime(2024, 5, 1, tzinfo=UTC),
    )
    exchange = Exchange(RequestSpec("GET", hop.url), (hop,), sent_at=hop.sent_at)
    text = build_report(exchange, {"verdict": "authentication", "summary": "The server says invalid_token."})
    assert 'Bearer error="invalid_token"' in text and "The server says invalid\\_token." in text
    assert "dark mode is true" in text
    assert SECRETS["access-token"] not in text
