"""RequestSpec, Exchange and Diagnosis to and from JSON-able dicts: the one codec behind history rows, the HAR
`_inspector` field, the support report and the CLI's --json.

Encoding copies what it is given: callers mask an exchange first (redact.mask_exchange). A diagnosis
is the exception, because it holds the credential itself: its credential is always written masked and its
token without the raw string (the signature could be replayed).

Decoding reads what the encoders wrote, older shapes included: a missing key takes its default and an
unreadable time is left out; anything else that is not what an encoder writes (a list where an object
belongs, a number where a text belongs, an unknown hop role) raises RecordError naming the field, never a
raw AttributeError or IndexError.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from inspector.core.errors import ExportError
from inspector.core.redact import mask
from inspector.core.request import (
    BODY_KINDS,
    DEFAULT_TIMEOUT_S,
    Body,
    BodyKind,
    FormField,
    Header,
    RequestSpec,
)

# An exchange's and a diagnosis's classes are imported by the decoders that build them: the window reads its
# saved tabs (specs only) right after the first paint, and must not pay for the exchange, token and diagnosis
# modules then (tests/core/test_codec_lazy.py).
if TYPE_CHECKING:
    from inspector.core.challenges import Challenge
    from inspector.core.diagnosis.findings import Finding, Severity, Verdict
    from inspector.core.diagnosis.model import Diagnosis
    from inspector.core.exchange import Exchange, Hop, HopRole, TransportFailure
    from inspector.core.timeline import Timeline
    from inspector.core.tokens import SentCredential, TokenInfo

__all__ = [
    "FORMAT",
    "RecordError",
    "bytes_from_data",
    "bytes_to_data",
    "challenge_json",
    "diagnosis_from_dict",
    "diagnosis_json",
    "diagnosis_to_dict",
    "exchange_from_dict",
    "exchange_to_dict",
    "failure_from_dict",
    "failure_to_dict",
    "finding_json",
    "hop_from_dict",
    "hop_to_dict",
    "iso_utc",
    "jsonable",
    "spec_from_dict",
    "spec_to_dict",
    "time_from_text",
    "time_to_text",
    "timeline_json",
    "token_json",
]

FORMAT = 1  # the exchange record's shape; bump with a migration in history.py when it changes

_T = TypeVar("_T")


class RecordError(ExportError):
    """A stored record (history entry, HAR `_inspector` field) is damaged: it names the field that is."""


# --- plain values ------------------------------------------------------------------------------------------


def iso_utc(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z suffix: 2024-05-01T12:00:00Z."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def jsonable(value: object) -> Any:
    """A JSON-serialisable copy: datetimes as ISO UTC, tuples/sets as lists, unknown objects as str."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    return str(value)


def time_to_text(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def time_from_text(text: object) -> datetime | None:
    """An ISO 8601 time as a UTC-aware datetime (naive times are taken as UTC); None when unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def bytes_to_data(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def bytes_from_data(data: object, path: str = "body") -> bytes:
    """bytes_to_data's output back to bytes; RecordError when it is neither of its two shapes."""
    if data is None:
        return b""
    doc = _mapping(data, path)
    if "base64" in doc:
        text = _text(doc, "base64", path, "")
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise RecordError(f"{_where(path, 'base64')} is not valid base64.") from None
    text = _text(doc, "text", path, "")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(f"{_where(path, 'text')} holds characters that are not valid text.") from None


# --- reading a record field by field, naming the field that is damaged ------------------------------------


def _where(path: str, key: str | int | None = None) -> str:
    if key is None:
        full = path
    elif isinstance(key, int):
        full = f"{path}[{key}]"
    else:
        full = f"{path}.{key}" if path else key
    return f"The record's field '{full}'"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "empty" if value is None else type(value).__name__


def _wrong(path: str, key: str | int | None, expected: str, value: object) -> RecordError:
    # the value itself is never quoted: a damaged record may still hold a secret
    return RecordError(f"{_where(path, key)} should be {expected}, not {_kind(value)}.")


def _mapping(value: object, path: str, key: str | int | None = None) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise _wrong(path, key, "an object", value)


def _items(doc: Mapping[str, Any], key: str, path: str) -> Sequence[Any]:
    value = doc.get(key)
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return value
    raise _wrong(path, key, "a list", value)


def _text(doc: Mapping[str, Any], key: str, path: str, default: str) -> str:
    value = doc.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        return value
    raise _wrong(path, key, "a text", value)


def _text_or_none(doc: Mapping[str, Any], key: str, path: str) -> str | None:
    value = doc.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _wrong(path, key, "a text", value)


def _flag(doc: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = doc.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise _wrong(path, key, "true or false", value)


def _integer(doc: Mapping[str, Any], key: str, path: str, default: int) -> int:
    value = doc.get(key)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _wrong(path, key, "a whole number", value)


def _number_or_none(doc: Mapping[str, Any], key: str, path: str) -> float | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise _wrong(path, key, "a number", value)


def _number(doc: Mapping[str, Any], key: str, path: str, default: float) -> float:
    value = _number_or_none(doc, key, path)
    return default if value is None else value


def _choice(doc: Mapping[str, Any], key: str, path: str, choices: tuple[_T, ...], default: _T) -> _T:
    value = doc.get(key)
    if value is None or value == "":
        return default
    for choice in choices:
        if value == choice:
            return choice
    if isinstance(value, str):
        raise RecordError(
            f"{_where(path, key)} is '{value[:40]}', which is none of {', '.join(map(str, choices))}."
        )
    raise _wrong(path, key, f"one of {', '.join(map(str, choices))}", value)


def _texts(doc: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    out = []
    for i, item in enumerate(_items(doc, key, path)):
        if not isinstance(item, str):
            raise _wrong(f"{path}.{key}" if path else key, i, "a text", item)
        out.append(item)
    return tuple(out)


def _row(value: object, path: str, i: int, sizes: tuple[int, ...]) -> Sequence[Any]:
    """One [a, b, ...] row of a list of rows, with one of the allowed lengths."""
    if not isinstance(value, (list, tuple)):
        raise _wrong(path, i, "a list", value)
    if len(value) not in sizes:
        raise RecordError(f"{_where(path, i)} has {len(value)} items, not {' or '.join(map(str, sizes))}.")
    return value


def _lines(doc: Mapping[str, Any], key: str, path: str) -> tuple[tuple[str, str], ...]:
    """Header lines stored as [name, value] pairs."""
    full = f"{path}.{key}" if path else key
    out = []
    for i, item in enumerate(_items(doc, key, path)):
        name, value = _row(item, full, i, (2,))
        if not isinstance(name, str) or not isinstance(value, str):
            raise RecordError(f"{_where(full, i)} should hold two texts, a header name and its value.")
        out.append((name, value))
    return tuple(out)


def _decoded(decode: Callable[[], _T]) -> _T:
    """Run a decoder; a deeply nested forgery ends as RecordError too, not as a RecursionError."""
    try:
        return decode()
    except RecursionError:
        raise RecordError("The record is nested too deeply to be one this app wrote.") from None


# --- RequestSpec -------------------------------------------------------------------------------------------


def spec_to_dict(spec: RequestSpec) -> dict[str, Any]:
    return {
        "method": spec.method,
        "url": spec.url,
        "headers": [[h.name, h.value, h.enabled] for h in spec.headers],
        "body": {
            "kind": spec.body.kind,
            "text": spec.body.text,
            "fields": [[f.name, f.value, f.is_file, f.enabled] for f in spec.body.fields],
        },
        "timeout_s": spec.timeout_s,
        "follow_redirects": spec.follow_redirects,
        "verify_tls": spec.verify_tls,
        "profile": spec.profile,
    }


def spec_from_dict(data: object, path: str = "spec") -> RequestSpec:
    """A RequestSpec from spec_to_dict's output; missing keys take the defaults. RecordError when damaged."""
    return _decoded(lambda: _spec(data, path))


def _spec(data: object, path: str) -> RequestSpec:
    doc = _mapping(data, path)
    headers = []
    for i, item in enumerate(_items(doc, "headers", path)):
        row = _row(item, f"{path}.headers", i, (2, 3))
        if not all(isinstance(x, str) for x in row[:2]) or (len(row) == 3 and not isinstance(row[2], bool)):
            raise RecordError(f"{_where(f'{path}.headers', i)} should be [name, value, enabled].")
        headers.append(Header(row[0], row[1], row[2] if len(row) == 3 else True))
    body_path = f"{path}.body"
    body = _mapping(doc.get("body") or {}, body_path)
    fields = []
    for i, item in enumerate(_items(body, "fields", body_path)):
        row = _row(item, f"{body_path}.fields", i, (3, 4))
        if not all(isinstance(x, str) for x in row[:2]) or not all(isinstance(x, bool) for x in row[2:]):
            raise RecordError(
                f"{_where(f'{body_path}.fields', i)} should be [name, value, is_file, enabled]."
            )
        fields.append(FormField(row[0], row[1], row[2], row[3] if len(row) == 4 else True))
    kind: BodyKind = _choice(body, "kind", body_path, BODY_KINDS, "none")
    timeout = _number(doc, "timeout_s", path, DEFAULT_TIMEOUT_S)
    return RequestSpec(
        method=_text(doc, "method", path, "") or "GET",
        url=_text(doc, "url", path, ""),
        headers=tuple(headers),
        body=Body(kind=kind, text=_text(body, "text", body_path, ""), fields=tuple(fields)),
        timeout_s=timeout or DEFAULT_TIMEOUT_S,  # 0 was never a timeout a user chose
        follow_redirects=_flag(doc, "follow_redirects", path, True),
        verify_tls=_flag(doc, "verify_tls", path, True),
        profile=_text_or_none(doc, "profile", path),
    )


# --- Exchange ----------------------------------------------------------------------------------------------


def hop_to_dict(hop: Hop) -> dict[str, Any]:
    response = hop.response
    return {
        "method": hop.method,
        "url": hop.url,
        "sent_headers": [list(kv) for kv in hop.sent_headers],
        "sent_body": bytes_to_data(hop.sent_body),
        "response": None
        if response is None
        else {
            "status": response.status,
            "reason": response.reason,
            "headers": [list(kv) for kv in response.headers],
            "body": bytes_to_data(response.body),
            "body_bytes": response.body_bytes,
            "body_truncated": response.body_truncated,
            "http_version": response.http_version,
        },
        "elapsed_s": hop.elapsed_s,
        "sent_at": time_to_text(hop.sent_at),
        "role": hop.role,
        "credentials_stripped": list(hop.credentials_stripped),
        "netrc_applied": hop.netrc_applied,
        **_sign_in_to_dict(hop),
    }


def _sign_in_to_dict(hop: Hop) -> dict[str, Any]:
    """The profile's cookies on a hop (names and attributes, never values) and a failed handshake, described;
    only when there are any, so records without them stay as they were."""
    out: dict[str, Any] = {}
    if hop.cookies_sent:
        out["cookies_sent"] = list(hop.cookies_sent)
    if hop.cookies_held:
        out["cookies_held"] = [{"name": c.name, "domain": c.domain, "path": c.path, "reason": c.reason,
                                "detail": c.detail} for c in hop.cookies_held]
    if hop.cookies_set:
        out["cookies_set"] = [{"name": c.name, "domain": c.domain, "path": c.path, "secure": c.secure,
                               "http_only": c.http_only, "host_only": c.host_only,
                               "expires": time_to_text(c.expires), "same_site": c.same_site,
                               "removed": c.removed, "rejected": c.rejected} for c in hop.cookies_set]
    if hop.tls is not None:
        t = hop.tls
        cert = t.certificate
        out["tls"] = {
            "reason": t.reason, "host": t.host, "port": t.port, "client_cert_sent": t.client_cert_sent,
            "client_cert_requested": t.client_cert_requested, "alert": t.alert, "ca_bundle": t.ca_bundle,
            "checked_at": time_to_text(t.checked_at),
            "certificate": None if cert is None else {
                "subject": cert.subject, "issuer": cert.issuer, "not_before": time_to_text(cert.not_before),
                "not_after": time_to_text(cert.not_after), "sha256": cert.sha256,
                "dns_names": list(cert.dns_names), "ip_addresses": list(cert.ip_addresses),
                "self_signed": cert.self_signed},
        }
    return out


def _sign_in_from_dict(doc: Mapping[str, Any], path: str) -> dict[str, Any]:
    from inspector.core.exchange import CookieNote, HeldCookie, ServerCertificate, TlsReport

    out: dict[str, Any] = {"cookies_sent": _texts(doc, "cookies_sent", path)}
    held = []
    for i, item in enumerate(_items(doc, "cookies_held", path)):
        c = _mapping(item, f"{path}.cookies_held", i)
        where = f"{path}.cookies_held[{i}]"
        held.append(HeldCookie(_text(c, "name", where, ""), _text(c, "domain", where, ""),
                               _text(c, "path", where, "/"), _text(c, "reason", where, ""),
                               _text(c, "detail", where, "")))
    out["cookies_held"] = tuple(held)
    notes = []
    for i, item in enumerate(_items(doc, "cookies_set", path)):
        c = _mapping(item, f"{path}.cookies_set", i)
        where = f"{path}.cookies_set[{i}]"
        notes.append(CookieNote(_text(c, "name", where, ""), _text(c, "domain", where, ""),
                                _text(c, "path", where, "/"), _flag(c, "secure", where, False),
                                _flag(c, "http_only", where, False), _flag(c, "host_only", where, True),
                                time_from_text(c.get("expires")), _text_or_none(c, "same_site", where),
                                _flag(c, "removed", where, False), _text_or_none(c, "rejected", where)))
    out["cookies_set"] = tuple(notes)
    if doc.get("tls"):
        where = f"{path}.tls"
        t = _mapping(doc["tls"], where)
        cert = None
        if t.get("certificate"):
            cw = f"{where}.certificate"
            c = _mapping(t["certificate"], cw)
            cert = ServerCertificate(
                _text(c, "subject", cw, ""), _text(c, "issuer", cw, ""),
                time_from_text(c.get("not_before")) or datetime(1970, 1, 1, tzinfo=UTC),
                time_from_text(c.get("not_after")) or datetime(1970, 1, 1, tzinfo=UTC),
                _text(c, "sha256", cw, ""), _texts(c, "dns_names", cw), _texts(c, "ip_addresses", cw),
                _flag(c, "self_signed", cw, False))
        requested = t.get("client_cert_requested")
        out["tls"] = TlsReport(
            _text(t, "reason", where, ""), _text(t, "host", where, ""), _integer(t, "port", where, 0),
            _flag(t, "client_cert_sent", where, False), requested if isinstance(requested, bool) else None,
            _text_or_none(t, "alert", where), cert, _text_or_none(t, "ca_bundle", where),
            time_from_text(t.get("checked_at")))
    return out


def hop_from_dict(data: object, path: str = "hop") -> Hop:
    """A Hop from hop_to_dict's output. RecordError when damaged."""
    return _decoded(lambda: _hop(data, path))


def _hop(data: object, path: str) -> Hop:
    from inspector.core.exchange import HOP_ROLES, Hop, Response

    doc = _mapping(data, path)
    response = None
    if doc.get("response"):
        r_path = f"{path}.response"
        r = _mapping(doc["response"], r_path)
        body = bytes_from_data(r.get("body"), f"{r_path}.body")
        response = Response(
            status=_integer(r, "status", r_path, 0),
            reason=_text(r, "reason", r_path, ""),
            headers=_lines(r, "headers", r_path),
            body=body,
            body_bytes=_integer(r, "body_bytes", r_path, len(body)),
            body_truncated=_flag(r, "body_truncated", r_path, False),
            http_version=_text(r, "http_version", r_path, "") or "HTTP/1.1",
        )
    role: HopRole = _choice(doc, "role", path, HOP_ROLES, "request")
    return Hop(
        method=_text(doc, "method", path, "") or "GET",
        url=_text(doc, "url", path, ""),
        sent_headers=_lines(doc, "sent_headers", path),
        sent_body=bytes_from_data(doc.get("sent_body"), f"{path}.sent_body"),
        response=response,
        elapsed_s=_number(doc, "elapsed_s", path, 0.0),
        sent_at=time_from_text(doc.get("sent_at")),
        role=role,
        credentials_stripped=_texts(doc, "credentials_stripped", path),
        netrc_applied=_flag(doc, "netrc_applied", path, False),
        **_sign_in_from_dict(doc, path),
    )


def failure_to_dict(failure: TransportFailure | None) -> dict[str, str] | None:
    """The `error` of a record and of `send --json`: {"kind", "message"}."""
    return None if failure is None else {"kind": failure.kind, "message": failure.message}


def failure_from_dict(data: object, path: str = "error") -> TransportFailure | None:
    """failure_to_dict's output back; an unknown kind reads as "other". RecordError when damaged."""
    from inspector.core.exchange import TransportFailure, as_error_kind

    if not data:
        return None
    doc = _mapping(data, path)
    # "other" is the kind for what has no kind of its own, a kind a newer version added included
    return TransportFailure(as_error_kind(_text(doc, "kind", path, "other")), _text(doc, "message", path, ""))


def exchange_to_dict(exchange: Exchange) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "spec": spec_to_dict(exchange.spec),
        "hops": [hop_to_dict(h) for h in exchange.hops],
        "error": failure_to_dict(exchange.error),
        "sent_at": time_to_text(exchange.sent_at),
        "received_at": time_to_text(exchange.received_at),
        "profile_name": exchange.profile_name,
        "token_problem": exchange.token_problem,
        "from_cache": exchange.from_cache,
        "proxy": exchange.proxy,
    }


def exchange_from_dict(data: object) -> Exchange:
    """An Exchange from exchange_to_dict's output. RecordError naming the field when it is damaged."""
    return _decoded(lambda: _exchange(data))


def _exchange(data: object) -> Exchange:
    from inspector.core.exchange import Exchange

    doc = _mapping(data, "", "exchange")
    version = _integer(doc, "format", "", FORMAT)
    if version > FORMAT:
        raise RecordError(
            f"The record has format {version}, written by a newer version of the app (this one reads up to "
            f"{FORMAT}): update the app to read it."
        )
    # records written before these were fields kept them in an "extra" object
    old = _mapping(doc.get("extra") or {}, "", "extra")

    def note(key: str, old_key: str) -> str | None:
        value = _text_or_none(doc, key, "")
        if value is None and old.get(old_key) is not None:
            value = str(old[old_key])
        return value or None

    return Exchange(
        spec=spec_from_dict(doc.get("spec") or {}, "spec"),
        hops=tuple(hop_from_dict(h, f"hops[{i}]") for i, h in enumerate(_items(doc, "hops", ""))),
        error=failure_from_dict(doc.get("error")),
        sent_at=time_from_text(doc.get("sent_at")),
        received_at=time_from_text(doc.get("received_at")),
        profile_name=_text_or_none(doc, "profile_name", ""),
        token_problem=note("token_problem", "token_problem"),
        from_cache=note("from_cache", "har_from_cache"),
        proxy=note("proxy", "proxy"),
    )


# --- Diagnosis ---------------------------------------------------------------------------------------------


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def _exact(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def timeline_json(tl: Timeline | None, *, exact: bool = False) -> dict[str, Any] | None:
    """The `timeline` object of shared/specs/cli.md (durations to the millisecond). `exact`: every field at
    full precision, for a record that must read back the same Timeline."""
    if tl is None:
        return None
    seconds = _exact if exact else _seconds
    out: dict[str, Any] = {
        "issued_at": iso_utc(tl.issued_at),
        "not_before": iso_utc(tl.not_before),
        "expires_at": iso_utc(tl.expires_at),
        "auth_time": iso_utc(tl.auth_time),
        "sent_at": iso_utc(tl.sent_at),
        "server_date": iso_utc(tl.server_date),
        "clock_skew_s": seconds(tl.clock_skew_s),
        "remaining_s": seconds(tl.remaining_s),
        "lifetime_s": seconds(tl.lifetime_s),
        # additions beyond the contract
        "age_s": seconds(tl.age_s),
        "leeway_s": seconds(tl.leeway_s),
        "judged_at": iso_utc(tl.reference_time),
        "by_server_clock": tl.by_server_clock,
    }
    if exact:
        out.update(now=iso_utc(tl.now), date_note=tl.date_note, elapsed_s=_exact(tl.elapsed_s))
    return out


def token_json(info: TokenInfo | None, timeline: Timeline | None) -> dict[str, Any] | None:
    """The `token` object: format, header, claims, verified, timeline. None when no token was sent.
    Never the raw token."""
    if info is None:
        return None
    return {
        "format": info.format,
        "header": jsonable(info.header),
        "claims": jsonable(info.claims),
        "verified": bool(info.verified),
        "timeline": timeline_json(timeline) if info.format == "jws" else None,
        "verify_error": info.verify_error,
        "decode_error": info.decode_error,
    }


def challenge_json(ch: Challenge) -> dict[str, Any]:
    return {"scheme": ch.scheme, "token68": ch.token68, "params": dict(ch.params)}


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "severity": f.severity,
        "title": f.title,
        "detail": f.detail,
        "evidence": jsonable(f.evidence),
        "next_step": f.next_step,
    }


def diagnosis_json(d: Diagnosis) -> dict[str, Any]:
    """The `diagnosis` object of `send --json`: verdict, summary, challenges (parsed from the raw lines),
    findings, and extras. The CLI prints the token beside it (token_json)."""
    return {
        "verdict": d.verdict,
        "summary": d.summary,
        "challenges": [challenge_json(c) for c in d.challenges],
        "proxy_challenges": [challenge_json(c) for c in d.proxy_challenges],
        "findings": [finding_json(f) for f in d.findings],
        "server_error": d.server_error,
        "server_message": d.server_message,
        "missing_evidence": list(d.missing_evidence),
    }


def diagnosis_to_dict(diagnosis: Diagnosis | None) -> dict[str, Any] | None:
    """The diagnosis as a record: the CLI's object plus its token, timeline, each finding's summary and where
    the credential was (masked). diagnosis_from_dict reads it back.

    Never the raw credential: the token keeps its header and claims only (its signature could be replayed).
    """
    if diagnosis is None:
        return None
    out = diagnosis_json(diagnosis)
    for doc, finding in zip(out["findings"], diagnosis.findings, strict=True):
        doc["summary"] = finding.summary
    token = token_json(diagnosis.token, diagnosis.timeline)
    if token is not None and diagnosis.token is not None:
        token["verify_outcome"] = diagnosis.token.verify_outcome
    out["token"] = token
    out["timeline"] = timeline_json(diagnosis.timeline, exact=True)
    credential = diagnosis.credential
    out["credential"] = (
        None
        if credential is None
        else {
            "where": credential.where,
            "name": credential.name,
            "scheme": credential.scheme,
            "value": mask(credential.value),
        }
    )
    return out


def diagnosis_from_dict(data: object, path: str = "diagnosis") -> Diagnosis:
    """A Diagnosis from diagnosis_to_dict's output (or the CLI's `diagnosis` object). The raw token was never
    stored: the rebuilt TokenInfo has its header and claims but no token string. RecordError when damaged."""
    return _decoded(lambda: _diagnosis(data, path))


def _diagnosis(data: object, path: str) -> Diagnosis:
    from inspector.core.diagnosis.findings import VERDICTS
    from inspector.core.diagnosis.model import Diagnosis

    doc = _mapping(data, path)
    verdict: Verdict = _choice(doc, "verdict", path, VERDICTS, "not-credential-related")
    token_doc = doc.get("token")
    token = None if token_doc is None else _token(token_doc, f"{path}.token")
    timeline_doc = doc.get("timeline")
    if timeline_doc is None and isinstance(token_doc, Mapping):
        timeline_doc = token_doc.get("timeline")  # records written before the timeline had its own key
    return Diagnosis(
        verdict=verdict,
        summary=_text(doc, "summary", path, ""),
        findings=tuple(
            _finding(f, f"{path}.findings", i) for i, f in enumerate(_items(doc, "findings", path))
        ),
        challenges=_challenges(doc, "challenges", path),
        proxy_challenges=_challenges(doc, "proxy_challenges", path),
        credential=_credential(doc.get("credential"), f"{path}.credential"),
        token=token,
        timeline=_timeline(timeline_doc, f"{path}.timeline"),
        server_error=_text_or_none(doc, "server_error", path),
        server_message=_text_or_none(doc, "server_message", path),
        missing_evidence=_texts(doc, "missing_evidence", path),
    )


def _finding(data: object, path: str, i: int) -> Finding:
    from inspector.core.diagnosis.findings import SEVERITIES, Finding

    doc = _mapping(data, path, i)
    here = f"{path}[{i}]"
    severity: Severity = _choice(doc, "severity", here, SEVERITIES, "info")
    evidence = _mapping(doc.get("evidence") or {}, here, "evidence")
    return Finding(
        id=_text(doc, "id", here, ""),
        severity=severity,
        title=_text(doc, "title", here, ""),
        detail=_text(doc, "detail", here, ""),
        evidence={str(k): v for k, v in evidence.items()},
        next_step=_text(doc, "next_step", here, ""),
        summary=_text(doc, "summary", here, ""),
    )


def _challenges(doc: Mapping[str, Any], key: str, path: str) -> tuple[Challenge, ...]:
    from inspector.core.challenges import Challenge

    out = []
    for i, item in enumerate(_items(doc, key, path)):
        here = f"{path}.{key}[{i}]"
        c = _mapping(item, f"{path}.{key}", i)
        params = _mapping(c.get("params") or {}, here, "params")
        if not all(isinstance(v, str) for v in params.values()):
            raise RecordError(f"{_where(here, 'params')} should map names to texts.")
        out.append(
            Challenge(
                _text(c, "scheme", here, ""),
                _text_or_none(c, "token68", here),
                {str(k): v for k, v in params.items()},
            )
        )
    return tuple(out)


def _credential(data: object, path: str) -> SentCredential | None:
    from inspector.core.tokens import SentCredential

    if data is None:
        return None
    doc = _mapping(data, path)
    return SentCredential(
        _text(doc, "where", path, ""),
        _text(doc, "name", path, ""),
        _text_or_none(doc, "scheme", path),
        _text(doc, "value", path, ""),
    )


def _token(data: object, path: str) -> TokenInfo:
    from inspector.core.tokens import TokenInfo

    doc = _mapping(data, path)
    return TokenInfo(
        format=_text(doc, "format", path, "") or "opaque",
        raw="",
        header=dict(_mapping(doc.get("header") or {}, path, "header")),
        claims=dict(_mapping(doc.get("claims") or {}, path, "claims")),
        verified=_flag(doc, "verified", path, False),
        verify_error=_text_or_none(doc, "verify_error", path),
        decode_error=_text_or_none(doc, "decode_error", path),
        verify_outcome=_text_or_none(doc, "verify_outcome", path),
    )


def _timeline(data: object, path: str) -> Timeline | None:
    from inspector.core.timeline import Timeline

    if data is None:
        return None
    doc = _mapping(data, path)
    reference = time_from_text(doc.get("judged_at"))
    sent = time_from_text(doc.get("sent_at"))
    # records written before "now" was kept: the instant it was judged at is the best stand-in
    now = time_from_text(doc.get("now")) or reference or sent or datetime.now(UTC)
    return Timeline(
        now=now,
        leeway_s=_number(doc, "leeway_s", path, 60.0),
        issued_at=time_from_text(doc.get("issued_at")),
        not_before=time_from_text(doc.get("not_before")),
        expires_at=time_from_text(doc.get("expires_at")),
        auth_time=time_from_text(doc.get("auth_time")),
        sent_at=sent,
        server_date=time_from_text(doc.get("server_date")),
        clock_skew_s=_number_or_none(doc, "clock_skew_s", path),
        remaining_s=_number_or_none(doc, "remaining_s", path),
        lifetime_s=_number_or_none(doc, "lifetime_s", path),
        age_s=_number_or_none(doc, "age_s", path),
        reference_time=reference,
        by_server_clock=_flag(doc, "by_server_clock", path, False),
        date_note=_text_or_none(doc, "date_note", path),
        elapsed_s=_number(doc, "elapsed_s", path, 0.0),
    )
