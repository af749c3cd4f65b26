"""Preparing a response body for display off the UI thread: decode, mask, pretty-print, break long lines, lex.

The HighlightWorker streams its output as signals and runs as a job of the response view's JobRunner
(jobs.py), in its "body" slot: every signal carries the slot generation the job runs as, and the view drops
what an older job still sends (jobs.py's one stale rule).
"""

from __future__ import annotations

import operator
import sys
import threading
import time
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate, islice, repeat
from typing import Any

from pygments.lexer import Lexer
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from inspector.core.bodies import body_kind, decode_text
from inspector.core.highlight import (
    MARKUP_SYNTAXES,
    LineBreaker,
    NotPretty,
    OffsetMap,
    RangeBatch,
    astral_positions,
    break_long_lines,
    choose_lexer,
    hex_preview,
    iter_pretty_json,
    iter_range_batches,
    lexer_syntax,
    normalize_newlines,
    pretty_json,
    pretty_markup,
    pretty_syntax,
    utf16_map,
)
from inspector.core.redact import Redactor, mask_body_text


@dataclass(frozen=True)
class BodyInfo:
    """What the body is and how it will be shown; sent before any text."""

    kind: str  # text | image | binary
    syntax: str = "text"  # json, xml, html, ... (text kind)
    lexer_name: str = ""
    highlighted: bool = False
    pretty: bool = False
    masked: bool = False  # secret fields were masked
    image: QImage | None = None
    hex_text: str = ""
    size: int = 0


@dataclass(frozen=True)
class PreparedText:
    """A text body ready to show: what is lexed, what is displayed, and how offsets move between them."""

    source: str  # the text the lexer reads (pretty-printed when it could be)
    shown: str  # the text displayed: source with over-long lines broken
    breaks: tuple[int, ...]  # source offsets before which a line break was inserted
    raw_shown: str  # the text as received, long lines broken
    lexer: Lexer | None  # None when the text is shown plain


@dataclass(frozen=True)
class BodyJob:
    """A body to prepare for display."""

    generation: int
    body: bytes
    content_type: str | None
    pretty: bool = True
    highlight_limit: int = 32 * 1024 * 1024  # characters; longer text is shown plain
    mask_limit: int = 2 * 1024 * 1024  # bytes; secret fields of smaller JSON/form bodies are masked
    line_limit: int = 4000  # longer lines are broken for display
    hex_limit: int = 64 * 1024
    prepared: PreparedText | None = None  # already shown (a small body): only lex it
    # For a view that draws only the lines on screen (body_view.LargeTextView): text travels as TextPiece with
    # its line index, ranges as RangeChunk in Python str offsets (not UTF-16), and the whole text is sent as
    # soon as it is known, before the bulk of the lexing (which then follows what the view shows first).
    line_index: bool = False
    # Secrets to hide wherever they turn up in the body (a server echoing the request): names of the profile's
    # API-key fields (masked like api_key in JSON/form bodies) and values (scrubbed from any text).
    secret_names: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = ()
    # line_index only: the status line and headers that go before the raw text (the Raw tab's HTTP message)
    raw_head: str = ""


@dataclass
class BodyStats:
    pretty_s: float = 0.0
    lex_s: float = 0.0
    total_s: float = 0.0
    ranges: int = 0
    chars: int = 0
    broken_lines: bool = False


def _text_info(job: BodyJob) -> tuple[BodyInfo, str, Lexer, str | None]:
    """Decode, mask and choose the lexer: the text, the lexer, and which pretty-printer applies."""
    text = normalize_newlines(decode_text(job.body, job.content_type))
    masked = False
    if len(job.body) <= job.mask_limit:
        shown = mask_body_text(text, job.content_type, job.secret_names)
        masked = shown != text
        text = shown
    if job.secret_values:
        # by value at any size: a few substring searches, far cheaper than the lexing that follows
        shown = Redactor(job.secret_values).scrub(text)
        masked = masked or shown != text
        text = shown
    lexer = choose_lexer(job.content_type, text[:4096])
    syntax = lexer_syntax(lexer)
    highlighted = len(text) <= job.highlight_limit and syntax != "text"
    pretty_kind = pretty_syntax(lexer) if job.pretty and len(text) <= job.highlight_limit else None
    info = BodyInfo("text", syntax=syntax, lexer_name=lexer.name, highlighted=highlighted,
                    pretty=pretty_kind is not None, masked=masked, size=len(job.body))
    return info, text, lexer, pretty_kind


def _non_text_info(job: BodyJob) -> BodyInfo | None:
    kind = body_kind(job.content_type, job.body[:8192])
    if kind == "image":
        image = QImage.fromData(job.body)
        if not image.isNull():
            return BodyInfo("image", image=image, size=len(job.body))
        kind = "binary"
    if kind == "binary":
        return BodyInfo("binary", hex_text=hex_preview(job.body, job.hex_limit), size=len(job.body))
    return None


def prepare_body(job: BodyJob) -> tuple[BodyInfo, PreparedText | None]:
    """Everything at once, for a small body shown without waiting: its info and, for text, the text."""
    info = _non_text_info(job)
    if info is not None:
        return info, None
    info, text, lexer, pretty_kind = _text_info(job)
    source = text
    if pretty_kind == "json":
        source = pretty_json(text)
    elif pretty_kind in MARKUP_SYNTAXES:
        source = pretty_markup(text, pretty_kind)
    shown, breaks = break_long_lines(source, job.line_limit)
    raw_shown = shown if source is text else break_long_lines(text, job.line_limit)[0]
    return info, PreparedText(source, shown, tuple(breaks), raw_shown, lexer if info.highlighted else None)


@dataclass(frozen=True)
class TextPiece:
    """A piece of the display text with its part of the line index, built off the UI thread."""

    text: str
    start: int  # offset of text[0] in the whole display text
    line_starts: array  # 'q': offsets (in the whole text) of the lines beginning inside this piece
    longest: int  # characters of the longest line seen so far, this piece included
    whole: bool = False  # text is the complete display text (start is 0)


class LineIndexer:
    """Turns streamed text into TextPieces: where each line starts, and how long the longest one is."""

    def __init__(self) -> None:
        self.offset = 0
        self.column = 0  # characters of the line still open at the end of the text fed so far
        self.longest = 0

    def feed(self, text: str, whole: bool = False) -> TextPiece:
        # split + accumulate keeps the per-line work in C: ~0.2 s for a million lines, on the worker's thread
        lens = list(map(len, text.split("\n")))
        start = self.offset
        if len(lens) == 1:
            self.column += lens[0]
            starts = array("q")
        else:
            self.column += lens[0]
            self.longest = max(self.longest, self.column, max(lens))
            self.column = lens[-1]
            ends = accumulate(map(operator.add, lens[:-1], repeat(1)), initial=start)
            starts = array("q", islice(ends, 1, None))
        self.longest = max(self.longest, self.column)
        self.offset += len(text)
        return TextPiece(text, start, starts, self.longest, whole)


@dataclass(frozen=True)
class RangeChunk:
    """Style ranges for the display text [lexed_from, lexed_to), in Python str offsets; chunks never
    overlap."""

    lexed_from: int
    lexed_to: int
    starts: array  # 'q'
    ends: array  # 'q'
    keys: array  # 'b': indices into core.highlight.STYLE_KEYS

    def __len__(self) -> int:
        return len(self.starts)


def range_chunk(batch: RangeBatch, lexed_from: int) -> RangeChunk:
    return RangeChunk(lexed_from, batch.lexed_to, array("q", batch.starts),
                      array("q", map(operator.add, batch.starts, batch.lengths)), batch.keys)


class HighlightWorker(QObject):
    """Decodes, pretty-prints, breaks long lines and lexes a body in small steps, emitting as it goes.

    Order of signals: info, text_chunk* (text_reset restarts them), text_done, raw_ready, ranges*, finished.
    With job.prepared (a small body already on screen) only ranges and finished come.
    With job.line_index: info, text_piece* (text_reset restarts them), range_chunk* for the first piece,
    text_done, text_whole, raw_ready, raw_piece, range_chunk*, finished; the lexing order follows want().
    """

    info = Signal(int, object)  # generation, BodyInfo
    # Text travels as `object`, not `str`: a str signal argument is copied into a QString and back, which for
    # megabytes is a long stretch of work on the UI thread.
    text_chunk = Signal(int, object)  # generation, the next piece of the text to display (str)
    text_reset = Signal(int)  # pretty-printing failed part-way: drop the pieces, the plain text follows
    text_done = Signal(int)
    raw_ready = Signal(int, object)  # generation, the raw text as str (long lines broken)
    ranges = Signal(int, object)  # generation, core.highlight.RangeBatch in display (UTF-16) offsets
    finished = Signal(int, object)  # generation, BodyStats
    done = Signal()
    # job.line_index only:
    text_piece = Signal(int, object)  # generation, TextPiece
    text_whole = Signal(int, object)  # generation, the complete display text (str), right after text_done
    raw_piece = Signal(int, object)  # generation, TextPiece of the raw text (whole)
    range_chunk = Signal(int, object)  # generation, RangeChunk

    SOURCE_PIECE = 256 * 1024
    FIRST_PIECE = 16 * 1024
    LEX_SEGMENT = 32 * 1024  # pretty JSON is lexed in segments this long, in the order the view asks for
    LEX_BATCH_TOKENS = 5000  # so a request from the view is noticed within a few milliseconds of lexing

    def __init__(self, job: BodyJob) -> None:
        super().__init__()
        self.job = job
        self.cancel = threading.Event()
        self._wanted: tuple[int, int] | None = None

    def want(self, start: int, end: int) -> None:
        """Lex display text [start, end) next (it is on screen); safe to call from any thread."""
        self._wanted = (start, end)  # one reference assignment: atomic under the GIL

    @Slot()
    def run(self) -> None:
        try:
            self._run()
        except _Stop:
            pass
        finally:
            self.done.emit()

    def _check(self) -> None:
        if self.cancel.is_set():
            raise _Stop

    def _run(self) -> None:
        job = self.job
        gen = job.generation
        t0 = time.perf_counter()
        if job.prepared is not None:
            stats = BodyStats(chars=len(job.prepared.shown), broken_lines=bool(job.prepared.breaks))
            if job.prepared.lexer is not None:
                prepared = job.prepared
                self._lex(prepared.lexer, prepared.source, prepared.shown, list(prepared.breaks), stats)
            stats.total_s = time.perf_counter() - t0
            self.finished.emit(gen, stats)
            return
        non_text = _non_text_info(job)
        if non_text is not None:
            self.info.emit(gen, non_text)
            self.finished.emit(gen, BodyStats(total_s=time.perf_counter() - t0))
            return

        info, text, lexer, pretty_kind = _text_info(job)
        self.info.emit(gen, info)
        self._check()
        if job.line_index:
            self._run_indexed(text, pretty_kind, lexer if info.highlighted else None, t0)
            return
        stats = BodyStats()
        t1 = time.perf_counter()
        source, breaker, shown_pieces, lexed = self._stream_text(
            text, pretty_kind, lexer if info.highlighted else None, stats)
        stats.pretty_s = time.perf_counter() - t1 - stats.lex_s
        self.text_done.emit(gen)
        self._check()

        shown_text = "".join(shown_pieces)
        del shown_pieces
        if source is text:
            self.raw_ready.emit(gen, shown_text)
        else:
            self.raw_ready.emit(gen, LineBreaker(job.line_limit).feed(text))
        self._check()

        stats.chars = len(shown_text)
        stats.broken_lines = bool(breaker.breaks)
        if info.highlighted and not lexed:
            self._lex(lexer, source, shown_text, breaker.breaks, stats)
        stats.total_s = time.perf_counter() - t0
        self.finished.emit(gen, stats)

    def _lex(self, lexer: Lexer, source: str, shown: str, breaks: list[int], stats: BodyStats) -> None:
        t = time.perf_counter()
        maps = [OffsetMap(breaks, after=False), utf16_map(shown)]
        for batch in iter_range_batches(lexer, source, maps=maps):
            self._check()
            stats.ranges += len(batch)
            self.ranges.emit(self.job.generation, batch)
            time.sleep(0)  # let the UI thread run its queued slots now
        stats.lex_s = time.perf_counter() - t

    def _stream_text(
        self, text: str, pretty_kind: str | None, lexer: Lexer | None, stats: BodyStats
    ) -> tuple[str, LineBreaker, list[str], bool]:
        """Emit the display text piece by piece.

        Returns the source text shown (pretty or not), the line breaker, the shown pieces, and whether the
        ranges were already emitted along the way (pretty JSON is lexed piece by piece as it is produced,
        so the first screen gets its colours at once: pieces end between tokens, never inside one).
        """
        job = self.job
        gen = job.generation
        if pretty_kind == "json":
            breaker = LineBreaker(job.line_limit)
            source_pieces: list[str] = []
            shown: list[str] = []
            astral: list[int] = []
            maps = [OffsetMap(breaker.breaks, after=False), OffsetMap(astral, after=True)]
            source_offset = shown_offset = 0
            try:
                for piece in iter_pretty_json(text, piece_chars=self.SOURCE_PIECE,
                                              first_piece_chars=self.FIRST_PIECE):
                    self._check()
                    source_pieces.append(piece)
                    out = breaker.feed(piece)
                    shown.append(out)
                    self.text_chunk.emit(gen, out)
                    time.sleep(0)
                    astral.extend(astral_positions(out, shown_offset))
                    if lexer is not None:
                        t = time.perf_counter()
                        for batch in iter_range_batches(lexer, piece, base=source_offset, maps=maps):
                            self._check()
                            stats.ranges += len(batch)
                            self.ranges.emit(gen, batch)
                            time.sleep(0)  # let the UI thread run its queued slots now
                        stats.lex_s += time.perf_counter() - t
                    source_offset += len(piece)
                    shown_offset += len(out)
                return "".join(source_pieces), breaker, shown, True
            except NotPretty:
                stats.ranges = 0
                stats.lex_s = 0.0
                if shown:
                    self.text_reset.emit(gen)
        source = text
        if pretty_kind in MARKUP_SYNTAXES:
            source = pretty_markup(text, pretty_kind)
        breaker = LineBreaker(job.line_limit)
        shown = []
        size = self.FIRST_PIECE
        pos = 0
        while pos < len(source):
            self._check()
            piece = source[pos : pos + size]
            pos += len(piece)
            out = breaker.feed(piece)
            shown.append(out)
            self.text_chunk.emit(gen, out)
            size = self.SOURCE_PIECE
        return source, breaker, shown, False


    # -- job.line_index: for a view that draws only the lines on screen ----------------------------------
    def _run_indexed(self, text: str, pretty_kind: str | None, lexer: Lexer | None, t0: float) -> None:
        """Text first (with its line index), then ranges: the whole body is viewable after pretty-printing."""
        job = self.job
        gen = job.generation
        stats = BodyStats()
        t1 = time.perf_counter()
        # (source offset, display offset, source text) of the parts lexed separately
        segments: list[tuple[int, int, str]] = []
        done: set[int] = set()
        breaker = LineBreaker(job.line_limit)
        indexer = LineIndexer()
        shown: list[str] = []
        source = text
        if pretty_kind == "json":
            try:
                source_pieces: list[str] = []
                src_off = shown_off = 0
                for piece in iter_pretty_json(text, piece_chars=self.SOURCE_PIECE,
                                              first_piece_chars=self.FIRST_PIECE):
                    self._check()
                    out = breaker.feed(piece)
                    shown.append(out)
                    self.text_piece.emit(gen, indexer.feed(out))
                    time.sleep(0)
                    source_pieces.append(piece)
                    # line starts in pretty JSON are token boundaries, so each segment lexes on its own
                    for seg_start, seg in _split_at_lines(piece, self.LEX_SEGMENT):
                        at = src_off + seg_start
                        segments.append((at, _shown_offset(at, breaker.breaks), seg))
                    src_off += len(piece)
                    shown_off += len(out)
                    if lexer is not None and len(source_pieces) == 1:
                        # the first screen gets its colours before the rest of the text is even written
                        t = time.perf_counter()
                        for i in range(len(segments)):
                            self._lex_segment(lexer, segments, i, breaker.breaks, stats)
                            done.add(i)
                        stats.lex_s += time.perf_counter() - t
                source = "".join(source_pieces)
            except NotPretty:
                segments = []
                done = set()
                stats = BodyStats()
                if shown:
                    self.text_reset.emit(gen)
                shown = []
                breaker = LineBreaker(job.line_limit)
                indexer = LineIndexer()
                source = text
        if not segments:
            if pretty_kind in MARKUP_SYNTAXES:
                source = pretty_markup(text, pretty_kind)
            pos = 0
            size = self.FIRST_PIECE
            while pos < len(source):
                self._check()
                piece = source[pos : pos + size]
                pos += len(piece)
                out = breaker.feed(piece)
                shown.append(out)
                self.text_piece.emit(gen, indexer.feed(out))
                time.sleep(0)
                size = self.SOURCE_PIECE
            segments = [(0, 0, source)]  # other lexers carry state across lines: one pass from the start
        self.text_done.emit(gen)
        shown_text = "".join(shown)
        del shown
        self.text_whole.emit(gen, shown_text)
        stats.pretty_s = time.perf_counter() - t1 - stats.lex_s
        self._check()
        raw = shown_text if source is text else LineBreaker(job.line_limit).feed(text)
        self.raw_ready.emit(gen, raw)
        self.raw_piece.emit(gen, LineIndexer().feed(job.raw_head + raw if job.raw_head else raw, whole=True))
        del raw
        self._check()
        stats.chars = len(shown_text)
        stats.broken_lines = bool(breaker.breaks)
        if lexer is not None:
            t = time.perf_counter()
            self._lex_segments(lexer, segments, done, breaker.breaks, stats)
            stats.lex_s += time.perf_counter() - t
        stats.total_s = time.perf_counter() - t0
        self.finished.emit(gen, stats)

    def _lex_segment(self, lexer: Lexer, segments: list[tuple[int, int, str]], i: int, breaks: list[int],
                     stats: BodyStats) -> None:
        for _ in self._segment_batches(lexer, segments[i], breaks, stats):
            pass

    def _segment_batches(self, lexer: Lexer, segment: tuple[int, int, str], breaks: list[int],
                         stats: BodyStats) -> Any:
        """Lex one segment, emitting a RangeChunk per batch; yields after each so another may go first."""
        src_off, shown_off, text = segment
        covered = shown_off
        maps = [OffsetMap(breaks, after=False)]
        for batch in iter_range_batches(lexer, text, batch_tokens=self.LEX_BATCH_TOKENS, base=src_off,
                                        maps=maps):
            self._check()
            stats.ranges += len(batch)
            self.range_chunk.emit(self.job.generation, range_chunk(batch, covered))
            covered = batch.lexed_to
            time.sleep(0)  # let the UI thread run its queued slots now
            yield

    def _lex_segments(self, lexer: Lexer, segments: list[tuple[int, int, str]], done: set[int],
                      breaks: list[int], stats: BodyStats) -> None:
        """Lex every segment not done yet: the ones on screen (want()) first, then in order."""
        shown_starts = [shown for _, shown, _ in segments]
        running: dict[int, Any] = {}
        next_in_order = 0
        while True:
            self._check()
            pick = None
            wanted = self._wanted
            if wanted is not None:
                first = max(0, bisect_right(shown_starts, wanted[0]) - 1)
                last = max(first, bisect_right(shown_starts, wanted[1]) - 1)
                pick = next((i for i in range(first, min(last + 1, len(segments))) if i not in done), None)
                if pick is None:
                    self._wanted = None if self._wanted is wanted else self._wanted
            if pick is None:
                while next_in_order < len(segments) and next_in_order in done:
                    next_in_order += 1
                if next_in_order >= len(segments):
                    return
                pick = next_in_order
            batches = running.get(pick)
            if batches is None:
                batches = running[pick] = self._segment_batches(lexer, segments[pick], breaks, stats)
            if next(batches, _END) is _END:
                done.add(pick)
                del running[pick]


_END = object()


def _split_at_lines(text: str, size: int) -> list[tuple[int, str]]:
    """(offset, part) of text cut after a newline roughly every `size` characters."""
    if len(text) <= size * 3 // 2:
        return [(0, text)]
    out = []
    pos = 0
    n = len(text)
    while pos < n:
        cut = text.find("\n", pos + size) + 1 if pos + size < n else 0
        if cut <= 0 or n - cut < size // 2:
            cut = n
        out.append((pos, text[pos:cut]))
        pos = cut
    return out


def _shown_offset(source_offset: int, breaks: list[int]) -> int:
    """A segment start in display offsets: a line break inserted right there belongs to this segment, so the
    previous segment's last range (OffsetMap.end) ends exactly where this one's coverage begins."""
    return source_offset + bisect_left(breaks, source_offset)


def share_gil_with_ui() -> None:
    """Make a busy worker thread hand the GIL back to the UI thread within 1 ms instead of 5 ms.

    The UI thread needs the GIL again after every call into Qt; with the default interval each such call
    can wait up to 5 ms behind a lexing worker, and a slot making twenty calls stalls the window.
    """
    if sys.getswitchinterval() > 0.001:
        sys.setswitchinterval(0.001)


class _Stop(Exception):
    """The job was cancelled."""
