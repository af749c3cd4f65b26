"""explain(exchange, expectations, now) -> Diagnosis: verdict, summary, findings. Pure: no network, no clock.

gather() reads the facts once; the rules of each family (rules/) turn them into findings; verdict.py decides
the verdict and words the summary. inspect_alone() judges a pasted token with no request around it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from inspector.core.diagnosis.facts import Facts, gather, is_readable, utc
from inspector.core.diagnosis.findings import Finding, explained_away, sort_findings, story_order
from inspector.core.diagnosis.model import Diagnosis
from inspector.core.diagnosis.rules import (
    Rule,
    credentials,
    expiry,
    identity,
    misleading,
    refusals,
    scope,
    server,
    signin,
    step_up,
)
from inspector.core.diagnosis.rules import token as token_rules
from inspector.core.diagnosis.verdict import (
    decide,
    decide_token_endpoint,
    missing_evidence,
    summarize,
    summarize_token_endpoint,
    summarize_transport_error,
)
from inspector.core.exchange import Exchange
from inspector.core.expectations import Expectations
from inspector.core.request import is_masked
from inspector.core.timeline import Timeline, build_timeline
from inspector.core.tokens import TokenInfo, inspect_token, sent_credentials

# The rules for the user's request, in the order they run; each sees what the ones before it found.
REQUEST_RULES: tuple[Rule, ...] = (
    credentials.check,
    server.check,
    misleading.check,  # a refusal inside a 2xx, a gateway's "missing token" for a route it does not have
    token_rules.check,
    expiry.check,
    identity.check,
    scope.check,
    step_up.check,
    refusals.check,
    signin.check,  # sessions, cookies, CSRF, login redirects, signing keys
    scope.check_permitted,  # last: "nothing else explains this 403"
)
# The rules for an OAuth token request that stopped the send.
TOKEN_ENDPOINT_RULES: tuple[Rule, ...] = (
    credentials.check_token_endpoint,
    server.check_token_endpoint,
)


def explain(
    exchange: Exchange,
    expectations: Expectations | None = None,
    now: datetime | None = None,
    token: TokenInfo | None = None,
) -> Diagnosis:
    """Verdict, summary and findings for one finished exchange. `now` defaults to exchange.received_at."""
    exp = expectations or Expectations()
    hop = exchange.final_hop
    when = now or exchange.received_at or exchange.sent_at or (hop.sent_at if hop else None)
    # Only an exchange with no clock at all falls back to the real clock (nothing else to judge by).
    now_utc = utc(when or datetime.now(UTC))

    if exchange.error is not None or hop is None or hop.response is None:
        message = exchange.error.message if exchange.error else "The request produced no response."
        creds = sent_credentials(hop, exp.api_key_names) if hop else []
        info = token
        if (
            info is None
            and creds
            and not is_masked(creds[0].value)  # a recorded mask is not a token to decode
            and (creds[0].where != "authorization" or creds[0].is_bearerish)
        ):
            info = inspect_token(creds[0].value)
        # a failed TLS handshake described from the server's certificate; a sign-in nobody finished
        findings = signin.transport_findings(exchange, now_utc)
        return Diagnosis(
            verdict="transport-error",
            summary=signin.transport_summary(findings) or summarize_transport_error(message),
            findings=tuple(findings),
            credential=creds[0] if creds else None,
            token=info,
        )

    facts = gather(exchange, exp, now_utc, token, hop, hop.response)
    if signin.is_sign_in_step(exchange, hop):  # the send stopped at a login, authorization or discovery
        return signin.explain_step(facts, exchange.token_problem)
    if hop.role == "token":
        return _explain_token_endpoint(facts)
    return _explain_request(facts)


def explain_recorded(
    exchange: Exchange,
    expectations: Expectations | None = None,
    recorded: Diagnosis | None = None,
) -> Diagnosis:
    """Explain an exchange read back from history or a HAR file, whose credentials were stored masked.

    A masked value cannot be decoded, so the token recorded with the explanation made at the time (header
    and claims, never the raw value) is judged instead: an expired token stays the cause, it is not
    mistaken for a malformed header.
    """
    token = recorded.token if recorded is not None else None
    hop = exchange.final_hop
    creds = sent_credentials(hop, (expectations or Expectations()).api_key_names) if hop else []
    if token is None or not creds or not is_masked(creds[0].value):
        token = None  # the value that was sent can be read: judge it, not the old record
    return explain(exchange, expectations, token=token)


def _run(rules: tuple[Rule, ...], facts: Facts) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules:
        found += rule(facts, found)
    return sort_findings(explained_away(found))


def _explain_request(facts: Facts) -> Diagnosis:
    findings = _run(REQUEST_RULES, facts)
    verdict = signin.verdict(facts, findings) or decide(facts, findings)
    findings = story_order(findings, verdict)  # the finding the summary speaks for comes first
    return Diagnosis(
        verdict=verdict,
        summary=summarize(facts, verdict, findings),
        findings=tuple(findings),
        challenges=tuple(facts.challenges),
        proxy_challenges=tuple(facts.proxy_challenges),
        credential=facts.credential,
        token=facts.token,
        timeline=facts.timeline,
        server_error=facts.server_error,
        server_message=facts.server_message,
        missing_evidence=tuple(missing_evidence(facts)),
    )


def _explain_token_endpoint(facts: Facts) -> Diagnosis:
    """The send stopped at the OAuth token request: judge the token endpoint's answer."""
    findings = _run(TOKEN_ENDPOINT_RULES, facts)
    return Diagnosis(
        verdict=decide_token_endpoint(facts),
        summary=summarize_token_endpoint(facts),
        findings=tuple(findings),
        challenges=tuple(facts.challenges),
        proxy_challenges=tuple(facts.proxy_challenges),
        timeline=facts.timeline,
        server_error=facts.server_error,
        server_message=facts.server_message,
        missing_evidence=tuple(facts.missing),
    )


# --------------------------------------------------------------------------------------------- token alone


def strip_scheme(raw: str) -> str:
    """A pasted 'Bearer eyJ…' or 'Authorization: Bearer eyJ…' becomes the bare token."""
    text = raw.strip()
    if text.lower().startswith("authorization:"):
        text = text.split(":", 1)[1].strip()
    parts = text.split(None, 1)
    if parts and parts[0].lower() in ("bearer", "dpop", "token", "jwt"):
        text = parts[1].strip() if len(parts) == 2 else ""  # a scheme alone carries no token
    return text


def inspect_alone(
    raw_token: str,
    expectations: Expectations | None = None,
    now: datetime | None = None,
    *,
    token: TokenInfo | None = None,
) -> tuple[TokenInfo, Timeline | None, list[Finding]]:
    """Judge a token with no request around it, against `now` (the local clock; the CLI passes it in).

    Pass `token` when its signature was already checked with verify_token, to get signature-invalid.
    """
    exp = expectations or Expectations()
    now_utc = utc(now or datetime.now(UTC))
    info = token or inspect_token(strip_scheme(raw_token))
    timeline = None
    findings = token_rules.token_findings(info, exp, alone=True)
    if is_readable(info):
        timeline = build_timeline(
            info.claims,
            sent_at=now_utc,
            elapsed_s=0.0,
            server_date=None,
            age_header=None,
            now=now_utc,
            leeway_s=exp.leeway_s,
        )
        findings += expiry.time_findings(timeline, alone=True) + identity.identity_findings(info.claims, exp)
    return info, timeline, sort_findings(explained_away(findings))
