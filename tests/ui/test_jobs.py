"""The job runner: results on the UI thread, the stale rule, cancel, failures, no thread outliving its owner.
Then the body highlighter, run through the runner like every worker."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject
from shiboken6 import Shiboken

from inspector.core.highlight import STYLE_KEYS, pretty_json
from inspector.ui import jobs
from inspector.ui.gui import make_settings
from inspector.ui.jobs import Job, JobRunner, install_exit_hooks
from inspector.ui.workers import BodyJob, HighlightWorker, raw_pieces

WAIT_S = 10.0  # a gate nobody opens gives up after this, so a broken test fails instead of hanging


@pytest.fixture
def runner(qtbot) -> JobRunner:
    r = JobRunner(name="test")
    yield r
    r.close()
    assert r.join(), "a job of the test was still running"


class Gate:
    """Work that waits until the test opens the gate (or the job is cancelled), then returns its value."""

    def __init__(self, value: object = None) -> None:
        self.value = value
        self.open = threading.Event()
        self.entered = threading.Event()
        self.thread: int | None = None

    def __call__(self, job: Job) -> object:
        self.thread = threading.get_ident()
        self.entered.set()
        for _ in range(int(WAIT_S / 0.01)):
            if self.open.is_set() or job.cancel.is_set():
                break
            self.open.wait(0.01)
        return self.value


def test_the_result_arrives_on_the_ui_thread(qtbot, runner: JobRunner) -> None:
    gate = Gate("answer")
    got: list[tuple[object, int]] = []
    runner.start("a", gate, on_done=lambda v: got.append((v, threading.get_ident())))
    qtbot.waitUntil(gate.entered.is_set, timeout=5_000)
    gate.open.set()
    qtbot.waitUntil(lambda: bool(got), timeout=5_000)
    assert got == [("answer", threading.get_ident())]
    assert gate.thread != threading.get_ident()
    qtbot.waitUntil(lambda: len(runner) == 0, timeout=5_000)


def test_a_newer_job_in_the_same_slot_supersedes_the_older(qtbot, runner: JobRunner) -> None:
    older, newer = Gate("older"), Gate("newer")
    got: list[object] = []
    first = runner.start("slot", older, on_done=got.append)
    qtbot.waitUntil(older.entered.is_set, timeout=5_000)
    second = runner.start("slot", newer, on_done=got.append)
    assert first.cancel.is_set() and not second.cancel.is_set()  # the older one is told to stop
    assert runner.current("slot") is second
    assert runner.is_current("slot", second.generation) and not runner.is_current("slot", first.generation)
    first.join(5)
    qtbot.wait(50)  # room for the older result to (wrongly) show up
    assert got == []
    newer.open.set()
    qtbot.waitUntil(lambda: got == ["newer"], timeout=5_000)


def test_other_slots_are_not_superseded(qtbot, runner: JobRunner) -> None:
    a, b = Gate("a"), Gate("b")
    got: list[object] = []
    runner.start("one", a, on_done=got.append)
    runner.start("two", b, on_done=got.append)
    a.open.set()
    b.open.set()
    qtbot.waitUntil(lambda: sorted(got) == ["a", "b"], timeout=5_000)


def test_cancel_stops_the_work_and_drops_its_result(qtbot, runner: JobRunner) -> None:
    gate = Gate("late")
    got: list[object] = []
    job = runner.start("send", gate, on_done=got.append, on_failed=got.append)
    qtbot.waitUntil(gate.entered.is_set, timeout=5_000)
    generation = runner.cancel("send")
    assert job.cancel.is_set() and generation > job.generation
    assert runner.current("send") is None
    assert job.join(5)  # the work saw the event and returned
    qtbot.wait(50)
    assert got == []


class Stubborn:
    """Work that does not look at its cancel event (a secret store's write): it ends when the test says."""

    def __init__(self, value: object) -> None:
        self.value = value
        self.open = threading.Event()
        self.entered = threading.Event()

    def __call__(self, job: Job) -> object:
        self.entered.set()
        self.open.wait(WAIT_S)
        return self.value


def test_a_forgotten_slot_is_gone_and_its_late_result_never_shows(qtbot, runner: JobRunner) -> None:
    """A tab's slots go with the tab (a window opens thousands of tabs in a day); a result of the forgotten
    slot that comes late is dropped, also once a slot of the same name has started anew."""
    late = Stubborn("late")
    got: list[object] = []
    runner.start("send:1", late, on_done=got.append)
    qtbot.waitUntil(late.entered.is_set, timeout=5_000)
    runner.forget("send:1")
    assert "send:1" not in runner._state.slots and not runner.busy("send:1")
    again = Stubborn("again")
    runner.start("send:1", again, on_done=got.append)  # the same name again
    late.open.set()
    qtbot.wait(100)  # room for the late result to (wrongly) show up
    assert got == []
    again.open.set()
    qtbot.waitUntil(lambda: got == ["again"], timeout=5_000)
    runner.forget("never-used")  # nothing to forget: no error


def test_an_exception_in_the_work_is_delivered_as_a_failure(qtbot, runner: JobRunner) -> None:
    def work(_job: Job) -> None:
        raise ValueError("no idea")

    failures: list[tuple[BaseException, int]] = []
    done: list[object] = []
    runner.start("x", work, on_done=done.append,
                 on_failed=lambda e: failures.append((e, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(failures), timeout=5_000)
    error, thread = failures[0]
    assert isinstance(error, ValueError) and str(error) == "no idea"
    assert thread == threading.get_ident() and done == []


def test_progress_arrives_in_order_while_the_job_is_current(qtbot, runner: JobRunner) -> None:
    seen: list[object] = []

    def work(job: Job) -> str:
        for i in range(5):
            job.report(i)
        return "end"

    runner.start("p", work, on_progress=seen.append, on_done=seen.append)
    qtbot.waitUntil(lambda: seen[-1:] == ["end"], timeout=5_000)
    assert seen == [0, 1, 2, 3, 4, "end"]


def test_queued_jobs_wait_for_the_running_one_and_only_the_newest_runs(qtbot, runner: JobRunner) -> None:
    running, skipped, newest = Gate("running"), Gate("skipped"), Gate("newest")
    newest.open.set()
    got: list[object] = []
    first = runner.start("load", running, on_done=got.append, queue=True)
    qtbot.waitUntil(running.entered.is_set, timeout=5_000)
    runner.start("load", skipped, on_done=got.append, queue=True)
    last = runner.start("load", newest, on_done=got.append, queue=True)
    assert not first.cancel.is_set()  # not cancelled: it cannot stop early, it only loses its result
    assert runner.busy("load") and runner.current("load") is last and not last.is_alive()
    running.open.set()
    qtbot.waitUntil(lambda: got == ["newest"], timeout=5_000)
    assert not skipped.entered.is_set()
    qtbot.waitUntil(lambda: not runner.busy("load"), timeout=5_000)


def test_stop_cancels_and_joins_every_thread(qtbot, runner: JobRunner) -> None:
    gates = [Gate(i) for i in range(3)]
    started = [runner.start(f"s{i}", gate) for i, gate in enumerate(gates)]
    qtbot.waitUntil(lambda: all(g.entered.is_set() for g in gates), timeout=5_000)
    assert len(runner) == 3
    assert runner.stop(5.0)
    assert not any(job.is_alive() for job in started) and len(runner) == 0


def test_stop_is_bounded_when_the_work_cannot_see_the_cancel(qtbot, runner: JobRunner) -> None:
    release = threading.Event()
    job = runner.start("stuck", lambda _job: release.wait(WAIT_S))  # a keyring behind an unlock prompt
    assert not runner.stop(0.05)
    assert job.is_alive()
    release.set()
    assert job.join(5)


def test_destroying_the_owner_cancels_its_jobs_without_waiting_for_them(qtbot) -> None:
    """A closed tab or dialog is deleted while the window goes on: its job is cancelled and its late result
    dropped, but the UI thread does not wait for a thread that cannot stop at once (a secret store's write);
    stop_all() still knows it and joins it when the app quits."""
    owner = QObject()
    runner = JobRunner(owner)
    release = threading.Event()
    got: list[object] = []
    job = runner.start("x", lambda _job: release.wait(WAIT_S) and "late", on_done=got.append)  # blind to cancel
    qtbot.waitUntil(job.is_alive, timeout=5_000)
    joined: list[Job] = []
    original = Job.join
    Job.join = lambda self, timeout=None: joined.append(self) or original(self, timeout)  # type: ignore[method-assign]
    try:
        Shiboken.delete(owner)  # the runner goes with it
    finally:
        Job.join = original  # type: ignore[method-assign]
    assert job.cancel.is_set() and job.is_alive() and joined == []  # cancelled, not waited for
    assert job in [j for state in jobs._STATES for j in state.jobs]  # stop_all() would still join it
    release.set()
    assert job.join(5)
    qtbot.wait(50)
    assert got == []  # its result, delivered after the owner went, is dropped
    JobRunner(name="later")  # closed runners whose threads ended are forgotten as new ones are made
    assert job not in [j for state in jobs._STATES for j in state.jobs]


def test_a_closed_runner_lets_go_of_its_owner_at_once(qtbot) -> None:
    """Closed runners stay known until their threads end and a new runner is made; what their jobs would have
    called back (a deleted tab, its whole response) must not stay with them."""
    import gc
    import weakref

    class Owner:
        def __init__(self) -> None:
            self.body = bytearray(1024)

        def shown(self, _value: object) -> None:
            pass

    owner = Owner()
    alive = weakref.ref(owner)
    runner = JobRunner(name="closing")
    job = runner.start("x", lambda _job: None, on_done=owner.shown, on_failed=owner.shown)
    runner.close()
    assert job.join(5)
    del owner
    gc.collect()
    assert alive() is None


def test_close_cancels_without_waiting_and_no_job_starts_after(qtbot, runner: JobRunner) -> None:
    release = threading.Event()
    job = runner.start("stuck", lambda _job: release.wait(WAIT_S))
    runner.close()
    assert job.cancel.is_set() and job.is_alive()
    with pytest.raises(RuntimeError, match="is stopped"):
        runner.start("x", Gate())
    release.set()
    assert job.join(5)


def test_stop_all_joins_the_jobs_of_every_runner(qtbot) -> None:
    runners = [JobRunner(name=f"r{i}") for i in range(2)]
    gates = [Gate(), Gate()]
    started = [r.start("x", g) for r, g in zip(runners, gates, strict=True)]
    qtbot.waitUntil(lambda: all(g.entered.is_set() for g in gates), timeout=5_000)
    assert jobs.stop_all(5.0)
    assert not any(job.is_alive() for job in started)
    with pytest.raises(RuntimeError, match="is stopped"):
        runners[0].start("x", Gate())


# -- the body highlighter, through the runner ---------------------------------------------------------------


def run_worker(qtbot, runner: JobRunner, worker: HighlightWorker, signal) -> tuple:
    """Start the worker as a job and wait for one of its signals; the arguments it carried.

    The signal is emitted on the job's thread, so it is recorded there and waited for by polling here.
    """
    got: list[tuple] = []
    signal.connect(lambda *args: got.append(args))
    runner.start("body", lambda _job: worker.run(), cancel=worker.cancel)
    qtbot.waitUntil(lambda: bool(got), timeout=20_000)
    qtbot.waitUntil(lambda: len(runner) == 0, timeout=20_000)
    return got[0]


def test_highlight_worker_streams_text_then_ranges(qtbot, runner: JobRunner) -> None:
    body = json.dumps([{"id": i, "name": f"n{i}"} for i in range(3000)]).encode()
    job = BodyJob(5, body, "application/json")
    worker = HighlightWorker(job)
    events: list[str] = []
    pieces: list[str] = []
    ranges = []
    worker.info.connect(lambda g, info: events.append(f"info:{info.syntax}"))
    worker.text_piece.connect(lambda g, piece: pieces.append(piece.text))
    worker.text_done.connect(lambda g: events.append("text_done"))
    worker.range_chunk.connect(lambda g, c: ranges.extend(zip(c.starts, c.ends, c.keys, strict=True)))
    _, stats = run_worker(qtbot, runner, worker, worker.finished)
    text = "".join(pieces)
    assert text == pretty_json(body.decode())
    assert len(pieces) > 1
    assert events == ["info:json", "text_done"]
    # the raw text comes when the Raw tab asks for it: as received, its long line broken for display
    (raw,) = raw_pieces(job)
    assert raw.text == body.decode() and len(raw.line_starts) == len(body) // 4000  # long line broken
    assert stats.ranges == len(ranges) > 0
    assert {text[s:e] for s, e, key in ranges if STYLE_KEYS[key] == "tag"} == {'"id"', '"name"'}
    assert all(0 <= key < len(STYLE_KEYS) for _, _, key in ranges)


def test_cancelled_highlight_worker_stops_early(qtbot, runner: JobRunner) -> None:
    body = json.dumps([{"id": i} for i in range(200000)]).encode()
    worker = HighlightWorker(BodyJob(1, body, "application/json"))
    finished = []
    worker.finished.connect(lambda g, s: finished.append(s))
    worker.text_piece.connect(lambda g, p: worker.cancel.set())
    run_worker(qtbot, runner, worker, worker.done)
    assert finished == []


def test_settings_go_to_the_injected_path(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    settings = make_settings({"INSPECTOR_SETTINGS": str(path)})
    settings.setValue("k", "v")
    settings.sync()
    assert path.read_text().strip().endswith("k=v")
    testing = make_settings({"INSPECTOR_TESTING": "1"})
    assert Path(testing.fileName()).name == "settings.ini"


EXIT_SCRIPT = """
import atexit, sys, threading, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QTimer
from inspector.ui.jobs import JobRunner, install_exit_hooks

marker, mode = Path(sys.argv[1]), sys.argv[2]
seen = Path(str(marker) + ".seen")
# registered before the hooks, so it runs after them (atexit is last in, first out): what did they leave?
atexit.register(lambda: seen.write_text(marker.read_text() if marker.exists() else "still running"))
app = QCoreApplication([])
install_exit_hooks(app)
runner = JobRunner(name="exit-test")
started = threading.Event()
closed = mode == "closed"  # its runner closed before the exit: cancelled then, joined by the exit hook
go_on = threading.Event()

def work(job):
    started.set()
    (go_on if closed else job.cancel).wait(30)  # only a hook's cancel (or the exit) ends this early
    if closed:
        time.sleep(0.3)  # still running as the interpreter exits
    marker.write_text("cancelled and finished" if job.cancel.is_set() else "timed out")

runner.start("x", work)
started.wait(10)
if closed:
    runner.close()
    go_on.set()
if mode == "quit":  # the window closes: the event loop ends, aboutToQuit stops the jobs before exec returns
    QTimer.singleShot(0, app.quit)
    app.exec()
    print(marker.read_text() if marker.exists() else "still running")
sys.exit(0)  # no stop() anywhere: the hooks must cancel and join the job
"""


@pytest.mark.parametrize("mode", ["quit", "exit", "closed"])
def test_a_job_running_when_the_app_quits_or_the_interpreter_exits_is_joined(tmp_path: Path,
                                                                              mode: str) -> None:
    import os
    import subprocess
    import sys

    marker = tmp_path / "marker"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, str(marker), mode], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Fatal" not in done.stderr
    if mode == "quit":
        assert done.stdout.strip() == "cancelled and finished"  # before app.exec() returned
    assert (tmp_path / "marker.seen").read_text() == "cancelled and finished"  # before the interpreter ended


def test_the_exit_hooks_are_connected_once_per_application(qapp) -> None:
    """The app's start-up installs them each time it starts its jobs (DeferredStart.start): a second call
    must not connect aboutToQuit again."""
    from PySide6.QtCore import SIGNAL

    install_exit_hooks(qapp)
    connected = qapp.receivers(SIGNAL("aboutToQuit()"))
    install_exit_hooks(qapp)
    install_exit_hooks(qapp)
    assert qapp.receivers(SIGNAL("aboutToQuit()")) == connected >= 1


HELPER_EXIT_SCRIPT = """
import os, sys
from PySide6.QtCore import QCoreApplication, QTimer
from inspector.core.offload import HELPER
from inspector.ui.jobs import install_exit_hooks

app = QCoreApplication([])
install_exit_hooks(app)
child = HELPER.call(os.getpid)
QTimer.singleShot(0, app.quit)
app.exec()
print(child, HELPER.is_running())
"""


def test_the_helper_process_stops_when_the_app_quits(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(Path(__file__).parents[2])}
    script = tmp_path / "helper_exit.py"
    script.write_text(HELPER_EXIT_SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    child, running = done.stdout.split()
    assert int(child) > 0 and running == "False"  # stopped on aboutToQuit, before the interpreter exits


def test_the_collector_is_paused_while_a_large_structure_is_made_and_it_is_set_aside() -> None:
    """Python's cyclic collector walks every object it tracks in one call, on whichever thread allocates:
    reading a HAR file of 30 MB on a job made it stop the window for up to 0.46 s a pass."""
    import gc

    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    with jobs.collector_paused():
        with jobs.collector_paused():  # nested (two jobs at once): the outer one ends the pause
            made = [[i] for i in range(10_000)]  # (lists: always tracked by the collector)
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(made)  # never walked again
    gc.disable()
    try:
        with jobs.collector_paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()
