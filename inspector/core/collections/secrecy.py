"""What counts as a secret in a collection file, and finding the literal ones a save must refuse.

Credentials belong in profiles (as references) and secret variable values in environments as references;
a collection file is shared through git, so a literal token, password or key in it is refused on save, the
way a team profile folder refuses one. A value made only of `{{variables}}` and `${references}` is fine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping

from inspector.core.collections.model import SavedRequest
from inspector.core.redact import SECRET_KEYS, is_secret_header, is_secret_param, looks_secret_name
from inspector.core.variables import is_secret_name

JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
PEM_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*(?:PRIVATE KEY|CERTIFICATE)-----")
_PLACEHOLDER_RE = re.compile(r"\{\{[^{}]*\}\}|\$\{[^{}]*\}")
_AUTH_SCHEME_RE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9_.-]*\s+")


def looks_like_secret_value(value: str) -> bool:
    """A value that is a credential whatever its name: a JWT or a PEM key."""
    return bool(JWT_RE.search(value) or PEM_RE.search(value))


def is_secret_variable(name: str, value: str, *, declared: bool = False) -> bool:
    """Whether a variable is secret: the source or its name says so, or its value is a JWT or PEM key."""
    return declared or is_secret_name(name) or looks_like_secret_value(value)


def is_literal(value: str) -> bool:
    """Whether the value holds anything besides {{variables}}, ${references} and spaces."""
    return bool(_PLACEHOLDER_RE.sub("", value).strip())


def literal_secret_value(value: str) -> bool:
    """A non-empty value with literal text in it (a secret unless it is only variables and references)."""
    return bool(value) and is_literal(value)


def cookie_literal(value: str) -> bool:
    """A Cookie header whose values (not its cookie names) hold literal text: 'sid=abc', not 'sid={{sid}}'."""
    for pair in value.split(";"):
        _name, eq, item = pair.partition("=")
        if literal_secret_value(item.strip() if eq else pair.strip()):
            return True
    return False


def _auth_literal(value: str) -> bool:
    """Authorization with a literal credential after its scheme ('Bearer abc', not 'Bearer {{t}}')."""
    rest = value
    for _ in range(3):  # a doubled scheme ('Bearer Bearer {{t}}') is a mistake, not a credential
        if not _AUTH_SCHEME_RE.match(rest):
            break
        rest = _AUTH_SCHEME_RE.sub("", rest, count=1)
        if not re.match(r"(?i)^(?:bearer|basic|digest|token|dpop)\s", rest):
            break
    return literal_secret_value(rest)


def request_literal_secrets(request: SavedRequest) -> list[str]:
    """Where a request holds a literal secret, in words ("header 'Authorization'", ...); empty if none."""
    return list(_request_findings(request))


def _request_findings(request: SavedRequest) -> Iterator[str]:
    if _url_userinfo_password(request.url):
        yield "the password in the URL"
    elif looks_like_secret_value(request.url):
        yield "the URL"
    for h in request.headers:
        if is_secret_header(h.name) and h.name.strip().lower() in ("authorization", "proxy-authorization"):
            if _auth_literal(h.value):
                yield f"header '{h.name}'"
        elif h.name.strip().lower() == "cookie":
            if cookie_literal(h.value) or looks_like_secret_value(h.value):
                yield f"header '{h.name}'"
        elif is_secret_header(h.name) and literal_secret_value(h.value):
            yield f"header '{h.name}'"
        elif looks_like_secret_value(h.value):
            yield f"header '{h.name}'"
    for p in request.params:
        if (is_secret_param(p.name) and literal_secret_value(p.value)) or looks_like_secret_value(p.value):
            yield f"query parameter '{p.name}'"
    body = request.body
    for f in body.fields:
        if f.is_file:
            continue
        if (_secret_key(f.name) and literal_secret_value(f.value)) or looks_like_secret_value(f.value):
            yield f"body field '{f.name}'"
    if body.kind in ("json", "text") and body.text:
        if looks_like_secret_value(body.text):
            yield "the body"
        elif body.kind == "json":
            yield from (f"the body's '{k}'" for k in _json_secret_keys(body.text))
    for name, value in request.vars.items():
        if is_secret_variable(name, value) and literal_secret_value(value):
            yield f"variable '{name}'"


def variables_literal_secrets(variables: Mapping[str, str]) -> list[str]:
    """Variables whose value is a literal secret (by name, JWT or PEM), as "variable 'NAME'"."""
    return [
        f"variable '{name}'"
        for name, value in variables.items()
        if is_secret_variable(name, value) and literal_secret_value(value)
    ]


def _secret_key(name: str) -> bool:
    low = name.strip().lower()
    return low in SECRET_KEYS or is_secret_param(low) or looks_secret_name(low)


def _json_secret_key(name: str) -> bool:
    # narrower than a header or form name: "key" and "code" in a JSON body are ids and error codes
    low = name.strip().lower()
    if low in ("token_type", "token_url", "secret_name"):
        return False
    return low in SECRET_KEYS or low.endswith(("token", "secret", "password", "passwd", "apikey", "api_key"))


def _json_secret_keys(text: str) -> list[str]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return []
    found: list[str] = []
    stack: list[tuple[object, int]] = [(doc, 0)]
    while stack and len(found) < 20:  # bounded: a body is finite and the depth is capped
        value, depth = stack.pop()
        if depth > 32:
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str) and _json_secret_key(str(key)) and literal_secret_value(item):
                    found.append(str(key))
                elif isinstance(item, dict | list):
                    stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return found


def _url_userinfo_password(url: str) -> bool:
    m = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]*)@", url)
    if not m:
        return False
    _user, colon, password = m.group(1).partition(":")
    return bool(colon) and literal_secret_value(password)
