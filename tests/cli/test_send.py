"""`send`: output, --json contract, exit statuses, masking (in-process; test_smoke.py runs a real process)."""

from __future__ import annotations

import json
import threading

import pytest

from tests.support.cli import Cli
from tests.support.servers import QuietHandler

SECRET = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


class Api(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/protected":
            self.reply(401, b'{"error": "invalid_token", "error_description": "The access token expired"}',
                        [("Content-Type", "application/json"),
                         ("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"')])
        elif self.path == "/hop":
            self.reply(302, b"", [("Location", "/protected")])
        else:
            self.reply(200, json.dumps({"path": self.path}).encode(), [("Content-Type", "application/json")])

    def do_POST(self) -> None:
        body = self.read_body()
        doc = {"ctype": self.headers.get("Content-Type"), "body": body.decode()}
        self.reply(201, json.dumps(doc).encode(), [("Content-Type", "application/json")])


@pytest.fixture
def api(http_server) -> str:
    return http_server(Api)


def test_json_document_follows_the_contract(cli: Cli, api: str) -> None:
    result = cli("send", f"{api}/hop", "-H", f"Authorization: Bearer {SECRET}", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) >= {"request", "hops", "response", "error", "token", "diagnosis"}
    assert doc["request"]["method"] == "GET" and doc["request"]["url"] == f"{api}/protected"
    assert doc["request"]["headers"]["Authorization"] == "Bearer eyJhbG…"
    assert doc["request"]["profile"] is None
    assert [h["status"] for h in doc["hops"]] == [302, 401]
    assert doc["hops"][0]["location"] == "/protected"
    response = doc["response"]
    assert response["status"] == 401 and response["reason"] == "Unauthorized"
    assert response["content_type"] == "application/json"
    assert response["headers"]["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    assert response["body_bytes"] > 0 and "invalid_token" in response["body_preview"]
    assert isinstance(response["elapsed_ms"], float)
    assert doc["error"] is None
    assert doc["token"]["format"] == "jws" and doc["token"]["verified"] is False
    assert doc["diagnosis"]["verdict"] == "authentication"
    assert doc["diagnosis"]["challenges"] == [
        {"scheme": "Bearer", "token68": None, "params": {"realm": "api", "error": "invalid_token"}}
    ]
    ids = [f["id"] for f in doc["diagnosis"]["findings"]]
    assert "token-expired" in ids
    assert SECRET not in result.stdout and SECRET[20:40] not in result.stdout


def test_show_secrets_prints_the_token(cli: Cli, api: str) -> None:
    result = cli("send", f"{api}/protected", "-H", f"Authorization: Bearer {SECRET}", "--json",
                 "--show-secrets")
    assert json.loads(result.stdout)["request"]["headers"]["Authorization"] == f"Bearer {SECRET}"


def test_post_json_data(cli: Cli, api: str) -> None:
    result = cli("send", f"{api}/items", "-d", '{"name": "x"}', "--json")
    doc = json.loads(result.stdout)
    assert doc["request"]["method"] == "POST" and doc["response"]["status"] == 201
    assert json.loads(doc["response"]["body_preview"]) == {"ctype": "application/json", "body": '{"name": "x"}'}


def test_plain_output_has_status_headers_body_and_verdict(cli: Cli, api: str) -> None:
    result = cli("send", f"{api}/protected", "-H", f"Authorization: Bearer {SECRET}")
    assert result.returncode == 0
    out = result.stdout
    assert "HTTP 401 Unauthorized" in out
    assert 'WWW-Authenticate: Bearer realm="api", error="invalid_token"' in out
    assert '"error_description": "The access token expired"' in out
    assert "Verdict: authentication" in out
    assert SECRET not in out


def test_no_follow(cli: Cli, api: str) -> None:
    doc = json.loads(cli("send", f"{api}/hop", "--no-follow", "--json").stdout)
    assert [h["status"] for h in doc["hops"]] == [302] and doc["response"]["status"] == 302


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["send", "not a url"], "contains a space"),
        (["send", "example.com/x"], "has no scheme"),
        (["send", "http://127.0.0.1:9/", "-H", "NoColonHere"], "has no colon"),
        (["send", "http://127.0.0.1:9/", "--data-file", "/no/such/file.json"], "/no/such/file.json' cannot be read"),
        (["send", "http://127.0.0.1:9/", "--bogus"], "unrecognized arguments: --bogus"),
        (["send"], "send needs a URL"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli: Cli, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_refused_connection_exits_1(cli: Cli) -> None:
    result = cli("send", "http://127.0.0.1:9/x", "--json")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["response"] is None and doc["token"] is None
    assert doc["error"] == {
        "kind": "connection",
        "message": "GET http://127.0.0.1:9/x failed: the connection to 127.0.0.1:9 was refused. "
        "Is the server running on that port?",
    }
    assert doc["diagnosis"]["verdict"] == "transport-error"
    plain = cli("send", "http://127.0.0.1:9/x")
    assert plain.returncode == 1 and "was refused" in plain.stderr and "Traceback" not in plain.stderr


def test_timeout_exits_1(cli: Cli, http_server) -> None:
    answered = threading.Event()

    class Slow(Api):
        def do_GET(self) -> None:
            answered.wait(5)  # bounded: released as soon as the CLI has given up

    url = http_server(Slow)
    result = cli("send", f"{url}/", "--timeout", "0.3", "--json")
    answered.set()
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["kind"] == "timeout"


@pytest.mark.parametrize(("scenario", "verified", "finding"), [("valid", True, None),
                                                               ("bad-signature", False, "signature-invalid")])
def test_jwks_flag_checks_the_sent_token(cli: Cli, demo_url: str, scenario: str, verified: bool,
                                         finding: str | None) -> None:
    from inspector.demo.server import mint_token

    token = mint_token(demo_url, scenario)
    result = cli("send", f"{demo_url}/api/invoices", "-H", f"Authorization: Bearer {token}",
                 "--jwks", f"{demo_url}/.well-known/jwks.json", "--json")
    doc = json.loads(result.stdout)
    assert doc["token"]["verified"] is verified
    ids = [f["id"] for f in doc["diagnosis"]["findings"]]
    assert (finding in ids) if finding else "signature-invalid" not in ids


def test_unreadable_key_file_is_bad_input_before_sending(cli: Cli) -> None:
    result = cli("send", "http://127.0.0.1:9/", "--key", "/no/such/key.pem")
    assert result.returncode == 2 and "/no/such/key.pem" in result.stderr and "Traceback" not in result.stderr
