"""send --curl reads the local files a pasted command names only with --curl-read-files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.cli import main
from tests.support.servers import responding

_EchoBody = responding(lambda _handler, body: (200, {"Content-Type": "text/plain"}, body), keep_alive=False)


def test_files_named_by_a_pasted_command_need_the_flag(
    http_server: Callable[..., str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = http_server(_EchoBody)
    key = tmp_path / "id_rsa"
    key.write_text("PRIVATE-KEY-MATERIAL")
    command = f"curl -X POST {base}/upload -d @{key}"
    assert main(["send", "--curl", command]) == 2
    err = capsys.readouterr().err
    assert str(key) in err and "--curl-read-files" in err and "PRIVATE-KEY" not in err
    assert main(["send", "--json", "--curl-read-files", "--curl", command]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["response"]["status"] == 200 and "PRIVATE-KEY-MATERIAL" in out["response"]["body_preview"]
