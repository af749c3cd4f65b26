"""curl in and out, HAR in and out, and the support report. Everything here masks secrets by default
(through inspector.core.redact)."""

from __future__ import annotations

from inspector.core.codec import diagnosis_to_dict
from inspector.core.export.curl import CurlFilesNeeded, CurlImport, parse_curl, to_curl
from inspector.core.export.har import HarEntry, dump_har, exchange_to_har_entries, parse_har, to_har
from inspector.core.export.report import ReportOptions, build_report, report_html, timeline_in_words

__all__ = [
    "CurlFilesNeeded",
    "CurlImport",
    "HarEntry",
    "ReportOptions",
    "build_report",
    "diagnosis_to_dict",
    "dump_har",
    "exchange_to_har_entries",
    "parse_curl",
    "parse_har",
    "report_html",
    "timeline_in_words",
    "to_curl",
    "to_har",
]
