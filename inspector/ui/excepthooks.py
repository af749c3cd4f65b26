"""Installing a pair of hooks (sys.excepthook, threading.excepthook) and putting the previous ones back.

Shared by the light hook of the first paint (ui/gui.EarlyErrors) and the real one (ui/error_dialog.ExceptionHook);
light on purpose: nothing here imports Qt.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any


class ExceptHooks:
    """A mixin: `install()` makes `handle` and `_handle_thread` the process's excepthooks, `uninstall()` puts
    back what was there, unless someone replaced them since."""

    _previous: Any = None
    _previous_thread: Any = None
    _installed = False

    def handle(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        raise NotImplementedError

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        raise NotImplementedError

    def install(self) -> None:
        if self._installed:
            return
        self._previous, sys.excepthook = sys.excepthook, self.handle
        self._previous_thread, threading.excepthook = threading.excepthook, self._handle_thread
        self._installed = True

    def uninstall(self) -> None:
        if not self._installed:
            return
        if sys.excepthook == self.handle:
            sys.excepthook = self._previous
        if threading.excepthook == self._handle_thread:
            threading.excepthook = self._previous_thread
        self._installed = False
