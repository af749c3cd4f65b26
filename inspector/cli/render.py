"""Text for a terminal: the one sanitiser every outside string goes through, and the rendering of results.

A server, a file or a pasted command can hold terminal control sequences (ESC [ ... m colours, OSC window
titles and hyperlinks, a carriage return that overwrites the line, backspaces, C1 controls, bidi overrides).
Printed raw they can rewrite what the user sees ("HTTP 200 OK"), so every such string is passed through
`safe_line` (one line: any control becomes a visible escape) or `safe_block` (also keeps newlines and tabs)
before it is written; `dumps` does the same for JSON. Only this module adds control sequences of its own
(colours), after sanitising.
"""

from __future__ import annotations

import json
import re
from typing import Any

from inspector.core.units import format_size

# C0 controls, DEL, C1 controls, and the Unicode marks that reorder or break lines on screen.
_FORMAT_MARKS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE_LINE_RE = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMAT_MARKS}]")
_UNSAFE_BLOCK_RE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT_MARKS}]")
# json.dumps escapes C0 itself; with ensure_ascii=False it leaves DEL, C1 and the format marks raw.
_UNSAFE_JSON_RE = re.compile(f"[\x7f-\x9f{_FORMAT_MARKS}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def safe_line(text: object) -> str:
    """One line of outside text made harmless: each control character is shown as an escape (ESC as \\x1b)."""
    text = str(text)
    return _UNSAFE_LINE_RE.sub(_visible, text) if _UNSAFE_LINE_RE.search(text) else text


def safe_block(text: object) -> str:
    """Several lines of outside text made harmless: newlines and tabs stay, CRLF becomes a newline."""
    text = str(text)
    if not _UNSAFE_BLOCK_RE.search(text):
        return text
    return _UNSAFE_BLOCK_RE.sub(_visible, text.replace("\r\n", "\n"))


def dumps(doc: object, *, indent: int | None = 2) -> str:
    """JSON for a terminal: readable non-ASCII text, but no control character or bidi mark left raw."""
    text = json.dumps(doc, indent=indent, ensure_ascii=False, default=str)
    # outside string literals json.dumps writes ASCII only, so each match is inside a string: \\uXXXX is valid
    return _UNSAFE_JSON_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# ---------------------------------------------------------------- send


def exchange_text(doc: dict[str, Any], body: str | None, kept_bytes: int, *, color: bool) -> str:
    """`send` without --json: the hops, status line, headers, body and explanation, from the masked document.

    `body` is the whole (masked) response body as text, None when it is binary; `kept_bytes` is how much of it
    was kept under the size cap.
    """
    out: list[str] = []
    for hop in doc["hops"][:-1]:
        location = f" (Location: {safe_line(hop['location'])})" if hop["location"] else ""
        out.append(f"{safe_line(hop['method'])} {safe_line(hop['url'])} -> {hop['status']}{location}")
    response = doc["response"]
    if response is not None:
        request = doc["request"]
        out.append(f"{safe_line(request['method'])} {safe_line(request['url'])}")
        out.append(f"HTTP {response['status']} {safe_line(response['reason'])}  "
                   f"({response['elapsed_ms']:.0f} ms, {format_size(response['body_bytes'])})")
        out.extend(f"{safe_line(name)}: {safe_line(value)}" for name, value in response["headers"].items())
        out.append("")
        if body is None:
            out.append(f"[binary body, {format_size(response['body_bytes'])}]")
        else:
            out.append(pretty(body, response["content_type"], color))
        if response["body_truncated"]:
            out.append(f"[body larger than the cap: only the first {format_size(kept_bytes)} kept]")
    if doc["diagnosis"] is not None:
        # the transport error's message goes to stderr; the summary would only say it a second time
        error = doc["error"]
        repeat = error["message"] if error is not None else None
        request = doc.get("request") or {}
        out.append("\n" + diagnosis_text(doc["diagnosis"], color, omit_summary_with=repeat, error=error,
                                          url=str(request.get("url") or "")))
    return "\n".join(out) + "\n" if out else ""


def diagnosis_text(
    diag: dict[str, Any],
    color: bool = False,
    *,
    omit_summary_with: str | None = None,
    error: dict[str, Any] | None = None,
    url: str = "",
) -> str:
    """The explanation in words for a terminal, told as the panel tells it (core.diagnosis.tell): the finding
    the summary speaks for first, the server's words once, evidence in words, and for a send that got no
    answer the likely causes and what to try (`error`: the document's error object, `url`: the request's)."""
    from inspector.core.diagnosis.evidence import evidence_lines
    from inspector.core.diagnosis.findings import VERDICT_TITLES

    story = _story(diag, error, url)
    marks = {"error": "✗", "warning": "!", "info": "i"}
    title = story.title if story is not None else VERDICT_TITLES.get(diag["verdict"])
    lines = [f"Verdict: {safe_line(diag['verdict'])}" + (f" ({title})" if title else "")]
    summary = diag.get("summary") or ""
    if summary and not (omit_summary_with and omit_summary_with in summary):
        first, *more = _indented(summary, "  ")  # it may quote the server: only column 0 is ours
        lines.append(first[2:])
        lines.extend(more)
    for ch in diag.get("challenges", []):
        # the description is the server's message: said once, by the finding that quotes it
        params = ", ".join(
            f'{safe_line(k)}="{safe_line(v)}"'
            for k, v in ch["params"].items()
            if not (story is not None and k.lower() == "error_description" and story.already_said(str(v)))
        )
        token68 = safe_line(ch["token68"] or "")
        lines.append(f"  Challenge: {safe_line(ch['scheme'])} {token68}{params}".rstrip())
    if story is not None:
        for label, value in story.server:
            lines.extend(_indented(f"{label}: {value}", "  "))
    findings = story.findings if story is not None else [_finding(f) for f in diag.get("findings", [])]
    for f in findings:
        lines.append(f"  {marks.get(f.severity, '-')} [{safe_line(f.id)}] {safe_line(f.title)}")
        if f.detail:
            lines.extend(_indented(f.detail, "      "))
        for label, value in evidence_lines(f, said=(summary,)):
            lines.extend(_indented(f"{label}: {value}", "        "))
    transport = story.transport if story is not None else None
    if transport is not None:
        lines.append("  Likely causes:")
        lines.extend(line for cause in transport.causes for line in _indented(f"- {cause}", "    "))
        lines.append("  What to try:")
        lines.extend(line for step in transport.tries for line in _indented(f"- {step}", "    "))
    text = "\n".join(lines)
    if color:
        tone = {"ok": "32", "authentication": "31", "authorization": "33"}.get(diag["verdict"], "36")
        first, sep, rest = text.partition("\n")
        text = f"\x1b[1;{tone}m{first}\x1b[0m{sep}{rest}"
    return text


def _finding(doc: dict[str, Any]) -> Any:
    from inspector.core.diagnosis.findings import Finding

    evidence = doc.get("evidence")
    return Finding(str(doc.get("id")), doc.get("severity", "info"), str(doc.get("title", "")),
                   str(doc.get("detail") or ""), evidence if isinstance(evidence, dict) else {})


def _story(diag: dict[str, Any], error: dict[str, Any] | None, url: str) -> Any:
    """The diagnosis document told as a story (core.diagnosis.tell), or None when it cannot be read back."""
    from inspector.core.codec import RecordError, diagnosis_from_dict
    from inspector.core.diagnosis.story import tell
    from inspector.core.exchange import TransportFailure, as_error_kind

    try:
        diagnosis = diagnosis_from_dict(diag)
    except RecordError:
        return None
    failure = None
    if isinstance(error, dict) and error.get("message"):
        failure = TransportFailure(as_error_kind(error.get("kind")), str(error["message"]))
    return tell(diagnosis, failure, url)


def _indented(text: str, prefix: str) -> list[str]:
    """Outside text over several lines, each under the same indent so none can pass for a line of ours."""
    return [prefix + safe_line(line) for line in str(text).splitlines() or [""]]


def pretty(text: str, content_type: str | None, color: bool) -> str:
    """A body pretty-printed (JSON, XML) and sanitised, then coloured for a terminal when asked."""
    from inspector.core.highlight import choose_lexer, pretty_json, pretty_syntax, pretty_xml

    lexer = choose_lexer(content_type, text[:4096])
    syntax = pretty_syntax(lexer)
    shaped = pretty_json(text) if syntax == "json" else pretty_xml(text) if syntax == "xml" else text
    # sanitised after pretty-printing: re-serialising JSON turns a "\u009b" escape into the raw character
    shaped = safe_block(shaped)
    if not color:
        return shaped
    from pygments import highlight
    from pygments.formatters import TerminalFormatter

    return str(highlight(shaped, lexer, TerminalFormatter())).rstrip("\n")


# ---------------------------------------------------------------- token


def signature_state(doc: dict[str, Any]) -> str:
    """What is known of the signature: verified, invalid (checked and failed), or not verified (not checked,
    or the key or JWKS could not be used: no evidence either way)."""
    if doc.get("verified"):
        return "signature verified"
    outcome = doc.get("verify_outcome")
    if outcome == "invalid":
        return "signature invalid"
    if outcome == "no-key":
        return "signature invalid: no key matches the token"
    return "signature not verified"  # no --key/--jwks, or they could not be used (a Problem line says why)


def token_text(doc: dict[str, Any], shown_token: str) -> str:
    """`token` without --json: the token as shown, format, problems, header, claims, timeline, findings."""
    lines = [f"Token: {safe_line(shown_token)}",
             f"Format: {safe_line(doc.get('format'))}  ({signature_state(doc)})"]
    for problem in (doc.get("decode_error"), doc.get("verify_error")):
        if problem:
            lines.append(f"Problem: {safe_line(problem)}")
    if doc.get("header"):
        lines.append("Header: " + dumps(doc["header"], indent=None))
    if doc.get("claims"):
        lines.append("Claims:\n" + dumps(doc["claims"]))
    timeline = doc.get("timeline") or {}
    for key in ("issued_at", "not_before", "expires_at", "auth_time"):
        if timeline.get(key):
            lines.append(f"{key.replace('_', ' ')}: {safe_line(timeline[key])}")
    for f in doc["findings"]:
        lines.append(f"[{safe_line(f['severity'])}] {safe_line(f['id'])}: {safe_line(f['title'])}")
        lines.extend(_indented(f["detail"], "    "))
    if not doc["findings"] and not doc.get("decode_error") and not doc.get("verify_error"):
        lines.append("Nothing wrong can be seen from the token alone.")
    return "\n".join(lines) + "\n"
