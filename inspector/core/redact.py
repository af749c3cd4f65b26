"""The one place that knows what is secret and how to mask it.

Two complementary rules:
- by *name*: header names, query parameter names, cookie values and JSON keys that carry credentials;
- by *value*: a `Redactor` remembers every secret value that was resolved or seen (profile secrets, tokens)
  and scrubs it from any text, wherever it turns up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

MASK = "…"
KEEP = 6  # a masked value keeps at most its first 6 characters

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-amz-security-token",
        "x-csrf-token",
        "x-xsrf-token",
        "private-token",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
        "dpop",
    }
)
SECRET_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "key",
        "access_token",
        "id_token",
        "refresh_token",
        "token",
        "auth",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-security-token",
        "x-amz-credential",
        "client_secret",
        "password",
        "passwd",
        "secret",
        "code",
        "assertion",
        "client_assertion",
        "subject_token",
    }
)
# JSON / form keys inside bodies (a token endpoint's answer, a login form)
# "code" and "key" are error codes and map keys far more often than secrets inside a JSON body.
SECRET_KEYS = (SECRET_PARAMS - {"code", "key", "auth"}) | frozenset(
    {"pass", "private_key", "session", "sessionid", "jwt", "bearer"}
)
_AUTH_SCHEME_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(\s+)(.*)$", re.DOTALL)


def mask(value: str) -> str:
    """At most the first 6 characters, then '…'. Short values lose everything but the mark."""
    if not value:
        return value
    keep = KEEP if len(value) > 2 * KEEP else 0
    return value[:keep] + MASK


def is_secret_header(name: str, extra: Iterable[str] = ()) -> bool:
    low = name.strip().lower()
    return low in SECRET_HEADERS or low in {e.lower() for e in extra}


def is_secret_param(name: str, extra: Iterable[str] = ()) -> bool:
    low = name.strip().lower()
    return low in SECRET_PARAMS or low in {e.lower() for e in extra}


def mask_header_value(name: str, value: str, extra: Iterable[str] = ()) -> str:
    """Mask a header value when its name carries credentials; keep an Authorization scheme readable."""
    if not is_secret_header(name, extra):
        return value
    low = name.strip().lower()
    if low in ("authorization", "proxy-authorization"):
        m = _AUTH_SCHEME_RE.match(value)
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
        netloc = f"{user}:{MASK}@{hostport}" if sep else netloc
    query = parts.query
    if query:
        extra = tuple(extra)
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_param(k, extra) for k, _ in pairs):
            masked = [(k, mask(v) if is_secret_param(k, extra) else v) for k, v in pairs]
            # the mask mark stays readable in the URL rather than percent-encoded
            query = urlencode(masked, quote_via=quote, safe="/:@!$'()*,;").replace(quote(MASK), MASK)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_json_value(obj: object, extra: Iterable[str] = ()) -> object:
    """A copy of a parsed JSON value with secret keys' string values masked."""
    extra_low = {e.lower() for e in extra}
    if isinstance(obj, dict):
        return {
            k: (
                mask(v)
                if isinstance(v, str) and (k.lower() in SECRET_KEYS or k.lower() in extra_low)
                else mask_json_value(v, extra_low)
            )
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [mask_json_value(v, extra_low) for v in obj]
    return obj


def mask_body_text(text: str, content_type: str | None = None, extra: Iterable[str] = ()) -> str:
    """Mask secret fields of a JSON or form body; other text is returned as is (see Redactor.scrub)."""
    ctype = (content_type or "").lower()
    stripped = text.lstrip()
    if "json" in ctype or stripped.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if parsed is not None:
            masked = mask_json_value(parsed, extra)
            if masked != parsed:
                return json.dumps(masked, indent=2, ensure_ascii=False)
            return text
    if "x-www-form-urlencoded" in ctype:
        pairs = parse_qsl(text, keep_blank_values=True)
        if any(is_secret_param(k, extra) for k, _ in pairs):
            return urlencode([(k, mask(v) if is_secret_param(k, extra) else v) for k, v in pairs])
    return text


class Redactor:
    """Remembers secret values and scrubs them from any text. Thread-safe enough: add() only grows a set."""

    MIN_LEN = 4  # shorter values would mask ordinary words

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= self.MIN_LEN:
            self._secrets.add(secret)
            quoted = quote(secret, safe="")
            if quoted != secret:
                self._secrets.add(quoted)

    def __contains__(self, text: str) -> bool:
        return any(s in text for s in self._secrets)

    def scrub(self, text: str) -> str:
        for s in sorted(self._secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, mask(s))
        return text


# --- Secret values, for seeding a Redactor from what was sent and received ---------------------------------
# The mask_* functions above hide secrets where their *name* says so; these return the *values* themselves so a
# Redactor can also scrub them wherever else they turn up (a body echoing the token, a report, a history row).


# Values found by name are scrubbed everywhere else by value; a short cookie ("theme=dark", "consent=true") or a
# JSON "code" (almost always an error code such as "invalid_token") would then blank out ordinary words.
VALUE_SCRUB_MIN = 8
_AMBIGUOUS_JSON_KEYS = frozenset({"code", "key"})


def header_secret_values(name: str, value: str, extra: Iterable[str] = ()) -> list[str]:
    """The secret values inside one header line (empty when the header name carries no credential)."""
    if not is_secret_header(name, extra) or not value.strip():
        return []
    low = name.strip().lower()
    if low in ("authorization", "proxy-authorization"):
        m = _AUTH_SCHEME_RE.match(value)
        if not (m and m.group(3).strip()):
            return [value.strip()]
        credential = m.group(3).strip()
        found = [credential]
        if m.group(1).lower() == "basic":
            found.extend(_basic_secret_values(credential))
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
    import base64
    import binascii

    try:
        decoded = base64.b64decode(credential, validate=True)
    except (binascii.Error, ValueError):
        return []
    try:
        pair = decoded.decode("utf-8")
    except UnicodeDecodeError:
        pair = decoded.decode("latin-1")  # what some clients send when the server does not ask for UTF-8
    _user, sep, password = pair.partition(":")
    return [pair, password] if sep and password else []


def url_secret_values(url: str, extra: Iterable[str] = ()) -> list[str]:
    """Secret query parameter values and the user-info password of a URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = []
    if parts.password:
        found.append(parts.password)
    extra = tuple(extra)
    found.extend(v for k, v in parse_qsl(parts.query, keep_blank_values=True) if v and is_secret_param(k, extra))
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
        if parsed is not None:
            _collect_json_secrets(parsed, extra_low, found, depth=0)
            return found
    if "x-www-form-urlencoded" in ctype or ("=" in text and "\n" not in text.strip() and " " not in text.strip()):
        found.extend(v for k, v in parse_qsl(text, keep_blank_values=True) if v and is_secret_param(k, extra))
    return found


def _collect_json_secrets(obj: object, extra_low: set[str], out: list[str], depth: int) -> None:
    if depth > 64:  # bounded: a hostile body cannot make this recurse forever
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            low = k.lower()
            if isinstance(v, str) and ((low in SECRET_KEYS and low not in _AMBIGUOUS_JSON_KEYS) or low in extra_low):
                if len(v) >= VALUE_SCRUB_MIN:
                    out.append(v)
            else:
                _collect_json_secrets(v, extra_low, out, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            _collect_json_secrets(v, extra_low, out, depth + 1)
