"""`import FILE [--into DIR] [--json]`: detect the format, write a collection folder, print the report.

Without --into a new folder named after the collection goes into the personal collections folder. Errors
(an unknown format, an existing non-empty --into, a broken file) exit 2 with nothing written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

from inspector.cli.args import EXIT_OK
from inspector.cli.render import dumps, safe_line


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from inspector.core.collections.defaults import default_collections_dir
    from inspector.core.collections.importers import import_file
    from inspector.core.files import ensure_private_dir, storage_error

    personal = None
    if args.into is None:
        personal = default_collections_dir()
        try:
            ensure_private_dir(personal)
        except OSError as exc:
            raise storage_error(exc, personal, "created") from None
    report = import_file(
        Path(args.file), into=Path(args.into) if args.into else None, collections_dir=personal
    )
    if args.json:
        out.write(dumps(report.to_json()) + "\n")
    else:
        out.write(report_text(report))
    return EXIT_OK


def report_text(report: object) -> str:
    """The import report for a terminal: what was written, the secrets to provide, what was left out."""
    from inspector.core.collections.importers import FORMAT_TITLES, ImportReport

    assert isinstance(report, ImportReport)
    title = FORMAT_TITLES.get(report.format, report.format)
    lines = [f"Imported the {title} into {safe_line(report.into)}"]

    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    lines.append(
        "  "
        + ", ".join(
            [
                n(report.folders, "folder"),
                n(report.requests, "request"),
                n(len(report.profiles), "profile"),
                n(report.variables, "variable"),
                n(len(report.environments), "environment"),
            ]
        )
    )
    if report.profiles:
        lines.append("  Profiles: " + ", ".join(safe_line(p) for p in report.profiles))
    if report.environments:
        lines.append("  Environments: " + ", ".join(safe_line(e) for e in report.environments))
    secret_keys = [r for r in report.references if r.reference.startswith("${secret:")]
    if secret_keys:
        lines.append("  Secrets to provide (values were not imported; run: python main.py secrets set KEY):")
        for ref in secret_keys:
            lines.append(
                f"    {safe_line(ref.reference)}  for {safe_line(ref.for_)}  ({safe_line(ref.source)})"
            )
    if report.not_imported:
        lines.append("  Not carried over:")
        for item in report.not_imported:
            lines.append(f"    {safe_line(item.item)}: {safe_line(item.what)}: {safe_line(item.why)}")
    return "\n".join(lines) + "\n"
