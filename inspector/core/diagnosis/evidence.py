"""A finding's evidence as labelled lines a person reads: no `null`s, no internal names, times and durations
in words. The panel, the CLI text and the support report show these; the raw values stay in the JSON and
behind the panel's Details toggle.

    evidence_lines("token-expired", {"remaining_s": -3615.3, ...})
        -> [("Expired", "1 h 0 min before the request"), ...]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from inspector.core.diagnosis.findings import Finding

Line = tuple[str, str]  # (label, value)

# Labels by evidence key; a finding may word a key its own way (by (finding id, key)).
_LABELS: dict[str, str] = {
    "status": "Status",
    "url": "URL",
    "host": "Host",
    "names": "Credentials",
    "from_origin": "Sent to",
    "to_origin": "Redirected to",
    "redirects": "Redirects followed",
    "set_scheme": "Scheme you set",
    "sent_scheme": "Scheme sent",
    "sent": "Scheme sent",
    "challenged": "Schemes the server accepts",
    "scheme": "Scheme",
    "code": "Error code",
    "description": "Description",
    "uri": "More information",
    "source": "Named in",
    "message": "Message",
    "expires_at": "Expires at",
    "reference_time": "Judged at",
    "by_server_clock": "Clock used",
    "not_before": "Not valid before",
    "issued_at": "Issued at",
    "seconds_early": "Too early by",
    "leeway_s": "Leeway",
    "clock_skew_s": "Your clock",
    "server_date": "Server's Date header",
    "sent_at": "Sent at (your clock)",
    "expected": "Expected",
    "actual": "In the token",
    "difference": "Difference",
    "server_said": "The server said",
    "required": "Required scopes",
    "accepted_any_of": "Accepted (any one of)",
    "granted": "Granted scopes",
    "permissions": "Permissions",
    "roles": "Roles (not scopes)",
    "missing": "Missing scopes",
    "sources": "Required by",
    "reason": "Why",
    "kind": "Token type",
    "acr_values": "Sign-in strength asked (acr)",
    "acr": "Sign-in strength in the token (acr)",
    "max_age": "Oldest sign-in accepted",
    "login_age_s": "Your sign-in was",
    "claims_requested": "More claims asked for",
    "dpop_nonce": "DPoP-Nonce header",
    "alg": "Algorithm",
    "enc": "Encryption",
    "signature_empty": "Signature",
    "header_fields": "Header fields",
    "outcome": "Check",
    "kid": "Key id (kid)",
    "error": "Error",
    "length": "Length",
    "charset_requested": "Charset asked for",
    "non_ascii": "Non-ASCII bytes",
    "retry_after": "Retry after",
    "hop": "Answered",
    # what real APIs say beyond the status line (rules/misleading.py, wording.py)
    "flag": "Failure flag",
    "said": "The server said",
    "codes": "Error codes",
    "messages": "Messages",
    "partial_data": "Partial data",
    "paths": "Fields refused",
    "refused_as": "Refused as",
    "error_type": "x-amzn-ErrorType",
    "method": "Method",
    "credentials_sent": "Credentials sent",
    "expected_from": "Expected value from",
}
_FINDING_LABELS: dict[tuple[str, str], str] = {
    ("netrc-override", "sent_scheme"): "Scheme sent from .netrc",
    ("step-up-required", "code"): "The server said",
    ("proxy-auth-required", "challenged"): "Schemes the proxy accepts",
    ("credentials-over-http", "url"): "Sent to",
    ("issuer-mismatch", "actual"): "Issuer in the token",
    ("issuer-mismatch", "expected"): "Issuer expected",
    ("audience-mismatch", "actual"): "Audience in the token",
    ("audience-mismatch", "expected"): "Audience expected",
    ("wrong-token-type", "message"): "The server said",
}
# Keys that only matter to code (how a body was shaped, a format the title already names).
# The status is on every screen's status line already.
_HIDDEN = frozenset({"shape", "format", "problem", "status"})
_WORDS: dict[tuple[str, str], str] = {
    ("source", "challenge"): "the WWW-Authenticate challenge",
    ("source", "body"): "the response body",
    ("sources", "challenge"): "the WWW-Authenticate challenge",
    ("sources", "profile"): "the profile",
    ("hop", "token"): "the OAuth token request",
    ("outcome", "invalid"): "the signature does not match the key",
    ("outcome", "no-key"): "no key matched the token's kid",
    ("outcome", "unavailable"): "the check could not run",
    ("expected_from", "server"): "the server's message",
}


def duration_words(seconds: float) -> str:
    """A duration, sign ignored: '42 s', '4 min 12 s', '1 h 0 min', '2 d 3 h'."""
    total = round(abs(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def time_words(value: str) -> str:
    """An ISO time ('2024-05-01T11:55:48Z') as '2024-05-01 11:55:48 UTC'; other text as it is."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _plain(key: str, value: object) -> str | None:
    """Any value in words; None when there is nothing to say (null, an empty list, a false flag)."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return "yes" if value else None
    if isinstance(value, (int, float)) and key.endswith("_s"):
        return duration_words(float(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        text = _WORDS.get((key, value), value)
        return time_words(text) if key.endswith(("_at", "_date", "_time")) else text
    if isinstance(value, (list, tuple)):
        words = [w for w in (_plain(key, v) for v in value) if w]
        return ", ".join(_WORDS.get((key, w), w) for w in words) if words else None
    if isinstance(value, Mapping):
        pairs = [(str(k), _plain(str(k), v)) for k, v in value.items()]
        return "; ".join(f"{k}: {v}" for k, v in pairs if v) or None
    return str(value)


def _remaining(value: object, evidence: Mapping[str, object]) -> Line | None:
    if not isinstance(value, (int, float)):
        return None
    if value <= 0:
        return ("Expired", f"{duration_words(value)} before the request" if value else "at the request")
    return ("Time left at the request", duration_words(value))


def _skew(value: object, evidence: Mapping[str, object]) -> Line | None:
    if not isinstance(value, (int, float)):
        return None
    side = "behind" if value > 0 else "ahead of"
    return ("Your clock", f"{duration_words(value)} {side} the server's")


def _clock(value: object, evidence: Mapping[str, object]) -> Line | None:
    if not isinstance(value, bool):
        return None
    return ("Clock used", "the server's (its Date header)" if value else "yours (no usable Date header)")


def _expected_status(value: object, evidence: Mapping[str, object]) -> Line | None:
    # only worth a line when the server's status contradicts what RFC 6750 pairs with the code
    if not isinstance(value, int) or value == evidence.get("status"):
        return None
    return ("RFC 6750 status for this code", str(value))


def _max_age(value: object, evidence: Mapping[str, object]) -> Line | None:
    try:
        seconds = float(str(value))
    except ValueError:
        return None
    return ("Oldest sign-in accepted", duration_words(seconds))


def _login_age(value: object, evidence: Mapping[str, object]) -> Line | None:
    if not isinstance(value, (int, float)):
        return None
    return ("Your sign-in was", f"{duration_words(value)} old")


def _signature_empty(value: object, evidence: Mapping[str, object]) -> Line | None:
    return ("Signature", "empty") if value is True else None


def _dpop_nonce(value: object, evidence: Mapping[str, object]) -> Line | None:
    return ("DPoP-Nonce header", "sent by the server") if value is True else None


def _length(value: object, evidence: Mapping[str, object]) -> Line | None:
    return ("Length", f"{value} characters") if isinstance(value, int) else None


def _server_said(value: object, evidence: Mapping[str, object]) -> Line | None:
    if evidence.get("said"):  # its own words for it (Slack's missing_scope): the `said` line shows them
        return None
    return ("The server said", "insufficient_scope") if value is True else None


def _wording(value: object, evidence: Mapping[str, object]) -> Line | None:
    """A wording family (wording.py) by what it means, not by its name."""
    from inspector.core.diagnosis.wording import BY_NAME

    family = BY_NAME.get(str(value)) if value else None
    return ("The words mean", family.means) if family is not None else None


def _actual(value: object, evidence: Mapping[str, object]) -> str | None:
    return _plain("actual", value) or "missing"


_SPECIAL: dict[str, Callable[[object, Mapping[str, object]], Line | None]] = {
    "remaining_s": _remaining,
    "clock_skew_s": _skew,
    "by_server_clock": _clock,
    "expected_status": _expected_status,
    "max_age": _max_age,
    "login_age_s": _login_age,
    "signature_empty": _signature_empty,
    "dpop_nonce": _dpop_nonce,
    "length": _length,
    "server_said": _server_said,
    "family": _wording,
    "wording": _wording,
}


def label_for(finding_id: str, key: str) -> str:
    """The label of an evidence key; one no table names reads as its words ('retry_after': 'Retry after')."""
    return _FINDING_LABELS.get((finding_id, key)) or _LABELS.get(key) or key.replace("_", " ").capitalize()


def evidence_lines(
    finding: Finding | str, evidence: Mapping[str, object] | None = None, *, said: Iterable[str] = ()
) -> list[Line]:
    """A finding's evidence as (label, value) lines in words, leaving out what is empty or internal.

    Pass a Finding, or a finding id with its evidence (the CLI and the report read JSON documents). A value
    the finding's title or detail (or `said`: the banner, say) already says is left out: nothing twice.
    """
    return [(label, value) for _key, label, value in evidence_items(finding, evidence, said=said)]


def evidence_items(
    finding: Finding | str, evidence: Mapping[str, object] | None = None, *, said: Iterable[str] = ()
) -> list[tuple[str, str, str]]:
    """evidence_lines with the evidence key of each line: (key, label, value); the key lets a screen decide
    what to mask."""
    told = "\n".join(said)
    if isinstance(finding, Finding):
        fid, told = finding.id, f"{told}\n{finding.title}\n{finding.detail}"
        ev = finding.evidence if evidence is None else evidence
    else:
        fid, ev = finding, evidence or {}
    items: list[tuple[str, str, str]] = []
    for key, value in ev.items():
        if key in _HIDDEN:
            continue
        special = _SPECIAL.get(key)
        if special is not None:
            line = special(value, ev)
            if line is not None and not (len(line[1]) > 12 and line[1] in told):
                items.append((key, _FINDING_LABELS.get((fid, key), line[0]), line[1]))
            continue
        text = _actual(value, ev) if key == "actual" else _plain(key, value)
        if text is None or (len(text) > 12 and text in told):
            continue
        items.append((key, label_for(fid, key), text))
    return items
