"""RequestSpec: what the user composed, before any credential is added, and its validation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal, get_args
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode, urlsplit, urlunsplit

from inspector.core.errors import RequestError
from inspector.core.redact import (
    MASK,
    SECRET_KEYS,
    is_secret_header,
    is_secret_param,
    looks_secret_name,
    mask,
    mask_header_value,
)

COMMON_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
BodyKind = Literal["none", "json", "text", "form", "multipart"]
BODY_KINDS: tuple[BodyKind, ...] = get_args(BodyKind)


def as_body_kind(value: object, default: BodyKind = "none") -> BodyKind:
    """value when it names a body kind (one of BODY_KINDS), else default."""
    return next((kind for kind in BODY_KINDS if kind == value), default)


CONTENT_TYPE_FOR_KIND = {
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "form": "application/x-www-form-urlencoded",
    # multipart: requests writes the header itself, with the boundary
}
_METHOD_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 token
_HEADER_NAME_RE = _METHOD_RE
# RFC 9110 field values hold no control character but the tab; http.client would still send NUL or ESC as is
_HEADER_VALUE_CTL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Header:
    """One request header; a disabled one is kept in the editor but not sent."""

    name: str
    value: str
    enabled: bool = True


@dataclass(frozen=True)
class FormField:
    """One field of a form or multipart body; for a multipart file, value is the file's path."""

    name: str
    value: str
    is_file: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class Body:
    """A request body: none, json, text, form or multipart (BodyKind), its text or its fields."""

    kind: BodyKind = "none"
    text: str = ""  # json and text kinds
    fields: tuple[FormField, ...] = ()  # form and multipart kinds


@dataclass(frozen=True)
class RequestSpec:
    """A request as composed. Query parameters live in the URL; the editor's table mirrors them."""

    method: str = "GET"
    url: str = ""
    headers: tuple[Header, ...] = ()
    body: Body = field(default_factory=Body)
    timeout_s: float = DEFAULT_TIMEOUT_S
    follow_redirects: bool = True
    verify_tls: bool = True
    profile: str | None = None  # the profile's identity (see core.profiles), or None

    def enabled_headers(self) -> list[tuple[str, str]]:
        return [(h.name, h.value) for h in self.headers if h.enabled and h.name.strip()]

    def header(self, name: str) -> str | None:
        """The value of the last enabled header with this name (case-insensitive)."""
        found = None
        for h in self.headers:
            if h.enabled and h.name.strip().lower() == name.lower():
                found = h.value
        return found

    def with_url(self, url: str) -> RequestSpec:
        return replace(self, url=url)

    def validate(self) -> None:
        """Raise RequestError with a sentence naming the field when the request cannot be sent."""
        validate_method(self.method)
        validate_url(self.url)
        for i, h in enumerate(self.headers, start=1):
            if not h.enabled:
                continue
            if not h.name.strip():
                if h.value.strip():
                    raise RequestError(f"Header row {i} has a value but no name.")
                continue
            validate_header(h.name, h.value)
        validate_body(self.body)
        if not self.timeout_s > 0:
            raise RequestError(f"The timeout must be more than 0 seconds, not {self.timeout_s}.")


def validate_method(method: str) -> None:
    if not method or not _METHOD_RE.match(method):
        raise RequestError(f"'{method}' is not a valid HTTP method: use letters such as GET or POST.")


def validate_url(url: str) -> None:
    """Raise RequestError naming what is wrong with the URL (its credentials masked, see shown_url)."""
    url = url.strip()
    if not url:
        raise RequestError("The URL is empty: type an address such as https://api.example.com/items.")
    shown = shown_url(url)
    if any(c.isspace() for c in url):
        raise RequestError(f"The URL '{shown}' contains a space: encode it as %20 or remove it.")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise RequestError(f"The URL '{shown}' cannot be parsed: {_url_parse_problem(exc)}.") from None
    if not parts.scheme:
        raise RequestError(f"The URL '{shown}' has no scheme: start it with http:// or https://.")
    if parts.scheme.lower() not in ("http", "https"):
        raise RequestError(
            f"The URL '{shown}' uses the scheme '{shown_word(parts.scheme)}': "
            "only http and https are supported."
        )
    if not parts.hostname:
        raise RequestError(f"The URL '{shown}' has no host name after '{shown_word(parts.scheme)}://'.")
    del port


def _url_parse_problem(exc: ValueError) -> str:
    """urllib's complaint in words, without its text: that quotes the host part, password included."""
    text = str(exc)
    if "Port" in text:
        return "its port is not a number from 0 to 65535"
    if "IPv6" in text:
        return "its IPv6 address in [ ] is not written correctly"
    return "its host part holds characters a URL cannot hold"


def validate_header(name: str, value: str) -> None:
    if not _HEADER_NAME_RE.match(name.strip()):
        shown = " ".join(shown_word(word) for word in name.strip().split(" "))
        raise RequestError(f"The header name '{shown}' contains characters a header name cannot hold.")
    if "\n" in value or "\r" in value:
        raise RequestError(f"The value of header '{name}' contains a line break.")
    bad = _HEADER_VALUE_CTL_RE.search(value)
    if bad:
        raise RequestError(
            f"The value of header '{name}' contains the control character U+{ord(bad.group()):04X}, "
            "which a header cannot hold: remove it."
        )


def validate_body(body: Body) -> None:
    if body.kind not in BODY_KINDS:
        raise RequestError(f"Unknown body kind '{body.kind}': use one of {', '.join(BODY_KINDS)}.")
    if body.kind == "json" and body.text.strip():
        try:
            json.loads(body.text)
        except json.JSONDecodeError as exc:
            raise RequestError(
                f"The JSON body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from None
        except RecursionError:
            pass  # nested too deeply for Python to check: the server is the judge of that


# --- Masked values read back from history or a HAR file ----------------------------------------------------
# Every stored or exported copy masks its secrets with MASK ('Bearer eyJhbG…'). Such a value is not the
# credential: it is a missing secret, and sending it would fail (a header cannot carry '…') or send a
# useless placeholder.


class MaskedCredentialError(RequestError):
    """The request holds a credential that was stored masked: the secret itself is missing."""


def is_masked(value: str) -> bool:
    """Whether a value carries the app's mask mark (it was stored or exported masked)."""
    return MASK in value


def masked_credentials(spec: RequestSpec, replaced: Iterable[str] = ()) -> list[str]:
    """Where the request holds a masked credential, named for a message ('the Authorization header').

    `replaced` names the headers and query parameters a profile sets itself: a masked value there is
    overwritten before sending, so it is no missing secret.
    """
    skip = {name.strip().lower() for name in replaced}
    found: list[str] = []
    for h in spec.headers:
        name = h.name.strip()
        if h.enabled and name.lower() not in skip and is_masked(h.value) and is_secret_header(name):
            found.append(f"the {name} header")
    try:
        parts = urlsplit(spec.url.strip())
        userinfo = parts.netloc.rpartition("@")[0]
    except ValueError:
        parts, userinfo = None, ""
    if is_masked(userinfo):
        found.append("the user name or password in the URL")
    if parts is not None:
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name.lower() not in skip and is_masked(value) and is_secret_param(name):
                found.append(f"the query parameter '{name}'")
    if spec.body.kind in ("form", "multipart"):
        for f in spec.body.fields:
            if f.enabled and not f.is_file and is_masked(f.value) and is_secret_param(f.name):
                found.append(f"the form field '{f.name}'")
    elif spec.body.kind == "json" and is_masked(spec.body.text):
        found += [f"the JSON field '{key}'" for key in _masked_json_keys(spec.body.text)]
    return list(dict.fromkeys(found))


def _masked_json_keys(text: str) -> list[str]:
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return []
    found: list[str] = []
    todo: list[object] = [doc]
    for _ in range(10_000):  # bounded: a body is a tree, but a huge one must not hang the send
        if not todo:
            break
        item = todo.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, str):
                    low = str(key).lower()
                    if is_masked(value) and (low in SECRET_KEYS or looks_secret_name(low)):
                        found.append(str(key))
                else:
                    todo.append(value)
        elif isinstance(item, list):
            todo.extend(item)
    return found


def refuse_masked_credentials(spec: RequestSpec, replaced: Iterable[str] = ()) -> None:
    """Raise MaskedCredentialError when the request would send a masked credential instead of the secret."""
    found = masked_credentials(spec, replaced)
    if not found:
        return
    where = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
    raise MaskedCredentialError(
        f"Not sent: {where} holds a masked value ('…') read back from history or a HAR file, not the "
        "secret itself. Paste the credential again or choose a profile that supplies it, then send."
    )


def parse_header_line(line: str) -> Header:
    """'Name: value' to a Header; RequestError when there is no colon or no name (the line quoted masked)."""
    name, sep, value = line.partition(":")
    if not sep:
        raise RequestError(
            f"The header line '{shown_header_line(line)}' has no colon: write it as 'Name: value'."
        )
    name = name.strip()
    if not name:
        raise RequestError(f"The header line '{shown_header_line(line)}' has no name before the colon.")
    validate_header(name, value)
    return Header(name, value.strip())


# --- Quoting what the user typed in a message, without repeating a secret ---------------------------------
# A message goes to stderr, the window's URL line, logs: it is built from masked text, never from the input as
# is. These work on text that failed to parse too (which is when the messages are needed).

_NAME_LIKE_RE = re.compile(r"^[A-Za-z][A-Za-z-]{0,39}$")  # a header name or an auth scheme, not a credential


def shown_word(word: str) -> str:
    """A word quoted in a message: as typed when it reads like a name, else cut to its first letters."""
    return word if _NAME_LIKE_RE.match(word) else mask(word)


def shown_header_line(line: str) -> str:
    """A header line (well-formed or not) as a message may quote it: the name readable, the value masked.

    A value is masked unless its header is known to be harmless; without a colon, everything after the first
    word is treated as the value ('Authorization Bearer abc' becomes 'Authorization Bearer …').
    """
    name, colon, value = line.strip().partition(":")
    if not colon:
        name, _, value = name.partition(" ")
    name, value = name.strip(), value.strip()
    shown_name = " ".join(shown_word(word) for word in name.split(" "))
    if not value:
        return shown_name + colon
    shown_value = mask_header_value(name, value) if is_secret_header(name) else mask(value)
    return f"{shown_name}{colon} {shown_value}"


def shown_url(url: str) -> str:
    """A URL as a message may quote it: user-info, secret query and fragment values masked, the rest as typed.

    Unlike redact.mask_url it needs no parse to succeed and re-encodes nothing, so 'contains a space' still
    shows where the space is.
    """
    match = re.match(r"\s*[A-Za-z][A-Za-z0-9+.-]*://", url)
    prefix = match.group() if match else ""
    rest = url[len(prefix):]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        userinfo, _, hostport = authority.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        # a user with no password is how tokens ride in URLs (https://ghp_…@github.com): mask it too
        authority = f"{user}:{MASK}@{hostport}" if colon else f"{mask(user)}@{hostport}"
    path_query, hash_mark, fragment = tail.partition("#")
    path, question, query = path_query.partition("?")
    if question:
        query = _shown_params(query)
    if hash_mark and "=" in fragment:  # an OAuth implicit-flow redirect carries its tokens here
        fragment = _shown_params(fragment)
    return f"{prefix}{authority}{path}{question}{query}{hash_mark}{fragment}"


def _shown_params(query: str) -> str:
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        secret = eq and value and is_secret_param(unquote_plus(name))
        parts.append(f"{name}={mask(value)}" if secret else part)
    return "&".join(parts)


def query_params(url: str) -> list[tuple[str, str]]:
    """The query parameters of a URL, decoded, in order, keeping blanks."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return parse_qsl(query, keep_blank_values=True)


def url_with_params(url: str, params: list[tuple[str, str]]) -> str:
    """The URL with its query replaced by params (the fragment is kept)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = urlencode(params, quote_via=quote, safe="/:@!$'()*,;")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def effective_content_type(spec: RequestSpec) -> str | None:
    """The Content-Type that will be sent: the user's own header wins, else the body kind's."""
    user = spec.header("Content-Type")
    if user is not None:
        return user
    return CONTENT_TYPE_FOR_KIND.get(spec.body.kind)
