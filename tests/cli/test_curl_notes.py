"""`send --curl`: options that only change curl itself (-o, --retry, -s, -v...) are ignored, and said so on
stderr as notes; `--timeout` help says it bounds the whole send."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.cli import main
from inspector.core.export import parse_curl
from tests.support.servers import QuietHandler, answering

_Ok = answering(200, b'{"ok": true}', {"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "option",
    [
        "-o out.json", "--output out.json", "--retry 3", "--retry-delay 2", "--retry-max-time 10",
        "--retry-connrefused", "--retry-all-errors", "-s", "--silent", "-S", "--show-error", "-v",
        "--verbose",
        "--compressed", "-i", "-f", "--fail", "-w '%{http_code}'", "-D headers.txt", "-c jar.txt",
        "--connect-timeout 5", "-O", "--create-dirs", "--output-dir out", "--no-progress-meter", "-Z",
    ],
)
def test_curl_only_options_are_notes_not_warnings(option: str) -> None:
    imported = parse_curl(f"curl {option} https://api.example.com/items")
    name = option.split()[0]
    assert imported.warnings == ()
    assert any(name in note for note in imported.notes), imported.notes
    assert imported.spec.url == "https://api.example.com/items"


def test_send_prints_the_notes(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch,
                               http_server: Callable[[type[QuietHandler]], str]) -> None:
    url = http_server(_Ok)
    monkeypatch.chdir(tmp_path)
    command = f"curl -sS -o out.json --retry 3 --compressed -v {url}/items"
    code = main(["send", "--json", "--curl", command])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["response"]["status"] == 200
    notes = [line for line in captured.err.splitlines() if line.startswith("request-inspector: curl: note: ")]
    for name in ("-s", "-S", "-o", "--retry", "--compressed", "-v"):
        assert any(f" {name} " in line for line in notes), (name, captured.err)
    assert "ignored" in captured.err
    assert not (tmp_path / "out.json").exists()  # -o was not carried out, only told


def test_timeout_help_says_whole_send(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "whole send" in text and "every redirect" in text
