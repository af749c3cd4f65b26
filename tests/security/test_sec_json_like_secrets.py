"""A secret that reads like JSON ("null", a field name, a quote) must be masked as a value, never rewrite the
document that carries it: `send --json`, history and HAR keep their shape."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from inspector.core.history import HistoryStore
from inspector.core.pipeline import prepare
from inspector.core.profiles import Resolver, new_profile
from inspector.core.request import RequestSpec

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = ["null", "true", "findings", "verdict", 'a"b\\c']


class Basic(BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b'{"message": "Bad credentials"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("WWW-Authenticate", 'Basic realm="api"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("password", PASSWORDS)
def test_send_json_keeps_its_shape(http_server, tmp_path, password: str) -> None:
    url = http_server(Basic)
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "basic.toml").write_text(
        'format = 1\nname = "B"\nkind = "basic"\n[credentials]\nusername = "u"\npassword = "${env:BPW}"\n'
    )
    env = {**__import__("os").environ, "BPW": password}
    result = subprocess.run([sys.executable, "main.py", "send", f"{url}/x", "--profile", "B",
                             "--profiles-dir", str(folder), "--json"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
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
