"""`python main.py ...` as a real process: the exit statuses a script sees, output on the right stream.

The logic behind them is tested in-process (test_send.py, test_token_cmd.py, ...); what the CLI imports, in
tests/core/test_boundaries.py."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import run_main_py
from tests.support.servers import answering

pytestmark = pytest.mark.smoke


def test_a_response_of_any_status_exits_0_with_json_on_stdout(http_server) -> None:
    url = http_server(answering(403, b'{"error": "forbidden"}', {"Content-Type": "application/json"}))
    result = run_main_py("send", f"{url}/x", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["response"]["status"] == 403 and result.stderr == ""


def test_no_response_exits_1_with_one_line_on_stderr() -> None:
    result = run_main_py("send", "http://127.0.0.1:9/x")
    assert result.returncode == 1
    assert "was refused" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [("send", "example.com/x"), ("send", "--bogus"), ("token", "-")],
                         ids=["no-scheme", "unknown-flag", "empty-stdin"])
def test_bad_input_exits_2_with_one_line_and_no_traceback(argv: tuple[str, ...]) -> None:
    result = run_main_py(*argv)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
