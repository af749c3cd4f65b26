"""Preparing a response body for display off the UI thread: decode, mask, pretty-print, index lines, lex.

One pipeline for bodies of every size: the HighlightWorker sends the text as TextPieces with their line index
(long lines broken by soft line starts, nothing inserted) and its colours as RangeChunks, segment by segment
from places where the lexer may start afresh, what the view shows first. Nothing is copied whole: a body too
large to highlight stays in its decoded parts. The worker streams its output as signals and runs as a job of
the response view's JobRunner (jobs.py), in its "body" slot: every signal carries the slot generation the job
runs as, and the view drops what an older job still sends (jobs.py's one stale rule).
"""

from __future__ import annotations

import operator
import sys
import threading
import time
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, islice, repeat
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from inspector.core.bodies import body_kind, decode_text, decodes_longer_than, iter_decode_text
from inspector.core.highlight import (
    MARKUP_SYNTAXES,
    MarkupBoundaries,
    NotPretty,
    RangeBatch,
    break_long_lines,
    choose_lexer,
    hex_preview,
    iter_pretty_html,
    iter_pretty_json,
    iter_pretty_xml,
    iter_range_batches,
    json_boundaries,
    lexer_syntax,
    normalize_newlines,
    pretty_json,
    pretty_markup,
    pretty_syntax,
)
from inspector.core.redact import Redactor, mask_body_text
from inspector.ui.heap import trim_heap

if TYPE_CHECKING:  # pygments.lexer imports importlib.metadata and email: not needed to show the window
    from pygments.lexer import Lexer


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
    # Kept for callers written when large bodies had a pipeline of their own: every job now sends its text
    # as TextPiece with its line index and its colours as RangeChunk in Python str offsets.
    line_index: bool = True
    # Secrets to hide wherever they turn up in the body (a server echoing the request): names of the profile's
    # API-key fields (masked like api_key in JSON/form bodies) and values (scrubbed from any text).
    secret_names: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = ()
    # the status line and headers that go before the raw text (the Raw tab's HTTP message, raw_pieces())
    raw_head: str = ""


@dataclass
class BodyStats:
    pretty_s: float = 0.0
    lex_s: float = 0.0
    total_s: float = 0.0
    ranges: int = 0
    chars: int = 0
    broken_lines: bool = False
    cpu_s: float = 0.0  # the worker thread's CPU time (what the benchmark compares with Pygments: load-proof)


# Bodies up to this size are decoded in one call (~10 ms for 16 MB of UTF-8); larger ones a megabyte at a time.
WHOLE_DECODE_BYTES = 16 * 1024 * 1024


# Decoded parts are this many bytes of the body: the pretty-printers copy each onto what is left of the one
# before, so two of them are in memory at once, beside the text already formatted.
DECODE_PART_BYTES = 256 * 1024


def _decoded_parts(job: BodyJob) -> Iterator[str]:
    """The body decoded (core.bodies' one charset rule) and its newlines made LF, DECODE_PART_BYTES at a
    time, so a worker decoding 100 MB hands the GIL back to the UI thread in between (see iter_decode_text)."""
    carry = ""  # a CR ending one part may be the first half of a CRLF split across two
    for part in iter_decode_text(job.body, job.content_type, DECODE_PART_BYTES):
        if carry:
            part = carry + part
        carry = "\r" if part.endswith("\r") else ""
        yield normalize_newlines(part[:-1] if carry else part)
        time.sleep(0)
    if carry:
        yield "\n"


def _text_parts(job: BodyJob) -> tuple[BodyInfo, list[str], Lexer, str | None]:
    """Decode, mask and choose the lexer: the text (in parts when it was not joined), the lexer, and which
    pretty-printer applies.

    The parts are joined into one str when something needs the whole: masking, scrubbing secret values (a
    secret split across two parts must still be found), pretty-printing or highlighting (bodies up to
    highlight_limit); a body larger than that is shown as it came, in its parts, never copied whole.
    """
    if job.pretty and job.mask_limit < len(job.body) <= job.highlight_limit and not job.secret_values:
        # JSON, XML and HTML are pretty-printed straight from the decoded parts (iter_pretty_json and the
        # others take them one by one), so the whole decoded text never sits in memory beside its formatted
        # copy, and the first piece shows once the first part is decoded; bytes bound characters
        decoded = _decoded_parts(job)
        first = next(decoded, "")
        lexer = choose_lexer(job.content_type, first[:4096])
        syntax = pretty_syntax(lexer)
        if syntax is not None:
            info = BodyInfo("text", syntax=syntax, lexer_name=lexer.name, highlighted=True, pretty=True,
                            size=len(job.body))
            return info, _Streamed(first, decoded), lexer, syntax
        parts = [first, *decoded]
    elif (job.mask_limit < len(job.body) and not job.secret_values
          and decodes_longer_than(job.body, job.content_type, job.highlight_limit)):
        # too large to highlight or pretty-print whatever it holds: shown as it came, each part as soon as it
        # is decoded (the first screen does not wait for the rest of 100 MB)
        decoded = _decoded_parts(job)
        first = next(decoded, "")
        lexer = choose_lexer(job.content_type, first[:4096])
        info = BodyInfo("text", syntax=lexer_syntax(lexer), lexer_name=lexer.name, size=len(job.body))
        return info, _Streamed(first, decoded), lexer, None
    elif len(job.body) <= WHOLE_DECODE_BYTES:
        # one C call of a few milliseconds, and no second copy while parts are joined
        parts = [normalize_newlines(decode_text(job.body, job.content_type))]
    else:
        parts = list(_decoded_parts(job))
    length = sum(map(len, parts))
    masked = False
    whole = len(job.body) <= job.mask_limit or bool(job.secret_values) or length <= job.highlight_limit
    if whole and len(parts) != 1:
        parts = ["".join(parts)]
    if len(job.body) <= job.mask_limit:
        shown = mask_body_text(parts[0], job.content_type, job.secret_names)
        masked = shown != parts[0]
        parts = [shown]
    if job.secret_values:
        # by value at any size: a few substring searches, far cheaper than the lexing that follows
        shown = Redactor(job.secret_values).scrub(parts[0])
        masked = masked or shown != parts[0]
        parts = [shown]
    if not parts:
        parts = [""]
    lexer = choose_lexer(job.content_type, parts[0][:4096])
    syntax = lexer_syntax(lexer)
    highlighted = length <= job.highlight_limit and syntax != "text"
    pretty_kind = pretty_syntax(lexer) if job.pretty and length <= job.highlight_limit else None
    info = BodyInfo("text", syntax=syntax, lexer_name=lexer.name, highlighted=highlighted,
                    pretty=pretty_kind is not None, masked=masked, size=len(job.body))
    return info, parts, lexer, pretty_kind


class _Streamed(list[str]):
    """Decoded parts still to come (a body pretty-printed as it is decoded): the first, then the rest."""

    def __init__(self, first: str, rest: Iterator[str]) -> None:
        super().__init__([first])
        self.rest = rest

    def __iter__(self) -> Iterator[str]:
        while self:
            yield self.pop(0)  # let go of each part once it is taken
        yield from self.rest


def _taken(parts: list[str]) -> Iterator[str]:
    """The parts in order, each taken out of the list as it is given (the list holds no part given)."""
    while parts:
        yield parts.pop(0)


def _text_info(job: BodyJob) -> tuple[BodyInfo, str, Lexer, str | None]:
    """_text_parts with the text whole (for bodies shown in the ordinary view: at most a few megabytes)."""
    info, parts, lexer, pretty_kind = _text_parts(job)
    if isinstance(parts, _Streamed):
        return info, "".join(parts), lexer, pretty_kind
    return info, parts[0] if len(parts) == 1 else "".join(parts), lexer, pretty_kind


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
    line_starts: array  # LINE_TYPECODE: offsets (in the whole text) of the lines beginning inside this piece
    longest: int  # characters of the longest line seen so far, this piece included
    whole: bool = False  # text is the complete display text (start is 0)
    # the line starts above that break a long line (no newline before them): a view that lays out whole lines
    # itself (BodyView, a QPlainTextEdit) puts a newline there
    soft: tuple[int, ...] = ()


# Line starts are 4-byte offsets: a million lines take 4 MB, and the body cap (100 MB) stays far below 2**31.
LINE_TYPECODE = "i"


class LineIndexer:
    """Turns streamed text into TextPieces: where each line starts, and how long the longest one is.

    With a `limit`, a line longer than that is shown as several: a line start is added every `limit`
    characters of it (a soft break: nothing is inserted in the text, so offsets stay those of the text).
    Feed it pieces of at most a few hundred kilobytes: each feed is one short stretch of C work (str.split)
    plus Python only for the long lines, so a worker thread hands the GIL back between pieces.
    """

    def __init__(self, limit: int = 0, offset: int = 0) -> None:
        self.limit = limit
        self.offset = offset  # where the next piece starts
        self.column = 0  # characters of the line still open at the end of the text fed so far
        self.longest = 0
        self.soft_breaks = 0

    def feed(self, text: str, whole: bool = False) -> TextPiece:
        start = self.offset
        lens = list(map(len, text.split("\n")))
        limit = self.limit
        soft: list[int] = []
        if limit and (self.column + lens[0] > limit or max(lens) > limit):
            starts = self._feed_long(lens, start, soft)
        elif len(lens) == 1:
            self.column += lens[0]
            starts = array(LINE_TYPECODE)
        else:
            self.column += lens[0]
            self.longest = max(self.longest, self.column, max(lens))
            self.column = lens[-1]
            ends = accumulate(map(operator.add, lens[:-1], repeat(1)), initial=start)
            starts = array(LINE_TYPECODE, islice(ends, 1, None))
        self.longest = max(self.longest, self.column)
        self.offset += len(text)
        return TextPiece(text, start, starts, self.longest, whole, tuple(soft))

    def _feed_long(self, lens: list[int], start: int, soft_starts: list[int]) -> array:
        """Line starts of a piece holding a line over the limit (a Python step per line of the piece)."""
        limit = self.limit
        starts = array(LINE_TYPECODE)
        col = self.column
        longest = self.longest
        pos = start
        last = len(lens) - 1
        for k, length in enumerate(lens):
            if col + length > limit:
                soft = range(pos + limit - col, pos + length, limit)  # strictly inside: a line of exactly
                starts.extend(soft)  # `limit` characters before a newline stays one line
                soft_starts.extend(soft)
                self.soft_breaks += len(soft)
                col = pos + length - soft[-1]
                longest = limit
            else:
                col += length
                longest = max(longest, col)
            pos += length
            if k < last:
                pos += 1
                starts.append(pos)
                col = 0
        self.column = col
        self.longest = max(longest, col)
        return starts


class RangeChunk:
    """Style ranges for the display text [lexed_from, lexed_to), in Python str offsets; chunks never
    overlap. Kept compact, as a million ranges of a 10 MB body must be: each range's start is kept as its
    offset from lexed_from and its length, each in 1 byte when every one of the chunk fits, else 2 (a chunk
    is a lexer segment of about 32,000 characters), else 4; keys in 1. A range costs 4 or 5 bytes, not 7."""

    __slots__ = ("keys", "lengths", "lexed_from", "lexed_to", "offsets")

    def __init__(self, lexed_from: int, lexed_to: int, starts: Sequence[int], ends: Sequence[int],
                 keys: array) -> None:
        self.lexed_from = lexed_from
        self.lexed_to = lexed_to
        absolute = starts if isinstance(starts, array) else array("q", starts)
        self.offsets = _compact(map(operator.sub, absolute, repeat(lexed_from)))
        self.lengths = _compact(map(operator.sub, ends, absolute))
        self.keys = keys  # 'b': indices into core.highlight.STYLE_KEYS

    @classmethod
    def from_lengths(cls, lexed_from: int, lexed_to: int, starts: Sequence[int], lengths: Sequence[int],
                     keys: array, base: int = 0) -> RangeChunk:
        """A chunk from range starts (plus `base`) and lengths."""
        chunk = cls.__new__(cls)
        chunk.lexed_from, chunk.lexed_to, chunk.keys = lexed_from, lexed_to, keys
        shift = lexed_from - base
        # starts ascend: the last offset is the largest, so the type is known without a failed try
        top = starts[-1] - shift if len(starts) else 0
        typecode = "B" if 0 <= top < 256 else "H" if 0 <= top < 65536 else "i"
        chunk.offsets = array(typecode, map(operator.sub, starts, repeat(shift)) if shift else starts)
        chunk.lengths = _compact(lengths)
        return chunk

    @property
    def starts(self) -> array:
        """Where each range starts in the display text (made when asked: for tests and the ordinary view)."""
        return array("i", map(operator.add, self.offsets, repeat(self.lexed_from)))

    @property
    def ends(self) -> array:
        """Where each range ends (made when asked: for tests and the ordinary view)."""
        return array("i", map(operator.add, self.starts, self.lengths))

    def __len__(self) -> int:
        return len(self.offsets)


def _compact(values: Iterable[int]) -> array:
    """Non-negative ints in the smallest array that holds them all: 'B', 'H', else 'i'."""
    wide = values if isinstance(values, array) and values.typecode == "i" else array("i", values)
    for typecode in ("B", "H"):
        try:
            return array(typecode, wide)
        except OverflowError:  # a value over the type's maximum (or a negative one)
            continue
    return wide


def range_chunk(batch: RangeBatch, lexed_from: int, base: int = 0) -> RangeChunk:
    """A batch of ranges lexed with offsets relative to `base` as a chunk in display offsets."""
    # offsets in 4 bytes stay far below 2**31 (the body cap is 100 MB)
    return RangeChunk.from_lengths(lexed_from, batch.lexed_to + base, batch.starts, batch.lengths, batch.keys,
                                   base=base)


class HighlightWorker(QObject):
    """Decodes, pretty-prints, indexes and lexes a body in small steps, emitting as it goes: one pipeline for
    bodies of every size, whichever view shows them.

    Order of signals: info, text_piece* (text_reset restarts them; a last piece with `whole` set carries the
    complete text as received, replacing the pieces before it), range_chunk* for what is on screen as soon as
    its text exists, text_done, range_chunk*, finished; the lexing order follows want(), which is served
    between pieces too. With job.prepared (a small body already on screen) only range_chunk* and finished
    come. The Raw tab's text comes from raw_pieces(), when that tab is shown.
    """

    info = Signal(int, object)  # generation, BodyInfo
    # Text travels as `object`, not `str`: a str signal argument is copied into a QString and back, which for
    # megabytes is a long stretch of work on the UI thread.
    text_piece = Signal(int, object)  # generation, TextPiece
    text_reset = Signal(int)  # pretty-printing failed part-way: drop the pieces, the plain text follows
    text_done = Signal(int)
    range_chunk = Signal(int, object)  # generation, RangeChunk (Python str offsets of the text pieces)
    finished = Signal(int, object)  # generation, BodyStats
    done = Signal()

    SOURCE_PIECE = 256 * 1024
    FIRST_PIECE = 16 * 1024
    LEX_SEGMENT = 32 * 1024  # pretty JSON is lexed in segments this long, in the order the view asks for
    LEX_BATCH_TOKENS = 5000  # so a request from the view is noticed within a few milliseconds of lexing
    FIRST_PAUSES = 4  # pieces after which the worker pauses FIRST_PAUSE_S for the UI thread
    FIRST_PAUSE_S = 0.004
    # the longest the worker waits, once the first screen's text is sent, for the view to have drawn it
    FIRST_SCREEN_WAIT_S = 0.1

    def __init__(self, job: BodyJob) -> None:
        super().__init__()
        self.job = job
        self.cancel = threading.Event()
        self._screen_drawn = threading.Event()
        self._wanted: tuple[int, int] | None = None
        self._cpu0 = 0.0

    def want(self, start: int, end: int) -> None:
        """Lex display text [start, end) next (it is on screen); safe to call from any thread."""
        self._wanted = (start, end)  # one reference assignment: atomic under the GIL

    def first_screen_drawn(self) -> None:
        """The view has drawn the first screen of text: the worker goes on (see _await_first_screen); safe
        to call from any thread."""
        self._screen_drawn.set()

    def _await_first_screen(self) -> None:
        """Stay off the GIL while the UI thread draws the first screen, up to FIRST_SCREEN_WAIT_S.

        Drawing it enters Python a few dozen times (paint events, slots); behind a busy worker each entry
        waits for the GIL, and the first screen of a 10 MB body took 50 ms instead of 20."""
        deadline = time.monotonic() + self.FIRST_SCREEN_WAIT_S
        while not self._screen_drawn.wait(0.005) and time.monotonic() < deadline:
            self._check()  # a cancel is not kept waiting
        self._check()

    @Slot()
    def run(self) -> None:
        self._cpu0 = time.thread_time()
        try:
            self._run()
        except _Stop:
            pass
        finally:
            self.done.emit()

    def _check(self) -> None:
        if self.cancel.is_set():
            raise _Stop

    def _finish(self, stats: BodyStats) -> None:
        stats.cpu_s = time.thread_time() - self._cpu0
        self.finished.emit(self.job.generation, stats)

    def _run(self) -> None:
        job = self.job
        gen = job.generation
        t0 = time.perf_counter()
        if job.prepared is not None:
            # a small body already on screen (prepare_body): only its colours are left to make
            stats = BodyStats(chars=len(job.prepared.shown), broken_lines=bool(job.prepared.breaks))
            prepared = job.prepared
            if prepared.lexer is not None:
                segments = _Segments(prepared.lexer, lexer_syntax(prepared.lexer), self.LEX_SEGMENT,
                                     whole=prepared.source)
                t = time.perf_counter()
                while self._serve(segments, stats, rest=True):
                    pass
                stats.lex_s = time.perf_counter() - t
            stats.total_s = time.perf_counter() - t0
            self._finish(stats)
            return
        non_text = _non_text_info(job)
        if non_text is not None:
            self.info.emit(gen, non_text)
            self._finish(BodyStats(total_s=time.perf_counter() - t0))
            return
        info, parts, lexer, pretty_kind = _text_parts(job)
        self.info.emit(gen, info)
        self._check()
        # the parts list is the only reference to the text, so the run can let go of it
        self._run_indexed(parts, pretty_kind, lexer if info.highlighted else None, t0)

    # -- the one pipeline: text pieces with their line index, colours by segment -------------------------
    def _run_indexed(self, parts: list[str], pretty_kind: str | None, lexer: Lexer | None, t0: float) -> None:
        """Text pieces with their line index as they are made, the lines on screen coloured first, then the
        rest. Nothing is copied whole: the view keeps the pieces the worker made (see _Segments)."""
        job = self.job
        gen = job.generation
        t1 = time.perf_counter()
        stats = BodyStats()
        streamed = isinstance(parts, _Streamed)
        if streamed and pretty_kind is None or len(parts) > 1 and not streamed:  # too large to highlight or
            # pretty-print: the decoded parts are the pieces shown, each let go once sent
            indexer = LineIndexer(job.line_limit)
            for part in parts if streamed else _taken(parts):
                self._check()
                self.text_piece.emit(gen, indexer.feed(part))
                time.sleep(0)
            self.text_done.emit(gen)
            stats.chars = indexer.offset
            stats.broken_lines = indexer.soft_breaks > 0
            stats.pretty_s = time.perf_counter() - t1
            stats.total_s = time.perf_counter() - t0
            self._finish(stats)
            return
        source: str | Iterator[str]
        if isinstance(parts, _Streamed):
            text = ""
            source = iter(parts)  # pretty-printed as the parts are decoded
        else:
            text = source = parts.pop()  # the only reference: dropped once the pieces that show it exist
        segments: _Segments | None = None
        indexer = LineIndexer(job.line_limit)
        producer = {"json": iter_pretty_json, "xml": iter_pretty_xml, "html": iter_pretty_html}.get(
            pretty_kind or "")
        if producer is not None:
            segments = _Segments(lexer, pretty_kind or "", self.LEX_SEGMENT)
            try:
                for piece in producer(source, piece_chars=self.SOURCE_PIECE,  # type: ignore[arg-type]
                                      first_piece_chars=self.FIRST_PIECE):
                    self._check()
                    self.text_piece.emit(gen, indexer.feed(piece))
                    segments.add_piece(piece)
                    self._serve(segments, stats, first=len(segments.pieces) == 1)
                    if len(segments.pieces) == 1:
                        self._await_first_screen()
                    # the next pieces come faster than the UI thread shows them: a short pause after each
                    # lets it take them in without waiting for the GIL at every call into Qt
                    time.sleep(self.FIRST_PAUSE_S if 1 < len(segments.pieces) <= self.FIRST_PAUSES else 0)
            except NotPretty:
                if segments.pieces:
                    self.text_reset.emit(gen)
                segments = None
                indexer = LineIndexer(job.line_limit)
                stats = BodyStats()
                if not text:  # it was streamed: shown as received after all, so decoded whole again
                    text = normalize_newlines(decode_text(job.body, job.content_type))
            del source
        if segments is None:
            # as received: a small first piece at once, then the whole text (no copy) with its index, made in
            # pieces so the GIL goes back to the UI thread between them
            first = text[: self.FIRST_PIECE]
            head = indexer.feed(first)
            if len(first) == len(text):
                self.text_piece.emit(gen, TextPiece(text, 0, head.line_starts, head.longest, True, head.soft))
            else:
                self.text_piece.emit(gen, head)  # the first screen, before looking for lexer boundaries
                self._await_first_screen()
            segments = _Segments(lexer, lexer_syntax(lexer) if lexer is not None else "text", self.LEX_SEGMENT,
                                 whole=text)
            if len(first) != len(text):
                self._serve(segments, stats, first=True)
                starts = array(LINE_TYPECODE, head.line_starts)
                soft = list(head.soft)
                for pos in range(len(first), len(text), self.SOURCE_PIECE):
                    self._check()
                    indexed = indexer.feed(text[pos : pos + self.SOURCE_PIECE])
                    starts.extend(indexed.line_starts)
                    soft.extend(indexed.soft)
                    self._serve(segments, stats)
                    time.sleep(0)
                self.text_piece.emit(gen, TextPiece(text, 0, starts, indexer.longest, True, tuple(soft)))
                del starts
        del text
        segments.complete()
        self.text_done.emit(gen)
        if job.body and len(job.body) > TRIM_AFTER_BYTES:
            trim_heap()  # before the colours of the rest grow: the pretty-printer's copies are given back
        stats.pretty_s = time.perf_counter() - t1 - stats.lex_s
        stats.chars = segments.length
        stats.broken_lines = indexer.soft_breaks > 0
        self._check()
        if lexer is not None:
            t = time.perf_counter()
            while self._serve(segments, stats, rest=True):
                pass
            stats.lex_s += time.perf_counter() - t
        stats.total_s = time.perf_counter() - t0
        self._finish(stats)

    def _serve(self, segments: _Segments, stats: BodyStats, first: bool = False, rest: bool = False) -> bool:
        """Lex what is on screen (want()) and, with first, what the first screen shows; with rest, the next
        segment in order when nothing is wanted. False when there was nothing left to lex."""
        if segments.lexer is None:
            return False
        picks: list[int] = []
        wanted = self._wanted
        if wanted is not None:
            picks = segments.overlapping(*wanted)
            if not picks and segments.covered(*wanted):
                if self._wanted is wanted:
                    self._wanted = None
        if first and 0 not in segments.done and (segments.syntax == "json" or segments.ready(0)):
            # the first screen: the first piece of pretty JSON ends between tokens, so it lexes on its own
            # even before the next piece says where the following segment starts
            picks = [0, *(i for i in picks if i != 0)]
        if not picks and rest:
            nxt = segments.next_undone()
            if nxt is None:
                return False
            picks = [nxt]
        t = time.perf_counter()
        for i in picks:
            self._lex_segment(segments, i, stats)
        stats.lex_s += time.perf_counter() - t
        return True

    def _lex_segment(self, segments: _Segments, i: int, stats: BodyStats) -> None:
        start, end = segments.bounds_of(i)
        segments.done.add(i)
        covered = start
        assert segments.lexer is not None
        # lexed in segment offsets: a chunk keeps its ranges as small offsets from where it starts
        for batch in iter_range_batches(segments.lexer, segments.text(start, end),
                                        batch_tokens=self.LEX_BATCH_TOKENS):
            self._check()
            stats.ranges += len(batch)
            chunk = range_chunk(batch, covered, base=start)
            self.range_chunk.emit(self.job.generation, chunk)
            covered = chunk.lexed_to
            time.sleep(0)  # let the UI thread run its queued slots now


class _Segments:
    """The display text of a line-indexed job as the pieces the view holds, cut where the lexer may start
    afresh (core.highlight: line starts of pretty JSON, json_boundaries, MarkupBoundaries), so the part on
    screen can be coloured before the parts before it."""

    def __init__(self, lexer: Lexer | None, syntax: str, step: int, whole: str | None = None) -> None:
        self.lexer = lexer
        self.syntax = syntax
        self.step = step
        self.pieces: list[str] = []
        self.piece_starts: list[int] = []
        self.length = 0
        self.starts: list[int] = [0]  # segment i is [starts[i], starts[i + 1]), the last one up to `length`
        self.final = False  # the last segment's end is known
        self.done: set[int] = set()
        self._next = 0
        self._markup = MarkupBoundaries(step, first=step // 8) if syntax in MARKUP_SYNTAXES else None
        if whole is not None:
            self.pieces, self.piece_starts, self.length = [whole], [0], len(whole)
            if lexer is None:
                pass
            elif syntax == "json":
                self.starts += json_boundaries(whole, step)
            elif self._markup is not None:
                self.starts += [b for b in self._markup.feed(whole) if b > 0]
            else:
                pass  # other lexers carry state across lines: one pass from the start
            self.final = True

    def add_piece(self, piece: str) -> None:
        base = self.length
        self.pieces.append(piece)
        self.piece_starts.append(base)
        self.length += len(piece)
        if self.lexer is None:
            return
        if self.syntax == "json":  # pretty JSON: every line start is a token boundary, so is a piece's end
            cuts = [base + at for at, _ in _split_at_lines(piece, self.step)]
        elif self._markup is not None:
            cuts = self._markup.feed(piece)
        else:
            return
        self.starts.extend(c for c in cuts if c > self.starts[-1])

    def complete(self) -> None:
        if len(self.starts) > 1 and self.starts[-1] >= self.length:
            self.starts.pop()  # a piece's end was taken for the next piece's start: there is none
        self.final = True

    def text(self, start: int, end: int) -> str:
        i = bisect_right(self.piece_starts, start) - 1
        out = []
        while start < end:
            base = self.piece_starts[i]
            part = self.pieces[i][start - base : end - base]
            out.append(part)
            start += len(part)
            i += 1
        return "".join(out) if len(out) != 1 else out[0]

    def bounds_of(self, i: int) -> tuple[int, int]:
        return self.starts[i], self.starts[i + 1] if i + 1 < len(self.starts) else self.length

    def ready(self, i: int) -> bool:
        return i + 1 < len(self.starts) or self.final

    def overlapping(self, start: int, end: int) -> list[int]:
        """Segments not lexed yet, ready, and overlapping display offsets [start, end)."""
        first = max(0, bisect_right(self.starts, start) - 1)
        last = bisect_right(self.starts, max(start, end - 1)) - 1
        return [i for i in range(first, last + 1) if i not in self.done and self.ready(i)]

    def covered(self, start: int, end: int) -> bool:
        first = max(0, bisect_right(self.starts, start) - 1)
        last = bisect_right(self.starts, max(start, end - 1)) - 1
        return all(i in self.done for i in range(first, last + 1))

    def next_undone(self) -> int | None:
        while self._next < len(self.starts) and self._next in self.done:
            self._next += 1
        return self._next if self._next < len(self.starts) and self.ready(self._next) else None


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


def raw_pieces(job: BodyJob, cancel: threading.Event | None = None) -> list[TextPiece]:
    """The Raw tab of a line-indexed body: its head (status line, headers) and the text as received (decoded
    and masked like the Body tab), indexed a piece at a time so the GIL goes back to the UI thread between."""
    _info, parts, _lexer, _pretty = _text_parts(job)
    indexer = LineIndexer(job.line_limit)
    out = [indexer.feed(job.raw_head)] if job.raw_head else []
    for text in parts:
        start = indexer.offset
        starts = array(LINE_TYPECODE)
        soft: list[int] = []
        for pos in range(0, len(text), HighlightWorker.SOURCE_PIECE):
            if cancel is not None and cancel.is_set():
                return []
            piece = indexer.feed(text[pos : pos + HighlightWorker.SOURCE_PIECE])
            starts.extend(piece.line_starts)
            soft.extend(piece.soft)
            time.sleep(0)
        out.append(TextPiece(text, start, starts, indexer.longest, soft=tuple(soft)))
    return out


# A body this large leaves megabytes of freed copies (decoded parts, pieces being joined) in the worker's
# malloc arena, which glibc keeps unless asked (they would count in the window's memory for good)
TRIM_AFTER_BYTES = 1024 * 1024


def share_gil_with_ui() -> None:
    """Make a busy worker thread hand the GIL back to the UI thread within 1 ms instead of 5 ms.

    The UI thread needs the GIL again after every call into Qt; with the default interval each such call
    can wait up to 5 ms behind a lexing worker, and a slot making twenty calls stalls the window.
    """
    if sys.getswitchinterval() > 0.001:
        sys.setswitchinterval(0.001)


class _Stop(Exception):
    """The job was cancelled."""
