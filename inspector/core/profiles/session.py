"""Session and cookie profiles: a login form's session cookie (or token), or one cookie copied from a browser.

Both keep their cookies in the profile's jar for the run (TokenCache.jar): the transport sends what the jar
allows on each hop (RFC 6265) and records what was sent, held back and set. A session profile logs in first
(hops with role "login"), and again when its session cookie has expired or the server refused the session.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from inspector.core.cookies import StoredCookie
from inspector.core.exchange import Hop
from inspector.core.profiles.base import BaseProfileAuth, Clock, TokenCache, _jwt_exp, _nonempty
from inspector.core.profiles.flows import SignInHooks, SignInProgress, SignInSteps
from inspector.core.profiles.model import Profile, looks_secret_field
from inspector.core.redact import Redactor, mask_url

MAX_LOGIN_REDIRECTS = 10
MAX_PAGE_BYTES = 1024 * 1024  # of a login page, read for its hidden field and password input
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
_VALUE_SCRUB_MIN = 8  # shorter cookie values ("dark", "1") would mask ordinary words everywhere


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


class _Inputs(HTMLParser):
    """The <input> tags of a page: their attributes, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag.lower() == "input" and len(self.inputs) < 1000:
            self.inputs.append({k.lower(): v or "" for k, v in attrs})


def page_inputs(body: bytes) -> list[dict[str, str]]:
    """The input fields of an HTML page (at most its first MiB)."""
    parser = _Inputs()
    try:
        parser.feed(body[:MAX_PAGE_BYTES].decode("utf-8", "replace"))
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup: keep what it read
        pass
    return parser.inputs


def hidden_field(body: bytes, name: str) -> str | None:
    """The value of the form field called name (a CSRF token such as csrfmiddlewaretoken)."""
    for attrs in page_inputs(body):
        if attrs.get("name") == name and attrs.get("value"):
            return attrs["value"]
    return None


def has_password_field(body: bytes) -> bool:
    """Whether a page shows a password input: the login form, shown again."""
    return any(attrs.get("type", "").lower() == "password" for attrs in page_inputs(body))


def json_pointer(doc: Any, pointer: str) -> Any:
    """RFC 6901: the value at pointer ("/access_token", "/data/token"), or None when there is none."""
    if pointer == "":
        return doc
    if not pointer.startswith("/"):
        return None
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, dict):
            doc = doc.get(part)
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return None
    return doc


class CookieJarProfileAuth(BaseProfileAuth):
    """What session and cookie profiles share: the profile's jar for the run, its values kept secret."""

    def __init__(self, profile: Profile, cache: TokenCache, clock: Clock) -> None:
        super().__init__(profile)
        self.cache = cache
        self.clock = clock
        self.jar = cache.jar(profile.identity)

    def cookie_jar(self, role: str) -> Any:
        return self.jar

    def added_names(self) -> tuple[str, ...]:
        return ("Cookie",)

    def secret_values(self) -> tuple[str, ...]:
        return tuple(v for v in self.jar.values() if len(v) >= _VALUE_SCRUB_MIN)


class CookieProfileAuth(CookieJarProfileAuth):
    """One cookie copied from a browser; `domain` and `path` act like the cookie's attributes."""

    def __init__(self, profile: Profile, settings: Mapping[str, str], cache: TokenCache,
                 clock: Clock) -> None:
        super().__init__(profile, cache, clock)
        self.name = settings["name"]
        self.value = settings["value"]
        self.domain = (settings.get("domain") or "").lstrip(".").lower() or None
        self.path = settings.get("path") or "/"
        self.secure = profile.credentials.get("secure") is True

    def sign_in(self, steps: SignInSteps) -> str | None:
        """Put the cookie in the jar (for the request's host when no domain is given)."""
        host = (urlsplit(steps.url).hostname or "").lower()
        domain = self.domain or host
        now = steps.now()
        sent, held = self.jar.cookies_for(steps.url, now)
        if any(c.name == self.name and c.value for c in sent):
            return None  # the server may have refreshed it: its newer value wins
        if any(h.name == self.name and h.reason != "expired" for h in held):
            return None  # it is there, for reasons the explainer will tell
        self.jar.add(StoredCookie(self.name, self.value, domain, self.path, host_only=self.domain is None,
                                  secure=self.secure, created=now))
        return None

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(self.value, *super().secret_values())


class SessionProfileAuth(CookieJarProfileAuth):
    """Logs in with a form or JSON body (hops with role "login"), then sends the session's cookies, the CSRF
    header on unsafe methods, or with `token_from` the token from the login answer as a Bearer token."""

    def __init__(self, profile: Profile, settings: Mapping[str, str], fields: Mapping[str, str],
                 cache: TokenCache, clock: Clock, hooks: SignInHooks) -> None:
        super().__init__(profile, cache, clock)
        self.login_url = settings["login_url"]
        self.method = (settings.get("method") or "POST").upper()
        self.as_json = "json" in profile.credentials
        self.fields = dict(fields)
        self.token_from = settings.get("token_from")
        self.csrf_cookie = settings.get("csrf_cookie")
        self.csrf_header = settings.get("csrf_header")
        self.csrf_field = settings.get("csrf_field")
        self.session_cookie = settings.get("session_cookie")
        self.prefetch = profile.credentials.get("prefetch") is True or bool(self.csrf_field)
        self.hooks = hooks
        self.state = cache.session_state(profile.identity)
        self._csrf_value: str | None = None
        # secrets: the fields named like one, and every value that came from a reference, whatever its name
        raw = profile.credentials.get(self._table)
        written = raw if isinstance(raw, Mapping) else {}
        self._secrets = [v for k, v in fields.items()
                         if looks_secret_field(k) or str(written.get(k, "")).startswith("${")]

    @property
    def _table(self) -> str:
        return "json" if self.as_json else "form"

    # --- the state of the session for this run ------------------------------------------------------------

    @property
    def token(self) -> str | None:
        token = self.state.get("token")
        return token if isinstance(token, str) else None

    def _session_names(self) -> set[str]:
        if self.session_cookie:
            return {self.session_cookie}
        names = self.state.get("cookies")
        return set(names) if isinstance(names, (set, frozenset, list, tuple)) else set()

    def signed_in(self, now: datetime) -> bool:
        """Whether this run holds a live session: its token, or a session cookie that has not expired."""
        if self.state.get("stale"):
            return False
        if self.token_from:
            exp = _jwt_exp(self.token) if self.token else None
            return self.token is not None and (exp is None or exp > now.timestamp() + 5)
        names = self._session_names()
        return bool(names) and self.jar.live(names, now)

    def forget_session(self) -> None:
        """The server refused the session: the next send logs in again."""
        self.state["stale"] = True

    # --- ProfileAuth --------------------------------------------------------------------------------------

    def cookie_jar(self, role: str) -> Any:
        if self.token_from and role == "request":
            return None  # the token stands in for the cookies
        return self.jar

    def added_names(self) -> tuple[str, ...]:
        names = ["Authorization"] if self.token_from else ["Cookie"]
        if self.csrf_header:
            names.append(self.csrf_header)
        return tuple(names)

    def sign_in(self, steps: SignInSteps) -> str | None:
        if self.signed_in(steps.now()):
            return None
        return self._login(steps)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        url = r.url or ""
        if urlsplit(url).path == urlsplit(self.login_url).path and _origin(url) == _origin(self.login_url):
            self.forget_session()  # the request was sent to the login page: the session is gone
        if self.token_from and self.token:
            r.headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf_cookie and self.csrf_header and (r.method or "GET").upper() not in SAFE_METHODS:
            value = self.jar.value(self.csrf_cookie, url, self.clock())
            if value:
                r.headers[self.csrf_header] = value
        return r

    def retry_after_challenge(self, prepared: requests.PreparedRequest, response: Any) -> None:
        if response.status == 401:
            self.forget_session()  # not retried now: the explainer says why, the next send logs in again
        return None

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(*self._secrets, self.token, self._csrf_value, *super().secret_values())

    # --- the login ----------------------------------------------------------------------------------------

    def _login(self, steps: SignInSteps) -> str | None:
        url = self.login_url
        shown = mask_url(url)
        self.hooks.progress(SignInProgress(self.profile_name, "login",
                                           f"Signing in at {shown} for the profile '{self.profile_name}'."))
        self.state.pop("stale", None)
        fields = dict(self.fields)
        if self.prefetch:
            page = self._follow(steps, steps.send(requests.Request("GET", url, headers={
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}), "login"))
            status = page.status or 0
            if status >= 400:
                return (f"The login page {mask_url(page.url)} answered {status} {self._reason(page)} before "
                        f"the login was sent: check login_url of the profile '{self.profile_name}'.")
            if self.csrf_field:
                token = hidden_field(page.response.body if page.response else b"", self.csrf_field)
                if token is None:
                    return (f"The login page {mask_url(page.url)} has no field '{self.csrf_field}' to copy "
                            f"into the login (csrf_field of the profile '{self.profile_name}'): the login "
                            "form moved or changed.")
                self._csrf_value = token
                fields[self.csrf_field] = token
        headers = {"Accept": "application/json, text/html;q=0.9, */*;q=0.8", "Referer": url,
                   "Origin": "{}://{}".format(*urlsplit(url)[:2])}
        if self.csrf_cookie and self.csrf_header:
            value = self.jar.value(self.csrf_cookie, url, steps.now())
            if value:
                headers[self.csrf_header] = value
        if self.method == "GET":
            request = requests.Request("GET", url, params=fields, headers=headers)
        elif self.as_json:
            request = requests.Request(self.method, url, json=fields, headers=headers)
        else:
            request = requests.Request(self.method, url, data=fields, headers=headers)
        answer = steps.send(request, "login")
        final = self._follow(steps, answer)
        return self._judge(answer, final, steps.now())

    def _follow(self, steps: SignInSteps, hop: Hop) -> Hop:
        """Follow a login's redirects on the login's own origin, with the jar."""
        for _ in range(MAX_LOGIN_REDIRECTS):
            response = hop.response
            if response is None or not response.is_redirect:
                return hop
            target = urljoin(hop.url, (response.header("Location") or "").strip())
            if _origin(target) != _origin(self.login_url) or urlsplit(target).scheme not in ("http", "https"):
                return hop  # another origin (an identity provider): not followed with the session's cookies
            follow = requests.Request("GET", target, headers={"Accept": "text/html,*/*;q=0.8"})
            hop = steps.send(follow, "login")
        return hop

    @staticmethod
    def _reason(hop: Hop) -> str:
        return hop.response.reason if hop.response else ""

    def _judge(self, answer: Hop, final: Hop, now: datetime) -> str | None:
        """Whether the login worked (spec: a refused login is 4xx/5xx, or the form shown again with no new
        session cookie and no token); a sentence for login-failed when it did not."""
        hops = [answer] if answer is final else [answer, final]
        new = {n.name for h in hops for n in h.cookies_set if not n.removed and not n.rejected}
        token: str | None = None
        if self.token_from:
            for hop in (final, answer):
                body = hop.response.body if hop.response else b""
                try:
                    found = json_pointer(json.loads(body.decode("utf-8")), self.token_from[len("json:"):])
                except (UnicodeDecodeError, ValueError):
                    continue
                if isinstance(found, str) and found:
                    token = found
                    break
        status = final.status or 0
        shown = mask_url(final.url)
        who = f"the profile '{self.profile_name}'"
        if status >= 400:
            said = self._said(final)
            return (f"The login at {shown} was refused with {status} {self._reason(final)}{said}: check the "
                    f"username and password of {who} (or whether the account is locked).")
        body = final.response.body if final.response else b""
        if status == 200 and has_password_field(body) and not new and not token:
            return (f"The login at {shown} answered with the login form again and set no session cookie: the "
                    f"username or password of {who} was not accepted, or the form wants other fields.")
        if self.token_from and not token:
            return (f"The login at {shown} answered {status} but its answer has no token at "
                    f"'{self.token_from}' (token_from of {who}).")
        if final.response is not None and final.response.is_redirect:
            return (f"The login at {shown} redirected to another site ({mask_url(final.location or '')}), "
                    f"which this profile does not follow: use an OAuth profile for a single sign-on.")
        self.state["token"] = token
        self.state["cookies"] = new or self._session_names()
        self.state["logged_in_at"] = now
        if not new and not token and not self.jar.names():
            return (f"The login at {shown} answered {status} but set no cookie and gave no token, so there "
                    f"is no session to send: check login_url and the fields of {who}.")
        return None

    def _said(self, hop: Hop) -> str:
        """The error message in a refused login's answer, when it has one (secrets scrubbed)."""
        if hop.response is None:
            return ""
        try:
            doc = json.loads(hop.response.body[:4096].decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return ""
        if isinstance(doc, dict):
            for key in ("error_description", "message", "detail", "error"):
                if isinstance(doc.get(key), str):
                    return f" ({Redactor(self.secret_values()).scrub(doc[key][:200])})"
        return ""
