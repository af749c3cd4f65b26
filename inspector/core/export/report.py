"""The support report: what was sent, what came back and what it means, as Markdown or self-contained HTML.

The report is built once as a list of blocks from a masked exchange and the diagnosis's record, then written
out by one of two small renderers; a final pass scrubs every known secret value from the finished text.
"""

from __future__ import annotations

import html
import importlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import inspector
from inspector.core import redact
from inspector.core.bodies import body_text
from inspector.core.codec import diagnosis_from_dict, diagnosis_to_dict, time_from_text
from inspector.core.diagnosis.evidence import evidence_lines
from inspector.core.exchange import Exchange, Hop
from inspector.core.redact import exchange_scrubber, mask_exchange

if TYPE_CHECKING:
    from inspector.core.diagnosis import Diagnosis

__all__ = ["ReportOptions", "build_report", "report_html", "timeline_in_words"]

# the Date header has a one-second resolution: below this, a difference is noise (the timeline module decides)
_SKEW_NOISE_S = float(getattr(importlib.import_module("inspector.core.timeline"), "SKEW_NOISE_S", 2.0))


@dataclass(frozen=True)
class ReportOptions:
    """Which sections the report holds, and how much of each body."""

    headers: bool = True
    body: bool = True
    claims: bool = True
    timeline: bool = True
    hops: bool = True  # every hop; otherwise only the final one
    body_limit: int = 4000  # characters of each body excerpt
    extra_secret_names: tuple[str, ...] = ()  # header/param names a profile uses for its API key
    title: str = "Request Inspector report"
    # where the request came from: "Shop / Orders / List orders with the environment 'staging'" (a collection
    # request's path, its environment and profile; never a secret)
    context: str = ""


# --- the document ------------------------------------------------------------------------------------------

# ("h", level, text) | ("p", text) | ("code", text) | ("list", [text, ...]) | ("kv", [(key, value), ...])
Block = tuple[Any, ...]


def build_report(
    exchange: Exchange,
    diagnosis: Diagnosis | Mapping[str, Any] | None,
    options: ReportOptions | None = None,
    *,
    redactor: redact.Redactor | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The report as Markdown."""
    return _render_markdown(
        *_document(exchange, diagnosis, options or ReportOptions(), redactor, generated_at)
    )


def report_html(
    exchange: Exchange,
    diagnosis: Diagnosis | Mapping[str, Any] | None,
    options: ReportOptions | None = None,
    *,
    redactor: redact.Redactor | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The report as one HTML page with its style inline and no external assets."""
    return _render_html(*_document(exchange, diagnosis, options or ReportOptions(), redactor, generated_at))


def _document(
    exchange: Exchange,
    diagnosis: Diagnosis | Mapping[str, Any] | None,
    options: ReportOptions,
    redactor: redact.Redactor | None,
    generated_at: datetime | None,
) -> tuple[str, list[Block], Callable[[str], str]]:
    if isinstance(diagnosis, Mapping):
        diagnosis = diagnosis_from_dict(diagnosis)  # a stored record: read through the one codec
    extra = options.extra_secret_names
    scrub = exchange_scrubber(exchange, diagnosis, redactor, extra).scrub
    # a few times the excerpt: the masked JSON is re-indented, and the cut is made on characters below
    shown = mask_exchange(
        exchange, diagnosis, redactor=redactor, extra_names=extra, body_cap=options.body_limit * 4 + 1024
    )
    diag = diagnosis_to_dict(diagnosis) or {}  # the record's shape: what a report of a stored entry shows too
    blocks: list[Block] = []

    meta = [f"Request Inspector {inspector.__version__}"]
    if generated_at is not None:
        meta.append(f"report written {_when(generated_at)}")
    if shown.sent_at is not None:
        meta.append(f"request sent {_when(shown.sent_at)}")
    if shown.profile_name:
        meta.append(f"profile “{shown.profile_name}”")
    blocks.append(("p", " · ".join(meta)))
    if options.context:
        blocks.append(("p", f"Sent from the collection request {options.context}."))

    blocks += _verdict_blocks(diag)
    blocks += _request_blocks(shown, options)
    blocks += _response_blocks(shown, options)
    if options.claims:
        blocks += _token_blocks(diag)
    if options.timeline:
        blocks += _timeline_blocks(diag, diagnosis)
    blocks.append(("p", "Secrets (tokens, passwords, API keys, cookies) are masked in this report."))
    return options.title, _scrub_blocks(blocks, scrub), scrub


def _scrub_blocks(blocks: list[Block], scrub: Callable[[str], str]) -> list[Block]:
    """Scrub every piece before rendering: HTML escaping would otherwise hide a secret from the final pass."""
    out: list[Block] = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append(("h", block[1], scrub(block[2])))
        elif kind in ("p", "code"):
            out.append((kind, scrub(block[1])))
        elif kind == "list":
            out.append(("list", [scrub(item) for item in block[1]]))
        elif kind == "kv":
            out.append(("kv", [(scrub(k), scrub(v)) for k, v in block[1]]))
    return out


# --- sections ----------------------------------------------------------------------------------------------


def _verdict_blocks(diag: Mapping[str, Any]) -> list[Block]:
    if not diag:
        return [("h", 2, "Verdict"), ("p", "The request was not explained (no diagnosis was made).")]
    blocks: list[Block] = [
        ("h", 2, f"Verdict: {diag.get('verdict') or 'unknown'}"),
        ("p", str(diag.get("summary") or "")),
    ]
    message = str(diag.get("server_message") or "")
    if message and not _quotes(str(diag.get("summary") or ""), message):  # the summary may say it already
        blocks.append(("p", f"The server said: “{message}”"))
    findings = [f for f in diag.get("findings") or () if isinstance(f, Mapping)]
    if findings:
        blocks.append(("h", 2, "Findings"))
        for f in findings:
            blocks.append(
                ("h", 3, f"{f.get('severity', 'info')} · {f.get('id', '?')} · {f.get('title', '')}")
            )
            if f.get("detail"):
                blocks.append(("p", str(f["detail"])))
            if f.get("next_step"):
                blocks.append(("p", f"Next step: {f['next_step']}"))
            evidence = f.get("evidence")
            if isinstance(evidence, Mapping) and evidence:
                # in words first (no nulls, no internal names), then the raw values it was drawn from
                words = evidence_lines(str(f.get("id", "")), evidence, said=(str(f.get("detail") or ""),))
                if words:
                    blocks.append(("list", [f"{label}: {value}" for label, value in words]))
                blocks.append(("kv", [(str(k), _value(v)) for k, v in evidence.items()]))
    challenges = [c for c in diag.get("challenges") or () if isinstance(c, Mapping)]
    if challenges:
        items = []
        for c in challenges:
            params = ", ".join(f"{k}={v}" for k, v in (c.get("params") or {}).items())
            items.append(" ".join(x for x in (str(c.get("scheme", "")), c.get("token68") or "", params) if x))
        blocks += [("h", 3, "Challenges (WWW-Authenticate)"), ("list", items)]
    missing = [str(m) for m in diag.get("missing_evidence") or ()]
    if missing:
        blocks += [("h", 3, "Evidence that was missing"), ("list", missing)]
    return blocks


def _request_blocks(exchange: Exchange, options: ReportOptions) -> list[Block]:
    spec = exchange.spec
    blocks: list[Block] = [("h", 2, "Request"), ("p", f"{spec.method} {spec.url}")]
    hops = exchange.hops if options.hops else exchange.hops[-1:]
    if not hops:
        blocks.append(("p", "Nothing was sent."))
        if options.headers and spec.enabled_headers():
            blocks.append(("code", _header_text(spec.enabled_headers())))
        return blocks
    for n, hop in enumerate(hops, start=1):
        title = f"Hop {n}" if options.hops else "Final hop"
        status = f"{hop.response.status} {hop.response.reason}".strip() if hop.response else "no response"
        role = " (token request)" if hop.role == "token" else ""
        blocks.append(("h", 3, f"{title}{role}: {hop.method} {hop.url} → {status}"))
        facts = [f"took {_duration(hop.elapsed_s)}"]
        if hop.sent_at is not None:
            facts.insert(0, f"sent {_when(hop.sent_at)}")
        if hop.location:
            facts.append(f"redirected to {hop.location}")
        blocks.append(("p", ", ".join(facts) + "."))
        if hop.credentials_stripped:
            blocks.append(
                (
                    "p",
                    f"Removed before this hop because the origin changed: {', '.join(hop.credentials_stripped)}.",
                )
            )
        if hop.netrc_applied:
            blocks.append(("p", "A .netrc entry replaced the Authorization header on this hop."))
        if options.headers:
            blocks.append(("code", _header_text(hop.sent_headers) or "(no headers)"))
        if options.body and hop.sent_body:
            blocks.append(
                ("code", _excerpt(hop.sent_body, hop.sent_header("Content-Type"), options.body_limit))
            )
        if hop is not exchange.final_hop and hop.response is not None:
            # an earlier hop's answer (a redirect, a token) matters too; the final one has its own section
            r = hop.response
            if options.headers:
                blocks.append(("p", f"Response: {r.status} {r.reason}".rstrip() + "."))
                blocks.append(("code", _header_text(r.headers) or "(no headers)"))
            if options.body and r.body:
                blocks.append(("code", _excerpt(r.body, r.content_type, options.body_limit, r.body_bytes)))
    return blocks


def _response_blocks(exchange: Exchange, options: ReportOptions) -> list[Block]:
    blocks: list[Block] = [("h", 2, "Response")]
    if exchange.error is not None:
        blocks.append(("p", f"No response ({exchange.error.kind}): {exchange.error.message}"))
        return blocks
    hop: Hop | None = exchange.final_hop
    response = hop.response if hop else None
    if response is None:
        blocks.append(("p", "No response was recorded."))
        return blocks
    blocks.append(("p", f"{response.http_version} {response.status} {response.reason}".strip()))
    if options.headers:
        blocks.append(("code", _header_text(response.headers) or "(no headers)"))
    if options.body:
        size = f"{response.body_bytes} bytes" + (" (only part was kept)" if response.body_truncated else "")
        blocks.append(("p", f"Body: {size}, {response.content_type or 'no Content-Type'}."))
        if response.body:
            blocks.append(
                (
                    "code",
                    _excerpt(response.body, response.content_type, options.body_limit, response.body_bytes),
                )
            )
    return blocks


def _token_blocks(diag: Mapping[str, Any]) -> list[Block]:
    token = diag.get("token")
    if not isinstance(token, Mapping):
        return []
    fmt = str(token.get("format") or "unknown")
    blocks: list[Block] = [("h", 2, f"Token ({fmt})")]
    if fmt == "opaque":
        blocks.append(("p", "Not a JWT: its content cannot be read here; only the server can introspect it."))
        return blocks
    verified = (
        "The signature was verified."
        if token.get("verified")
        else "The claims were decoded without verifying the signature."
    )
    if token.get("verify_error"):
        verified += f" Verification failed: {token['verify_error']}"
    blocks.append(("p", verified + " The token itself and its signature are left out of this report."))
    if token.get("decode_error"):
        blocks.append(("p", f"It could not be decoded: {token['decode_error']}"))
    if token.get("header"):
        blocks += [("h", 3, "Header"), ("code", _json(token["header"]))]
    if token.get("claims"):
        blocks += [("h", 3, "Claims"), ("code", _json(token["claims"]))]
    return blocks


def _timeline_blocks(diag: Mapping[str, Any], diag_obj: Diagnosis | None) -> list[Block]:
    lines: list[str] = []
    shared = _shared_timeline_words(diag_obj)
    if shared is not None:
        lines = shared
    elif isinstance(diag.get("timeline"), Mapping):
        lines = timeline_in_words(diag["timeline"])
    return [("h", 2, "Timeline"), ("list", lines)] if lines else []


def _shared_timeline_words(diag_obj: Diagnosis | None) -> list[str] | None:
    """The timeline module's own wording when it offers one (written by the explainer work)."""
    if diag_obj is None or diag_obj.timeline is None:
        return None
    module = importlib.import_module("inspector.core.timeline")
    for name in ("timeline_in_words", "describe_timeline"):
        describe = getattr(module, name, None)
        if callable(describe):
            try:
                words = describe(diag_obj.timeline)
            except Exception:  # the fallback below says the same in plainer words
                return None
            if isinstance(words, str):
                return [line for line in words.splitlines() if line.strip()]
            if isinstance(words, list | tuple):
                return [str(w) for w in words]
    return None


def timeline_in_words(timeline: Mapping[str, Any]) -> list[str]:
    """The expiry timeline (the CLI's JSON field names) as sentences."""
    t = {k: time_from_text(timeline.get(k)) for k in ("issued_at", "not_before", "expires_at", "auth_time")}
    sent = time_from_text(timeline.get("sent_at"))
    server = time_from_text(timeline.get("server_date"))
    lines = []
    if sent is not None:
        lines.append(f"The request was sent {_when(sent)} by your clock.")
    if server is not None:
        lines.append(f"The server's Date header said {_when(server)}.")
    skew = timeline.get("clock_skew_s")
    if isinstance(skew, int | float):
        if abs(skew) < _SKEW_NOISE_S:
            lines.append(f"Your clock and the server's agree to within {_duration(_SKEW_NOISE_S)}.")
        else:
            side = "behind" if skew > 0 else "ahead of"
            lines.append(f"Your clock is {_duration(abs(skew))} {side} the server's.")
    if t["issued_at"] is not None:
        lines.append(f"The token was issued {_when(t['issued_at'])}.")
    if t["auth_time"] is not None:
        lines.append(f"The user signed in {_when(t['auth_time'])}.")
    if t["not_before"] is not None:
        lines.append(f"It is not valid before {_when(t['not_before'])}.")
    if t["expires_at"] is not None:
        lines.append(f"It expires {_when(t['expires_at'])}.")
    lifetime = timeline.get("lifetime_s")
    if isinstance(lifetime, int | float):
        lines.append(f"Its lifetime is {_duration(lifetime)}.")
    remaining = timeline.get("remaining_s")
    if isinstance(remaining, int | float):
        by_server = timeline.get("by_server_clock")
        by_server = server is not None if by_server is None else bool(by_server)
        clock = "the server's clock" if by_server else "your clock"
        if remaining < 0:
            lines.append(f"It expired {_duration(-remaining)} before the request (by {clock}).")
        else:
            lines.append(f"It had {_duration(remaining)} left when the request was made (by {clock}).")
    leeway = timeline.get("leeway_s")
    if isinstance(leeway, int | float) and t["expires_at"] is not None:
        lines.append(f"Servers commonly allow a leeway of about {_duration(leeway)} around the expiry.")
    return lines


# --- small helpers -----------------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float) -> str:
    """'4 min 12 s', '1 h 3 min', '250 ms'."""
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    s = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if s >= size:
            parts.append(f"{s // size} {unit}")
            s %= size
    return " ".join(parts[:2])


def _quotes(text: str, words: str) -> bool:
    """Whether text already quotes words (ignoring case, spacing and a final full stop)."""
    said, quoted = _plain_words(text), _plain_words(words)
    return bool(quoted) and quoted in said


def _plain_words(text: str) -> str:
    return " ".join(text.split()).rstrip(".!").lower()


def _value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _header_text(lines: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in lines)


def _excerpt(data: bytes, content_type: str | None, limit: int, total_bytes: int | None = None) -> str:
    total = max(total_bytes or 0, len(data))
    text = body_text(data, content_type, exact=True)
    if text is None:
        return f"({total} bytes of binary content, not shown)"
    if len(text) > limit:
        return text[:limit] + f"\n… (only the first {limit} characters of {total} bytes are shown)"
    return text


# --- renderers ---------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")
# Server text must not start a block of its own: no line breaks inside a block, and a leading list marker,
# setext underline or numbered-list number is escaped ("## Verdict: ok" or "Verdict: ok\n===" from a server
# would otherwise forge a heading).
_MD_LINE_BREAK = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
_MD_BLOCK_START = re.compile(r"^(\s*(?:\d+)?)([-+=~.)])")


def _md(text: str) -> str:
    flat = _MD_LINE_BREAK.sub(" ", text)
    return _MD_BLOCK_START.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", flat))


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _render_markdown(title: str, blocks: list[Block], scrub: Callable[[str], str]) -> str:
    out = [f"# {_md(title)}", ""]
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out += ["#" * block[1] + " " + _md(block[2]), ""]
        elif kind == "p":
            out += [_md(block[1]), ""]
        elif kind == "code":
            fence = _fence(block[1])
            out += [fence, block[1], fence, ""]
        elif kind == "list":
            out += [f"- {_md(item)}" for item in block[1]] + [""]
        elif kind == "kv":
            out += [
                f"- {_md(k)}: `{v}`" if v and "`" not in v and "\n" not in v else f"- {_md(k)}: {_md(v)}"
                for k, v in block[1]
            ] + [""]
    return scrub("\n".join(out).rstrip() + "\n")


_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; margin-top: 2rem; }
h3 { font-size: 1rem; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; font-family: monospace; }
"""


def _render_html(title: str, blocks: list[Block], scrub: Callable[[str], str]) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"<h{block[1]}>{e(block[2])}</h{block[1]}>")
        elif kind == "p":
            out.append(f"<p>{e(block[1])}</p>")
        elif kind == "code":
            out.append(f"<pre>{e(block[1])}</pre>")
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in block[1]) + "</ul>")
        elif kind == "kv":
            out.append("<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in block[1]) + "</dl>")
    out.append("</body></html>")
    return scrub("\n".join(out) + "\n")
