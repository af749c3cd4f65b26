"""The demo's incident burst: a signing key rotated while the client's tokens expired together, found in
history by `history incidents` after sending the burst to the demo API."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from inspector.demo.burst import BURST_PLAN
from inspector.demo.collection import demo_collection_dir
from inspector.demo.requests import burst_requests
from tests.support.cli import Cli


def test_the_burst_api_trusts_only_the_old_key(demo_url: str) -> None:
    tokens = requests.get(f"{demo_url}/burst/tokens", timeout=10).json()["tokens"]
    answers = {kind: requests.get(f"{demo_url}/burst/api/orders", timeout=10,
                                  headers={"Authorization": f"Bearer {tokens[kind]}"})
               for kind in ("before", "rotated", "expired")}
    assert answers["before"].status_code == 200
    assert answers["rotated"].status_code == 401
    assert "Signature verification failed" in answers["rotated"].headers["WWW-Authenticate"]
    assert answers["expired"].json()["error_description"] == "The access token expired"


def test_burst_requests_come_successes_first(demo_url: str) -> None:
    burst = burst_requests(demo_url)
    assert len(burst) == len(BURST_PLAN) == 20
    assert all(spec.url.startswith(demo_url + "/burst/api/") for _title, spec in burst)
    assert [t for t, _ in burst[:6]] == [f"Burst {n}: before the rotation" for n in range(1, 7)]


def test_a_burst_sent_with_send_is_found_by_history_incidents(demo_url: str, cli: Cli, tmp_path: Path) -> None:
    history = str(tmp_path / "history.sqlite3")
    for _title, spec in burst_requests(demo_url):
        headers = [a for h in spec.headers for a in ("-H", f"{h.name}: {h.value}")]
        cli("send", spec.url, *headers, "--history-file", history, "--json")
    result = cli("history", "incidents", "--history-file", history, "--json")
    assert result.returncode == 0, result.stderr
    found = {i["cause"]: i for i in json.loads(result.stdout)["incidents"]}
    assert {"signing-key-rotated", "credentials-expired"} <= set(found)
    rotated = found["signing-key-rotated"]
    assert rotated["failed"] == 7 and rotated["last_success"] is not None
    assert rotated["evidence"]["last_success_kid"] not in rotated["evidence"]["failing_kids"]
    assert found["credentials-expired"]["failed"] == 7


def test_the_collection_folder_produces_the_incident_with_run(demo_url: str, cli: Cli, tmp_path: Path) -> None:
    history = str(tmp_path / "history.sqlite3")
    ran = cli("run", str(demo_collection_dir()), "--env", "demo", "--var", f"base_url={demo_url}",
              "--folder", "Incident: burst", "--history-file", history)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = cli("history", "incidents", "--history-file", history, "--json")
    causes = {i["cause"] for i in json.loads(result.stdout)["incidents"]}
    assert {"signing-key-rotated", "credentials-expired"} <= causes
