"""The one place that knows what is secret, how to mask it, and how to mask a whole exchange.

Three complementary rules:
- by *name* (rules.py, mask.py): header names, query parameter names, cookie values and JSON keys that carry
  credentials are masked wherever they appear;
- by *value* (values.py, scrub.py): a `Redactor` remembers every secret value that was resolved or seen
  (profile secrets, tokens) and scrubs it from any text, wherever it turns up;
- by *shape* in free text (text.py): messages, status lines, log records, where no name marks a place.
exchange.py applies the first two to a request or a whole exchange: what history, HAR, reports and the CLI
are built from.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from inspector.core.redact.mask import (
    DEFAULT_BODY_CAP,
    KEEP,
    MASK,
    mask,
    mask_body_text,
    mask_cookie,
    mask_header_value,
    mask_headers,
    mask_json_value,
    mask_url,
)
from inspector.core.redact.rules import (
    SECRET_HEADERS,
    SECRET_KEYS,
    SECRET_PARAMS,
    URL_HEADERS,
    VALUE_SCRUB_MIN,
    is_secret_header,
    is_secret_key,
    is_secret_param,
    looks_secret_name,
)
from inspector.core.redact.scrub import NO_SECRETS, Redactor, Scrubber, Secrets, jsonable_tree, scrub_tree
from inspector.core.redact.text import mask_text, text_secret_values
from inspector.core.redact.values import body_secret_values, header_secret_values, url_secret_values

if TYPE_CHECKING:
    from inspector.core.redact.exchange import (
        exchange_redactor,
        exchange_scrubber,
        exchange_secrets,
        mask_body,
        mask_exchange,
        mask_hop,
        mask_spec,
        sent_secret_values,
    )

# The exchange-level names load on first use, not with the package: core.request uses the name rules above
# for its messages, and exchange.py needs core.request, so loading both here would make a cycle.
_EXCHANGE_NAMES = frozenset({
    "exchange_redactor", "exchange_scrubber", "exchange_secrets", "mask_body",
    "mask_exchange", "mask_hop", "mask_spec", "sent_secret_values",
})


def __getattr__(name: str) -> Any:
    if name in _EXCHANGE_NAMES:
        return getattr(import_module("inspector.core.redact.exchange"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DEFAULT_BODY_CAP",
    "KEEP",
    "MASK",
    "NO_SECRETS",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "SECRET_PARAMS",
    "URL_HEADERS",
    "VALUE_SCRUB_MIN",
    "Redactor",
    "Scrubber",
    "Secrets",
    "body_secret_values",
    "exchange_redactor",
    "exchange_scrubber",
    "exchange_secrets",
    "header_secret_values",
    "is_secret_header",
    "is_secret_key",
    "is_secret_param",
    "jsonable_tree",
    "looks_secret_name",
    "mask",
    "mask_body",
    "mask_body_text",
    "mask_cookie",
    "mask_exchange",
    "mask_header_value",
    "mask_headers",
    "mask_hop",
    "mask_json_value",
    "mask_spec",
    "mask_text",
    "mask_url",
    "scrub_tree",
    "sent_secret_values",
    "text_secret_values",
    "url_secret_values",
]
