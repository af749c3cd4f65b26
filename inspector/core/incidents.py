"""Incidents: many refused requests that share a cause, read from history (or a customer's HAR file).

    entries = [incident_entry(id, exchange, diagnosis) ...]   # or HistoryStore.incident_entries(since)
    found = incidents(entries, since=timedelta(hours=1), clock=clock)   # -> list[Incident], newest first

Pure: no network, no Qt, no real clock (passed in). Every failed entry in the window lands in exactly one
incident. A cause is named only when its signature in history is there (shared/specs/incidents.md); the
failures no single cause explains are grouped by host and verdict as `mixed`. The findings are those judged
at send time: history is never re-judged here.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from inspector.core.diagnosis import Diagnosis
    from inspector.core.exchange import Exchange
    from inspector.core.export.har import HarEntry

__all__ = [
    "CAUSES",
    "CAUSE_TITLES",
    "Incident",
    "IncidentEntry",
    "entries_from_har",
    "entry_facts",
    "host_of",
    "incident_entry",
    "incident_to_json",
    "incidents",
    "parse_since",
]

CAUSES = (
    "credentials-expired",
    "signing-key-rotated",
    "scope-removed",
    "audience-or-issuer-changed",
    "clock-drift",
    "session-expired",
    "rate-limited",
    "edge-block",
    "mixed",
)
MIN_FAILURES = 2  # one refused request is a question, not an incident
EXP_CLOSE_S = 600.0  # tokens whose exp lie within 10 min of each other "expired together"
SKEW_GROWTH_S = 2.0
MAX_SHOWN_SUCCESSES = 2000  # the server's clock moved this much further away over the incident: drift

_SIGNATURE_FINDINGS = frozenset({"signature-invalid", "signing-key-unknown"})


@functools.cache
def _signature_words() -> re.Pattern[str]:
    """A server's words for a bad signature or an unknown key; compiled on first use, so that importing
    this module (history does) costs no regex compile."""
    return re.compile(
        r"(invalid|bad|wrong|failed|mismatch\w*)\W+(\w+\W+)?signature|signature\W+(\w+\W+)?"
        r"(verification\W+failed|invalid|is\W+invalid|mismatch|failed|does\W+not\W+match|could\W+not\W+be\W+verified)"
        r"|unknown\W+(signing\W+)?key|no\W+(matching\W+)?key\W+(found\W+)?for\W+kid|kid\W+(\w+\W+)?not\W+found",
        re.IGNORECASE,
    )


_SESSION_WORDS = ("session", "cookie", "csrf", "xsrf")
_SUCCESS_VERDICTS = frozenset({"ok"})


@dataclass(frozen=True)
class IncidentEntry:
    """What incidents need of one stored exchange: small, already masked, read in bulk from history."""

    id: int
    at: datetime
    method: str
    url: str  # masked
    host: str  # host:port
    status: int | None
    verdict: str | None
    findings: tuple[str, ...] = ()
    profile: str | None = None
    kid: str | None = None
    iss: str | None = None
    sub: str | None = None
    exp: float | None = None  # epoch seconds
    iat: float | None = None
    scopes: tuple[str, ...] | None = None  # granted (scope/scp/permissions/roles); None: unknown
    skew_s: float | None = None  # server Date minus local clock
    error_codes: tuple[str, ...] = ()  # the server's error codes (challenge `error=`, body `error`)
    jwks_kids: tuple[str, ...] | None = None  # the kids the JWKS listed when the signature was checked
    waf: str | None = None  # why the refusal looks like a WAF's block page
    collection: str | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def endpoint(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def failed(self) -> bool:
        if self.verdict is None:
            return self.status is None or self.status >= 400
        return self.verdict not in _SUCCESS_VERDICTS


@dataclass(frozen=True)
class Incident:
    """Failed exchanges that share a cause, with the evidence that names it and what to do next."""

    cause: str
    title: str  # one sentence for a list row
    entries: tuple[int, ...]  # the failed entries' ids, oldest first
    first_failure: datetime
    last_failure: datetime
    last_success: datetime | None  # the last success for the same hosts before the first failure
    ongoing: bool  # nothing for these hosts succeeded after the last failure
    failed: int
    succeeded: int  # successes on the same hosts between the first and the last failure
    hosts: tuple[str, ...]
    profiles: tuple[str, ...]
    paths: tuple[str, ...]
    collections: tuple[str, ...]
    verdicts: tuple[str, ...]
    evidence: Mapping[str, object]
    next_step: str
    # the same hosts' successes from the last one before to the first one after (marks on the time axis)
    successes: tuple[int, ...] = ()
    failure_times: tuple[datetime, ...] = field(default=(), repr=False)
    success_times: tuple[datetime, ...] = field(default=(), repr=False)


# --- building entries ---------------------------------------------------------------------------------------


def host_of(url: str) -> str:
    """host:port of a URL (the scheme's default port when none is written)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if not host:
        return ""
    if port is None:
        port = 443 if parts.scheme.lower() in ("https", "wss") else 80
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _epoch(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def entry_facts(exchange: Exchange | None, diagnosis: Diagnosis | None) -> dict[str, Any]:
    """The facts an IncidentEntry holds beyond the row: token kid/iss/exp/scopes, skew, error codes, WAF."""
    facts: dict[str, Any] = {"error_codes": [], "scopes": None, "jwks_kids": None, "waf": None}
    signature_said = False
    if diagnosis is not None:
        token = diagnosis.token
        if token is not None:
            claims, header = token.claims, token.header
            facts.update(
                kid=_text(header.get("kid")),
                iss=_text(claims.get("iss")),
                sub=_text(claims.get("sub")),
                exp=_epoch(claims.get("exp")),
                iat=_epoch(claims.get("iat")),
            )
            if token.format == "jws":
                from inspector.core.diagnosis import granted_scopes

                granted = granted_scopes(claims)
                facts["scopes"] = sorted(granted) if granted is not None else None
        if diagnosis.timeline is not None and diagnosis.timeline.clock_skew_s is not None:
            facts["skew_s"] = round(float(diagnosis.timeline.clock_skew_s), 3)
        codes: list[str] = []
        if diagnosis.server_error:
            codes.append(diagnosis.server_error)
        texts = [diagnosis.server_message or ""]
        for ch in diagnosis.challenges:
            code = ch.params.get("error")
            if code and code not in codes:
                codes.append(code)
            texts.append(ch.params.get("error_description", ""))
        facts["error_codes"] = codes
        signature_said = any(_signature_words().search(t) for t in texts if t)
        for finding in diagnosis.findings:
            kids = finding.evidence.get("jwks_kids") or finding.evidence.get("known_kids")
            if isinstance(kids, list) and all(isinstance(k, str) for k in kids):
                facts["jwks_kids"] = kids
    if exchange is not None:
        final = exchange.final_hop
        response = final.response if final is not None else None
        if response is not None:
            from inspector.core.diagnosis.facts import waf_block

            facts["waf"] = waf_block(response)
    facts["signature_said"] = signature_said
    return facts


def entry_from_row(
    entry_id: int,
    at: datetime,
    method: str,
    url: str,
    status: int | None,
    verdict: str | None,
    findings: Sequence[str],
    profile: str | None,
    facts: Mapping[str, Any],
) -> IncidentEntry:
    """An IncidentEntry from history's columns (the stored facts object), or from a fresh exchange's facts."""
    ids = tuple(findings)
    if facts.get("signature_said") and not _SIGNATURE_FINDINGS.intersection(ids):
        ids += ("signature-invalid",)  # a HAR has no key: the server's words are the evidence
    scopes = facts.get("scopes")
    kids = facts.get("jwks_kids")
    return IncidentEntry(
        id=entry_id,
        at=at if at.tzinfo else at.replace(tzinfo=UTC),
        method=method.upper(),
        url=url,
        host=host_of(url),
        status=status,
        verdict=verdict,
        findings=ids,
        profile=profile,
        kid=facts.get("kid"),
        iss=facts.get("iss"),
        sub=facts.get("sub"),
        exp=facts.get("exp"),
        iat=facts.get("iat"),
        scopes=tuple(scopes) if isinstance(scopes, list) else None,
        skew_s=facts.get("skew_s"),
        error_codes=tuple(facts.get("error_codes") or ()),
        jwks_kids=tuple(kids) if isinstance(kids, list) else None,
        waf=facts.get("waf"),
        collection=facts.get("collection"),
    )


def incident_entry(
    entry_id: int, exchange: Exchange, diagnosis: Diagnosis | None, at: datetime | None = None
) -> IncidentEntry:
    """An IncidentEntry from an exchange and the diagnosis made when it was sent (the URL is masked)."""
    from inspector.core.redact import mask_url

    final = exchange.final_hop
    url = final.url if final is not None else exchange.spec.url
    method = final.method if final is not None else exchange.spec.method
    status = final.response.status if final is not None and final.response is not None else None
    when = at or exchange.sent_at or (final.sent_at if final else None) or datetime.fromtimestamp(0, UTC)
    return entry_from_row(
        entry_id,
        when,
        method,
        mask_url(url),
        status,
        diagnosis.verdict if diagnosis is not None else None,
        diagnosis.finding_ids if diagnosis is not None else (),
        exchange.profile_name,
        entry_facts(exchange, diagnosis),
    )


def entries_from_har(text: str | bytes) -> list[IncidentEntry]:
    """Every request of a HAR file as an entry, numbered by its position in the file (1-based), judged the
    way it was when recorded: this app's own diagnosis when the file holds one, else explained now by the
    clocks of the recording (never today's clock). ExportError when the file is not a HAR file."""
    from inspector.core.export.har import parse_har

    return entries_from_har_entries(parse_har(text))


def entries_from_har_entries(hars: Sequence[HarEntry]) -> list[IncidentEntry]:
    """entries_from_har for a HAR file already parsed (core.export.har.parse_har)."""
    from inspector.core.diagnosis import explain_recorded

    out: list[IncidentEntry] = []
    for har in hars:
        diagnosis = har.diagnosis
        if diagnosis is None and har.exchange.hops:
            diagnosis = explain_recorded(har.exchange)
        out.append(incident_entry(har.indexes[0] + 1, har.exchange, diagnosis, har.started_at))
    return out


# --- since -----------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: datetime) -> datetime:
    """'1h', '30m', '2d' before now, or an ISO 8601 time ('2026-11-27T14:00Z'); ValueError with a sentence."""
    m = _DURATION.match(text)
    if m:
        return now - timedelta(seconds=float(m.group(1)) * _UNITS[(m.group(2) or "s").lower()])
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"'{text}' is not a time: use a duration such as 30m, 1h or 2d, or an ISO 8601 time such as "
            "2026-11-27T14:00Z."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the analysis --------------------------------------------------------------------------------------

# The order a failure's findings are read in: the most specific signature first. A failure is a candidate for
# one cause only; when that cause's signature does not hold for its group, it stays `mixed`.
_CANDIDATES: tuple[tuple[str, Callable[[IncidentEntry], bool]], ...] = (
    ("signing-key-rotated", lambda e: bool(_SIGNATURE_FINDINGS.intersection(e.findings))),
    ("credentials-expired", lambda e: "token-expired" in e.findings),
    ("clock-drift", lambda e: "token-not-yet-valid" in e.findings),
    (
        "audience-or-issuer-changed",
        lambda e: "audience-mismatch" in e.findings or "issuer-mismatch" in e.findings,
    ),
    (
        "scope-removed",
        lambda e: "insufficient-scope" in e.findings or "authenticated-not-permitted" in e.findings,
    ),
    ("session-expired", lambda e: any(w in f for f in e.findings for w in _SESSION_WORDS)),
    ("rate-limited", lambda e: "rate-limited" in e.findings),
    ("edge-block", lambda e: "proxy-auth-required" in e.findings or e.waf is not None),
    ("clock-drift", lambda e: "clock-skew" in e.findings),
)


def _candidate(entry: IncidentEntry) -> str | None:
    for cause, test in _CANDIDATES:
        if test(entry):
            return cause
    return None


def _group_key(cause: str, e: IncidentEntry) -> tuple[str, ...]:
    if cause == "credentials-expired":
        return (cause, e.iss or "", e.profile or "")
    if cause == "scope-removed":
        return (cause, e.profile or "", e.host)
    if cause == "session-expired":
        return (cause, e.profile or e.host)
    if cause == "edge-block":
        return (cause,)
    return (cause, e.host)  # signing, audience/issuer, clock, rate limit: per host


class _Context:
    """The window's entries, indexed once: successes per host in time order, searched by bisection."""

    def __init__(
        self, ordered: list[IncidentEntry], successes_by_host: dict[str, list[IncidentEntry]]
    ) -> None:
        self.ordered = ordered
        self.successes_by_host = successes_by_host
        self.times = {h: [s.at for s in lst] for h, lst in successes_by_host.items()}

    def last_before(
        self, hosts: Iterable[str], moment: datetime, test: Callable[[IncidentEntry], object] = bool
    ) -> IncidentEntry | None:
        """The latest success on these hosts before `moment` that passes `test`."""
        best: IncidentEntry | None = None
        for h in hosts:
            lst = self.successes_by_host.get(h, [])
            for j in range(bisect_left(self.times.get(h, []), moment) - 1, -1, -1):
                if test(lst[j]):
                    if best is None or lst[j].at > best.at:
                        best = lst[j]
                    break
        return best

    def first_after(
        self, hosts: Iterable[str], moment: datetime, test: Callable[[IncidentEntry], object] = bool
    ) -> IncidentEntry | None:
        """The earliest success on these hosts after `moment` that passes `test`."""
        best: IncidentEntry | None = None
        for h in hosts:
            lst = self.successes_by_host.get(h, [])
            for j in range(bisect_right(self.times.get(h, []), moment), len(lst)):
                if test(lst[j]):
                    if best is None or lst[j].at < best.at:
                        best = lst[j]
                    break
        return best

    def count_between(self, hosts: Iterable[str], start: datetime, end: datetime) -> int:
        """How many successes on these hosts from start to end (inclusive)."""
        return sum(
            bisect_right(t, end) - bisect_left(t, start) for t in (self.times.get(h, []) for h in hosts)
        )

    def between(
        self, hosts: Iterable[str], start: datetime, end: datetime, most: int = 0
    ) -> list[IncidentEntry]:
        """The successes on these hosts from start to end (inclusive), in time order; with `most`, the
        latest `most` of each host."""
        out: list[IncidentEntry] = []
        for h in hosts:
            times = self.times.get(h, [])
            lo, hi = bisect_left(times, start), bisect_right(times, end)
            if most:
                lo = max(lo, hi - most)
            out += self.successes_by_host[h][lo:hi] if times else []
        out.sort(key=_when)
        return out


def _when(e: IncidentEntry) -> tuple[datetime, int]:
    return (e.at, e.id)


def _spread(values: Sequence[float]) -> float:
    return max(values) - min(values) if values else 0.0


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _hm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def _dur(seconds: float) -> str:
    s = abs(seconds)
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def _who(profiles: Sequence[str], hosts: Sequence[str]) -> str:
    if profiles:
        return "profile " + ", ".join(profiles)
    return "the client calling " + ", ".join(hosts)


def _check(cause: str, group: list[IncidentEntry], ctx: _Context) -> tuple[dict[str, object], str] | None:
    """The evidence and next step when the group shows this cause's signature, else None (stays mixed)."""
    if len(group) < MIN_FAILURES:
        return None
    first = group[0]
    hosts = sorted({e.host for e in group})
    profiles = sorted({e.profile for e in group if e.profile})
    who = _who(profiles, hosts)
    if cause == "credentials-expired":
        exps = [e.exp for e in group if e.exp is not None]
        if len(exps) < len(group) or _spread(exps) > EXP_CLOSE_S:
            return None  # tokens that expired at unrelated moments did not expire *together*
        lifetimes = sorted({round(e.exp - e.iat) for e in group if e.exp is not None and e.iat is not None})
        late = [(e.at.timestamp() - e.exp) for e in group if e.exp is not None]
        evidence: dict[str, object] = {
            "issuers": sorted({e.iss for e in group if e.iss}),
            "profiles": profiles,
            "exp_first": _iso(datetime.fromtimestamp(min(exps), UTC)),
            "exp_last": _iso(datetime.fromtimestamp(max(exps), UTC)),
            "exp_spread_s": round(_spread(exps), 3),
            "token_lifetimes_s": lifetimes,
            "kids": sorted({e.kid for e in group if e.kid}),
            "error_codes": sorted({c for e in group for c in e.error_codes}),
        }
        lifetime = f" {_dur(lifetimes[0])} after issue" if len(lifetimes) == 1 else ""
        step = (
            f"Renew the credentials of {who}: every token it sent since {_hm(first.at)} was refused as "
            f"expired{lifetime} (their exp values lie within {_dur(_spread(exps))} of each other, "
            f"{_dur(max(late))} before the last refusal); fetch a fresh token, and if the tokens were just "
            "fetched, check whether the issuer shortened the access-token lifetime."
        )
        return evidence, step
    if cause == "signing-key-rotated":
        kid_success = ctx.last_before(hosts, first.at, lambda s: s.kid)
        failing_kids = sorted({e.kid for e in group if e.kid})
        jwks = sorted({k for e in group for k in (e.jwks_kids or ())})
        if not failing_kids:
            return None
        success_kid = kid_success.kid if kid_success is not None else None
        kid_changed = success_kid is not None and success_kid not in failing_kids
        jwks_other = bool(jwks) and not set(failing_kids) & set(jwks)
        if not (kid_changed or jwks_other):
            return None  # a bad signature without a change of key is not a rotation
        evidence = {
            "failing_kids": failing_kids,
            "last_success_kid": success_kid,
            "jwks_kids": jwks,
            "issuers": sorted({e.iss for e in group if e.iss}),
            "error_codes": sorted({c for e in group for c in e.error_codes}),
        }
        if kid_changed:
            change = (
                f"the failing tokens are signed with kid {', '.join(failing_kids)} while the last "
                f"success used kid {success_kid}"
            )
        else:
            change = (
                f"the JWKS lists kid {', '.join(jwks)}, not the failing tokens' {', '.join(failing_kids)}"
            )
        step = (
            f"Check the signing keys of {', '.join(hosts)}: from {_hm(first.at)} every token's signature "
            f"was refused and {change}; make the API refresh its JWKS (or publish the new key), or have "
            "the issuer sign with a key the API knows."
        )
        return evidence, step
    if cause == "scope-removed":
        endpoints = {e.endpoint for e in group}
        worked = ctx.last_before(
            hosts, first.at, lambda s: s.profile == first.profile and s.endpoint in endpoints
        )
        if worked is None:
            return None  # never worked here: not a removal
        had = worked.scopes
        now_scopes = [e.scopes for e in group if e.scopes is not None]
        if had is None or not now_scopes:
            return None
        current = set(now_scopes[-1])
        removed = sorted(set(had) - current)
        if not removed:
            return None  # same scopes as when it worked: the server's rule changed, not the token
        evidence = {
            "removed_scopes": removed,
            "granted_before": sorted(had),
            "granted_now": sorted(current),
            "endpoints": sorted(endpoints),
            "last_success_id": worked.id,
        }
        step = (
            f"Restore {', '.join(removed)} to {who}: its tokens lost {', '.join(removed)} between "
            f"{_hm(worked.at)} (last success) and {_hm(first.at)}, and {len(group)} requests to "
            f"{', '.join(sorted(endpoints))} were refused since; check the client's grants or roles at the "
            "issuer."
        )
        return evidence, step
    if cause == "audience-or-issuer-changed":
        kinds = sorted(
            {f for e in group for f in e.findings if f in ("audience-mismatch", "issuer-mismatch")}
        )
        with_iss = ctx.last_before(hosts, first.at, lambda s: s.iss)
        evidence = {
            "findings": kinds,
            "issuers": sorted({e.iss for e in group if e.iss}),
            "last_success_issuer": with_iss.iss if with_iss is not None else None,
            "error_codes": sorted({c for e in group for c in e.error_codes}),
        }
        what = " and ".join(k.split("-")[0] for k in kinds)
        step = (
            f"Compare {', '.join(hosts)}'s expected {what} with the tokens of {who}: from "
            f"{_hm(first.at)} every request was refused for its {what}; a deploy probably changed the API's "
            "configuration or the issuer's, so align the profile's audience/issuer with the new value."
        )
        return evidence, step
    if cause == "clock-drift":
        series = [e for e in ctx.ordered if e.host in hosts and e.skew_s is not None]
        group_skews = [abs(e.skew_s) for e in group if e.skew_s is not None]
        if len(series) < 2 or not group_skews:
            return None
        growth = abs(series[-1].skew_s or 0.0) - abs(series[0].skew_s or 0.0)
        if growth < SKEW_GROWTH_S or max(group_skews) < abs(series[0].skew_s or 0.0):
            return None  # a steady offset is not drift
        evidence = {
            "skew_first_s": series[0].skew_s,
            "skew_last_s": series[-1].skew_s,
            "skew_growth_s": round(growth, 3),
            "findings": sorted(
                {f for e in group for f in e.findings if f in ("clock-skew", "token-not-yet-valid")}
            ),
        }
        step = (
            f"Synchronise the clocks (NTP) of this machine and {', '.join(hosts)}: the server's Date moved "
            f"from {series[0].skew_s:+.0f} s to {series[-1].skew_s:+.0f} s against the local clock, and "
            f"tokens were refused as not yet valid or skewed from {_hm(first.at)}."
        )
        return evidence, step
    if cause == "session-expired":
        evidence = {
            "findings": sorted({f for e in group for f in e.findings if any(w in f for w in _SESSION_WORDS)}),
            "profiles": profiles,
        }
        step = (
            f"Sign in again with {who}: its session was refused on {len(group)} requests from "
            f"{_hm(first.at)}; if it keeps happening, check the session lifetime or cookie settings."
        )
        return evidence, step
    if cause == "rate-limited":
        evidence = {"statuses": sorted({e.status for e in group if e.status is not None})}
        step = (
            f"Slow down the calls to {', '.join(hosts)}: {len(group)} requests were rate-limited from "
            f"{_hm(first.at)}; wait for the limit to reset (Retry-After) or ask for a higher quota. "
            "Credentials are not the problem."
        )
        return evidence, step
    if cause == "edge-block":
        evidence = {
            "waf": sorted({e.waf for e in group if e.waf}),
            "proxy_auth": any("proxy-auth-required" in e.findings for e in group),
            "statuses": sorted({e.status for e in group if e.status is not None}),
        }
        step = (
            f"Ask the network team about the proxy or firewall in front of {', '.join(hosts)}: "
            f"{len(group)} requests from {_hm(first.at)} were refused before reaching the API; send them "
            "the blocked requests' times and the block page. Credentials are not the problem."
        )
        return evidence, step
    return None


_TITLES = {
    "credentials-expired": "Credentials expired together",
    "signing-key-rotated": "The signing key was rotated",
    "scope-removed": "A scope or role was removed",
    "audience-or-issuer-changed": "The audience or issuer changed",
    "clock-drift": "A clock is drifting",
    "session-expired": "The session expired",
    "rate-limited": "Rate limited",
    "edge-block": "Blocked by a proxy or firewall",
    "mixed": "Failures without a single cause",
}
CAUSE_TITLES: Mapping[str, str] = _TITLES  # each cause in a few words (the window's list, the report)


def _mixed(group: list[IncidentEntry]) -> tuple[dict[str, object], str]:
    counts: dict[str, int] = defaultdict(int)
    for e in group:
        for f in e.findings or ("(no finding)",):
            counts[f] += 1
    host, verdict = group[0].host, group[0].verdict or "no verdict"
    evidence: dict[str, object] = {
        "verdict": verdict,
        "finding_counts": dict(sorted(counts.items())),
        "statuses": sorted({e.status for e in group if e.status is not None}),
    }
    top = ", ".join(f"{k} ({v})" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:3])
    step = (
        f"Open the {len(group)} refused request{'s' if len(group) != 1 else ''} to {host} "
        f"({verdict}) one by one: no single cause explains them (findings: {top})."
    )
    return evidence, step


def incidents(
    history_records: Iterable[Any],
    since: datetime | timedelta | None = None,
    clock: Callable[[], datetime] | None = None,
) -> list[Incident]:
    """The incidents among these entries (IncidentEntry, or HistoryRecord read back from history) at or
    after `since` (a time, or a duration before clock()), newest first. Every failure is in exactly one."""
    if isinstance(since, timedelta):
        now = clock() if clock is not None else datetime.now(UTC)
        since = now - since
    entries = [_as_entry(r) for r in history_records]
    if since is not None:
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        entries = [e for e in entries if e.at >= since]
    entries.sort(key=_when)
    successes_by_host: dict[str, list[IncidentEntry]] = defaultdict(list)
    groups: dict[tuple[str, ...], list[IncidentEntry]] = defaultdict(list)
    for e in entries:
        if not e.failed:
            successes_by_host[e.host].append(e)
            continue
        cause = _candidate(e)
        key = _group_key(cause, e) if cause is not None else ("mixed", e.host, e.verdict or "")
        groups[key].append(e)
    ctx = _Context(entries, successes_by_host)
    found: list[Incident] = []
    leftovers: dict[tuple[str, ...], list[IncidentEntry]] = defaultdict(list)
    for key, group in groups.items():
        cause = key[0]
        checked = _check(cause, group, ctx) if cause != "mixed" else None
        if checked is None:
            for e in group:
                leftovers[("mixed", e.host, e.verdict or "")].append(e)
            continue
        found.append(_incident(cause, group, ctx, *checked))
    for group in leftovers.values():
        group.sort(key=_when)
        found.append(_incident("mixed", group, ctx, *_mixed(group)))
    found.sort(key=lambda i: (i.last_failure, i.first_failure, i.cause), reverse=True)
    return found


def _incident(
    cause: str, group: list[IncidentEntry], ctx: _Context, evidence: dict[str, object], next_step: str
) -> Incident:
    hosts = sorted({e.host for e in group})
    first, last = group[0], group[-1]
    profiles = {e.profile for e in group}
    before = ctx.last_before(hosts, first.at)
    # a success only ends the incident when it is the same client (profile) that was failing
    after = ctx.first_after(hosts, last.at, lambda s: s.profile in profiles or profiles == {None})
    during = ctx.count_between(hosts, first.at, last.at)
    # the time axis: from the last success before to the first success after (bounded for a huge window)
    shown = ctx.between(hosts, before.at if before else first.at, after.at if after else last.at)
    if len(shown) > MAX_SHOWN_SUCCESSES:
        shown = shown[:1] + shown[-(MAX_SHOWN_SUCCESSES - 1) :]
    evidence = {**evidence, "hosts": hosts}
    return Incident(
        cause=cause,
        title=f"{_TITLES[cause]}: {len(group)} refused on {', '.join(hosts)} from {_hm(first.at)}",
        entries=tuple(e.id for e in group),
        first_failure=first.at,
        last_failure=last.at,
        last_success=before.at if before else None,
        ongoing=not after,
        failed=len(group),
        succeeded=during,
        hosts=tuple(hosts),
        profiles=tuple(sorted(p for p in profiles if p)),
        paths=tuple(sorted({e.path for e in group})),
        collections=tuple(sorted({e.collection for e in group if e.collection})),
        verdicts=tuple(sorted({e.verdict or "" for e in group})),
        evidence=evidence,
        next_step=next_step,
        successes=tuple(s.id for s in shown),
        failure_times=tuple(e.at for e in group),
        success_times=tuple(s.at for s in shown),
    )


def _as_entry(record: Any) -> IncidentEntry:
    if isinstance(record, IncidentEntry):
        return record
    # a HistoryRecord (duck-typed: core.history imports this module)
    return incident_entry(record.id, record.exchange, record.diagnosis, record.row.time)


def incident_to_json(incident: Incident) -> dict[str, Any]:
    """One incident as `history incidents --json` prints it (shared/specs/incidents.md)."""
    return {
        "cause": incident.cause,
        "title": incident.title,
        "first_failure": _iso(incident.first_failure),
        "last_failure": _iso(incident.last_failure),
        "last_success": _iso(incident.last_success),
        "ongoing": incident.ongoing,
        "failed": incident.failed,
        "succeeded": incident.succeeded,
        "hosts": list(incident.hosts),
        "profiles": list(incident.profiles),
        "paths": list(incident.paths),
        "collections": list(incident.collections),
        "evidence": dict(incident.evidence),
        "next_step": incident.next_step,
        "entries": list(incident.entries),
        "successes": list(incident.successes),
    }
