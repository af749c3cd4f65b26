"""Proxies from the environment, through a real loopback proxy: its credentials are recorded only masked, a
proxy that fails is named (not the host behind it), and the proxy is chosen again for every hop."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from inspector.core.redact import mask
from inspector.core.request import RequestSpec
from inspector.core.transport import send
from tests.support.servers import QuietHandler

USER, PASSWORD = "proxy-user", "proxy-pw-s3cret"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


class Seen:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, target, headers
        self.lock = threading.Lock()

    def add(self, handler: QuietHandler) -> None:
        with self.lock:
            self.requests.append((handler.command, handler.path, dict(handler.headers.items())))


def proxy_handler(seen: Seen, connect_status: int = 407) -> type[QuietHandler]:
    """A forward proxy that forwards nothing: it answers by the target's path, and refuses every tunnel."""

    class Proxy(QuietHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.add(self)
            target = urlsplit(self.path)
            if target.path == "/407":
                self.reply(407, b"proxy auth required", [("Proxy-Authenticate", 'Basic realm="corp"')])
            elif target.path == "/to-localhost":
                self.reply(302, headers=[("Location", f"http://localhost:{target.port}/echo")])
            else:
                self.reply(502, b"bad gateway")

        def do_CONNECT(self) -> None:
            seen.add(self)
            headers = (("Proxy-Authenticate", 'Basic realm="corp"'),) if connect_status == 407 else ()
            self.send_response(connect_status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.close_connection = True

    return Proxy


class Echo(QuietHandler):
    protocol_version = "HTTP/1.1"
    seen: Seen

    def do_GET(self) -> None:
        self.seen.add(self)
        self.reply(200, b"ok")


@pytest.fixture
def use_proxy(monkeypatch) -> Callable[[str, str], None]:
    """Point every proxy variable (both spellings) at url; no_proxy as given. Only env vars are patched."""
    for name in ("all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)

    def use(url: str, no_proxy: str = "") -> None:
        for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
            monkeypatch.setenv(name, url)
        if no_proxy:
            monkeypatch.setenv("no_proxy", no_proxy)
            monkeypatch.setenv("NO_PROXY", no_proxy)

    return use


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_credentials(base: str) -> str:
    return base.replace("http://", f"http://{USER}:{PASSWORD}@")


@pytest.mark.parametrize("path", ["/502", "/407"])
def test_proxy_credentials_are_sent_but_recorded_only_masked(http_server, use_proxy, path: str) -> None:
    seen = Seen()
    proxy = http_server(proxy_handler(seen))
    use_proxy(with_credentials(proxy))
    target = f"http://127.0.0.1:{closed_port()}{path}"  # the proxy answers; nothing listens there
    exchange = send(RequestSpec(url=target, timeout_s=10))
    assert exchange.error is None and exchange.response is not None
    assert exchange.response.status == int(path[1:])
    (method, sent_to, headers), = seen.requests
    assert (method, sent_to) == ("GET", target) and headers["Proxy-Authorization"] == f"Basic {BASIC}"
    assert exchange.hops[0].sent_header("Proxy-Authorization") == f"Basic {mask(BASIC)}"
    assert BASIC not in repr(exchange) and PASSWORD not in repr(exchange)
    assert exchange.proxy == proxy  # where the answer came from, without the user name or password


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_that_refuses_the_connection_is_named_not_the_target(http_server, use_proxy, scheme) -> None:
    target_port, proxy_port = closed_port(), closed_port()
    use_proxy(with_credentials(f"http://127.0.0.1:{proxy_port}"))
    exchange = send(RequestSpec(url=f"{scheme}://127.0.0.1:{target_port}/x", timeout_s=10))
    assert exchange.error is not None and exchange.error.kind == "connection"
    message = exchange.error.message
    assert f"the proxy 127.0.0.1:{proxy_port} refused the connection" in message
    assert f"127.0.0.1:{target_port} was refused" not in message
    assert USER not in message and PASSWORD not in message


@pytest.mark.parametrize(("status", "says"), [
    (407, "it answered 407 Proxy Authentication Required. The proxy did not accept the credentials"),
    (403, "it answered 403 Forbidden."),
])
def test_a_proxy_that_will_not_open_a_tunnel_is_named(http_server, use_proxy, status: int, says: str) -> None:
    seen = Seen()
    proxy = http_server(proxy_handler(seen, connect_status=status))
    use_proxy(with_credentials(proxy))
    target_port = closed_port()
    exchange = send(RequestSpec(url=f"https://127.0.0.1:{target_port}/x", timeout_s=10))
    assert exchange.error is not None and exchange.error.kind == "connection"
    port = urlsplit(proxy).port
    assert f"the proxy 127.0.0.1:{port} would not open a tunnel to 127.0.0.1:{target_port}: {says}" \
        in exchange.error.message
    assert PASSWORD not in exchange.error.message
    assert seen.requests[0][0] == "CONNECT" and seen.requests[0][2]["Proxy-Authorization"] == f"Basic {BASIC}"
    assert "Proxy-Authorization" not in dict(exchange.hops[0].sent_headers)  # it went on the CONNECT


def test_the_proxy_is_chosen_for_each_hop(http_server, use_proxy) -> None:
    """A redirect to a host under no_proxy goes there directly: the proxy's credentials stay with it."""
    proxy_seen, target_seen = Seen(), Seen()
    proxy = http_server(proxy_handler(proxy_seen))
    target = http_server(type("Target", (Echo,), {"seen": target_seen}))
    use_proxy(with_credentials(proxy), no_proxy="localhost")
    port = urlsplit(target).port
    exchange = send(RequestSpec(url=f"http://127.0.0.1:{port}/to-localhost", timeout_s=10))
    assert [h.status for h in exchange.hops] == [302, 200]
    assert exchange.hops[0].sent_header("Proxy-Authorization") == f"Basic {mask(BASIC)}"
    assert exchange.hops[1].sent_header("Proxy-Authorization") is None
    ((method, path, headers),) = target_seen.requests
    assert (method, path) == ("GET", "/echo") and "Proxy-Authorization" not in headers
    assert exchange.proxy is None  # the final answer came straight from the target
