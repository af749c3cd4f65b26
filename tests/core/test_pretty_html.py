"""HTML bodies re-indented for reading: blocks one per line, inline text kept, script/pre kept as written."""

from __future__ import annotations

import re

import pytest

from inspector.core.highlight import choose_lexer, pretty_html, pretty_markup, pretty_syntax, pretty_xml

PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>401 Unauthorized</title></head>'
        '<body><h1>Unauthorized</h1><p>You need to <b>sign in</b> first. <a href="/login">Log in</a></p>'
        "</body></html>")


def test_a_one_line_page_becomes_an_indented_tree() -> None:
    assert pretty_html(PAGE) == "\n".join([
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        '    <meta charset="utf-8">',
        "    <title>401 Unauthorized</title>",
        "  </head>",
        "  <body>",
        "    <h1>Unauthorized</h1>",
        '    <p>You need to <b>sign in</b> first. <a href="/login">Log in</a></p>',
        "  </body>",
        "</html>",
    ])


@pytest.mark.parametrize(("html", "expected"), [
    # optional end tags: the next <li> or <p> ends the open one
    ("<ul><li>one<li>two</ul>", "<ul>\n  <li>one\n  <li>two\n</ul>"),
    ("<p>a<p>b", "<p>a\n<p>b"),
    ("<table><tr><td>1<td>2<tr><td>3</table>",
     "<table>\n  <tr>\n    <td>1\n    <td>2\n  <tr>\n    <td>3\n</table>"),
    # void elements do not nest; <br> ends the line
    ("<div>a<br>b<img src=x>c</div>", "<div>a<br>\n  b<img src=x>c</div>"),
    # script, style and pre keep their text exactly, '<' included
    ("<body><script>if (a<b && c>d) { x() }</script></body>",
     "<body>\n  <script>if (a<b && c>d) { x() }</script>\n</body>"),
    ("<div><pre>\n  keep   this\n</pre></div>", "<div>\n  <pre>\n  keep   this\n</pre>\n</div>"),
    ("<STYLE>p>b{x:1}</Style><p>t</p>", "<STYLE>p>b{x:1}</Style>\n<p>t</p>"),
    # comments, a stray end tag and a stray '<' are kept, never refused
    ("<div><!-- note --><span>x</span></div>", "<div>\n  <!-- note -->\n  <span>x</span>\n</div>"),
    ("</div><p>x</p>", "</div>\n<p>x</p>"),
    ("<p>1 < 2</p>", "<p>1 < 2</p>"),
    # text without markup, and inline-only markup, stay as they are
    ("plain text", "plain text"),
    ("<b>x</b> <i>y</i>", "<b>x</b> <i>y</i>"),
])
def test_html_shapes(html: str, expected: str) -> None:
    assert pretty_html(html) == expected


@pytest.mark.parametrize("html", [PAGE, "<ul><li>one<li>two</ul>", "<div><pre> a  b </pre></div>",
                                  "<script>if (a<b) {}</script>", "<p>x <b>y</b> z</p>"])
def test_only_whitespace_between_tags_changes(html: str) -> None:
    def squeeze(text: str) -> str:
        return re.sub(r"\s+", "", text)

    assert squeeze(pretty_html(html)) == squeeze(html)


def test_an_unterminated_script_keeps_the_rest_as_written() -> None:
    assert pretty_html("<div><script>a < b") == "<div>\n  <script>a < b"


def test_too_deep_nesting_is_left_alone() -> None:
    deep = "<div>" * 300 + "x" + "</div>" * 300
    assert pretty_html(deep) == deep


def test_html_bodies_are_pretty_printed_as_html_not_xml() -> None:
    lexer = choose_lexer("text/html; charset=utf-8", PAGE)
    assert pretty_syntax(lexer) == "html"
    assert pretty_markup(PAGE, "html") == pretty_html(PAGE)
    assert pretty_xml(PAGE) == PAGE  # XML rules give up on <meta> without its end tag
    assert pretty_markup("<a><b>x</b></a>", "xml") == pretty_xml("<a><b>x</b></a>")
    assert pretty_markup("text", "json") == "text"
