"""Where a body says that a call failed, whatever the status: the error containers of JSON bodies (a
GraphQL `errors` list, an RPC-style `ok: false`, an `error` value) and SOAP faults, with every code and
message in them.

A 2xx whose body has no such container is never a failure: an `error` holding null or false, an empty
`errors` list and a GraphQL response with data and no errors are success.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from inspector.core.bodies import PREFIX_BYTES, BodyMessage

_MAX_ITEMS = 10
_MAX_TEXT = 500
# Top-level flags that say the call failed ({"ok": false} Slack, Telegram; {"success": false} Cloudflare;
# {"status": "error"} HubSpot, Mandrill; {"status": "REQUEST_DENIED"} Google Maps; {"stat": "fail"} Flickr;
# {"result": "error"} Zulip).
_FALSE_FLAGS = ("ok", "success", "succeeded")
_WORD_FLAGS = ("status", "stat", "result", "outcome")
_FAILURE_WORDS = frozenset(
    {"error", "errors", "fail", "failed", "failure", "denied", "request_denied", "unauthorized", "forbidden",
     "unauthenticated", "rejected"}
)
# Numeric codes that mean failure when not zero (WeChat errcode, Telegram error_code)
_NONZERO_FLAGS = ("errcode", "error_code")
# Numeric codes that mean failure when they look like an HTTP error status ({"code": 401, "msg": ...})
_STATUS_FLAGS = ("code", "status", "statuscode", "status_code")
_CODE_KEYS = ("code", "error_code", "errorcode", "errcode", "type", "name", "reason", "category",
              "subcategory", "status", "__type", "issue", "faultcode")
_MESSAGE_KEYS = ("message", "msg", "error_description", "error_message", "errmsg", "errorsummary",
                 "errormessages", "description", "detail", "title", "faultstring", "reason")


@dataclass(frozen=True)
class ErrorShape:
    """An error container found in a body: what kind, whether it says the call failed, and what it says."""

    kind: str  # "graphql" | "rpc" | "soap" | "error" (an error value or errors list of another shape)
    failed: bool  # the body says the call failed: a non-empty errors list, an error value, a failure flag
    flag: str | None = None  # the failure flag as sent: 'ok: false', 'status: "REQUEST_DENIED"', ...
    codes: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    partial_data: bool = False  # GraphQL: some data came back beside the errors
    paths: tuple[str, ...] = ()  # GraphQL: the fields the errors are about
    needed_scopes: tuple[str, ...] = ()  # Slack's `needed` beside missing_scope
    granted_scopes: tuple[str, ...] | None = None  # Slack's `provided`
    status_code: int | None = None  # an HTTP error status the body states itself ({"code": 401, ...})

    @property
    def label(self) -> str:
        """Where the refusal was read, in words: "GraphQL errors list", "body (ok: false)", ..."""
        if self.kind == "graphql":
            return "GraphQL errors list"
        if self.kind == "soap":
            return "SOAP fault"
        if self.flag:
            return f"body ({self.flag})"
        return "error field"


def read_error_shape(body: bytes, content_type: str | None, message: BodyMessage | None) -> ErrorShape | None:
    """The error container of a body, or None when it has none. Never raises; reads at most PREFIX_BYTES."""
    if message is not None and message.shape == "soap":
        return ErrorShape(
            "soap",
            True,
            codes=tuple(c for c in (message.code,) if c),
            messages=tuple(m for m in (message.message,) if m),
        )
    if not body or len(body) > PREFIX_BYTES or body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return None  # only a whole JSON object can be read (a cut one says nothing for sure)
    try:
        obj = json.loads(body)  # bytes: JSON's own encoding detection (UTF-8, -16, -32, a BOM)
    except (ValueError, RecursionError):
        return None
    return _from_object(obj) if isinstance(obj, Mapping) else None


def _lower(obj: Mapping[str, object]) -> dict[str, object]:
    return {k.lower(): v for k, v in list(obj.items())[:200] if isinstance(k, str)}


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:_MAX_TEXT]
    return None


def _empty(value: object) -> bool:
    """null, false, 0, "", [] and {}: a field that names no error."""
    return value is None or value is False or value == 0 or value in ("", [], {})


class _Collector:
    def __init__(self) -> None:
        self.codes: list[str] = []
        self.messages: list[str] = []
        self.paths: list[str] = []

    def code(self, value: object) -> None:
        text = _text(value)
        if text and len(text) <= 120 and text not in self.codes and len(self.codes) < 30:
            self.codes.append(text)

    def message(self, value: object) -> None:
        if isinstance(value, list):
            for item in value[:_MAX_ITEMS]:
                self.message(item)
            return
        text = _text(value)
        if text and text not in self.messages and len(self.messages) < 30:
            self.messages.append(text)

    def error_value(self, value: object, depth: int = 0) -> None:
        """An `error`/`errors`/`fault` value: a code word, a sentence, an object or a list of them."""
        if depth > 3:
            return
        if isinstance(value, str):
            text = value.strip()
            # "invalid_auth" is a code; "Couldn't authenticate you" is a sentence
            (self.code if text and " " not in text and len(text) <= 80 else self.message)(text)
        elif isinstance(value, list):
            for item in value[:_MAX_ITEMS]:
                self.error_value(item, depth + 1)
        elif isinstance(value, Mapping):
            fields = _lower(value)
            for key in _CODE_KEYS:
                if key in fields and not isinstance(fields[key], (bool, int, float)):
                    self.code(fields[key])
            for key in _MESSAGE_KEYS:
                if key in fields:
                    self.message(fields[key])
            extensions = fields.get("extensions")
            if isinstance(extensions, Mapping):  # GraphQL: extensions.code
                self.error_value(extensions, depth + 1)
            path = fields.get("path")
            if isinstance(path, list) and path and len(self.paths) < _MAX_ITEMS:
                self.paths.append(".".join(str(p) for p in path[:_MAX_ITEMS]))
            for key in ("details", "error", "errors", "innererror", "error_chain", "detail"):
                inner = fields.get(key)
                if isinstance(inner, (list, Mapping)):
                    self.error_value(inner, depth + 1)


def _flag(fields: Mapping[str, object]) -> str | None:
    for key in _FALSE_FLAGS:
        if fields.get(key) is False:
            return f"{key}: false"
    for key in _WORD_FLAGS:
        value = fields.get(key)
        if isinstance(value, str) and value.strip().lower() in _FAILURE_WORDS:
            return f'{key}: "{value.strip()[:40]}"'
    for key in _NONZERO_FLAGS:
        value = fields.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value != 0:
            return f"{key}: {value}"
    for key in _STATUS_FLAGS:
        value = fields.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 400 <= value <= 599:
            return f"{key}: {value}"
    return None


def _stated_status(fields: Mapping[str, object]) -> int | None:
    """An HTTP error status stated in the body, top level or in its error object (Google's error.code)."""
    error = fields.get("error")
    places = [fields, _lower(error) if isinstance(error, Mapping) else {}]
    for place in places:
        for key in (*_STATUS_FLAGS, "error_code"):
            value = place.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 400 <= value <= 599:
                return value
    return None


def _scope_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(s for s in value.replace(",", " ").split() if s)[:_MAX_ITEMS * 3]
    if isinstance(value, list):
        return tuple(str(s) for s in value[: _MAX_ITEMS * 3] if isinstance(s, str))
    return ()


def _from_object(obj: Mapping[str, object]) -> ErrorShape | None:
    fields = _lower(obj)
    errors = fields.get("errors")
    error = fields.get("error")
    fault = fields.get("fault")
    flag = _flag(fields)
    has_errors = not _empty(errors) and isinstance(errors, (list, Mapping, str))
    has_error = not _empty(error) and isinstance(error, (str, Mapping, list))
    has_fault = isinstance(fault, Mapping) and bool(fault)
    if not (has_errors or has_error or has_fault or flag):
        return None
    found = _Collector()
    if has_errors:
        found.error_value(errors)
    if has_error:
        found.error_value(error)
    if has_fault:  # Apigee {"fault": {"faultstring": ..., "detail": {"errorcode": ...}}}
        found.error_value(fault)
    if flag:  # the flag's siblings say why: {"ok": false, "error": "invalid_auth"}, {"stat": "fail", ...}
        found.error_value({k: v for k, v in fields.items() if k not in ("error", "errors", "fault")})
    data = fields.get("data")
    graphql = has_errors and isinstance(errors, list) and (
        "data" in fields
        or any(isinstance(e, Mapping) and bool({"extensions", "locations", "path"} & set(_lower(e)))
               for e in errors)
    )
    kind = "graphql" if graphql else "rpc" if flag else "error"
    partial = graphql and isinstance(data, Mapping) and any(v is not None for v in data.values())
    return ErrorShape(
        kind,
        True,
        flag=flag,
        codes=tuple(found.codes),
        messages=tuple(found.messages),
        partial_data=bool(partial),
        paths=tuple(found.paths),
        needed_scopes=_scope_list(fields.get("needed")),
        granted_scopes=_scope_list(fields["provided"]) if "provided" in fields else None,
        status_code=_stated_status(fields),
    )
