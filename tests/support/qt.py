"""Small Qt helpers for widget tests."""

from __future__ import annotations

from PySide6.QtCore import QTimer


class Ticker:
    """A 10 ms QTimer on the UI thread: it only ticks while the event loop runs, so a worker that blocked the
    UI thread would stop it counting. stop() it when done."""

    def __init__(self) -> None:
        self.ticks = 0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.ticks += 1

    def keeps_ticking(self, qtbot, n: int = 5) -> None:  # type: ignore[no-untyped-def]
        """Wait until it has ticked n more times (5 s at most)."""
        start = self.ticks
        qtbot.waitUntil(lambda: self.ticks >= start + n, timeout=5_000)

    def stop(self) -> None:
        self.timer.stop()


def save_and_wait(qtbot, dialog) -> bool:  # type: ignore[no-untyped-def]
    """The profiles dialog's save(), waited for (it runs on a job, and a Reload after a conflict reads the
    folders again on the model's): True when the profile was saved."""
    saved: list[object] = []
    dialog.profile_saved.connect(saved.append)
    try:
        dialog.save()
        qtbot.waitUntil(lambda: not dialog.saving and not dialog.reading, timeout=10_000)
    finally:
        dialog.profile_saved.disconnect(saved.append)
    return bool(saved)


def close_popup_soon() -> None:
    """Close the popup menu that is about to show (a right-click menu's exec() returns): call it just before."""
    from PySide6.QtWidgets import QApplication

    def close() -> None:
        popup = QApplication.activePopupWidget()
        if popup is not None:
            popup.close()
        else:
            QTimer.singleShot(10, close)

    QTimer.singleShot(0, close)
