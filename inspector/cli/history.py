"""`history list|incidents`: past exchanges, and what changed when many failed at once.

`history incidents --har FILE` analyses a HAR file (a customer's) without importing it. Also the one way
`send` and `run` open the history they record into (`open_for_recording`).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from inspector.cli.args import EXIT_OK, UsageError
from inspector.cli.render import dumps, safe_line

if TYPE_CHECKING:
    from inspector.core.history import HistoryStore
    from inspector.core.incidents import Incident, IncidentEntry


def run(args: argparse.Namespace, out: IO[str], err: IO[str], now: datetime | None = None) -> int:
    from inspector.core.incidents import incident_to_json, incidents, parse_since

    moment = now or datetime.now(UTC)
    since = None
    if args.since:
        try:
            since = parse_since(args.since, moment)
        except ValueError as exc:
            raise UsageError(f"--since: {exc}") from None
    if args.action == "list":
        if args.har:
            raise UsageError("--har goes with 'history incidents', not 'history list'.")
        entries = _history_entries(args, since, verdict=args.verdict, limit=args.limit)
        if args.json:
            out.write(dumps({"entries": [entry_json(e) for e in entries]}) + "\n")
        else:
            out.write(list_text(entries))
        return EXIT_OK
    if args.verdict or args.limit is not None:
        raise UsageError("--verdict and --limit go with 'history list'.")
    if args.har:
        entries = _har_entries(Path(args.har).expanduser())
    else:
        entries = _history_entries(args, since)
    found = incidents(entries, since, lambda: moment)
    if args.json:
        out.write(dumps({"incidents": [incident_to_json(i) for i in found]}) + "\n")
    else:
        out.write(incidents_text(found, len(entries)))
    return EXIT_OK


def open_history(path_text: str | None) -> HistoryStore:
    """The history file named on the command line, else the app's own (HistoryError when it cannot open)."""
    from inspector.core.history import HistoryStore, default_history_path

    return HistoryStore(Path(path_text).expanduser() if path_text else default_history_path())


def open_for_recording(args: argparse.Namespace, err: IO[str]) -> HistoryStore | None:
    """The history `send` and `run` record into; None with --no-history, or (said on stderr) when it cannot
    be opened: a broken history must not stop a request."""
    from inspector.core.errors import InspectorError

    if getattr(args, "no_history", False):
        return None
    try:
        return open_history(getattr(args, "history_file", None))
    except (OSError, InspectorError) as exc:
        err.write(f"request-inspector: history is off: {safe_line(exc)}\n")
        return None


def _history_entries(args: argparse.Namespace, since: datetime | None, verdict: str | None = None,
                     limit: int | None = None) -> list[IncidentEntry]:
    if args.history_file and not Path(args.history_file).expanduser().exists():
        raise UsageError(f"There is no history file at {args.history_file}.")
    with open_history(args.history_file) as store:
        return store.incident_entries(since, verdict=verdict, limit=limit)


def _har_entries(path: Path) -> list[IncidentEntry]:
    from inspector.core.incidents import entries_from_har

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"The HAR file {path} cannot be read: {exc.strerror or exc}.") from None
    return entries_from_har(data)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def entry_json(e: IncidentEntry) -> dict[str, Any]:
    """One entry of `history list --json` (shared/specs/incidents.md): the URL is masked."""
    return {
        "id": e.id,
        "at": _iso(e.at),
        "method": e.method,
        "url": e.url,
        "status": e.status,
        "verdict": e.verdict,
        "findings": list(e.findings),
        "profile": e.profile,
        "host": e.host,
    }


def list_text(entries: list[IncidentEntry]) -> str:
    if not entries:
        return "The history holds no entry here.\n"
    lines = []
    for e in entries:
        status = str(e.status) if e.status is not None else "---"
        lines.append(f"{e.id:>6}  {_iso(e.at)}  {status}  {(e.verdict or '-'):<22} {e.method} "
                     f"{safe_line(e.url)}" + (f"  [{safe_line(e.profile)}]" if e.profile else ""))
    return "\n".join(lines) + "\n"


def incidents_text(found: list[Incident], looked_at: int) -> str:
    if not found:
        return f"No incident: none of the {looked_at} entries looked at failed.\n"
    out: list[str] = []
    for i in found:
        state = "still failing" if i.ongoing else "recovered"
        out.append(f"{i.cause}: {safe_line(i.title)} ({state})")
        since_ok = f"; last success {_iso(i.last_success)}" if i.last_success else "; no success before it"
        out.append(f"  {i.failed} failed, {i.succeeded} succeeded meanwhile; first failure "
                   f"{_iso(i.first_failure)}{since_ok}")
        out.append(f"  hosts: {', '.join(i.hosts)}" + (f"; profiles: {', '.join(i.profiles)}" if i.profiles
                                                        else ""))
        for key, value in i.evidence.items():
            if key != "hosts" and value not in (None, [], {}, ""):
                out.append(f"  {key}: {safe_line(value)}")
        out.append(f"  next step: {safe_line(i.next_step)}")
        ids = ", ".join(str(n) for n in i.entries[:20]) + (" ..." if len(i.entries) > 20 else "")
        out.append(f"  entries: {ids}")
        out.append("")
    return "\n".join(out)
