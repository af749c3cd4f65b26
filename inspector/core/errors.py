"""One exception base per area. Every message is a full sentence a user can act on."""

from __future__ import annotations

from pathlib import Path
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

# Why a file or database could not be used; the message says it in words, this is for code and tests.
StorageReason = Literal[
    "disk-full", "read-only", "permission-denied", "locked", "not-a-folder", "is-a-folder", "missing",
    "damaged", "other",
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


class FileContentError(InspectorError):
    """A file that cannot be used as it is; `code` says why (broken-file, unreadable, newer-format,
    missing-field, bad-field, ...), `line` and `field` where, when known."""

    def __init__(
        self, message: str, *, path: Path, code: str, line: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.code = code
        self.line = line
        self.field = field


class ProfileError(InspectorError):
    """A profile is broken, missing, conflicting, or its secret cannot be resolved."""


class TokenError(InspectorError):
    """A token cannot be decoded or checked."""


class ExportError(InspectorError):
    """A curl command, HAR file or report cannot be read or written."""


class StorageError(InspectorError):
    """A file or database the app keeps cannot be read or written; the message names the real cause."""

    def __init__(self, message: str, *, path: Path | None = None, reason: StorageReason = "other") -> None:
        super().__init__(message)
        self.path = path
        self.reason: StorageReason = reason


class ProfileStorageError(ProfileError, StorageError):
    """A profile file or the secrets file cannot be read or written (disk full, read-only, locked...)."""
