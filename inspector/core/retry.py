"""Try the fix: send the same request again with the fix an explanation names, and say whether it confirmed the
cause (shared/specs/incidents.md, "Try the fix"). Pure of Qt; the window runs retry() as a job.

    fixes = offered_fixes(result, profile, profiles)       # ["fresh-token", "scope:invoices:write", ...]
    outcome = retry(result, "fresh-token", profile=profile, token_cache=cache, history=history)
    outcome.confirmed, outcome.conclusion                  # True, "With a fresh token the same request ..."

A FIX is `fresh-token` (a new token for the same OAuth profile, whatever the cache holds), `scope:NAME` (the
OAuth profile asks for that scope too), `profile:NAME` (another saved profile), `scheme:NAME` (the same
credential with the scheme the server challenged with) or `csrf` (the CSRF cookie the server set, echoed into
the header its framework reads). plan_retry() builds the fixed request and profile, or raises RetryError saying
why the fix cannot apply; retry() sends the plan through the same pipeline run() as any send, and judge() compares
the two outcomes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from threading import Event
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import urlsplit

from inspector.core.errors import InspectorError
from inspector.core.exchange import Hop, header_values
from inspector.core.expectations import Expectations
from inspector.core.pipeline import SendResult, merge_expectations
from inspector.core.request import Header, RequestSpec

if TYPE_CHECKING:
    from datetime import datetime

    from inspector.core.diagnosis import Finding
    from inspector.core.history import HistoryStore
    from inspector.core.profiles.base import TokenCache
    from inspector.core.profiles.model import Profile
    from inspector.core.profiles.secrets import Resolver

FixKind = Literal["fresh-token", "scope", "profile", "scheme", "csrf"]
FIX_KINDS: tuple[FixKind, ...] = get_args(FixKind)
FIX_SYNTAX = "fresh-token, scope:NAME, profile:NAME, scheme:NAME or csrf"
_SCHEMES = ("Bearer", "Basic", "Token", "DPoP", "Digest", "ApiKey", "Negotiate")  # canonical spellings
# The CSRF cookie and the header that carries its value, for servers whose framework is not known.
_CSRF_PAIRS = (("csrftoken", "X-CSRFToken"), ("XSRF-TOKEN", "X-XSRF-TOKEN"), ("csrf_token", "X-CSRF-Token"),
               ("_csrf", "X-CSRF-Token"))
_SESSION_KINDS = ("session",)
# What each fix is meant to remove: the fix is confirmed when the retry succeeds, or when such a finding of the
# first answer is gone from the second.
_TARGETS: Mapping[FixKind, frozenset[str]] = {
    "fresh-token": frozenset({"token-expired", "token-near-expiry", "signing-key-unknown", "session-expired"}),
    "scope": frozenset({"insufficient-scope"}),
    # any profile removes no-credentials: only a token for the right audience or issuer says something
    "profile": frozenset({"audience-mismatch", "issuer-mismatch"}),
    "scheme": frozenset({"scheme-mismatch"}),
    "csrf": frozenset({"csrf-failed"}),
}


class RetryError(InspectorError):
    """A fix that cannot apply to this request (wrong profile kind, nothing to copy, bad FIX text)."""


def is_oauth(profile: Profile | None) -> bool:
    return profile is not None and profile.kind.startswith("oauth2-")


@dataclass(frozen=True)
class Fix:
    """One fix, parsed: its kind and, for scope/profile/scheme, the name it carries."""

    kind: FixKind
    value: str = ""

    @property
    def text(self) -> str:
        """The FIX as typed on the command line: 'fresh-token', 'scope:invoices:write'."""
        return f"{self.kind}:{self.value}" if self.value else self.kind

    @property
    def phrase(self) -> str:
        """The fix in a sentence: 'a fresh token', 'scope invoices:write', 'the Bearer scheme'."""
        if self.kind == "fresh-token":
            return "a fresh token"
        if self.kind == "scope":
            return f"scope {self.value}"
        if self.kind == "profile":
            return f"the profile '{self.value}'"
        if self.kind == "scheme":
            return f"the {self.value} scheme"
        return "the CSRF token echoed in its header"

    @property
    def label(self) -> str:
        """The button's text: 'Try with a fresh token'."""
        return "Try with the CSRF token" if self.kind == "csrf" else f"Try with {self.phrase}"


def parse_fix(text: str) -> Fix:
    """A FIX string as a Fix; RetryError naming the accepted forms when it is not one."""
    raw = (text or "").strip()
    kind, sep, value = raw.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if kind in ("fresh-token", "csrf") and not sep:
        return Fix(kind)  # type: ignore[arg-type]  # checked just above
    if kind in ("scope", "profile", "scheme") and sep and value:
        if kind == "scheme":
            value = next((s for s in _SCHEMES if s.lower() == value.lower()), value)
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", value):
                raise RetryError(f"'{raw}' names no usable scheme: use scheme:Bearer, scheme:Token, scheme:Basic.")
        if kind == "scope":
            value = " ".join(value.replace(",", " ").split())
        return Fix(kind, value)  # type: ignore[arg-type]
    raise RetryError(f"'{raw}' is not a fix this app can try: use {FIX_SYNTAX}.")


def fix_label(fix: str | Fix) -> str:
    """The button's text for a FIX string ('Try with scope read:billing')."""
    return (fix if isinstance(fix, Fix) else parse_fix(fix)).label


@dataclass(frozen=True)
class RetryPlan:
    """The fixed request, ready for pipeline.run: the spec, the profile (None: the credential is in the spec),
    the expectations to judge it with, and whether the profile's cached access token must be dropped first."""

    fix: Fix
    spec: RequestSpec
    profile: Profile | None
    overrides: Expectations | None
    forget_token: bool = False


@dataclass(frozen=True)
class RetryOutcome:
    """The second send with the fix applied, and what it says about the cause of the first refusal."""

    fix: str  # the FIX text, e.g. "scope:invoices:write"
    result: SendResult
    confirmed: bool  # the retry succeeded (or the finding the fix targets went away) where the first failed
    conclusion: str  # one sentence: "With a fresh token the same request succeeded: the token had expired."


# --- planning -------------------------------------------------------------------------------------------------


def _profile_label(profile: Profile | None) -> str:
    return f"the profile '{profile.name}' (kind {profile.kind})" if profile else "no profile"


def _with_profile(spec: RequestSpec, old: Profile | None, new: Profile) -> RequestSpec:
    """The spec naming the new profile the way it named the old one (the CLI by name, the window by identity)."""
    named = spec.profile
    if named is None or (old is not None and named == old.name):
        return replace(spec, profile=new.name)
    return replace(spec, profile=new.identity)


def _request_hop(first: SendResult) -> Hop | None:
    hops = first.exchange.request_hops
    return hops[-1] if hops else None


def _finding(first: SendResult, finding_id: str) -> Finding | None:
    return first.diagnosis.finding(finding_id) if first.diagnosis is not None else None


def plan_retry(
    first: SendResult,
    fix: str | Fix,
    *,
    profile: Profile | None = None,
    find_profile: Callable[[str], Profile] | None = None,
    overrides: Expectations | None = None,
) -> RetryPlan:
    """The request of `first` with the fix applied; RetryError (a sentence naming why) when it cannot apply.

    profile is the profile the first request was sent with (None: none); find_profile(name) finds another saved
    profile for profile:NAME (it raises ProfileError for an unknown name)."""
    fix = fix if isinstance(fix, Fix) else parse_fix(fix)
    spec = first.exchange.spec
    if fix.kind == "fresh-token":
        if not is_oauth(profile):
            raise RetryError(
                f"A fresh token can only be fetched for an OAuth 2 profile, and this request was sent with "
                f"{_profile_label(profile)}: its credential is fixed, so put a new one in the profile (or choose "
                "an OAuth profile) instead.")
        return RetryPlan(fix, spec, profile, overrides, forget_token=True)
    if fix.kind == "scope":
        if profile is None or not is_oauth(profile):
            raise RetryError(
                f"Scope {fix.value} can only be asked for by an OAuth 2 profile, and this request was sent with "
                f"{_profile_label(profile)}: a fixed token keeps the scopes it was issued with.")
        scopes = (profile.credential("scope") or "").split()
        wanted = [s for s in fix.value.split() if s not in scopes]
        if not wanted:
            raise RetryError(f"The profile '{profile.name}' asks for scope {fix.value} already: asking again "
                             "would send the same token request.")
        creds = dict(profile.credentials)
        creds["scope"] = " ".join([*scopes, *wanted])
        return RetryPlan(fix, spec, replace(profile, credentials=creds), overrides)
    if fix.kind == "profile":
        if find_profile is None:
            raise RetryError(f"The profile '{fix.value}' cannot be looked up here: no saved profiles are at hand.")
        other = find_profile(fix.value)
        if profile is not None and other.identity == profile.identity:
            raise RetryError(f"The request was sent with the profile '{other.name}' already: name another one.")
        return RetryPlan(fix, _with_profile(spec, profile, other), other, overrides)
    if fix.kind == "scheme":
        return _plan_scheme(first, fix, spec, profile, overrides)
    return _plan_csrf(first, fix, spec, profile, overrides)


def _plan_scheme(first: SendResult, fix: Fix, spec: RequestSpec, profile: Profile | None,
                 overrides: Expectations | None) -> RetryPlan:
    from inspector.core.tokens import find_credential

    hop = _request_hop(first)
    names = first.expectations.api_key_names
    cred = find_credential(hop, names) if hop is not None else None
    if cred is None or cred.where not in ("authorization", "header"):
        raise RetryError("The request carried no credential in a header, so there is nothing to send with the "
                         f"{fix.value} scheme: choose a profile or add the Authorization header.")
    if cred.scheme and cred.scheme.lower() == fix.value.lower():
        raise RetryError(f"The credential was sent with the {cred.scheme} scheme already.")
    if profile is not None and profile.kind == "bearer":
        creds = dict(profile.credentials)
        creds["prefix"] = fix.value
        return RetryPlan(fix, spec, replace(profile, credentials=creds), overrides)
    # The credential the profile (or the user) sent, in an Authorization header of the other scheme; the
    # profile's expectations still judge the answer.
    drop = {"authorization", cred.name.lower()}
    headers = tuple(h for h in spec.headers if h.name.strip().lower() not in drop)
    headers += (Header("Authorization", f"{fix.value} {cred.value}"),)
    judged = merge_expectations(profile.expectations(), overrides) if profile is not None else overrides
    return RetryPlan(fix, replace(spec, headers=headers, profile=None), None, judged)


def _cookie_value(first: SendResult, name: str) -> str | None:
    """The value of cookie `name` as the server last set it in this exchange, else as it was sent."""
    from inspector.core.cookies import parse_set_cookie

    found: str | None = None
    for hop in first.exchange.hops:
        if hop.response is None:
            continue
        for line in header_values(hop.response.headers, "Set-Cookie"):
            at = hop.sent_at or first.exchange.sent_at
            if at is None:
                continue
            cookie = parse_set_cookie(line, hop.url, at)
            if cookie is not None and not isinstance(cookie, str) and cookie.name == name and cookie.value:
                found = cookie.value
    if found is not None:
        return found
    last = _request_hop(first)
    for line in header_values(last.sent_headers, "Cookie") if last is not None else []:
        for part in line.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name and value:
                return value
    return None


def _plan_csrf(first: SendResult, fix: Fix, spec: RequestSpec, profile: Profile | None,
               overrides: Expectations | None) -> RetryPlan:
    finding = _finding(first, "csrf-failed")
    evidence = finding.evidence if finding is not None else {}
    cookie, header = evidence.get("cookie"), evidence.get("header")
    if header and not cookie:
        framework = evidence.get("framework") or "The server"
        raise RetryError(f"{framework} reads its CSRF token from the page (a csrf-token meta tag), not from a "
                         f"cookie, so there is no cookie to copy into {header}: load the page and copy it.")
    pairs = [(str(cookie), str(header))] if cookie and header else list(_CSRF_PAIRS)
    if profile is not None and profile.kind in _SESSION_KINDS:
        if profile.credential("csrf_cookie") and profile.credential("csrf_header"):
            raise RetryError(f"The profile '{profile.name}' echoes its {profile.credential('csrf_cookie')} cookie "
                             f"into {profile.credential('csrf_header')} already: the CSRF token it sends is the "
                             "server's own, so look at the session instead.")
        chosen = next(((c, h) for c, h in pairs if _cookie_value(first, c) is not None), pairs[0])
        creds = dict(profile.credentials)
        creds["csrf_cookie"], creds["csrf_header"] = chosen
        return RetryPlan(fix, spec, replace(profile, credentials=creds), overrides)
    for name, header_name in pairs:
        value = _cookie_value(first, name)
        if value is not None:
            headers = tuple(h for h in spec.headers if h.name.strip().lower() != header_name.lower())
            return RetryPlan(fix, replace(spec, headers=(*headers, Header(header_name, value))), profile,
                             overrides)
    wanted = " or ".join(c for c, _ in pairs)
    raise RetryError(f"The server set no {wanted} cookie in this exchange and none was sent, so there is no CSRF "
                     "token to copy: sign in with a session profile (its login page sets it) and try again.")


# --- sending and judging ----------------------------------------------------------------------------------


def retry(
    first: SendResult,
    fix: str | Fix,
    *,
    profile: Profile | None = None,
    find_profile: Callable[[str], Profile] | None = None,
    resolver: Resolver | None = None,
    token_cache: TokenCache | None = None,
    clock: Callable[[], datetime] | None = None,
    overrides: Expectations | None = None,
    history: HistoryStore | None = None,
    cancel: Event | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    extra_secrets: Iterable[str] = (),
    **send_kwargs: Any,
) -> RetryOutcome:
    """Send first's request again with the fix, the way pipeline.run sends (prepare, then run), and judge it
    against the first. extra_secrets: values the first send masked besides the profile's (a collection's
    secret variables).

    RetryError when the fix cannot apply; InspectorError (a missing secret...) when the request cannot be sent."""
    from inspector.core.pipeline import prepare

    plan = plan_retry(first, fix, profile=profile, find_profile=find_profile, overrides=overrides)
    if plan.forget_token and token_cache is not None and plan.profile is not None:
        token_cache.forget_access_tokens(plan.profile.identity)
    prepared = prepare(plan.spec, plan.profile, resolver, token_cache, clock)
    for secret in (*first.secrets.values, *extra_secrets):  # what the first masked, the second masks too
        prepared.redactor.add(secret)
    second = prepared.run(overrides=plan.overrides, history=history, cancel=cancel, on_progress=on_progress,
                          **send_kwargs)
    confirmed, conclusion = judge(first, plan.fix, second)
    return RetryOutcome(plan.fix.text, second, confirmed, conclusion)


def _status(result: SendResult) -> int | None:
    response = result.exchange.response
    return response.status if response is not None else None


def _failed(result: SendResult) -> bool:
    return result.diagnosis is None or result.diagnosis.verdict != "ok"


def _cause(first: SendResult, fix: Fix, confirmed: bool) -> str:
    ids = set(first.diagnosis.finding_ids) if first.diagnosis is not None else set()
    if fix.kind == "fresh-token":
        if not confirmed:
            return "the token's age was not the cause"
        if "signing-key-unknown" in ids:
            return "the token was signed with a key the issuer no longer uses"
        return "the token had expired" if "token-expired" in ids else "the old token was the cause"
    if fix.kind == "scope":
        return (f"the missing scope {fix.value} was the cause" if confirmed
                else "the missing scope was not the cause")
    if fix.kind == "profile":
        return (f"the credentials of '{fix.value}' are the ones this API accepts" if confirmed
                else "the profile was not the cause")
    if fix.kind == "scheme":
        return (f"the server wanted the {fix.value} scheme" if confirmed
                else "the scheme was not the cause")
    return "the request lacked its CSRF token" if confirmed else "the CSRF token was not the cause"


def judge(first: SendResult, fix: str | Fix, second: SendResult) -> tuple[bool, str]:
    """Whether the second send confirmed the cause the fix addresses, and the sentence that says so."""
    fix = fix if isinstance(fix, Fix) else parse_fix(fix)
    if not _failed(first):
        return False, (f"The first request already succeeded ({_status(first)}), so {fix.phrase} had nothing "
                       "to fix.")
    if second.exchange.error is not None:
        message = second.secrets.redactor().scrub(second.exchange.error.message)
        return False, f"With {fix.phrase} no response came back ({message.rstrip('.')}): nothing was confirmed."
    if second.diagnosis is None:
        return False, f"With {fix.phrase} the answer ({_status(second)}) could not be explained: nothing was confirmed."
    status = _status(second)
    if not _failed(second):
        return True, f"With {fix.phrase} the same request succeeded ({status}): {_cause(first, fix, True)}."
    before = set(first.diagnosis.finding_ids) if first.diagnosis is not None else set()
    gone = [fid for fid in before & _TARGETS[fix.kind] if second.diagnosis.finding(fid) is None]
    if gone:
        finding = _finding(first, sorted(gone)[0])
        what = finding.title[:1].lower() + finding.title[1:] if finding is not None else gone[0]
        return True, (f"With {fix.phrase} the problem \u201c{what}\u201d went away, but the server still refused "
                      f"({status}): {second.diagnosis.summary.rstrip('.')}.")
    return False, (f"With {fix.phrase} the server still refused ({status}): {_cause(first, fix, False)}. "
                   f"{second.diagnosis.summary}")


# --- what an explanation offers ----------------------------------------------------------------------------


def _origin(url: str | None) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _matching_profiles(finding: Finding, first: SendResult, current: Profile | None,
                       profiles: Sequence[Profile]) -> list[Profile]:
    """Other profiles that would answer this finding: one that asks for the expected audience or issuer, or for
    a request sent without credentials one made for the request's origin."""
    others = [p for p in profiles if current is None or p.identity != current.identity]
    expected = finding.evidence.get("expected")
    if finding.id == "audience-mismatch" and isinstance(expected, str):
        return [p for p in others if p.credential("audience") == expected]
    if finding.id == "issuer-mismatch" and isinstance(expected, str):
        return [p for p in others if (p.credential("issuer") or "").rstrip("/") == expected.rstrip("/")]
    if finding.id == "no-credentials" and current is None:
        origin = _origin(first.exchange.spec.url)
        return [p for p in others if p.kind != "none" and origin and _origin(p.base_url) == origin]
    return []


def _candidates(finding: Finding, first: SendResult, profile: Profile | None,
                profiles: Sequence[Profile]) -> list[str]:
    if finding.id in ("token-expired", "signing-key-unknown"):
        return ["fresh-token"]
    if finding.id == "insufficient-scope":
        for key in ("missing", "required", "accepted_any_of"):
            named = finding.evidence.get(key)
            if isinstance(named, list) and named:
                return [f"scope:{named[0]}"]
        return []
    if finding.id == "scheme-mismatch":
        challenged = finding.evidence.get("challenged")
        schemes = [str(s) for s in challenged] if isinstance(challenged, list) else []
        return [f"scheme:{s}" for s in schemes if s.lower() not in ("digest", "negotiate", "ntlm")][:1]
    if finding.id == "csrf-failed":
        return ["csrf"]
    return [f"profile:{p.name}" for p in _matching_profiles(finding, first, profile, profiles)][:1]


def fix_for_finding(finding: Finding, first: SendResult, profile: Profile | None = None,
                    profiles: Sequence[Profile] = ()) -> str | None:
    """The FIX the app can try for this finding of first's explanation, or None (none, or it cannot apply)."""
    if not _failed(first) or first.exchange.error is not None:
        return None
    by_name = {p.name: p for p in profiles}

    def find(name: str) -> Profile:
        if name not in by_name:
            raise RetryError(f"There is no profile '{name}'.")
        return by_name[name]

    for candidate in _candidates(finding, first, profile, profiles):
        try:
            plan_retry(first, candidate, profile=profile, find_profile=find)
        except InspectorError:
            continue  # not applicable here: never offer a button that can only fail
        return candidate
    return None


def offered_fixes(first: SendResult, profile: Profile | None = None,
                  profiles: Iterable[Profile] = ()) -> list[str]:
    """The fixes the explanation's findings offer, in the order of the findings (no repeats)."""
    if first.diagnosis is None:
        return []
    known = list(profiles)
    if profile is None and first.exchange.profile_name:
        profile = next((p for p in known if p.name == first.exchange.profile_name), None)
    out: list[str] = []
    for finding in first.diagnosis.findings:
        fix = fix_for_finding(finding, first, profile, known)
        if fix is not None and fix not in out:
            out.append(fix)
    return out
