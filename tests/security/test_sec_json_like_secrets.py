"""A secret that reads like JSON ("null", a field name, a quote) must be masked as a value, never rewrite the
document that carries it: `send --json`, history and HAR keep their shape."""

from __future__ import annotations

import base64
import json

import pytest

from inspector.core.history import HistoryStore
from inspector.core.pipeline import prepare
from inspector.core.profiles import Resolver, new_profile
from inspector.core.request import RequestSpec
from tests.support.cli import Cli
from tests.support.servers import answering

PASSWORDS = ["null", "true", "findings", "verdict", 'a"b\\c']


Basic = answering(401, b'{"message": "Bad credentials"}',
                  {"Content-Type": "application/json", "WWW-Authenticate": 'Basic realm="api"'})


@pytest.mark.parametrize("password", PASSWORDS)
def test_send_json_keeps_its_shape(cli: Cli, http_server, tmp_path, password: str) -> None:
    url = http_server(Basic)
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "basic.toml").write_text(
        'format = 1\nname = "B"\nkind = "basic"\n[credentials]\nusername = "u"\npassword = "${env:BPW}"\n'
    )
    result = cli("send", f"{url}/x", "--profile", "B", "--profiles-dir", str(folder), "--json",
                 env={"BPW": password})
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc["diagnosis"]) >= {"verdict", "summary", "findings", "challenges"}
    assert doc["diagnosis"]["verdict"] == "authentication"
    encoded = base64.b64encode(f"u:{password}".encode()).decode()
    assert encoded not in result.stdout


@pytest.mark.parametrize("password", PASSWORDS)
def test_history_entry_stays_readable(http_server, tmp_path, password: str) -> None:
    url = http_server(Basic)
    profile = new_profile("B", "basic", tmp_path, credentials={"username": "u", "password": "${env:BPW}"})
    prepared = prepare(RequestSpec(url=f"{url}/x"), profile, Resolver(None, env={"BPW": password}))
    exchange = prepared.send()
    diagnosis = prepared.explain(exchange)
    store = HistoryStore(tmp_path / "h.sqlite3")
    try:
        entry = prepared.record(store, exchange, diagnosis)
        record = store.get(entry)
        assert record is not None and record.diagnosis is not None
        assert record.diagnosis.verdict == "authentication" and isinstance(record.diagnosis.findings, tuple)
    finally:
        store.close()
