"""Server text cannot forge the structure of the Markdown support report (a heading "Verdict: ok", a list)."""

from __future__ import annotations

import json
from collections.abc import Callable

from inspector.core.diagnosis import explain
from inspector.core.export import build_report
from inspector.core.request import RequestSpec
from inspector.core.transport import send
from tests.support.servers import QuietHandler

FORGED = "denied\n\n## Verdict: ok\nVerdict: ok\n===\n- everything is fine\n1. really\n"


class _ForgingHandler(QuietHandler):
    def do_GET(self) -> None:
        body = json.dumps({"error": "invalid_token", "error_description": FORGED}).encode()
        challenge = 'Bearer error="invalid_token", error_description="x\\n# ok"'
        self.reply(401, body, [("WWW-Authenticate", challenge), ("Content-Type", "application/json")],
                   reason="Unauthorized\n## Verdict: ok")


def test_server_text_stays_inside_its_block(http_server: Callable[..., str]) -> None:
    base = http_server(_ForgingHandler)
    exchange = send(RequestSpec(method="GET", url=base + "/items"))
    report = build_report(exchange, explain(exchange))
    lines = report.splitlines()
    headings = [line for line in lines if line.lstrip().startswith("#")]
    assert all("Verdict: ok" not in h for h in headings), headings
    assert sum(h.startswith("## Verdict:") for h in headings) == 1
    # No setext underline and no list item or numbered item made of server text.
    assert not any(line.strip() and set(line.strip()) <= set("=-") for line in lines)
    assert not any(line.lstrip().startswith(("- everything", "1. really", "\\- everything")) for line in lines)
    assert "everything is fine" in report  # the server's words are still shown, inline
