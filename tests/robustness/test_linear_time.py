"""Pathological inputs to every parser and pretty-printer finish in linear time.

Each case runs the function on an input and on the same pattern ten times larger, and compares the CPU time
of this thread (best of three, garbage collector off). A linear function takes about 10x; a quadratic one
about 100x (pretty_xml on "<a>" + "<" * n was quadratic: 150,000 characters blocked the window for 30 s).
This is a ratio measured within one run, not a wall-clock budget: machine speed and load cancel out, and the
bound (30x) leaves a wide margin on both sides.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator

import pytest

from inspector.core.bodies import body_text, decode_text, server_message
from inspector.core.challenges import parse_challenges_lenient
from inspector.core.errors import InspectorError
from inspector.core.export.curl import parse_curl
from inspector.core.highlight import (
    NotPretty,
    break_long_lines,
    choose_lexer,
    iter_pretty_html,
    iter_pretty_json,
    iter_pretty_xml,
    pretty_html,
    pretty_json,
    pretty_xml,
)
from inspector.core.redact import mask_body_text, mask_url
from inspector.core.tokens import inspect_token

GROWTH = 10
LINEAR_BOUND = 30  # a quadratic function lands near GROWTH ** 2 = 100
MIN_CPU_S = 0.004  # below this the measurement is mostly noise: grow the input (or repeat the call) first
MAX_BASE_SIZE = 50_000  # the smaller input stops growing here; the larger is GROWTH times it


def _cpu_s(run: Callable[[object], object], sample: object, repeat: int) -> float:
    """CPU time of this thread for `repeat` calls, best of three (the garbage collector is off meanwhile)."""
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        for _ in range(repeat):
            try:
                run(sample)
            except (InspectorError, NotPretty, ValueError):
                pass  # refusing the input is fine; only the time it took matters
        best = min(best, time.thread_time() - start)
    return best


def _ratio(run: Callable[[object], object], make: Callable[[int], object], n: int) -> float:
    """CPU time for GROWTH x the input over the time for the input, both long enough to measure.

    A fast function is measured over repeated calls rather than on an ever larger input: past a few hundred
    kilobytes the comparison would be about memory, not about the function.
    """
    gc.collect()
    gc.disable()
    try:
        small, repeat = make(n), 1
        while _cpu_s(run, small, repeat) < MIN_CPU_S and repeat < 4096:
            if n < MAX_BASE_SIZE:
                n *= 2
                small = make(n)
            else:
                repeat *= 2
        big = make(n * GROWTH)
        return _cpu_s(run, big, repeat) / max(_cpu_s(run, small, repeat), 1e-9)
    finally:
        gc.enable()


def _json_body(text: str) -> bytes:
    return text.encode()


def _in_parts(producer: Callable[..., Iterator[str]], text: str, size: int = 256) -> int:
    """Run a streaming pretty-printer on text given in parts of `size` characters; the characters it made."""
    return sum(map(len, producer(text[i : i + size] for i in range(0, len(text), size))))


CASES: list[tuple[str, Callable[[object], object], Callable[[int], object]]] = [
    ("pretty_xml unterminated tags", pretty_xml, lambda n: "<a>" + "<" * n),
    ("pretty_xml unterminated comments", pretty_xml, lambda n: "<a>" + "<!--" * n),
    ("pretty_xml unterminated CDATA", pretty_xml, lambda n: "<a>" + "<![CDATA[" * n),
    ("pretty_xml attributes without end", pretty_xml, lambda n: "<a " + 'b="c" ' * n),
    ("pretty_xml flat elements", pretty_xml, lambda n: "<r>" + "<i>x</i>" * n + "</r>"),
    ("pretty_html unclosed paragraphs", pretty_html, lambda n: "<p>x" * n),
    ("pretty_html unterminated scripts", pretty_html, lambda n: "<script>" * n),
    ("pretty_html end tags without elements", pretty_html, lambda n: "</div>" * n),
    ("pretty_html end tag closing many", pretty_html, lambda n: "<span>" * n + "</div>" * n),
    ("pretty_html unterminated comments", pretty_html, lambda n: "<a>" + "<!--" * n),
    ("pretty_html stray less-than", pretty_html, lambda n: "<b>" + "a<b " * n + ">"),
    ("pretty_json deep nesting", pretty_json, lambda n: "[" * n + "]" * n),
    ("pretty_json backslashes", pretty_json, lambda n: '"' + "\\" * n),
    ("pretty_json unterminated string", pretty_json, lambda n: '["' + "a" * n),
    ("pretty_json many members", pretty_json, lambda n: "{" + ",".join(f'"k{i}": {i}' for i in range(n)) + "}"),
    ("challenges many params", lambda s: parse_challenges_lenient([s]), lambda n: "Bearer " + 'a="b", ' * n),
    ("challenges escapes", lambda s: parse_challenges_lenient([s]), lambda n: 'Basic realm="' + "\\\"" * n),
    ("challenges separators", lambda s: parse_challenges_lenient([s]), lambda n: "," * n + "Bearer"),
    ("challenges token68 run", lambda s: parse_challenges_lenient([s]), lambda n: "Bearer " + "a=" * n),
    ("server message nested json", lambda b: server_message(b, "application/json"),
     lambda n: _json_body('{"error": ' * n + "1" + "}" * n)),
    ("server message many errors", lambda b: server_message(b, "application/json"),
     lambda n: _json_body('{"errors": [' + ",".join('{"message": "m"}' for _ in range(n)) + "]}")),
    ("server message html", lambda b: server_message(b, "text/html"),
     lambda n: ("<title>" * n).encode()),
    ("server message xml", lambda b: server_message(b, "application/xml"),
     lambda n: ("<a>" + "<" * n).encode()),
    # the pretty-printers fed a body in parts as it is decoded: a construct left open over many parts
    ("pretty_xml in parts, unterminated comment", lambda s: _in_parts(iter_pretty_xml, s),
     lambda n: "<a>" + "<!--" + "x" * n),
    ("pretty_xml in parts, unterminated tag", lambda s: _in_parts(iter_pretty_xml, s), lambda n: "<a>" + "<" * n),
    ("pretty_xml in parts, flat elements", lambda s: _in_parts(iter_pretty_xml, s),
     lambda n: "<r>" + "<i>x</i>" * n + "</r>"),
    ("pretty_html in parts, unterminated script", lambda s: _in_parts(iter_pretty_html, s),
     lambda n: "<script>" + "x" * n),
    ("pretty_html in parts, long text", lambda s: _in_parts(iter_pretty_html, s), lambda n: "<p>" + "x" * n),
    ("pretty_json in parts, unterminated string", lambda s: _in_parts(iter_pretty_json, s),
     lambda n: '["' + "a" * n),
    ("curl many headers", parse_curl, lambda n: "curl https://h.example " + "-H 'a: b' " * n),
    ("curl unterminated quote", parse_curl, lambda n: "curl 'https://h.example " + "a" * n),
    ("curl ansi-c escapes", parse_curl, lambda n: "curl $'" + "\\x41" * n + "'"),
    ("curl line continuations", parse_curl, lambda n: "curl https://h.example " + "\\\n" * n),
    ("token many dots", inspect_token, lambda n: "a." * n),
    ("token long segment", inspect_token, lambda n: "eyJ" + "A" * n + ".e30.x"),
    ("mask url many params", mask_url, lambda n: "https://h.example/?" + "api_key=s&" * n),
    ("mask form body", lambda t: mask_body_text(t, "application/x-www-form-urlencoded"),
     lambda n: "password=s&" * n),
    ("mask json body", lambda t: mask_body_text(t, "application/json"),
     lambda n: "[" + ",".join('{"token": "s"}' for _ in range(n)) + "]"),
    ("mask text body", lambda t: mask_body_text(t, "text/plain"), lambda n: "Bearer abc " * n),
    ("decode body", lambda b: decode_text(b, "text/plain; charset=utf-8"), lambda n: b"\xff\xfe" * n),
    ("body text, shown", lambda b: body_text(b, "text/plain"), lambda n: b"\xffa" * n),
    ("body text, exact", lambda b: body_text(b, "text/plain", exact=True), lambda n: b"a" * n + b"\xff"),
    ("lexer sniffing", lambda t: choose_lexer(None, t), lambda n: "<" * n),
    ("long line breaking", break_long_lines, lambda n: "x" * n),
]


@pytest.mark.parametrize(("name", "run", "make"), CASES, ids=[c[0] for c in CASES])
def test_pathological_input_takes_linear_time(
    name: str, run: Callable[[object], object], make: Callable[[int], object]
) -> None:
    ratio = _ratio(run, make, 1000)
    assert ratio < LINEAR_BOUND, f"{name}: {GROWTH}x the input took {ratio:.0f}x the CPU time"
