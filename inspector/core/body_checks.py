"""What the Body page works out about a request body it holds: whether it is JSON, the JSON indented, and the
secret values in it (masked in the messages under the URL bar). Plain functions of text: the window runs them
in its helper process for a body of megabytes (inspector.core.offload)."""

from __future__ import annotations

import json

from inspector.core.redact import body_secret_values, text_secret_values
from inspector.core.request import CONTENT_TYPE_FOR_KIND


def json_problem(text: str) -> str | None:
    """None when text is a JSON document, else where the mistake is."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        return "Not checked: the JSON is nested too deeply"
    return None


def formatted_json(text: str) -> str | None:
    """The JSON text indented by two, or None when it is not JSON."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (json.JSONDecodeError, RecursionError):
        return None


def body_secrets(text: str, kind: str, parse_limit: int) -> list[str]:
    """The secret values in a body's text: by its structure (JSON, form; up to parse_limit characters) and by
    shape."""
    found = body_secret_values(text, CONTENT_TYPE_FOR_KIND.get(kind)) if len(text) <= parse_limit else []
    return [*found, *text_secret_values(text)]
