"""Secrets inside free text: a message, a status line, a log record, a pasted curl command.

mask.py masks values whose place says they are secret (a header, a query parameter, a JSON key). A
sentence has no places, so this module finds them by shape: URLs (user-info, secret query parameters),
`Name: value` lines of secret headers, `name=value` and `"name": "value"` pairs of secret names, credentials
after an Authorization scheme (`Bearer …`), `-u user:password`; then every value found, and every secret the
caller already knows, is scrubbed wherever else it turns up in the text.

strict=True (screen-share-safe mode) widens the net: any credential-looking name counts, and JWTs and long
opaque runs of letters and digits are masked whatever surrounds them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from inspector.core.redact.mask import MASK, mask, mask_header_value, mask_url
from inspector.core.redact.rules import (
    SECRET_HEADERS,
    SECRET_KEYS,
    VALUE_SCRUB_MIN,
    is_secret_param,
    looks_secret_name,
)
from inspector.core.redact.scrub import Redactor
from inspector.core.redact.values import header_secret_values, url_secret_values

__all__ = ["mask_text", "text_secret_values"]

# The longest text masked by pattern; beyond it only known values are scrubbed (every pattern here is linear,
# this only bounds the work a 100 MB log line could cost).
MAX_PATTERN_CHARS = 1_000_000

_URL_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")
# user:password@host without a scheme ("The URL 'me:pw@host' has no scheme"), and a token as the user
_USERINFO_RE = re.compile(r"(?<![\w/:@.%-])([^\s:@/'\"<>`]+):([^\s@/'\"<>`]+)@(?=[\w\[])")
_TOKEN_USER_RE = re.compile(r"(?<![\w/:@.%-])([A-Za-z0-9_\-.~]{16,})@(?=[\w\[])")
_SCHEMES = "bearer|basic|dpop|negotiate|ntlm|apikey|api-key|token|mac|hoba"
_TOKEN68 = r"[A-Za-z0-9\-._~+/]+=*"
_AUTH_RE = re.compile(rf"(?<![\w-])({_SCHEMES})([ \t]+)({_TOKEN68})(?![\w\-.~+/=])", re.IGNORECASE)
_HEADER_RE = re.compile(r"(?<![\w-])([A-Za-z][A-Za-z0-9_-]*)([ \t]*:[ \t]*)([^'\"\r\n]+)")
_PAIR_RE = re.compile(r"(?<![\w.-])([A-Za-z][\w.-]*)([ \t]*=[ \t]*)(\"?)([^\s&'\";,]+)")
_JSON_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"')
_CURL_USER_RE = re.compile(r"(?<![\w-])(-u|--user|--proxy-user|-U)([ \t]+|=)(['\"]?)([^\s:'\"]*):([^\s'\"]+)")
_JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?")
_OPAQUE_RE = re.compile(r"(?<![\w/.:@%~+-])[A-Za-z0-9_\-+/=~]{24,}")


def _credential_like(value: str, strict: bool) -> bool:
    """Whether the word after a scheme is a credential, not prose ("Token endpoint", "Bearer error=...")."""
    word = value.rstrip(".")  # a sentence's full stop is not part of a credential ("The token expired.")
    if len(word) < 8:
        return False
    return any(c.isdigit() for c in word) or len(word) >= (16 if strict else 20) or any(
        c in "-._~+/=" for c in word)


def _secret_header_name(name: str, extra: tuple[str, ...], strict: bool) -> bool:
    low = name.lower()
    if low in SECRET_HEADERS or low in {e.lower() for e in extra}:
        return True
    # one plain word ("token: expired") is prose; X-Service-Token or client_secret is a name
    return looks_secret_name(low) and (strict or "-" in low or "_" in low)


def _secret_pair_name(name: str, extra: tuple[str, ...], strict: bool) -> bool:
    # "code" is an error code far more often than an OAuth code in a sentence; strict masks it anyway
    if name.lower() == "code" and not strict:
        return False
    return is_secret_param(name, extra)


def _secret_json_name(name: str, extra: tuple[str, ...], strict: bool) -> bool:
    low = name.lower()
    # as in a body: the known keys and header names ("token_type" only reads like a secret)
    return (low in SECRET_KEYS or low in SECRET_HEADERS or low in {e.lower() for e in extra}
            or (strict and looks_secret_name(low)))


_KNOWN_SCHEMES = frozenset({
    "bearer", "basic", "digest", "dpop", "negotiate", "ntlm", "token", "apikey", "api-key", "hoba", "mutual",
    "aws4-hmac-sha256", "mac", "hawk", "oauth", "signature", "sharedkey", "gosign",
})


def _header_value_looks_secret(name: str, value: str, strict: bool) -> bool:
    """Whether the words after 'Name:' are a header value, not prose ("authorization: what a user may do")."""
    if strict:
        return True
    low = name.lower()
    words = value.split()
    if low in ("authorization", "proxy-authorization"):
        if words[0].lower() in _KNOWN_SCHEMES:
            return len(words) > 1
        return len(words) == 1 and _credential_like(words[0], strict)
    if low in ("cookie", "set-cookie"):
        return "=" in words[0]
    word = words[0]
    return len(word) >= 6 and (any(c.isdigit() for c in word) or any(c in "-._~+/=" for c in word)
                               or len(word) >= 16)


def _auth_params(name: str, rest: str) -> bool:
    """An Authorization value made of auth-params (Digest username="...", response="...")."""
    words = rest.split()
    return (name.lower() in ("authorization", "proxy-authorization") and len(words) > 1
            and "=" in words[1].rstrip("=") and not words[1].startswith(("'", '"')))


def _header_value_extent(name: str, rest: str) -> str:
    """How much of the text after 'Name:' is the header's value: a sentence may go on after it."""
    low = name.lower()
    rest = rest.rstrip()
    if low in ("cookie", "set-cookie"):
        return rest
    words = rest.split()
    if low in ("authorization", "proxy-authorization") and len(words) > 1:
        return rest[: rest.index(words[1]) + len(words[1])]  # scheme and credential
    return words[0] if words else ""


def _opaque(run: str) -> bool:
    return any(c.isdigit() for c in run) and any(c.isalpha() for c in run)


def _scan(text: str, extra: tuple[str, ...], strict: bool, found: list[str] | None) -> str:
    """The text with every secret found by shape masked; the values go to `found` when given."""

    def keep(value: str) -> None:
        if found is not None and value:
            found.append(value)

    def url(m: re.Match[str]) -> str:
        whole = m.group(0)
        values = [v for v in url_secret_values(whole, extra) if MASK not in v]
        if not values:
            return whole
        for v in values:
            keep(v)
        return mask_url(whole, extra)

    def userinfo(m: re.Match[str]) -> str:
        if MASK in m.group(2):
            return m.group(0)
        keep(m.group(2))
        return f"{m.group(1)}:{MASK}@"  # a password loses every character, as in mask_url

    def token_user(m: re.Match[str]) -> str:
        if not _opaque(m.group(1)):  # a long e-mail name, not a token (https://ghp_…@github.com)
            return m.group(0)
        keep(m.group(1))
        return f"{mask(m.group(1))}@"

    def auth(m: re.Match[str]) -> str:
        if not _credential_like(m.group(3), strict):
            return m.group(0)
        keep(m.group(3))
        return f"{m.group(1)}{m.group(2)}{mask(m.group(3))}"

    def header(m: re.Match[str]) -> str:
        name, rest = m.group(1), m.group(3)
        if MASK in rest or rest.startswith("//") or not _secret_header_name(name, extra, strict):
            return m.group(0)
        line = m.string[m.start(3):].split("\n", 1)[0]
        if _auth_params(name, line):
            # Digest and signature auth-params run past quotes: their secret values are scrubbed by value,
            # the names and the other parameters stay readable
            for secret in header_secret_values(name, line, (*extra, name)):
                if not any(c.isspace() for c in secret):  # the params' values, not the whole credential
                    keep(secret)
            return m.group(0)
        value = _header_value_extent(name, rest)
        if not value or not _header_value_looks_secret(name, value, strict):
            return m.group(0)
        masked = mask_header_value(name, value, (*extra, name))
        if masked == value:
            return m.group(0)
        keep(value)
        return f"{name}{m.group(2)}{masked}{m.group(3)[len(value):]}"

    def pair(m: re.Match[str]) -> str:
        name, value = m.group(1), m.group(4)
        if MASK in value or not _secret_pair_name(name, extra, strict):
            return m.group(0)
        keep(value)
        return f"{name}{m.group(2)}{m.group(3)}{mask(value)}"

    def member(m: re.Match[str]) -> str:
        if not m.group(3) or MASK in m.group(3) or not _secret_json_name(m.group(1), extra, strict):
            return m.group(0)
        keep(m.group(3))
        return f'"{m.group(1)}"{m.group(2)}"{mask(m.group(3))}"'

    def curl_user(m: re.Match[str]) -> str:
        if MASK in m.group(5):
            return m.group(0)
        keep(m.group(5))
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{m.group(4)}:{MASK}"

    def shaped(m: re.Match[str]) -> str:
        keep(m.group(0))
        return mask(m.group(0))

    def opaque(m: re.Match[str]) -> str:
        return shaped(m) if _opaque(m.group(0)) else m.group(0)

    steps: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
        (_URL_RE, url), (_USERINFO_RE, userinfo), (_TOKEN_USER_RE, token_user), (_CURL_USER_RE, curl_user),
        (_JSON_RE, member),
        (_AUTH_RE, auth), (_HEADER_RE, header), (_PAIR_RE, pair),
    ]
    if strict:
        steps += [(_JWT_RE, shaped), (_OPAQUE_RE, opaque)]
    for pattern, replace in steps:
        if _may_match(pattern, text):
            text = pattern.sub(replace, text)
    return text


# What each pattern cannot match without (a pass over a megabyte costs 20-70 ms, and holds the interpreter
# all along, even on a worker; looking for these costs under 1 ms, the schemes' words 5 ms): the text as it
# is at that step, since an earlier step's masks change it.
_SCHEME_WORDS = tuple(_SCHEMES.split("|"))
_NEEDS: dict[re.Pattern[str], Callable[[str], bool]] = {
    _URL_RE: lambda t: "://" in t,
    _USERINFO_RE: lambda t: "@" in t and ":" in t,
    _TOKEN_USER_RE: lambda t: "@" in t,
    _CURL_USER_RE: lambda t: "-u" in t or "-U" in t,  # -u, --user, --proxy-user, -U
    _JSON_RE: lambda t: '"' in t and ":" in t,
    _AUTH_RE: lambda t: _has_scheme_word(t),
    _HEADER_RE: lambda t: ":" in t,
    _PAIR_RE: lambda t: "=" in t,
    _JWT_RE: lambda t: "eyJ" in t,
}


def _may_match(pattern: re.Pattern[str], text: str) -> bool:
    needs = _NEEDS.get(pattern)
    return needs is None or needs(text)


def _has_scheme_word(text: str) -> bool:
    """Whether the text holds one of _AUTH_RE's schemes in a case re.IGNORECASE would match: casefold() maps
    every letter it matches to the ASCII one but two, the dotted and the dotless capital I's forms (İ becomes
    i and a combining dot, ı stays), mapped here by hand. A false yes only costs the pattern's pass."""
    low = text.casefold().replace("\u0307", "").replace("\u0131", "i")
    return any(word in low for word in _SCHEME_WORDS)


def text_secret_values(text: str, extra_names: Iterable[str] = (), *, strict: bool = False) -> list[str]:
    """The secret values found by shape in a text (a pasted command, a message), to scrub them elsewhere."""
    found: list[str] = []
    _scan(text[:MAX_PATTERN_CHARS], tuple(extra_names), strict, found)
    return found


def mask_text(
    text: str, *, secrets: Iterable[str] = (), extra_names: Iterable[str] = (), strict: bool = False
) -> str:
    """The text with secrets masked: found by shape (see the module text) and the known `secrets` by value.

    Values found by shape are also scrubbed wherever else they appear (a message quoting the header it
    complains about), but only from VALUE_SCRUB_MIN characters: a short one would blank ordinary words.
    """
    if not text:
        return text
    extra = tuple(extra_names)
    found: list[str] = []
    if len(text) <= MAX_PATTERN_CHARS:
        text = _scan(text, extra, strict, found)
    redactor = Redactor(secrets)
    for value in found:
        if len(value) >= VALUE_SCRUB_MIN:
            redactor.add(value)
    return redactor.scrub(text)
