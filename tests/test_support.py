"""The test helpers themselves: the thread watch sees every kind of leaked worker, servers stop their threads,
and the in-process CLI reports what a real process would."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

import pytest
import requests

from tests.support.cli import Cli, run_main_py
from tests.support.evil_servers import EvilServers, response_head
from tests.support.servers import LoopbackServers, QuietHandler, answering, responding
from tests.support.threads import ThreadWatch


def test_the_watch_names_a_python_thread_still_running() -> None:
    watch = ThreadWatch.start()
    gate = threading.Event()
    worker = threading.Thread(target=gate.wait, args=(10,), name="left-behind", daemon=True)
    worker.start()
    try:
        assert [leak for leak in watch.leaks(grace_s=0.05) if "left-behind" in leak]
    finally:
        gate.set()
        worker.join(5)
    assert watch.leaks(grace_s=1) == []


def test_the_watch_names_a_qt_pool_job_running_python(qtbot) -> None:
    from PySide6.QtCore import QRunnable, QThreadPool

    started, gate = threading.Event(), threading.Event()

    class Job(QRunnable):
        def run(self) -> None:
            started.set()
            gate.wait(10)

    pool = QThreadPool()
    watch = ThreadWatch.start()
    pool.start(Job())
    assert started.wait(5)
    try:
        leaks = watch.leaks(grace_s=0.2)
        assert any("running Python" in leak and "run()" in leak for leak in leaks), leaks
    finally:
        gate.set()
        assert pool.waitForDone(5000)
    assert watch.leaks(grace_s=1) == []


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="OS threads are read from /proc (Linux)")
def test_the_watch_names_a_qthread_left_running(qtbot) -> None:
    from PySide6.QtCore import QThread

    watch = ThreadWatch.start()
    thread = QThread()
    thread.setObjectName("forgotten")
    thread.start()  # its event loop runs; no Python frame on it
    try:
        leaks = watch.leaks(grace_s=0.2)
        assert any("forgotten" in leak for leak in leaks), leaks
    finally:
        thread.quit()
        assert thread.wait(5000)
    assert watch.leaks(grace_s=1) == []


class _KeepAlive(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.reply(200, b"kept open")


def test_stopping_servers_ends_kept_alive_connections_and_joins_their_threads() -> None:
    watch = ThreadWatch.start()
    servers = LoopbackServers()
    url = servers.start(_KeepAlive)
    session = requests.Session()  # keeps its connection open, holding the server's request thread
    try:
        assert session.get(url, timeout=5).text == "kept open"
        servers.stop_all()
        assert watch.leaks(grace_s=0) == []  # stop_all joined them: nothing to wait for
    finally:
        session.close()


def test_answering_and_responding_handlers(http_server) -> None:
    url = http_server(answering(418, "short and stout", {"X-Tea": "yes", "Set-Cookie": "a=1\nb=2"}))
    r = requests.post(url, data=b"ignored", timeout=5)
    assert (r.status_code, r.text, r.headers["X-Tea"]) == (418, "short and stout", "yes")
    assert r.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    echo = http_server(responding(lambda h, body: (200, {}, h.command.encode() + b" " + body)))
    assert requests.put(echo, data=b"x", timeout=5).text == "PUT x"


def test_evil_servers_end_a_handler_blocked_on_its_connection() -> None:
    watch = ThreadWatch.start()
    servers = EvilServers()

    def stall(conn, request, server) -> None:
        conn.sendall(response_head("200 OK", "Content-Length: 100") + b"abc")
        conn.recv(1)  # blocks until the connection is shut: the client below never sends more

    server = servers.start(stall)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(1024).startswith(b"HTTP/1.1 200")
        servers.stop_all()  # with the client still connected
        assert watch.leaks(grace_s=0) == []


@pytest.mark.smoke
@pytest.mark.parametrize("argv", [("send", "not a url"), ("send", "http://127.0.0.1:9/x", "--json"),
                                  ("token", "a.b.c", "--json"), ("send", "--bogus")])
def test_the_in_process_cli_says_what_the_real_process_says(cli: Cli, argv: tuple[str, ...]) -> None:
    here, there = cli(*argv), run_main_py(*argv)
    assert (here.returncode, here.stderr) == (there.returncode, there.stderr)
    assert here.stdout.splitlines()[:1] == there.stdout.splitlines()[:1]


def test_the_in_process_cli_reads_stdin_as_bytes_and_restores_the_environment(cli: Cli, monkeypatch) -> None:
    monkeypatch.delenv("SUPPORT_TEST_VAR", raising=False)
    result = cli("token", "-", "--json", stdin=b"\xff\xfe\x80abc", env={"SUPPORT_TEST_VAR": "1"})
    assert result.returncode == 0 and '"format": "opaque"' in result.stdout
    assert "SUPPORT_TEST_VAR" not in os.environ
    assert sys.stdin is not None
