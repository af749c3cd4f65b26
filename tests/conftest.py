"""Shared fixtures: headless Qt, loopback servers, the demo API, the CLI in-process, and thread hygiene.

The machinery lives in tests/support (servers, evil_servers, cli, threads, secret_scan); this file wires it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep tests away from the user's real settings, keyring and data folders.
os.environ.setdefault("INSPECTOR_TESTING", "1")

from tests.support.cli import Cli
from tests.support.servers import LoopbackServers
from tests.support.threads import ThreadWatch, is_pytest_timeout, serving_port

if TYPE_CHECKING:
    from inspector.demo.server import DemoServer

_SESSION_PORTS: set[int] = set()  # servers that live for the whole session: their threads are not leaks


@pytest.fixture(autouse=True)
def no_thread_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test that leaves a thread, QThread or Qt pool thread running (after a short grace)."""
    watch = ThreadWatch.start()
    yield
    leaks = watch.leaks(ignore=lambda t: is_pytest_timeout(t) or serving_port(t) in _SESSION_PORTS)
    if leaks:
        pytest.fail(f"{request.node.nodeid} left {len(leaks)} thread(s) running: {'; '.join(leaks)}. "
                    "Stop and join what the test started (a fixture's teardown, or the widget's shutdown()).",
                    pytrace=False)


@pytest.fixture
def http_server() -> Iterator[Callable[..., str]]:
    """start(handler_class, host="127.0.0.1") -> base URL of a loopback server; all stopped after the test."""
    servers = LoopbackServers()
    yield servers.start
    servers.stop_all()


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    """The demo API on a free loopback port for the whole test session."""
    from inspector.demo.server import start_demo_server

    server = start_demo_server("127.0.0.1", 0)
    port = urlsplit(server.base_url).port
    assert port is not None
    _SESSION_PORTS.add(port)
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def demo_server() -> Iterator[DemoServer]:
    """A demo API of the test module's own: its state (rotated refresh tokens, nonces) is not shared."""
    from inspector.demo.server import start_demo_server

    server = start_demo_server("127.0.0.1", 0)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """cli(*argv, stdin=..., env=...) -> CliResult: `inspector.cli.main` in this process, output captured."""
    return Cli(capsys, monkeypatch)


# -- profile folders (the profile tests and the profiles dialog's): real folders in tmp_path ------------------


@pytest.fixture
def personal(tmp_path: Path) -> Path:
    """The personal profiles folder, not made yet (the store or the dialog makes it on the first save)."""
    return tmp_path / "personal"


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """A team profiles folder, made empty."""
    d = tmp_path / "team"
    d.mkdir()
    return d
