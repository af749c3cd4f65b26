"""RequestSpec: what the user composed, before any credential is added, and its validation."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Literal, get_args
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from inspector.core.errors import RequestError

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
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Header:
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
    """Raise RequestError naming what is wrong with the URL."""
    url = url.strip()
    if not url:
        raise RequestError("The URL is empty: type an address such as https://api.example.com/items.")
    if any(c.isspace() for c in url):
        raise RequestError(f"The URL '{url}' contains a space: encode it as %20 or remove it.")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise RequestError(f"The URL '{url}' cannot be parsed: {exc}.") from None
    if not parts.scheme:
        raise RequestError(f"The URL '{url}' has no scheme: start it with http:// or https://.")
    if parts.scheme.lower() not in ("http", "https"):
        raise RequestError(f"The URL '{url}' uses the scheme '{parts.scheme}': only http and https are supported.")
    if not parts.hostname:
        raise RequestError(f"The URL '{url}' has no host name after '{parts.scheme}://'.")
    del port


def validate_header(name: str, value: str) -> None:
    if not _HEADER_NAME_RE.match(name.strip()):
        raise RequestError(f"The header name '{name}' contains characters a header name cannot hold.")
    if "\n" in value or "\r" in value:
        raise RequestError(f"The value of header '{name}' contains a line break.")


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


def parse_header_line(line: str) -> Header:
    """'Name: value' to a Header; RequestError when there is no colon or no name."""
    name, sep, value = line.partition(":")
    if not sep:
        raise RequestError(f"The header line '{line}' has no colon: write it as 'Name: value'.")
    name = name.strip()
    if not name:
        raise RequestError(f"The header line '{line}' has no name before the colon.")
    validate_header(name, value)
    return Header(name, value.strip())


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
