"""Window-wide view state in one place, and the one way a label shows text that may hold a secret.

One ViewState per window (a pane or dialog made on its own makes its own). It owns:
- screen-share-safe mode: `safe`, `set_safe(on)`, Signal `safe_changed(bool)`;
- the theme (every colour): `theme`, `set_theme(theme)`, Signal `theme_changed(Theme)`;
- user-facing messages: `post(text, level=...)` masks the text and emits `message_posted(Message)` (the
  window shows it in the status bar; errors and warnings are also logged);
- the secrets of the last exchange (`remember_secrets`), so any text shown later is scrubbed of them.

Panes subscribe with `follow_safe(slot)` / `follow_theme(slot)` (called at once, then on every change), and
pass every transient text through `mask(text)`: secrets found by shape and every known secret are masked in
normal mode, and strictly (any credential-looking name, JWTs, long opaque runs) in screen-share-safe mode.
See core.redact.mask_text.

Text from a server or a file is never rich text: `plain_label()` and `MaskedLabel` are Qt.PlainText,
`plain_tip()` keeps a tool tip from being read as HTML, `escape()` is for the few labels whose own formatting
needs rich text, and `plain_message_box()` for questions and warnings that quote a name.

No label may widen the window: a word-wrapped label is as wide as its longest word, so one showing outside
text (a URL, a token, a path) gets break points in long runs (`breakable`, or `MaskedLabel(breaks=True)`), and
a one-line label of outside text elides what does not fit (`elide=`), the whole text in its tool tip.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from inspector.core.redact import mask_text
from inspector.ui.theme import Theme, current_theme

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog, QMessageBox

__all__ = [
    "ElidedLabel",
    "MaskedLabel",
    "MaskedStatusBar",
    "Message",
    "ViewState",
    "breakable",
    "escape",
    "plain_label",
    "plain_message_box",
    "plain_tip",
]

Level = Literal["info", "warning", "error"]
Known = Callable[[], tuple[Iterable[str], Iterable[str]]]  # () -> (secret values, secret names)

log = logging.getLogger("inspector.ui")


@dataclass(frozen=True)
class Message:
    """A message for the user, masked already."""

    text: str
    level: Level = "info"
    timeout_ms: int = 0


class ViewState(QObject):
    """Screen-share-safe mode, the theme and user messages of one window; see the module text."""

    safe_changed = Signal(bool)
    theme_changed = Signal(object)  # Theme
    message_posted = Signal(object)  # Message
    secrets_learned = Signal(tuple)  # the secret values of an exchange just shown (for the log's filter)

    def __init__(self, parent: QObject | None = None, *, safe: bool = False,
                 theme: Theme | None = None) -> None:
        super().__init__(parent)
        self._safe = safe
        self._theme = theme or current_theme()
        self._secrets: tuple[str, ...] = ()
        self._names: tuple[str, ...] = ()

    # -- screen-share-safe mode --------------------------------------------------------------------------
    @property
    def safe(self) -> bool:
        return self._safe

    def set_safe(self, on: bool) -> None:
        """Turn screen-share-safe mode on or off; subscribers hear of a change only."""
        on = bool(on)
        if on != self._safe:
            self._safe = on
            self.safe_changed.emit(on)

    def follow_safe(self, slot: Callable[[bool], object]) -> None:
        """Call slot with the mode now and on every change (a bound method: it goes with its object)."""
        self.safe_changed.connect(slot)
        slot(self._safe)

    # -- theme -------------------------------------------------------------------------------------------
    @property
    def theme(self) -> Theme:
        return self._theme

    def set_theme(self, theme: Theme) -> None:
        if theme is not self._theme:
            self._theme = theme
            self.theme_changed.emit(theme)

    def follow_theme(self, slot: Callable[[Theme], object]) -> None:
        self.theme_changed.connect(slot)
        slot(self._theme)

    # -- secrets and masking -----------------------------------------------------------------------------
    def remember_secrets(self, values: Iterable[str], names: Iterable[str] = ()) -> None:
        """The secrets of the exchange now on screen (profile secrets, credentials sent, names of API-key
        parameters): every text masked from now on is scrubbed of them."""
        self._secrets = tuple(v for v in values if v)
        self._names = tuple(names)
        self.secrets_learned.emit(self._secrets)

    def known_secrets(self) -> tuple[str, ...]:
        return self._secrets

    def mask(self, text: str, *, secrets: Iterable[str] = (), names: Iterable[str] = ()) -> str:
        """The text as it may be shown now: see core.redact.mask_text (strict in safe mode)."""
        if not text:
            return text
        return mask_text(text, secrets=(*self._secrets, *secrets), extra_names=(*self._names, *names),
                         strict=self._safe)

    # -- messages ----------------------------------------------------------------------------------------
    def post(self, text: str, *, level: Level = "info", timeout_ms: int = 0,
             secrets: Iterable[str] = ()) -> Message:
        """Tell the user something (masked); errors and warnings also go to the log file."""
        message = Message(self.mask(text, secrets=secrets), level, timeout_ms)
        if level != "info":
            log.log(logging.ERROR if level == "error" else logging.WARNING, "%s", message.text)
        self.message_posted.emit(message)
        return message


# ---------------------------------------------------------------------------------------------------------
# Labels: plain text, masked


def escape(text: str) -> str:
    """Server or file text for a label whose own formatting is rich text."""
    import html  # on first use: with html.entities it weighs some 300 KB, and the idle window needs none

    return html.escape(text, quote=True)


_LONG_RUN = re.compile(r"\S{24,}")
ZERO_WIDTH_SPACE = "\u200b"


def breakable(text: str) -> str:
    """Long unbroken runs (tokens, URLs) get zero-width break points so a label can wrap them."""
    return _LONG_RUN.sub(
        lambda m: ZERO_WIDTH_SPACE.join(m.group(0)[i : i + 16] for i in range(0, len(m.group(0)), 16)), text
    )


class ElidedLabel(QLabel):
    """A one-line label that never asks for more width than a few characters: what does not fit is elided
    (drawn with "…"; text() keeps the whole text) and the whole text is its tool tip. With elide=None it is a
    plain QLabel."""

    def __init__(self, parent: QWidget | None = None, *,
                 elide: Qt.TextElideMode | None = Qt.TextElideMode.ElideRight) -> None:
        super().__init__(parent)
        self._elide = elide
        self._own_tip = False

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if self._elide is None or self.wordWrap():
            return hint
        least = self.fontMetrics().horizontalAdvance("M…") + self._margins()
        return QSize(min(hint.width(), least), hint.height())

    def _margins(self) -> int:
        m = self.contentsMargins()
        return m.left() + m.right() + 2 * self.margin()

    def is_elided(self) -> bool:
        """Whether the text is wider than the label (and so is drawn elided)."""
        text = QLabel.text(self)
        return self._elide is not None and bool(text) and not self.wordWrap() and \
            self.fontMetrics().horizontalAdvance(text) > self.contentsRect().width()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tip()

    def _update_tip(self) -> None:
        if self.is_elided():
            self.setToolTip(plain_tip(QLabel.text(self)))
            self._own_tip = True
        elif self._own_tip:
            self.setToolTip("")
            self._own_tip = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.is_elided() or self.textFormat() == Qt.TextFormat.RichText:
            super().paintEvent(event)
            return
        rect = self.contentsRect().adjusted(self.margin(), self.margin(), -self.margin(), -self.margin())
        mode = self._elide or Qt.TextElideMode.ElideRight
        text = self.fontMetrics().elidedText(QLabel.text(self).replace("\n", " "), mode, rect.width())
        painter = QPainter(self)
        self.style().drawItemText(painter, rect, int(self.alignment()), self.palette(), self.isEnabled(),
                                  text, self.foregroundRole())


def plain_tip(text: str) -> str:
    """A tool tip that Qt will not read as HTML (Qt guesses from the text, so a name like '<img …>' would
    draw an image): text that could be taken for markup is escaped, everything else is left as it is."""
    if text and QtGui.mightBeRichText(text):
        import html

        return "<p style='white-space:pre-wrap'>" + html.escape(text, quote=False) + "</p>"
    return text


def plain_label(text: str = "", parent: QWidget | None = None, *, name: str = "", wrap: bool = False,
                selectable: bool = False, elide: Qt.TextElideMode | None = None) -> QLabel:
    """A QLabel that shows its text as written (Qt.PlainText), never as HTML; elide: an ElidedLabel that
    draws what does not fit elided (for one line of outside text: it can never widen the window)."""
    label = QLabel(parent) if elide is None else ElidedLabel(parent, elide=elide)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class MaskedLabel(ElidedLabel):
    """A plain-text label whose text passes through its ViewState's mask: set again when the mode changes.

    known() gives the secret values and names of what the label is about (the pane's exchange); after()
    runs on the masked text (line-break hints must come after masking, or a secret split by them would
    no longer be found). breaks=True (a word-wrapped label of outside text) adds zero-width break points to
    long runs when drawing, so a long URL or token wraps instead of widening the window; text() is the text
    without them. elide: a one-line label drawn elided when too long (see ElidedLabel).
    """

    def __init__(self, view: ViewState, text: str = "", parent: QWidget | None = None, *, name: str = "",
                 known: Known | None = None, after: Callable[[str], str] | None = None,
                 breaks: bool = False, elide: Qt.TextElideMode | None = None) -> None:
        super().__init__(parent, elide=elide)
        self.setTextFormat(Qt.TextFormat.PlainText)
        if name:
            self.setObjectName(name)
        self._view = view
        self._known = known
        self._after = after
        self._breaks = breaks
        self._shown = ""
        self._raw = ""
        self._secrets: tuple[str, ...] = ()
        self._names: tuple[str, ...] = ()
        view.safe_changed.connect(self._remask)
        self.setText(text)

    def setText(self, text: str) -> None:
        self.set_text(text)

    def set_text(self, text: str, *, secrets: Iterable[str] = (), names: Iterable[str] = ()) -> None:
        """Show text masked; secrets and names: extra ones this text is about (a form's own values)."""
        self._raw = text or ""
        self._secrets = tuple(secrets)
        self._names = tuple(names)
        self._show()

    def clear(self) -> None:
        self.set_text("")

    def text(self) -> str:
        """The text shown (masked), without the break points added for wrapping."""
        return self._shown if self._breaks else QLabel.text(self)

    def _show(self) -> None:
        if not self._raw:
            self._shown = ""
            super().setText("")
            return
        values, names = self._known() if self._known is not None else ((), ())
        shown = self._view.mask(self._raw, secrets=(*values, *self._secrets), names=(*names, *self._names))
        if self._after is not None:
            shown = self._after(shown)
        self._shown = shown
        super().setText(breakable(shown) if self._breaks else shown)

    def _remask(self, _on: bool) -> None:
        if self._raw:
            self._show()


class MaskedStatusBar(QStatusBar):
    """The window's status bar: every message passes through the ViewState's mask, again when the mode
    changes; messages posted to the ViewState are shown here."""

    def __init__(self, view: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._raw = ""
        view.safe_changed.connect(self._remask)
        view.message_posted.connect(self._on_posted)

    def showMessage(self, text: str, timeout: int | None = 0) -> None:
        self._raw = text or ""
        super().showMessage(self._view.mask(self._raw), timeout or 0)

    def _on_posted(self, message: Message) -> None:
        self._raw = message.text  # masked already; masked again only if the mode becomes stricter
        super().showMessage(message.text, message.timeout_ms)

    def _remask(self, _on: bool) -> None:
        if self.currentMessage():
            super().showMessage(self._view.mask(self._raw))


def run_dialog(dialog: QDialog) -> int:
    """exec() a dialog, then free it (free_later): a dialog made with the window as its parent otherwise lives
    as long as the window, with what it shows (a report keeps a whole exchange) and its connections to the
    window's models."""
    try:
        return dialog.exec()
    finally:
        free_later(dialog)


def free_when_closed(dialog: QDialog) -> QDialog:
    """The same for a dialog shown with show(): freed once it is accepted, rejected or closed."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # done() deletes it too
    return dialog


def free_later(widget: QWidget) -> None:
    """deleteLater: what it holds can still be read until the event loop's next turn. A job of its own still
    running is cancelled then and not waited for (JobRunner.close). For a closed dialog or tab; one already
    deleted (its parent went during exec()) is left be."""
    import shiboken6

    if shiboken6.isValid(widget):
        widget.deleteLater()


def plain_message_box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
    """A QMessageBox that shows its text as written (a profile or file name in it is not HTML)."""
    from PySide6.QtWidgets import QMessageBox  # its enums are built on first use, not before the first paint

    box = QMessageBox(icon, title, text, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def warn(parent: QWidget | None, title: str, text: str) -> None:
    """A warning box with its text as written, freed once closed (the panes' default way to say what failed)."""
    from PySide6.QtWidgets import QMessageBox

    run_dialog(plain_message_box(parent, QMessageBox.Icon.Warning, title, text))
