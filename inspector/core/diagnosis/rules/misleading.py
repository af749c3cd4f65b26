"""Refusals the status line hides or misstates: refusal-in-success-body (a 2xx whose body refuses the request
for its credentials) and endpoint-not-found-likely (a gateway's "Missing Authentication Token" for a route it
does not have)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from inspector.core.diagnosis.facts import Facts, status_text
from inspector.core.diagnosis.findings import Finding, make_finding
from inspector.core.diagnosis.wording import says
from inspector.core.exchange import header_values
from inspector.core.redact import mask_url

_MAX_QUOTED = 160


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    out: list[Finding] = []
    refusal = refusal_in_success_body(facts)
    if refusal is not None:
        out.append(refusal)
    gateway = endpoint_not_found(facts)
    if gateway is not None:
        out.append(gateway)
    return out


def _quoted(text: str) -> str:
    short = text if len(text) <= _MAX_QUOTED else text[:_MAX_QUOTED] + "\u2026"
    return f"\u201c{short.rstrip('.')}\u201d"


def refusal_in_success_body(facts: Facts) -> Finding | None:
    """A 2xx whose error container names a credential problem."""
    shape, wording = facts.error_shape, facts.wording
    if not facts.refused_in_body or shape is None or wording is None:
        return None
    codes = [facts.scrub(c) or "" for c in shape.codes[:5]]
    messages = [facts.scrub(m) or "" for m in shape.messages[:3]]
    said_text = facts.scrub(wording.said) or wording.said
    # the sentence that holds the words (or the first one), then the code
    first = messages[0] if messages else None
    sentence = next((m for m in messages if said_text.lower() in m.lower()), first)
    code = said_text if wording.source == "code" else (codes[0] if codes else None)
    if sentence is not None:
        said = _quoted(sentence) + (f" (code {code})" if code else "")
    else:
        said = f"the code {code or said_text}"
    partial = ""
    if shape.partial_data:
        fields = ", ".join(shape.paths[:5])
        partial = (
            f" Part of the data came back; the fields refused are {fields}." if fields
            else " Part of the data came back; the rest was refused."
        )
    return make_finding(
        "refusal-in-success-body",
        evidence={
            "status": facts.status,
            "shape": shape.kind,
            "flag": shape.flag,
            "family": wording.family.name,
            "said": said_text,
            "codes": codes,
            "messages": messages,
            "partial_data": shape.partial_data,
            "paths": list(shape.paths[:10]),
            "refused_as": wording.verdict,
        },
        status=status_text(facts.resp),
        where=shape.label,
        said=said,
        means=wording.family.means,
        partial=partial,
        next_step=wording.family.next_step,
    )


def endpoint_not_found(facts: Facts) -> Finding | None:
    """A gateway's "Missing Authentication Token" (AWS API Gateway's answer to an unknown method or path)."""
    if not facts.refused or facts.status >= 500:
        return None
    header = next(iter(header_values(facts.resp.headers, "x-amzn-ErrorType")), None)
    error_type = header.split(":", 1)[0].strip() if header is not None else None
    by_header = error_type == "MissingAuthenticationTokenException"
    message = facts.server_message or ""
    if not (by_header or says("endpoint", message)):
        return None
    sent = bool(facts.credentials)
    if sent:
        credentials_part = (
            "Credentials were sent, so the path, the stage or the method is most likely not deployed (for a "
            "route with IAM authorization it can also mean the request was not signed with AWS Signature "
            "Version 4)."
        )
    else:
        credentials_part = (
            "No credentials were sent either, so check both: the route may need credentials, or may not "
            "exist."
        )
    try:
        path = urlsplit(facts.hop.url).path or "/"
    except ValueError:
        path = "/"
    return make_finding(
        "endpoint-not-found-likely",
        evidence={
            "status": facts.status,
            "message": message or None,
            "error_type": header,
            "method": facts.hop.method,
            "url": mask_url(facts.hop.url, facts.expectations.api_key_names),
            "credentials_sent": sent,
        },
        message=message or "Missing Authentication Token",
        header_part=f" (x-amzn-ErrorType: {error_type})" if error_type else "",
        credentials_part=credentials_part,
        method=facts.hop.method,
        path=path,
    )
