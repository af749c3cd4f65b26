"""A pasted curl command sent for real to a loopback server, explained, stored, exported: and no secret leaks."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

from inspector.core.diagnosis import explain
from inspector.core.export import (
    build_report,
    dump_har,
    exchange_to_har_entries,
    parse_curl,
    parse_har,
    report_html,
    to_curl,
    to_har,
)
from inspector.core.history import HistoryStore
from inspector.core.transport import send
from tests.support.samples import JWT, SECRETS
from tests.support.servers import QuietHandler

RECEIVED: list[dict] = []


class _Api(QuietHandler):
    """POST /login redirects to /api/things, which refuses the token and echoes what it was sent."""

    def _record(self) -> bytes:
        body = self.read_body()
        RECEIVED.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        return body

    def do_POST(self) -> None:
        self._record()
        self.reply(302, b"", {"Location": "/api/things",
                              "Set-Cookie": f"session={SECRETS['set-cookie']}; Path=/; HttpOnly"})

    def do_GET(self) -> None:
        self._record()
        self.reply_json(401, {"error": "invalid_token",
                              "error_description": f"Rejected {self.headers.get('Authorization')}"},
                        {"WWW-Authenticate": 'Bearer realm="demo", error="invalid_token"'})


def test_curl_to_wire_to_history_and_exports(http_server, tmp_path: Path) -> None:
    RECEIVED.clear()
    base = http_server(_Api)
    command = (
        f"curl -L -X POST '{base}/login?api_key={SECRETS['api-key-query']}' \\\n"
        f"  -H 'Authorization: Bearer {JWT}' \\\n"
        f"  -H 'X-API-Key: {SECRETS['api-key-header']}' \\\n"
        f"  -b 'session={SECRETS['cookie']}' \\\n"
        f"  --data-urlencode 'username=demo user' \\\n"
        f"  --data-urlencode 'password={SECRETS['login-password']}'"
    )
    imported = parse_curl(command)
    assert imported.warnings == ()
    exchange = send(imported.spec)
    assert exchange.error is None, exchange.error

    # what the server got is what curl would have sent
    login = RECEIVED[0]
    assert login["method"] == "POST" and login["path"] == f"/login?api_key={SECRETS['api-key-query']}"
    assert login["headers"]["Authorization"] == f"Bearer {JWT}"
    assert login["headers"]["Cookie"] == f"session={SECRETS['cookie']}"
    assert parse_qs(login["body"].decode()) == {
        "username": ["demo user"],
        "password": [SECRETS["login-password"]],
    }
    assert [h.status for h in exchange.request_hops] == [302, 401]

    diagnosis = explain(exchange)
    assert diagnosis.verdict == "authentication"

    with HistoryStore(tmp_path / "history.sqlite3") as store:
        record = store.get(store.add(exchange, diagnosis))
        assert record.row.status == 401 and record.row.verdict == "authentication"
        reopened = record.spec
        assert reopened.method == "POST" and reopened.follow_redirects is True
        assert [f.name for f in reopened.body.fields] == ["username", "password"]
        stored = repr(record)
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file()).decode("latin-1")

    har_text = dump_har(to_har(exchange_to_har_entries(exchange, diagnosis)))
    assert [h.status for h in parse_har(har_text)[0].exchange.hops] == [302, 401]
    outputs = {
        "history": stored + on_disk,
        "to_curl": to_curl(exchange.spec) + "\n".join(to_curl(h) for h in exchange.hops),
        "har": har_text,
        "report": build_report(exchange, diagnosis),
        "html": report_html(exchange, diagnosis),
    }
    for name, text in outputs.items():
        for secret in ("api-key-query", "api-key-header", "cookie", "set-cookie", "login-password", "bearer"):
            assert SECRETS[secret] not in text, (name, secret)
    assert "invalid_token" in outputs["html"]
