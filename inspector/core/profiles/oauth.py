"""The OAuth kinds a person signs in to during the send: the browser flow (authorization code with PKCE) and
the device flow (RFC 8628). Both run in `sign_in(steps)`; every request is a hop ("discovery", "authorize",
"token"), the time the person needs does not count against the send's deadline, and the wait ends at the
hooks' timeout (120 s unless said), at a cancel, or when the provider says no.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from inspector.core.errors import TransportError
from inspector.core.exchange import Hop, Response
from inspector.core.profiles.base import Clock, OAuth2ProfileAuth, TokenCache, _nonempty
from inspector.core.profiles.flows import (
    CallbackServer,
    SignInHooks,
    SignInProgress,
    SignInSteps,
    open_in_background,
)
from inspector.core.profiles.model import Profile
from inspector.core.profiles.secrets import SecretStore
from inspector.core.redact import Redactor, mask, mask_url

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL_S = 5
SLOW_DOWN_S = 5  # RFC 8628 §3.5: each slow_down adds 5 seconds to the interval
MAX_POLLS = 10_000


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier (RFC 7636 §4.1, 86 characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def with_params(url: str, params: Mapping[str, str]) -> str:
    """The URL with these query parameters after the ones it has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _json(hop: Hop) -> dict[str, Any]:
    if hop.response is None:
        return {}
    try:
        doc = json.loads(hop.response.body[:256 * 1024].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _error_words(doc: Mapping[str, Any]) -> str:
    error = doc.get("error")
    if not isinstance(error, str) or not error:
        return ""
    described = doc.get("error_description")
    return f"{error} ({described})" if isinstance(described, str) and described else error


class _InteractiveOAuth(OAuth2ProfileAuth):
    """What both interactive flows share: discovery, the cached token, the hooks, the token hop."""

    def __init__(self, profile: Profile, settings: Mapping[str, str], cache: TokenCache, clock: Clock,
                 hooks: SignInHooks) -> None:
        super().__init__(profile, settings, cache, clock)
        self.hooks = hooks
        self._flow_secrets: list[str] = []  # the code, the verifier, the device code

    def token_request(self) -> None:
        return None  # the flow fetches its token itself, in sign_in

    def _cached(self, steps: SignInSteps) -> bool:
        cached = self.cache.get(self.cache_key, steps.now())
        if cached is not None:
            self._token = cached.access_token
            return True
        return False

    def _token_hop(self, steps: SignInSteps, data: dict[str, str]) -> str | None:
        hop = steps.send(self.client_request(self.token_url, data), "token")
        return self.accept_token_response(hop, steps.now())

    def _scrub(self, text: str) -> str:
        return Redactor(self.secret_values()).scrub(text)

    def secret_values(self) -> tuple[str, ...]:
        return _nonempty(*self._flow_secrets, *super().secret_values())


class AuthorizationCodeProfileAuth(_InteractiveOAuth):
    """The browser flow: PKCE (S256) and state always, the system browser, a loopback redirect on 127.0.0.1.

    A refresh token from an earlier sign-in (in memory, or in the keyring with `remember = true`) is tried
    first; only when it is refused does the browser open.
    """

    grant_type = "authorization_code"
    endpoint_fields = ("authorization_url", "token_url")

    def __init__(self, profile: Profile, settings: Mapping[str, str], cache: TokenCache, clock: Clock,
                 hooks: SignInHooks, extra_params: Mapping[str, str],
                 store: SecretStore | None = None) -> None:
        super().__init__(profile, settings, cache, clock, hooks)
        self.extra_params = dict(extra_params)
        port = profile.credentials.get("redirect_port", 0)
        self.redirect_port = port if isinstance(port, int) and not isinstance(port, bool) else 0
        self.remember = profile.credentials.get("remember") is True
        self.store = store
        self.remember_key = f"refresh-token:{profile.identity}"

    # --- the refresh token kept between sign-ins ----------------------------------------------------------

    def _kept_refresh_token(self) -> str | None:
        kept = self.cache.refresh_token(self.cache_key)
        if kept or not (self.remember and self.store is not None):
            return kept
        try:
            return self.store.get(self.remember_key)
        except Exception:
            return None

    def _keep_refresh_token(self) -> None:
        token = self.cache.refresh_token(self.cache_key)
        if token and self.remember and self.store is not None:
            try:
                self.store.set(self.remember_key, token)  # the keyring: never a file of ours
            except Exception:
                pass

    def _drop_refresh_token(self) -> None:
        self.cache.forget(self.profile_identity)
        if self.remember and self.store is not None:
            try:
                self.store.delete(self.remember_key)
            except Exception:
                pass

    # --- the flow -----------------------------------------------------------------------------------------

    def sign_in(self, steps: SignInSteps) -> str | None:
        problem = self._discover(steps)
        if problem or self._cached(steps):
            return problem
        refresh = self._kept_refresh_token()
        if refresh:
            self._refresh_token_used = refresh
            if self._token_hop(steps, {"grant_type": "refresh_token", "refresh_token": refresh}) is None:
                self._keep_refresh_token()
                return None
            self._drop_refresh_token()  # spent or revoked: sign in again in the browser
        return self._browser(steps)

    def _browser(self, steps: SignInSteps) -> str | None:
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        self._flow_secrets += [verifier, state]
        try:
            server = CallbackServer(self.redirect_port)
        except OSError as exc:
            raise TransportError(
                "other",
                f"The browser sign-in of the profile '{self.profile_name}' cannot listen on 127.0.0.1:"
                f"{self.redirect_port} for the redirect ({exc.strerror or exc}): free that port, or set "
                "redirect_port = 0 (any free port) if the provider allows any loopback port.",
            ) from None
        with server:
            params = {"response_type": "code", "client_id": self.settings["client_id"],
                      "redirect_uri": server.redirect_uri, "state": state, "code_challenge": challenge,
                      "code_challenge_method": "S256"}
            for name in ("scope", "audience"):
                if self.settings.get(name):
                    params[name] = self.settings[name]
            params.update(self.extra_params)
            url = with_params(self.settings["authorization_url"], params)
            shown = with_params(self.settings["authorization_url"], {**params, "state": mask(state)})
            limit = max(self.hooks.timeout_s, 0.0)
            sent_at = steps.now()
            self.hooks.progress(SignInProgress(
                self.profile_name, "browser",
                f"Sign in for the profile '{self.profile_name}' in your browser. If it did not open, open "
                f"this address: {url}\nWaiting up to {limit:g} s for the sign-in to come back.",
                url=url, expires_at=sent_at + timedelta(seconds=limit), waiting=True))
            open_in_background(self.hooks.open_browser, url)
            started = time.monotonic()

            def waited(response: Response | None) -> Hop:
                return Hop("GET", shown, (), b"", response, time.monotonic() - started, sent_at, "authorize")

            with steps.waiting():
                while not server.arrived.wait(0.05):
                    if steps.cancel.is_set():
                        steps.record(waited(None))
                        steps.check()
                    if time.monotonic() - started >= limit:
                        steps.record(waited(None))
                        raise TransportError(
                            "timeout",
                            f"The browser sign-in of the profile '{self.profile_name}' did not come back "
                            f"within {limit:g} s: finish signing in sooner, or allow more time "
                            "(--auth-timeout).")
            answer = dict(server.params)
            callback = server.callback_url or server.redirect_uri
        code = answer.get("code", "")
        if code:
            self._flow_secrets.append(code)
        steps.record(waited(self._callback_response(callback, answer, answer.get("state") == state)))
        return self._after_callback(steps, answer, state, code, verifier, server.redirect_uri)

    @staticmethod
    def _callback_response(callback: str, answer: Mapping[str, str], state_matches: bool) -> Response:
        """The redirect the browser brought back, as the authorize hop's answer: its parameters with code and
        state masked, and whether the state was the one sent (the explainer cannot compare masked values)."""
        masked = {k: (mask(v) if k in ("code", "state") else v) for k, v in answer.items()}
        location = with_params(callback.split("?", 1)[0], masked)
        body = json.dumps({**masked, "state_matches": state_matches}, indent=2).encode("utf-8")
        return Response(302, "Found", (("Location", location), ("Content-Type", "application/json")), body,
                        len(body))

    def _after_callback(self, steps: SignInSteps, answer: Mapping[str, str], state: str, code: str,
                        verifier: str, redirect_uri: str) -> str | None:
        who = f"the profile '{self.profile_name}'"
        error = _error_words(answer)
        if error:
            return self._scrub(f"The authorization server ended the browser sign-in of {who} with {error}.")
        if answer.get("state") != state:
            return (f"The browser sign-in of {who} came back with a state that is not the one sent, so its "
                    "code was not used (RFC 6749 §10.12): start again from the app, in one browser tab.")
        if not code:
            return f"The browser sign-in of {who} came back without an authorization code."
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier}
        problem = self._token_hop(steps, data)
        if problem is None:
            self._keep_refresh_token()
            self.hooks.progress(SignInProgress(self.profile_name, "done",
                                               f"Signed in for the profile '{self.profile_name}'."))
        return problem


class DeviceCodeProfileAuth(_InteractiveOAuth):
    """RFC 8628: a code to type on another device; polls the token endpoint at the interval it was given."""

    grant_type = DEVICE_GRANT
    endpoint_fields = ("device_authorization_url", "token_url")

    def sign_in(self, steps: SignInSteps) -> str | None:
        problem = self._discover(steps)
        if problem or self._cached(steps):
            return problem
        who = f"the profile '{self.profile_name}'"
        data = {k: self.settings[k] for k in ("scope", "audience") if self.settings.get(k)}
        url = self.settings["device_authorization_url"]
        hop = steps.send(self.client_request(url, data), "authorize")
        doc = _json(hop)
        status = hop.status or 0
        if not 200 <= status < 300 or not doc.get("device_code") or not doc.get("user_code"):
            said = _error_words(doc) or "no device_code and user_code in its answer"
            return self._scrub(f"The device authorization endpoint {mask_url(url)} answered {status}: "
                               f"{said}; check the client id and scope of {who}.")
        device_code = str(doc["device_code"])
        self._flow_secrets.append(device_code)
        user_code = str(doc["user_code"])
        verify_at = str(doc.get("verification_uri") or doc.get("verification_url") or "")
        complete = doc.get("verification_uri_complete")
        interval = _seconds(doc.get("interval"), DEFAULT_INTERVAL_S)
        expires_in = _seconds(doc.get("expires_in"), 600)
        # the person's time is the hooks' limit; the code's own expiry is the server's to say (expired_token)
        limit = max(self.hooks.timeout_s, 0.0)
        self.hooks.progress(SignInProgress(
            self.profile_name, "device",
            f"To sign in for {who}, open {verify_at} and enter the code {user_code}. "
            f"Waiting up to {min(limit, expires_in):g} s.", url=verify_at, user_code=user_code,
            expires_at=steps.now() + timedelta(seconds=min(limit, expires_in)), waiting=True))
        if isinstance(complete, str) and complete:
            open_in_background(self.hooks.open_browser, complete)
        started = time.monotonic()
        for _ in range(MAX_POLLS):
            steps.sleep(min(interval, max(limit - (time.monotonic() - started), 0.0)))
            if time.monotonic() - started >= limit:
                raise TransportError(
                    "timeout",
                    f"The device sign-in of {who} was not approved within {limit:g} s: enter the code "
                    f"{user_code} at {verify_at} sooner, or allow more time (--auth-timeout).")
            poll = self.client_request(self.token_url,
                                       {"grant_type": DEVICE_GRANT, "device_code": device_code})
            hop = steps.send(poll, "token", record=False)
            answer = _json(hop)
            error = answer.get("error")
            if error == "authorization_pending":
                if time.monotonic() - started > expires_in + 2 * interval:  # a server that never says expired
                    steps.record(hop)
                    return (f"The device sign-in of {who} stopped: the code expired ({expires_in} s) while "
                            "the server still said authorization_pending.")
                continue
            if error == "slow_down":
                interval += SLOW_DOWN_S
                continue
            steps.record(hop)
            if error in ("expired_token", "access_denied"):
                reason = ("the code expired before it was entered" if error == "expired_token"
                          else "the person declined the sign-in")
                return (f"The device sign-in of {who} stopped: {reason} ({_error_words(answer)}).")
            problem = self.accept_token_response(hop, steps.now())
            if problem is None:
                self.hooks.progress(SignInProgress(self.profile_name, "done", f"Signed in for {who}."))
            return problem
        return f"The device sign-in of {who} polled {MAX_POLLS} times without an answer."


def _seconds(value: object, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return default
    return int(value)
