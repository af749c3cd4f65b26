"""A profile's cookie jar for one run, with the RFC 6265 rules browsers apply, and why a cookie stays home.

The jar is memory only. `store` reads a response's Set-Cookie lines and says what it kept (CookieNote);
`cookies_for` says which cookies go on a request and which cookies of the same site are held back and why
(HeldCookie: Secure over http, Domain or Path not matching, expired). Loopback hosts (127.0.0.0/8, ::1,
localhost) count as secure, as browsers treat them.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from inspector.core.exchange import CookieNote, HeldCookie

MAX_COOKIES = 300  # per jar: a hostile server cannot fill memory
MAX_AGE_S = 400 * 24 * 3600  # RFC 6265bis caps an expiry at 400 days
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StoredCookie:
    name: str
    value: str
    domain: str  # lower-case host (host_only) or the domain it covers
    path: str
    host_only: bool = True
    secure: bool = False
    http_only: bool = False
    expires: datetime | None = None  # None: a session cookie
    same_site: str | None = None
    created: datetime = EPOCH

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and self.expires <= now

    def note(self, *, removed: bool = False, rejected: str | None = None) -> CookieNote:
        return CookieNote(self.name, self.domain, self.path, self.secure, self.http_only, self.host_only,
                          self.expires, self.same_site, removed, rejected)


_LOOPBACK_NAMES = ("localhost", "localhost.", "ip6-localhost")


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1, localhost (and its spellings) and *.localhost: this machine, which a browser treats as
    a secure context and over which plain http leaks nothing. The one test the app and the demo use."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_ip(host: str) -> bool:
    """An IP address (v6 with or without its brackets), not a name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def domain_match(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3: the host is the domain, or a name under it (never for an IP address)."""
    return host == domain or (not is_ip(host) and host.endswith("." + domain))


def path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def default_path(request_path: str) -> str:
    """RFC 6265 §5.1.4: the request path up to its last '/', or '/'."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rfind("/")]


def _site(host: str) -> str:
    """A rough 'site' of a host for "held for this site": its last two labels (the whole host for an IP)."""
    if is_ip(host) or "." not in host:
        return host
    return ".".join(host.split(".")[-2:])


def _parse_expires(text: str) -> datetime | None:
    from email.utils import parsedate_to_datetime  # email imports socket and calendar: not at start-up

    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_set_cookie(line: str, url: str, now: datetime) -> StoredCookie | str | None:
    """One Set-Cookie line for a response from url: the cookie, a sentence saying why it is refused, or None
    for a line that is not a cookie at all (RFC 6265 §5.2 ignores it)."""
    pair, _, attrs = line.partition(";")
    if "=" not in pair:
        return None
    name, _, value = pair.partition("=")
    name, value = name.strip(), value.strip()
    if not name:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    secure_origin = parts.scheme.lower() == "https" or is_loopback(host)
    expires: datetime | None = None
    max_age: datetime | None = None
    domain = ""
    path = ""
    secure = http_only = False
    same_site: str | None = None
    for attr in attrs.split(";"):
        key, _, val = attr.partition("=")
        key, val = key.strip().lower(), val.strip()
        if key == "expires":
            expires = _parse_expires(val) or expires
        elif key == "max-age":
            if val[:1].isdigit() or (val[:1] == "-" and val[1:2].isdigit()):
                try:
                    seconds = int(val)
                except ValueError:
                    continue
                max_age = EPOCH if seconds <= 0 else now + timedelta(seconds=min(seconds, MAX_AGE_S))
        elif key == "domain" and val:
            domain = val.lstrip(".").lower()
        elif key == "path":
            path = val if val.startswith("/") else ""
        elif key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "samesite":
            same_site = val or None
    expiry = max_age if max_age is not None else expires
    if expiry is not None and expiry > now + timedelta(seconds=MAX_AGE_S):
        expiry = now + timedelta(seconds=MAX_AGE_S)
    host_only = not domain
    if domain:
        if not domain_match(host, domain):
            return f"its Domain attribute '{domain}' does not cover the host '{host}' that set it"
    else:
        domain = host
    if secure and not secure_origin:
        return f"it is a Secure cookie set over plain http by '{host}'"
    if name.startswith("__Secure-") and not secure:
        return "its name starts with __Secure- but it is not marked Secure"
    if name.startswith("__Host-") and (not secure or not host_only or (path or "/") != "/"):
        return "its name starts with __Host- but it is not Secure, host-only, with Path=/"
    return StoredCookie(name, value, domain, path or default_path(parts.path or "/"), host_only, secure,
                        http_only, expiry, same_site, now)


class CookieJar:
    """The cookies of one profile for one run. Thread-safe; nothing is written anywhere."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], StoredCookie] = {}
        self._lock = threading.Lock()

    def add(self, cookie: StoredCookie) -> None:
        with self._lock:
            self._put(cookie)

    def _put(self, cookie: StoredCookie) -> None:
        key = (cookie.domain, cookie.path, cookie.name)
        old = self._cookies.get(key)
        if old is not None:  # RFC 6265 §5.3 step 11: the creation time of the old cookie is kept
            cookie = replace(cookie, created=old.created)
        elif len(self._cookies) >= MAX_COOKIES:
            oldest = min(self._cookies, key=lambda k: self._cookies[k].created)
            del self._cookies[oldest]
        self._cookies[key] = cookie

    def store(self, url: str, header_lines: Iterable[tuple[str, str]],
              now: datetime) -> tuple[CookieNote, ...]:
        """Keep the cookies a response from url set; one note per Set-Cookie line that names a cookie."""
        notes: list[CookieNote] = []
        for header, line in header_lines:
            if header.lower() != "set-cookie":
                continue
            parsed = parse_set_cookie(line, url, now)
            if parsed is None:
                continue
            if isinstance(parsed, str):
                name = line.partition("=")[0].strip()
                host = (urlsplit(url).hostname or "").lower()
                notes.append(CookieNote(name, host, "/", rejected=parsed))
                continue
            with self._lock:
                if parsed.expired(now):
                    self._cookies.pop((parsed.domain, parsed.path, parsed.name), None)
                    notes.append(parsed.note(removed=True))
                    continue
                self._put(parsed)
            notes.append(parsed.note())
        return tuple(notes)

    def cookies_for(self, url: str, now: datetime) -> tuple[list[StoredCookie], list[HeldCookie]]:
        """The cookies that go on a request to url (RFC 6265 §5.4 order), and the site's cookies held back."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        secure_channel = parts.scheme.lower() == "https" or is_loopback(host)
        sent: list[StoredCookie] = []
        held: list[HeldCookie] = []
        with self._lock:
            cookies = list(self._cookies.values())
        for c in cookies:
            domain_ok = host == c.domain if c.host_only else domain_match(host, c.domain)
            if not domain_ok and _site(host) != _site(c.domain):
                continue  # another site's cookie: not "held back", simply not this site's
            if c.expired(now):
                assert c.expires is not None
                held.append(HeldCookie(c.name, c.domain, c.path, "expired",
                                       f"The cookie {c.name} expired at {_iso(c.expires)}, before this "
                                       "request."))
            elif not domain_ok:
                cover = (f"only the host {c.domain}" if c.host_only
                         else f"{c.domain} and the names under it")
                held.append(HeldCookie(c.name, c.domain, c.path, "domain",
                                       f"The cookie {c.name} is for {cover}, and this request went to "
                                       f"{host}."))
            elif not path_match(path, c.path):
                held.append(HeldCookie(c.name, c.domain, c.path, "path",
                                       f"The cookie {c.name} is for the path {c.path}, and {path} is not "
                                       "under it."))
            elif c.secure and not secure_channel:
                held.append(HeldCookie(c.name, c.domain, c.path, "secure",
                                       f"The cookie {c.name} is Secure, and this request went over plain "
                                       f"http to {host}: browsers send it only over https."))
            else:
                sent.append(c)
        sent.sort(key=lambda c: (-len(c.path), c.created))
        return sent, held

    def header_for(self, url: str,
                   now: datetime) -> tuple[str | None, tuple[str, ...], tuple[HeldCookie, ...]]:
        """The Cookie header value for a request to url (None: no cookie), the names sent, those held back."""
        sent, held = self.cookies_for(url, now)
        header = "; ".join(f"{c.name}={c.value}" for c in sent) or None
        return header, tuple(c.name for c in sent), tuple(held)

    def value(self, name: str, url: str, now: datetime) -> str | None:
        """The value of the cookie called name that a request to url would carry."""
        sent, _held = self.cookies_for(url, now)
        return next((c.value for c in sent if c.name == name), None)

    def live(self, names: Iterable[str], now: datetime) -> bool:
        """Whether any cookie of these names is in the jar and not expired."""
        wanted = set(names)
        with self._lock:
            return any(c.name in wanted and not c.expired(now) for c in self._cookies.values())

    def names(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted({c.name for c in self._cookies.values()}))

    def values(self) -> tuple[str, ...]:
        """Every cookie value: secrets for the Redactor."""
        with self._lock:
            return tuple(c.value for c in self._cookies.values() if c.value)

    def clear(self) -> None:
        with self._lock:
            self._cookies.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cookies)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
