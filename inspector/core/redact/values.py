"""The secret *values* inside a header, a URL or a body, to seed a Redactor.

mask.py hides secrets where their *name* says so; these functions return the values themselves so a Redactor
can also scrub them wherever else they turn up (a body echoing the token, a report, a history row).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from inspector.core.redact.mask import AUTH_SCHEME_RE, JSON_STRING_MEMBER_RE
from inspector.core.redact.rules import (
    AMBIGUOUS_JSON_KEYS,
    SECRET_AUTH_PARAMS,
    SECRET_HEADERS,
    SECRET_KEYS,
    URL_HEADERS,
    VALUE_SCRUB_MIN,
    is_secret_header,
    is_secret_param,
)

# One auth-param (name=value or name="quoted value") inside a Digest or HTTP Signature credential.
_AUTH_PARAM_RE = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^\s,]+)")


def header_secret_values(name: str, value: str, extra: Iterable[str] = ()) -> list[str]:
    """The secret values inside one header line (empty when the header name carries no credential)."""
    low = name.strip().lower()
    if low in URL_HEADERS:
        return url_secret_values(value.strip(), extra)
    if not is_secret_header(name, extra) or not value.strip():
        return []
    if low in ("authorization", "proxy-authorization"):
        m = AUTH_SCHEME_RE.match(value)
        if not (m and m.group(3).strip()):
            return [value.strip()]
        credential = m.group(3).strip()
        found = [credential]
        if m.group(1).lower() == "basic":
            found.extend(_basic_secret_values(credential))
        else:
            found.extend(_auth_param_secret_values(credential))
        return found
    if low == "cookie":
        pairs = (p.partition("=") for p in value.split(";"))
        return [v.strip() for _, sep, v in pairs if sep and len(v.strip()) >= VALUE_SCRUB_MIN]
    if low == "set-cookie":
        _, sep, v = value.split(";", 1)[0].partition("=")
        return [v.strip()] if sep and len(v.strip()) >= VALUE_SCRUB_MIN else []
    return [value.strip()]


def _basic_secret_values(credential: str) -> list[str]:
    """The password and the 'user:password' pair inside a Basic credential, when it decodes."""
    try:
        decoded = base64.b64decode(credential, validate=True)
    except (binascii.Error, ValueError):
        return []
    try:
        pair = decoded.decode("utf-8")
    except UnicodeDecodeError:
        pair = decoded.decode("latin-1")  # what some clients send when the server does not ask for UTF-8
    user, sep, password = pair.partition(":")
    if sep and password:
        return [pair, password]
    # "key:" with an empty password is how many APIs take a key as Basic (Stripe, Mailgun, ...)
    return [pair, user] if sep and len(user) >= VALUE_SCRUB_MIN else []


def _auth_param_secret_values(credential: str) -> list[str]:
    """The values of auth-params that prove a secret: Digest's response, an HTTP Signature's signature."""
    found = []
    for m in _AUTH_PARAM_RE.finditer(credential):
        if m.group(1).lower() in SECRET_AUTH_PARAMS:
            value = m.group(2)
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            if len(value) >= VALUE_SCRUB_MIN:
                found.append(value)
    return found


def url_secret_values(url: str, extra: Iterable[str] = ()) -> list[str]:
    """Secret query parameter values and the user-info password of a URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = []
    if parts.password:
        found.append(parts.password)
    elif parts.username and len(parts.username) >= VALUE_SCRUB_MIN:
        found.append(parts.username)  # a token as the user (https://ghp_…@github.com)
    extra = tuple(extra)
    for query in (parts.query, parts.fragment if "=" in parts.fragment else ""):
        pairs = parse_qsl(query, keep_blank_values=True)
        found.extend(v for k, v in pairs if v and is_secret_param(k, extra))
    return found


def body_secret_values(text: str, content_type: str | None = None, extra: Iterable[str] = ()) -> list[str]:
    """Values of secret keys in a JSON or form body (a token endpoint's access_token, a login's password)."""
    extra = tuple(extra)
    extra_low = {e.lower() for e in extra}
    ctype = (content_type or "").lower()
    found: list[str] = []
    if "json" in ctype or text.lstrip().startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        except RecursionError:  # too deep to parse: collect "key": "value" members by pattern
            for m in JSON_STRING_MEMBER_RE.finditer(text):
                low = m.group(1).lower()
                if _is_value_key(low, extra_low) and len(m.group(3)) >= VALUE_SCRUB_MIN:
                    found.append(m.group(3))
            return found
        if parsed is not None:
            _collect_json_secrets(parsed, extra_low, found, depth=0)
            return found
    one_word = "=" in text and "\n" not in text.strip() and " " not in text.strip()
    if "x-www-form-urlencoded" in ctype or one_word:
        found.extend(v for k, v in parse_qsl(text, keep_blank_values=True) if v and is_secret_param(k, extra))
    return found


def _is_value_key(low: str, extra_low: set[str]) -> bool:
    """A JSON key whose value is collected to scrub everywhere (not the ambiguous "code" and "key")."""
    return (low in SECRET_KEYS and low not in AMBIGUOUS_JSON_KEYS) or low in extra_low


def _collect_json_secrets(obj: object, extra_low: set[str], out: list[str], depth: int) -> None:
    if depth > 64:  # bounded: a hostile body cannot make this recurse forever
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            low = k.lower()
            if isinstance(v, str) and _is_value_key(low, extra_low):
                if len(v) >= VALUE_SCRUB_MIN:
                    out.append(v)
            elif isinstance(v, str) and (low in SECRET_HEADERS or low in URL_HEADERS):
                out.extend(s for s in header_secret_values(k, v, extra_low) if len(s) >= VALUE_SCRUB_MIN)
            else:
                _collect_json_secrets(v, extra_low, out, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            _collect_json_secrets(v, extra_low, out, depth + 1)
