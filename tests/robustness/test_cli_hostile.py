"""`send` (in-process) against hostile servers and hostile input: exit 0/1/2, a one-line message on stderr,
never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import Cli, CliResult, Env
from tests.support.evil_servers import response_head

DEEP = 100_000


def run(cli: Cli, *args: str, env: Env | None = None) -> CliResult:
    return cli(*args, env=env)


def body_reply(status: str, ctype: str, body: bytes):
    def handler(conn, request, server):
        conn.sendall(response_head(status, f"Content-Type: {ctype}", f"Content-Length: {len(body)}") + body)

    return handler


def stall_mid_body(conn, request, server):
    conn.sendall(response_head("200 OK", "Content-Length: 100") + b"abc")
    server.stop.wait(20)


def not_http(conn, request, server):
    conn.sendall(b"GARBAGE\r\n\r\n")


DEEP_ARRAY = b"[" * DEEP + b"]" * DEEP
DEEP_OBJECT = b'{"error":' * DEEP + b'"x"' + b"}" * DEEP
SECRET_INSIDE_DEEP = b"[" * DEEP + b'{"access_token": "s3cr3t-value-never-shown"}' + b"]" * DEEP


@pytest.mark.parametrize(
    ("handler", "code", "says"),
    [
        (body_reply("401 Unauthorized", "application/json", DEEP_ARRAY), 0, None),
        (body_reply("401 Unauthorized", "application/json", DEEP_OBJECT), 0, None),
        (body_reply("403 Forbidden", "application/json", b'{"error": "\xff\xfe bad \xc3", "x": 1}'), 0, None),
        (body_reply("403 Forbidden", "application/json; charset=no-such-charset", bytes(range(256)) * 20), 0, None),
        (stall_mid_body, 1, "stopped sending before the body was complete"),
        (not_http, 1, "not an HTTP response"),
    ],
    ids=["deep-array", "deep-object", "invalid-utf8-json", "binary-as-json", "stall-mid-body", "not-http"],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_send_to_a_hostile_server(cli: Cli, evil_server, handler, code: int, says: str | None,
                                  as_json: bool) -> None:
    server = evil_server(handler)
    result = run(cli, "send", f"{server.url}/x", "--timeout", "1", *(["--json"] if as_json else []))
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == code
    if as_json:
        doc = json.loads(result.stdout)
        assert (doc["error"] is None) == (code == 0)
        if says:
            assert says in doc["error"]["message"]
    elif says:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0]


def test_a_secret_inside_a_too_deep_body_is_still_masked(cli: Cli, evil_server) -> None:
    server = evil_server(body_reply("200 OK", "application/json", SECRET_INSIDE_DEEP))
    for args in ((), ("--json",)):
        result = run(cli, "send", server.url, *args)
        assert result.returncode == 0 and "Traceback" not in result.stderr
        assert "s3cr3t-value-never-shown" not in result.stdout


@pytest.mark.parametrize("data", ["[" * DEEP + "]" * DEEP, '{"a":' * 20_000 + "1" + "}" * 20_000],
                         ids=["deep-array", "deep-object"])  # short ids: the test id travels in the environment
def test_a_deeply_nested_request_body_is_sent(cli: Cli, evil_server, tmp_path: Path, data: str) -> None:
    body = tmp_path / "body.json"
    body.write_text(data)
    server = evil_server(body_reply("200 OK", "text/plain", b"ok"))
    result = run(cli, "send", server.url, "--data-file", str(body))
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 0


# -- profiles ---------------------------------------------------------------------------------------------


def _profiles(tmp_path: Path) -> Path:
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "good.toml").write_text('format = 1\nname = "good"\nkind = "bearer"\n\n[credentials]\n'
                                      'token = "${env:GOOD_TOKEN}"\n')
    (folder / "garbage.toml").write_bytes(bytes(range(256)) * 8)
    (folder / "deep.toml").write_text('format = 1\nname = "deep"\nkind = "bearer"\nx = ' + "[" * DEEP
                                      + "]" * DEEP + "\n")
    with (folder / "huge.toml").open("wb") as f:  # sparse: 2 GB on paper, nothing on disk
        f.write(b'format = 1\nname = "huge"\n')
        f.seek(2 * 1024**3)
        f.write(b"\n")
    (folder / "dir.toml").mkdir()
    return folder


def test_profiles_check_names_every_broken_file_and_still_lists_the_good_one(cli: Cli,
                                                                             tmp_path: Path) -> None:
    folder = _profiles(tmp_path)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = run(cli, "profiles", "check", "--profiles-dir", str(folder), env=env)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 1
    out = result.stdout
    assert "garbage.toml, line 2: the file is not UTF-8 text" in out
    assert "deep.toml: this is not a usable profile (its arrays or tables are nested too deeply" in out
    assert "huge.toml: the file is larger than 8 MB" in out
    assert "dir.toml is a folder, not a profile file" in out
    listed = run(cli, "profiles", "list", "--profiles-dir", str(folder), env=env)
    assert listed.returncode == 0 and "good" in listed.stdout and "Traceback" not in listed.stderr


@pytest.mark.parametrize(("name", "says"), [
    ("deep", "nested too deeply"),
    ("huge", "larger than 8 MB"),
    ("dir", "is a folder, not a profile file"),
])
def test_send_with_a_broken_profile_is_bad_input(cli: Cli, tmp_path: Path, name: str, says: str) -> None:
    folder = _profiles(tmp_path)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = run(cli, "send", "http://127.0.0.1:9/", "--profile", name, "--profiles-dir", str(folder),
                 env=env)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and says in lines[0], result.stderr[-2000:]
    assert sorted(p.name for p in folder.iterdir()) == ["deep.toml", "dir.toml", "garbage.toml", "good.toml",
                                                       "huge.toml"]  # nothing rewritten or removed
