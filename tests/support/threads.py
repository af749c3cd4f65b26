"""Thread hygiene: what a test started must be gone when it ends (Python threads, QThreads, Qt pool jobs).

A worker still running when the interpreter exits aborts the whole run ("QThread: Destroyed while thread is
still running"), far from the test that started it. `ThreadWatch` takes a snapshot before a test and, after
it, names the threads that are new and still running once a short grace has passed, so the test that leaked
one fails by name. Three ways to see them:

- Python threads, through `threading`;
- any thread Python did not start (a QThread, a QThreadPool thread) while it runs Python code (a worker's
  run(), a QRunnable), through `sys._current_frames()`: this works on every platform;
- on Linux, a QThread with no Python frame (its event loop still running) as an OS thread in /proc/self/task.
  Idle pool threads ("Thread (pooled)") are not counted there: Qt keeps its own (image conversion, ...) for
  30 s, and one that runs our code is seen by the frames check.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

GRACE_S = 5.0  # a worker told to stop may need a moment; a leak is only what is still there after this
_TASKS = Path("/proc/self/task")

Ignore = Callable[[threading.Thread], bool]


def _native_threads() -> dict[int, str]:
    """OS thread id -> name for every thread of this process (empty where /proc is not there)."""
    out: dict[int, str] = {}
    try:
        entries = list(_TASKS.iterdir())
    except OSError:
        return out
    for entry in entries:
        try:
            out[int(entry.name)] = (entry / "comm").read_text(encoding="utf-8", errors="replace").strip()
        except (OSError, ValueError):
            continue  # it ended while we looked
    return out


def _python_threads() -> list[threading.Thread]:
    # A _DummyThread stands for a thread Python did not start (a Qt thread that ran a slot): it claims to be
    # alive forever on 3.11, so those are judged by their frames instead.
    return [t for t in threading.enumerate() if not isinstance(t, threading._DummyThread)]


def _foreign_frames() -> dict[int, str]:
    """Thread ident -> where it is, for threads Python did not start that are running Python code now."""
    own = {t.ident for t in _python_threads()}
    out = {}
    for ident, frame in sys._current_frames().items():
        if ident not in own:
            outer = frame
            while outer.f_back is not None:
                outer = outer.f_back
            out[ident] = f"{_where(outer)}, now in {_where(frame)}"  # what was started, and where it waits
    return out


def _where(frame: FrameType) -> str:
    return f"{frame.f_code.co_name}() at {frame.f_code.co_filename}:{frame.f_lineno}"


POOLED = "Thread (pooled)"  # the OS name of every QThreadPool thread


@dataclass
class ThreadWatch:
    """Threads alive before a test; `leaks()` after it names those the test left behind."""

    python: set[threading.Thread]
    foreign: set[int]
    native: set[int]

    @classmethod
    def start(cls) -> ThreadWatch:
        return cls(set(_python_threads()), set(_foreign_frames()), set(_native_threads()))

    def leaks(self, ignore: Ignore = lambda _t: False, grace_s: float = GRACE_S) -> list[str]:
        """Descriptions of the threads started since `start()` that are still running after the grace."""
        deadline = time.monotonic() + grace_s
        new = [t for t in _python_threads() if t not in self.python and not ignore(t)]
        for thread in new:
            thread.join(max(0.0, deadline - time.monotonic()))
        left = [t for t in new if t.is_alive()]
        known = {t.native_id for t in threading.enumerate()}
        # a joined thread's OS thread may take a moment more to go: never judge those at once
        deadline = max(deadline, time.monotonic() + 0.5)
        while True:
            foreign = {i: w for i, w in _foreign_frames().items() if i not in self.foreign}
            native = {tid: name for tid, name in _native_threads().items()
                      if tid not in self.native and tid not in known and name != POOLED}
            if not (foreign or native) or time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        out = [f"Python thread {t.name!r} (daemon={t.daemon})" for t in left]
        out += [f"a Qt thread running Python: {where}" for where in foreign.values()]
        out += [f"Qt/native thread {name!r} (tid {tid})" for tid, name in sorted(native.items())]
        return out


def serving_port(thread: threading.Thread) -> int | None:
    """The port of the server a thread works for (its serve_forever or one of its requests), if any."""
    target = getattr(thread, "_target", None)  # threading keeps it until the thread ends
    address = getattr(getattr(target, "__self__", None), "server_address", None)
    return address[1] if isinstance(address, tuple) and len(address) >= 2 else None


def is_pytest_timeout(thread: threading.Thread) -> bool:
    """pytest-timeout's per-test timer (timeout_method = thread): cancelled, not joined, at the test's end."""
    return thread.name.startswith("pytest_timeout ")


__all__ = ["GRACE_S", "ThreadWatch", "is_pytest_timeout", "serving_port"]
