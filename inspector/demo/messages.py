"""What the demo API's endpoints take and give: a parsed request, a reply, and the bad-request error.

Shared by server.py and the endpoint modules beside it (identity.py, tls.py), so those need not import the
server that wires them in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

__all__ = ["BadRequest", "DemoRequest", "Reply", "json_reply", "text_reply"]


class BadRequest(Exception):
    """A request the demo cannot use; answered with `status` (400 unless said) and this sentence."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------------------------------------------------
# Requests and replies
@dataclass(frozen=True)
class DemoRequest:
    method: str
    target: str  # the request target as sent (path and query)
    path: str
    query: dict[str, list[str]]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    groups: tuple[str, ...] = ()  # what the route's pattern captured

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def host(self) -> str:
        return self.header("Host") or ""

    def form(self) -> dict[str, str]:
        """The fields of a form (urlencoded) or JSON object body, each its first value as text; ValueError
        when a JSON body does not parse."""
        if "json" in (self.header("Content-Type") or "").lower():
            doc = json.loads(self.body or b"{}")
            return {str(k): str(v) for k, v in doc.items()} if isinstance(doc, dict) else {}
        from urllib.parse import parse_qs

        pairs = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in pairs.items()}


@dataclass
class Reply:
    status: int
    body: bytes | tuple[bytes, ...] = b""
    content_type: str | None = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    date_offset_s: float = 0.0  # shifts the Date header (the clock-skew scenarios)


def json_reply(
    status: int,
    obj: object,
    *headers: tuple[str, str],
    content_type: str = "application/json",
    date_offset_s: float = 0.0,
) -> Reply:
    body = (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return Reply(status, body, content_type, list(headers), date_offset_s)


def text_reply(status: int, text: str, content_type: str, *headers: tuple[str, str]) -> Reply:
    return Reply(status, text.encode("utf-8"), content_type, list(headers))
