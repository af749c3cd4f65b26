"""The `token` and `diagnosis` objects of the CLI's --json output (shared/specs/cli.md). Never the raw token.

They are written by the one codec (inspector.core.codec); these names stay for the CLI.
"""

from __future__ import annotations

from inspector.core.codec import (
    challenge_json,
    diagnosis_json,
    finding_json,
    iso_utc,
    jsonable,
    timeline_json,
    token_json,
)

__all__ = [
    "challenge_json",
    "diagnosis_json",
    "finding_json",
    "iso_utc",
    "jsonable",
    "timeline_json",
    "token_json",
]
