"""RequestSpec and Exchange as plain JSON data and back: the names history and HAR used, now written by the
one codec (inspector.core.codec). Callers mask first (redact.mask_exchange)."""

from __future__ import annotations

from inspector.core.codec import (
    FORMAT,
    RecordError,
    bytes_from_data,
    bytes_to_data,
    exchange_from_dict,
    exchange_to_dict,
    hop_from_dict,
    hop_to_dict,
    spec_from_dict,
    spec_to_dict,
    time_from_text,
    time_to_text,
)

__all__ = [
    "FORMAT",
    "RecordError",
    "bytes_from_data",
    "bytes_to_data",
    "exchange_from_dict",
    "exchange_to_dict",
    "hop_from_dict",
    "hop_to_dict",
    "spec_from_dict",
    "spec_to_dict",
    "time_from_text",
    "time_to_text",
]
