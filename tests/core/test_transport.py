"""transport.send against real loopback servers: hops, bodies, credentials across origins, failures."""

from __future__ import annotations

import io
import json
import threading
import time
from datetime import UTC, datetime

import pytest
import requests

from inspector.core.errors import RequestError
from inspector.core.exchange import Hop
from inspector.core.profiles.auth import AuthDefaults
from inspector.core.request import Body, FormField, Header, RequestSpec
from inspector.core.transport import describe_failure, send
from tests.support.servers import QuietHandler

SLOW_HEADERS = threading.Event()  # /slow-headers answers when the test has seen the timeout (or after 3 s)


class Api(QuietHandler):
    protocol_version = "HTTP/1.1"

    def _echo(self) -> None:
        self.reply_json(200, self.echo_document())

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        path = self.path.split("?")[0]
        if path == "/challenges":
            self.reply(401, b"{}", [("WWW-Authenticate", 'Basic realm="a"'),
                                     ("www-authenticate", 'Bearer error="invalid_token"')])
        elif path.startswith("/redirect/"):
            n = int(path.rsplit("/", 1)[1])
            self.reply(302, headers=[("Location", f"/redirect/{n - 1}" if n > 1 else "/echo")])
        elif self.path == "/loop":
            self.reply(302, headers=[("Location", "/loop")])
        elif path == "/other-origin":
            self.reply(302, headers=[("Location", f"http://localhost:{port}/echo")])
        elif self.path == "/see-other":
            self.reply(303, headers=[("Location", "/echo")])
        elif self.path == "/big":
            self.reply(200, b"x" * 300_000, [("Content-Type", "text/plain")])
        elif self.path == "/slow-headers":
            SLOW_HEADERS.wait(3)
            self.reply(200, b"late")
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b"y" * 100)
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
        else:
            self._echo()

    def do_POST(self) -> None:
        if self.path == "/see-other":
            self.read_body()
            self.reply(303, headers=[("Location", "/echo")])
        elif self.path == "/temporary":
            self.read_body()
            self.reply(307, headers=[("Location", "/echo")])
        elif self.path == "/token":
            self.read_body()
            self.reply(200, b'{"access_token": "tok-123", "expires_in": 60}',
                       [("Content-Type", "application/json")])
        else:
            self._echo()

    do_PUT = do_POST


@pytest.fixture
def api(http_server) -> str:
    return http_server(Api)


def echoed(exchange) -> dict:
    return json.loads(exchange.response.body)


def test_get_records_one_hop_with_raw_header_lines(api: str) -> None:
    exchange = send(RequestSpec(url=f"{api}/challenges"))
    assert exchange.error is None
    assert len(exchange.hops) == 1
    response = exchange.response
    assert response.status == 401 and response.reason == "Unauthorized"
    lines = [(k, v) for k, v in response.headers if k.lower() == "www-authenticate"]
    assert lines == [("WWW-Authenticate", 'Basic realm="a"'),
                     ("www-authenticate", 'Bearer error="invalid_token"')]
    assert exchange.sent_at is not None and exchange.received_at >= exchange.sent_at


@pytest.mark.parametrize(
    ("body", "user_ctype", "expected_ctype", "expected_body"),
    [
        (Body("json", '{"a": 1}'), None, "application/json", '{"a": 1}'),
        (Body("json", '{"a": 1}'), "application/vnd.api+json", "application/vnd.api+json", '{"a": 1}'),
        (Body("text", "héllo"), None, "text/plain; charset=utf-8", "hÃ©llo"),
        (Body("form", fields=(FormField("q", "a b&c"), FormField("off", "x", enabled=False))), None,
         "application/x-www-form-urlencoded", "q=a+b%26c"),
    ],
)
def test_body_kinds_and_content_type(api: str, body: Body, user_ctype, expected_ctype, expected_body) -> None:
    headers = (Header("Content-Type", user_ctype),) if user_ctype else ()
    exchange = send(RequestSpec(method="POST", url=f"{api}/echo", headers=headers, body=body))
    doc = echoed(exchange)
    assert doc["headers"]["Content-Type"] == expected_ctype
    assert doc["body"] == expected_body


def test_multipart_with_a_file(api: str, tmp_path) -> None:
    upload = tmp_path / "report.csv"
    upload.write_text("a,b\n1,2\n")
    body = Body("multipart", fields=(FormField("note", "hi"), FormField("file", str(upload), is_file=True)))
    doc = echoed(send(RequestSpec(method="POST", url=f"{api}/echo", body=body)))
    assert doc["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert 'name="file"; filename="report.csv"' in doc["body"] and "a,b\n1,2" in doc["body"]
    assert 'name="note"' in doc["body"]


def test_multipart_missing_file_is_bad_input(api: str, tmp_path) -> None:
    body = Body("multipart", fields=(FormField("file", str(tmp_path / "nope.bin"), is_file=True),))
    with pytest.raises(RequestError, match=r"nope\.bin.*multipart field 'file' cannot be read"):
        send(RequestSpec(method="POST", url=f"{api}/echo", body=body))


def test_disabled_header_is_not_sent(api: str) -> None:
    headers = (Header("X-On", "1"), Header("X-Off", "2", enabled=False))
    doc = echoed(send(RequestSpec(url=f"{api}/echo", headers=headers)))
    assert doc["headers"].get("X-On") == "1" and "X-Off" not in doc["headers"]


def test_redirect_chain_is_recorded_hop_by_hop(api: str) -> None:
    exchange = send(RequestSpec(url=f"{api}/redirect/3"))
    assert [h.status for h in exchange.hops] == [302, 302, 302, 200]
    assert [h.url.rsplit("/", 2)[-2:] for h in exchange.hops][-1] == [api.rsplit("/", 1)[-1], "echo"]
    assert exchange.hops[0].location == "/redirect/2"


def test_no_follow_stops_at_the_first_redirect(api: str) -> None:
    exchange = send(RequestSpec(url=f"{api}/redirect/3", follow_redirects=False))
    assert [h.status for h in exchange.hops] == [302]
    assert exchange.response.status == 302


def test_303_turns_post_into_get_and_drops_the_body(api: str) -> None:
    exchange = send(RequestSpec(method="POST", url=f"{api}/see-other", body=Body("json", '{"a": 1}')))
    assert [h.method for h in exchange.hops] == ["POST", "GET"]
    doc = echoed(exchange)
    assert doc["method"] == "GET" and doc["body"] == "" and "Content-Type" not in doc["headers"]


def test_307_keeps_method_and_body(api: str) -> None:
    exchange = send(RequestSpec(method="POST", url=f"{api}/temporary", body=Body("json", '{"a": 1}')))
    doc = echoed(exchange)
    assert doc["method"] == "POST" and doc["body"] == '{"a": 1}'


def test_too_many_redirects(api: str) -> None:
    exchange = send(RequestSpec(url=f"{api}/loop"))
    assert exchange.error is not None and exchange.error.kind == "too-many-redirects"
    assert exchange.response is None
    assert len(exchange.hops) == 31
    assert f"GET {api}/loop was redirected more than 30 times" in exchange.error.message


def test_user_credentials_stay_on_origin(api: str) -> None:
    headers = (Header("Authorization", "Bearer secret-1"), Header("Cookie", "session=s3"))
    same = send(RequestSpec(url=f"{api}/redirect/1", headers=headers))
    assert echoed(same)["headers"]["Authorization"] == "Bearer secret-1"
    assert echoed(same)["headers"]["Cookie"] == "session=s3"
    other = send(RequestSpec(url=f"{api}/other-origin", headers=headers))
    doc = echoed(other)
    assert "Authorization" not in doc["headers"] and "Cookie" not in doc["headers"]
    assert other.hops[0].sent_header("Authorization") == "Bearer secret-1"
    assert other.hops[-1].credentials_stripped == ("Authorization", "Cookie")


class ApiKeyAuth(AuthDefaults):
    """A real AuthBase in the shape of a profile's: a header and a query parameter."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["X-API-Key"] = "key-777"
        r.prepare_url(r.url, {"api_key": "key-777"})
        return r

    def added_names(self) -> tuple[str, ...]:
        return ("X-API-Key", "api_key")


def test_profile_credentials_never_follow_a_redirect_to_another_origin(api: str) -> None:
    same = send(RequestSpec(url=f"{api}/redirect/1"), auth=ApiKeyAuth())
    assert echoed(same)["headers"]["X-API-Key"] == "key-777" and "api_key=key-777" in echoed(same)["path"]
    other = send(RequestSpec(url=f"{api}/other-origin"), auth=ApiKeyAuth())
    doc = echoed(other)
    assert "X-API-Key" not in doc["headers"] and "key-777" not in doc["path"]
    assert other.hops[-1].credentials_stripped == ("X-API-Key", "api_key")


class TokenAuth(AuthDefaults):
    def __init__(self, token_url: str) -> None:
        self.token_url = token_url
        self.token: str | None = None

    def token_request(self) -> requests.Request | None:
        return None if self.token else requests.Request("POST", self.token_url, data={"grant_type": "x"})

    def accept_token_response(self, hop: Hop, now: datetime) -> str | None:
        if hop.status != 200:
            return f"the token endpoint answered {hop.status}"
        self.token = json.loads(hop.response.body)["access_token"]
        return None

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def test_token_request_is_a_hop_of_its_own(api: str) -> None:
    auth = TokenAuth(f"{api}/token")
    exchange = send(RequestSpec(url=f"{api}/echo"), auth=auth)
    assert [h.role for h in exchange.hops] == ["token", "request"]
    assert echoed(exchange)["headers"]["Authorization"] == "Bearer tok-123"
    again = send(RequestSpec(url=f"{api}/echo"), auth=auth)
    assert [h.role for h in again.hops] == ["request"]


def test_failing_token_request_stops_the_send(api: str) -> None:
    auth = TokenAuth(f"{api}/challenges-for-post")  # POST there is echoed with 200 but no token: make it fail
    auth.token_request = lambda: requests.Request("GET", f"{api}/challenges")  # type: ignore[method-assign]
    exchange = send(RequestSpec(url=f"{api}/echo"), auth=auth)
    assert [h.role for h in exchange.hops] == ["token"]
    assert exchange.final_hop.status == 401
    assert exchange.token_problem == "the token endpoint answered 401"


def test_body_over_the_cap_is_truncated_not_loaded(api: str) -> None:
    exchange = send(RequestSpec(url=f"{api}/big"), max_body_bytes=100_000)
    response = exchange.response
    assert response.body_truncated and response.body_bytes > 100_000
    assert len(response.body) <= 100_000 + 64 * 1024


def test_body_sink_receives_the_whole_body(api: str) -> None:
    sink = io.BytesIO()
    exchange = send(RequestSpec(url=f"{api}/big"), max_body_bytes=1000, body_sink=sink)
    assert len(sink.getvalue()) == 300_000 and not exchange.response.body_truncated


def test_progress_is_reported(api: str) -> None:
    seen: list[tuple[int, int | None]] = []
    send(RequestSpec(url=f"{api}/big"), on_progress=lambda n, total: seen.append((n, total)))
    assert seen[-1] == (300_000, 300_000)


def test_cancel_during_a_slow_body(api: str) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    exchange = send(RequestSpec(url=f"{api}/drip"), cancel=cancel)
    assert exchange.error is not None and exchange.error.kind == "cancelled"
    assert exchange.error.message == f"GET {api}/drip was cancelled."


def test_timeout(api: str) -> None:
    SLOW_HEADERS.clear()
    try:
        exchange = send(RequestSpec(url=f"{api}/slow-headers", timeout_s=0.5))
    finally:
        SLOW_HEADERS.set()
    assert exchange.error.kind == "timeout"
    assert exchange.error.message.startswith(f"GET {api}/slow-headers timed out")


def test_refused_connection() -> None:
    exchange = send(RequestSpec(url="http://127.0.0.1:9/x"))
    assert exchange.error.kind == "connection"
    assert exchange.error.message == (
        "GET http://127.0.0.1:9/x failed: the connection to 127.0.0.1:9 was refused. "
        "Is the server running on that port?"
    )
    assert len(exchange.hops) == 1 and exchange.hops[0].response is None


def test_unknown_host_is_a_dns_failure() -> None:
    exchange = send(RequestSpec(url="http://no-such-host.invalid/"))
    assert exchange.error.kind == "dns"
    assert "'no-such-host.invalid' could not be resolved" in exchange.error.message


def test_tls_to_a_plain_http_port(api: str) -> None:
    url = api.replace("http://", "https://") + "/echo"
    exchange = send(RequestSpec(url=url))
    assert exchange.error.kind == "tls"
    assert exchange.error.message.startswith(f"GET {url} failed: the TLS handshake")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "The URL is empty"),
        ("example.com/x", "has no scheme"),
        ("ftp://example.com", "uses the scheme 'ftp'"),
        ("http://", "has no host name"),
        ("http://exa mple.com", "contains a space"),
        ("http://example.com:99999/", "cannot be parsed"),
    ],
)
def test_bad_urls_are_bad_input(url: str, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        send(RequestSpec(url=url))


def test_describe_failure_names_method_and_url() -> None:
    failure = describe_failure(requests.exceptions.ReadTimeout("read timed out"), "POST", "http://h/x")
    assert failure.kind == "timeout"
    assert failure.message == (
        "POST http://h/x timed out: h accepted the connection but did not answer in time.")


def test_clock_is_injected(api: str) -> None:
    fixed = datetime(2030, 1, 1, tzinfo=UTC)
    exchange = send(RequestSpec(url=f"{api}/echo"), clock=lambda: fixed)
    assert exchange.sent_at == fixed and exchange.hops[0].sent_at == fixed


HELD = threading.Event()  # released by the test only after the send has returned
LET_GO = threading.Event()  # set by the handler when it stops holding the connection


class Holding(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/body":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
        HELD.wait(50)  # bounded; the test releases it
        LET_GO.set()


@pytest.mark.parametrize("path", ["/headers", "/body"])
def test_cancel_breaks_off_a_read_that_is_blocked(http_server, path: str) -> None:
    """With a 120 s read timeout, only breaking the socket off can end this send before the server lets go."""
    HELD.clear()
    LET_GO.clear()
    url = http_server(Holding)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    try:
        exchange = send(RequestSpec(url=f"{url}{path}", timeout_s=120), cancel=cancel)
        assert not LET_GO.is_set(), "the send only returned once the server let go of the connection"
    finally:
        HELD.set()
    assert exchange.error is not None and exchange.error.kind == "cancelled"
