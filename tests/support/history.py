"""Large history databases for paging and filter tests, written straight into the store's tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

METHODS = ("GET", "POST", "DELETE")
_INSERT = ("INSERT INTO exchanges (time, method, url, status, status_class, verdict, elapsed_ms, profile,"
           " error_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def fill_history(path: Path, n: int, statuses: Sequence[int | None], verdicts: Mapping[int | None, str],
                 payload: str = "{}") -> None:
    """n plain rows, oldest first, into a database a HistoryStore created (its add() is tested elsewhere):
    row i is METHODS[i % 3] https://api.test/items/{i}?page={i % 7} at 2024-01-01 + i s, status
    statuses[i % len(statuses)]. The indexes are dropped for the insert and built again after it: the same
    database, a few times faster than updating six indexes row by row."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        status = statuses[i % len(statuses)]
        when = (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
        rows.append((when, METHODS[i % 3], f"https://api.test/items/{i}?page={i % 7}", status,
                     None if status is None else status // 100, verdicts[status], 1.5, None, None))
    db = sqlite3.connect(path)
    try:
        indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                             " AND tbl_name = 'exchanges' AND sql IS NOT NULL").fetchall()
        with db:
            for name, _sql in indexes:
                db.execute(f'DROP INDEX "{name}"')
            db.executemany(_INSERT, rows)
            db.execute("INSERT OR IGNORE INTO payloads SELECT id, ?, NULL FROM exchanges", (payload,))
            for _name, sql in indexes:
                db.execute(sql)
    finally:
        db.close()
