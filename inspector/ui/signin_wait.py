"""The waiting state of a send whose profile needs a person: a browser sign-in or a device code.

The sign-in runs inside the send, off the UI thread (core/profiles/oauth.py). It reports what a person must
do through `SignInHooks.on_progress` (the same seam the CLI prints to stderr); `SignInSend` turns that into
the job's progress, which reaches the UI thread as a queued signal with the job's stale rule (ui/jobs.py),
and shows it in a `SignInWait` panel: the authorization URL (selectable, Copy, Open again) or the device's
user_code and verification URI, the time left until the flow stops waiting, and Cancel.

Cancel ends the sign-in without dropping the send: the send's cancel event is its own (`stop`), so the
transport ends the exchange as `cancelled` and that exchange is shown; the job's cancel event (Esc, a newer
send, closing the tab) sets it too, and then the late result is dropped as for any send.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inspector.core.profiles.flows import Opener, SignInHooks, SignInProgress, system_browser
from inspector.core.redact import mask_url
from inspector.ui.jobs import JobRunner
from inspector.ui.theme import label_color_style, monospace_font
from inspector.ui.view_state import ViewState, plain_label

__all__ = ["SignInSend", "SignInWait", "format_left"]

TICK_MS = 500


def format_left(seconds: float) -> str:
    """Time left as m:ss ("1:58 left"); "time is up" at zero."""
    whole = max(0, int(seconds + 0.999))
    if whole == 0:
        return "time is up"
    return f"{whole // 60}:{whole % 60:02d} left"


class _CancelBoth(threading.Event):
    """The job's cancel event: setting it (Esc, a newer send, shutdown) also stops the sign-in and the send,
    whose own event the sign-in's Cancel sets alone."""

    def __init__(self, also: threading.Event) -> None:
        super().__init__()
        self._also = also

    def set(self) -> None:
        super().set()
        self._also.set()


class SignInWait(QFrame):
    """The panel a person sees while a sign-in waits for them; see the module text."""

    cancel_requested = Signal()

    def __init__(self, view: ViewState, parent: QWidget | None = None, *,
                 opener: Opener = system_browser) -> None:
        super().__init__(parent)
        self.setObjectName("signInWait")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.view_state = view
        self.opener = opener
        self.jobs = JobRunner(self, name="SignInWait")  # "Open again": the browser command never blocks us
        self.progress: SignInProgress | None = None
        self._deadline: float | None = None  # time.monotonic() when the flow stops waiting
        self._url = ""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(8)
        self.title = plain_label("", self, name="signInTitle", wrap=True)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.message = plain_label("", self, name="signInMessage", wrap=True)
        layout.addWidget(self.title)
        layout.addWidget(self.message)

        # the URL: selectable and copyable (a read-only field), opened again on request
        self.url_field = QLineEdit(self)
        self.url_field.setObjectName("signInUrl")
        self.url_field.setReadOnly(True)
        self.url_field.setFont(monospace_font())
        self.url_field.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.copy_url = QPushButton("Copy", self)
        self.copy_url.setObjectName("signInCopyUrl")
        self.copy_url.setToolTip("Copy the whole address")
        self.copy_url.clicked.connect(lambda: self._copy(self._url))
        self.open_button = QPushButton("Open again", self)
        self.open_button.setObjectName("signInOpen")
        self.open_button.clicked.connect(self.open_again)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url_field, 1)
        url_row.addWidget(self.copy_url)
        url_row.addWidget(self.open_button)
        layout.addLayout(url_row)

        # the device's code, large enough to read across a room
        self.code = plain_label("", self, name="signInUserCode", selectable=True)
        code_font = monospace_font()
        code_font.setPointSizeF(max(code_font.pointSizeF(), 10.0) * 2.4)
        code_font.setBold(True)
        code_font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 115)
        self.code.setFont(code_font)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.copy_code = QPushButton("Copy code", self)
        self.copy_code.setObjectName("signInCopyCode")
        self.copy_code.clicked.connect(lambda: self._copy(self.progress.user_code if self.progress else ""))
        code_row = QHBoxLayout()
        code_row.addStretch(1)
        code_row.addWidget(self.code)
        code_row.addSpacing(12)
        code_row.addWidget(self.copy_code)
        code_row.addStretch(1)
        layout.addLayout(code_row)

        bottom = QHBoxLayout()
        self.left_label = plain_label("", self, name="signInTimeLeft")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("signInCancel")
        self.cancel_button.setToolTip("Stop waiting for the sign-in: the send ends as cancelled")
        self.cancel_button.clicked.connect(self._on_cancel)
        bottom.addWidget(self.left_label)
        bottom.addStretch(1)
        bottom.addWidget(self.cancel_button)
        layout.addLayout(bottom)
        layout.addStretch(1)

        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        view.safe_changed.connect(self._show_url)
        view.theme_changed.connect(lambda _t: self._style())
        self._style()

    # -- what is shown ---------------------------------------------------------------------------------------
    def show_progress(self, progress: SignInProgress, timeout_s: float) -> None:
        """Show a waiting step: the browser's URL or the device's code, the time left, Cancel."""
        self.progress = progress
        device = progress.stage == "device"
        profile = progress.profile
        if device:
            self.title.setText("Enter this code on another device")
            self.message.setText(f"To sign in for the profile '{profile}', open the address below (on this or "
                                 "another device) and enter the code. The request is sent once the sign-in "
                                 "is approved.")
        else:
            self.title.setText("Waiting for you to sign in in your browser…")
            self.message.setText(f"Sign in for the profile '{profile}' in the browser window that opened. If "
                                 "none opened, open this address yourself:")
        self.code.setText(progress.user_code or "")
        self.code.setVisible(device and bool(progress.user_code))
        self.copy_code.setVisible(device and bool(progress.user_code))
        self.open_button.setText("Open" if device else "Open again")
        self._url = progress.url or ""
        self._show_url()
        for w in (self.url_field, self.copy_url, self.open_button):
            w.setVisible(bool(self._url))
        left = timeout_s
        if progress.expires_at is not None:
            left = (progress.expires_at - datetime.now(UTC)).total_seconds()
        self._deadline = time.monotonic() + max(0.0, min(left, timeout_s))
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self._tick()
        self._timer.start()

    def _show_url(self, *_args: Any) -> None:
        # the whole address is what a person needs; on a shared screen its state is masked (Copy still
        # copies it whole: the clipboard is not the screen)
        shown = mask_url(self._url, ("state",)) if self.view_state.safe else self._url
        self.url_field.setText(shown)
        self.url_field.setCursorPosition(0)

    def _tick(self) -> None:
        if self._deadline is None:
            self.left_label.clear()
            return
        left = self._deadline - time.monotonic()
        self.left_label.setText(format_left(left))
        if left <= 0:
            self._timer.stop()

    def _style(self) -> None:
        theme = self.view_state.theme
        self.left_label.setStyleSheet(label_color_style(theme.muted_text))
        self.title.setStyleSheet(label_color_style(theme.warn_text, bold=True))

    # -- what a person does ----------------------------------------------------------------------------------
    def _copy(self, text: str) -> None:
        if text:
            QGuiApplication.clipboard().setText(text)

    def open_again(self) -> None:
        """Open the URL in the browser once more, off the UI thread (a console browser may never return)."""
        url, opener = self._url, self.opener
        if url:
            self.jobs.start("browser", lambda _job: opener(url), name="browser")

    def _on_cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.cancel_requested.emit()

    def stop_waiting(self) -> None:
        """The send ended (or was cancelled): no more countdown."""
        self._timer.stop()
        self._deadline = None
        self.progress = None

    def shutdown(self) -> None:
        self.stop_waiting()
        self.jobs.close()


class SignInSend(QObject):
    """One tab's bridge between a send's sign-in and its waiting panel.

        stop, job_cancel = bridge.begin()               # on the UI thread, before the send starts
        hooks = bridge.hooks(cache_hooks, job.report)   # in the job: the send's SignInHooks
        bridge.handle(progress)                         # the job's progress, on the UI thread
        bridge.end()                                    # the send ended
    """

    waiting_changed = Signal(bool)  # the panel is to be shown (True) or hidden
    status = Signal(str)  # a line for the status bar (a login under way, signed in)

    def __init__(self, view: ViewState, parent: QWidget) -> None:
        super().__init__(parent)
        self.view_state = view
        self._parent = parent
        self._panel: SignInWait | None = None
        self._stop: threading.Event | None = None
        self._timeout_s = SignInHooks().timeout_s
        self._opener: Opener = system_browser

    @property
    def panel(self) -> SignInWait:
        if self._panel is None:
            self._panel = SignInWait(self.view_state, self._parent, opener=self._opener)
            self._panel.hide()
            self._panel.cancel_requested.connect(self.cancel)
        return self._panel

    @property
    def waiting(self) -> bool:
        return self._panel is not None and self._panel.progress is not None

    def begin(self, hooks: SignInHooks | None) -> tuple[threading.Event, threading.Event]:
        """A new send: its own cancel event (the sign-in's Cancel) and the job's (which sets both)."""
        base = hooks or SignInHooks()
        self._timeout_s, self._opener = base.timeout_s, base.open_browser
        if self._panel is not None:
            self._panel.opener = base.open_browser
        self._stop = threading.Event()
        return self._stop, _CancelBoth(self._stop)

    @staticmethod
    def hooks(base: SignInHooks | None, report: Any) -> SignInHooks:
        """The send's hooks (called in the job): the window's browser and timeout, progress to the job."""
        return replace(base or SignInHooks(), on_progress=report)

    def handle(self, progress: object) -> bool:
        """Show a sign-in step; False when progress is not one (bytes received)."""
        if not isinstance(progress, SignInProgress):
            return False
        if progress.waiting:
            self.panel.show_progress(progress, self._timeout_s)
            self.waiting_changed.emit(True)
            self.status.emit("Waiting for the sign-in…")
        else:
            if self.waiting:
                self.panel.stop_waiting()
                self.waiting_changed.emit(False)
            self.status.emit(progress.message)
        return True

    def cancel(self) -> None:
        """Stop waiting for the person: the send ends as cancelled, and that exchange is shown."""
        if self._stop is not None:
            self._stop.set()

    def end(self) -> None:
        was = self.waiting
        if self._panel is not None:
            self._panel.stop_waiting()
        self._stop = None
        if was:
            self.waiting_changed.emit(False)

    def shutdown(self) -> None:
        self.end()
        if self._panel is not None:
            self._panel.shutdown()
