"""A helper process for work that holds the interpreter in long C calls.

A thread does not keep the window answering when its work is one long call into C: json's parser reading
megabytes, or a regular expression's pass over a megabyte, hold the interpreter (the GIL) for all of it, some
20-90 ms a call. Worse, the window's thread needs the interpreter once per step of a paint or an event, and
waits up to a whole such call each time: a build of a support report around two 4 MB bodies stopped the window
for 200-400 ms at a time although it ran on a worker. The helper is another process, with an interpreter of
its own: the calling thread only waits on a pipe.

    value = HELPER.call(build_report, exchange, diagnosis, options, cancel=job.cancel)

- `fn` is a module-level function of `inspector.core` (it is named, not sent: the helper imports its module,
  never Qt) and its arguments and result pickle (plain values: dataclasses, str, bytes);
- one call at a time; a caller waits for its turn, and gives up when its `cancel` event is set;
- cancelling a call that runs stops the helper (it is started again by the next call): the work ends at once
  instead of running on for nothing;
- the helper starts on first use (0.1-0.3 s) and stays; `close()` stops it (the app calls it at exit; the
  process is a daemon, so it never outlives this one either).

Started with "spawn": a fork of a process running Qt's threads is not safe. A spawned process would run the
starting script again as a module: it is not shown that script (_main_module_hidden), and the app's own
(main.py, inspector/__main__.py) start the app only under `if __name__ == "__main__"` besides. Where a helper
cannot start at all (a sandbox that forbids processes, a helper asked for by a helper), the work runs in the
calling thread, as it would without a helper.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from inspector.core.errors import InspectorError

T = TypeVar("T")

POLL_S = 0.05  # how often a waiting caller looks at its cancel event


class Cancelled(InspectorError):
    """The call was cancelled before it ended (its result, if any, is dropped)."""


class HelperFailed(InspectorError):
    """The helper process ended while it worked (it ran out of memory, was killed): the call has no result."""


READY = "ready"


def _serve(conn: Any) -> None:
    """The helper's loop: "ready" once, then (fn, args, kwargs) in, ("ok", value) or ("error", exception)
    out."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the app's terminal is the app's to handle
    conn.send(READY)
    while True:
        try:
            fn, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        except Exception as exc:  # the call could not be read (a class this process cannot import)
            conn.send(("error", RuntimeError(f"The helper could not read the call: {type(exc).__name__}: {exc}")))
            continue
        try:
            reply: tuple[str, object] = ("ok", fn(*args, **kwargs))
        except Exception as exc:  # the caller raises it
            reply = ("error", _portable(exc))
        try:
            conn.send(reply)
        except Exception as exc:  # a value that does not pickle
            conn.send(("error", RuntimeError(f"The helper's answer could not be sent back: {exc}")))


def _portable(exc: Exception) -> Exception:
    """exc, or a RuntimeError that says the same when exc would not come back whole (an exception whose
    __init__ takes other arguments than it passes on fails to unpickle)."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class Helper:
    """One helper process, started on first use; call() is safe from any thread."""

    def __init__(self) -> None:
        self._turn = threading.Lock()  # one call at a time
        self._state = threading.Lock()  # guards the process and pipe
        self._process: Any = None
        self._conn: Any = None
        self.started = 0  # how many processes were started (a cancelled call stops one)
        self.unavailable: str | None = None  # why no helper can start here: the work runs in the caller

    def call(self, fn: Callable[..., T], /, *args: Any, cancel: threading.Event | None = None,
             **kwargs: Any) -> T:
        """fn(*args, **kwargs) in the helper; its exception is raised here. Cancelled when `cancel` is set
        first (waiting for the turn or the answer), HelperFailed when the helper ended meanwhile."""
        while not self._turn.acquire(timeout=POLL_S):
            if cancel is not None and cancel.is_set():
                raise Cancelled("Cancelled before it started.")
        try:
            if cancel is not None and cancel.is_set():
                raise Cancelled("Cancelled before it started.")
            started = self._ensure(cancel)
            if started is None:
                return fn(*args, **kwargs)
            conn, process = started
            try:
                conn.send((fn, args, kwargs))
                while not conn.poll(POLL_S):
                    if cancel is not None and cancel.is_set():
                        self.close()  # the work stops with the process
                        raise Cancelled("Cancelled while it ran.")
                    if not process.is_alive():
                        break
                status, value = conn.recv()
            except (EOFError, OSError) as exc:
                process.join(1.0)  # its own exit code, not the one stopping it would give
                code = process.exitcode
                self.close()
                raise HelperFailed(f"The helper process ended while it worked (exit code {code}): "
                                   f"{type(exc).__name__}") from None
            if status == "error":
                assert isinstance(value, BaseException)
                raise value
            return value  # type: ignore[no-any-return]
        finally:
            self._turn.release()

    def _ensure(self, cancel: threading.Event | None) -> tuple[Any, Any] | None:
        """The running helper's pipe and process, started if need be; None when none can start here."""
        with self._state:
            if self.unavailable is not None:
                return None
            if self._process is not None and self._process.is_alive():
                return self._conn, self._process
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs,), name="inspector-helper", daemon=True)
            try:
                with _main_module_hidden():
                    process.start()
            except (OSError, RuntimeError, AssertionError) as exc:
                # RuntimeError: asked for while the starting script is itself a helper starting; AssertionError:
                # asked for by a helper (a daemon process may not have children)
                self.unavailable = f"no process can start: {exc}"
                return None
            finally:
                theirs.close()
            self._process, self._conn = process, ours
            self.started += 1
        try:
            while not ours.poll(POLL_S):  # its interpreter starting: some 50 ms
                if cancel is not None and cancel.is_set():
                    self.close()
                    raise Cancelled("Cancelled before it started.")
                if not process.is_alive():
                    break
            ready = ours.recv()
        except (EOFError, OSError):
            ready = None
        if ready != READY:
            with self._state:
                stopped = self._process is not process  # close() from another thread: not this process's fault
            if stopped:
                raise HelperFailed("The helper process was stopped as it started.")
            process.join(1.0)
            self.close()
            with self._state:
                self.unavailable = f"the helper process ended as it started (exit code {process.exitcode})"
            return None
        return ours, process

    def is_running(self) -> bool:
        with self._state:
            return self._process is not None and self._process.is_alive()

    def close(self, timeout_s: float = 1.0) -> None:
        """Stop the helper (the next call starts another)."""
        with self._state:
            process, conn, self._process, self._conn = self._process, self._conn, None, None
        if conn is not None:
            conn.close()
        if process is not None:
            if process.is_alive():
                process.terminate()
            process.join(timeout_s)
            if process.is_alive():
                process.kill()
                process.join(timeout_s)


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """While the helper is spawned: a spawned process runs the starting script again (as __mp_main__) when
    it was started by path, so that pickled objects of that script can be found. The helper needs none of it,
    and a launcher without `if __name__ == "__main__"` would open a second window there: it is shown an empty
    main module instead. The whole process sees it, for the half millisecond the start takes: nothing of the
    app looks up __main__ (no pickled value is of a class of the starting script)."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main
        else:
            del sys.modules["__main__"]


HELPER = Helper()
