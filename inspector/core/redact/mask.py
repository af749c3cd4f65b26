"""How to mask a value, a header, a cookie, a URL, a JSON value or a body (the names come from rules.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from inspector.core.redact.rules import (
    SECRET_HEADERS,
    URL_HEADERS,
    is_secret_header,
    is_secret_key,
    is_secret_param,
)

MASK = "…"
KEEP = 6  # a masked value keeps at most its first 6 characters
DEFAULT_BODY_CAP = 256 * 1024  # the most of a body a stored (masked) exchange keeps
AUTH_SCHEME_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(\s+)(.*)$", re.DOTALL)


def mask(value: str) -> str:
    """At most the first 6 characters, then '…'. Short values lose everything but the mark."""
    if not value:
        return value
    keep = KEEP if len(value) > 2 * KEEP else 0
    return value[:keep] + MASK


def mask_header_value(name: str, value: str, extra: Iterable[str] = ()) -> str:
    """Mask a header value when its name carries credentials; keep an Authorization scheme readable."""
    low = name.strip().lower()
    if low in URL_HEADERS:
        return mask_url(value, extra)
    if not is_secret_header(name, extra):
        return value
    if low in ("authorization", "proxy-authorization"):
        m = AUTH_SCHEME_RE.match(value)
        if m and m.group(3):
            return f"{m.group(1)}{m.group(2)}{mask(m.group(3))}"
        return mask(value)
    if low in ("cookie", "set-cookie"):
        return mask_cookie(value)
    return mask(value)


def mask_cookie(value: str) -> str:
    """name=value pairs keep their names and attributes; the values are masked."""
    out = []
    for i, part in enumerate(value.split(";")):
        name, sep, val = part.partition("=")
        attr = name.strip().lower() in ("path", "domain", "expires", "max-age", "samesite")
        if sep and (i == 0 or not attr) and val.strip():
            out.append(f"{name}={mask(val.strip())}")
        else:
            out.append(part)
    return ";".join(out)


def mask_headers(lines: Iterable[tuple[str, str]], extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Header lines with the values of secret headers masked."""
    extra = tuple(extra)
    return [(k, mask_header_value(k, v, extra)) for k, v in lines]


def mask_url(url: str, extra: Iterable[str] = ()) -> str:
    """Mask secret query parameters and a password in the user-info part."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _pw = userinfo.partition(":")
        # a user with no password is how tokens ride in URLs (https://ghp_…@github.com): mask it too
        netloc = f"{user}:{MASK}@{hostport}" if sep else f"{mask(user)}@{hostport}" if user else netloc
    extra = tuple(extra)
    query = _mask_params(parts.query, extra)
    # an OAuth implicit-flow redirect carries its tokens in the fragment (#access_token=...)
    fragment = _mask_params(parts.fragment, extra) if "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _mask_params(query: str, extra: tuple[str, ...]) -> str:
    """A query string with the values of secret parameters masked (unchanged when there are none)."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(is_secret_param(k, extra) for k, _ in pairs):
        return query
    masked = [(k, mask(v) if is_secret_param(k, extra) else v) for k, v in pairs]
    # the mask mark stays readable in the URL rather than percent-encoded
    return urlencode(masked, quote_via=quote, safe="/:@!$'()*,;").replace(quote(MASK), MASK)


def mask_json_value(obj: object, extra: Iterable[str] = ()) -> object:
    """A copy of a parsed JSON value with secret keys' string values masked."""
    extra_low = {e.lower() for e in extra}
    if isinstance(obj, dict):
        return {k: _mask_json_item(k, v, extra_low) for k, v in obj.items()}
    if isinstance(obj, list):
        return [mask_json_value(v, extra_low) for v in obj]
    return obj


def _mask_json_item(key: str, value: object, extra_low: set[str]) -> object:
    low = key.lower()
    if isinstance(value, str):
        if is_secret_key(low, extra_low):
            return mask(value)
        if low in SECRET_HEADERS or low in URL_HEADERS:
            # a server echoing the request's headers ({"headers": {"Authorization": ...}})
            return mask_header_value(key, value, extra_low)
        return value
    if isinstance(value, list) and low in SECRET_HEADERS and all(isinstance(v, str) for v in value):
        return [mask_header_value(key, v, extra_low) for v in value]
    return mask_json_value(value, extra_low)


# One JSON member whose value is a string ("key": "value", escapes kept): for bodies too deep to parse.
JSON_STRING_MEMBER_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"')


def _mask_json_members(text: str, extra: Iterable[str] = ()) -> str:
    """Mask secret string members found by pattern, without parsing (which would recurse too deep)."""
    extra_low = {e.lower() for e in extra}

    def one(m: re.Match[str]) -> str:
        value = _mask_json_item(m.group(1), m.group(3), extra_low)
        return m.group(0) if value == m.group(3) else f'"{m.group(1)}"{m.group(2)}"{value}"'

    return JSON_STRING_MEMBER_RE.sub(one, text)


def mask_body_text(text: str, content_type: str | None = None, extra: Iterable[str] = ()) -> str:
    """Mask secret fields of a JSON or form body; other text is returned as is (see Redactor.scrub)."""
    ctype = (content_type or "").lower()
    stripped = text.lstrip()
    if "json" in ctype or stripped.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        except RecursionError:  # nested deeper than Python recurses (a hostile body): mask by pattern
            return _mask_json_members(text, extra)
        if parsed is not None:
            try:
                masked = mask_json_value(parsed, extra)
                if masked != parsed:
                    return json.dumps(masked, indent=2, ensure_ascii=False)
            except RecursionError:
                return _mask_json_members(text, extra)
            return text
    if "x-www-form-urlencoded" in ctype:
        pairs = parse_qsl(text, keep_blank_values=True)
        if any(is_secret_param(k, extra) for k, _ in pairs):
            return urlencode([(k, mask(v) if is_secret_param(k, extra) else v) for k, v in pairs])
    return text
