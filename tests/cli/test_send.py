"""`python main.py send` as a subprocess: output, --json contract, exit statuses, masking."""

from __future__ import annotations

import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
        input=stdin,
    )


class Api(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/protected":
            self._reply(401, b'{"error": "invalid_token", "error_description": "The access token expired"}',
                        [("Content-Type", "application/json"),
                         ("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"')])
        elif self.path == "/hop":
            self._reply(302, b"", [("Location", "/protected")])
        else:
            self._reply(200, json.dumps({"path": self.path}).encode(), [("Content-Type", "application/json")])

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        doc = {"ctype": self.headers.get("Content-Type"), "body": body.decode()}
        self._reply(201, json.dumps(doc).encode(), [("Content-Type", "application/json")])


@pytest.fixture
def api(http_server) -> str:
    return http_server(Api)


def test_json_document_follows_the_contract(api: str) -> None:
    result = run("send", f"{api}/hop", "-H", f"Authorization: Bearer {SECRET}", "--json")
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


def test_show_secrets_prints_the_token(api: str) -> None:
    result = run("send", f"{api}/protected", "-H", f"Authorization: Bearer {SECRET}", "--json", "--show-secrets")
    assert json.loads(result.stdout)["request"]["headers"]["Authorization"] == f"Bearer {SECRET}"


def test_post_json_data(api: str) -> None:
    result = run("send", f"{api}/items", "-d", '{"name": "x"}', "--json")
    doc = json.loads(result.stdout)
    assert doc["request"]["method"] == "POST" and doc["response"]["status"] == 201
    assert json.loads(doc["response"]["body_preview"]) == {"ctype": "application/json", "body": '{"name": "x"}'}


def test_plain_output_has_status_headers_body_and_verdict(api: str) -> None:
    result = run("send", f"{api}/protected", "-H", f"Authorization: Bearer {SECRET}")
    assert result.returncode == 0
    out = result.stdout
    assert "HTTP 401 Unauthorized" in out
    assert 'WWW-Authenticate: Bearer realm="api", error="invalid_token"' in out
    assert '"error_description": "The access token expired"' in out
    assert "Verdict: authentication" in out
    assert SECRET not in out


def test_no_follow(api: str) -> None:
    doc = json.loads(run("send", f"{api}/hop", "--no-follow", "--json").stdout)
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
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_refused_connection_exits_1() -> None:
    result = run("send", "http://127.0.0.1:9/x", "--json")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["response"] is None and doc["token"] is None
    assert doc["error"] == {
        "kind": "connection",
        "message": "GET http://127.0.0.1:9/x failed: the connection to 127.0.0.1:9 was refused. "
        "Is the server running on that port?",
    }
    assert doc["diagnosis"]["verdict"] == "transport-error"
    plain = run("send", "http://127.0.0.1:9/x")
    assert plain.returncode == 1 and "was refused" in plain.stderr and "Traceback" not in plain.stderr


def test_timeout_exits_1(http_server) -> None:
    import time

    class Slow(Api):
        def do_GET(self) -> None:
            time.sleep(2)

    url = http_server(Slow)
    result = run("send", f"{url}/", "--timeout", "0.3", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["kind"] == "timeout"


@pytest.mark.parametrize(("scenario", "verified", "finding"), [("valid", True, None),
                                                               ("bad-signature", False, "signature-invalid")])
def test_jwks_flag_checks_the_sent_token(demo_url: str, scenario: str, verified: bool, finding: str | None) -> None:
    from inspector.demo.server import mint_token

    token = mint_token(demo_url, scenario)
    result = run("send", f"{demo_url}/api/invoices", "-H", f"Authorization: Bearer {token}",
                 "--jwks", f"{demo_url}/.well-known/jwks.json", "--json")
    doc = json.loads(result.stdout)
    assert doc["token"]["verified"] is verified
    ids = [f["id"] for f in doc["diagnosis"]["findings"]]
    assert (finding in ids) if finding else "signature-invalid" not in ids


def test_unreadable_key_file_is_bad_input_before_sending() -> None:
    result = run("send", "http://127.0.0.1:9/", "--key", "/no/such/key.pem")
    assert result.returncode == 2 and "/no/such/key.pem" in result.stderr and "Traceback" not in result.stderr
