"""The one UI-thread stall meter the benchmarks share: the worst gap between ticks of a 10 ms QTimer."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer


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
