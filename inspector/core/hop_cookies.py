"""The cookies of an exchange, hop by hop, for the response view's Cookies tab: which cookies each response
set (its Set-Cookie lines, as the profile's jar understood them), which cookies each request carried, and which
cookies of the site the jar held back and why.

A profile's jar records names and attributes on each hop (Hop.cookies_set, cookies_sent, cookies_held); the
values come from the hop's own Set-Cookie and Cookie lines, so a masked record (history, HAR) gives masked
values. A hop sent without a profile jar has no notes: its Set-Cookie lines are read with the same RFC 6265
rules (core.cookies.parse_set_cookie), its Cookie line as sent. Values are secrets: the view masks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from inspector.core.cookies import parse_set_cookie
from inspector.core.exchange import Exchange, Hop, header_values

CookieKind = Literal["set", "sent", "held"]


@dataclass(frozen=True)
class CookieLine:
    """One cookie on one hop: set by its response, sent with its request, or held back from it."""

    kind: CookieKind
    name: str
    value: str | None = None  # as on the wire (a secret); None when the hop does not show it (held back)
    domain: str = ""
    path: str = ""
    expires: datetime | None = None  # None: a session cookie (set), or not known (sent, held)
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None
    host_only: bool = True
    removed: bool = False  # set with an expiry in the past: the server deleted it
    refused: str | None = None  # why the jar did not keep a cookie the response set (a phrase)
    reason: str | None = None  # held back: secure | domain | path | expired
    detail: str = ""  # held back: the reason as a sentence


@dataclass(frozen=True)
class HopCookies:
    """The cookies of one hop; number is the hop's place in the exchange (1-based, as in the hop list)."""

    number: int
    hop: Hop
    lines: tuple[CookieLine, ...]


def pairs(cookie_header: str) -> list[tuple[str, str]]:
    """The name=value pairs of a Cookie header line, in order."""
    out = []
    for part in cookie_header.split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip():
            out.append((name.strip(), value.strip()))
    return out


def _set_value(line: str) -> tuple[str, str]:
    pair = line.partition(";")[0]
    name, _sep, value = pair.partition("=")
    return name.strip(), value.strip()


def _set_lines(hop: Hop) -> list[CookieLine]:
    response = hop.response
    raw = header_values(response.headers, "Set-Cookie") if response is not None else []
    values = dict(_set_value(line) for line in raw)
    if hop.cookies_set:  # the profile's jar read them already
        return [CookieLine("set", n.name, values.get(n.name), n.domain, n.path, n.expires, n.secure, n.http_only,
                           n.same_site, n.host_only, n.removed, n.rejected)
                for n in hop.cookies_set]
    now = hop.sent_at or datetime.now(UTC)
    out = []
    for line in raw:
        parsed = parse_set_cookie(line, hop.url, now)
        if parsed is None:
            continue
        name, value = _set_value(line)
        if isinstance(parsed, str):
            out.append(CookieLine("set", name, value, refused=parsed))
            continue
        out.append(CookieLine("set", parsed.name, parsed.value, parsed.domain, parsed.path, parsed.expires,
                              parsed.secure, parsed.http_only, parsed.same_site, parsed.host_only,
                              removed=parsed.expired(now)))
    return out


def _sent_lines(hop: Hop) -> list[CookieLine]:
    sent = [(n, v) for line in header_values(hop.sent_headers, "Cookie") for n, v in pairs(line)]
    if not hop.cookies_sent:
        return [CookieLine("sent", n, v) for n, v in sent]
    values = dict(sent)
    return [CookieLine("sent", n, values.get(n)) for n in hop.cookies_sent]


def hop_cookies(exchange: Exchange) -> tuple[HopCookies, ...]:
    """Every hop that sent, held back or set a cookie, with those cookies in that order (the request's, then
    its response's)."""
    out = []
    for number, hop in enumerate(exchange.hops, start=1):
        held = [CookieLine("held", h.name, None, h.domain, h.path, reason=h.reason, detail=h.detail)
                for h in hop.cookies_held]
        lines = [*_sent_lines(hop), *held, *_set_lines(hop)]
        if lines:
            out.append(HopCookies(number, hop, tuple(lines)))
    return tuple(out)
