"""The one place that knows what is secret and how to mask it.

Two complementary rules:
- by *name*: header names, query parameter names, cookie values and JSON keys that carry credentials;
- by *value*: a `Redactor` remembers every secret value that was resolved or seen (profile secrets, tokens)
  and scrubs it from any text, wherever it turns up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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
# Headers whose value is a URL: a redirect can carry a token in its query or fragment (OAuth implicit flow).
URL_HEADERS = frozenset({"location", "content-location"})
# Names nobody listed that still say "credential": X-Custom-Key, X-Service-Token, accessToken, page_token, ...
# Matched on the parts of a header or query name (split on anything not a letter or digit).
_SECRET_NAME_ENDINGS = ("token", "secret", "password", "passwd", "apikey", "sessionid")
_SECRET_NAME_PARTS = frozenset({"key", "pwd", "signature", "credential", "credentials", "jwt"})
_NAME_SPLIT_RE = re.compile(r"[^a-z0-9]+")
# auth-params of a scheme like Digest or an HTTP Signature whose values prove knowledge of a secret
_AUTH_PARAM_RE = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^\s,]+)")
_SECRET_AUTH_PARAMS = frozenset({"response", "signature", "sig", "oauth_signature", "token", "cnonce"})


def mask(value: str) -> str:
    """At most the first 6 characters, then '…'. Short values lose everything but the mark."""
    if not value:
        return value
    keep = KEEP if len(value) > 2 * KEEP else 0
    return value[:keep] + MASK


def looks_secret_name(name: str) -> bool:
    """A header or query name that says it carries a credential, though no list names it (X-Custom-Key)."""
    for part in _NAME_SPLIT_RE.split(name.strip().lower()):
        if part in _SECRET_NAME_PARTS or part.endswith(_SECRET_NAME_ENDINGS):
            return True
    return False


def is_secret_header(name: str, extra: Iterable[str] = ()) -> bool:
    low = name.strip().lower()
    return low in SECRET_HEADERS or low in {e.lower() for e in extra} or looks_secret_name(low)


def is_secret_param(name: str, extra: Iterable[str] = ()) -> bool:
    low = name.strip().lower()
    return low in SECRET_PARAMS or low in {e.lower() for e in extra} or looks_secret_name(low)


def mask_header_value(name: str, value: str, extra: Iterable[str] = ()) -> str:
    """Mask a header value when its name carries credentials; keep an Authorization scheme readable."""
    low = name.strip().lower()
    if low in URL_HEADERS:
        return mask_url(value, extra)
    if not is_secret_header(name, extra):
        return value
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
        if low in SECRET_KEYS or low in extra_low:
            return mask(value)
        if low in SECRET_HEADERS or low in URL_HEADERS:
            # a server echoing the request's headers ({"headers": {"Authorization": ...}})
            return mask_header_value(key, value, extra_low)
        return value
    if isinstance(value, list) and low in SECRET_HEADERS and all(isinstance(v, str) for v in value):
        return [mask_header_value(key, v, extra_low) for v in value]
    return mask_json_value(value, extra_low)


# One JSON member whose value is a string ("key": "value", escapes kept): for bodies too deep to parse.
_JSON_STRING_MEMBER_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"')


def _mask_json_members(text: str, extra: Iterable[str] = ()) -> str:
    """Mask secret string members found by pattern, without parsing (which would recurse too deep)."""
    extra_low = {e.lower() for e in extra}

    def one(m: re.Match[str]) -> str:
        value = _mask_json_item(m.group(1), m.group(3), extra_low)
        return m.group(0) if value == m.group(3) else f'"{m.group(1)}"{m.group(2)}"{value}"'

    return _JSON_STRING_MEMBER_RE.sub(one, text)


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

    def values(self) -> tuple[str, ...]:
        """The secret values it knows (to seed another Redactor, e.g. one built on a worker thread)."""
        return tuple(self._secrets)

    def scrub(self, text: str) -> str:
        for s in sorted(self._secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, mask(s))
        return text


@dataclass(frozen=True)
class Secrets:
    """What one send's outputs must mask beyond what names alone reveal: the secret values it saw (the
    profile's resolved secrets, a fetched token) and the extra header/query/JSON names the profile uses."""

    values: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def redactor(self) -> Redactor:
        return Redactor(self.values)

    def scrub(self, text: str) -> str:
        return self.redactor().scrub(text)

    def with_values(self, more: Iterable[str]) -> Secrets:
        return Secrets(tuple(dict.fromkeys((*self.values, *more))), self.names)


NO_SECRETS = Secrets()


# --- Secret values, for seeding a Redactor from what was sent and received ---------------------------------
# The mask_* functions above hide secrets where their *name* says so; these return the *values* themselves so a
# Redactor can also scrub them wherever else they turn up (a body echoing the token, a report, a history row).


# Values found by name are scrubbed everywhere else by value; a short cookie ("theme=dark", "consent=true") or a
# JSON "code" (almost always an error code such as "invalid_token") would then blank out ordinary words.
VALUE_SCRUB_MIN = 8
_AMBIGUOUS_JSON_KEYS = frozenset({"code", "key"})


def header_secret_values(name: str, value: str, extra: Iterable[str] = ()) -> list[str]:
    """The secret values inside one header line (empty when the header name carries no credential)."""
    low = name.strip().lower()
    if low in URL_HEADERS:
        return url_secret_values(value.strip(), extra)
    if not is_secret_header(name, extra) or not value.strip():
        return []
    if low in ("authorization", "proxy-authorization"):
        m = _AUTH_SCHEME_RE.match(value)
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
    user, sep, password = pair.partition(":")
    if sep and password:
        return [pair, password]
    # "key:" with an empty password is how many APIs take a key as Basic (Stripe, Mailgun, ...)
    return [pair, user] if sep and len(user) >= VALUE_SCRUB_MIN else []


def _auth_param_secret_values(credential: str) -> list[str]:
    """The values of auth-params that prove a secret: Digest's response, an HTTP Signature's signature."""
    found = []
    for m in _AUTH_PARAM_RE.finditer(credential):
        if m.group(1).lower() in _SECRET_AUTH_PARAMS:
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
        found.extend(v for k, v in parse_qsl(query, keep_blank_values=True) if v and is_secret_param(k, extra))
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
            for m in _JSON_STRING_MEMBER_RE.finditer(text):
                low = m.group(1).lower()
                if ((low in SECRET_KEYS and low not in _AMBIGUOUS_JSON_KEYS) or low in extra_low) \
                        and len(m.group(3)) >= VALUE_SCRUB_MIN:
                    found.append(m.group(3))
            return found
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
            elif isinstance(v, str) and (low in SECRET_HEADERS or low in URL_HEADERS):
                out.extend(s for s in header_secret_values(k, v, extra_low) if len(s) >= VALUE_SCRUB_MIN)
            else:
                _collect_json_secrets(v, extra_low, out, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            _collect_json_secrets(v, extra_low, out, depth + 1)


def scrub_tree(obj: object, scrub: Callable[[str], str]) -> object:
    """A copy of a JSON-like value with `scrub` applied to every string value (never to keys or structure).

    Scrubbing serialized JSON as text would let a secret that happens to read like JSON ("null", a field
    name, a quote) rewrite the document itself.
    """
    if isinstance(obj, str):
        return scrub(obj)
    if isinstance(obj, Mapping):
        return {k: scrub_tree(v, scrub) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_tree(v, scrub) for v in obj]
    return obj


def jsonable_tree(obj: object) -> object:
    """The value as json.dumps(default=str) would see it: anything not JSON becomes its str()."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): jsonable_tree(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable_tree(v) for v in obj]
    return str(obj)
