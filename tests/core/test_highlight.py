"""Lexer choice, sniffing, pretty-printing, long-line breaking and token-to-range conversion."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise

import pytest

from inspector.core.highlight import (
    STYLE_KEYS,
    LineBreaker,
    NotPretty,
    OffsetMap,
    StyleRangeIndex,
    break_long_lines,
    choose_lexer,
    hex_preview,
    iter_pretty_json,
    iter_range_batches,
    lexer_syntax,
    normalize_newlines,
    pretty_json,
    pretty_syntax,
    pretty_xml,
    sniff_syntax,
    style_key,
    style_ranges,
    utf16_map,
)


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", '{"a": 1}', "json"),
        ("application/json; charset=utf-8", '{"a": 1}', "json"),
        ("Application/JSON", "[1, 2]", "json"),
        ("application/problem+json", '{"title": "x"}', "json"),
        ("application/vnd.api+json", '{"data": []}', "json"),
        ("application/hal+json", "{}", "json"),
        ("application/x-ndjson", '{"a":1}\n{"a":2}\n', "json"),
        ("application/json", "", "json"),
        ("text/html", '{"a": 1}', "json"),  # the type lies: the body is JSON
        ("text/plain", "[1, 2, 3]", "json"),
        (None, '{"a": 1}', "json"),
        ("application/octet-stream", '{"a": 1}', "json"),
        ("application/json", "<!DOCTYPE html><html><body>Bad gateway</body></html>", "html"),
        ("application/json", "Unauthorized", "text"),  # not JSON at all: plain, no red error marks
        ("text/html", "<!doctype html><title>x</title>", "html"),
        ("text/html; charset=utf-8", "<p>hello</p>", "html"),
        ("application/xml", "<a><b/></a>", "xml"),
        ("text/xml", "<?xml version='1.0'?><a/>", "xml"),
        ("application/atom+xml", "<feed/>", "xml"),
        ("image/svg+xml", "<svg/>", "xml"),
        (None, "<?xml version='1.0'?><a/>", "xml"),
        (None, "plain words", "text"),
        ("text/plain", "plain words", "text"),
        ("", "", "text"),
        ("application/javascript", "{a: 1}", "javascript"),  # a JS object literal is not JSON
        ("text/css", "a { color: red }", "css"),
    ],
)
def test_choose_lexer(content_type: str | None, body: str, expected: str) -> None:
    assert lexer_syntax(choose_lexer(content_type, body)) == expected


def test_choose_lexer_accepts_bytes_and_keeps_offsets() -> None:
    lexer = choose_lexer("application/json", b'{"a": 1}')
    assert lexer_syntax(lexer) == "json"
    assert lexer.stripnl is False and lexer.ensurenl is False


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ('  {"a": 1}', "json"),
        ("{}", "json"),
        ("[]", "json"),
        ('[{"a": 1}]', "json"),
        ("[1, 2]", "json"),
        ("\ufeff{\"a\": 1}", "json"),
        ("{a: 1}", None),
        ("[section]\nkey=1", None),
        ("<!DOCTYPE html>", "html"),
        ("<html lang=en>", "html"),
        ("<?xml version='1.0'?><root/>", "xml"),
        ("<root><child/></root>", "xml"),
        ("<div><p>hi</p></div>", "html"),
        ("hello", None),
        ("", None),
    ],
)
def test_sniff_syntax(prefix: str, expected: str | None) -> None:
    assert sniff_syntax(prefix) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2, {}], "b": {"c": None, "d": []}, "e": 'x"y\\z', "f": -1.5e3, "g": True},
        [],
        {},
        [[], [{}], [[1]]],
        "just a string",
        42,
        {"unicode": "żółw 🐢", "nested": {"deep": {"deeper": [1, {"x": "y"}]}}},
        [{"id": i, "tags": ["a", "b"], "ok": i % 2 == 0} for i in range(50)],
    ],
)
def test_pretty_json_matches_json_dumps(value: object) -> None:
    minified = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert pretty_json(minified) == json.dumps(value, indent=2, ensure_ascii=False)


def test_pretty_json_keeps_numbers_and_duplicate_keys_as_sent() -> None:
    assert pretty_json('{"a":1.0e5,"a":2}') == '{\n  "a": 1.0e5,\n  "a": 2\n}'


def test_pretty_json_puts_each_ndjson_value_on_its_own_lines() -> None:
    assert pretty_json('{"a":1}\n{"b":2}') == '{\n  "a": 1\n}\n{\n  "b": 2\n}'


@pytest.mark.parametrize("text", ["[1,2", '{"a":1}}', "[1,,2]", '{"a":}', "1,2", "[1]]"])
def test_pretty_json_leaves_malformed_text_alone(text: str) -> None:
    assert pretty_json(text) == text
    with pytest.raises(NotPretty):
        list(iter_pretty_json(text))


def test_iter_pretty_json_streams_small_first_piece() -> None:
    text = json.dumps([{"id": i, "name": f"n{i}"} for i in range(5000)])
    pieces = list(iter_pretty_json(text, piece_chars=20_000, first_piece_chars=1000))
    assert len(pieces) > 5
    assert len(pieces[0]) < 2000
    assert "".join(pieces) == json.dumps(json.loads(text), indent=2)


def test_pretty_xml() -> None:
    text = '<?xml version="1.0"?><a><b x="1">t</b><c/><!-- a > b --><d><e>1</e></d></a>'
    assert pretty_xml(text) == (
        '<?xml version="1.0"?>\n<a>\n  <b x="1">t</b>\n  <c/>\n  <!-- a > b -->\n  <d>\n    <e>1</e>\n  </d>\n</a>'
    )


@pytest.mark.parametrize("text", ["<a><b></a>", "</a>", "<a>"])
def test_pretty_xml_leaves_unbalanced_text_alone(text: str) -> None:
    assert pretty_xml(text) == text


def test_pretty_syntax() -> None:
    assert pretty_syntax(choose_lexer("application/json")) == "json"
    assert pretty_syntax(choose_lexer("application/xml")) == "xml"
    assert pretty_syntax(choose_lexer("text/html")) == "html"  # pretty-printed as HTML (pretty_html)
    assert pretty_syntax(choose_lexer("text/plain")) is None


def test_normalize_newlines() -> None:
    assert normalize_newlines("a\r\nb\rc\n") == "a\nb\nc\n"


def test_hex_preview_rows_and_limit() -> None:
    data = bytes(range(40))
    lines = hex_preview(data).splitlines()
    assert lines[0] == (
        "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|"
    )
    assert lines[2].startswith("00000020  20 21 22 23 24 25 26 27")
    assert lines[2].endswith("| !\"#$%&'|")
    assert hex_preview(bytes(100), limit=32).splitlines()[-1] == "… 68 more bytes not shown"


@pytest.mark.parametrize(
    ("text", "limit", "shown", "breaks"),
    [
        ("short\nlines", 10, "short\nlines", []),
        ("abcdefghij", 4, "abcd\nefgh\nij", [4, 8]),
        ("abcd\nefgh", 4, "abcd\nefgh", []),
        ("aaaaaaaaaa\nbb\nccccc", 4, "aaaa\naaaa\naa\nbb\ncccc\nc", [4, 8, 18]),
        ("", 4, "", []),
    ],
)
def test_break_long_lines(text: str, limit: int, shown: str, breaks: list[int]) -> None:
    assert break_long_lines(text, limit) == (shown, breaks)


def test_line_breaker_streams_like_the_whole_text() -> None:
    text = "x" * 25 + "\n" + "y" * 7 + "\n" + "z" * 30
    whole, whole_breaks = break_long_lines(text, 6)
    breaker = LineBreaker(6)
    streamed = "".join(breaker.feed(text[i : i + 4]) for i in range(0, len(text), 4))
    assert streamed == whole
    assert breaker.breaks == whole_breaks


def test_offset_maps_move_ranges_across_breaks_and_astral_characters() -> None:
    breaks = OffsetMap([4], after=False)  # a newline inserted before source offset 4
    assert (breaks.start(2), breaks.end(4)) == (2, 4)  # a range ending at the break does not take it
    assert (breaks.start(4), breaks.end(6)) == (5, 7)
    shown = "a🐢b🐢c"
    utf16 = utf16_map(shown)
    assert [utf16.start(i) for i in range(len(shown) + 1)] == [0, 1, 3, 4, 6, 7]


def _ranges(content_type: str, text: str) -> list[tuple[int, int, str]]:
    return style_ranges(choose_lexer(content_type, text), text)


def test_json_ranges_name_keys_strings_numbers_and_keywords() -> None:
    text = '{\n  "id": 7,\n  "ok": true,\n  "name": "x"\n}'
    got = {(text[s : s + n], key) for s, n, key in _ranges("application/json", text)}
    assert got == {('"id"', "tag"), ("7", "number"), ('"ok"', "tag"), ("true", "keyword"),
                   ('"name"', "tag"), ('"x"', "string")}


def test_ranges_are_sorted_disjoint_and_inside_the_text() -> None:
    text = pretty_json(json.dumps([{"id": i, "v": [1.5, None, "s"]} for i in range(300)]))
    ranges = _ranges("application/json", text)
    previous_end = 0
    for start, length, key in ranges:
        assert start >= previous_end and length > 0 and key in STYLE_KEYS
        previous_end = start + length
    assert previous_end <= len(text)


def test_batches_concatenate_to_the_same_ranges_as_one_pass() -> None:
    text = pretty_json(json.dumps([{"id": i, "name": f"n{i}"} for i in range(2000)]))
    lexer = choose_lexer("application/json", text)
    batches = list(iter_range_batches(lexer, text, batch_tokens=500))
    assert len(batches) > 10
    assert all(a.lexed_to <= b.lexed_to for a, b in pairwise(batches))
    assert batches[-1].lexed_to == len(text)
    joined = [r for b in batches for r in b.as_tuples()]
    assert joined == style_ranges(lexer, text)
    for b in batches:
        assert all(s + n <= b.lexed_to for s, n, _ in b.as_tuples())


def test_ranges_in_utf16_units_after_astral_characters() -> None:
    text = '{"🐢": "🐢", "n": 1}'
    lexer = choose_lexer("application/json", text)
    (batch,) = list(iter_range_batches(lexer, text, maps=[utf16_map(text)]))
    utf16 = text.encode("utf-16-le")
    pieces = [(utf16[s * 2 : (s + n) * 2].decode("utf-16-le"), STYLE_KEYS[k])
              for s, n, k in zip(batch.starts, batch.lengths, batch.keys, strict=True)]
    assert pieces == [('"🐢"', "tag"), ('"🐢"', "string"), ('"n"', "tag"), ("1", "number")]


def test_style_range_index_finds_and_clips_ranges_per_line() -> None:
    text = '{\n  "a": "multi\\nline",\n  "b": 12345\n}'
    lexer = choose_lexer("application/json", text)
    index = StyleRangeIndex()
    for batch in iter_range_batches(lexer, text, batch_tokens=3):
        index.add(batch)
    line = text.index('  "b"')
    got = [(text[s : s + n], STYLE_KEYS[k]) for s, n, k in index.within(line, line + len('  "b": 12345'))]
    assert got == [('"b"', "tag"), ("12345", "number")]
    clipped = index.within(line + 2, line + 4)
    assert [(s - line, n) for s, n, _ in clipped] == [(2, 2)]
    assert index.lexed_to == len(text)


@pytest.mark.parametrize(
    ("token", "expected"),
    [("Token.Name.Tag", "tag"), ("Token.Literal.String.Double", "string"), ("Token.Keyword.Constant", "keyword"),
     ("Token.Literal.Number.Integer", "number"), ("Token.Punctuation", None), ("Token.Text.Whitespace", None),
     ("Token.Comment.Single", "comment"), ("Token.Error", "error")],
)
def test_style_key(token: str, expected: str | None) -> None:
    from pygments import token as tokens

    ttype = tokens.string_to_tokentype(token)
    assert style_key(ttype) == expected


def test_highlight_module_does_not_import_qt() -> None:
    code = ("import sys, inspector.core.highlight; "
            "sys.exit(any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
