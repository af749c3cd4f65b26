"""Copy as curl: a request as a curl command, credentials masked unless the user asks for them after a
warning.

Embedding API:

    dialog = CurlDialog(source, parent=None, *, secrets=NO_SECRETS, ask=None, view=None)
        source     a RequestSpec (the editor's to_spec()), a Hop (as sent), or an Exchange: then a combo
                   offers "as composed" and each hop as it was sent (the final hop is chosen first)
        secrets    the send's Secrets: the profile's resolved secret values (masked wherever they appear)
                   and the header / parameter names it uses for its API key (masked too)
        ask(parent, title, text) -> bool   the warning before credentials are shown; default a QMessageBox
        view       the window's ViewState (screen-share-safe mode, theme); None: the dialog's own
    CurlDialog.for_result(result, parent=None, **kw)   the same for a SendResult (the window's last send)
    dialog.command() -> str              the command as shown now (all of it: a long one shows its start;
                                         "" while one with bodies over MASK_IN_HELPER_BYTES is written in the
                                         helper process: dialog.writing, then Signal built())
    dialog.set_include_credentials(on)   what the checkbox does (asks first when turning on)
    dialog.copy()                        puts the shown command on the clipboard (the Copy button)
    dialog.set_screen_share_safe(on)     masks and disables "Include credentials" while on (sets view's mode)
    Signal copied(str)                   after a copy, with the text copied
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core import redact
from inspector.core.exchange import Exchange, Hop
from inspector.core.export.curl import curl_command
from inspector.core.request import RequestSpec
from inspector.ui.jobs import MASK_IN_HELPER_BYTES, JobRunner
from inspector.ui.theme import label_color_style
from inspector.ui.view_state import ViewState, plain_label, plain_message_box, run_dialog

if TYPE_CHECKING:
    from inspector.core.pipeline import SendResult

__all__ = ["CurlDialog"]

Ask = Callable[[QWidget, str, str], bool]
SHOWN_CHARS = 64 * 1024  # of a longer command (a body of megabytes), the text box shows this much


def _bodies_size(source: RequestSpec | Hop | Exchange) -> int:
    if isinstance(source, Exchange):
        return source.bodies_size
    return len(source.sent_body) if isinstance(source, Hop) else len(source.body.text)


WARNING_TITLE = "Include credentials?"
WARNING_TEXT = (
    "The command will hold your credentials in clear: tokens, passwords, API keys and cookies. Anyone who "
    "sees or receives it can use them to act as you. Paste it only where no one else can read it, and never "
    "into a ticket, chat or screen share.\n\nShow the command with credentials?"
)


def _ask(parent: QWidget, title: str, text: str) -> bool:
    box = plain_message_box(parent, QMessageBox.Icon.Warning, title, text)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return run_dialog(box) == QMessageBox.StandardButton.Yes


class CurlDialog(QDialog):
    """A curl command for a request, masked by default; see the module text."""

    copied = Signal(str)
    built = Signal()  # a command written in the helper process is shown (see writing)

    def __init__(
        self,
        source: RequestSpec | Hop | Exchange,
        parent: QWidget | None = None,
        *,
        secrets: redact.Secrets = redact.NO_SECRETS,
        ask: Ask | None = None,
        view: ViewState | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("curlDialog")
        self.setWindowTitle("Copy as curl")
        self.view_state = view or ViewState(self)
        self._ask = ask or _ask
        self._extra = secrets.names
        self._sources: list[tuple[str, RequestSpec | Hop]] = []
        self._redactor: redact.Redactor | None = None
        # bodies of megabytes: masked in the helper process (it reads every body whole)
        self._later = _bodies_size(source) > MASK_IN_HELPER_BYTES  # (masking them reads them whole)
        self._jobs: JobRunner | None = None
        self._seen: tuple[Exchange, tuple[str, ...]] | None = None  # an exchange whose redactor is still to make
        if isinstance(source, Exchange):
            # what was seen in the exchange is scrubbed by value too (a token echoed in a URL, say): gathered
            # with the first command (curl_command)
            self._seen = (source, tuple(secrets.values))
            self._sources.append(("The request as composed", source.spec))
            for n, hop in enumerate(source.hops, start=1):
                role = "token request" if hop.role == "token" else "as sent"
                self._sources.append((f"Hop {n} ({role}): {hop.method} {redact.mask_url(hop.url)}", hop))
        else:
            self._redactor = secrets.redactor() if secrets.values else None
            label = "The request as composed" if isinstance(source, RequestSpec) else "The request as sent"
            self._sources.append((label, source))

        self.source_combo = QComboBox()
        self.source_combo.setObjectName("curlSource")
        for label, _ in self._sources:
            self.source_combo.addItem(label)
        final = next(
            (i for i in range(len(self._sources) - 1, 0, -1)
             if getattr(self._sources[i][1], "role", "") == "request"),
            0,
        )
        self.source_combo.setCurrentIndex(final)
        self.source_combo.setVisible(len(self._sources) > 1)
        self.source_combo.currentIndexChanged.connect(lambda _i: self._render())

        self._command = ""  # all of it (the text box may show only its start)
        self.text = QPlainTextEdit()
        self.text.setObjectName("curlCommand")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        self.include_box = QCheckBox("Include credentials")
        self.include_box.setObjectName("curlIncludeCredentials")
        self.include_box.toggled.connect(self._include_toggled)
        self.note = plain_label(name="curlNote")
        self.note.setWordWrap(True)

        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("curlCopy")
        self.copy_button.setDefault(True)
        self.copy_button.clicked.connect(self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        options = QHBoxLayout()
        options.addWidget(self.include_box)
        options.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.source_combo)
        lay.addWidget(self.text, 1)
        lay.addLayout(options)
        lay.addWidget(self.note)
        lay.addWidget(buttons)
        self.resize(720, 320)
        self.view_state.follow_safe(self._apply_safe)

    # -- the contract --------------------------------------------------------------------------------------
    def command(self) -> str:
        return self._command

    def include_credentials(self) -> bool:
        return self.include_box.isChecked()

    def set_include_credentials(self, on: bool) -> bool:
        """Show credentials (after the warning) or mask them again; returns whether they are shown now."""
        self.include_box.setChecked(on)
        return self.include_box.isChecked()

    @property
    def writing(self) -> bool:
        """The command is being written in the helper process (a body of megabytes): command() is "" until built()."""
        return self._jobs is not None and self._jobs.busy("write")

    def copy(self) -> None:
        if not self._command:  # still being written in the helper process
            return
        text = self.command()
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)

    def set_screen_share_safe(self, on: bool) -> None:
        """While on, credentials are never shown and the choice to include them is disabled."""
        self.view_state.set_safe(on)

    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    def _apply_safe(self, on: bool) -> None:
        if on and self.include_box.isChecked():
            self._set_box(False)
        self._update_box()
        self._render()

    # -- inside --------------------------------------------------------------------------------------------
    def _set_box(self, on: bool) -> None:
        self.include_box.blockSignals(True)
        self.include_box.setChecked(on)
        self.include_box.blockSignals(False)

    def _include_toggled(self, on: bool) -> None:
        if on and (self.view_state.safe or not self._ask(self, WARNING_TITLE, WARNING_TEXT)):
            self._set_box(False)
        self._render()

    def _update_box(self) -> None:
        safe = self.view_state.safe
        self.include_box.setEnabled(not safe)
        self.include_box.setToolTip(
            "Turned off while screen-share-safe mode is on"
            if safe
            else "Put tokens, passwords, API keys and cookies in the command in clear (asks first)"
        )

    @classmethod
    def for_result(cls, result: SendResult, parent: QWidget | None = None, **kw: Any) -> CurlDialog:
        """The request of one send, each hop as sent, with the secrets that send knows masked."""
        return cls(result.exchange, parent, secrets=result.secrets, **kw)

    def _render(self) -> None:
        _, source = self._sources[max(0, self.source_combo.currentIndex())]
        include = self.include_box.isChecked() and not self.view_state.safe
        extra, redactor, seen = self._extra, self._redactor, self._seen

        write = functools.partial(curl_command, source, include, extra, redactor=redactor, seen=seen)
        if not self._later:
            self._show(write())
            return
        if self._jobs is None:
            self._jobs = JobRunner(self, name="CurlDialog")
        self._command = ""
        # in the helper process: masking a body of megabytes holds the interpreter in long regex passes; queued:
        # cancelling a command being written would stop the helper, which then starts again for the newer one
        self._jobs.start_in_helper("write", write, on_done=self._written, on_failed=self._write_failed, queue=True)
        self.copy_button.setEnabled(False)
        self.text.setPlainText("Writing the command (masking a body of megabytes takes a moment)…")

    def _write_failed(self, error: BaseException) -> None:
        self.text.setPlainText(f"The command could not be written ({type(error).__name__}: {error}).")
        self.copy_button.setToolTip("No command to copy: it could not be written")

    def _written(self, written: tuple[redact.Redactor | None, str]) -> None:
        self.copy_button.setEnabled(True)
        self.copy_button.setToolTip("")  # (a failed write before it said why there was nothing)
        self._show(written)
        self.built.emit()

    def _show(self, written: tuple[redact.Redactor | None, str]) -> None:
        self._redactor, self._command = written
        self._seen = None
        include = self.include_box.isChecked() and not self.view_state.safe
        # a command with a body of megabytes is one line the text box would take seconds to lay out: its start
        # is shown, Copy takes all of it
        shown = self._command[:SHOWN_CHARS]
        self.text.setPlainText(shown)
        cut = "" if len(shown) == len(self._command) else (
            f" The command is {len(self._command):,} characters: the first {len(shown):,} are shown, "
            "Copy takes all of it.")
        if include:
            self.note.setText("⚠ Credentials are shown in clear. Do not share this command." + cut)
            self.note.setStyleSheet(label_color_style(self.view_state.theme.error_text, bold=True))
        else:
            self.note.setText(
                "Credentials are masked (…): the command shows which were sent, not their values." + cut)
            self.note.setStyleSheet("")
