"""Masked copies of a request and of a whole exchange: what history, HAR, reports and the CLI are built from.

Every surface goes through `mask_exchange` (or `mask_spec`) first, so the name rules are applied in one place
and a Redactor seeded with every secret value seen in the exchange scrubs whatever the name rules missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from inspector.core.bodies import body_text
from inspector.core.exchange import Exchange, Hop
from inspector.core.redact.mask import (
    DEFAULT_BODY_CAP,
    MASK,
    mask,
    mask_body_text,
    mask_header_value,
    mask_headers,
    mask_url,
)
from inspector.core.redact.rules import is_secret_param
from inspector.core.redact.scrub import Redactor, Scrubber
from inspector.core.redact.values import body_secret_values, header_secret_values, url_secret_values
from inspector.core.request import FormField, Header, RequestSpec, effective_content_type

if TYPE_CHECKING:
    from inspector.core.diagnosis import Diagnosis


def sent_secret_values(exchange: Exchange, extra_names: Iterable[str] = ()) -> list[str]:
    """The secret values in every URL and header line of the exchange: cheap (no body is parsed), for a window
    that must scrub what a server echoes back before it shows the response."""
    extra = tuple(extra_names)
    found = url_secret_values(exchange.spec.url, extra)
    for name, value in exchange.spec.enabled_headers():
        found += header_secret_values(name, value, extra)
    for hop in exchange.hops:
        found += url_secret_values(hop.url, extra)
        for name, value in hop.sent_headers:
            found += header_secret_values(name, value, extra)
        if hop.response is not None:
            for name, value in hop.response.headers:
                found += header_secret_values(name, value, extra)
    return [s for s in dict.fromkeys(found) if s]


def exchange_secrets(
    exchange: Exchange, diagnosis: Diagnosis | None = None, extra_names: Iterable[str] = ()
) -> list[str]:
    """Every secret value that was sent or received in this exchange, for a Redactor."""
    extra = tuple(extra_names)
    found: list[str] = []
    spec = exchange.spec
    found += url_secret_values(spec.url, extra)
    for name, value in spec.enabled_headers():
        found += header_secret_values(name, value, extra)
    if spec.body.kind in ("json", "text"):
        found += body_secret_values(spec.body.text, effective_content_type(spec), extra)
    for f in spec.body.fields:
        if not f.is_file and f.value and is_secret_param(f.name, extra):
            found.append(f.value)
    for hop in exchange.hops:
        found += url_secret_values(hop.url, extra)
        for name, value in hop.sent_headers:
            found += header_secret_values(name, value, extra)
        text = body_text(hop.sent_body, hop.sent_header("Content-Type"), exact=True)
        if text:
            found += body_secret_values(text, hop.sent_header("Content-Type"), extra)
        if hop.response is not None:
            for name, value in hop.response.headers:
                found += header_secret_values(name, value, extra)
            text = body_text(hop.response.body, hop.response.content_type, exact=True)
            if text:
                found += body_secret_values(text, hop.response.content_type, extra)
    if diagnosis is not None:
        # a diagnosis read back from a record holds its credential already masked: not a secret to scrub
        if diagnosis.credential is not None and not diagnosis.credential.value.endswith(MASK):
            found.append(diagnosis.credential.value)
        if diagnosis.token is not None:
            found.append(diagnosis.token.raw)
    return [s for s in dict.fromkeys(found) if s]


def exchange_redactor(
    exchange: Exchange, diagnosis: Diagnosis | None = None, extra_names: Iterable[str] = ()
) -> Redactor:
    return Redactor(exchange_secrets(exchange, diagnosis, extra_names))


def exchange_scrubber(
    exchange: Exchange,
    diagnosis: Diagnosis | None = None,
    redactor: Redactor | None = None,
    extra_names: Iterable[str] = (),
) -> Scrubber:
    """The caller's Redactor plus one that knows every secret value seen in this exchange."""
    return Scrubber(redactor, exchange_redactor(exchange, diagnosis, extra_names))


def mask_spec(
    spec: RequestSpec, scrubber: Scrubber | None = None, extra_names: Iterable[str] = ()
) -> RequestSpec:
    """The spec with secret URL parameters, headers and body fields masked (scrubbed, given a scrubber)."""
    extra = tuple(extra_names)
    s = scrubber.scrub if scrubber else _same
    headers = tuple(
        Header(h.name, s(mask_header_value(h.name, h.value, extra)), h.enabled) for h in spec.headers
    )
    body = spec.body
    if body.kind in ("json", "text"):
        body = replace(body, text=s(mask_body_text(body.text, effective_content_type(spec), extra)))
    if body.fields:
        body = replace(
            body,
            fields=tuple(
                FormField(
                    f.name,
                    s(
                        mask(f.value)
                        if not f.is_file and is_secret_param(f.name, extra)
                        else f.value
                    ),
                    f.is_file,
                    f.enabled,
                )
                for f in body.fields
            ),
        )
    return replace(spec, url=s(mask_url(spec.url, extra)), headers=headers, body=body)


def mask_body(
    data: bytes, content_type: str | None, scrubber: Scrubber | None, extra: tuple[str, ...], cap: int | None
) -> tuple[bytes, bool]:
    """(masked body, truncated): JSON and form bodies lose their secret fields; text is scrubbed; capped."""
    truncated = cap is not None and len(data) > cap
    text = body_text(data, content_type, exact=True)
    if text is None:
        cut = data[:cap] if cap is not None else data
        if scrubber is not None:
            # latin-1 maps bytes to characters one to one, so ASCII secrets inside binary data are still found
            cut = scrubber.scrub(cut.decode("latin-1")).encode("latin-1", errors="replace")
        return cut, truncated
    # mask before cutting: a cut JSON document no longer parses, and its secrets would stay readable
    masked = mask_body_text(text, content_type, extra)
    if scrubber is not None:
        masked = scrubber.scrub(masked)
    out = masked.encode("utf-8")
    if cap is not None and len(out) > cap:
        out = out[:cap].decode("utf-8", errors="ignore").encode("utf-8")
        truncated = True
    return out, truncated


def mask_hop(hop: Hop, scrubber: Scrubber | None, extra: tuple[str, ...], cap: int | None) -> Hop:
    s = scrubber.scrub if scrubber else _same
    sent_body, _ = mask_body(hop.sent_body, hop.sent_header("Content-Type"), scrubber, extra, cap)
    response = hop.response
    if response is not None:
        body, truncated = mask_body(response.body, response.content_type, scrubber, extra, cap)
        response = replace(
            response,
            headers=tuple((k, s(v)) for k, v in mask_headers(response.headers, extra)),
            body=body,
            body_truncated=response.body_truncated or truncated,
        )
    return replace(
        hop,
        url=s(mask_url(hop.url, extra)),
        sent_headers=tuple((k, s(v)) for k, v in mask_headers(hop.sent_headers, extra)),
        sent_body=sent_body,
        response=response,
    )


def mask_exchange(
    exchange: Exchange,
    diagnosis: Diagnosis | None = None,
    *,
    redactor: Redactor | None = None,
    extra_names: Iterable[str] = (),
    body_cap: int | None = DEFAULT_BODY_CAP,
) -> Exchange:
    """A copy safe to store or show: every URL, header and body masked by name, then scrubbed by value."""
    extra = tuple(extra_names)
    scrubber = exchange_scrubber(exchange, diagnosis, redactor, extra)
    error = exchange.error
    if error is not None:
        error = replace(error, message=scrubber.scrub(error.message))
    return replace(
        exchange,
        spec=mask_spec(exchange.spec, scrubber, extra),
        hops=tuple(mask_hop(h, scrubber, extra, body_cap) for h in exchange.hops),
        error=error,
        token_problem=scrubber.scrub(exchange.token_problem) if exchange.token_problem else None,
        proxy=scrubber.scrub(exchange.proxy) if exchange.proxy else None,
    )


def _same(text: str) -> str:
    return text
