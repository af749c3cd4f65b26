"""Streaming pretty-printers, the JSON fast colouring path, and where lexers may start afresh (core.highlight)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise

import pytest
from pygments.lexers import get_lexer_by_name

from inspector.core import highlight
from inspector.core.highlight import (
    LEXER_OPTIONS,
    MarkupBoundaries,
    NotPretty,
    iter_pretty_html,
    iter_pretty_xml,
    iter_range_batches,
    json_boundaries,
    pretty_html,
    pretty_json,
    pretty_xml,
    style_key_index,
)

XML_SAMPLES = [
    "<a><b>x</b><c/></a>",
    '<?xml version="1.0"?>\n<r a="1">\n  <!-- c <x> -->\n  <i>t</i><![CDATA[ <y> ]]>\n</r>\n',
    "<r>" + "".join(f"<i n='{i}'>v{i}</i>" for i in range(500)) + "</r>",
    "",
    "   \n",
    "<r>\n\n   <e>  spaced text  </e>\n</r>",
]
MALFORMED_XML = ["<a><b></a>", "</a>", "<a>", "<a><b>x</b", "<a>" + "<" * 50, "<a><!-- open", "<a></a></b>"]
HTML_SAMPLES = [
    "<!DOCTYPE html><html><head><title>T</title><style>p{}</style></head><body><p>a<b>b</b><p>c<ul><li>1"
    "<li>2</ul><script>if (a < b) {}</script><pre> x\n  y</pre></body></html>",
    "<table>" + "".join(f"<tr><td>{i}</td><td><a href='/{i}'>x</a></td></tr>" for i in range(300)) + "</table>\n",
    "plain text without markup",
    "<div></span></div>",
]


def _old_pretty_xml(text: str, indent: int = 2) -> str:
    """The whole-document pretty_xml as it was before it streamed (kept here to compare outputs)."""
    out: list[str] = []
    depth = 0
    prev = ""
    pad = " " * indent
    for part in highlight._xml_pieces(text):
        if part.isspace():
            continue
        if part.startswith("</") and part.endswith(">"):
            depth -= 1
            if depth < 0:
                return text
            out.append(part if prev in ("open", "text") else "\n" + pad * depth + part)
            prev = "close"
        elif part.startswith("<") and part.endswith(">"):
            lead = "\n" + pad * depth if out else ""
            out.append(lead + part)
            if part.startswith(("<?", "<!")) or part.endswith("/>"):
                prev = "other"
            else:
                depth += 1
                if depth > highlight.MAX_PRETTY_DEPTH:
                    return text
                prev = "open"
        elif part.startswith("<"):
            return text
        else:
            stripped = part.strip()
            out.append(stripped if prev == "open" else "\n" + pad * depth + stripped)
            prev = "text"
    if depth != 0:
        return text
    return "".join(out) + ("\n" if text.endswith("\n") else "")


@pytest.mark.parametrize("text", XML_SAMPLES + MALFORMED_XML)
@pytest.mark.parametrize(("first", "piece"), [(1, 1), (16, 64), (16 * 1024, 256 * 1024)])
def test_streamed_pretty_xml_is_the_whole_document_output(text: str, first: int, piece: int) -> None:
    expected = _old_pretty_xml(text)
    assert pretty_xml(text) == expected
    try:
        pieces = list(iter_pretty_xml(text, piece_chars=piece, first_piece_chars=first))
    except NotPretty:
        assert expected == text  # malformed: the caller shows the text as it came
    else:
        assert "".join(pieces) == expected
        if first == 1 and len(expected) > 1:
            assert len(pieces) > 1  # the first piece comes before the whole document is formatted


@pytest.mark.parametrize("text", MALFORMED_XML)
def test_malformed_xml_stops_the_stream_and_pretty_xml_falls_back(text: str) -> None:
    with pytest.raises(NotPretty):
        list(iter_pretty_xml(text, first_piece_chars=1, piece_chars=1))
    assert pretty_xml(text) == text


@pytest.mark.parametrize("text", HTML_SAMPLES)
@pytest.mark.parametrize(("first", "piece"), [(1, 1), (32, 100)])
def test_streamed_pretty_html_is_the_whole_document_output(text: str, first: int, piece: int) -> None:
    try:
        streamed = "".join(iter_pretty_html(text, piece_chars=piece, first_piece_chars=first))
    except NotPretty:
        streamed = text
    assert streamed == pretty_html(text)


def _pygments_ranges(lexer_name: str, text: str) -> list[tuple[int, int, str]]:
    lexer = get_lexer_by_name(lexer_name, **LEXER_OPTIONS)
    out: list[tuple[int, int, int]] = []
    for index, ttype, value in lexer.get_tokens_unprocessed(text):
        k = style_key_index(ttype)
        if k < 0 or not value:
            continue
        if out and out[-1][2] == k and out[-1][0] + out[-1][1] == index:
            out[-1] = (out[-1][0], out[-1][1] + len(value), k)
        else:
            out.append((index, len(value), k))
    return [(s, n, highlight.STYLE_KEYS[k]) for s, n, k in out]


def _ranges(lexer_name: str, text: str, batch_tokens: int = 20_000) -> list[tuple[int, int, str]]:
    lexer = get_lexer_by_name(lexer_name, **LEXER_OPTIONS)
    return [r for b in iter_range_batches(lexer, text, batch_tokens=batch_tokens) for r in b.as_tuples()]


JSON_SAMPLES = [
    '{"a": 1, "b": [true, false, null], "c": "x\\"y", "d": -1.5e+3}', "[]", "", "  ", '"s"', '{"a" :"b"}',
    '{"a"\n:\n"b"}', '{"a":"\\u00e9\\n"}', '[1,2,"x",{"k":{"k2":[null]}}]', '{"a":1}\n{"b":2}\n', "1true",
    '{"a":"b":"c"}', pretty_json(json.dumps([{"id": i, "n": f"c {i}é", "v": i / 3, "t": None} for i in range(50)])),
    # not for the fast path: Pygments decides
    '{"a": trux}', '// c\n{}', '"a""b"', '{"a" "b": 1}', '"unterminated', '{"x": "\\q"}', '["\\u12"]',
    "\u00a0[1]", '"a:" ,',
]


@pytest.mark.parametrize("text", JSON_SAMPLES)
@pytest.mark.parametrize("batch", [3, 20_000])
def test_json_ranges_are_exactly_pygments_ranges(text: str, batch: int) -> None:
    assert _ranges("json", text, batch) == _pygments_ranges("json", text)


@pytest.mark.parametrize("text", [
    json.dumps([{"a": "x,y", "b": 'q\\",z', "c": [1, 2], "d": "\\\\", "e": 'p\\\\",'} for _ in range(300)]),
    json.dumps({"k": ["," * 90, '"', "\\"] * 40}),
])
def test_json_boundaries_are_commas_outside_strings_where_lexing_afresh_changes_nothing(text: str) -> None:
    bounds = json_boundaries(text, 64)
    assert len(bounds) > 5 and all(text[b - 1] == "," for b in bounds)
    cuts = [0, *bounds, len(text)]
    pieces = [(a, r) for a, b in pairwise(cuts) for r in _ranges("json", text[a:b])]
    assert [(a + s, n, k) for a, (s, n, k) in pieces] == _ranges("json", text)


@pytest.mark.parametrize(("syntax", "text"), [
    ("xml", XML_SAMPLES[1] * 40),
    ("xml", pretty_xml(XML_SAMPLES[2])),
    ("xml", XML_SAMPLES[2]),
    ("html", pretty_html(HTML_SAMPLES[0]) * 30),
    ("html", HTML_SAMPLES[1]),
])
@pytest.mark.parametrize("piece", [None, 97])
def test_markup_boundaries_start_lexing_afresh_without_changing_colours(syntax: str, text: str,
                                                                         piece: int | None) -> None:
    finder = MarkupBoundaries(50, first=10)
    if piece is None:
        bounds = finder.feed(text)
    else:
        # as the pretty-printers' pieces: cut between markup parts, never inside a tag or comment
        parts = list(highlight._xml_pieces(text))
        bounds, chunk = [], ""
        for part in parts:
            chunk += part
            if len(chunk) >= piece:
                bounds += finder.feed(chunk)
                chunk = ""
        bounds += finder.feed(chunk)
    assert len(bounds) > 3 and all(text[b] == "<" for b in bounds)
    cuts = [0, *[b for b in bounds if b > 0], len(text)]
    pieces = [(a + s, n, k) for a, b in pairwise(cuts) for s, n, k in _pygments_ranges(syntax, text[a:b])]
    # the same colour on every character (two ranges of one colour that touch may be one range or two)
    assert _colours(pieces, len(text)) == _colours(_pygments_ranges(syntax, text), len(text))


def _colours(ranges: list[tuple[int, int, str]], length: int) -> list[str]:
    out = [""] * length
    for s, n, k in ranges:
        out[s : s + n] = [k] * n
    return out


MARKUP_SAMPLES = [
    ("xml", '<a><b>x</b><c/></a>'),
    ("xml", '<?xml version="1.0"?>\n<r a="1" b = \'2\' c=x>\n  <!-- c <x> -->\n  <i>t &amp; &x<y;</i>'
            '<![CDATA[ <y> ]]>\n</r>\n'),
    ("xml", "<a\n  b=\"1\"\n/><a:b c.d='1'/>< a ></ a ><!DOCTYPE x>"),
    ("xml", pretty_xml("<r>" + "".join(f"<i n='{i}'><!-- c --><v>{i}</v></i>" for i in range(200)) + "</r>")),
    ("html", '<!DOCTYPE html><html><head><title>T</title></head><body><p class=x id="a" hidden>a<b>b</b>'
             " &amp; &nbsp;</body></html>"),
    ("html", "<div a = \"1\" b='2' c=d e>x</div><A HREF=x>y</A><br/>< / p ><!-- c -->"),
    ("html", pretty_html(HTML_SAMPLES[1])),
    # not for the fast path: Pygments decides
    ("xml", "<a b>"), ("xml", "<a b=>"), ("xml", "x & y"), ("xml", "<a"), ("html", "<script>a<b</script>"),
    ("html", "<STYLE>p{}</STYLE>"), ("html", "<p>1 < 2</p>"),
]


@pytest.mark.parametrize(("syntax", "text"), MARKUP_SAMPLES)
@pytest.mark.parametrize("batch", [3, 20_000])
def test_markup_ranges_are_exactly_pygments_ranges(syntax: str, text: str, batch: int) -> None:
    assert _ranges(syntax, text, batch) == _pygments_ranges(syntax, text)


def test_the_fast_paths_are_taken_for_ordinary_documents() -> None:
    assert highlight._fast_json_ranges(JSON_SAMPLES[-10], 0) is not None
    assert highlight._fast_markup_ranges(MARKUP_SAMPLES[3][1], 0, "xml") is not None
    assert highlight._fast_markup_ranges(MARKUP_SAMPLES[6][1], 0, "html") is not None
    assert highlight._fast_markup_ranges("<a b>", 0, "xml") is None


@pytest.mark.parametrize("text", [
    '{"a":[1,2,{"b":null}],"c":"x\\"y"}', "[]", "{}", "[1,2", '{"a":1}\n{"b":2}', "  [ 1 , 2 ]  ", '"str"', "12345",
    "[1] x", '{"a"   :    \n   1  ,  "b" : [ ] }', '{"a":}', "[1,,2]", ": 1",
    json.dumps([{"id": i, "s": "é" * (i % 7), "n": i / 7, "l": [True, None, {}]} for i in range(60)], indent=3),
])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 50])
def test_pretty_json_from_parts_is_pretty_json_of_the_whole(text: str, size: int) -> None:
    def run(source: str | list[str]) -> str | None:
        try:
            return "".join(highlight.iter_pretty_json(source))
        except NotPretty:
            return None

    assert run([text[i : i + size] for i in range(0, len(text), size)]) == run(text)


def _cut(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


# constructs cut anywhere: inside '<!--', '<![CDATA[', '</script', a tag, a text run, a CRLF-free final newline
MARKUP_PART_SAMPLES = [
    *XML_SAMPLES, *MALFORMED_XML, *HTML_SAMPLES,
    '<r><!-- a <b> -- c --><![CDATA[ x ]] ]]><t a="1>2">x &amp; y</t>< stray <e/></r>\n',
    "<a>text <<< more</a>", "<a><!-- never closed", "<a><![CDATA[ never closed", "<a x='1'",
    "<html><body><script>if (a</b) {}</script><SCRIPT>x</SCRIPT><pre>  k\n</pre><textarea>t</textarea></body>"
    "</html>\n",
    "<p>unclosed<script>var a = '</scrip';", "<title>t", "<div>" * 300 + "x" + "</div>" * 300,
    "<div>" * 300 + "</div>" * 300, "<x/>",
]


@pytest.mark.parametrize("text", MARKUP_PART_SAMPLES)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 9, 64])
@pytest.mark.parametrize("syntax", ["xml", "html"])
def test_pretty_markup_from_parts_is_pretty_markup_of_the_whole(text: str, size: int, syntax: str) -> None:
    """Parts as a body decoded a megabyte at a time gives them: the output is the whole text's, and malformed
    text stops the stream with NotPretty all the same (the caller falls back to the text as received)."""
    producer = highlight.iter_pretty_xml if syntax == "xml" else highlight.iter_pretty_html

    def run(source: str | list[str]) -> list[str] | None:
        try:
            return list(producer(source, piece_chars=40, first_piece_chars=8))
        except NotPretty:
            return None

    whole = run(text)
    assert run(_cut(text, size)) == whole
    assert run(["", *_cut(text, size), ""]) == whole  # empty parts change nothing


@pytest.mark.parametrize("text", MARKUP_PART_SAMPLES)
@pytest.mark.parametrize("size", [1, 4, 13])
def test_markup_pieces_from_parts_are_the_whole_texts(text: str, size: int) -> None:
    assert list(highlight._xml_pieces(_cut(text, size))) == list(highlight._xml_pieces(text))
    assert list(highlight._html_pieces(_cut(text, size))) == list(highlight._html_pieces(text))


def test_a_document_streamed_in_parts_is_formatted_before_its_last_part_is_read() -> None:
    rows = "".join(f"<i n='{i}'><v>{i}</v></i>" for i in range(2000))
    read = []

    def parts() -> Iterator[str]:
        for part in _cut("<r>" + rows + "</r>", 1000):
            read.append(part)
            yield part

    first = next(iter_pretty_xml(parts(), first_piece_chars=100))
    assert first.startswith("<r>\n  <i n='0'>") and len(read) < 3


@pytest.mark.parametrize("text", ['[1,2,{"a":}]', '[1,2]]', '{"a": [1, 2}', "1, 2", "[" * 300])
def test_pretty_json_names_the_same_offset_whole_or_in_parts(text: str) -> None:
    """A malformed body's message names the offset in the whole text, however it was cut."""
    with pytest.raises(NotPretty) as whole:
        list(highlight.iter_pretty_json(text))
    with pytest.raises(NotPretty) as in_parts:
        list(highlight.iter_pretty_json(_cut(text, 3)))
    assert str(in_parts.value) == str(whole.value)
