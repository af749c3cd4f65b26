"""The helper process: work that holds the interpreter in long C calls runs there (inspector.core.offload)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from inspector.core.offload import Cancelled, Helper, HelperFailed
from inspector.core.redact import text_secret_values

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def helper():  # type: ignore[no-untyped-def]
    h = Helper()
    yield h
    h.close()


def test_a_call_returns_the_functions_value_and_raises_its_exception(helper: Helper) -> None:
    assert helper.call(text_secret_values, "Authorization: Bearer abcdef0123456789SECRET") == [
        "abcdef0123456789SECRET"]
    assert helper.call(os.getpid) != os.getpid()  # another process
    with pytest.raises(json.JSONDecodeError, match="Expecting property name"):
        helper.call(json.loads, "{")
    assert helper.call(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]  # keyword arguments reach it
    assert helper.started == 1 and helper.is_running()  # one process for every call


def test_cancelling_a_call_that_runs_stops_the_helper_and_the_next_call_starts_another(helper: Helper) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(Cancelled):
        helper.call(time.sleep, 30, cancel=cancel)
    assert not helper.is_running()  # the work did not run on for nothing
    assert helper.call(os.getpid) > 0 and helper.started == 2


def test_calls_from_several_threads_run_one_at_a_time(helper: Helper) -> None:
    helper.call(os.getpid)  # started
    spans: list[tuple[float, float]] = []

    def one() -> None:
        spans.append(helper.call(_span, 0.3))

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    spans.sort()
    assert len(spans) == 3
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))  # no overlap


def _span(seconds: float) -> tuple[float, float]:
    start = time.time()
    time.sleep(seconds)
    return start, time.time()


def test_a_caller_waiting_for_its_turn_gives_up_when_cancelled(helper: Helper) -> None:
    helper.call(os.getpid)
    busy = threading.Thread(target=lambda: helper.call(time.sleep, 1.0))
    busy.start()
    time.sleep(0.1)  # (it holds the turn now, or soon: the cancel is set before ours could start either way)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        helper.call(os.getpid, cancel=cancel)
    busy.join(30)
    assert helper.started == 1  # the running call was not disturbed


def test_a_helper_that_dies_while_it_works_is_said_and_replaced(helper: Helper) -> None:
    with pytest.raises(HelperFailed, match=r"ended while it worked \(exit code 9\)"):
        helper.call(os._exit, 9)  # as the system's out-of-memory killer would
    assert helper.call(os.getpid) > 0 and helper.started == 2


def test_what_cannot_cross_is_said_and_the_helper_goes_on(helper: Helper) -> None:
    import types

    from tests.support.offload_calls import raise_needs_two

    with pytest.raises(RuntimeError, match="NeedsTwo: refused at the gate"):  # it would not unpickle here
        helper.call(raise_needs_two)

    class Local:  # no name to find it by: it cannot be sent
        pass

    with pytest.raises(Exception, match="pickle"):
        helper.call(repr, Local())
    ghost = types.ModuleType("ghost_module_of_this_process")  # sent, but the helper cannot import its class
    exec("class Thing:\n    pass", ghost.__dict__)
    ghost.Thing.__module__ = ghost.__name__
    sys.modules[ghost.__name__] = ghost
    try:
        with pytest.raises(RuntimeError, match="could not read the call"):
            helper.call(repr, ghost.Thing())
    finally:
        del sys.modules[ghost.__name__]
    assert helper.call(sum, [1, 2]) == 3 and helper.started == 1  # the same helper all along


def test_a_helper_asking_for_a_helper_runs_the_work_itself(helper: Helper) -> None:
    from tests.support.offload_calls import nested_sum

    assert helper.call(nested_sum) == 106  # run in place in the helper, which has no children


UNGUARDED = """
import os
from inspector.core.offload import HELPER
print("started", os.getpid())
print(HELPER.call(sum, [1, 2, 3]), HELPER.started, HELPER.unavailable)
"""


def test_a_launcher_without_a_main_guard_is_not_run_again_by_the_helper(tmp_path: Path) -> None:
    """A spawned process runs its starter's script again, unless told otherwise: a launcher that starts the
    app at import, without `if __name__ == "__main__"`, would open a second window in the helper."""
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len([line for line in lines if line.startswith("started")]) == 1, lines
    assert lines[-1] == "6 1 None"  # worked out by the helper


def test_where_no_helper_can_start_the_work_runs_in_the_caller(monkeypatch) -> None:
    import multiprocessing.context

    def refuse(process_obj):  # type: ignore[no-untyped-def]
        raise OSError(11, "Resource temporarily unavailable")  # fork() refused: the process limit

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "_Popen", staticmethod(refuse))
    h = Helper()
    assert h.call(sum, [1, 2, 3]) == 6 and h.started == 0
    assert h.unavailable is not None and "Resource temporarily unavailable" in h.unavailable


def test_the_apps_entry_points_start_the_app_only_as_the_main_module() -> None:
    """A spawned helper runs the starting script again as a module: main.py and inspector/__main__.py must not
    start another window then."""
    for path in (ROOT / "main.py", ROOT / "inspector" / "__main__.py"):
        text = path.read_text(encoding="utf-8")
        assert 'if __name__ == "__main__":' in text and text.index("if __name__") < text.index("main()")
