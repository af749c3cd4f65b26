"""Workers off the UI thread: the send worker against a real loopback server, the body worker's signals."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, SignalInstance

from inspector.core.exchange import Exchange
from inspector.core.highlight import STYLE_KEYS, pretty_json
from inspector.core.request import RequestSpec
from inspector.ui.gui import make_settings
from inspector.ui.workers import BodyJob, HighlightWorker, SendWorker, WorkerPool
from tests.support.servers import answering

Handler = answering(200, b'{"hello": "world"}', {"Content-Type": "application/json"})


def run(qtbot, pool: WorkerPool, worker: QObject, signal: SignalInstance) -> tuple:
    """Start the worker and wait for one of its signals; the arguments it carried.

    The signal is emitted on the worker's thread, so it is recorded there and waited for by polling here.
    """
    got: list[tuple] = []
    signal.connect(lambda *args: got.append(args))
    pool.start(worker)
    qtbot.waitUntil(lambda: bool(got), timeout=20_000)
    qtbot.waitUntil(lambda: len(pool) == 0, timeout=20_000)
    return got[0]


@pytest.fixture
def pool(qtbot) -> WorkerPool:
    workers = WorkerPool()
    yield workers
    workers.stop_all()


def test_send_worker_sends_then_explains(qtbot, pool: WorkerPool, http_server) -> None:
    url = http_server(Handler)
    explained: list[Exchange] = []

    def explain(exchange: Exchange) -> str:
        explained.append(exchange)
        return "diagnosis"

    worker = SendWorker(7, RequestSpec(url=f"{url}/x"), threading.Event(), explain=explain)
    generation, exchange, diagnosis = run(qtbot, pool, worker, worker.finished)
    assert generation == 7
    assert exchange.response.status == 200 and exchange.response.body == b'{"hello": "world"}'
    assert diagnosis == "diagnosis" and explained == [exchange]


def test_send_worker_keeps_the_response_when_explaining_fails(qtbot, pool: WorkerPool, http_server) -> None:
    url = http_server(Handler)

    def explain(_exchange: Exchange) -> None:
        raise ValueError("no idea")

    worker = SendWorker(1, RequestSpec(url=url), threading.Event(), explain=explain)
    _, exchange, diagnosis = run(qtbot, pool, worker, worker.finished)
    assert diagnosis is None and exchange.response.status == 200
    assert exchange.extra["explain_problem"] == "The explanation failed: ValueError: no idea"


def test_send_worker_reports_bad_input_as_a_sentence(qtbot, pool: WorkerPool) -> None:
    worker = SendWorker(3, RequestSpec(url="nope"), threading.Event())
    args = run(qtbot, pool, worker, worker.failed)
    assert args[0] == 3
    assert args[1] == "The URL 'nope' has no scheme: start it with http:// or https://."


def test_highlight_worker_streams_text_then_ranges(qtbot, pool: WorkerPool) -> None:
    body = json.dumps([{"id": i, "name": f"n{i}"} for i in range(3000)]).encode()
    worker = HighlightWorker(BodyJob(5, body, "application/json"))
    events: list[str] = []
    pieces: list[str] = []
    ranges = []
    worker.info.connect(lambda g, info: events.append(f"info:{info.syntax}"))
    worker.text_chunk.connect(lambda g, piece: pieces.append(piece))
    worker.text_done.connect(lambda g: events.append("text_done"))
    worker.raw_ready.connect(lambda g, raw: events.append(f"raw:{len(raw)}"))
    worker.ranges.connect(lambda g, batch: ranges.extend(batch.as_tuples()))
    _, stats = run(qtbot, pool, worker, worker.finished)
    text = "".join(pieces)
    assert text == pretty_json(body.decode())
    assert len(pieces) > 1
    assert events == ["info:json", "text_done", f"raw:{len(body) + len(body) // 4000}"]  # long line broken
    assert stats.ranges == len(ranges) > 0
    assert {text[s : s + n] for s, n, key in ranges if key == "tag"} == {'"id"', '"name"'}
    assert all(key in STYLE_KEYS for _, _, key in ranges)


def test_cancelled_highlight_worker_stops_early(qtbot, pool: WorkerPool) -> None:
    body = json.dumps([{"id": i} for i in range(200000)]).encode()
    worker = HighlightWorker(BodyJob(1, body, "application/json"))
    finished = []
    worker.finished.connect(lambda g, s: finished.append(s))
    worker.text_chunk.connect(lambda g, p: worker.cancel.set())
    run(qtbot, pool, worker, worker.done)
    assert finished == []


def test_settings_go_to_the_injected_path(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    settings = make_settings({"INSPECTOR_SETTINGS": str(path)})
    settings.setValue("k", "v")
    settings.sync()
    assert path.read_text().strip().endswith("k=v")
    testing = make_settings({"INSPECTOR_TESTING": "1"})
    assert Path(testing.fileName()).name == "settings.ini"


def test_a_worker_that_outlives_stop_all_is_kept_until_it_ends(qtbot) -> None:
    """A running QThread that is destroyed aborts the process: stop_all() gives up waiting, never the thread."""
    import gc

    from PySide6.QtCore import Signal

    from inspector.ui import workers

    class Stubborn(QObject):
        done = Signal()

        def __init__(self, gate: threading.Event) -> None:
            super().__init__()
            self.gate = gate
            self.started = threading.Event()

        def run(self) -> None:  # ignores cancel: it ends when the test opens the gate
            self.started.set()
            self.gate.wait(10)
            self.done.emit()

    gate = threading.Event()
    pool = WorkerPool()
    worker = Stubborn(gate)
    thread = pool.start(worker)
    assert worker.started.wait(5)
    pool.stop_all(timeout_ms=50)
    assert thread.isRunning() and any(t is thread for t, _ in workers._STRAGGLERS)
    del pool, worker
    gc.collect()  # the pool's dict is gone; the thread is not destroyed (that would abort right here)
    assert thread.isRunning()
    gate.set()
    assert thread.wait(5000)
    workers._wait_for_stragglers(timeout_ms=1000)
    assert not any(t is thread for t, _ in workers._STRAGGLERS)
