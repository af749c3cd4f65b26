"""`run DIR` against real loopback servers: verdicts, --json, --junit, exit statuses, masking, secrets."""

from __future__ import annotations

import io
import json
import socket
import textwrap
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.cli import main
from tests.support.servers import QuietHandler

API_KEY = "k_live_5b0d3c9e7f214a6e"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJzY29wZSI6InJlYWQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


class Api(QuietHandler):
    """/items needs X-API-Key, /admin always refuses with a Bearer challenge, /echo says what it got."""

    def _reply(self, status: int, doc: object, *headers: tuple[str, str]) -> None:
        self.reply_json(status, doc, headers)

    def do_GET(self) -> None:
        if self.path.startswith("/items"):
            if self.headers.get("X-API-Key") == API_KEY:
                self._reply(200, {"items": [], "tenant": self.path.partition("tenant=")[2]})
            else:
                self._reply(
                    401, {"error": "missing or wrong API key"}, ("WWW-Authenticate", 'ApiKey realm="api"')
                )
        elif self.path.startswith("/admin"):
            self._reply(
                403,
                {"error": "insufficient_scope", "echo": self.headers.get("Authorization")},
                ("WWW-Authenticate", 'Bearer error="insufficient_scope", scope="admin"'),
            )
        else:
            self._reply(200, {"path": self.path, "headers": dict(self.headers)})

    def do_POST(self) -> None:
        self._reply(201, {"body": self.read_body().decode()})


Write = Callable[[Path, str], Path]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def api(http_server) -> str:
    return http_server(Api)


@pytest.fixture
def key() -> str:
    """A secret stored through `secrets set` for the test (the test data folder's file store)."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    main(["secrets", "delete", name])


@pytest.fixture
def collection(tmp_path: Path, api: str, key: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("sys.stdin", io.StringIO(API_KEY + "\n"))
    assert main(["secrets", "set", key]) == 0
    root = tmp_path / "shop"
    write(
        root / "collection.toml",
        """
        format = 1
        name = "Shop"
        order = ["items", "admin"]
        [vars]
        tenant = "t-1"
    """,
    )
    write(
        root / "environments" / "local.toml",
        f"""
        [vars]
        base_url = "{api}"
        api_key = "${{secret:{key}}}"
        token = "{TOKEN}"
    """.replace(f'token = "{TOKEN}"', 'token = "${env:SHOP_TEST_TOKEN}"'),
    )
    write(root / "items" / "folder.toml", 'name = "Items"\norder = ["list", "create"]\n')
    write(
        root / "items" / "list.toml",
        """
        name = "List items"
        url = "{{base_url}}/items"
        [[params]]
        name = "tenant"
        value = "{{tenant}}"
        [[headers]]
        name = "X-API-Key"
        value = "{{api_key}}"
    """,
    )
    write(
        root / "items" / "create.toml",
        """
        name = "Create item"
        method = "POST"
        url = "{{base_url}}/items"
        expect_status = 201
        [body]
        kind = "json"
        text = '{"name": "teapot", "id": "{{$uuid}}"}'
    """,
    )
    write(
        root / "admin.toml",
        """
        name = "Admin"
        url = "{{base_url}}/admin"
        [[headers]]
        name = "Authorization"
        value = "Bearer {{token}}"
    """,
    )
    monkeypatch.setenv("SHOP_TEST_TOKEN", TOKEN)
    return root


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["run", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_run_prints_one_line_per_request_and_explains_refusals(collection: Path, capsys) -> None:
    code, out, err = run_cli(capsys, str(collection), "--env", "local")
    assert code == 3, err  # Admin is refused: one failure
    lines = out.splitlines()
    assert lines[0] == "Running 'Shop' against the environment 'local'"
    rows = [line for line in lines if line.startswith(("PASS", "FAIL"))]
    assert [r.split()[0:2] for r in rows] == [["PASS", "200"], ["PASS", "201"], ["FAIL", "403"]]
    assert "Items/List items" in rows[0] and "Items/Create item" in rows[1]
    assert "Admin (expected a 2xx status)" in rows[2] and "authorization" in rows[2]
    assert "scope" in rows[2]  # the explanation of the refusal is on its line
    assert lines[-1] == "3 requests: 2 passed, 1 failed."
    assert API_KEY not in out + err and TOKEN not in out + err


def test_json_results_follow_the_contract(collection: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, str(collection), "--env", "local", "--json")
    assert code == 3
    doc = json.loads(out)
    assert (doc["collection"], doc["environment"], doc["passed"], doc["failed"]) == ("Shop", "local", 2, 1)
    first, _, admin = doc["results"]
    assert set(first) >= {
        "request",
        "method",
        "url",
        "status",
        "elapsed_ms",
        "verdict",
        "passed",
        "diagnosis",
    }
    assert first["request"] == "Items/List items" and first["url"].endswith("/items?tenant=t-1")
    assert (first["status"], first["verdict"], first["passed"]) == (200, "ok", True)
    assert admin["request"] == "Admin" and admin["passed"] is False and admin["verdict"] == "authorization"
    assert set(admin["diagnosis"]) >= {"verdict", "summary", "challenges", "findings"}  # send --json's shape
    assert API_KEY not in out and TOKEN not in out  # the echoed token is scrubbed too


def test_junit_failure_messages_are_the_explanations(collection: Path, tmp_path: Path, capsys) -> None:
    report = tmp_path / "junit.xml"
    code, _, _ = run_cli(capsys, str(collection), "--env", "local", "--junit", str(report))
    assert code == 3
    text = report.read_text(encoding="utf-8")
    suite = ET.fromstring(text).find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["List items"].get("classname") == "Shop.Items"
    failure = cases["Admin"].find("failure")
    assert failure is not None and "scope" in (failure.get("message") or "")
    assert "Verdict: authorization" in (failure.text or "")
    assert cases["Create item"].find("failure") is None
    assert API_KEY not in text and TOKEN not in text


def test_a_folder_or_one_request(collection: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, str(collection), "--env", "local", "--folder", "Items")
    assert code == 0 and out.splitlines()[-1] == "2 requests: 2 passed, 0 failed."
    code, out, _ = run_cli(capsys, str(collection), "--env", "local", "--request", "Create item")
    assert code == 0 and "Items/Create item" in out and out.splitlines()[-1].startswith("1 request:")
    code, out, _ = run_cli(capsys, str(collection / "items"), "--env", "local")  # DIR inside the collection
    assert code == 0 and "Admin" not in out
    code, out, _ = run_cli(capsys, str(collection / "items" / "create.toml"), "--env", "local")
    assert code == 0 and out.splitlines()[-1].startswith("1 request:")


def test_overrides_beat_the_environment(collection: Path, capsys) -> None:
    code, out, _ = run_cli(
        capsys,
        str(collection),
        "--env",
        "local",
        "--request",
        "List items",
        "--var",
        "tenant=t-override",
        "--json",
    )
    assert code == 0 and json.loads(out)["results"][0]["url"].endswith("tenant=t-override")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "nope"], "no environment called 'nope' (its environments: local)"),
        ([], "uses {{base_url}}"),
        (["--env", "local", "--request", "Nope"], "No request called 'Nope'"),
        (["--env", "local", "--var", "novalue"], "--var 'novalue' needs a value"),
    ],
)
def test_bad_input_exits_2_before_anything_is_sent(
    collection: Path, capsys, args: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, str(collection), *args)
    assert code == 2 and out == ""
    assert message in err


def test_an_unresolved_variable_names_the_variable_request_and_environment(collection: Path, capsys) -> None:
    write(collection / "broken-var.toml", 'name = "Uses region"\nurl = "{{base_url}}/{{region}}"\n')
    code, out, err = run_cli(capsys, str(collection), "--env", "local")
    assert code == 2 and out == ""
    assert "{{region}}" in err and "'Uses region'" in err and "environment 'local'" in err


def test_a_missing_secret_stops_the_run(collection: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("SHOP_TEST_TOKEN")
    code, _, err = run_cli(capsys, str(collection), "--env", "local")
    assert code == 2 and "${env:SHOP_TEST_TOKEN}" in err and "{{token}}" in err


def test_a_broken_file_stops_the_run_with_its_line(collection: Path, capsys) -> None:
    write(collection / "items" / "bad.toml", 'name = "Bad"\nurl = \n')
    code, out, err = run_cli(capsys, str(collection), "--env", "local")
    assert code == 2 and out == ""
    assert f"{collection / 'items' / 'bad.toml'}, line 2" in err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bail_stops_at_a_transport_error_with_exit_1(collection: Path, tmp_path: Path, capsys) -> None:
    write(collection / "items" / "folder.toml", 'name = "Items"\norder = ["down", "list", "create"]\n')
    write(collection / "items" / "down.toml", f'name = "Down"\nurl = "http://127.0.0.1:{_closed_port()}/x"\n')
    report = tmp_path / "junit.xml"
    code, out, _ = run_cli(capsys, str(collection), "--env", "local", "--bail", "--junit", str(report))
    assert code == 1
    rows = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(rows) == 1 and rows[0].startswith("FAIL  ---") and "transport-error" in rows[0]
    assert "stopped at the first failure (--bail), 3 not sent" in out
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and len(suite.findall("testcase/skipped")) == 3
    code, out, _ = run_cli(capsys, str(collection), "--env", "local")  # without --bail: a failure, exit 3
    assert code == 3 and out.splitlines()[-1] == "4 requests: 2 passed, 2 failed."


def test_a_profile_from_the_collection_is_used_with_variables_in_its_fields(collection: Path, capsys) -> None:
    write(
        collection / "profiles" / "shop-key.toml",
        """
        format = 1
        name = "Shop key"
        kind = "api-key"
        [credentials]
        name = "{{key_header}}"
        value = "${env:SHOP_KEY_VALUE}"
    """,
    )
    write(
        collection / "items" / "folder.toml",
        'name = "Items"\nprofile = "Shop key"\n[vars]\nkey_header = "X-API-Key"\n',
    )
    write(collection / "items" / "list.toml", 'name = "List items"\nurl = "{{base_url}}/items"\n')
    import os

    os.environ["SHOP_KEY_VALUE"] = API_KEY
    try:
        code, out, err = run_cli(
            capsys, str(collection), "--env", "local", "--request", "List items", "--json"
        )
    finally:
        del os.environ["SHOP_KEY_VALUE"]
    assert code == 0, err
    assert json.loads(out)["results"][0]["status"] == 200
    assert API_KEY not in out
