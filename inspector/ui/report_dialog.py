"""The support report dialog: choose what goes in, see it, copy it or save it. Secrets are always masked.

Embedding API:

    dialog = ReportDialog(exchange, diagnosis, parent=None, *, secrets=NO_SECRETS,
                          choose_save_path=None, inform=None, clock=None, view=None)
        exchange    the Exchange (live, or HistoryRecord.exchange which is masked already)
        diagnosis   a Diagnosis (a history entry's as stored: HistoryRecord.diagnosis), or None
        secrets     the send's Secrets: the profile's resolved secrets (scrubbed wherever they appear) and
                    the header / parameter names of its API key
    ReportDialog.for_result(result, parent=None, **kw)   the same for a SendResult (the window's last send)
        choose_save_path(parent, caption, suggested_name, name_filter) -> str | None   default QFileDialog
        inform(parent, title, text) -> None      a save error in words; default a QMessageBox
        clock() -> datetime                      the "report written" time (UTC-aware)
        view        the window's ViewState; None: the dialog's own
    ReportDialog.for_record(record, parent=None, **kw)   the same for a HistoryRecord
    dialog.options() -> ReportOptions;  dialog.set_options(ReportOptions)
    dialog.set_format("markdown" | "html");  dialog.format() -> str
    dialog.show_source(on)               the preview shows the report's source instead of the rendered page
                                         (Markdown is rendered by default, as a Git host or chat shows it)
    dialog.report_text() -> str          the report in the chosen format, exactly what Copy and Save… write
                                         ("" while an exchange with bodies over MASK_IN_HELPER_BYTES is reported
                                         in the helper process: dialog.building, then Signal built(); Copy and Save…
                                         are off meanwhile, and copy() and save() do nothing)
    dialog.copy()                        Markdown: plain text; HTML: text/html plus the HTML source as text
    dialog.save(path=None) -> Path|None  asks where unless given; writes UTF-8
    dialog.set_screen_share_safe(on)     the report is masked in every mode; kept for a uniform interface
    Signals copied(str), saved(str), built()
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inspector.core import redact
from inspector.core.exchange import Exchange
from inspector.core.export import ReportOptions, build_report, report_html
from inspector.ui.jobs import MASK_IN_HELPER_BYTES, JobRunner
from inspector.ui.view_state import ViewState, plain_label, warn

if TYPE_CHECKING:
    from inspector.core.diagnosis import Diagnosis
    from inspector.core.history import HistoryRecord
    from inspector.core.pipeline import SendResult

__all__ = ["SECTIONS", "ReportDialog"]

ChooseSavePath = Callable[[QWidget, str, str, str], "str | None"]
Inform = Callable[[QWidget, str, str], None]

# ReportOptions field -> checkbox label and tool tip
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("headers", "Headers", "The request and response headers (credentials masked)"),
    ("body", "Bodies", "An excerpt of each request and response body (secret fields masked)"),
    ("claims", "Token claims", "The decoded header and claims of the token (never the token itself)"),
    ("timeline", "Timeline", "When the token was issued and expires, against your clock and the server's"),
    ("hops", "Every hop", "Each redirect and token request; otherwise only the final request"),
)
FORMATS = ("markdown", "html")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _choose_save_path(parent: QWidget, caption: str, suggested: str, name_filter: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, name_filter)
    return path or None


class _Preview(QTextBrowser):
    """The report's preview. It loads nothing: an image or style sheet named in server text that slipped
    through escaping could otherwise read a local file (file:///...) into the window."""

    def loadResource(self, _type: int, _name: Any) -> Any:
        return None


class ReportDialog(QDialog):
    """A live preview of the support report with its options; see the module text."""

    copied = Signal(str)
    saved = Signal(str)
    built = Signal()  # a report built in the helper process is shown (see report_text)

    def __init__(
        self,
        exchange: Exchange,
        diagnosis: Diagnosis | None,
        parent: QWidget | None = None,
        *,
        secrets: redact.Secrets = redact.NO_SECRETS,
        choose_save_path: ChooseSavePath | None = None,
        inform: Inform | None = None,
        clock: Callable[[], datetime] | None = None,
        view: ViewState | None = None,
        context: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.view_state = view or ViewState(self)
        self.setWindowTitle("Support report")
        self._exchange = exchange
        self._diagnosis = diagnosis
        self._redactor = secrets.redactor() if secrets.values else None
        self._choose_save_path = choose_save_path or _choose_save_path
        self._inform = inform or warn
        self._clock = clock or _utc_now
        self._generated_at = self._clock()  # one time for the dialog's life: preview, copy and save agree
        self._options = ReportOptions(extra_secret_names=secrets.names, context=context)
        self._text = ""
        self._later = exchange.bodies_size > MASK_IN_HELPER_BYTES  # (two of 4 MB: 1.5 s, at every option)
        self._where = 0  # the preview's scroll position when a build in the helper process began
        self._jobs: JobRunner | None = None  # made for the first report built in the helper process

        # -- options
        sections = QGroupBox("Include")
        sl = QVBoxLayout(sections)
        self.section_boxes: dict[str, QCheckBox] = {}
        for name, label, tip in SECTIONS:
            box = QCheckBox(label)
            box.setObjectName(f"reportSection_{name}")
            box.setToolTip(tip)
            box.setChecked(bool(getattr(self._options, name)))
            box.toggled.connect(lambda _on: self._render())
            sl.addWidget(box)
            self.section_boxes[name] = box
        limit_row = QHBoxLayout()
        limit_label = QLabel("Body excerpt")
        self.limit_spin = QSpinBox()
        self.limit_spin.setObjectName("reportBodyLimit")
        self.limit_spin.setRange(100, 1_000_000)
        self.limit_spin.setSingleStep(1000)
        self.limit_spin.setSuffix(" chars")
        self.limit_spin.setValue(self._options.body_limit)
        self.limit_spin.setKeyboardTracking(False)
        self.limit_spin.setToolTip("How many characters of each body the report keeps")
        self.limit_spin.valueChanged.connect(lambda _v: self._render())
        limit_label.setBuddy(self.limit_spin)
        limit_row.addWidget(limit_label)
        limit_row.addWidget(self.limit_spin)
        sl.addLayout(limit_row)

        formats = QGroupBox("Format")
        fl = QVBoxLayout(formats)
        self.markdown_radio = QRadioButton("Markdown")
        self.markdown_radio.setObjectName("reportMarkdown")
        self.markdown_radio.setToolTip("Plain text that reads well in tickets, chats and Git hosts")
        self.html_radio = QRadioButton("HTML")
        self.html_radio.setObjectName("reportHtml")
        self.html_radio.setToolTip("One self-contained page to attach or open in a browser")
        self._format_group = QButtonGroup(self)
        self._format_group.addButton(self.markdown_radio)
        self._format_group.addButton(self.html_radio)
        self.markdown_radio.setChecked(True)
        self.markdown_radio.toggled.connect(lambda _on: self._render())
        fl.addWidget(self.markdown_radio)
        fl.addWidget(self.html_radio)
        self.source_check = QCheckBox("Show the source")
        self.source_check.setObjectName("reportSource")
        self.source_check.setToolTip("The preview shows the text Copy and Save… write, not the rendered page")
        self.source_check.toggled.connect(lambda _on: self._show_preview())
        fl.addWidget(self.source_check)

        self.masked_note = plain_label("Tokens, passwords, API keys and cookies are masked in the report.",
                                       name="reportMaskedNote", wrap=True)

        side = QVBoxLayout()
        side.addWidget(sections)
        side.addWidget(formats)
        side.addWidget(self.masked_note)
        side.addStretch(1)

        # -- preview
        self.preview = _Preview()
        self.preview.setObjectName("reportPreview")
        self.preview.setOpenLinks(False)  # nothing in a report should navigate the preview away
        self.preview.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)

        self.copy_button = QPushButton("Copy to clipboard")
        self.copy_button.setObjectName("reportCopy")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save…")
        self.save_button.setObjectName("reportSave")
        self.save_button.clicked.connect(lambda: self.save())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        body = QHBoxLayout()
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMaximumWidth(260)
        body.addWidget(side_widget)
        body.addWidget(self.preview, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(body, 1)
        lay.addWidget(buttons)
        self.resize(980, 680)
        self._render()

    @classmethod
    def for_result(cls, result: SendResult, parent: QWidget | None = None, **kw: Any) -> ReportDialog:
        """The report of one send, with the secrets that send knows scrubbed."""
        return cls(result.exchange, result.diagnosis, parent, secrets=result.secrets, **kw)

    @classmethod
    def for_record(cls, record: HistoryRecord, parent: QWidget | None = None, **kw: Any) -> ReportDialog:
        """The report of a history entry (its exchange and diagnosis are stored masked)."""
        return cls(record.exchange, record.diagnosis, parent, **kw)

    # -- the contract --------------------------------------------------------------------------------------
    def options(self) -> ReportOptions:
        on = {name: box.isChecked() for name, box in self.section_boxes.items()}
        return replace(
            self._options,
            headers=on["headers"],
            body=on["body"],
            claims=on["claims"],
            timeline=on["timeline"],
            hops=on["hops"],
            body_limit=self.limit_spin.value(),
        )

    def set_options(self, options: ReportOptions) -> None:
        self._options = options
        for name, box in self.section_boxes.items():
            box.blockSignals(True)
            box.setChecked(bool(getattr(options, name)))
            box.blockSignals(False)
        self.limit_spin.blockSignals(True)
        self.limit_spin.setValue(options.body_limit)
        self.limit_spin.blockSignals(False)
        self._render()

    def format(self) -> str:
        return "html" if self.html_radio.isChecked() else "markdown"

    def set_format(self, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"The report format '{fmt}' is unknown: use one of {', '.join(FORMATS)}.")
        (self.html_radio if fmt == "html" else self.markdown_radio).setChecked(True)

    def report_text(self) -> str:
        return self._text

    def show_source(self, on: bool) -> None:
        """The preview shows the source (Markdown or HTML text) instead of the rendered report."""
        self.source_check.setChecked(on)

    @property
    def building(self) -> bool:
        """A report is being built in the helper process (Copy and Save… are off until it is there)."""
        return self._jobs is not None and self._jobs.busy("build")

    def copy(self) -> None:
        if not self._text:  # a report still being built in the helper process (or that could not be): nothing yet
            return
        mime = QMimeData()
        if self.format() == "html":
            mime.setHtml(self._text)  # rich editors paste the page, plain ones its source
        mime.setText(self._text)
        QGuiApplication.clipboard().setMimeData(mime)
        self.copied.emit(self._text)

    def save(self, path: str | Path | None = None) -> Path | None:
        """Write the report (the chosen format) as UTF-8; asks where unless a path is given."""
        if not self._text:
            return None  # (as copy)
        html = self.format() == "html"
        if path is None:
            suggested = "request-report.html" if html else "request-report.md"
            name_filter = "HTML files (*.html)" if html else "Markdown files (*.md)"
            chosen = self._choose_save_path(self, "Save the report", suggested,
                                            name_filter + ";;All files (*)")
            if not chosen:
                return None
            path = chosen
        target = Path(path)
        try:
            target.write_text(self._text, encoding="utf-8")
        except OSError as exc:
            self._inform(
                self, "Save the report",
                f"The report could not be written to {target} ({exc.strerror or exc})."
            )
            return None
        self.saved.emit(str(target))
        return target

    def set_screen_share_safe(self, on: bool) -> None:
        """The report masks secrets in every mode, so the preview is already safe to show."""
        self.view_state.set_safe(on)

    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    # -- inside --------------------------------------------------------------------------------------------
    def _render(self) -> None:
        write = report_html if self.format() == "html" else build_report
        exchange, diagnosis, options = self._exchange, self._diagnosis, self.options()
        redactor, generated_at = self._redactor, self._generated_at

        build = functools.partial(write, exchange, diagnosis, options, redactor=redactor, generated_at=generated_at)
        if not self._later:
            self._text = build()
            self._show_preview()
            return
        if self._jobs is None:
            self._jobs = JobRunner(self, name="ReportDialog")
        if not self.building:
            self._where = self.preview.verticalScrollBar().value()  # kept across the placeholder
        self._text = ""
        # in the helper process: masking bodies of megabytes holds the interpreter in long calls (json's parser,
        # regex passes), which would stop the window on a thread too; queued: cancelling a build under way would
        # stop the helper, which then starts again for the newer one
        self._jobs.start_in_helper("build", build, on_done=self._built, on_failed=self._build_failed, queue=True)
        self.copy_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.preview.setPlainText("Building the report (masking bodies of megabytes takes a moment)…")

    def _built(self, text: str) -> None:
        self._text = text
        for button in (self.copy_button, self.save_button):
            button.setEnabled(True)
            button.setToolTip("")
        self._show_preview(self._where)
        self.built.emit()

    def _build_failed(self, error: BaseException) -> None:
        self.preview.setPlainText(f"The report could not be built ({type(error).__name__}: {error}).")
        self.copy_button.setToolTip("No report to copy: it could not be built")
        self.save_button.setToolTip("No report to save: it could not be built")

    def _show_preview(self, where: int | None = None) -> None:
        if not self._text:
            return  # a report being built in the helper process, or that could not be: shown once there is one
        bar = self.preview.verticalScrollBar()
        where = bar.value() if where is None else where
        source = self.source_check.isChecked()
        if source:
            self.preview.setPlainText(self._text)
        elif self.format() == "html":
            self.preview.setHtml(self._text)
        else:
            # rendered as a Git host would (escapes such as insufficient\_scope read as intended); raw HTML in
            # the text stays text, and _Preview loads nothing a link or image names
            features = (QTextDocument.MarkdownFeature.MarkdownDialectGitHub
                        | QTextDocument.MarkdownFeature.MarkdownNoHTML)
            self.preview.document().setMarkdown(self._text, features)
            self.preview.setTextCursor(QTextCursor(self.preview.document()))  # at the top, not the end
        self.preview.setFont(QFontDatabase.systemFont(
            QFontDatabase.SystemFont.FixedFont if source else QFontDatabase.SystemFont.GeneralFont))
        bar.setValue(min(where, bar.maximum()))  # toggling a section should not jump to the top
