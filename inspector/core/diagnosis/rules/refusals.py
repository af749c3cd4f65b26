"""Refusals that credentials will not fix, or that come from elsewhere: proxy-auth-required, rate-limited.
(A web application firewall's block page is a fact, facts.waf; it decides the verdict without a finding.)"""

from __future__ import annotations

import re
from collections.abc import Sequence

from inspector.core.diagnosis.facts import Facts
from inspector.core.diagnosis.findings import Finding, make_finding
from inspector.core.diagnosis.wording import says
from inspector.core.exchange import Response, header_values


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    out: list[Finding] = []
    if facts.status == 407 and header_values(facts.resp.headers, "Proxy-Authenticate"):
        challenged = (
            ", ".join(dict.fromkeys(ch.scheme for ch in facts.proxy_challenges)) or "an unreadable scheme"
        )
        out.append(
            make_finding(
                "proxy-auth-required", evidence={"challenged": challenged.split(", ")}, challenged=challenged
            )
        )
    rate = rate_limit_finding(facts)
    if rate is not None:
        out.append(rate)
    return out


def rate_limit_exhausted(resp: Response) -> str | None:
    for name in ("X-RateLimit-Remaining", "RateLimit-Remaining", "X-Rate-Limit-Remaining"):
        value = resp.header(name)
        if value is not None and value.split(",")[0].strip() == "0":
            return f"{name}: 0"
    value = resp.header("RateLimit")
    if value and re.search(r"(remaining=|;\s*r=)0\b", value):
        return f"RateLimit: {value[:80]}"
    return None


def rate_limit_finding(facts: Facts) -> Finding | None:
    resp = facts.resp
    why = None
    if resp.status == 429:
        why = "The server answered 429 Too Many Requests"
    elif resp.status == 403:
        exhausted = rate_limit_exhausted(resp)
        if exhausted:
            why = f"The server answered 403 with {exhausted}"
        elif says("rate", facts.server_message):
            why = "The server's message says a rate limit was hit"
    if why is None:
        return None
    retry = resp.header("Retry-After") or resp.header("X-RateLimit-Reset") or resp.header("RateLimit-Reset")
    retry_part = f" (Retry-After: {retry.strip()[:40]})" if retry and resp.header("Retry-After") else ""
    return make_finding(
        "rate-limited",
        evidence={"status": resp.status, "retry_after": retry},
        why=why,
        retry_part=retry_part,
        retry_suffix=retry_part,
    )
