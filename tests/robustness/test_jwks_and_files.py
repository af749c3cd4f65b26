"""JWKS fetches against hostile servers (bounded, cancellable, worded), and start-up with broken files."""

from __future__ import annotations

import json
import threading
import tracemalloc
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from PySide6.QtCore import QSettings

from inspector.core.jwks import JWKS_MAX_BYTES
from inspector.core.tokens import inspect_token, verify_token
from tests.support.evil_servers import response_head, stream_zeros

MiB = 1024 * 1024
TOKEN = jwt.encode({"sub": "u"}, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                   algorithm="RS256", headers={"kid": "k1"})


def reply(body: bytes, status: str = "200 OK"):
    def handler(conn, request, server):
        conn.sendall(response_head(status, "Content-Type: application/json", f"Content-Length: {len(body)}")
                     + body)

    return handler


def flood(conn, request, server):
    conn.sendall(response_head("200 OK", "Content-Type: application/json", f"Content-Length: {500 * MiB}"))
    stream_zeros(conn, 500 * MiB, server.stop)


def test_a_500_mb_jwks_is_refused_at_the_cap_with_memory_bounded(evil_server) -> None:
    server = evil_server(flood)
    # the fetch imports its HTTP stack on first use: loaded before the measure, which is of the body alone (the
    # test no longer depends on an earlier test having imported it)
    import inspector.core.transport  # noqa: F401

    tracemalloc.start()
    try:
        info = verify_token(inspect_token(TOKEN), jwks_url=f"{server.url}/jwks.json", timeout_s=5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.verify_outcome == "unavailable"
    assert "is not a usable JWKS: it is larger than 1024 KB" in info.verify_error
    assert peak < 4 * JWKS_MAX_BYTES  # PyJWKClient read all 500 MB


@pytest.mark.parametrize(("body", "status", "says"), [
    (b"[" * 100_000 + b"]" * 100_000, "200 OK", "is not a usable JWKS: it is not JSON"),
    (b"\xff\xfe garbage", "200 OK", "is not a usable JWKS: it is not JSON"),
    (b'{"keys": "nope"}', "200 OK", "is not a usable JWKS"),
    (b"{}", "404 Not Found", "could not be fetched: the server answered 404 Not Found"),
], ids=["deep", "binary", "keys-not-a-list", "404"])
def test_a_bad_jwks_is_one_sentence_and_no_evidence_against_the_token(evil_server, body, status, says) -> None:
    server = evil_server(reply(body, status))
    info = verify_token(inspect_token(TOKEN), jwks_url=f"{server.url}/jwks.json", timeout_s=5)
    assert info.verify_outcome == "unavailable" and says in info.verify_error


def test_a_hanging_jwks_times_out_and_can_be_cancelled(evil_server) -> None:
    server = evil_server(lambda conn, request, srv: srv.stop.wait(20))
    info = verify_token(inspect_token(TOKEN), jwks_url=f"{server.url}/jwks.json", timeout_s=0.5)
    assert info.verify_outcome == "unavailable" and "could not be fetched" in info.verify_error
    assert "did not answer in time" in info.verify_error
    cancel = threading.Event()
    cancel.set()
    info = verify_token(inspect_token(TOKEN), jwks_url=f"{server.url}/jwks.json", timeout_s=30, cancel=cancel)
    assert info.verify_outcome == "unavailable" and "cancelled" in info.verify_error


def stall_mid_jwks(conn, request, server):
    conn.sendall(response_head("200 OK", "Content-Length: 100000") + b'{"keys": [')
    server.stop.wait(20)


def test_the_panel_cancels_a_jwks_fetch_for_real(qtbot, evil_server) -> None:
    from inspector.ui.explainer_panel import ExplainerPanel

    server = evil_server(stall_mid_jwks)
    panel = ExplainerPanel()
    qtbot.addWidget(panel)
    panel.paste_token(TOKEN)
    box = panel.paste_box
    box.start_jwks_check(f"{server.url}/jwks.json")
    qtbot.waitUntil(lambda: len(server.requests) == 1, timeout=5_000)
    with qtbot.waitSignal(box.jwks_check_finished, timeout=2_000) as blocker:
        box.cancel_jwks_check()
    assert blocker.args == ["cancelled"] and box.check_button.isEnabled() and not box.is_checking()
    server.stop.set()  # the worker sees the cancel at its next read and ends without reporting
    assert box.wait_for_workers(15_000)


def test_a_garbage_history_file_does_not_stop_the_start(tmp_path: Path, monkeypatch, capsys) -> None:
    from inspector.core.profiles.defaults import default_data_dir
    from inspector.ui.gui import open_history

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    env: dict[str, str] = {}  # not INSPECTOR_TESTING: the real lookup, pointed at tmp_path
    path = default_data_dir(env) / "history.sqlite3"
    assert tmp_path in path.parents
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00garbage" * 1000)
    assert open_history(env) is None
    assert "history is off" in capsys.readouterr().err
    assert path.read_bytes() == b"\x00garbage" * 1000  # not overwritten: the user may want it back


def test_settings_team_dirs_garbage(tmp_path: Path) -> None:
    from inspector.ui.gui import saved_team_dirs

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    for value in ("[" * 100_000 + "]" * 100_000, '{"a": 1}', "5", "null"):
        settings.setValue("profiles/teamDirs", value)
        assert saved_team_dirs(settings) == []
    settings.setValue("profiles/teamDirs", json.dumps(["ok", 5, None]))
    assert saved_team_dirs(settings) == [Path("ok")]
