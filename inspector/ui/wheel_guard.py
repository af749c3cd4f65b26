"""Spin boxes and combo boxes that the mouse wheel changes only when they have the focus.

Scrolling a pane with the wheel must never change a value the pointer happens to pass over (the explainer's
Leeway box went from 60 to 28 s, and re-explained, while the user scrolled the panel). A guarded widget takes
the focus only by click or Tab (Qt.StrongFocus), and a wheel event reaching it unfocused is left unaccepted,
so Qt hands it on to the parent: the scroll area scrolls instead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

__all__ = ["guard_wheel"]


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            # filtered but not accepted: QApplication passes a wheel event like this on to the parent
            event.ignore()
            return True
        return False


def guard_wheel(*widgets: QWidget) -> None:
    """Let the wheel change these widgets only while they have the focus (see the module text)."""
    for widget in widgets:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(_WheelGuard(widget))  # the filter lives and dies with its widget
