"""Lexer choice by content type and sniffing; cheap pretty-printing; Pygments tokens to styled ranges.

Pure Python (no Qt). Everything here is written so a worker thread can process a body of many megabytes in
small steps: each step is a short stretch of Python, so the GIL is handed back to the UI thread often.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate, islice, repeat
from operator import add, eq, itemgetter
from typing import TYPE_CHECKING, Any

from pygments.token import Token, _TokenType
from pygments.util import ClassNotFound

from inspector.core.bodies import parse_mime
from inspector.core.style_keys import STYLE_KEYS

if TYPE_CHECKING:  # pygments.lexer(s) import importlib.metadata and email: loaded when a body is first coloured
    from pygments.lexer import Lexer

# Offsets must stay aligned with the text we display, so the lexer may not strip or add newlines.
LEXER_OPTIONS = {"stripnl": False, "stripall": False, "ensurenl": False}

_KEY_INDEX = {k: i for i, k in enumerate(STYLE_KEYS)}

# Most specific first: the first ancestor of a token type found here decides its key.
_TOKEN_KEYS: dict[_TokenType, str] = {
    Token.Name.Tag: "tag",
    Token.Name.Attribute: "attribute",
    Token.Name.Builtin: "builtin",
    Token.Name.Entity: "builtin",
    Token.Name.Decorator: "builtin",
    Token.Name.Function: "name",
    Token.Name.Class: "name",
    Token.Name.Namespace: "name",
    Token.Name.Label: "name",
    Token.Keyword: "keyword",
    Token.Literal.String: "string",
    Token.Literal.Number: "number",
    Token.Literal: "string",
    Token.Comment: "comment",
    Token.Operator.Word: "keyword",
    Token.Operator: "operator",
    Token.Error: "error",
    Token.Generic.Heading: "heading",
    Token.Generic.Subheading: "heading",
    Token.Generic.Error: "error",
    Token.Generic.Deleted: "error",
    Token.Generic.Inserted: "string",
}
_JSON_KEY_LEXERS = ("json",)


# ---------------------------------------------------------------------------------------------------------
# Lexer choice


def _declared_lexer(mime: str) -> Lexer | None:
    """httpie's rule: the mime type, then its +suffix and base subtype, then lexer names, then 'json'."""
    if not mime:
        return None
    type_, _, subtype = mime.partition("/")
    mime_types = [mime]
    names: list[str] = []
    if "+" in subtype:
        base, _, suffix = subtype.partition("+")
        # the structured-syntax suffix (RFC 6839) says more about the syntax than the vendor name
        mime_types += [f"application/{suffix}", f"{type_}/{suffix}", f"{type_}/{base}"]
        names += [suffix, base]
    else:
        names.append(subtype.removeprefix("x-"))
    if "json" in subtype:
        names.append("json")
    from pygments.lexers import get_lexer_by_name, get_lexer_for_mimetype

    for candidate in mime_types:
        try:
            return get_lexer_for_mimetype(candidate, **LEXER_OPTIONS)
        except ClassNotFound:
            pass
    for name in names:
        try:
            return get_lexer_by_name(name, **LEXER_OPTIONS)
        except ClassNotFound:
            pass
    return None


def sniff_syntax(body_prefix: str | bytes) -> str | None:
    """'json', 'xml' or 'html' when the start of a body plainly is one; None otherwise."""
    if isinstance(body_prefix, bytes):
        body_prefix = body_prefix[:4096].decode("utf-8", errors="replace")
    head = body_prefix[:4096].lstrip("\ufeff \t\r\n")
    if not head:
        return None
    low = head[:256].lower()
    if head[0] == "{":
        rest = head[1:].lstrip()
        return "json" if not rest or rest[0] in '"}' else None
    if head[0] == "[":
        rest = head[1:].lstrip()
        return "json" if not rest or rest[0] in '{["]-0123456789tfn' else None
    if low.startswith(("<!doctype html", "<html")):
        return "html"
    if low.startswith("<?xml"):
        return "html" if "<html" in head[:1024].lower() else "xml"
    if head[0] == "<" and re.match(r"<[A-Za-z_][\w.:-]*[\s>/]", head):
        return "html" if re.search(r"<(head|body|div|p|br|title)\b", head[:1024], re.IGNORECASE) else "xml"
    return None


def lexer_syntax(lexer: Lexer | None) -> str:
    """A short family name for a lexer: 'json', 'xml', 'html', 'text' or its first alias."""
    if lexer is None:
        return "text"
    aliases = [str(a).lower() for a in getattr(lexer, "aliases", ())]
    for family in ("json", "xml", "html"):
        if family in aliases:
            return family
    if not aliases or "text" in aliases:
        return "text"
    return aliases[0]


def _lexer_for_syntax(syntax: str) -> Lexer:
    from pygments.lexers import get_lexer_by_name

    return get_lexer_by_name(syntax, **LEXER_OPTIONS)


def choose_lexer(content_type: str | None, body_prefix: str | bytes = "") -> Lexer:
    """The Pygments lexer for a body: by content type (with +json/+xml suffixes), corrected by sniffing.

    The content type is trusted unless it is missing, plain text, or names one of json/xml/html while the
    body plainly is another of them (a proxy's HTML error page sent as application/json, JSON sent as
    text/html): the bytes we actually received win then.
    """
    declared = _declared_lexer(parse_mime(content_type))
    family = lexer_syntax(declared)
    sniffed = sniff_syntax(body_prefix) if body_prefix else None
    if family in ("text", "json", "xml", "html"):
        if sniffed and sniffed != family:
            return _lexer_for_syntax(sniffed)
        if family == "json" and body_prefix and sniffed is None:
            return _lexer_for_syntax("text")  # "Unauthorized" labelled JSON is not worth red error marks
    if declared is None:
        return _lexer_for_syntax(sniffed or "text")
    return declared


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR to LF, as Pygments and Qt's text document would do on their own (offsets agree)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def hex_preview(data: bytes, limit: int = 64 * 1024) -> str:
    """An offset / hex / ASCII dump of the first `limit` bytes, 16 per line."""
    lines = []
    shown = data[:limit]
    for offset in range(0, len(shown), 16):
        row = shown[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in row)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        lines.append(f"{offset:08x}  {hexes[:23]:<23}  {hexes[24:]:<23}  |{text}|")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit:,} more bytes not shown")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# Pretty-printing (by re-indenting tokens: no parse tree, numbers and key order kept exactly as sent)


class NotPretty(ValueError):
    """The text is not well-formed enough to re-indent; show it as it is."""


# Indentation grows with depth, so re-indenting N levels writes ~N² spaces: 100,000 nested brackets would be
# 20 GB of text. Deeper than this, a body is shown as it came.
MAX_PRETTY_DEPTH = 256


_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
# One match is one member or element ("key": value,) so the Python loop runs once per member, not per token.
_JSON_PIECE = re.compile(
    rf"""\s*(?:({_STRING})\s*:\s*)?      # 1 the key of an object member
    (?:({_STRING}|[-+.0-9A-Za-z]+)\s*(,)?  # 2 a scalar value, 3 a comma after it
      |([{{\[])                            # 4 an opening bracket
      |([}}\]])\s*(,)?                     # 5 a closing bracket, 6 a comma after it
    )""",
    re.VERBOSE,
)


_NON_SPACE = re.compile(r"\S")


def _json_needs_more(text: str, m: re.Match[str]) -> bool:
    """Whether a match near the end of a part may be another match once the next part is there: only
    whitespace follows it (a comma may come), or a colon after a string taken as a value (the key's match
    failed for want of what follows the colon)."""
    following = _NON_SPACE.search(text, m.end())
    return following is None or (text[following.start()] == ":" and m.group(1) is None)


def iter_pretty_json(
    text: str | Iterable[str], indent: int = 2, piece_chars: int = 256 * 1024, first_piece_chars: int = 16 * 1024
) -> Iterator[str]:
    """Yield the re-indented JSON text in pieces of about piece_chars; raise NotPretty on malformed input.

    `text` may also come as consecutive parts (a body decoded a megabyte at a time): each part is let go as
    soon as it is formatted, so the whole text never has to be in memory beside its formatted copy.
    Pieces may be emitted before an error is found near the end; a caller that streams them must be ready to
    start again with the original text.
    """
    out: list[str] = []
    size = 0
    stack: list[str] = []
    pad = " " * indent
    newline = ["\n", "\n" + pad]  # newline[d]: a line break and the indentation for depth d (and d + 1)
    depth = 0  # len(stack)
    pos = 0
    started = False  # a value was written: a second top-level value (NDJSON) starts on a new line
    empty_open = False  # the previous token opened a container; "{}" and "[]" stay on one line
    match = _JSON_PIECE.match
    goal = first_piece_chars  # a small first piece, so the first screen can show at once
    parts = iter((text,) if isinstance(text, str) else text)
    text = ""
    tail = 0  # where the whitespace that ends `text` begins
    final = False  # no part is left: a match may end at the end of the text
    consumed = 0  # characters of the parts before `text`, for error offsets
    append = out.append
    while True:
        m = match(text, pos)
        if m is None:
            if not final:
                consumed += pos
                text, final = _append_parts(text[pos:], parts)
                tail = len(text.rstrip())
                pos = 0
                continue
            if text[pos:].strip():
                raise NotPretty(f"unexpected character at offset {consumed + pos}")
            break
        end = m.end()
        key, scalar, comma, opener, closer, closer_comma = m.groups()
        # the token may go on in the next part when only whitespace follows it (a comma may come), or a
        # colon follows a string taken as a value (the key's match failed for want of what follows the
        # colon): take the next part, keep what is not formatted yet (the end is checked once per match;
        # the rare whitespace after a match is looked past only then)
        if not final and (end >= tail or key is None and (
                text[end] == ":" or text[end].isspace() and _json_needs_more(text, m))):
            consumed += pos
            text, final = _append_parts(text[pos:], parts)
            tail = len(text.rstrip())
            pos = 0
            continue
        pos = end
        if scalar:
            piece = key + ": " + scalar if key else scalar
            if empty_open or not depth and started:
                piece = newline[depth] + piece
            if comma:
                if not depth:
                    raise NotPretty(f"a comma outside any object or array at offset {consumed + pos}")
                piece += "," + newline[depth]
            empty_open = False
        elif closer:
            if key or not depth or stack.pop() != closer:
                raise NotPretty(f"unbalanced '{closer}' at offset {consumed + pos}")
            depth -= 1
            piece = closer if empty_open else newline[depth] + closer
            if closer_comma:
                piece += "," + newline[depth]
            empty_open = False
        else:
            piece = newline[depth] if empty_open or (started and not depth) else ""
            if key:
                piece += key + ": "
            piece += opener
            stack.append("}" if opener == "{" else "]")
            depth += 1
            if depth > MAX_PRETTY_DEPTH:
                raise NotPretty(f"nested more than {MAX_PRETTY_DEPTH} levels deep at offset {consumed + pos}")
            if depth + 1 == len(newline):
                newline.append(newline[-1] + pad)
            empty_open = True
        started = True
        append(piece)
        size += len(piece)
        if size >= goal:
            yield "".join(out)
            out.clear()
            size = 0
            goal = piece_chars
    if stack:
        raise NotPretty("the text ends inside an object or array")
    if out:
        yield "".join(out)


def pretty_json(text: str, indent: int = 2) -> str:
    """The re-indented JSON text, or the text unchanged when it is not JSON."""
    try:
        return "".join(iter_pretty_json(text, indent))
    except NotPretty:
        return text


def _parts_of(text: str | Iterable[str]) -> Iterator[str]:
    return iter((text,) if isinstance(text, str) else text)


def _xml_scan(text: str, final: bool, resume: list[int]) -> Iterator[str]:
    """_xml_pieces over one stretch of text: yields its pieces and sets resume[0] to where the rest begins.

    When not `final` (more text may follow), a piece that might go on past the end (text with no '<' after
    it, a tag with no '>', a comment or CDATA with no end) is not yielded: the scan stops at its start.
    """
    n = len(text)
    i = 0
    next_gt = -1  # cached position of the next '>' at or after the scan position
    while i < n:
        lt = text.find("<", i)
        if lt < 0:
            if not final:
                resume[0] = i
                return
            yield text[i:]
            resume[0] = n
            return
        if lt > i:
            yield text[i:lt]
        if text.startswith("<!", lt) and (text.startswith("<!--", lt) or text.startswith("<![CDATA[", lt)):
            opener, closer = ("<!--", "-->") if text[lt + 2] == "-" else ("<![CDATA[", "]]>")
            end = text.find(closer, lt + len(opener))
            if end < 0:
                if not final:
                    resume[0] = lt
                    return
                yield text[lt:]
                resume[0] = n
                return
            yield text[lt:end + len(closer)]
            i = end + len(closer)
        else:
            # (a '<' too near the end to tell a comment or CDATA from a tag has no '>' after it: it waits)
            if next_gt < lt + 1:
                next_gt = text.find(">", lt + 1)
                if next_gt < 0:
                    if not final:
                        resume[0] = lt
                        return
                    yield text[lt:]
                    resume[0] = n
                    return
            following_lt = text.find("<", lt + 1, next_gt)
            if following_lt >= 0:  # a stray '<' in text: it is text up to the next '<'
                yield text[lt:following_lt]
                i = following_lt
            else:
                yield text[lt:next_gt + 1]
                i = next_gt + 1
    resume[0] = n
    return


def _xml_pieces(text: str | Iterable[str]) -> Iterator[str]:
    """Markup (comments, CDATA, tags) and the text between, in order, in linear time.

    A regex split would rescan to the end of the text from every unterminated `<` (quadratic: 150,000 of
    them took 30 s); here each scan position only moves forward, and an unterminated construct ends it.
    The text may come as consecutive parts: the pieces are those of the parts joined, and only the piece
    that goes on into the next part is carried over.
    """
    resume = [0]
    for stretch, final in _stretches(text, resume):
        yield from _xml_scan(stretch, final, resume)


def _stretches(text: str | Iterable[str], resume: list[Any]) -> Iterator[tuple[str, bool]]:
    """The text (or its parts) as stretches to scan, and whether each is the last: after a stretch is scanned,
    resume[0] says where what the scan could not finish begins; it is carried into the next stretch."""
    if isinstance(text, str):
        yield text, True
        return
    parts = iter(text)
    carry = ""
    while True:
        carry, done = _append_parts(carry, parts)
        if done:
            break
        yield carry, False
        carry = carry[resume[0]:]
    if carry:
        yield carry, True


def _append_parts(carry: str, parts: Iterator[str]) -> tuple[str, bool]:
    """The text carried over with the next parts after it, more characters of them than are carried (so a
    construct left open over many parts is scanned again only as often as its length doubles: linear time);
    and whether the parts ran out."""
    more: list[str] = []
    got = 0
    for part in parts:
        more.append(part)
        got += len(part)
        if got > len(carry):
            break
    else:
        return "".join([carry, *more]), True
    return (more[0] if not carry and len(more) == 1 else "".join([carry, *more])), False


class _LastChar:
    """Passes parts through, remembering the last character of the text (for its final newline)."""

    def __init__(self, text: str | Iterable[str]) -> None:
        self.parts = _parts_of(text)
        self.last = text[-1:] if isinstance(text, str) else ""
        self.whole = text if isinstance(text, str) else None  # scanned as it is: no parts to follow

    def __iter__(self) -> Iterator[str]:
        for part in self.parts:
            if part:
                self.last = part[-1]
                yield part


def iter_pretty_xml(
    text: str | Iterable[str], indent: int = 2, piece_chars: int = 256 * 1024,
    first_piece_chars: int = 16 * 1024,
) -> Iterator[str]:
    """Yield pretty_xml's output in pieces of about piece_chars; raise NotPretty when it does not nest cleanly.

    Pieces end between markup parts (never inside a tag, comment or CDATA). Like iter_pretty_json, `text`
    may come as consecutive parts (a body decoded a part at a time), each let go once formatted, and
    pieces may come before an error near the end is found: a caller that streams them must be ready to start
    again.
    """
    source = _LastChar(text)
    out: list[str] = []
    size = 0
    goal = first_piece_chars  # a small first piece, so the first screen can show at once
    depth = 0
    prev = ""  # what was last written: open, close, text, other
    written = False
    pad = " " * indent
    lead = ["\n"]  # lead[d]: a line break and the indentation for depth d
    resume = [0]
    for stretch, final in _stretches(source if source.whole is None else source.whole, resume):
        for part in _xml_scan(stretch, final, resume):
            if part[0] == "<":
                if part[-1] != ">":  # an unterminated tag, comment or CDATA: not clean XML
                    raise NotPretty("an unterminated tag, comment or CDATA section")
                if part[1] == "/":
                    depth -= 1
                    if depth < 0:
                        raise NotPretty("an end tag without its start tag")
                    piece = part if prev == "open" or prev == "text" else lead[depth] + part
                    prev = "close"
                else:
                    piece = lead[depth] + part if written else part
                    if part[1] == "?" or part[1] == "!" or part[-2] == "/":
                        prev = "other"
                    else:
                        depth += 1
                        if depth > MAX_PRETTY_DEPTH:
                            raise NotPretty(f"nested more than {MAX_PRETTY_DEPTH} levels deep")
                        if depth == len(lead):
                            lead.append("\n" + pad * depth)
                        prev = "open"
            elif part.isspace():
                continue
            else:
                stripped = part.strip()
                piece = stripped if prev == "open" else lead[depth] + stripped
                prev = "text"
            written = True
            out.append(piece)
            size += len(piece)
            if size >= goal:
                yield "".join(out)
                out = []
                size = 0
                goal = piece_chars
    if depth != 0:
        raise NotPretty("the text ends inside an element")
    if source.last == "\n":
        out.append("\n")
    if out:
        yield "".join(out)


def pretty_xml(text: str, indent: int = 2) -> str:
    """XML re-indented one element per line, leaf text inline; unchanged when it does not nest cleanly."""
    try:
        return "".join(iter_pretty_xml(text, indent))
    except NotPretty:
        return text


# HTML is not XML: void elements (<br>, <meta>) have no end tag, some end tags are optional (</p>, </li>),
# the text of <script> and <style> may hold '<', and inline elements sit inside a line of text.
_HTML_VOID = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr basefont frame".split())
_HTML_VERBATIM = frozenset({"script", "style", "pre", "textarea", "title"})  # content kept as written
_HTML_INLINE = frozenset(
    "a abbr b bdi bdo big br cite code data del dfn em font i img input ins kbd label mark q s samp select "
    "small span strike strong sub sup time tt u var wbr button".split())
_HTML_CLOSED_BY: dict[str, frozenset[str]] = {  # an open one of these ends when the key element opens
    "li": frozenset({"li"}),
    "p": frozenset({"p"}),
    "dt": frozenset({"dt", "dd"}),
    "dd": frozenset({"dt", "dd"}),
    "tr": frozenset({"tr", "td", "th"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "option": frozenset({"option"}),
    "thead": frozenset({"tbody", "tfoot"}),
    "tbody": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
    "tfoot": frozenset({"thead", "tbody", "tr", "td", "th"}),
}
_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:._-]*)")


class _OpenElement:
    """An element pretty_html has open: its name, whether it is a block, whether only inline content (text,
    inline elements) came inside it so far."""

    __slots__ = ("block", "name", "only_inline")

    def __init__(self, name: str, block: bool) -> None:
        self.name = name
        self.block = block
        self.only_inline = True


_END_TAGS: dict[str, re.Pattern[str]] = {}


def _html_end_tag(name: str) -> re.Pattern[str]:
    pattern = _END_TAGS.get(name)
    if pattern is None:
        pattern = _END_TAGS[name] = re.compile("</" + re.escape(name), re.IGNORECASE)
    return pattern


def _html_scan(text: str, final: bool, resume: list[Any]) -> Iterator[tuple[str, str, str]]:
    """_html_pieces over one stretch of text: yields its pieces and sets resume to [where the rest begins,
    the name of the script, style, pre, textarea or title element whose content it begins inside, or ""].

    When not `final` (more text may follow), a piece that might go on past the end is not yielded: the scan
    stops at its start (see _xml_scan); resume[1] says the text begins inside such an element's content.
    """
    verbatim: str = resume[1]
    n = len(text)
    i = 0
    next_gt = -1
    if verbatim:
        found = _html_end_tag(verbatim).search(text)
        if found is None:
            if not final:
                resume[:] = [0, verbatim]
                return
            if n:
                yield "verbatim", verbatim, text
            resume[:] = [n, ""]
            return
        if found.start() > 0:
            yield "verbatim", verbatim, text[:found.start()]
        i = found.start()
    while i < n:
        lt = text.find("<", i)
        if lt < 0:
            if not final:
                resume[:] = [i, ""]
                return
            yield "text", "", text[i:]
            resume[:] = [n, ""]
            return
        if lt > i:
            yield "text", "", text[i:lt]
        if text.startswith("<!--", lt):
            end = text.find("-->", lt + 4)
            if end < 0:
                if not final:
                    resume[:] = [lt, ""]
                    return
                yield "other", "", text[lt:]
                resume[:] = [n, ""]
                return
            yield "other", "", text[lt:end + 3]
            i = end + 3
            continue
        if next_gt < lt + 1:
            next_gt = text.find(">", lt + 1)
            if next_gt < 0:
                if not final:
                    resume[:] = [lt, ""]
                    return
                yield "text", "", text[lt:]
                resume[:] = [n, ""]
                return
        following_lt = text.find("<", lt + 1, next_gt)
        if following_lt >= 0:  # a stray '<' in text
            yield "text", "", text[lt:following_lt]
            i = following_lt
            continue
        tag = text[lt:next_gt + 1]
        i = next_gt + 1
        match = _HTML_TAG.match(tag)
        if match is None:
            yield ("other" if tag.startswith(("<!", "<?")) else "text"), "", tag
            continue
        name = match.group(2).lower()
        if match.group(1):
            yield "close", name, tag
            continue
        yield "open", name, tag
        if name in _HTML_VERBATIM and not tag.endswith("/>"):
            # its end tag in any case, found without a lower-cased copy of the whole text
            found = _html_end_tag(name).search(text, i)
            end = found.start() if found else -1
            if end < 0:
                if not final:
                    resume[:] = [i, name]
                    return
                if i < n:
                    yield "verbatim", name, text[i:]
                resume[:] = [n, ""]
                return
            if end > i:
                yield "verbatim", name, text[i:end]
            i = end
    resume[:] = [n, ""]
    return


def _html_pieces(text: str | Iterable[str]) -> Iterator[tuple[str, str, str]]:
    """(kind, element name, piece) in order, in linear time: kind is "open", "close", "text", "verbatim"
    (the content of script, style, pre, textarea, title) or "other" (comments, doctype, CDATA, <?...?>).

    Like _xml_pieces every scan only moves forward; what cannot be markup is text, so nothing is refused;
    the text may come as consecutive parts.
    """
    resume: list[Any] = [0, ""]
    for stretch, final in _stretches(text, resume):
        yield from _html_scan(stretch, final, resume)


def iter_pretty_html(
    text: str | Iterable[str], indent: int = 2, piece_chars: int = 256 * 1024,
    first_piece_chars: int = 16 * 1024,
) -> Iterator[str]:
    """Yield pretty_html's output in pieces of about piece_chars (between parts, never inside a tag, comment
    or element content kept as written); raise NotPretty when it holds no markup or nests too deep. `text`
    may come as consecutive parts, as for iter_pretty_xml."""
    source = _LastChar(text)
    out: list[str] = []
    size = 0
    goal = first_piece_chars
    written = False  # a piece was yielded
    pad = " " * indent
    stack: list[_OpenElement] = []
    open_count: dict[str, int] = {}
    depth = 0  # block elements open
    # what was written last: "start"; "block" (the line is done); "open" (a block's open tag: its text may
    # follow on the line); "inline" (text or an inline element: the line goes on)
    prev = "start"
    space = False  # inline content seen whitespace after it

    def push(name: str, block: bool) -> None:
        stack.append(_OpenElement(name, block))
        open_count[name] = open_count.get(name, 0) + 1

    def pop() -> _OpenElement:
        entry = stack.pop()
        open_count[entry.name] -= 1
        return entry

    def line(piece: str) -> None:
        out.append(("\n" + pad * depth if written or out else "") + piece)

    counted = 0  # out[:counted] is in size
    resume: list[Any] = [0, ""]
    for stretch, final in _stretches(source if source.whole is None else source.whole, resume):
        for kind, name, piece in _html_scan(stretch, final, resume):
            while counted < len(out):
                size += len(out[counted])
                counted += 1
            if size >= goal:  # between parts: a piece never ends inside a tag or a verbatim element's content
                written = True
                yield "".join(out)
                out.clear()
                counted = size = 0
                goal = piece_chars
            if kind == "text":
                words = piece.strip()
                if not words:
                    space = space or prev == "inline"
                    continue
                if prev == "inline":
                    out.append((" " if space or piece[0].isspace() else "") + words)
                elif prev == "open":
                    out.append(words)
                else:
                    line(words)
                space = piece[-1].isspace()
                prev = "inline"
            elif kind == "verbatim":
                out.append(piece)
                prev = "inline"
                space = False
            elif kind == "other":
                line(piece.strip())
                prev = "block"
                if stack:
                    stack[-1].only_inline = False
            elif kind == "open":
                closes = _HTML_CLOSED_BY.get(name)
                while closes and stack and stack[-1].name in closes:
                    if pop().block:
                        depth -= 1
                if stack and stack[-1].name == "p" and name not in _HTML_INLINE:  # a block ends an open <p>
                    pop()
                    depth -= 1
                void = name in _HTML_VOID or piece.endswith("/>")
                if name in _HTML_INLINE or name in _HTML_VERBATIM and name in ("textarea", "title"):
                    if prev in ("inline", "open"):
                        out.append((" " if space and prev == "inline" else "") + piece)
                    else:
                        line(piece)
                    prev = "block" if name == "br" else "inline"
                    space = False
                    if not void:
                        push(name, False)
                    continue
                if stack:
                    stack[-1].only_inline = False
                line(piece)
                prev = "block" if void else "open"
                if not void:
                    push(name, True)
                    depth += 1
                    if depth > MAX_PRETTY_DEPTH:
                        raise NotPretty(f"nested more than {MAX_PRETTY_DEPTH} levels deep")
                if name in ("pre", "script", "style"):
                    prev = "inline"  # their content (and end tag) follow the open tag as written
            else:  # close
                if not open_count.get(name):  # an end tag without its element: kept on a line of its own
                    line(piece)
                    prev = "block"
                    continue
                while True:
                    entry = pop()
                    if entry.block:
                        depth -= 1
                    if entry.name == name:
                        break
                if not entry.block:
                    out.append(piece)
                    prev = "inline"
                    space = False
                    continue
                if entry.only_inline and prev in ("inline", "open") or name in ("pre", "script", "style"):
                    out.append(piece)  # only text and inline elements inside: on the open tag's line
                else:
                    line(piece)
                prev = "block"
                if stack:
                    stack[-1].only_inline = False
    if not out and not written:
        raise NotPretty("no markup to re-indent")
    if source.last == "\n":
        out.append("\n")
    yield "".join(out)


def pretty_html(text: str, indent: int = 2) -> str:
    """HTML re-indented: one block element per line, inline elements and text kept on their line, the content
    of script, style, pre and textarea as written. Unchanged when it holds no markup or nests too deep."""
    try:
        return "".join(iter_pretty_html(text, indent))
    except NotPretty:
        return text


MARKUP_SYNTAXES = ("xml", "html")


def pretty_markup(text: str, syntax: str) -> str:
    """XML or HTML re-indented (see pretty_xml and pretty_html); other text unchanged."""
    if syntax == "html":
        return pretty_html(text)
    if syntax == "xml":
        return pretty_xml(text)
    return text


def pretty_syntax(lexer: Lexer | None) -> str | None:
    """'json', 'xml' or 'html' when a body in this syntax can be pretty-printed here; None otherwise."""
    syntax = lexer_syntax(lexer)
    return syntax if syntax in ("json", "xml", "html") else None


# ---------------------------------------------------------------------------------------------------------
# Where a lexer may start afresh, so a part of a long body can be coloured on its own (the part on screen
# first) and still get exactly the colours lexing from the start would give.


def json_boundaries(text: str, step: int) -> list[int]:
    """Offsets roughly every `step` characters, just after a comma outside any string, where JsonLexer may
    start afresh.

    Whether a comma is inside a string is told by the parity of the quotes before it, counted in C
    (str.count), minus the escaped ones (a quote after an odd run of backslashes).
    """
    escaped: list[int] = []  # quotes after an odd run of backslashes (found with str.find: short C calls)
    at = text.find('\\"')
    while at >= 0:
        run = at
        while run > 0 and text[run - 1] == "\\":
            run -= 1
        if (at + 1 - run) % 2 == 1:
            escaped.append(at + 1)
        at = text.find('\\"', at + 1)
    out: list[int] = []
    n = len(text)
    pos = 0  # quotes are counted up to here
    quotes = 0
    target = step
    find, count = text.find, text.count
    while target < n:
        q = find(",", target)
        while q >= 0:
            quotes += count('"', pos, q) - (bisect_left(escaped, q) - bisect_left(escaped, pos))
            pos = q
            if quotes % 2 == 0:
                break
            q = find(",", q + 1)
        if q < 0:
            break
        out.append(q + 1)
        target = q + 1 + step
    return out


_MARKUP_OPENERS = re.compile(r"<!--|<!\[CDATA\[|<\?|<(script|style)\b", re.IGNORECASE)
_MARKUP_CLOSERS = {"<!--": re.compile("-->"), "<![CDATA[": re.compile(r"\]\]>"), "<?": re.compile(r"\?>"),
                   "script": re.compile(r"</script", re.IGNORECASE),
                   "style": re.compile(r"</style", re.IGNORECASE)}


class MarkupBoundaries:
    """Finds where the XML and HTML lexers may start afresh in text fed piece by piece: at a '<' (one that
    begins a line when there is one) outside comments, CDATA, processing instructions and the content of
    script and style elements, roughly every `step` characters.

    Pieces must not split those constructs' openers or closers (the pretty-printers' pieces never do; give
    unformatted text whole).
    """

    def __init__(self, step: int, first: int | None = None) -> None:
        self.step = step
        self.last = (first if first is not None else step) - step  # the first boundary comes after `first`
        self.offset = 0  # characters fed so far
        self.inside: re.Pattern[str] | None = None  # the closer of the construct open at the end so far

    def feed(self, piece: str) -> list[int]:
        out: list[int] = []
        base = self.offset
        n = len(piece)
        pos = 0
        q = -1  # the candidate boundary: found once per target, kept while constructs before it are skipped
        while pos < n:
            if self.inside is not None:
                m = self.inside.search(piece, pos)
                if m is None:
                    break
                self.inside = None
                pos = m.end()
                continue
            target = max(pos, self.last + self.step - base)
            opener = _MARKUP_OPENERS.search(piece, pos)
            if q < target and target < n:
                q = piece.find("\n<", target, target + 4 * self.step)
                q = q + 1 if q >= 0 else piece.find("<", target)
            elif target >= n:
                q = -1
            if q >= 0 and (opener is None or q <= opener.start()):
                out.append(base + q)
                self.last = base + q
                pos = q + 1
                continue
            if opener is None:
                break
            self.inside = _MARKUP_CLOSERS[(opener.group(1) or opener.group(0)).lower()
                                          if opener.group(1) else opener.group(0).upper()]
            pos = opener.end()
        self.offset += n
        return out


# ---------------------------------------------------------------------------------------------------------
# Long lines: a 10 MB single-line body would make any text widget lay out one enormous line


class LineBreaker:
    """Breaks lines longer than `limit` while text streams through, remembering where (in source offsets).

    Text widgets lay out a whole line at once; a 10 MB single-line body would freeze any of them.
    """

    def __init__(self, limit: int = 4000) -> None:
        self.limit = limit
        self.breaks: list[int] = []  # source offsets before which a newline was inserted
        self._offset = 0  # source characters fed so far
        self._column = 0  # characters since the last newline

    def feed(self, piece: str) -> str:
        """The piece as displayed: unchanged unless a line runs past the limit."""
        limit = self.limit
        out: list[str] = []
        segment = 0  # start of the part of `piece` not yet copied to out
        i = 0
        n = len(piece)
        find = piece.find
        column = self._column
        while i < n:
            budget = limit - column
            nl = find("\n", i, i + budget + 1)
            if nl >= 0:  # the line ends within the limit: skip to the next one
                i = nl + 1
                column = 0
                continue
            if n - i <= budget:
                column += n - i
                break
            cut = i + budget
            out.append(piece[segment:cut])
            out.append("\n")
            self.breaks.append(self._offset + cut)
            segment = i = cut
            column = 0
        self._column = column
        self._offset += n
        if not out:
            return piece
        out.append(piece[segment:])
        return "".join(out)


def break_long_lines(text: str, limit: int = 4000) -> tuple[str, list[int]]:
    """The text with a newline inserted every `limit` characters of a longer line, and where (in `text`).

    The offsets let ranges computed on `text` be moved to the displayed text with OffsetMap.
    """
    breaker = LineBreaker(limit)
    shown = breaker.feed(text)
    return shown, breaker.breaks


class OffsetMap:
    """Moves offsets across inserted characters: each listed position adds one to offsets beyond it."""

    def __init__(self, positions: list[int], *, after: bool) -> None:
        # after=False: a character was inserted *before* position p (a line break); True: the character at
        # p counts twice (an astral character in UTF-16).
        self.positions = positions
        self.after = after

    def __bool__(self) -> bool:
        return bool(self.positions)

    def start(self, offset: int) -> int:
        find = bisect_left if self.after else bisect_right
        return offset + find(self.positions, offset)

    def end(self, offset: int) -> int:
        return offset + bisect_left(self.positions, offset)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def astral_positions(text: str, base: int = 0) -> list[int]:
    """Offsets (plus base) of the characters beyond U+FFFF, which Qt counts as two UTF-16 units."""
    if text.isascii():
        return []
    return [base + m.start() for m in _ASTRAL.finditer(text)]


def utf16_map(text: str) -> OffsetMap:
    """Qt counts positions in UTF-16 units: characters beyond U+FFFF take two."""
    return OffsetMap(astral_positions(text), after=True)


# ---------------------------------------------------------------------------------------------------------
# Tokens to style ranges


_key_cache: dict[_TokenType, int] = {}


def style_key_index(ttype: _TokenType) -> int:
    """Index into STYLE_KEYS for a token type, or -1 when it is drawn in the plain text colour."""
    found = _key_cache.get(ttype)
    if found is not None:
        return found
    index = -1
    t: _TokenType | None = ttype
    while t is not None:
        key = _TOKEN_KEYS.get(t)
        if key is not None:
            index = _KEY_INDEX[key]
            break
        t = t.parent
    _key_cache[ttype] = index
    return index


def style_key(ttype: _TokenType) -> str | None:
    """The style key for a token type, or None for plain text, punctuation and whitespace."""
    index = style_key_index(ttype)
    return STYLE_KEYS[index] if index >= 0 else None


@dataclass
class RangeBatch:
    """Style ranges in compact arrays; every range ends at or before `lexed_to` (text offset)."""

    starts: array[int]
    lengths: array[int]
    keys: array[int]  # indices into STYLE_KEYS
    lexed_to: int

    def __len__(self) -> int:
        return len(self.starts)

    def as_tuples(self) -> list[tuple[int, int, str]]:
        return [(s, n, STYLE_KEYS[k]) for s, n, k in zip(self.starts, self.lengths, self.keys, strict=True)]


# Pygments' JsonLexer looks at every character in Python. For JSON made of the usual tokens, one re.split and
# a few C-level maps give exactly its style ranges (a test compares them): a token is a string (with the colon
# after it when it is a key), a number or a constant as JsonLexer reads them, and what lies between must be
# whitespace and punctuation. Anything else (comments, odd escapes, stray characters, two strings in a row)
# makes the text go to Pygments after all.
_JSON_TOKEN = re.compile(
    r"""("[^"\\]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\]*)*"
          (?:[ \t\n\r]*:|(?=[ \t\n\r]*(?:[,\]}]|\Z)))
        |[-0-9][-0-9.eE+]*
        |[fnt][truefalsn]*)""",
    re.VERBOSE,
)
_JSON_GAPS = re.compile(r"[ \t\n\r{}\[\],:]*")
_JSON_WS_COLON = " \t\n\r:"
# a token's first character, plus one when its last is the colon of a key, to its style key index
_JSON_FIRST = {c: 2 for c in "-0123456789"} | {c: 4 for c in "fnt"} | {'"': 0}
_JSON_KIND = array("b", [_KEY_INDEX[k] for k in ("string", "tag", "number", "number", "keyword", "keyword")])


def _fast_json_ranges(text: str, base: int) -> tuple[array[int], array[int], array[int]] | None:
    """(starts, lengths, key indices) exactly as Pygments' JsonLexer would colour `text`, or None when the text
    holds something this fast path does not handle."""
    parts = _JSON_TOKEN.split(text)
    gaps = parts[0::2]
    if _JSON_GAPS.fullmatch("".join(gaps)) is None:
        return None
    del gaps
    tokens = parts[1::2]
    ends = array("l", accumulate(map(len, parts), initial=base))
    starts = ends[1:-1:2]
    lengths = array("l", map(len, map(str.rstrip, tokens, repeat(_JSON_WS_COLON))))
    firsts = map(_JSON_FIRST.__getitem__, map(itemgetter(0), tokens))
    colons = map(eq, map(itemgetter(-1), tokens), repeat(":"))
    keys = array("b", map(_JSON_KIND.__getitem__, map(add, firsts, colons)))
    return starts, lengths, keys


# The same for Pygments' XmlLexer and HtmlLexer, whose RegexLexer tries its rules one by one in Python for
# every token: one regex finds each entity, comment and whole tag in C, and the tag's attributes are read
# from the match. Text between must hold no '<' or '&' (which the lexers would call errors), and HTML with
# script or style elements (lexed by the JavaScript and CSS lexers) goes to Pygments.
_MARKUP_ROOT = {
    syntax: re.compile(
        rf"""(&\S*?;)                                                                  # 1 entity
          |(<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>|<![^>]*>)                       # 2 comment, preproc
          |<\s*/\s*([\w:.-]+)\s*>                                                    # 3 end tag
          |<\s*([\w:.-]+)((?:\s+|{attr})*)(/?\s*>)                                    # 4 tag 5 attrs 6 close
        """,
        re.VERBOSE | re.DOTALL | (re.IGNORECASE if syntax == "html" else 0),
    )
    for syntax, attr in (
        ("xml", r"""[\w.:-]+\s*=\s*(?:".*?"|'.*?'|[^\s>]+)"""),
        ("html", r"""[\w:-]+\s*=\s*(?:".*?"|'.*?'|[^\s>]+)|[\w:-]+"""),
    )
}
_MARKUP_ATTR = {
    "xml": re.compile(r"""([\w.:-]+\s*=)\s*(".*?"|'.*?'|[^\s>]+)|\s+""", re.DOTALL),
    "html": re.compile(r"""([\w:-]+\s*)(=)\s*(".*?"|'.*?'|[^\s>]+)|([\w:-]+)|\s+""",
                       re.DOTALL | re.IGNORECASE),
}
_K_TAG, _K_ATTR, _K_STRING, _K_ENTITY, _K_COMMENT, _K_OPERATOR = (
    _KEY_INDEX[k] for k in ("tag", "attribute", "string", "builtin", "comment", "operator"))


def _fast_markup_ranges(
    text: str, base: int, syntax: str
) -> tuple[array[int], array[int], array[int]] | None:
    """(starts, lengths, key indices) exactly as Pygments' XmlLexer or HtmlLexer would colour `text` (merged
    like iter_range_batches merges), or None when the text holds what this fast path does not handle."""
    html = syntax == "html"
    starts: array[int] = array("l")
    lengths: array[int] = array("l")
    keys: array[int] = array("b")
    last_key = -1
    last_end = -1

    def add(s: int, e: int, k: int) -> None:
        nonlocal last_key, last_end
        if k == last_key and s == last_end:
            lengths[-1] += e - s
        else:
            starts.append(base + s)
            lengths.append(e - s)
            keys.append(k)
            last_key = k
        last_end = e

    attr_scan = _MARKUP_ATTR[syntax].finditer
    find = text.find
    add_start, add_length, add_key = starts.append, lengths.append, keys.append
    pos = 0
    for m in _MARKUP_ROOT[syntax].finditer(text):
        start, end = m.span()
        if start > pos and (find("<", pos, start) >= 0 or find("&", pos, start) >= 0):
            return None  # a '<' or '&' the lexer would not read as markup
        pos = end
        kind = m.lastindex
        if not html and (kind == 3 or kind == 6 and m.start(5) == m.end(5)):
            # the common case, a whole XML tag without attributes, inline: one range, or one longer one
            if last_key == _K_TAG and start == last_end:
                lengths[-1] += end - start
            else:
                add_start(base + start)
                add_length(end - start)
                add_key(_K_TAG)
                last_key = _K_TAG
            last_end = end
        elif kind == 1:
            add(start, pos, _K_ENTITY)
        elif kind == 2:
            add(start, pos, _K_COMMENT)
        elif kind == 3:
            if html:
                add(m.start(3), m.end(3), _K_TAG)
            else:
                add(start, pos, _K_TAG)
        else:
            name = m.group(4)
            if html and name.lower() in ("script", "style"):
                return None
            if html:
                add(m.start(4), m.end(4), _K_TAG)
            else:
                add(start, m.end(4), _K_TAG)
            inner = m.start(5)
            for a in attr_scan(text, inner, m.end(5)):
                if html:
                    if a.lastindex == 4:
                        add(a.start(4), a.end(4), _K_ATTR)
                    elif a.lastindex:
                        add(a.start(1), a.end(1), _K_ATTR)
                        add(a.start(2), a.end(2), _K_OPERATOR)
                        add(a.start(3), a.end(3), _K_STRING)
                elif a.lastindex:
                    add(a.start(1), a.end(1), _K_ATTR)
                    add(a.start(2), a.end(2), _K_STRING)
            if not html:
                add(m.start(6), pos, _K_TAG)
    if pos < len(text) and (find("<", pos) >= 0 or find("&", pos) >= 0):
        return None
    return starts, lengths, keys


def _fast_syntax(lexer: Lexer) -> str | None:
    """'json', 'xml' or 'html' when the lexer is exactly Pygments' lexer a fast path stands in for."""
    from pygments.lexers.data import JsonLexer
    from pygments.lexers.html import HtmlLexer, XmlLexer

    return {JsonLexer: "json", XmlLexer: "xml", HtmlLexer: "html"}.get(type(lexer))


def _tokens(lexer: Lexer, text: str) -> Iterator[tuple[int, _TokenType, str]]:
    # get_tokens_unprocessed: no newline rewriting, so token offsets are offsets in `text`
    tokens: Iterator[tuple[int, _TokenType, str]] = lexer.get_tokens_unprocessed(text)
    return tokens


def iter_range_batches(
    lexer: Lexer,
    text: str,
    *,
    batch_tokens: int = 20_000,
    base: int = 0,
    maps: Iterable[OffsetMap] = (),
) -> Iterator[RangeBatch]:
    """Lex `text` progressively; yield style ranges batch by batch (merged when adjacent and alike).

    `base` is added to every offset; `maps` (applied in order) move offsets onto the displayed text, e.g.
    across inserted line breaks and into UTF-16 units.
    """
    active_maps = [m for m in maps if m]
    fast_syntax = _fast_syntax(lexer)
    if fast_syntax is not None:
        fast = _fast_json_ranges(text, base) if fast_syntax == "json" else _fast_markup_ranges(
            text, base, fast_syntax)
        if fast is not None:
            starts, lengths, keys = fast
            for at in range(0, max(1, len(starts)), batch_tokens):
                last = at + batch_tokens >= len(starts)
                lexed_to = base + len(text) if last else starts[at + batch_tokens]
                yield _finish(starts[at:at + batch_tokens], lengths[at:at + batch_tokens],
                              keys[at:at + batch_tokens], lexed_to, active_maps)
            return
    tokens = _tokens(lexer, text)
    cached = _key_cache.get
    end = 0
    while True:
        starts = array("l")
        lengths = array("l")
        keys = array("b")
        last_end = -1
        last_key = -2
        seen = 0
        # the hottest loop of the highlighter: keep it to dictionary lookups and array appends
        for index, ttype, value in islice(tokens, batch_tokens):
            seen += 1
            k = cached(ttype)
            if k is None:
                k = style_key_index(ttype)
            if k < 0:
                continue
            start = base + index
            end = start + len(value)
            if k == last_key and start == last_end:
                lengths[-1] += end - start
            else:
                starts.append(start)
                lengths.append(end - start)
                keys.append(k)
                last_key = k
            last_end = end
        if seen < batch_tokens:
            yield _finish(starts, lengths, keys, base + len(text), active_maps)
            return
        yield _finish(starts, lengths, keys, base + index + len(value), active_maps)


def _finish(
    starts: array[int], lengths: array[int], keys: array[int], lexed_to: int, maps: list[OffsetMap]
) -> RangeBatch:
    if maps:
        new_starts = array("l")
        new_lengths = array("l")
        for s, n in zip(starts, lengths, strict=True):
            e = s + n
            for m in maps:
                s, e = m.start(s), m.end(e)
            new_starts.append(s)
            new_lengths.append(e - s)
        starts, lengths = new_starts, new_lengths
        for m in maps:
            lexed_to = m.end(lexed_to)
    return RangeBatch(starts, lengths, keys, lexed_to)


def style_ranges(
    lexer: Lexer, text: str, start: int = 0, end: int | None = None
) -> list[tuple[int, int, str]]:
    """(start, length, style-key) for text[start:end], offsets in `text`.

    The range is lexed on its own, so choose boundaries where the lexer starts fresh (line starts in
    pretty-printed JSON, for example).
    """
    piece = text[start:end]
    out: list[tuple[int, int, str]] = []
    for batch in iter_range_batches(lexer, piece, base=start):
        out.extend(batch.as_tuples())
    return out


class StyleRangeIndex:
    """All ranges received so far, searchable by text position (ranges arrive in order, never overlap)."""

    def __init__(self) -> None:
        self.starts = array("l")
        self.ends = array("l")
        self.keys = array("b")
        self.lexed_to = 0

    def add(self, batch: RangeBatch) -> None:
        self.starts.extend(batch.starts)
        self.ends.extend(s + n for s, n in zip(batch.starts, batch.lengths, strict=True))
        self.keys.extend(batch.keys)
        self.lexed_to = max(self.lexed_to, batch.lexed_to)

    def __len__(self) -> int:
        return len(self.starts)

    def covers(self, start: int, end: int) -> bool:
        return end <= self.lexed_to

    def within(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """(start, length, key index) of the ranges overlapping [start, end), clipped to it."""
        starts, ends, keys = self.starts, self.ends, self.keys
        i = bisect_right(starts, start) - 1
        if i < 0 or ends[i] <= start:
            i += 1
        out = []
        n = len(starts)
        while i < n and starts[i] < end:
            s = max(starts[i], start)
            e = min(ends[i], end)
            if e > s:
                out.append((s, e - s, keys[i]))
            i += 1
        return out
