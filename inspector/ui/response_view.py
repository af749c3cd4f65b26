"""The response: status line, headers, redirect hops, and the body with progressive highlighting.

A body of many megabytes must never freeze the window. Every text body goes through one pipeline, the
HighlightWorker (workers.py): decoded a megabyte at a time, pretty-printed as a stream, sent as text pieces
with their line index, and coloured segment by segment, what is on screen first. Bodies over LARGE_BODY_BYTES
are shown by a LargeTextView (body_view.py), which keeps the pieces as Python strs and draws only the lines
on screen; smaller ones by a QPlainTextEdit (word wrap, the platform's selection) that gets the same pieces a
slice at a time from a zero-delay timer, with newlines where long lines are broken, and applies the colours
lazily, only to the blocks on screen, through QTextLayout formats (what QSyntaxHighlighter uses inside,
without its habit of re-highlighting the whole document). The Raw tab's text is made when that tab is shown.
"""

from __future__ import annotations

import operator
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor, QTextLayout
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.redact import NO_SECRETS, Secrets, mask_header_value, mask_url
from inspector.core.units import format_size
from inspector.ui.jobs import Job, JobRunner
from inspector.ui.lazy import BuiltOnUse, is_built
from inspector.ui.theme import Theme, label_color_style, monospace_font, status_chip_style
from inspector.ui.view_state import MaskedLabel, ViewState, plain_label

# An empty pane needs none of these: the highlighter, the body workers, the large-body view and the cookie
# table are imported when a response first needs them (the window is ready sooner).
if TYPE_CHECKING:
    from inspector.core.exchange import Exchange, Response
    from inspector.core.highlight import RangeBatch, StyleRangeIndex
    from inspector.core.pipeline import SendResult
    from inspector.core.textfind import Matches
    from inspector.ui.body_view import LargeTextView
    from inspector.ui.cookies_view import CookiesView
    from inspector.ui.workers import BodyInfo, BodyJob, BodyStats, HighlightWorker, RangeChunk, TextPiece

__all__ = ["BodyView", "FindBar", "LargeTextView", "ResponseView", "format_size", "monospace_font"]


def __getattr__(name: str) -> Any:
    """LargeTextView, still importable from here, is loaded when first asked for."""
    if name == "LargeTextView":
        from inspector.ui.body_view import LargeTextView

        return LargeTextView
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

MiB = 1024 * 1024
WRAP_LIMIT_CHARS = 2 * MiB  # wrapping a longer text stalls the UI thread for more than 100 ms
SMALL_BODY_CHARS = 64 * 1024  # bodies this small are shown at once, without waiting for a worker's pieces
# Bodies larger than this go to LargeTextView, which draws only the lines on screen (and does not wrap).
LARGE_BODY_BYTES = 512 * 1024
COOKIES_TAB = 4  # Body, Raw, Headers, Redirects, Cookies
# what a hop that is not the user's request was for, in the hop list
_ROLE_NOTES = {"token": "token request", "login": "sign-in: login", "authorize": "sign-in: authorization",
               "discovery": "issuer metadata (discovery)", "jwks": "issuer's keys (signature check)"}


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


class BodyView(QPlainTextEdit):
    """A read-only text view that loads huge text in slices and colours only the blocks on screen."""

    first_screen_shown = Signal()  # enough text to fill the view is in the document
    text_complete = Signal()  # every piece is in the document
    highlight_applied = Signal()  # formats were applied to the visible blocks (lexing may still go on)

    SLICE_CHARS = 16 * 1024  # inserted per step (~5 ms); one step stays well under a timer tick
    BUDGET_S = 0.015  # time spent inserting per event-loop turn

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setFont(monospace_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.theme = theme
        self._pending: deque[str] = deque()
        self._parts: list[str] = []  # every piece given, for find and for tests (joined when asked)
        self._joined: tuple[str, str | None] | None = None  # (text, lower-cased text) cache
        self._input_done = True
        self._first_screen = False
        self._index: StyleRangeIndex | None = None
        self._highlight_done = False
        self._mark = 0  # block user-state meaning "formatted": bumped on every new text
        # The worker's offsets are those of its text; the document has a newline before each soft break (a
        # long line broken for display) and counts characters beyond U+FFFF twice (UTF-16).
        self._breaks: list[int] = []  # text offsets before which a newline was put
        self._astral: list[int] = []  # document text offsets (before UTF-16) of characters beyond U+FFFF
        self._source_length = 0  # characters of the worker's text received
        self._text_length = 0  # characters given (pieces and set_text_now)
        self._pump = QTimer(self)
        self._pump.setInterval(0)
        self._pump.timeout.connect(self._insert_some)
        self._format_timer = QTimer(self)
        self._format_timer.setSingleShot(True)
        self._format_timer.setInterval(0)
        self._format_timer.timeout.connect(self._format_visible)
        self.updateRequest.connect(self._on_update_request)

    # -- loading text ------------------------------------------------------------------------------------
    def begin(self) -> None:
        """Forget the current text and ranges; pieces will follow."""
        self._pump.stop()
        self._pending.clear()
        self._parts = []
        self._joined = None
        self._input_done = False
        self._first_screen = False
        self._index = None
        self._highlight_done = False
        self._mark += 1
        self._breaks = []
        self._astral = []
        self._source_length = 0
        self._text_length = 0  # characters given (pieces and set_text_now)
        self.document().clear()

    def set_text_now(self, text: str, breaks: Iterable[int] = ()) -> None:
        """Show a (small) text at once; `breaks`: where newlines were put into the worker's text to break
        long lines (PreparedText.breaks), so its colours land in the right place."""
        self.begin()
        self.setPlainText(text)
        self._parts = [text]
        self._text_length = len(text)
        self._breaks = list(breaks)
        if not text.isascii():
            from inspector.core.highlight import astral_positions

            self._astral = astral_positions(text)
        self._source_length = len(text) - len(self._breaks)
        self._input_done = True
        self._first_screen = True
        self.first_screen_shown.emit()
        self.text_complete.emit()

    def append_text_piece(self, piece: TextPiece) -> None:
        """The next piece of the worker's text: its soft breaks become newlines here (QPlainTextEdit lays
        out whole lines, and a line of megabytes would freeze it)."""
        text, start, soft = piece.text, piece.start, piece.soft
        if piece.whole and self._source_length:  # the whole text after its first piece: the rest of it
            text = text[self._source_length :]
            start = self._source_length
            soft = tuple(b for b in soft if b > start)
        if start != self._source_length:
            raise ValueError(f"A text piece starting at {start} does not follow the {self._source_length} "
                             "characters already given; pieces must arrive in order.")
        self._source_length += len(text)
        if soft:
            cuts = [0, *(b - start for b in soft), len(text)]
            text = "\n".join(text[a:b] for a, b in pairwise(cuts))
            self._breaks.extend(soft)
        if not text.isascii():
            from inspector.core.highlight import astral_positions

            self._astral.extend(astral_positions(text, self._text_length))
        self.append_piece(text)

    def add_chunk(self, chunk: RangeChunk) -> None:
        """Colours from the worker, in its text offsets: moved onto the document's positions."""
        from array import array

        from inspector.core.highlight import OffsetMap, RangeBatch

        maps = [m for m in (OffsetMap(self._breaks, after=False), OffsetMap(self._astral, after=True)) if m]
        starts = array("l", chunk.starts)
        ends = array("l", map(operator.add, starts, chunk.lengths))
        lexed_to = chunk.lexed_to
        if maps:
            for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
                for m in maps:
                    a, b = m.start(a), m.end(b)
                starts[i], ends[i] = a, b
            for m in maps:
                lexed_to = m.end(lexed_to)
        self.add_ranges(RangeBatch(starts, array("l", map(operator.sub, ends, starts)), chunk.keys, lexed_to))

    def append_piece(self, piece: str) -> None:
        if piece:
            self._text_length += len(piece)
            self._pending.append(piece)
            self._parts.append(piece)
            self._joined = None
        if not self._pump.isActive():
            self._pump.start()

    def finish_input(self) -> None:
        self._input_done = True
        if not self._pump.isActive():
            self._pump.start()

    @property
    def loading(self) -> bool:
        return bool(self._pending) or not self._input_done

    def _insert_some(self) -> None:
        deadline = time.perf_counter() + self.BUDGET_S
        doc = self.document()
        cursor = QTextCursor(doc)
        while self._pending and time.perf_counter() < deadline:
            piece = self._pending.popleft()
            if len(piece) > self.SLICE_CHARS:
                cut = piece.rfind("\n", 0, self.SLICE_CHARS) + 1 or self.SLICE_CHARS
                self._pending.appendleft(piece[cut:])
                piece = piece[:cut]
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(piece)
            if not self._first_screen and self._fills_screen():
                self._first_screen = True
                self.first_screen_shown.emit()
        if not self._pending:
            self._pump.stop()
            if self._input_done:
                if not self._first_screen:
                    self._first_screen = True
                    self.first_screen_shown.emit()
                self.text_complete.emit()
        self._schedule_format()

    def _fills_screen(self) -> bool:
        lines = max(1, self.viewport().height() // max(1, self.fontMetrics().lineSpacing()))
        return self.document().blockCount() > lines

    # -- highlighting ------------------------------------------------------------------------------------
    def add_ranges(self, batch: RangeBatch) -> None:
        if self._index is None:
            from inspector.core.highlight import StyleRangeIndex

            self._index = StyleRangeIndex()
        self._index.add(batch)
        self._schedule_format()

    def highlight_finished(self) -> None:
        self._highlight_done = True
        self._schedule_format()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._mark += 1  # everything on screen is formatted again with the new colours
        self._schedule_format()

    def _on_update_request(self, _rect: QRect, dy: int) -> None:
        if self._index is not None:
            self._schedule_format()

    def _schedule_format(self) -> None:
        if self._index is not None and not self._format_timer.isActive():
            self._format_timer.start()

    def _format_visible(self) -> None:
        """Give the blocks on screen their colours, once each; cost depends on the screen, not the text."""
        index = self._index
        if index is None:
            return
        doc = self.document()
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        bottom = self.viewport().rect().bottom()
        still_loading = self.loading
        theme = self.theme
        mark = self._mark
        changed_from = -1
        changed_to = -1
        while block.isValid():
            top = self.blockBoundingGeometry(block).translated(offset).top()
            if top > bottom:
                break
            if block.userState() != mark:
                start = block.position()
                end = start + block.length()
                last = not block.next().isValid()
                if (last and still_loading) or end - 1 > index.lexed_to:
                    block = block.next()
                    continue
                ranges = []
                for s, n, k in index.within(start, end):
                    fr = QTextLayout.FormatRange()
                    fr.start = s - start
                    fr.length = n
                    fr.format = theme.format_for(k)
                    ranges.append(fr)
                block.layout().setFormats(ranges)
                block.setUserState(mark)
                if changed_from < 0:
                    changed_from = start
                changed_to = end
            block = block.next()
        if changed_from >= 0:
            doc.markContentsDirty(changed_from, changed_to - changed_from)
            self.highlight_applied.emit()

    def formats_at(self, block_number: int) -> list[tuple[int, int, str]]:
        """(start, length, colour) of the formats on a block: for tests and the benchmark."""
        block = self.document().findBlockByNumber(block_number)
        return [(f.start, f.length, f.format.foreground().color().name()) for f in block.layout().formats()]

    # -- find --------------------------------------------------------------------------------------------
    def full_text(self) -> str:
        """All the text given so far (some may still be on its way into the document)."""
        if self._joined is None:
            self._joined = ("".join(self._parts), None)
        return self._joined[0]

    def _folded_text(self) -> str:
        text = self.full_text()
        assert self._joined is not None
        if self._joined[1] is None:
            self._joined = (text, text.lower())
        return self._joined[1] or ""

    def find_text(self, needle: str, backward: bool = False, case_sensitive: bool = False) -> bool:
        """Select the next (or previous) match, wrapping around; False when there is none.

        QTextDocument.find takes seconds on a 15 MB document, so ASCII text (where Python and Qt positions
        agree) is searched as a Python string, which takes milliseconds.
        """
        if not needle:
            return False
        text = self.full_text()
        if not text.isascii() or not needle.isascii():
            return self._qt_find(needle, backward, case_sensitive)
        hay = text if case_sensitive else self._folded_text()
        sought = needle if case_sensitive else needle.lower()
        loaded = max(0, self.document().characterCount() - 1)
        cursor = self.textCursor()
        if backward:
            found = hay.rfind(sought, 0, min(cursor.selectionStart(), loaded))
            if found < 0:
                found = hay.rfind(sought, 0, loaded)
        else:
            found = hay.find(sought, cursor.selectionEnd(), loaded)
            if found < 0:
                found = hay.find(sought, 0, loaded)
        if found < 0:
            return False
        cursor.setPosition(found)
        cursor.setPosition(found + len(sought), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        return True

    def _qt_find(self, needle: str, backward: bool, case_sensitive: bool) -> bool:
        from PySide6.QtGui import QTextDocument

        flags = QTextDocument.FindFlag(0)
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        if case_sensitive:
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if self.find(needle, flags):
            return True
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start)
        self.setTextCursor(cursor)
        return self.find(needle, flags)


class FindBar(QWidget):
    """Find in the body: Enter / F3 next, Shift+Enter / Shift+F3 previous, Esc closes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Find in body")
        self.field.setClearButtonEnabled(True)
        self.case = QCheckBox("Match case", self)
        self.prev_button = QToolButton(self)
        self.prev_button.setText("Previous")
        self.next_button = QToolButton(self)
        self.next_button.setText("Next")
        self.result = plain_label(parent=self, name="findResult")  # "3 of 17", "Not found"
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Close (Esc)")
        for w in (self.field, self.prev_button, self.next_button, self.case, self.result):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(self.close_button)


class ResponseView(QWidget):
    """Status line, notice, and tabs for body, raw text, headers and redirect hops."""

    body_ready = Signal()  # the displayed body text (or image/hex) is complete
    highlight_done = Signal(object)  # BodyStats: lexing finished and ranges delivered

    def __init__(self, parent: QWidget | None = None, *, max_body_bytes: int = 100 * MiB,
                 theme: Theme | None = None, view: ViewState | None = None) -> None:
        super().__init__(parent)
        self.view_state = view or ViewState(self, theme=theme)
        self.theme = self.view_state.theme
        self._notice_error = False
        self.max_body_bytes = max_body_bytes
        self.exchange: Exchange | None = None
        self.body_info: BodyInfo | None = None
        self.last_stats: BodyStats | None = None
        # the body highlighter runs in the "body" slot (its signals carry the slot's generation), saving a
        # body in the "save" slot
        self.jobs = JobRunner(self, name="ResponseView")
        self._worker: HighlightWorker | None = None
        self._raw_text: str | None = None  # the body as received (decoded, long lines broken)
        self._raw_head = ""  # the status line and headers that go before it on the Raw tab
        self._raw_job: BodyJob | None = None  # a large body's Raw tab text, made when the tab is shown
        self._raw_loaded = False
        self._large = False  # the body shown is in large_view / raw_large
        self._secrets = NO_SECRETS  # set by show_exchange
        self._matches: tuple[tuple[object, ...], Matches] | None = None  # the last count, and what it was of
        self._build()
        self.view_state.theme_changed.connect(self.set_theme)

    # -- layout ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)

        status_row = QHBoxLayout()
        # The reason phrase, the Content-Type and the notices are the server's words: plain text, masked
        # (a server may echo a credential in them), never HTML (a reason phrase could draw an image).
        known = self._known_secrets
        self.status_label = plain_label("No response yet", self, name="statusLabel")
        # a server's reason phrase or Content-Type can be any length: elided, never wider than the pane
        elide = Qt.TextElideMode.ElideRight
        self.reason_label = MaskedLabel(self.view_state, parent=self, name="reasonLabel", known=known,
                                        elide=elide)
        self.time_label = plain_label(parent=self)
        self.size_label = plain_label(parent=self)
        self.type_label = MaskedLabel(self.view_state, parent=self, name="typeLabel", known=known,
                                      elide=elide)
        self.elapsed_label = plain_label(parent=self, name="elapsedLabel")
        for w in (self.reason_label, self.time_label, self.size_label, self.type_label):
            w.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        status_row.addWidget(self.status_label)
        status_row.addWidget(self.reason_label)
        status_row.addSpacing(12)
        status_row.addWidget(self.time_label)
        status_row.addSpacing(12)
        status_row.addWidget(self.size_label)
        status_row.addSpacing(12)
        status_row.addWidget(self.type_label)
        status_row.addStretch(1)
        status_row.addWidget(self.elapsed_label)
        outer.addLayout(status_row)

        notice_row = QHBoxLayout()
        self.notice_label = MaskedLabel(self.view_state, parent=self, name="noticeLabel", known=known,
                                        breaks=True)
        self.notice_label.setWordWrap(True)
        self.notice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.save_button = QPushButton("Save body to file…", self)
        self.save_button.clicked.connect(self.choose_save_path)
        notice_row.addWidget(self.notice_label, 1)
        notice_row.addWidget(self.save_button)
        outer.addLayout(notice_row)
        self.notice_label.hide()
        self.save_button.hide()

        self.tabs = QTabWidget(self)
        outer.addWidget(self.tabs, 1)

        # Body tab
        body_tab = QWidget(self)
        body_layout = QVBoxLayout(body_tab)
        body_layout.setContentsMargins(4, 4, 4, 4)
        tools = QHBoxLayout()
        self.wrap_check = QCheckBox("Word wrap", body_tab)
        self.wrap_check.toggled.connect(self.set_word_wrap)
        self.pretty_check = QCheckBox("Pretty", body_tab)
        self.pretty_check.setChecked(True)
        self.pretty_check.setToolTip("Re-indent JSON, XML and HTML bodies")
        self.pretty_check.toggled.connect(self._reload_body)
        self.find_button = QToolButton(body_tab)
        self.find_button.setText("Find…")
        self.find_button.setToolTip("Find in body (Ctrl+F)")
        self.find_button.clicked.connect(self.open_find)
        self.highlight_label = plain_label(parent=body_tab, name="highlightLabel", elide=elide)
        self.save_body_button = QToolButton(body_tab)
        self.save_body_button.setText("Save…")
        self.save_body_button.setToolTip("Save the body exactly as received")
        self.save_body_button.clicked.connect(self.choose_save_path)
        tools.addWidget(self.wrap_check)
        tools.addWidget(self.pretty_check)
        tools.addWidget(self.find_button)
        tools.addStretch(1)
        tools.addWidget(self.highlight_label)
        tools.addWidget(self.save_body_button)
        body_layout.addLayout(tools)
        self.find_bar = FindBar(body_tab)
        self.find_bar.hide()
        self.find_bar.field.returnPressed.connect(self.find_next)
        self.find_bar.next_button.clicked.connect(self.find_next)
        self.find_bar.prev_button.clicked.connect(self.find_previous)
        self.find_bar.close_button.clicked.connect(self.close_find)
        self.find_bar.field.textChanged.connect(lambda _text: self.find_bar.result.clear())
        self.find_bar.case.toggled.connect(lambda _on: self.find_bar.result.clear())
        # (Esc is the window's: it cancels a request in flight, else closes this bar)
        back = QShortcut(QKeySequence("Shift+Return"), self.find_bar.field)
        back.setObjectName("findPreviousShortcut")
        back.setWhatsThis("Find previous (in the find field)")  # the shortcut list's words for it
        back.setContext(Qt.ShortcutContext.WidgetShortcut)
        back.activated.connect(self.find_previous)
        body_layout.addWidget(self.find_bar)

        # The Body tab shows body_view first; the image, hex and large-body views are made when a body needs
        # them (BuiltOnUse), like the other tabs' contents: those are made when their tab is first shown or a
        # response first fills them. Each tab's page is a stack the content goes into.
        self.body_stack = QStackedWidget(body_tab)
        self.body_view = BodyView(self.theme, body_tab)
        self.body_view.setObjectName("bodyView")
        self.body_view.text_complete.connect(self._on_text_complete)
        self.body_stack.addWidget(self.body_view)
        body_layout.addWidget(self.body_stack, 1)
        self.tabs.addTab(body_tab, "Body")

        # Raw tab: the HTTP message as received (status line, headers, the body decoded), loaded when first
        # looked at: raw_view, or raw_large for a large body
        self.raw_page = QStackedWidget(self)
        self.tabs.addTab(self.raw_page, "Raw")
        self.headers_page = QStackedWidget(self)
        self.tabs.addTab(self.headers_page, "Headers")
        self.hops_page = QStackedWidget(self)
        self.tabs.addTab(self.hops_page, "Redirects")
        # Cookies tab: per hop, the cookies sent, held back (and why) and set (ui/cookies_view.py)
        self.cookies_page = QStackedWidget(self)
        self.tabs.addTab(self.cookies_page, "Cookies")
        self._waiting: QWidget | None = None  # a sign-in waiting for a person, shown instead of the tabs
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.show_idle()

    # -- parts made on first use -------------------------------------------------------------------------
    image_area: BuiltOnUse[QScrollArea] = BuiltOnUse("_build_image")
    image_label: BuiltOnUse[QLabel] = BuiltOnUse("_build_image")
    hex_view: BuiltOnUse[QPlainTextEdit] = BuiltOnUse("_build_hex")
    large_view: BuiltOnUse[LargeTextView] = BuiltOnUse("_build_large_view")
    raw_view: BuiltOnUse[BodyView] = BuiltOnUse("_build_raw_view")
    raw_large: BuiltOnUse[LargeTextView] = BuiltOnUse("_build_raw_large")
    headers_table: BuiltOnUse[QTableWidget] = BuiltOnUse("_build_headers")
    hops_tree: BuiltOnUse[QTreeWidget] = BuiltOnUse("_build_hops")
    cookies_view: BuiltOnUse[CookiesView] = BuiltOnUse("_build_cookies")

    def _build_image(self) -> None:
        self.image_label = QLabel(self.body_stack)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_area = QScrollArea(self.body_stack)
        self.image_area.setWidget(self.image_label)
        self.image_area.setWidgetResizable(True)
        self.body_stack.addWidget(self.image_area)

    def _build_hex(self) -> None:
        self.hex_view = QPlainTextEdit(self.body_stack)
        self.hex_view.setReadOnly(True)
        self.hex_view.setFont(monospace_font())
        self.hex_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.body_stack.addWidget(self.hex_view)

    def _build_large_view(self) -> None:
        from inspector.ui.body_view import LargeTextView

        self.large_view = view = LargeTextView(self.theme, self.body_stack)
        view.setObjectName("largeBodyView")
        view.text_complete.connect(self._on_text_complete)
        view.lines_wanted.connect(self._on_lines_wanted)
        view.first_screen_painted.connect(self._first_screen_drawn)
        view.find_finished.connect(self._on_find_finished)
        self.body_stack.addWidget(view)

    def _build_raw_view(self) -> None:
        self.raw_view = view = BodyView(self.theme, self.raw_page)
        view.setObjectName("rawView")
        view.setLineWrapMode(self.body_view.lineWrapMode())
        self.raw_page.addWidget(view)
        self._show_raw_page()

    def _build_raw_large(self) -> None:
        from inspector.ui.body_view import LargeTextView

        self.raw_large = view = LargeTextView(self.theme, self.raw_page)
        view.setObjectName("largeRawView")
        view.find_finished.connect(self._on_find_finished)
        self.raw_page.addWidget(view)
        self._show_raw_page()

    def _show_raw_page(self) -> None:
        """The Raw tab shows the view of the body's size (if it was made)."""
        name = "raw_large" if self._large else "raw_view"
        if is_built(self, name):
            self.raw_page.setCurrentWidget(getattr(self, name))

    def _build_headers(self) -> None:
        self.headers_table = table = QTableWidget(0, 2, self.headers_page)
        table.setHorizontalHeaderLabels(["Name", "Value"])
        self._setup_table(table)
        self.headers_page.addWidget(table)

    def _build_hops(self) -> None:
        self.hops_tree = tree = QTreeWidget(self.hops_page)
        tree.setHeaderLabels(["#", "Request", "Status", "Time", "Location", "Note"])
        tree.setRootIsDecorated(False)
        tree.setAlternatingRowColors(True)
        tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.hops_page.addWidget(tree)

    def _build_cookies(self) -> None:
        from inspector.ui.cookies_view import CookiesView

        self.cookies_view = CookiesView(self.view_state, self.cookies_page)
        self.cookies_page.addWidget(self.cookies_view)

    def _text_views(self) -> list[BodyView | LargeTextView]:
        """The body and raw text views made so far."""
        names = ("body_view", "raw_view", "large_view", "raw_large")
        return [getattr(self, n) for n in names if n == "body_view" or is_built(self, n)]

    @staticmethod
    def _setup_table(table: QTableWidget) -> None:
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.setWordWrap(False)

    # -- states ------------------------------------------------------------------------------------------
    def _set_status(self, text: str, status: int | None, pending: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(status_chip_style(self.theme, status, pending))

    def set_notice(self, text: str, error: bool = False, save: bool = False) -> None:
        self.notice_label.setText(text)
        self._notice_error = error
        self.notice_label.setStyleSheet(
            label_color_style(self.theme.error_text if error else self.theme.muted_text))
        self.notice_label.setVisible(bool(text))
        self.save_button.setVisible(save)

    def _known_secrets(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the shown exchange holds that is secret: scrubbed from the status line and notices."""
        return self._secrets.redactor().values(), self._secrets.names

    def _clear_response(self) -> None:
        self._cancel_highlight()
        self.exchange = None
        self.body_info = None
        self.reason_label.clear()
        self.time_label.clear()
        self.size_label.clear()
        self.type_label.clear()
        self.highlight_label.clear()
        if is_built(self, "headers_table"):
            self.headers_table.setRowCount(0)
        if is_built(self, "hops_tree"):
            self.hops_tree.clear()
        self.body_view.begin()
        self.body_view.finish_input()
        if is_built(self, "raw_view"):
            self.raw_view.begin()
            self.raw_view.finish_input()
        if is_built(self, "large_view"):
            self.large_view.clear()
        if is_built(self, "raw_large"):
            self.raw_large.clear()
        self._set_large(False)
        self._raw_text = None
        self._raw_head = ""
        self._raw_job = None
        self.jobs.cancel("raw")
        self._raw_loaded = False
        if is_built(self, "hex_view"):
            self.hex_view.clear()
        if is_built(self, "image_label"):
            self.image_label.clear()
        self.body_stack.setCurrentWidget(self.body_view)
        self.save_body_button.setEnabled(False)
        self.tabs.setTabText(2, "Headers")
        self.tabs.setTabText(3, "Redirects")
        if is_built(self, "cookies_view"):
            self.cookies_view.clear()
        self.tabs.setTabText(COOKIES_TAB, "Cookies")

    def show_waiting(self, panel: QWidget | None) -> None:
        """Show a sign-in's waiting panel (ui/signin_wait.py) in place of the tabs; None: the tabs again."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        if self._waiting is not None and self._waiting is not panel:
            self._waiting.hide()
        self._waiting = panel
        if panel is not None:
            if layout.indexOf(panel) < 0:
                layout.insertWidget(layout.indexOf(self.tabs), panel, 1)
            panel.show()
            self._set_status("Signing in…", None, pending=True)
        self.tabs.setVisible(panel is None)

    def _fill_cookies(self, exchange: Exchange) -> None:
        self.cookies_view.show_exchange(exchange, self._secrets)
        count = self.cookies_view.count
        self.tabs.setTabText(COOKIES_TAB, f"Cookies ({count})" if count else "Cookies")

    def show_idle(self) -> None:
        self._clear_response()
        self._set_status("No response yet", None, pending=True)
        self.elapsed_label.clear()
        self.set_notice("")

    def show_sending(self) -> None:
        self._clear_response()
        self._set_status("Sending…", None, pending=True)
        self.elapsed_label.setText("0.0 s")
        self.set_notice("")

    def update_elapsed(self, seconds: float, received: int | None = None, total: int | None = None) -> None:
        text = f"{seconds:.1f} s"
        if received:
            text += f" · {format_size(received)}"
            if total:
                text += f" of {format_size(total)}"
        self.elapsed_label.setText(text)

    def show_cancelled(self) -> None:
        self._clear_response()
        self._set_status("Cancelled", None, pending=True)
        self.elapsed_label.clear()
        self.set_notice("The request was cancelled; any late answer is ignored.")

    def show_problem(self, message: str) -> None:
        """A failure before anything was sent (bad input is shown under the URL instead)."""
        self._clear_response()
        self._set_status("Not sent", None)
        self.elapsed_label.clear()
        self.set_notice(message, error=True)

    def show_result(self, result: SendResult) -> None:
        """Show one send's result: its exchange, scrubbed of every secret it knows, and its problems."""
        self.show_exchange(result.exchange, secrets=result.shown_secrets(),
                           notes=[p.message for p in result.problems if p.kind != "token"])

    def show_exchange(self, exchange: Exchange, *, secrets: Secrets = NO_SECRETS,
                      notes: Iterable[str] = ()) -> None:
        """Show what came back: the final response or the transport error, hops and headers.

        secrets (the profile's secrets, the credentials sent, the profile's API-key header/query names) are
        masked wherever they turn up, a server echoing them included; notes are sentences the user should read
        (an explanation that failed, a history that could not be written)."""
        self._clear_response()
        from inspector.ui.workers import share_gil_with_ui

        share_gil_with_ui()  # the body's workers are about to run
        self.exchange = exchange
        self._secrets = secrets
        scrub = secrets.scrub
        notes = [scrub(n) for n in notes]
        self.elapsed_label.clear()
        self._fill_hops(exchange)
        self._fill_cookies(exchange)
        response = exchange.response
        if exchange.error is not None:
            self._set_status(f"Error: {exchange.error.kind}", None)
            self.set_notice(" ".join([scrub(exchange.error.message), *notes]), error=True)
            self.time_label.setText(format_duration(exchange.elapsed_s))
            final = exchange.final_hop
            if final is not None and final.response is not None:
                self._fill_headers(final.response)
            return
        if response is None:
            self._set_status("No response", None)
            problem = exchange.token_problem
            said = scrub(problem) if problem else "Nothing came back."
            self.set_notice(" ".join([said, *notes]), error=True)  # masked again by the label
            return
        self._set_status(str(response.status), response.status)
        self.reason_label.setText(response.reason)
        self.time_label.setText(format_duration(exchange.elapsed_s))
        size = format_size(response.body_bytes)
        self.size_label.setText(size if not response.body_truncated else f"{size}+ (over the cap)")
        self.type_label.setText(response.content_type or "no Content-Type")
        self._fill_headers(response)
        self._raw_head = self._message_head(response)
        self.save_body_button.setEnabled(bool(response.body))
        notices = []
        if response.body_truncated or len(response.body) > self.max_body_bytes:
            notices.append(
                f"The body is larger than the {format_size(self.max_body_bytes)} limit, so it was not loaded "
                f"whole: only the first {format_size(len(response.body))} are shown. Use 'Save body to "
                "file…' to get all of it (the request is sent again)."
            )
        notices += notes
        if notices:
            self.set_notice(" ".join(notices), error=False,
                             save=response.body_truncated or len(response.body) > self.max_body_bytes)
        self._load_body(response)

    def set_screen_share_safe(self, on: bool) -> None:
        """Response header values that carry credentials, URLs with secret parameters and secret fields of
        JSON/form bodies (up to the masking limit) are always shown masked here; in safe mode the status line
        and notices are masked strictly (they follow the ViewState themselves)."""
        self.view_state.set_safe(on)

    @property
    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    # -- headers and hops --------------------------------------------------------------------------------
    def _fill_headers(self, response: Response) -> None:
        table = self.headers_table
        table.setRowCount(len(response.headers))
        for row, (name, value) in enumerate(response.headers):
            table.setItem(row, 0, QTableWidgetItem(name))
            table.setItem(row, 1, QTableWidgetItem(
                self._secrets.scrub(mask_header_value(name, value, self._secrets.names))))
        self.tabs.setTabText(2, f"Headers ({len(response.headers)})")

    def _message_head(self, response: Response) -> str:
        """The status line and header lines of the response, credentials masked as in the Headers tab."""
        scrub, names = self._secrets.scrub, self._secrets.names
        lines = [scrub(f"{response.http_version} {response.status} {response.reason}".rstrip())]
        lines += [f"{name}: {scrub(mask_header_value(name, value, names))}"
                  for name, value in response.headers]
        return "\n".join(lines) + "\n\n"

    def _fill_hops(self, exchange: Exchange) -> None:
        self.hops_tree.clear()
        for i, hop in enumerate(exchange.hops, start=1):
            status = str(hop.status) if hop.status is not None else "—"
            if hop.response is not None:
                status += f" {hop.response.reason}"
            notes = []
            if hop.role != "request":
                notes.append(_ROLE_NOTES.get(hop.role, hop.role))
            if hop.credentials_stripped:
                notes.append("removed on origin change: " + ", ".join(hop.credentials_stripped))
            if hop.netrc_applied:
                notes.append(".netrc replaced Authorization")
            scrub, names = self._secrets.scrub, self._secrets.names
            location = scrub(mask_url(hop.location, names)) if hop.location else ""
            item = QTreeWidgetItem([str(i), f"{hop.method} {scrub(mask_url(hop.url, names))}", status,
                                    format_duration(hop.elapsed_s), location, "; ".join(notes)])
            if hop.status is not None:
                item.setForeground(2, self.theme.status_color(hop.status))
            self.hops_tree.addTopLevelItem(item)
        for col in range(self.hops_tree.columnCount()):
            self.hops_tree.resizeColumnToContents(col)
        redirects = max(0, len(exchange.request_hops) - 1)
        self.tabs.setTabText(3, f"Redirects ({redirects})" if redirects else "Redirects")

    # -- body --------------------------------------------------------------------------------------------
    def _reload_body(self) -> None:
        if self.exchange is not None and self.exchange.response is not None:
            self._load_body(self.exchange.response)

    def _cancel_highlight(self) -> int:
        """Stop the body job (its late signals are dropped); the generation the next body job runs as."""
        self._worker = None
        return self.jobs.cancel("body")

    def _current(self, generation: int) -> bool:
        """The one stale rule (jobs.py): a signal of an older body job is ignored."""
        return self.jobs.is_current("body", generation)

    def _set_large(self, large: bool) -> None:
        """Show bodies in the view that draws only the lines on screen (no word wrap there)."""
        self._large = large
        self._show_raw_page()
        shown = self.body_stack.currentWidget()
        if shown is self.body_view or (is_built(self, "large_view") and shown is self.large_view):
            self.body_stack.setCurrentWidget(self.large_view if large else self.body_view)
        self.wrap_check.setToolTip(
            f"Word wrap is off for bodies over {format_size(LARGE_BODY_BYTES)}" if large else "")

    def _load_body(self, response: Response) -> None:
        generation = self._cancel_highlight()
        for view in self._text_views():
            view.begin()
        self._raw_text = None
        self._raw_job = None
        self.jobs.cancel("raw")
        self._raw_loaded = False
        body = response.body[: self.max_body_bytes]
        self._set_large(False)
        if not body:
            self.body_view.set_text_now("")
            self.highlight_label.setText("empty body")
            self._raw_text = ""
            self._on_tab_changed(self.tabs.currentIndex())
            self.body_ready.emit()
            return
        if len(body) > LARGE_BODY_BYTES:
            self._load_large_body(generation, body, response.content_type)
            return
        from inspector.ui.workers import BodyJob, HighlightWorker, prepare_body

        job = BodyJob(generation, body, response.content_type, pretty=self.pretty_check.isChecked(),
                      secret_names=self._secrets.names, secret_values=self._secrets.redactor().values())
        self._raw_job = replace(job, pretty=False, raw_head=self._raw_head)
        if len(body) <= SMALL_BODY_CHARS:
            # small: show it now, so the body is on screen when the response signal is handled; lex it later
            info, prepared = prepare_body(job)
            self._on_info(job.generation, info)
            if prepared is None:
                return
            self.body_view.set_text_now(prepared.shown, prepared.breaks)
            self._raw_text = prepared.raw_shown
            self._on_tab_changed(self.tabs.currentIndex())  # the Raw tab may be the one on screen
            if prepared.lexer is None:
                return
            job = BodyJob(job.generation, b"", job.content_type, prepared=prepared)
        # the same pipeline as a large body's (text pieces with their line index, colours by segment), shown
        # in the view that wraps words
        worker = HighlightWorker(job)
        self._start_worker(worker, (worker.text_piece, self._on_text_piece),
                           (worker.range_chunk, self._on_range_chunk))

    def _load_large_body(self, generation: int, body: bytes, content_type: str | None) -> None:
        """A large body: text and its line index stream into large_view; colours follow what is on screen."""
        if self.wrap_check.isChecked():
            self.set_word_wrap(False)
        self._set_large(True)
        from inspector.ui.workers import BodyJob, HighlightWorker

        job = BodyJob(generation, body, content_type, pretty=self.pretty_check.isChecked(),
                      secret_names=self._secrets.names, secret_values=self._secrets.redactor().values())
        self._raw_job = replace(job, pretty=False, raw_head=self._raw_head)
        worker = HighlightWorker(job)
        self._start_worker(worker, (worker.text_piece, self._on_text_piece),
                           (worker.range_chunk, self._on_range_chunk))

    def _start_worker(self, worker: HighlightWorker, *signals: tuple[Any, Any]) -> None:
        """Connect the signals every body job has plus the given ones, then run the worker off the UI
        thread."""
        queued = Qt.ConnectionType.QueuedConnection  # explicit: these slots must run on the UI thread
        for signal, slot in (
            (worker.info, self._on_info),
            (worker.text_reset, self._on_text_reset),
            (worker.text_done, self._on_text_done),
            *signals,
            (worker.finished, self._on_highlight_finished),
        ):
            signal.connect(slot, queued)
        self._worker = worker
        self.highlight_label.setText("preparing…")
        self.jobs.start("body", lambda _job: worker.run(), cancel=worker.cancel,
                        generation=worker.job.generation)

    @Slot(int, object)
    def _on_text_piece(self, gen: int, piece: TextPiece) -> None:
        if not self._current(gen):
            return
        if self._large:
            self.large_view.append_piece(piece)
            if not self.large_view.isVisible():  # another tab is in front: nothing is drawn to wait for
                self._first_screen_drawn()
        else:
            self.body_view.append_text_piece(piece)
            if piece.whole:
                self.body_view.finish_input()
            # the wrapping view draws on this turn of the event loop: the worker goes on after that
            worker = self._worker
            if worker is not None:
                QTimer.singleShot(0, worker.first_screen_drawn)

    def _on_raw_pieces(self, generation: int, pieces: list[TextPiece]) -> None:
        """The Raw tab's text, indexed off the UI thread (raw_pieces) when the tab was first shown."""
        if not self._current(generation):
            return
        view = self.raw_large if self._large else self.raw_view
        view.begin()
        for piece in pieces:
            if isinstance(view, BodyView):
                view.append_text_piece(piece)
            else:
                view.append_piece(piece)
        view.finish_input()

    @Slot(int, object)
    def _on_range_chunk(self, gen: int, chunk: RangeChunk) -> None:
        if not self._current(gen):
            return
        if self._large:
            self.large_view.add_ranges(chunk)
        else:
            self.body_view.add_chunk(chunk)

    def _on_lines_wanted(self, start: int, end: int) -> None:
        worker = self._worker
        if worker is not None:
            worker.want(start, end)  # a plain attribute write: the worker's thread lexes, it does not wait

    def _first_screen_drawn(self) -> None:
        """The body's first screen was drawn (or nothing will be drawn): its worker goes on (it waits, up to
        HighlightWorker.FIRST_SCREEN_WAIT_S, off the GIL while the UI thread draws)."""
        worker = self._worker
        if worker is not None:
            worker.first_screen_drawn()  # sets an event the worker waits on

    def _on_find_finished(self, found: bool) -> None:
        self._show_find_result(found)

    @Slot(int, object)
    def _on_info(self, gen: int, info: BodyInfo) -> None:
        if not self._current(gen):
            return
        self.body_info = info
        if info.kind == "image" and info.image is not None:
            from PySide6.QtGui import QPixmap

            self.body_stack.setCurrentWidget(self.image_area)
            self.image_label.setPixmap(QPixmap.fromImage(info.image))
            self.highlight_label.setText(
                f"image {info.image.width()}×{info.image.height()}, {format_size(info.size)}")
            self._raw_text = f"[an image of {format_size(info.size)}: see the Body tab]\n"
            self._on_tab_changed(self.tabs.currentIndex())
            self.body_ready.emit()
        elif info.kind == "binary":
            self.body_stack.setCurrentWidget(self.hex_view)
            self.hex_view.setPlainText(info.hex_text)
            self.highlight_label.setText(f"binary, {format_size(info.size)}: hex preview")
            self._raw_text = f"[{format_size(info.size)} of binary data: the Body tab shows it in hex]\n"
            self._on_tab_changed(self.tabs.currentIndex())
            self.body_ready.emit()
        else:
            self.body_stack.setCurrentWidget(self.large_view if self._large else self.body_view)
            if info.size > WRAP_LIMIT_CHARS and self.wrap_check.isChecked():
                self.set_word_wrap(False)
            words = [info.lexer_name or info.syntax]
            if info.pretty:
                words.append("pretty")
            if info.masked:
                words.append("secrets masked")
            if info.highlighted:
                words.append("highlighting…")
            self.highlight_label.setText(" · ".join(words))
            self._on_tab_changed(self.tabs.currentIndex())  # the Raw tab may be the one on screen

    @Slot(int)
    def _on_text_reset(self, gen: int) -> None:
        if self._current(gen):
            (self.large_view if self._large else self.body_view).begin()

    @Slot(int)
    def _on_text_done(self, gen: int) -> None:
        if self._current(gen):
            (self.large_view if self._large else self.body_view).finish_input()

    def _on_text_complete(self) -> None:
        if self.body_info is not None and self.body_info.kind == "text":
            self.body_ready.emit()

    def _load_raw(self) -> None:
        if self._raw_loaded:
            return
        if self._raw_text is not None:  # a small body's, or a word about an image or binary body
            self._raw_loaded = True
            text = self._raw_head + self._raw_text
            if self._large:
                self.raw_large.set_text(text)
                return
            self.raw_view.begin()
            if len(text) <= SMALL_BODY_CHARS:
                self.raw_view.set_text_now(text)
            else:
                self.raw_view.append_piece(text)
                self.raw_view.finish_input()
        elif self._raw_job is not None and self.body_info is not None and self.body_info.kind == "text":
            # decoded and indexed again off the UI thread, only when the tab is shown: the Body tab's worker
            # does not keep a second copy of a large body for a tab that may never be opened
            self._raw_loaded = True
            raw_job = self._raw_job
            generation = raw_job.generation
            from inspector.ui.workers import raw_pieces

            self.jobs.start("raw", lambda job: raw_pieces(raw_job, job.cancel),
                            on_done=lambda pieces: self._on_raw_pieces(generation, pieces))

    def _on_tab_changed(self, _index: int) -> None:
        page = self.tabs.currentWidget()
        if page is self.raw_page:
            _ = self.raw_large if self._large else self.raw_view  # made when first shown
            self._load_raw()
        elif page is self.headers_page:
            _ = self.headers_table
        elif page is self.hops_page:
            _ = self.hops_tree
        elif page is self.cookies_page:
            _ = self.cookies_view

    @Slot(int, object)
    def _on_highlight_finished(self, gen: int, stats: BodyStats) -> None:
        if not self._current(gen):
            return
        self._worker = None
        self.last_stats = stats
        (self.large_view if self._large else self.body_view).highlight_finished()
        info = self.body_info
        if info is not None and info.kind == "text":
            words = [info.lexer_name or info.syntax]
            if info.pretty:
                words.append("pretty")
            if info.masked:
                words.append("secrets masked")
            if stats.broken_lines:
                words.append("long lines broken for display")
            self.highlight_label.setText(" · ".join(words))
        self.highlight_done.emit(stats)

    # -- view options, find, save ------------------------------------------------------------------------
    def set_word_wrap(self, on: bool) -> None:
        """Wrap long lines. Not for huge bodies: re-wrapping relays out every line on the UI thread."""
        if on and self._large:
            on = False
            self.highlight_label.setText(
                f"Word wrap is not available for bodies over {format_size(LARGE_BODY_BYTES)}: they are shown "
                "in a view that draws only the lines on screen, without wrapping.")
        elif on and max(len(self.body_view.full_text()), len(self._raw_text or "")) > WRAP_LIMIT_CHARS:
            on = False
            self.highlight_label.setText(
                f"Word wrap is not available for bodies over {format_size(WRAP_LIMIT_CHARS)}: "
                "it would freeze the window while every line is laid out again.")
        mode = QPlainTextEdit.LineWrapMode.WidgetWidth if on else QPlainTextEdit.LineWrapMode.NoWrap
        self.body_view.setLineWrapMode(mode)
        if is_built(self, "raw_view"):  # else made with the body view's mode
            self.raw_view.setLineWrapMode(mode)
        with QSignalBlocker(self.wrap_check):
            self.wrap_check.setChecked(on)

    def current_text_view(self) -> BodyView | LargeTextView:
        """The text view on the current tab (Body unless Raw is shown): a BodyView, or a LargeTextView."""
        if self.tabs.currentWidget() is self.raw_page:
            return self.raw_large if self._large else self.raw_view
        return self.large_view if self._large else self.body_view

    def open_find(self) -> None:
        if self.tabs.currentWidget() is not self.raw_page:
            self.tabs.setCurrentIndex(0)
        self.find_bar.show()
        self.find_bar.field.setFocus()
        self.find_bar.field.selectAll()

    def close_find(self) -> None:
        self.find_bar.hide()
        self.current_text_view().setFocus()

    def find_next(self) -> bool:
        return self._find(backward=False)

    def find_previous(self) -> bool:
        return self._find(backward=True)

    def _find(self, backward: bool) -> bool:
        text = self.find_bar.field.text()
        if not text:
            self.open_find()
            return False
        found = self.current_text_view().find_text(text, backward, self.find_bar.case.isChecked())
        if found is None:  # a large body searched in steps: find_finished will tell
            self.find_bar.result.setText("Searching…")
            return False
        self._show_find_result(found)
        return found

    def _find_key(self) -> tuple[object, ...]:
        """What a match count depends on: the view, its text, the search and its options."""
        view = self.current_text_view()
        return (id(view), self.jobs.generation("body"), len(view.full_text()), self.find_bar.field.text(),
                self.find_bar.case.isChecked())

    def _show_find_result(self, found: bool) -> None:
        """'3 of 17' after a match (the matches counted off the UI thread the first time); else 'Not
        found'."""
        result = self.find_bar.result
        if not found:
            result.setText("Not found")
            return
        key = self._find_key()
        if self._matches is not None and self._matches[0] == key:
            result.setText(self._matches[1].describe(self._selection_start()))
            return
        result.setText("")
        view = self.current_text_view()
        text, needle, case = view.full_text(), self.find_bar.field.text(), self.find_bar.case.isChecked()
        from inspector.core.textfind import find_all

        self.jobs.start("count", lambda job: find_all(text, needle, case, cancel=job.cancel),
                        on_done=lambda matches: self._on_counted(key, matches))

    def _on_counted(self, key: tuple[object, ...], matches: Matches) -> None:
        self._matches = (key, matches)
        if key == self._find_key() and self.find_bar.result.text() == "":
            self.find_bar.result.setText(matches.describe(self._selection_start()))

    def _selection_start(self) -> int:
        """Where the selected match begins in the text, as a Python str offset."""
        view = self.current_text_view()
        if not isinstance(view, BodyView):
            return view.selection()[0]
        start = view.textCursor().selectionStart()  # UTF-16 units: they differ after a non-BMP character
        text = view.full_text()
        if text.isascii():
            return start
        return len(text.encode("utf-16-le")[: 2 * start].decode("utf-16-le", "ignore"))

    def body_text(self) -> str:
        """The text shown in the body view (pretty-printed when it could be)."""
        return self.large_view.full_text() if self._large else self.body_view.full_text()

    def save_body_to(self, path: str | Path) -> int:
        """Write the received body bytes to a file; returns the byte count."""
        response = self.exchange.response if self.exchange else None
        data = response.body if response is not None else b""
        Path(path).write_bytes(data)
        return len(data)

    save_requested = Signal(str)  # a path: the window sends the request again, streaming the body there
    body_saved = Signal(str)  # the notice after saving the body in the background (saved, or why not)

    def choose_save_path(self) -> None:
        response = self.exchange.response if self.exchange else None
        if response is None:
            return
        from PySide6.QtWidgets import QFileDialog  # its enums are made on first use, not with the empty pane

        path, _ = QFileDialog.getSaveFileName(self, "Save body", "response-body")
        if not path:
            return
        if response.body_truncated:
            self.save_requested.emit(path)
        else:
            self.save_in_background(path)

    def save_in_background(self, path: str) -> None:
        """Write the body (up to the cap, 100 MB) as a job: the window stays responsive."""
        data = self.exchange.response.body if self.exchange and self.exchange.response else b""
        self.set_notice(f"Saving {format_size(len(data))} to {path}…")

        def write(_job: Job[int]) -> int:
            Path(path).write_bytes(data)
            return len(data)

        self.jobs.start("save", write, on_done=lambda size: self._on_saved(path, size, None),
                        on_failed=lambda exc: self._on_saved(path, len(data), exc))

    def _on_saved(self, path: str, size: int, problem: BaseException | None) -> None:
        if problem is not None:
            reason = problem.strerror if isinstance(problem, OSError) and problem.strerror else str(problem)
            self.set_notice(f"The body could not be saved to {path}: {reason}.", error=True)
        else:
            self.set_notice(f"Saved {format_size(size)} to {path}.")
        self.body_saved.emit(self.notice_label.text())

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for view in self._text_views():
            view.set_theme(theme)
        self.notice_label.setStyleSheet(
            label_color_style(theme.error_text if self._notice_error else theme.muted_text))
        status = self.exchange.response.status if self.exchange and self.exchange.response else None
        self.status_label.setStyleSheet(status_chip_style(theme, status, pending=self.exchange is None))

    def shutdown(self) -> None:
        """Cancel the body and save jobs, not waiting for their threads (the tab closes; JobRunner.close), and
        a find going on in steps (its end would start a job)."""
        self._cancel_highlight()
        for name in ("large_view", "raw_large"):
            if is_built(self, name):
                getattr(self, name).cancel_find()
        self.jobs.close()

