"""`send --retry-with FIX` against the real demo API: the `retry` object of --json, the text output, both
exchanges in history, and the exit statuses when the FIX is unreadable or cannot apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.core.history import HistoryStore
from inspector.demo.scenarios import DEMO_CLIENT_SECRET
from inspector.demo.server import DemoServer
from tests.support.cli import Cli

ENV = {"RETRY_TEST_CLIENT_SECRET": DEMO_CLIENT_SECRET}


def profiles_dir(tmp_path: Path, base: str) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "billing.toml").write_text(
        'format = 1\nname = "billing"\nkind = "oauth2-client-credentials"\n'
        f'base_url = "{base}"\n[credentials]\ntoken_url = "{base}/oauth/token"\nclient_id = "demo-service"\n'
        'client_secret = "${env:RETRY_TEST_CLIENT_SECRET}"\nscope = "invoices:read"\n', encoding="utf-8")
    return folder


def send_args(base: str, tmp_path: Path, *extra: str) -> list[str]:
    return ["send", "-X", "POST", "-d", "{}", f"{base}/api/invoices", "--profile", "billing",
            "--profiles-dir", str(profiles_dir(tmp_path, base)), "--history-file", str(tmp_path / "h.sqlite3"),
            *extra]


def test_retry_json_shape_and_history(cli: Cli, demo_server: DemoServer, tmp_path: Path) -> None:
    base = demo_server.base_url
    result = cli(*send_args(base, tmp_path, "--retry-with", "scope:invoices:write", "--json"), env=ENV)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["response"]["status"] == 403
    retry = doc["retry"]
    assert set(retry) == {"fix", "exchange", "confirmed", "conclusion"}
    assert retry["fix"] == "scope:invoices:write" and retry["confirmed"] is True
    assert retry["conclusion"] == ("With scope invoices:write the same request succeeded (201): the missing "
                                   "scope invoices:write was the cause.")
    second = retry["exchange"]
    assert set(second) >= {"request", "hops", "response", "error", "token", "diagnosis"}  # as send --json
    assert second["response"]["status"] == 201 and second["diagnosis"]["verdict"] == "ok"
    assert second["request"]["profile"] == "billing"
    assert sorted(second["token"]["claims"]["scope"].split()) == ["invoices:read", "invoices:write"]
    assert second["request"]["headers"]["Authorization"].endswith("…")  # masked
    assert DEMO_CLIENT_SECRET not in result.stdout
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        assert store.count() == 2


def test_retry_text_shows_both_outcomes(cli: Cli, demo_server: DemoServer, tmp_path: Path) -> None:
    base = demo_server.base_url
    result = cli(*send_args(base, tmp_path, "--retry-with", "fresh-token", "--no-history"), env=ENV)
    assert result.returncode == 0, result.stderr
    first, _, second = result.stdout.partition("=== Try the fix: Try with a fresh token ===")
    assert "HTTP 403" in first and "HTTP 403" in second
    assert second.rstrip().endswith("Not confirmed: With a fresh token the server still refused (403): the "
                                     "token's age was not the cause. Your token lacks the scope this request "
                                     "needs (invoices:write).")
    assert not (tmp_path / "h.sqlite3").exists()


def test_an_unreadable_fix_sends_nothing(cli: Cli, demo_server: DemoServer, tmp_path: Path) -> None:
    result = cli(*send_args(demo_server.base_url, tmp_path, "--retry-with", "newer-token"), env=ENV)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == ("request-inspector: --retry-with: 'newer-token' is not a fix this app can "
                                  "try: use fresh-token, scope:NAME, profile:NAME, scheme:NAME or csrf.")
    assert not (tmp_path / "h.sqlite3").exists()


@pytest.mark.parametrize("as_json", [True, False])
def test_a_fix_that_cannot_apply_is_bad_input(cli: Cli, demo_server: DemoServer, tmp_path: Path,
                                              as_json: bool) -> None:
    argv = ["send", f"{demo_server.base_url}/api/invoices", "--retry-with", "fresh-token", "--no-history"]
    result = cli(*argv, *(["--json"] if as_json else []))
    assert result.returncode == 2
    assert "A fresh token can only be fetched for an OAuth 2 profile" in result.stderr
    if as_json:
        retry = json.loads(result.stdout)["retry"]
        assert retry["exchange"] is None and retry["confirmed"] is False and "OAuth 2" in retry["error"]
    else:
        assert "HTTP 401" in result.stdout and "Try the fix" not in result.stdout
