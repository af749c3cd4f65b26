"""The one way to run work off the UI thread.

A job has three parts:

- prepare: on the UI thread, the caller reads what the work needs from widgets and models into plain values
  and closes over them (the work never touches a widget);
- run: `work(job)` on a thread of its own; it watches `job.cancel` (a threading.Event) and may send progress
  with `job.report(value)`;
- deliver: its return value (on_done), the exception it raised (on_failed) or its progress (on_progress)
  reaches the UI thread through the one relay, as queued signals.

One rule for stale results: every job runs in a named *slot* of its runner, and each slot has a generation.
Starting a job in a slot, or cancelling the slot, gives it a new generation (never one used before in the
runner, so a slot forgotten and made again does not take old results for its own); a job's result or progress is
delivered only while its generation is still the slot's and it was not cancelled. So a newer job in the same
slot always supersedes the older one, and nobody has to compare counters by hand. Work that streams its own
signals (the body highlighter) checks `runner.is_current(slot, generation)` in its slots, the same rule.

Threads: every job gets a plain Python thread (daemon, so a keyring stuck on an unlock prompt never hangs the
process at exit; QThread and QThreadPool destructors wait without bound or abort). Every thread is tracked:
`runner.stop()` cancels and joins its jobs (bounded), for the window closing; `runner.close()` cancels them
and lets their threads end on their own, and the runner does the same when its owner is destroyed (a closed
tab or dialog: the UI thread never waits for a job that cannot stop at once, a secret store's write or json
reading megabytes); `stop_all()` cancels and joins every thread still running, of open and closed runners
alike: the app calls it on QApplication.aboutToQuit and at interpreter exit (see install_exit_hooks), so no
worker outlives the window or the interpreter.

    runner = JobRunner(owner)
    runner.start("send", lambda job: pipeline.run(spec, cancel=job.cancel), on_done=self.show_result,
                 on_failed=self.show_failure)
    runner.cancel("send")       # the running send stops; its late result is dropped
    runner.close()              # a tab closes: cancel everything, no new job; the threads end on their own
    runner.stop()               # the window closes: cancel everything, join every thread
"""

from __future__ import annotations

import atexit
import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

T = TypeVar("T")

log = logging.getLogger(__name__)

#: bodies holding more than this are masked in the helper process (start_in_helper), not on the UI thread:
#: masking reads a body whole, some 0.2 s a megabyte (the report and curl dialogs)
MASK_IN_HELPER_BYTES = 256 * 1024

#: how long stop() waits for the jobs' threads by default; work that cannot see its cancel event (a keyring
#: behind an unlock prompt) must not hang closing the window for longer than this
STOP_WAIT_S = 3.0

Outcome = Literal["done", "failed", "progress", "ended"]


class Job(Generic[T]):
    """One piece of work off the UI thread: its slot, its generation there, its cancel event, its thread."""

    def __init__(self, runner_state: _State, slot: str, generation: int, name: str,
                 work: Callable[[Job[T]], T], cancel: threading.Event | None,
                 on_done: Callable[[T], object] | None, on_failed: Callable[[BaseException], object] | None,
                 on_progress: Callable[[Any], object] | None) -> None:
        self.slot = slot
        self.generation = generation
        self.name = name
        self.cancel = cancel if cancel is not None else threading.Event()
        self._state = runner_state
        self._work = work
        self._on_done = on_done
        self._on_failed = on_failed
        self._on_progress = on_progress
        self._thread: threading.Thread | None = None
        self.ended = False  # the end was delivered on the UI thread (or the job never had to start)

    def __repr__(self) -> str:
        return f"<Job {self.name} slot={self.slot} gen={self.generation} alive={self.is_alive()}>"

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def report(self, value: object) -> None:
        """Progress from the work: on_progress(value) on the UI thread while the job is current."""
        _emit(self._state, self, "progress", value)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread (not on the UI thread while it may deliver to you); True when it ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.is_alive()

    # -- the job's own thread --------------------------------------------------------------------------------
    def _start(self) -> None:
        self._thread = threading.Thread(target=self._main, name=f"inspector-{self.name}", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        # Thread.start() returns once this thread has begun, and the starting thread (the UI thread) then needs
        # the GIL back: work that ran on at once would keep it for a whole switch interval (5 ms) before the
        # UI thread went on. Handing it back first makes a start cost a fraction of a millisecond.
        time.sleep(0)
        try:
            value: object = self._work(self)
        except BaseException as exc:
            _emit(self._state, self, "failed", exc)
        else:
            _emit(self._state, self, "done", value)
        finally:
            self._work = _finished  # drop what the work closed over (bodies, exchanges) as soon as it ends


def _finished(_job: Job[Any]) -> Any:
    raise RuntimeError("This job already ran.")


@dataclass
class _Slot:
    """One slot's jobs: its generation, the job running, the one waiting to start after it."""

    generation: int = 0
    running: Job[Any] | None = None  # the newest started job of this slot whose end was not delivered yet
    waiting: Job[Any] | None = None  # queue=True: starts when `running` ends


@dataclass(eq=False)
class _State:
    """A runner's bookkeeping, kept apart from the QObject so it stays usable while the owner is destroyed."""

    name: str
    stop_wait_s: float
    slots: dict[str, _Slot] = field(default_factory=dict)
    jobs: list[Job[Any]] = field(default_factory=list)  # every started job whose thread may still run
    closed: bool = False
    last_generation: int = 0  # generations are drawn from one count: none is used twice in a runner

    def slot(self, name: str) -> _Slot:
        return self.slots.setdefault(name, _Slot())

    def next_generation(self) -> int:
        self.last_generation += 1
        return self.last_generation

    def alive(self) -> list[Job[Any]]:
        self.jobs = [j for j in self.jobs if j.is_alive() or not j.ended]
        return [j for j in self.jobs if j.is_alive()]

    def cancel_all(self) -> None:
        for slot in self.slots.values():
            slot.generation = self.next_generation()
            slot.waiting = None
        for job in self.jobs:
            job.cancel.set()

    def join(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        for job in list(self.jobs):
            job.join(max(0.0, deadline - time.monotonic()))
        left = self.alive()
        if left:
            log.warning("%d job(s) of %s still running after %.1f s: %s", len(left), self.name, timeout_s,
                        left)
        return not left

    def stop(self, timeout_s: float | None = None) -> bool:
        self.cancel_all()
        return self.join(self.stop_wait_s if timeout_s is None else timeout_s)

    def close(self) -> None:
        """Nothing is delivered any more and no job starts; what runs is cancelled, not waited for: the state
        stays known to stop_all() until its threads have ended."""
        self.closed = True
        self.cancel_all()
        for job in self.jobs:  # never delivered now: what they would call (the owner, and what it holds) goes
            job._on_done = job._on_failed = job._on_progress = None

    def deliver(self, job: Job[Any], outcome: Outcome, value: object) -> None:
        """On the UI thread: apply the one stale rule, then hand the value to the job's callback."""
        slot = self.slots.get(job.slot)
        current = (not self.closed and slot is not None and job.generation == slot.generation
                   and not job.cancel.is_set())
        if outcome == "progress":
            if current and job._on_progress is not None:
                job._on_progress(value)
            return
        job.ended = True
        if slot is not None and slot.running is job:
            slot.running = None
            waiting, slot.waiting = slot.waiting, None
            if waiting is not None and not self.closed and waiting.generation == slot.generation:
                slot.running = waiting
                self.jobs.append(waiting)
                waiting._start()
        if not current:
            return  # superseded, cancelled, or the owner is gone: dropped
        if outcome == "done" and job._on_done is not None:
            job._on_done(value)
        elif outcome == "failed":
            assert isinstance(value, BaseException)
            if job._on_failed is not None:
                job._on_failed(value)
            else:  # nobody asked: an unexpected error, shown by the app's excepthook rather than lost
                sys.excepthook(type(value), value, value.__traceback__)


class _Relay(QObject):
    """Carries every job's outcome from its thread to the UI thread (a queued signal to a slot of a QObject
    that lives on the UI thread). One for the process, never deleted while jobs may still emit into it."""

    carried = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.carried.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _deliver(self, item: tuple[_State, Job[Any], Outcome, object]) -> None:
        state, job, outcome, value = item
        state.deliver(job, outcome, value)


_PAUSES = 0  # collector_paused() blocks open now
_PAUSES_LOCK = threading.Lock()
_WAS_ENABLED = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """For a job that makes a large structure of objects that stay (a HAR file's exchanges): Python's cyclic
    collector runs on whichever thread allocates, and walks every object it tracks in one call, holding the
    interpreter: reading a HAR file of 30 MB set it walking hundreds of thousands of objects again and again,
    up to 0.46 s a pass, and the window waited. It is paused meanwhile; at the end what exists is set aside
    from later passes (gc.freeze: an object is still freed when nothing refers to it, only never walked for
    cycles), else the first pass after it would walk all of it at once."""
    global _PAUSES, _WAS_ENABLED
    with _PAUSES_LOCK:
        if _PAUSES == 0:
            _WAS_ENABLED = gc.isenabled()
            gc.disable()
        _PAUSES += 1
    try:
        yield
    finally:
        with _PAUSES_LOCK:
            _PAUSES -= 1
            if _PAUSES == 0 and _WAS_ENABLED:
                gc.freeze()
                gc.enable()


def import_modules(names: Iterable[str]) -> None:
    """Import modules (a job's work): the UI thread later finds them in sys.modules instead of importing them
    itself. Only modules whose import makes no QObject, pixmap or font (classes and constants) belong here."""
    import importlib

    for name in names:
        importlib.import_module(name)


_RELAY: _Relay | None = None
_STATES: set[_State] = set()


def _relay() -> _Relay:
    global _RELAY
    if _RELAY is None:
        app = QCoreApplication.instance()
        if app is not None and threading.current_thread() is not threading.main_thread():
            raise RuntimeError("The job relay must be created on the UI thread: build JobRunners there.")
        _RELAY = _Relay()
    return _RELAY


def _emit(state: _State, job: Job[Any], outcome: Outcome, value: object) -> None:
    relay = _RELAY
    if relay is None:
        return
    try:
        relay.carried.emit((state, job, outcome, value))
    except RuntimeError:  # the application is gone (interpreter exit): nobody is left to tell
        pass


class JobRunner(QObject):
    """Runs jobs in named slots off the UI thread; a newer job in a slot supersedes the older one."""

    def __init__(self, parent: QObject | None = None, *, name: str = "",
                 stop_wait_s: float = STOP_WAIT_S) -> None:
        super().__init__(parent)
        _relay()
        _forget_ended()
        owner = name or (type(parent).__name__ if parent is not None else "jobs")
        self._state = _State(owner, stop_wait_s)
        _STATES.add(self._state)
        # When Qt deletes this runner (its owner went away), close: a plain function over the Python-side
        # state, because a bound method of a QObject being destroyed can no longer be called.
        self.destroyed.connect(_closer(self._state))

    # -- starting --------------------------------------------------------------------------------------------
    def start(
        self,
        slot: str,
        work: Callable[[Job[T]], T],
        *,
        on_done: Callable[[T], object] | None = None,
        on_failed: Callable[[BaseException], object] | None = None,
        on_progress: Callable[[Any], object] | None = None,
        cancel: threading.Event | None = None,
        generation: int | None = None,
        queue: bool = False,
        name: str | None = None,
    ) -> Job[T]:
        """Run work(job) off the UI thread as the newest job of slot.

        The job running in that slot is superseded: cancelled and its result dropped. With queue=True it is
        not cancelled: its result is still dropped, and this job starts when it ends (only the newest waiting
        job is kept), for work that cannot stop early and should not pile up (reading folders over a keyring).
        generation: start as this generation of the slot (one cancel() returned) instead of a new one.
        cancel: an event the work already watches, used as the job's cancel event.
        name: the job's name (its thread is inspector-NAME) when it is not the slot's, e.g. one "send" slot
        per tab ("send:3") whose threads are all called inspector-send.
        """
        state = self._state
        if state.closed:
            raise RuntimeError(f"The job runner of {state.name} is stopped: no new job can start.")
        s = state.slot(slot)
        if generation is None:
            if not (queue and s.running is not None):
                self._supersede(s)
            else:
                s.generation = state.next_generation()
            generation = s.generation
        elif generation != s.generation:
            raise ValueError(f"Generation {generation} of slot '{slot}' is outdated (now {s.generation}).")
        job: Job[T] = Job(state, slot, generation, name or slot, work, cancel, on_done, on_failed,
                          on_progress)
        if queue and s.running is not None:
            s.waiting = job
            return job
        s.running = job
        state.alive()  # forget the jobs that ended: a window sends thousands of times in a day
        state.jobs.append(job)
        job._start()
        return job

    def start_in_helper(self, slot: str, call: Callable[[], T], **kwargs: Any) -> Job[T]:
        """start() for work that is one long call into C (json's parser, regex passes over megabytes), which
        holds the interpreter, and so the window, on a thread too: `call` (a function of inspector.core with
        its arguments bound by functools.partial, so that it pickles) runs in the helper process
        (inspector/core/offload.py); cancelling the job stops it there."""
        from inspector.core.offload import HELPER

        return self.start(slot, lambda job: HELPER.call(call, cancel=job.cancel), **kwargs)

    def _supersede(self, s: _Slot) -> None:
        s.generation = self._state.next_generation()
        s.waiting = None
        if s.running is not None:
            s.running.cancel.set()

    def cancel(self, slot: str) -> int:
        """Cancel the slot's job (a late result is dropped); the slot's new generation."""
        s = self._state.slot(slot)
        self._supersede(s)
        return s.generation

    def forget(self, slot: str) -> None:
        """cancel(slot), and the slot goes too: a closed tab's slots would otherwise stay as long as the
        window. No generation is used twice in a runner, so a late result of the forgotten slot never passes
        for one of a slot of the same name started later."""
        s = self._state.slots.pop(slot, None)
        if s is not None:
            self._supersede(s)

    # -- asking ----------------------------------------------------------------------------------------------
    def generation(self, slot: str) -> int:
        return self._state.slot(slot).generation

    def is_current(self, slot: str, generation: int) -> bool:
        """Whether something produced for this generation of slot should still be shown (the stale rule)."""
        return not self._state.closed and generation == self._state.slot(slot).generation

    def current(self, slot: str) -> Job[Any] | None:
        """The job whose result the slot is waiting for: started, not superseded, not delivered yet."""
        s = self._state.slots.get(slot)
        if s is None:
            return None
        for job in (s.waiting, s.running):
            if job is not None and job.generation == s.generation and not job.cancel.is_set():
                return job
        return None

    def busy(self, slot: str) -> bool:
        """Whether a job of this slot started (or waits to) and its end was not delivered yet."""
        s = self._state.slots.get(slot)
        return s is not None and (s.running is not None or s.waiting is not None)

    def alive(self) -> list[Job[Any]]:
        """Every job of this runner whose thread still runs."""
        return self._state.alive()

    def __len__(self) -> int:
        return len(self._state.alive())

    # -- stopping --------------------------------------------------------------------------------------------
    def stop(self, timeout_s: float | None = None) -> bool:
        """Cancel every job (their results are dropped) and wait for their threads; True when all ended."""
        return self._state.stop(timeout_s)

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for every thread without cancelling; True when all ended."""
        return self._state.join(self._state.stop_wait_s if timeout_s is None else timeout_s)

    def close(self) -> None:
        """Cancel every job (their results are dropped) without waiting for their threads, and no job starts
        afterwards: for a tab or dialog that closes while the window goes on. A thread still running ends on
        its own; stop_all() joins it when the app quits."""
        self._state.close()


def _closer(state: _State) -> Callable[..., None]:
    def close(*_args: object) -> None:
        state.close()

    return close


def stop_all(timeout_s: float = STOP_WAIT_S) -> bool:
    """Cancel and join every job of every runner in the process, closed runners' included (bounded); True
    when every thread ended."""
    states = list(_STATES)
    for state in states:
        state.closed = True
        state.cancel_all()
    deadline = time.monotonic() + timeout_s
    ended = all([state.join(max(0.0, deadline - time.monotonic())) for state in states])
    _STATES.difference_update(states)
    return ended


def join_closed(runners: Iterable[JobRunner], timeout_s: float = STOP_WAIT_S) -> bool:
    """Wait for the threads of runners already closed (or cancelled), sharing one bounded wait: the window
    closing waits for its tabs' jobs even where no exit hook runs (a script, an embedding)."""
    deadline = time.monotonic() + timeout_s
    return all([runner.join(max(0.0, deadline - time.monotonic())) for runner in runners])


def _forget_ended() -> None:
    """Closed runners whose threads have all ended need no joining any more (a tab closed hours ago)."""
    for state in [s for s in _STATES if s.closed and not s.alive()]:
        _STATES.discard(state)


_HOOKED = False
_HOOKED_APP: QCoreApplication | None = None


def install_exit_hooks(app: QCoreApplication) -> None:
    """Stop every job when the application is about to quit and again at interpreter exit (once each: a
    second call for the same application adds nothing)."""
    global _HOOKED, _HOOKED_APP
    if app is not _HOOKED_APP:
        _HOOKED_APP = app
        app.aboutToQuit.connect(_stop_all_now)
    if not _HOOKED:
        _HOOKED = True
        atexit.register(_stop_all_now)


def _stop_all_now() -> None:
    stop_all()
    offload = sys.modules.get("inspector.core.offload")  # its helper process, if one was started
    if offload is not None:
        offload.HELPER.close()
