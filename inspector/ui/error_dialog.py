"""Unexpected errors: logged (masked) and shown in a dialog that does not block the window, never lost.

Embedding API:

    hook = ExceptionHook(parent=None, *, mask=None, log_path=None, dialog_parent=None)
        mask(text) -> str       what may be shown and logged (the window's ViewState.mask); default
                                core.redact.mask_text
        log_path                the log file, named in the dialog so a user can send it
    hook.install() / hook.uninstall()   sys.excepthook and threading.excepthook while installed (the previous
                                        hooks are restored by uninstall)
    hook.set_mask(mask);  hook.dialog() -> ErrorDialog | None
    hook.replay(exc_type, exc, tb)      an error an early hook (inspector.ui.gui.EarlyErrors) caught before
                                        this one was installed: logged and shown, not printed again
    Signal hook.shown(ErrorDialog)     the dialog was shown (or an error was added to it)

An error in a Qt slot, a virtual method or a worker thread goes to sys.excepthook / threading.excepthook: the
hook logs it with its traceback under "inspector.crash" (the log file's filter masks it again) and shows it in
one ErrorDialog: a line for each error, the masked details and a "Copy details" button.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.redact import mask_text
from inspector.ui.excepthooks import ExceptHooks
from inspector.ui.view_state import plain_label

__all__ = ["ErrorDialog", "ExceptionHook"]

log = logging.getLogger("inspector.crash")
MAX_KEPT = 20  # errors kept in the dialog: a slot failing on every event must not grow it without end


class ErrorDialog(QDialog):
    """What went wrong, the details to copy, and where the log file is. Non-modal: the window stays usable."""

    def __init__(self, parent: QWidget | None = None, *, log_path: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle("Request Inspector: unexpected error")
        self.setModal(False)
        self._errors: list[tuple[str, str]] = []
        self._repeats = 0
        self.summary = plain_label(name="errorSummary", wrap=True, selectable=True)
        where = (f"It was written to the log file {log_path}; send that file, or the details below, to "
                 "whoever supports you." if log_path else "Copy the details below for whoever supports you.")
        self.hint = plain_label(f"Something went wrong inside the app. {where}", name="errorHint", wrap=True,
                                selectable=True)
        self.details = QPlainTextEdit()
        self.details.setObjectName("errorDetails")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setObjectName("errorCopy")
        self.copy_button.clicked.connect(self.copy_details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.hint)
        lay.addWidget(self.details, 1)
        lay.addWidget(buttons)
        self.resize(720, 420)

    def add_error(self, summary: str, details: str) -> None:
        """One more error (masked already); the newest is named at the top, every one is in the details."""
        if self._errors and self._errors[-1] == (summary, details):
            self._repeats += 1
        else:
            self._errors = [*self._errors, (summary, details)][-MAX_KEPT:]
        more = f" (and {len(self._errors) - 1} earlier)" if len(self._errors) > 1 else ""
        again = f" It happened {self._repeats + 1} times." if self._repeats else ""
        self.summary.setText(f"An unexpected error: {summary}{more}.{again}")
        self.details.setPlainText("\n\n".join(d for _, d in self._errors))

    def details_text(self) -> str:
        return self.details.toPlainText()

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())


class ExceptionHook(QObject, ExceptHooks):
    """sys.excepthook and threading.excepthook while installed; see the module text."""

    shown = Signal(object)  # ErrorDialog
    _caught = Signal(str, str)  # summary, details: queued to the UI thread whatever thread failed

    def __init__(self, parent: QObject | None = None, *, mask: Callable[[str], str] | None = None,
                 log_path: Path | None = None, dialog_parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mask = mask or mask_text
        self._log_path = log_path
        self._dialog_parent = dialog_parent
        self._dialog: ErrorDialog | None = None
        self._caught.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def set_mask(self, mask: Callable[[str], str]) -> None:
        self._mask = mask

    def dialog(self) -> ErrorDialog | None:
        return self._dialog

    def handle(self, exc_type: type[BaseException], exc: BaseException,
               tb: TracebackType | None) -> None:
        """Log and show one unexpected error (Ctrl+C in a terminal still ends the app)."""
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            (self._previous or sys.__excepthook__)(exc_type, exc, tb)
            return
        self._report(exc_type, exc, tb, echo=True)

    def replay(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Log and show an error caught before this hook was installed (the early hook already printed it to
        stderr: it is not printed again)."""
        self._report(exc_type, exc, tb, echo=False)

    def _report(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None, *,
                echo: bool) -> None:
        try:
            log.error("Unexpected error", exc_info=(exc_type, exc, tb))
            summary = self._mask(f"{exc_type.__name__}: {exc}")
            details = self._mask("".join(traceback.format_exception(exc_type, exc, tb)))
        except Exception:
            sys.__excepthook__(exc_type, exc, tb)
            return
        if echo:  # the interpreter's own report goes to stderr too (a terminal, a test run), masked as well
            print(details, file=sys.stderr, end="" if details.endswith("\n") else "\n")
        self._caught.emit(summary, details)

    def _forget_dialog(self, *_: object) -> None:
        self._dialog = None

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, summary: str, details: str) -> None:
        if self._dialog is None:
            self._dialog = ErrorDialog(self._dialog_parent, log_path=self._log_path)
            self._dialog.destroyed.connect(self._forget_dialog)  # with its parent window
        self._dialog.add_error(summary, details)
        self._dialog.show()
        self._dialog.raise_()
        self.shown.emit(self._dialog)
