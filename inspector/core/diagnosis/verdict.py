"""The verdict and the one-sentence summary, from the facts and the findings; the evidence that was
missing."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus

from inspector.core.diagnosis.facts import Facts, status_text, token_hop_secrets
from inspector.core.diagnosis.findings import (
    MISSING,
    VERDICT_SUMMARIES,
    Finding,
    Verdict,
    fill,
    finding_summary,
    has_family,
    leading_finding,
)
from inspector.core.diagnosis.rules.scope import scope_note
from inspector.core.exchange import Response, header_values
from inspector.core.redact import mask_url

# Statuses servers use for "who are you?" besides 401 (AWS 403, Flask-JWT-Extended 422, Laravel 419, ...).
_AUTHENTICATION_STATUSES = (400, 403, 422, 419, 440, 498, 499)
# A token endpoint's codes that say the client may not have what it asked for, not that it is unknown.
AUTHORIZATION_TOKEN_ENDPOINT_CODES = frozenset({"invalid_scope", "unauthorized_client", "access_denied"})


def decide(facts: Facts, findings: Sequence[Finding]) -> Verdict:
    """The verdict for the user's request: the evidence first, the status code when the evidence is silent."""
    status = facts.refusal_status  # a 2xx whose body refuses the request stands for the 401/403 it names
    authentication_errors = has_family(findings, "authentication", errors_only=True)
    ids = {f.id for f in findings}
    if status == 407:
        return "proxy-authentication"
    if status < 400:
        return "ok"
    if has_family(findings, "step-up"):
        return "step-up"
    if has_family(findings, "not-credential-related") or facts.waf is not None:
        return "not-credential-related"
    if "endpoint-not-found-likely" in ids and "no-credentials" not in ids:
        return "not-credential-related"  # a gateway's "missing token" for a route it does not have
    if "insufficient_scope" in facts.codes:
        return "authorization"  # the server said so, whatever status it chose
    if has_family(findings, "authorization") and not authentication_errors:
        return "authorization"
    if status == 401:
        return "authentication"
    if authentication_errors and status in _AUTHENTICATION_STATUSES:
        return "authentication"
    if facts.auth_code or facts.auth_message:
        return "authentication"  # the body decides when it names who-you-are, whatever the status
    if status == 403 or (facts.wording is not None and facts.wording.verdict == "authorization"):
        return "authorization"
    return "not-credential-related"


def summarize(facts: Facts, verdict: Verdict, findings: Sequence[Finding]) -> str:
    """One sentence: the finding that leads this verdict, else what the server said, else the status."""
    status = status_text(facts.resp)
    by_id = {f.id: f for f in findings}
    if verdict == "ok":
        # findings are sorted error > warning > info: the first non-info one is the "but"
        errors = [f for f in findings if f.severity in ("error", "warning")]
        if errors:
            title = errors[0].title
            return fill(
                VERDICT_SUMMARIES["ok-but"], {"status": status, "finding": title[:1].lower() + title[1:]}
            )
        return fill(VERDICT_SUMMARIES["ok"], {"status": status})
    if verdict == "not-credential-related" and facts.waf is not None and "rate-limited" not in by_id:
        return fill(VERDICT_SUMMARIES["waf"], {"status": status, "evidence": facts.waf})
    leader = leading_finding(findings, verdict)
    if leader is not None:
        return finding_summary(leader)
    if "refusal-in-success-body" in by_id:  # nothing more precise: say that the 2xx was a refusal
        return finding_summary(by_id["refusal-in-success-body"])
    message = " ".join(facts.server_message.split()) if facts.server_message else None  # one line
    if verdict == "authentication" and "invalid_client" in facts.codes and token_hop_secrets(facts.hop):
        return fill(
            VERDICT_SUMMARIES["token-endpoint-client"],
            {
                "url": mask_url(facts.hop.url),
                "code": "invalid_client",
                "desc_part": f": \u201c{message.rstrip('.')}\u201d" if message else "",
            },
        )
    if message and _is_generic(message, facts.resp):
        message = None  # quoting "Unauthorized" after "401 Unauthorized" tells nobody anything
    if verdict == "not-credential-related" and facts.resp.status >= 500:
        return fill(
            VERDICT_SUMMARIES["server-error"],
            {
                "status": status,
                "message_part": f" saying \u201c{message.rstrip('.')}\u201d" if message else "",
            },
        )
    if verdict == "authentication" and message and "missing authentication token" in message.lower():
        return VERDICT_SUMMARIES["aws-missing-token"]
    if verdict == "authentication" and message:
        return fill(
            VERDICT_SUMMARIES["authentication-message"], {"status": status, "message": message.rstrip(".")}
        )
    if verdict == "authentication" and "missing-challenge" in by_id:
        return finding_summary(by_id["missing-challenge"])
    if verdict == "not-credential-related" and message:
        return fill(
            VERDICT_SUMMARIES["not-credential-related-message"],
            {"status": status, "message": message.rstrip(".")},
        )
    if verdict == "not-credential-related" and facts.resp.status in (404, 410):
        return fill(VERDICT_SUMMARIES["not-found"], {"status": status})
    return fill(VERDICT_SUMMARIES.get(verdict, "{status}"), {"status": status})


def decide_token_endpoint(facts: Facts) -> Verdict:
    """The verdict when the send stopped at the OAuth token request."""
    code = (facts.server_error or "").lower()
    if facts.status >= 500:
        return "not-credential-related"
    if code in AUTHORIZATION_TOKEN_ENDPOINT_CODES:
        return "authorization"
    if facts.status == 429:
        return "not-credential-related"
    return "authentication"  # 4xx, or a 2xx that gave no usable token: we could not get credentials


def summarize_token_endpoint(facts: Facts) -> str:
    url = mask_url(facts.hop.url)
    desc = facts.server_message
    if (facts.server_error or "").lower() == "invalid_client":
        return fill(
            VERDICT_SUMMARIES["token-endpoint-client"],
            {
                "url": url,
                "code": facts.server_error,
                "desc_part": f": \u201c{desc.rstrip('.')}\u201d" if desc else "",
            },
        )
    problem = facts.exchange.token_problem
    message = (str(problem) if problem else None) or desc or "no usable token came back"
    return fill(
        VERDICT_SUMMARIES["token-endpoint"],
        {
            "url": url,
            "status": status_text(facts.resp),
            "message": (facts.scrub(message.rstrip(".")) or "") + ".",
            "code_part": f" with {facts.server_error}" if facts.server_error else "",
        },
    )


def summarize_transport_error(message: str) -> str:
    return fill(VERDICT_SUMMARIES["transport-error"], {"message": message})


def _is_generic(message: str, resp: Response) -> bool:
    """A message that only repeats the status line ("Unauthorized", "Forbidden.")."""
    text = message.strip().rstrip(".!").strip().lower()
    phrases = {resp.reason.strip().lower(), "unauthorized", "forbidden", "unauthorised"}
    try:
        phrases.add(HTTPStatus(resp.status).phrase.lower())
    except ValueError:
        pass
    return text in phrases or text == f"{resp.status} {resp.reason}".strip().lower()


def missing_evidence(facts: Facts) -> list[str]:
    """What could not be judged for lack of evidence, for the user's request (the panel says it)."""
    missing = list(facts.missing)
    info, tl = facts.token, facts.timeline
    if facts.credential is not None and info is None and facts.credential.is_bearerish and not facts.masked:
        missing.append(MISSING["no-token"])
    if info is not None:
        if info.format == "opaque" and facts.credential and facts.credential.is_bearerish:
            missing.append(MISSING["opaque"])
        elif info.format == "jwe":
            missing.append(MISSING["jwe"])
        elif info.decode_error:
            missing.append(fill(MISSING["decode"], {"error": info.decode_error}))
        elif info.format == "jws":
            times = any(k in info.claims for k in ("exp", "nbf", "iat"))
            if times and tl is not None and not tl.by_server_clock:
                missing.append(
                    fill(MISSING["date-cached"], {"note": tl.date_note})
                    if tl.date_note
                    else MISSING["no-date"]
                )
            if "exp" not in info.claims:
                missing.append(MISSING["no-exp"])
            if info.verify_outcome is None and facts.resp.status >= 400:
                missing.append(MISSING["unverified"])
            elif info.verify_outcome == "unavailable":
                missing.append(fill(MISSING["verify-unavailable"], {"error": info.verify_error}))
    note = scope_note(facts)
    if note:
        missing.append(note)
    if facts.resp.status == 407 and not header_values(facts.resp.headers, "Proxy-Authenticate"):
        missing.append(MISSING["proxy-no-challenge"])
    return list(dict.fromkeys(missing))
