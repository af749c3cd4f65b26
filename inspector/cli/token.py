"""`token`: inspect a token alone (no network unless --jwks), judged against the local clock.

Exit statuses: 0 nothing wrong was found (or nothing could be judged), 3 a finding of severity error (expired,
bad signature, wrong audience...), 2 bad input (no token, an unreadable key file). Text and --json alike.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING

from inspector.cli.args import EXIT_OK, EXIT_TOKEN_REFUSED, UsageError
from inspector.cli.render import dumps, token_text

if TYPE_CHECKING:
    from inspector.core.diagnosis import Finding


def run(args: argparse.Namespace, out: IO[str]) -> int:
    from inspector.core.diagnosis import Expectations, inspect_alone, strip_scheme
    from inspector.core.jsonout import token_json
    from inspector.core.redact import mask
    from inspector.core.tokens import inspect_token, load_key_file, verify_token

    raw = strip_scheme((_read_stdin() if args.token == "-" else args.token).strip())
    if not raw:
        raise UsageError("No token given: pass it as an argument or on stdin with '-'.")
    key = load_key_file(args.key) if args.key else None
    expectations = Expectations(audience=args.audience, issuer=args.issuer, leeway_s=args.leeway,
                                jwks_url=args.jwks)
    checked = verify_token(inspect_token(raw), key_pem_or_secret=key, jwks_url=args.jwks)
    info, timeline, findings = inspect_alone(raw, expectations, datetime.now(UTC), token=checked)
    doc = token_json(info, timeline) or {}
    # "valid" | "invalid" | "no-key" | "unavailable" | null (no --key or --jwks): what "verified": false means
    doc["verify_outcome"] = info.verify_outcome
    doc["findings"] = [
        {"id": f.id, "severity": f.severity, "title": f.title, "detail": f.detail,
         "evidence": dict(f.evidence)}
        for f in findings
    ]
    if args.json:
        out.write(dumps(doc) + "\n")
    else:
        out.write(token_text(doc, raw if args.show_secrets else mask(raw)))
    return exit_status(findings)


def exit_status(findings: Sequence[Finding]) -> int:
    """3 when any finding is an error (the token would be refused), else 0."""
    return EXIT_TOKEN_REFUSED if any(f.severity == "error" for f in findings) else EXIT_OK


def _read_stdin() -> str:
    """The token piped in; bytes that are not UTF-8 are replaced, not refused (it is judged, not used)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return str(buffer.read().decode("utf-8", errors="replace"))
    return sys.stdin.read()
