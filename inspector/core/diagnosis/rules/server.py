"""What the server said: missing-challenge, server-error-code, server-message."""

from __future__ import annotations

from collections.abc import Sequence

from inspector.core.diagnosis.facts import Facts, body_sentence
from inspector.core.diagnosis.findings import Finding, make_finding
from inspector.core.diagnosis.wording import code_family, message_family
from inspector.core.exchange import header_values

# RFC 6750 §3.1: the status each error code goes with.
RFC6750_STATUS = {"invalid_request": 400, "invalid_token": 401, "insufficient_scope": 403}


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    out = missing_challenge(facts)
    return out + said(facts)


def check_token_endpoint(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    """The same, for the answer of an OAuth token endpoint (where a message is shown even without a body)."""
    out = missing_challenge(facts, hop="token")
    if facts.refused:
        out += said(facts)
        if not any(f.id == "server-message" for f in out) and facts.server_message:
            out.append(
                make_finding(
                    "server-message", evidence={"message": facts.server_message}, message=facts.server_message
                )
            )
    return out


def missing_challenge(facts: Facts, *, hop: str | None = None) -> list[Finding]:
    """A 401 without WWW-Authenticate (RFC 9110 §15.5.2 requires one)."""
    if facts.status != 401 or header_values(facts.resp.headers, "WWW-Authenticate"):
        return []
    evidence: dict[str, object] = {"status": facts.status}
    if hop is not None:
        evidence["hop"] = hop
    return [make_finding("missing-challenge", evidence=evidence)]


def said(facts: Facts) -> list[Finding]:
    """The error code the server named (with RFC 6750's status for it) and the message in its body."""
    out: list[Finding] = []
    status = facts.status
    # What the message and the code mean (wording.py), said once: on the message when it is recognised. A
    # refusal inside a 2xx, a gateway's missing route and a rate limit say it in their own finding.
    message = facts.scrub(body_sentence(facts.body)) if facts.body and facts.body.message else None
    hit = message_family(message) if message else None
    said_words = hit[0] if hit else None
    said_code = code_family(facts.server_error) if facts.server_error else None
    advise = not facts.refused_in_body and not (
        facts.wording is not None and facts.wording.verdict == "not-credential-related"
    )
    if facts.server_error and facts.refused:  # a healthy 2xx's "code": 0 is not an error
        code = facts.server_error
        where = facts.codes.get(code.lower(), "body")
        ch = next((c for c in facts.challenges + facts.proxy_challenges if c.param("error") == code), None)
        description = (ch.param("error_description") if ch else None) or (
            facts.body.message if facts.body and facts.body.code == code else None
        )
        uri = (ch.param("error_uri") if ch else None) or (facts.body.uri if facts.body else None)
        expected = RFC6750_STATUS.get(code.lower())
        status_part = ""
        if expected and where == "challenge" and expected != status:
            status_part = (
                f" RFC 6750 §3.1 says '{code}' goes with {expected}, but the server answered {status}."
            )
        description = facts.scrub(description)
        out.append(
            make_finding(
                "server-error-code",
                evidence={
                    "code": code,
                    "description": description,
                    "uri": uri,
                    "source": where,
                    "status": status,
                    "expected_status": expected,
                    "wording": said_code.name if said_code else None,
                },
                next_step_part=f"{said_code.next_step} " if advise and said_code and not said_words else "",
                # quoted: the server's own words, verbatim
                description_part=f"\u201c{description.strip().rstrip('.')}\u201d."
                if description and description.strip()
                else f"The server named the error '{code}'.",
                status_part=status_part,
                uri_part=f"See {uri}." if uri else "",
            )
        )
    if facts.body and message is not None and facts.refused:
        out.append(
            make_finding(
                "server-message",
                evidence={
                    "message": message,
                    "shape": facts.body.shape,
                    "description": facts.scrub(facts.body.description),
                    "wording": said_words.name if said_words else None,
                },
                message=message,
                next_step=said_words.next_step if advise and said_words else "",
            )
        )
    return out
