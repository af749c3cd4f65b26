"""Terminal escape sequences from a server, a file or the command line never reach the terminal raw.

A real loopback server sends ESC/CSI/OSC sequences, C1 controls, carriage returns, backspaces and a bidi
override in its reason phrase, headers and bodies; every subcommand's text and --json output carries none raw.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

from inspector.cli import main
from inspector.cli.render import dumps, safe_block, safe_line
from tests.support.servers import QuietHandler

ROOT = Path(__file__).resolve().parents[2]

# what must never be written raw: C0 controls but newline and tab, DEL, C1, bidi and line-separator marks
RAW_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
SGR_RE = re.compile("\x1b\\[[0-9;]*m")  # the colours the CLI adds itself on a terminal

REASON = "Unauthorized \x1b]0;owned\x07\x1b[2J\x9b31m\rHTTP/1.1 200 OK\x08"
EVIL_HEADER = "\x1b[31mred\x1b[0m \x9b2J\x08\x07"
TEXT_BODY = (
    "plain \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ \x1b[2J\r\n"
    "line2\rover\x08\x08 \u202egnp.exe \x9b1m\x7f\tend\n"
)
# JSON escapes: the raw bytes hold no control character, the parsed message does (and it is quoted back)
JSON_BODY = (
    b'{"error": "invalid_token", '
    b'"error_description": "expired \\u001b[31m\\u009b2J\\u202e now\\r\\nVerdict: ok", '
    b'"note": "\\u001b]0;title\\u0007"}'
)


class Hostile(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/json":
            body, ctype = JSON_BODY, "application/json"
        else:
            body, ctype = TEXT_BODY.encode("utf-8"), "text/plain; charset=utf-8"
        self.reply(401, body, [("WWW-Authenticate", 'Bearer realm="api\x1b[5m", error="invalid_token", '
                                                    'error_description="\x1b[31mexpired\x9b"'),
                               ("X-Evil", EVIL_HEADER), ("Content-Type", ctype)], reason=REASON)


@pytest.fixture
def hostile(http_server) -> str:
    return http_server(Hostile)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean(text: str) -> None:
    bad = RAW_CONTROL_RE.findall(text)
    assert not bad, f"raw control characters reached the terminal: {bad!r}"


# ---------------------------------------------------------------------------------------------- the sanitiser


@pytest.mark.parametrize(
    ("raw", "line", "block"),
    [
        ("plain text, ünïcode …", "plain text, ünïcode …", "plain text, ünïcode …"),
        ("\x1b[31mred", "\\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07", "\\x1b]0;title\\x07"),
        ("a\x9bb\x85c", "a\\x9bb\\x85c", "a\\x9bb\\x85c"),
        ("over\rwrite", "over\\rwrite", "over\\rwrite"),
        ("one\r\ntwo", "one\\r\\ntwo", "one\ntwo"),
        ("a\tb\nc", "a\\tb\\nc", "a\tb\nc"),
        ("back\x08\x08\x7f", "back\\x08\\x08\\x7f", "back\\x08\\x08\\x7f"),
        ("\u202egnp.exe", "\\u202egnp.exe", "\\u202egnp.exe"),
        ("nul\x00", "nul\\x00", "nul\\x00"),
    ],
)
def test_sanitiser_table(raw: str, line: str, block: str) -> None:
    assert safe_line(raw) == line
    assert safe_block(raw) == block
    assert "\n" not in safe_line(raw + "\nVerdict: ok")


def test_terminal_json_escapes_what_json_dumps_leaves_raw() -> None:
    doc = {"reason": "\x1b[2J \x9b31m \u202e \x7f ünïcode …"}
    text = dumps(doc)
    assert_clean(text)
    assert json.loads(text) == doc and "ünïcode …" in text


# ------------------------------------------------------------------------------------------------ send


@pytest.mark.parametrize("path", ["/text", "/json"])
def test_send_text_output_neutralises_server_escapes(capsys, hostile: str, path: str) -> None:
    code, out, err = run(capsys, "send", f"{hostile}{path}")
    assert code == 0, err
    assert_clean(out)
    assert_clean(err)
    assert "HTTP 401 Unauthorized \\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\rHTTP/1.1 200 OK\\x08" in out
    assert "X-Evil: \\x1b[31mred\\x1b[0m \\x9b2J\\x08\\x07" in out
    if path == "/text":
        assert "\\x1b[2J\nline2\\rover\\x08\\x08 \\u202egnp.exe \\x9b1m\\x7f\tend" in out  # layout kept
    # a server message cannot start a line of its own: no forged verdict
    assert not any(line.startswith("Verdict: ok") for line in out.splitlines())


@pytest.mark.parametrize("path", ["/text", "/json"])
def test_send_json_output_escapes_server_escapes(capsys, hostile: str, path: str) -> None:
    code, out, err = run(capsys, "send", f"{hostile}{path}", "--json")
    assert code == 0, err
    assert_clean(out)
    assert_clean(err)
    doc = json.loads(out)
    assert doc["response"]["reason"] == REASON  # escaped in JSON, not lost
    assert doc["response"]["headers"]["X-Evil"] == EVIL_HEADER


def test_send_on_a_terminal_adds_only_its_own_colours(capsys, hostile: str, monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for path in ("/text", "/json"):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        monkeypatch.delenv("NO_COLOR", raising=False)
        assert main(["send", f"{hostile}{path}"]) == 0
        text = terminal.getvalue()
        assert SGR_RE.search(text), "expected coloured output on a terminal"
        assert_clean(SGR_RE.sub("", text))


@pytest.mark.smoke
def test_send_as_a_process_writes_no_escape_byte(hostile: str) -> None:
    for extra in ([], ["--json"]):
        result = subprocess.run([sys.executable, "main.py", "send", f"{hostile}/text", *extra], check=False,
                                cwd=ROOT, capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        for stream in (result.stdout, result.stderr):
            assert b"\x1b" not in stream and b"\r" not in stream and b"\xc2\x9b" not in stream


@pytest.mark.parametrize(
    "argv",
    [
        ["send", "http://127.0.0.1:9/\x1b]0;owned\x07 x"],  # bad input quoted in the error
        ["send", "http://127.0.0.1:9/", "-H", "\x1b[2JNoColonHereAtAll"],
        ["send", "--curl", "curl --frobnicate \x1b[31mred\x9b http://127.0.0.1:9/"],  # a curl warning
        ["send", "--bogus\x1b[2J"],  # argparse's own error
        ["token", "-", "--key", "/no/such/\x1b[2J.pem"],
    ],
)
def test_messages_built_from_input_are_neutralised(capsys, argv: list[str], monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("abc.def.ghi"))
    code, out, err = run(capsys, *argv)
    assert code in (1, 2)
    assert err.strip() and "Traceback" not in err
    assert_clean(out)
    assert_clean(err)


# -------------------------------------------------------------------------------------------- token, profiles


def test_token_claims_with_escapes(capsys) -> None:
    now = int(time.time())
    claims = {"sub": "\x1b]0;owned\x07", "name": "\x9b2J\u202e", "iat": now, "exp": now + 600}
    token = jwt.encode(claims, "a-shared-secret-long-enough-0123456789", algorithm="HS256",
                       headers={"kid": "\x1b[31m"})
    for extra in ([], ["--json"]):
        code, out, err = run(capsys, "token", token, *extra)
        assert code == 0, err
        assert_clean(out)
        assert_clean(err)
    assert json.loads(out)["claims"]["sub"] == "\x1b]0;owned\x07"


def test_profile_text_from_a_file_with_escapes(capsys, tmp_path: Path) -> None:
    (tmp_path / "evil.toml").write_text(
        'name = "Evil \\u001b]0;owned\\u0007"\nkind = "bearer"\nnotes = "line\\u001b[2J\\rone\\nline two"\n'
        'base_url = "https://api.example.com/\\u009b31m"\n[credentials]\ntoken = "${env:EVIL_TOKEN}"\n',
        encoding="utf-8",
    )
    for action in (["list"], ["show", "Evil \x1b]0;owned\x07"], ["check"]):
        code, out, err = run(capsys, "profiles", *action, "--profiles-dir", str(tmp_path))
        assert "Evil" in out, (action, out, err)
        assert_clean(out)
        assert_clean(err)
