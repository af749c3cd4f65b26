"""What the benchmarks share on the UI thread: the stall meter (the worst gap between ticks of a 10 ms QTimer)
and waiting for a condition while the event loop runs."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication


def wait_until(done: Callable[[], bool], timeout_s: float = 90.0, *, slice_ms: int = 5,
               nap_s: float = 0.001) -> bool:
    """Run the event loop (slices of slice_ms, a nap between) until done() holds; False after timeout_s."""
    deadline = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > deadline:
            return False
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, slice_ms)
        time.sleep(nap_s)
    return True


class StallMeter:
    """The worst gap between ticks of a 10 ms timer: how long the UI thread was busy at a stretch."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.worst = 0.0

    def start(self) -> None:
        self.last = time.perf_counter()
        self.worst = 0.0
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def stop(self) -> float:
        """Stop; the worst gap in ms (the time since the last tick counts too)."""
        self._tick()
        self.timer.stop()
        return self.worst * 1000.0
