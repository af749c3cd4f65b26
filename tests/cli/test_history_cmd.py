"""`history list|incidents` end to end: a real burst of refusals against a loopback server, recorded by
`send` into a real sqlite history in tmp_path, found again as an incident; and a customer's HAR analysed
without being imported."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest

from inspector.cli import main
from inspector.core.history import HistoryStore
from tests.support.servers import QuietHandler

SECRET = "burst-test-signing-secret-0123456789"


def make_token(exp: float, kid: str = "k1") -> str:
    claims = {
        "iss": "https://idp.test",
        "sub": "svc-billing",
        "aud": "api",
        "iat": int(exp) - 300,
        "exp": int(exp),
        "scope": "orders:read",
    }
    return jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": kid})


class ExpiryApi(QuietHandler):
    """200 for a token whose exp is in the future, 401 invalid_token (expired) otherwise."""

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        claims = jwt.decode(auth.removeprefix("Bearer "), options={"verify_signature": False})
        if claims["exp"] > time.time():
            body, status, extra = b'{"orders": []}', 200, []
        else:
            body, status = b'{"error": "invalid_token", "error_description": "The token expired"}', 401
            extra = [
                ("WWW-Authenticate", 'Bearer error="invalid_token", error_description="The token expired"')
            ]
        self.reply(status, body, [("Content-Type", "application/json"), *extra])


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


@pytest.fixture
def burst(http_server: Callable[[type[QuietHandler]], str], tmp_path: Path) -> tuple[str, Path]:
    base = http_server(ExpiryApi)
    db = tmp_path / "history.sqlite3"
    good, expired = make_token(time.time() + 3600), make_token(time.time() - 600)
    for token in [good] * 3 + [expired] * 5:
        status = main(
            [
                "send",
                f"{base}/orders",
                "-H",
                f"Authorization: Bearer {token}",
                "--history-file",
                str(db),
                "--json",
            ]
        )
        assert status == 0
    return base, db


def test_send_records_and_history_lists_newest_first(
    burst: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, db = burst
    capsys.readouterr()
    status, out = cli(capsys, "history", "list", "--json", "--history-file", str(db))
    assert status == 0
    entries = json.loads(out)["entries"]
    assert [e["status"] for e in entries] == [401] * 5 + [200] * 3
    assert entries[0]["id"] > entries[-1]["id"]
    first = entries[0]
    assert first["verdict"] == "authentication" and "token-expired" in first["findings"]
    assert first["host"] == base.removeprefix("http://") and first["profile"] is None
    assert first["method"] == "GET" and first["url"] == f"{base}/orders"
    assert first["at"].endswith("Z")
    status, out = cli(capsys, "history", "list", "--json", "--verdict", "ok", "--history-file", str(db))
    assert [e["verdict"] for e in json.loads(out)["entries"]] == ["ok"] * 3
    raw = db.read_bytes() + (Path(f"{db}-wal").read_bytes() if Path(f"{db}-wal").exists() else b"")
    assert SECRET.encode() not in raw
    assert make_token(time.time() - 600).split(".")[2].encode() not in raw  # no signature is ever stored


def test_the_burst_is_found_as_an_incident(
    burst: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, db = burst
    capsys.readouterr()
    status, out = cli(capsys, "history", "incidents", "--json", "--since", "1h", "--history-file", str(db))
    assert status == 0
    found = json.loads(out)["incidents"]
    assert len(found) == 1
    incident = found[0]
    assert incident["cause"] == "credentials-expired"
    assert incident["failed"] == 5 and incident["ongoing"] is True
    assert incident["hosts"] == [base.removeprefix("http://")]
    assert incident["last_success"] is not None and incident["last_success"] < incident["first_failure"]
    assert incident["evidence"]["issuers"] == ["https://idp.test"]
    assert incident["evidence"]["error_codes"] == ["invalid_token"]
    assert len(incident["entries"]) == 5
    assert "expired" in incident["next_step"]
    status, text = cli(capsys, "history", "incidents", "--history-file", str(db))
    assert status == 0 and "credentials-expired" in text and "next step:" in text


def test_no_history_records_nothing(
    http_server: Callable[[type[QuietHandler]], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = http_server(ExpiryApi)
    db = tmp_path / "h.sqlite3"
    token = make_token(time.time() + 3600)
    main(
        [
            "send",
            f"{base}/x",
            "-H",
            f"Authorization: Bearer {token}",
            "--history-file",
            str(db),
            "--no-history",
        ]
    )
    main(["send", f"{base}/x", "-H", f"Authorization: Bearer {token}", "--history-file", str(db)])
    with HistoryStore(db) as store:
        assert store.count() == 1


def test_a_customers_har_is_analysed_not_imported(
    burst: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, db = burst
    good, expired = make_token(time.time() + 3600), make_token(time.time() - 600)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())

    def har_entry(token: str, status: int) -> dict[str, Any]:
        headers = [{"name": "Authorization", "value": f"Bearer {token}"}]
        answer = [{"name": "Date", "value": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())}]
        if status == 401:
            answer.append({"name": "WWW-Authenticate", "value": 'Bearer error="invalid_token"'})
        return {
            "startedDateTime": now,
            "time": 5,
            "request": {
                "method": "GET",
                "url": "https://shop.customer.test/api/cart",
                "httpVersion": "HTTP/1.1",
                "headers": headers,
                "queryString": [],
                "cookies": [],
                "headersSize": -1,
                "bodySize": 0,
            },
            "response": {
                "status": status,
                "statusText": "",
                "httpVersion": "HTTP/1.1",
                "headers": answer,
                "cookies": [],
                "content": {"size": 0, "mimeType": "application/json", "text": ""},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": 0,
            },
            "cache": {},
            "timings": {"send": 0, "wait": 5, "receive": 0},
        }

    har = tmp_path / "customer.har"
    har.write_text(
        json.dumps(
            {
                "log": {
                    "version": "1.2",
                    "creator": {"name": "x", "version": "1"},
                    "entries": [har_entry(good, 200), *[har_entry(expired, 401)] * 4],
                }
            }
        )
    )
    with HistoryStore(db) as store:
        before = store.count()
    capsys.readouterr()
    status, out = cli(capsys, "history", "incidents", "--har", str(har), "--json", "--history-file", str(db))
    assert status == 0
    (incident,) = json.loads(out)["incidents"]
    assert incident["cause"] == "credentials-expired"
    assert incident["hosts"] == ["shop.customer.test:443"]
    assert incident["entries"] == [2, 3, 4, 5]
    with HistoryStore(db) as store:
        assert store.count() == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["history", "incidents", "--since", "soon"], "--since"),
        (["history", "list", "--har", "x.har"], "--har goes with"),
        (["history", "incidents", "--har", "/nonexistent/file.har"], "cannot be read"),
    ],
)
def test_bad_input_is_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status = main([*argv, "--history-file", str(tmp_path / "h.sqlite3")])
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1
