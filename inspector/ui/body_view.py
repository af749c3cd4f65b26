"""A read-only text view for bodies of many megabytes: it draws only the lines on screen.

QPlainTextEdit keeps a QTextDocument, and putting 15 MB into one holds the UI thread (and the GIL) for
seconds. Here the text stays a Python str (or its pieces while it streams in) with a line-start index built
by the worker; paintEvent slices out the visible lines and draws them with QPainter in per-range colours, so
the cost of every step on the UI thread depends on the screen, never on the size of the body.
"""

from __future__ import annotations

import re
import time
from array import array
from bisect import bisect_right
from collections.abc import Generator, Iterator, Sequence
from math import ceil

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget

from inspector.core.style_keys import STYLE_KEYS
from inspector.ui.theme import Theme, is_dark, monospace_font
from inspector.ui.workers import LINE_TYPECODE, RangeChunk, TextPiece

# Control characters are drawn as spaces: a font's box glyph would not be one column wide.
_DRAWABLE = {c: " " for c in (*range(32), 127)}
_WORD = re.compile(r"\w+")
FIND_STEP_S = 0.03  # the longest stretch one find step may take on the UI thread
FIND_WINDOW = 2 * 1024 * 1024  # characters searched per call into str.find / re


class RangeStore:
    """Style ranges by display offset, arriving as chunks in any order (the worker lexes what is on screen
    first); each chunk covers [lexed_from, lexed_to) and chunks never overlap."""

    def __init__(self) -> None:
        self.froms: list[int] = []
        self.chunks: list[RangeChunk] = []
        self.covered: list[list[int]] = []  # merged [from, to) intervals, sorted
        self.count = 0

    def add(self, chunk: RangeChunk) -> None:
        i = bisect_right(self.froms, chunk.lexed_from)
        self.froms.insert(i, chunk.lexed_from)
        self.chunks.insert(i, chunk)
        self.count += len(chunk)
        a, b = chunk.lexed_from, chunk.lexed_to
        cov = self.covered
        j = bisect_right(cov, [a, b])
        if j > 0 and cov[j - 1][1] >= a:  # touches the interval before
            j -= 1
            cov[j][1] = max(cov[j][1], b)
        else:
            cov.insert(j, [a, b])
        while j + 1 < len(cov) and cov[j + 1][0] <= cov[j][1]:
            cov[j][1] = max(cov[j][1], cov.pop(j + 1)[1])

    def covers(self, start: int, end: int) -> bool:
        """Whether every offset in [start, end) has been lexed."""
        if end <= start:
            return True
        j = bisect_right(self.covered, [start, 1 << 62]) - 1
        return j >= 0 and self.covered[j][0] <= start and self.covered[j][1] >= end

    def within(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """(start, end, key index) of the ranges overlapping [start, end), clipped to it, in order."""
        out: list[tuple[int, int, int]] = []
        i = max(0, bisect_right(self.froms, start) - 1)
        chunks = self.chunks
        while i < len(chunks) and chunks[i].lexed_from < end:
            c = chunks[i]
            i += 1
            if c.lexed_to <= start or not len(c):
                continue
            offsets, lengths, keys = c.offsets, c.lengths, c.keys  # offsets from c.lexed_from
            base = c.lexed_from
            rel_start, rel_end = start - base, end - base
            k = bisect_right(offsets, rel_start) - 1
            if k < 0 or offsets[k] + lengths[k] <= rel_start:
                k += 1
            n = len(offsets)
            while k < n and offsets[k] < rel_end:
                s = base + offsets[k]
                out.append((max(s, start), min(s + lengths[k], end), keys[k]))
                k += 1
        return out


# A blank stretch of a colour layer costs about what its characters would (drawText shapes the spaces too),
# a call about twenty characters: past this many blank columns a layer is cut in two calls.
LAYER_GAP = 20


def colour_layers(window: str, offset: int, ranges: list[tuple[int, int, int]]) -> list[tuple[int, int, str]]:
    """The text of a window of a line (starting at `offset`) split by colour: (key index, or -1 for plain
    text; the column the layer starts at; its text, every column of another colour blank). Drawn on top of
    each other they are the line; ranges are (start, end, key) in text offsets, ordered, within the window.
    A key may have several layers when its runs are far apart."""
    if not ranges:
        return [(-1, 0, window)]
    out: list[tuple[int, int, str]] = []
    open_layers: dict[int, tuple[int, list[str]]] = {}  # key: (first column, text parts)
    ends: dict[int, int] = {}  # where each open layer's text reaches (window columns)

    def put(key: int, s: int, e: int) -> None:
        layer = open_layers.get(key)
        if layer is not None and s - ends[key] <= LAYER_GAP:
            layer[1].append(" " * (s - ends[key]))
            layer[1].append(window[s:e])
        else:
            if layer is not None:
                out.append((key, layer[0], "".join(layer[1])))
            open_layers[key] = (s, [window[s:e]])
        ends[key] = e

    pos = 0
    for start, end, key in ranges:
        s, e = start - offset, end - offset
        if s > pos:
            put(-1, pos, s)
        put(key, s, e)
        pos = e
    if pos < len(window):
        put(-1, pos, len(window))
    out.extend((key, first, "".join(parts)) for key, (first, parts) in open_layers.items())
    return out


def visible_columns(x0: float, gutter: float, width: float, advance: float) -> tuple[int, int]:
    """[first, end) columns of a line of one-column characters that can show between the gutter and the
    right edge, when column 0 is drawn at x0 (one column of slack on each side)."""
    return max(0, int((gutter - x0) / advance) - 1), max(0, int((width - x0) / advance) + 2)


class LargeTextView(QAbstractScrollArea):
    """Read-only, virtualized text: text and ranges stream in; only the visible lines are ever laid out.

    Offsets are Python str offsets. The vertical scroll bar counts lines, the horizontal one pixels.
    """

    first_screen_shown = Signal()  # enough lines to fill the view have arrived (or all of them)
    first_screen_painted = Signal()  # text was drawn for the first time since begin()
    text_complete = Signal()  # finish_input(): every piece has arrived
    highlight_applied = Signal()  # colours were painted for lines on screen
    lines_wanted = Signal(int, int)  # display offsets on screen that have no colours yet
    find_finished = Signal(bool)  # a find that did not end within FIND_STEP_S ended (found or not)
    selection_changed = Signal()

    PAD = 6  # pixels between the gutter and the text

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.setFont(monospace_font())
        self._line_numbers = True
        self._pieces: list[str] = []
        self._piece_starts: list[int] = []
        self._length = 0
        self._joined: str | None = None
        self._folded: str | None = None
        self._lines = array(LINE_TYPECODE, [0])
        self._longest = 0
        self._input_done = True
        self._first_screen = False
        self._painted_text = False
        self._ranges = RangeStore()
        self._highlight_done = False
        self._colours_new = False
        self._last_wanted: tuple[int, int] | None = None
        self._anchor = 0
        self._cursor = 0
        self._goal_x: float | None = None
        self._dragging = False
        self._find_needle = ""
        self._find_case = False
        self._match_len = 0
        self._drag_point = QPointF()
        self._search: Iterator[int | None] | None = None
        self._search_timer = QTimer(self)
        self._search_timer.setInterval(0)
        self._search_timer.timeout.connect(self._search_some)
        self._drag_timer = QTimer(self)
        self._drag_timer.setInterval(50)
        self._drag_timer.timeout.connect(self._drag_scroll)
        self._apply_font()

    # -- font and geometry -------------------------------------------------------------------------------
    def _apply_font(self) -> None:
        font = self.font()
        self._font = QFont(font)
        # Latin text needs no shaping (no ligatures or kerning in a monospace font): skipping it makes each
        # drawText about a fifth cheaper; scripts that need shaping still get it
        self._font.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
        self._bold = QFont(self._font)
        self._bold.setWeight(QFont.Weight.DemiBold)
        fm = QFontMetricsF(font)
        self._fm = fm
        self._adv = fm.horizontalAdvance("M") or 8.0
        # one-colour layers of a line are drawn as whole strings: only when bold text keeps the columns
        bold_adv = QFontMetricsF(self._bold).horizontalAdvance("M" * 10)
        self._bold_same = abs(bold_adv - fm.horizontalAdvance("M" * 10)) < 0.01
        self._line_h = max(1, ceil(fm.lineSpacing()))
        self._ascent = fm.ascent()
        self.horizontalScrollBar().setSingleStep(max(1, int(self._adv * 4)))
        self._update_scrollbars()

    def setFont(self, font: QFont | str | Sequence[str]) -> None:  # QWidget's signature: families allowed
        super().setFont(font)
        if hasattr(self, "_fm"):
            self._apply_font()

    def set_line_numbers(self, on: bool) -> None:
        self._line_numbers = on
        self._update_scrollbars()
        self.viewport().update()

    def _gutter_width(self) -> float:
        if not self._line_numbers:
            return 0.0
        return self._adv * (max(4, len(str(len(self._lines)))) + 1)

    def _text_x0(self) -> float:
        return self._gutter_width() + self.PAD - self.horizontalScrollBar().value()

    def visible_line_count(self) -> int:
        """Whole lines that fit in the viewport."""
        return max(1, self.viewport().height() // self._line_h)

    def _update_scrollbars(self) -> None:
        vbar = self.verticalScrollBar()
        page = self.visible_line_count()
        vbar.setPageStep(page)
        vbar.setSingleStep(1)
        vbar.setRange(0, max(0, len(self._lines) - page))
        hbar = self.horizontalScrollBar()
        width = self.viewport().width()
        content = self._gutter_width() + 2 * self.PAD + self._longest * self._adv
        hbar.setPageStep(max(1, width))
        hbar.setRange(0, max(0, ceil(content - width)))

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        """A scroll bar moved (dy in lines, dx in pixels). A vertical move of less than a screen (the wheel, a
        scroll bar's arrow) moves the pixels already drawn and paints only the lines that come into view, as
        QPlainTextEdit does; anything else paints the view again."""
        if dx == 0 and 0 < abs(dy) < self.visible_line_count():
            self.viewport().scroll(0, dy * self._line_h)
        else:
            self.viewport().update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scrollbars()
        self._maybe_first_screen()

    # -- loading text ------------------------------------------------------------------------------------
    def begin(self) -> None:
        """Forget the text, ranges, selection and search; pieces will follow."""
        self._pieces = []
        self._piece_starts = []
        self._length = 0
        self._joined = None
        self._folded = None
        self._lines = array(LINE_TYPECODE, [0])
        self._longest = 0
        self._input_done = False
        self._first_screen = False
        self._painted_text = False
        self._ranges = RangeStore()
        self._highlight_done = False
        self._last_wanted = None
        self._anchor = self._cursor = 0
        self._goal_x = None
        self.cancel_find()
        self.verticalScrollBar().setValue(0)
        self.horizontalScrollBar().setValue(0)
        self._update_scrollbars()
        self.viewport().update()

    def clear(self) -> None:
        """Empty, with nothing to come (no signals)."""
        self.begin()
        self._input_done = True
        self._first_screen = True

    def append_piece(self, piece: TextPiece) -> None:
        """Add the next piece of text (O(piece lines): its line index was built by the worker).

        A piece with `whole` set is the complete text: it replaces what came before (the start of the same
        text), keeping the colours, the selection and the scroll position.
        """
        if piece.whole and piece.start == 0:
            if len(piece.text) < self._length:
                self.begin()
            self._pieces = [piece.text] if piece.text else []
            self._piece_starts = [0] if piece.text else []
            self._length = len(piece.text)
            self._joined = piece.text
            self._folded = None
            self._lines = array(LINE_TYPECODE, [0])
            self._lines.extend(piece.line_starts)
            self._longest = piece.longest
            self._update_scrollbars()
            self.viewport().update()
            self._maybe_first_screen()
            self.finish_input()
            return
        if piece.start != self._length:
            raise ValueError(f"A text piece starting at {piece.start} does not follow the {self._length} "
                             "characters already shown; pieces must arrive in order.")
        if piece.text:
            self._pieces.append(piece.text)
            self._piece_starts.append(piece.start)
            self._length += len(piece.text)
            self._joined = None
            self._folded = None
            gutter = self._gutter_width()
            self._lines.extend(piece.line_starts)
            self._longest = max(self._longest, piece.longest)
            self._update_scrollbars()
            first = self.verticalScrollBar().value()
            if len(self._lines) - len(piece.line_starts) <= first + self.visible_line_count() + 1 \
                    or self._gutter_width() != gutter:
                self.viewport().update()  # the new lines are (partly) on screen, or the line numbers widened
        self._maybe_first_screen()

    def set_text(self, text: str) -> None:
        """Show a whole text at once (indexing it here: meant for texts of a few megabytes at most)."""
        from inspector.ui.workers import LineIndexer

        self.begin()
        self.append_piece(LineIndexer().feed(text, whole=True))

    def finish_input(self) -> None:
        self._input_done = True
        self.viewport().update()  # the next paint asks for the colours of what is on screen (lines_wanted)
        if not self._first_screen:
            self._first_screen = True
            self.first_screen_shown.emit()
        self.text_complete.emit()

    def _maybe_first_screen(self) -> None:
        if not self._first_screen and len(self._lines) > self.visible_line_count():
            self._first_screen = True
            self.first_screen_shown.emit()

    @property
    def loading(self) -> bool:
        return not self._input_done

    # -- text access -------------------------------------------------------------------------------------
    def line_count(self) -> int:
        return len(self._lines)

    def text_length(self) -> int:
        return self._length

    def line_bounds(self, line: int) -> tuple[int, int]:
        """[start, end) of a line's text, without its newline (a line broken for display has none: the next
        one starts right after it)."""
        lines = self._lines
        start = lines[line]
        if line + 1 >= len(lines):
            return start, self._length
        end = lines[line + 1]
        return start, end - 1 if self.text_range(end - 1, end) == "\n" else end

    def line_of(self, offset: int) -> int:
        return max(0, bisect_right(self._lines, offset) - 1)

    def text_range(self, start: int, end: int) -> str:
        """text[start:end] without joining the pieces."""
        start = max(0, start)
        end = min(end, self._length)
        if end <= start:
            return ""
        if self._joined is not None:
            return self._joined[start:end]
        i = bisect_right(self._piece_starts, start) - 1
        out = []
        while start < end:
            base = self._piece_starts[i]
            piece = self._pieces[i]
            part = piece[start - base : end - base]
            out.append(part)
            start += len(part)
            i += 1
        return "".join(out)

    def line_text(self, line: int) -> str:
        return self.text_range(*self.line_bounds(line))

    def full_text(self) -> str:
        """All the text given so far (joined once, then cached)."""
        if self._joined is None:
            self._joined = "".join(self._pieces)
            self._pieces = [self._joined] if self._joined else []
            self._piece_starts = [0] if self._joined else []
        return self._joined

    def toPlainText(self) -> str:  # QPlainTextEdit's name: both body views read alike
        return self.full_text()

    # -- highlighting ------------------------------------------------------------------------------------
    def add_ranges(self, chunk: RangeChunk) -> None:
        self._ranges.add(chunk)
        a, b = self._visible_span()
        if chunk.lexed_from < b and chunk.lexed_to > a:
            self._colours_new = True
            self.viewport().update()

    def highlight_finished(self) -> None:
        self._highlight_done = True

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.viewport().update()

    def formats_at(self, line: int) -> list[tuple[int, int, str]]:
        """(column, length, colour) of the coloured runs of a line: for tests and the benchmark."""
        start, end = self.line_bounds(line)
        syntax = self.theme.syntax
        return [(s - start, e - s, syntax.get(STYLE_KEYS[k], syntax["name"]))
                for s, e, k in self._ranges.within(start, end)]

    def is_coloured(self, line: int) -> bool:
        """Whether the lexer has been over all of a line."""
        return self._ranges.covers(*self.line_bounds(line))

    # -- selection and clipboard -------------------------------------------------------------------------
    def selection(self) -> tuple[int, int]:
        """(start, end) offsets of the selection; equal when nothing is selected."""
        return min(self._anchor, self._cursor), max(self._anchor, self._cursor)

    def cursor_position(self) -> int:
        return self._cursor

    def set_selection(self, anchor: int, position: int) -> None:
        """Select [anchor, position) (either order); the cursor goes to `position`, scrolled into view."""
        self._anchor = min(max(0, anchor), self._length)
        self._cursor = min(max(0, position), self._length)
        self._goal_x = None
        self.ensure_visible(self._cursor)
        self.viewport().update()
        self.selection_changed.emit()

    def selected_text(self) -> str:
        return self.text_range(*self.selection())

    def select_all(self) -> None:
        self._anchor = 0
        self._cursor = self._length
        self.viewport().update()
        self.selection_changed.emit()

    def copy(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def first_visible_line(self) -> int:
        return self.verticalScrollBar().value()

    def scroll_to_line(self, line: int) -> None:
        self.verticalScrollBar().setValue(line)

    def ensure_visible(self, offset: int) -> None:
        """Scroll so the character at `offset` is on screen (centred vertically when it was far away)."""
        line = self.line_of(offset)
        vbar = self.verticalScrollBar()
        page = self.visible_line_count()
        if line < vbar.value() or line >= vbar.value() + page:
            far = line < vbar.value() - page or line >= vbar.value() + 2 * page
            vbar.setValue(line - page // 2 if far else (line if line < vbar.value() else line - page + 1))
        start, _ = self.line_bounds(line)
        x = self._x_in_line(self.text_range(start, offset), offset - start)
        hbar = self.horizontalScrollBar()
        visible_w = self.viewport().width() - self._gutter_width() - 2 * self.PAD
        if x < hbar.value():
            hbar.setValue(int(max(0.0, x - visible_w / 3)))
        elif x > hbar.value() + visible_w:
            hbar.setValue(int(x - visible_w * 2 / 3))

    # -- find --------------------------------------------------------------------------------------------
    def find_text(self, needle: str, backward: bool = False, case_sensitive: bool = False) -> bool | None:
        """Select the next (or previous) match after the selection, wrapping around.

        True or False when the search ended within FIND_STEP_S; None when it goes on in steps from a timer
        (non-ASCII text searched case-insensitively), and find_finished tells how it ended.
        """
        self.cancel_find()
        self._find_needle = needle
        self._find_case = case_sensitive
        self.viewport().update()  # matches on screen are marked
        if not needle:
            return False
        sel_start, sel_end = self.selection()
        self._search = self._search_steps(needle, backward, case_sensitive, sel_start, sel_end)
        result = self._search_some(report=False)
        if result is None:
            self._search_timer.start()
        return result

    def cancel_find(self) -> None:
        """Stop a find going on in steps: find_finished will not come."""
        self._search_timer.stop()
        self._search = None

    def _search_some(self, report: bool = True) -> bool | None:
        search = self._search
        if search is None:
            self._search_timer.stop()
            return None
        deadline = time.perf_counter() + FIND_STEP_S
        for found in search:
            if found is not None:
                self._search = None
                self._search_timer.stop()
                if found >= 0:
                    self.set_selection(found, found + self._match_len)
                if report:
                    self.find_finished.emit(found >= 0)
                return found >= 0
            if time.perf_counter() >= deadline:
                return None
        return None

    def _search_steps(self, needle: str, backward: bool, case: bool, sel_start: int,
                      sel_end: int) -> Iterator[int | None]:
        """Yields None after each window searched, then the match offset (or -1)."""
        text = self.full_text()
        n = len(text)
        pattern: re.Pattern[str] | None = None
        if case:
            hay, sought = text, needle
        elif text.isascii() and needle.isascii():
            if self._folded is None:
                self._folded = text.lower()  # ~10 ms for 25 MB; positions agree because ASCII keeps lengths
                yield None
            hay, sought = self._folded, needle.lower()
        else:
            hay, sought = text, needle
            pattern = re.compile(re.escape(needle), re.IGNORECASE)
        self._match_len = len(sought)
        overlap = len(sought) * (1 if pattern is None else 3) + 8
        if backward:
            spans = [(0, sel_start), (0, n)]
        else:
            spans = [(sel_end, n), (0, n)]
        for lo, hi in spans:
            found = yield from self._search_span(hay, sought, pattern, lo, hi, backward, overlap)
            if found >= 0:
                yield found
                return
        yield -1

    def _search_span(self, hay: str, sought: str, pattern: re.Pattern[str] | None, lo: int, hi: int,
                     backward: bool, overlap: int) -> Generator[None, None, int]:
        """Search hay[lo:hi] a window at a time (yielding between windows); returns the offset (or -1)."""
        if backward:
            top = hi
            while top > lo:
                bottom = max(lo, top - FIND_WINDOW)
                if pattern is None:
                    found = hay.rfind(sought, bottom, top)
                else:
                    found = -1
                    for m in pattern.finditer(hay, bottom, top):
                        found = m.start()
                        self._match_len = m.end() - m.start()
                if found >= 0:
                    return found
                yield None
                if bottom == lo:
                    break
                top = min(top - 1, bottom + overlap)
            return -1
        start = lo
        while start < hi:
            stop = min(hi, start + FIND_WINDOW)
            if pattern is None:
                found = hay.find(sought, start, stop)
            else:
                hit = pattern.search(hay, start, stop)
                found = hit.start() if hit else -1
                if hit:
                    self._match_len = hit.end() - hit.start()
            if found >= 0:
                return found
            yield None
            if stop == hi:
                break
            start = max(start + 1, stop - overlap)
        return -1

    def _visible_matches(self, start: int, end: int) -> list[tuple[int, int]]:
        needle = self._find_needle
        if not needle or end <= start:
            return []
        text = self.text_range(start, end)
        if self._find_case:
            pattern = re.compile(re.escape(needle))
        else:
            pattern = re.compile(re.escape(needle), re.IGNORECASE)
        return [(start + m.start(), start + m.end()) for m in pattern.finditer(text)]

    # -- painting ----------------------------------------------------------------------------------------
    def _visible_lines(self) -> tuple[int, int]:
        first = self.verticalScrollBar().value()
        count = self.viewport().height() // self._line_h + 2
        return first, min(len(self._lines), first + count)

    def _visible_span(self) -> tuple[int, int]:
        first, last = self._visible_lines()
        if last <= first:
            return 0, 0
        return self._lines[first], self.line_bounds(last - 1)[1]

    def _x_in_line(self, prefix: str, column: int) -> float:
        """Pixels from the start of a line to a column, given the line's text up to it."""
        if prefix.isascii():
            return column * self._adv
        return self._fm.horizontalAdvance(prefix.translate(_DRAWABLE))

    def _column_at_x(self, line_text: str, x: float) -> int:
        if x <= 0:
            return 0
        if line_text.isascii():
            return min(len(line_text), int(x / self._adv + 0.5))
        lo, hi = 0, len(line_text)
        while lo < hi:  # the first column whose left edge is past x, minus the nearer side
            mid = (lo + hi) // 2
            if self._x_in_line(line_text[:mid], mid) < x:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0:
            left = self._x_in_line(line_text[: lo - 1], lo - 1)
            right = self._x_in_line(line_text[:lo], lo)
            if x - left < right - x:
                lo -= 1
        return min(lo, len(line_text))

    def paintEvent(self, event: QPaintEvent) -> None:
        vp = self.viewport()
        painter = QPainter(vp)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.Base))
        first, last = self._visible_lines()
        gutter = self._gutter_width()
        x0 = self._text_x0()
        width = vp.width()
        lh = self._line_h
        adv = self._adv
        # the lines the paint's rectangle touches (a line more each side for glyphs that reach past theirs):
        # after a scroll by a few lines only those that came into view are drawn (scrollContentsBy)
        rect = event.rect()
        top = min(last, first + max(0, rect.top() // lh - 1))
        bottom = min(last, first + rect.bottom() // lh + 2)
        if last > first:
            span_a, span_b = self._visible_span()
            coloured = False
            if not self._ranges.covers(span_a, span_b) and self._input_done:
                wanted = (span_a, span_b)
                if wanted != self._last_wanted:
                    self._last_wanted = wanted
                    self.lines_wanted.emit(span_a, span_b)
            matches = self._visible_matches(self._lines[top], self.line_bounds(bottom - 1)[1]) if bottom > top else []
            sel_a, sel_b = self.selection()
            text_colour = palette.color(QPalette.ColorRole.Text)
            colours = [QColor(self.theme.syntax.get(k, self.theme.syntax["name"])) for k in STYLE_KEYS]
            bold = [k in self.theme.bold_keys for k in STYLE_KEYS]
            select_bg = palette.color(QPalette.ColorRole.Highlight)
            select_bg.setAlpha(110)
            match_bg = QColor("#8a6d00" if is_dark(palette) else "#ffe27a")
            # the columns that can be on screen, for lines of one-column characters (nearly all of them)
            col_lo, col_hi = visible_columns(x0, gutter, width, adv)
            m = 0
            painter.setFont(self._font)
            current_font_bold = False
            for line in range(top, bottom):
                a, b = self.line_bounds(line)
                y = (line - first) * lh
                text = self.text_range(a, b)
                simple = text.isascii()
                lo, hi = (col_lo, min(len(text), col_hi)) if simple else (0, len(text))

                def x_at(col: int, text: str = text, simple: bool = simple) -> float:
                    return x0 + (col * adv if simple else self._x_in_line(text[:col], col))

                # backgrounds: find matches, then the selection (with the newline when it is selected)
                while m < len(matches) and matches[m][1] <= a:
                    m += 1
                k = m
                while k < len(matches) and matches[k][0] <= b:
                    s, e = max(matches[k][0], a), min(matches[k][1], b)
                    if e > s:
                        painter.fillRect(QRectF(x_at(s - a), y, x_at(e - a) - x_at(s - a), lh), match_bg)
                    k += 1
                if sel_b > sel_a and sel_a <= b and sel_b > a:
                    s, e = max(sel_a, a), min(sel_b, b)
                    right = x_at(e - a) + (adv if sel_b > b else 0)
                    painter.fillRect(QRectF(x_at(s - a), y, right - x_at(s - a), lh), select_bg)
                # text: plain runs between coloured ones, for the columns on screen only (a line broken for
                # display is 4,000 characters and a thousand ranges, of which a hundred columns show)
                baseline = y + self._ascent
                pos = a + lo
                end = a + hi
                ranges = self._ranges.within(pos, end)
                coloured = coloured or bool(ranges)
                if simple and self._bold_same and end > pos:
                    # one drawText per colour for the line, its other columns blank: a line of a one-line
                    # body has a hundred runs on screen, and a call per run made a frame take 25 ms
                    window = text[pos - a : end - a].translate(_DRAWABLE)
                    x = x_at(pos - a)
                    for key, column, layer in colour_layers(window, pos, ranges):
                        want_bold = key >= 0 and bold[key]
                        if want_bold != current_font_bold:
                            painter.setFont(self._bold if want_bold else self._font)
                            current_font_bold = want_bold
                        painter.setPen(colours[key] if key >= 0 else text_colour)
                        painter.drawText(QPointF(x + column * adv, baseline), layer)
                    continue
                r = 0
                while pos < end:
                    if r < len(ranges) and ranges[r][0] <= pos:
                        run_end = min(ranges[r][1], end)
                        key = ranges[r][2]
                        colour, want_bold = colours[key], bold[key]
                    else:
                        run_end = min(ranges[r][0], end) if r < len(ranges) else end
                        colour, want_bold = text_colour, False
                    if want_bold != current_font_bold:
                        painter.setFont(self._bold if want_bold else self._font)
                        current_font_bold = want_bold
                    painter.setPen(colour)
                    run = text[pos - a : run_end - a].translate(_DRAWABLE)
                    painter.drawText(QPointF(x_at(pos - a), baseline), run)
                    pos = run_end
                    if r < len(ranges) and ranges[r][1] <= pos:
                        r += 1
            if current_font_bold:
                painter.setFont(self._font)
            # the caret
            if self.hasFocus():
                line = self.line_of(self._cursor)
                if first <= line < last:
                    a, _ = self.line_bounds(line)
                    x = x0 + self._x_in_line(self.text_range(a, self._cursor), self._cursor - a)
                    if x >= gutter:
                        painter.fillRect(QRectF(x, (line - first) * lh, 1.5, lh), text_colour)
            if coloured and self._colours_new:
                self._colours_new = False
                QTimer.singleShot(0, self, self.highlight_applied.emit)  # not once the view is deleted
            if self._length and not self._painted_text:
                self._painted_text = True
                self.first_screen_painted.emit()
        if gutter:
            gutter_bg = palette.color(QPalette.ColorRole.AlternateBase)
            painter.fillRect(QRectF(0, 0, gutter, vp.height()), gutter_bg)
            painter.setPen(QColor(self.theme.muted_text))
            painter.setFont(self._font)
            digits = int(gutter / adv) - 1
            for line in range(top, bottom):
                baseline = (line - first) * lh + self._ascent
                painter.drawText(QPointF(adv * 0.5, baseline), f"{line + 1:>{digits}}")
        painter.end()

    # -- mouse -------------------------------------------------------------------------------------------
    def _offset_at(self, point: QPoint | QPointF) -> int:
        if len(self._lines) == 0:
            return 0
        line = self.verticalScrollBar().value() + int(point.y() // self._line_h)
        if line < 0:
            return 0
        if line >= len(self._lines):
            return self._length
        a, _ = self.line_bounds(line)
        return a + self._column_at_x(self.line_text(line), point.x() - self._text_x0())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        pos = self._offset_at(event.position())
        keep = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._move_cursor(pos, keep, ensure=False)
        self._dragging = True

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self._dragging:
            return
        self._drag_point = event.position()
        self._move_cursor(self._offset_at(event.position()), True, ensure=False)
        inside = self.viewport().rect().contains(event.position().toPoint())
        if inside:
            self._drag_timer.stop()
        elif not self._drag_timer.isActive():
            self._drag_timer.start()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._dragging = False
        self._drag_timer.stop()
        event.accept()  # the release ends our drag: a parent has nothing to do with it

    def _drag_scroll(self) -> None:
        """While a drag is held above or below the view, scroll and extend the selection."""
        if not self._dragging:
            self._drag_timer.stop()
            return
        y = self._drag_point.y()
        vbar = self.verticalScrollBar()
        if y < 0:
            vbar.setValue(vbar.value() - max(1, int(-y // self._line_h)))
        elif y > self.viewport().height():
            vbar.setValue(vbar.value() + max(1, int((y - self.viewport().height()) // self._line_h)))
        self._move_cursor(self._offset_at(self._drag_point), True, ensure=False)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = self._offset_at(event.position())
        line = self.line_of(pos)
        a, _ = self.line_bounds(line)
        text = self.line_text(line)
        col = pos - a
        for m in _WORD.finditer(text):
            if m.start() <= col <= m.end():
                self._anchor = a + m.start()
                self._cursor = a + m.end()
                self.viewport().update()
                self.selection_changed.emit()
                return

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.context_menu()
        menu.exec(event.globalPos())
        menu.deleteLater()

    def context_menu(self) -> QMenu:
        """The right-click menu: Copy and Select all."""
        menu = QMenu(self)
        copy = menu.addAction("Copy", self.copy)
        copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy.setEnabled(self.selection()[1] > self.selection()[0])
        select = menu.addAction("Select all", self.select_all)
        select.setShortcut(QKeySequence(QKeySequence.StandardKey.SelectAll))
        return menu

    # -- keyboard ----------------------------------------------------------------------------------------
    def _move_cursor(self, pos: int, keep_anchor: bool, ensure: bool = True, keep_goal: bool = False) -> None:
        before = (self._anchor, self._cursor)
        self._cursor = min(max(0, pos), self._length)
        if not keep_anchor:
            self._anchor = self._cursor
        if not keep_goal:
            self._goal_x = None
        if ensure:
            self.ensure_visible(self._cursor)
        self._update_lines(*before, self._anchor, self._cursor)
        self.selection_changed.emit()

    def _update_lines(self, *offsets: int) -> None:
        """Repaint the lines on screen from the first to the last of these offsets' (the old and the new caret
        and selection): holding an arrow key draws a line or two, not the screen."""
        first = self.verticalScrollBar().value()
        lo = max(0, self.line_of(min(offsets)) - first)
        hi = min(self.visible_line_count() + 1, self.line_of(max(offsets)) - first)
        if hi >= lo:
            vp = self.viewport()
            vp.update(0, lo * self._line_h, vp.width(), (hi - lo + 1) * self._line_h)

    def _vertical_target(self, lines: int) -> int:
        line = self.line_of(self._cursor)
        a, _ = self.line_bounds(line)
        if self._goal_x is None:
            self._goal_x = self._x_in_line(self.text_range(a, self._cursor), self._cursor - a)
        target = min(max(0, line + lines), len(self._lines) - 1)
        ta, _ = self.line_bounds(target)
        return ta + self._column_at_x(self.line_text(target), self._goal_x)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
            return
        if event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
            return
        key = event.key()
        mods = event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        line = self.line_of(self._cursor)
        page = max(1, self.visible_line_count() - 1)
        if key == Qt.Key.Key_Left:
            self._move_cursor(self._word_left() if ctrl else self._cursor - 1, shift)
        elif key == Qt.Key.Key_Right:
            self._move_cursor(self._word_right() if ctrl else self._cursor + 1, shift)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            step = -1 if key == Qt.Key.Key_Up else 1 if key == Qt.Key.Key_Down else (
                -page if key == Qt.Key.Key_PageUp else page)
            if key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
                vbar = self.verticalScrollBar()
                vbar.setValue(vbar.value() + step)
            self._move_cursor(self._vertical_target(step), shift, keep_goal=True)
        elif key == Qt.Key.Key_Home:
            self._move_cursor(0 if ctrl else self.line_bounds(line)[0], shift)
        elif key == Qt.Key.Key_End:
            self._move_cursor(self._length if ctrl else self.line_bounds(line)[1], shift)
        else:
            super().keyPressEvent(event)

    def _word_left(self) -> int:
        line = self.line_of(self._cursor)
        a, _ = self.line_bounds(line)
        col = self._cursor - a
        if col == 0:
            return self._cursor - 1
        text = self.text_range(a, self._cursor)
        starts = [m.start() for m in _WORD.finditer(text) if m.start() < col]
        return a + (starts[-1] if starts else 0)

    def _word_right(self) -> int:
        _, b = self.line_bounds(self.line_of(self._cursor))
        if self._cursor >= b:
            return self._cursor + 1
        m = _WORD.search(self.text_range(self._cursor, b))
        return self._cursor + (m.end() if m else b - self._cursor)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.viewport().update()

    def visible_rect_of(self, offset: int) -> QRectF:
        """Where a character is drawn in viewport coordinates, unrounded: the advance of a character is
        fractional in most fonts (7.2 px), and rounding each edge would make it 7 or 8 (for tests)."""
        line = self.line_of(offset)
        a, _ = self.line_bounds(line)
        x = self._text_x0() + self._x_in_line(self.text_range(a, offset), offset - a)
        y = (line - self.verticalScrollBar().value()) * self._line_h
        return QRectF(x, y, self._adv, self._line_h)
