"""One exception base per area. Every message is a full sentence a user can act on."""

from __future__ import annotations

from typing import Literal

# Why nothing usable came back (shared/specs/cli.md: the `error.kind` of `send --json`).
ErrorKind = Literal[
    "connection",
    "dns",
    "timeout",
    "tls",
    "too-large",
    "too-many-redirects",
    "invalid-url",
    "cancelled",
    "other",
]


class InspectorError(Exception):
    """Base of every error this application reports to a user."""


class RequestError(InspectorError):
    """The composed request cannot be sent as it is (bad URL, header, body, option)."""


class TransportError(InspectorError):
    """Nothing usable came back. `kind` is one of the kinds in the CLI spec."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ProfileError(InspectorError):
    """A profile is broken, missing, conflicting, or its secret cannot be resolved."""


class TokenError(InspectorError):
    """A token cannot be decoded or checked."""


class ExportError(InspectorError):
    """A curl command, HAR file or report cannot be read or written."""
