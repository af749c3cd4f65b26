"""RequestSpec and Exchange as plain JSON data and back, for history rows and the HAR `_inspector` field.

Callers mask first (masking.mask_exchange): these functions copy what they are given.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from inspector.core.exchange import Exchange, Hop, Response, TransportFailure
from inspector.core.request import DEFAULT_TIMEOUT_S, Body, FormField, Header, RequestSpec

FORMAT = 1  # bump with a migration in history.py when the shape changes


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


def spec_from_dict(data: Mapping[str, Any]) -> RequestSpec:
    """A RequestSpec from spec_to_dict's output; missing keys take the defaults."""
    body = data.get("body") or {}
    return RequestSpec(
        method=str(data.get("method") or "GET"),
        url=str(data.get("url") or ""),
        headers=tuple(
            Header(str(h[0]), str(h[1]), bool(h[2]) if len(h) > 2 else True)
            for h in data.get("headers") or ()
        ),
        body=Body(
            kind=str(body.get("kind") or "none"),
            text=str(body.get("text") or ""),
            fields=tuple(
                FormField(str(f[0]), str(f[1]), bool(f[2]), bool(f[3]) if len(f) > 3 else True)
                for f in body.get("fields") or ()
            ),
        ),
        timeout_s=float(data.get("timeout_s") or DEFAULT_TIMEOUT_S),
        follow_redirects=bool(data.get("follow_redirects", True)),
        verify_tls=bool(data.get("verify_tls", True)),
        profile=data.get("profile"),
    )


def bytes_to_data(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def bytes_from_data(data: Mapping[str, Any] | None) -> bytes:
    if not data:
        return b""
    if "base64" in data:
        return base64.b64decode(data["base64"])
    return str(data.get("text") or "").encode("utf-8")


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
    }


def hop_from_dict(data: Mapping[str, Any]) -> Hop:
    r = data.get("response")
    response = None
    if r:
        body = bytes_from_data(r.get("body"))
        response = Response(
            status=int(r.get("status") or 0),
            reason=str(r.get("reason") or ""),
            headers=tuple((str(k), str(v)) for k, v in r.get("headers") or ()),
            body=body,
            body_bytes=int(r.get("body_bytes", len(body))),
            body_truncated=bool(r.get("body_truncated", False)),
            http_version=str(r.get("http_version") or "HTTP/1.1"),
        )
    return Hop(
        method=str(data.get("method") or "GET"),
        url=str(data.get("url") or ""),
        sent_headers=tuple((str(k), str(v)) for k, v in data.get("sent_headers") or ()),
        sent_body=bytes_from_data(data.get("sent_body")),
        response=response,
        elapsed_s=float(data.get("elapsed_s") or 0.0),
        sent_at=time_from_text(data.get("sent_at")),
        role=str(data.get("role") or "request"),
        credentials_stripped=tuple(str(n) for n in data.get("credentials_stripped") or ()),
        netrc_applied=bool(data.get("netrc_applied", False)),
    )


def exchange_to_dict(exchange: Exchange) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "spec": spec_to_dict(exchange.spec),
        "hops": [hop_to_dict(h) for h in exchange.hops],
        "error": None
        if exchange.error is None
        else {"kind": exchange.error.kind, "message": exchange.error.message},
        "sent_at": time_to_text(exchange.sent_at),
        "received_at": time_to_text(exchange.received_at),
        "profile_name": exchange.profile_name,
        "token_problem": exchange.token_problem,
        "from_cache": exchange.from_cache,
        "proxy": exchange.proxy,
    }


def exchange_from_dict(data: Mapping[str, Any]) -> Exchange:
    error = data.get("error")
    extra = data.get("extra")  # records written before token_problem and from_cache were fields
    old: Mapping[str, Any] = extra if isinstance(extra, Mapping) else {}
    token_problem = data.get("token_problem") or old.get("token_problem")
    from_cache = data.get("from_cache") or old.get("har_from_cache")
    return Exchange(
        spec=spec_from_dict(data.get("spec") or {}),
        hops=tuple(hop_from_dict(h) for h in data.get("hops") or ()),
        error=TransportFailure(str(error.get("kind") or "other"), str(error.get("message") or ""))
        if error
        else None,
        sent_at=time_from_text(data.get("sent_at")),
        received_at=time_from_text(data.get("received_at")),
        profile_name=data.get("profile_name"),
        token_problem=str(token_problem) if token_problem else None,
        from_cache=str(from_cache) if from_cache else None,
        proxy=str(data.get("proxy") or old.get("proxy") or "") or None,
    )
