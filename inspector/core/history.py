"""The history: a sqlite file of past exchanges, masked before they are written, fast with tens of thousands.

Two tables: `exchanges` holds the small columns the list shows and filters on (indexed), `payloads` holds
the masked request, hops and diagnosis as JSON, read only when one entry is opened. A row count (kept by an
insert trigger and by the deletes themselves) lets retention run in O(log n) per add.

Reads go through a connection of their own: the pane reads on the UI thread while a worker writes, and WAL
lets it see the last committed state without waiting. Deletes go by id range in batches (`trim`, `clear`): a
few hundred rows a transaction and no per-row trigger, so an add (a send's worker) waits for one short batch
at most while tens of thousands go. The window sets `trim_in_add` so that an add over a much lowered limit
stays quick; a job trims the rest.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from inspector.core import redact
from inspector.core.codec import (
    RecordError,
    diagnosis_from_dict,
    diagnosis_to_dict,
    exchange_from_dict,
    exchange_to_dict,
    time_from_text,
)
from inspector.core.errors import StorageError, StorageReason
from inspector.core.files import PRIVATE_FILE, ensure_private_dir, storage_error, tighten
from inspector.core.redact import DEFAULT_BODY_CAP, Scrubber
from inspector.core.request import RequestSpec

# Opening the history (the window does it at start-up) needs none of the exchange's, the diagnosis's or the
# incidents' modules: add() and incident_entries() import what they use (tests/core/test_history_lazy.py).
if TYPE_CHECKING:
    from inspector.core.diagnosis import Diagnosis
    from inspector.core.exchange import Exchange
    from inspector.core.incidents import IncidentEntry

__all__ = [
    "SCHEMA_VERSION", "HistoryError", "HistoryRecord", "HistoryRow", "HistoryStore", "default_history_path",
    "history_error",
]

_ENTRY_COLUMNS = "id, time, method, url, status, verdict, profile, host, findings, facts"

DEFAULT_KEEP = 10_000
# Rows deleted per transaction by trim() and clear(): ~5-20 ms on a two-core machine, the longest an add (a
# send's worker) waits for the write lock while a large trim runs.
TRIM_BATCH = 200
RECENT = timedelta(hours=1)  # what the window's incidents badge looks back over (has_entries_since first)
_BETWEEN_BATCHES_S = 0.001
_CACHE_KIB = 1024  # sqlite's page cache per connection: the two together hold what sqlite's default gives one
HISTORY_FILE = "history.sqlite3"
HISTORY_ENV = "INSPECTOR_HISTORY"  # a path: the history file goes there instead of the data folder
# The window reads the history on its own thread: a file another program holds locked must not freeze it for
# long. A write (add(), on the send's worker thread) tries WRITE_ATTEMPTS times before it gives up.
DEFAULT_BUSY_TIMEOUT_S = 1.0
WRITE_ATTEMPTS = 4
# sqlite's primary result codes (the low byte of an extended code)
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_AUTH, _SQLITE_NOTADB = 11, 13, 14, 23, 26
_BUSY_CODES = (_SQLITE_BUSY, _SQLITE_LOCKED)


class HistoryError(StorageError):
    """The history file cannot be opened, read or written; `reason` says why (locked, disk-full, damaged)."""


@dataclass(frozen=True)
class HistoryRow:
    """One line of the history list."""

    id: int
    time: datetime
    method: str
    url: str  # masked
    status: int | None  # None when nothing came back
    verdict: str | None
    elapsed_ms: float | None


@dataclass(frozen=True)
class HistoryRecord:
    """One stored exchange, masked: reopen `spec` in the editor, or show `exchange` and `diagnosis` again."""

    row: HistoryRow
    profile: str | None
    spec: (
        RequestSpec  # masked: a secret typed into a header must be typed again; a profile re-applies its own
    )
    exchange: Exchange
    diagnosis: Diagnosis | None  # as stored: its credential masked, its token without the raw string

    @property
    def id(self) -> int:
        return self.row.id


# Each migration takes the schema from version i to i + 1. Never edit one that has shipped: add another.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE exchanges (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time TEXT NOT NULL,
        method TEXT NOT NULL,
        url TEXT NOT NULL,
        status INTEGER,
        status_class INTEGER,
        verdict TEXT,
        elapsed_ms REAL,
        profile TEXT,
        error_kind TEXT
    );
    CREATE TABLE payloads (
        id INTEGER PRIMARY KEY,
        exchange_json TEXT NOT NULL,
        diagnosis_json TEXT
    );
    CREATE INDEX idx_exchanges_time ON exchanges(time);
    CREATE INDEX idx_exchanges_status ON exchanges(status);
    CREATE INDEX idx_exchanges_status_class ON exchanges(status_class);
    CREATE INDEX idx_exchanges_verdict ON exchanges(verdict);
    CREATE INDEX idx_exchanges_method ON exchanges(method);
    CREATE INDEX idx_exchanges_url ON exchanges(url);
    CREATE TABLE counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
    INSERT INTO counts VALUES ('exchanges', 0);
    CREATE TRIGGER exchanges_added AFTER INSERT ON exchanges
        BEGIN UPDATE counts SET n = n + 1 WHERE name = 'exchanges'; END;
    CREATE TRIGGER exchanges_removed AFTER DELETE ON exchanges
        BEGIN
            UPDATE counts SET n = n - 1 WHERE name = 'exchanges';
            DELETE FROM payloads WHERE id = old.id;
        END;
    """,
    # 2: what incidents read in bulk without decoding payloads: host:port, the finding ids (space separated)
    # and the token/server facts (core.incidents.entry_facts, masked like the rest). Older rows hold NULL
    # and are read from their payload.
    """
    ALTER TABLE exchanges ADD COLUMN host TEXT;
    ALTER TABLE exchanges ADD COLUMN findings TEXT;
    ALTER TABLE exchanges ADD COLUMN facts TEXT;
    """,
    # 3: deletes no longer go through a per-row trigger (it made a trim of 40,000 rows take seconds): they
    # remove the payloads by the same id range and lower the count once. The insert trigger stays.
    """
    DROP TRIGGER IF EXISTS exchanges_removed;
    DELETE FROM payloads WHERE id NOT IN (SELECT id FROM exchanges);
    UPDATE counts SET n = (SELECT COUNT(*) FROM exchanges) WHERE name = 'exchanges';
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)
_ROW_COLUMNS = "id, time, method, url, status, verdict, elapsed_ms"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _status_filter(status: int | str | None) -> tuple[str, list[Any]]:
    if status is None or status == "":
        return "", []
    if isinstance(status, int):
        return "status = ?", [status]
    text = str(status).strip().lower()
    if len(text) == 3 and text[0].isdigit() and text[1:] == "xx":
        return "status_class = ?", [int(text[0])]
    if text.isdigit():
        return "status = ?", [int(text)]
    if text in ("none", "error", "no response"):
        return "status IS NULL", []
    raise HistoryError(
        f"The status filter '{status}' is not understood: use a code such as 401 or a class like 4xx."
    )


class HistoryStore:
    """Past exchanges in a sqlite file; safe to use from several threads (a connection for writes and one for
    reads, each behind a lock)."""

    def __init__(
        self,
        path: Path,
        *,
        keep: int = DEFAULT_KEEP,
        body_cap: int = DEFAULT_BODY_CAP,
        clock: Callable[[], datetime] = _utc_now,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_S,
        write_attempts: int = WRITE_ATTEMPTS,
        trim_in_add: int | None = None,
    ) -> None:
        if keep < 1:
            raise HistoryError(f"The history must keep at least 1 entry, not {keep}.")
        self.path = Path(path)
        self.keep = keep
        # The most rows add() deletes itself (None: all beyond keep). The window sets a small number so that
        # the first send after the limit was lowered is not held up: trim() on a worker does the rest.
        self.trim_in_add = trim_in_add
        self.body_cap = body_cap
        self.write_attempts = max(1, write_attempts)
        self._clock = clock
        self._lock = threading.Lock()  # the writing connection's
        self._read_lock = threading.Lock()  # the reading connection's
        self._open_private_file()
        db: sqlite3.Connection | None = None
        try:
            # autocommit mode: every write below opens its own transaction explicitly
            db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=max(0.0, busy_timeout)
            )
            self._db = db
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            self._secure_delete = int(self._db.execute("PRAGMA secure_delete").fetchone()[0])  # the build's
            self._migrate()
            reader = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=max(0.0, busy_timeout)
            )
            reader.execute("PRAGMA query_only = 1")
            reader.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            self._reader = reader
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            raise history_error(exc, self.path, "opened") from None
        except HistoryError:
            if db is not None:
                db.close()
            raise

    def _open_private_file(self) -> None:
        """The folder (created 0700) and an empty file 0600 before sqlite opens it: sqlite gives its -wal and
        -shm files the database file's mode, so the whole history is readable by the user only."""
        try:
            ensure_private_dir(self.path.parent)
        except OSError as exc:
            raise storage_error(exc, self.path.parent, "created", HistoryError) from None
        try:
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        except FileExistsError:
            pass
        except OSError as exc:
            raise storage_error(exc, self.path, "created", HistoryError) from None
        for suffix in ("", "-wal", "-shm", "-journal"):  # an older version wrote them 0644
            tighten(Path(f"{self.path}{suffix}"))

    # --- lifecycle -----------------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock, self._read_lock:
            self._reader.close()
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self, attempts: int | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction. Taking the write lock is tried `attempts` times (default write_attempts):
        writes run off the UI thread; a caller on it passes 1."""
        with self._lock, self._damage_said():
            for attempt in range(attempts or self.write_attempts, 0, -1):  # bounded: each waits busy_timeout
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if attempt == 1 or _primary(exc) not in _BUSY_CODES:
                        raise
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """The connection reads go through: its own, so that a reader (the pane, on the UI thread) never waits
        for a write in progress (WAL lets it read the last committed state meanwhile)."""
        with self._read_lock, self._damage_said():
            yield self._reader

    @contextmanager
    def _damage_said(self) -> Iterator[None]:
        """sqlite's errors as a HistoryError naming the cause: locked, disk full, read-only, or damaged (a
        file that opens fine, then a page cannot be read)."""
        try:
            yield
        except sqlite3.Error as exc:
            raise history_error(exc, self.path, "used") from None

    def _migrate(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"The history file {self.path} was written by a newer version of the app (schema {version}, "
                f"this one reads up to {SCHEMA_VERSION}): update the app or move the file away."
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(_MIGRATIONS[target - 1]):
                    db.execute(statement)
                db.execute("DELETE FROM schema_version")
                db.execute("INSERT INTO schema_version VALUES (?)", (target,))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    # --- writing -------------------------------------------------------------------------------------------
    def add(
        self,
        exchange: Exchange,
        diagnosis: Diagnosis | None = None,
        redactor: redact.Redactor | None = None,
        *,
        extra_secret_names: tuple[str, ...] = (),
    ) -> int:
        """Store a masked copy of the exchange; returns its id. Drops the oldest entries beyond `keep`."""
        from inspector.core.incidents import entry_facts, host_of
        from inspector.core.redact.exchange import exchange_redactor, mask_exchange

        masked = mask_exchange(
            exchange, diagnosis, redactor=redactor, extra_names=extra_secret_names, body_cap=self.body_cap
        )
        scrubber = Scrubber(redactor, exchange_redactor(exchange, diagnosis, extra_secret_names))
        exchange_json = json.dumps(redact.scrub_tree(redact.jsonable_tree(exchange_to_dict(masked)), scrubber.scrub),
                                   ensure_ascii=False)
        diag_dict = diagnosis_to_dict(diagnosis)
        diagnosis_json = (
            None
            if diag_dict is None
            else json.dumps(redact.scrub_tree(redact.jsonable_tree(diag_dict), scrubber.scrub), ensure_ascii=False)
        )
        final = masked.final_hop
        method = final.method if final else masked.spec.method
        url = final.url if final else masked.spec.url
        status = masked.response.status if masked.response is not None else None
        verdict = diagnosis.verdict if diagnosis is not None else None
        when = exchange.sent_at or (final.sent_at if final else None) or self._clock()
        elapsed_ms = round(masked.elapsed_s * 1000.0, 3) if masked.hops else None
        masked_url = scrubber.scrub(url)
        facts = redact.scrub_tree(redact.jsonable_tree(entry_facts(masked, diagnosis)), scrubber.scrub)
        facts_json = json.dumps(facts, ensure_ascii=False)
        finding_ids = " ".join(diagnosis.finding_ids) if diagnosis is not None else ""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO exchanges (time, method, url, status, status_class, verdict, elapsed_ms, profile,"
                " error_kind, host, findings, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _time_text(when),
                    method.upper(),
                    masked_url,
                    status,
                    status // 100 if status is not None else None,
                    verdict,
                    elapsed_ms,
                    exchange.profile_name,
                    masked.error.kind if masked.error else None,
                    host_of(masked_url),
                    finding_ids,
                    facts_json,
                ),
            )
            new_id = int(cursor.lastrowid or 0)
            db.execute("INSERT INTO payloads VALUES (?, ?, ?)", (new_id, exchange_json, diagnosis_json))
            self._trim_oldest(db, self.trim_in_add)
        return new_id

    def _total(self, db: sqlite3.Connection) -> int:
        return int(db.execute("SELECT n FROM counts WHERE name = 'exchanges'").fetchone()[0])

    def _trim_oldest(self, db: sqlite3.Connection, limit: int | None) -> int:
        """Delete the oldest entries beyond keep, at most `limit` of them (None: all); how many went."""
        excess = self._total(db) - self.keep
        if excess <= 0:
            return 0
        drop = excess if limit is None else min(excess, max(1, limit))
        # the drop-th oldest id, walked from the front of the primary key: O(k log n) for k dropped rows
        row = db.execute("SELECT id FROM exchanges ORDER BY id LIMIT 1 OFFSET ?", (drop - 1,)).fetchone()
        return self._delete_through(db, int(row[0])) if row is not None else 0

    @staticmethod
    def _delete_through(db: sqlite3.Connection, last_id: int) -> int:
        """Delete every entry with an id up to last_id (and its payload, and any orphan payload there)."""
        removed = int(db.execute("DELETE FROM exchanges WHERE id <= ?", (last_id,)).rowcount)
        db.execute("DELETE FROM payloads WHERE id <= ?", (last_id,))
        if removed:
            db.execute("UPDATE counts SET n = max(0, n - ?) WHERE name = 'exchanges'", (removed,))
        return removed

    @contextmanager
    def _fast_delete(self, db: sqlite3.Connection) -> Iterator[None]:
        """Bulk deletes leave freed pages as they are rather than zeroing them (some builds of sqlite do by
        default), which would write each one to the WAL again: what is stored is masked, and most builds
        never zero them. The cleared WAL is truncated afterwards (clear)."""
        db.execute("PRAGMA secure_delete = FAST")
        try:
            yield
        finally:
            db.execute(f"PRAGMA secure_delete = {self._secure_delete}")

    def excess(self) -> int:
        """How many entries are beyond `keep` (0 when within it): a trim() is due when positive."""
        with self._read() as db:
            return max(0, self._total(db) - self.keep)

    def trim(self, cancel: threading.Event | None = None, *, batch: int = TRIM_BATCH) -> int:
        """Delete the oldest entries beyond `keep`, `batch` rows per transaction so readers never wait long
        (run it off the UI thread); stops early when `cancel` is set. Returns how many went."""
        removed = 0
        while cancel is None or not cancel.is_set():
            with self._write() as db, self._fast_delete(db):
                went = self._trim_oldest(db, batch)
            if not went:
                break
            removed += went
            time.sleep(_BETWEEN_BATCHES_S)  # the lock is not fair: let a waiting add in before the next batch
        return removed

    def enforce_retention(self) -> None:
        """Apply `keep` now (after it was lowered); trim() is the same, for a worker thread."""
        self.trim()

    def delete(self, entry_id: int) -> bool:
        """Remove one entry; False when there was none with this id."""
        return self.delete_many((entry_id,), attempts=1) > 0

    def delete_many(self, entry_ids: Iterable[int], cancel: threading.Event | None = None, *,
                    batch: int = TRIM_BATCH, attempts: int | None = None) -> int:
        """Remove these entries, `batch` of them per transaction (run many off the UI thread); stops early
        when `cancel` is set. Returns how many went (ids with no entry count for nothing)."""
        ids = sorted(set(entry_ids))
        size = max(1, min(batch, 500))  # sqlite's limit of host parameters is 999 in older builds
        removed = 0
        for start in range(0, len(ids), size):
            if cancel is not None and cancel.is_set():
                break
            if start:
                time.sleep(_BETWEEN_BATCHES_S)  # the lock is not fair: let a waiting add in between batches
            chunk = ids[start:start + size]
            marks = ",".join("?" * len(chunk))
            with self._write(attempts) as db:  # freed pages as the build treats them, as one delete did
                went = int(db.execute(f"DELETE FROM exchanges WHERE id IN ({marks})", chunk).rowcount)
                db.execute(f"DELETE FROM payloads WHERE id IN ({marks})", chunk)
                if went:
                    db.execute("UPDATE counts SET n = max(0, n - ?) WHERE name = 'exchanges'", (went,))
            removed += went
        return removed

    def clear(self, cancel: threading.Event | None = None, *, batch: int = TRIM_BATCH) -> int:
        """Delete every entry there is now, `batch` rows per transaction (run it off the UI thread; an entry
        added meanwhile stays); returns how many went. Stops early when `cancel` is set."""
        with self._lock, self._damage_said():
            row = self._db.execute("SELECT max(id) FROM exchanges").fetchone()
        last = int(row[0]) if row is not None and row[0] is not None else None
        removed = 0
        while last is not None and (cancel is None or not cancel.is_set()):
            with self._write() as db, self._fast_delete(db):
                row = db.execute("SELECT id FROM exchanges WHERE id <= ? ORDER BY id LIMIT 1 OFFSET ?",
                                 (last, max(1, batch) - 1)).fetchone()
                through = int(row[0]) if row is not None else last
                removed += self._delete_through(db, through)
            if through >= last:
                break
            time.sleep(_BETWEEN_BATCHES_S)
        if cancel is None or not cancel.is_set():
            with self._lock, self._damage_said():
                # the batches skipped zeroing freed pages (speed): rewrite the file so no cleared entry lingers
                # in free pages or the WAL. Cheap here: what is left is what was added meanwhile.
                self._db.execute("VACUUM")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed

    # --- reading -------------------------------------------------------------------------------------------
    @staticmethod
    def _where(
        text: str | None, status: int | str | None, verdict: str | None, method: str | None
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        clause, values = _status_filter(status)
        if clause:
            clauses.append(clause)
            args += values
        if verdict:
            clauses.append("verdict = ?")
            args.append(verdict)
        if method:
            clauses.append("method = ?")
            args.append(method.upper())
        if text and text.strip():
            escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append("url LIKE ? ESCAPE '\\'")
            args.append(f"%{escaped}%")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def page_query(
        self,
        offset: int = 0,
        limit: int = 100,
        text: str | None = None,
        status: int | str | None = None,
        verdict: str | None = None,
        method: str | None = None,
    ) -> tuple[str, list[Any]]:
        """The SQL and arguments page() runs (for EXPLAIN QUERY PLAN in tests and benchmarks)."""
        where, args = self._where(text, status, verdict, method)
        return f"SELECT {_ROW_COLUMNS} FROM exchanges{where} ORDER BY id DESC LIMIT ? OFFSET ?", [
            *args,
            max(0, limit),
            max(0, offset),
        ]

    def count_query(
        self,
        text: str | None = None,
        status: int | str | None = None,
        verdict: str | None = None,
        method: str | None = None,
    ) -> tuple[str, list[Any]]:
        where, args = self._where(text, status, verdict, method)
        if not where:
            return "SELECT n FROM counts WHERE name = 'exchanges'", []
        return f"SELECT COUNT(*) FROM exchanges{where}", args

    def page(
        self,
        offset: int = 0,
        limit: int = 100,
        text: str | None = None,
        status: int | str | None = None,
        verdict: str | None = None,
        method: str | None = None,
    ) -> list[HistoryRow]:
        """Rows newest first. status is a code (401), a class ("4xx") or "none" (no response)."""
        sql, args = self.page_query(offset, limit, text, status, verdict, method)
        with self._read() as db:
            rows = db.execute(sql, args).fetchall()
        return [_row(r) for r in rows]

    def count(
        self,
        text: str | None = None,
        status: int | str | None = None,
        verdict: str | None = None,
        method: str | None = None,
    ) -> int:
        sql, args = self.count_query(text, status, verdict, method)
        with self._read() as db:
            return int(db.execute(sql, args).fetchone()[0])

    def explain(self, sql: str, args: list[Any]) -> list[str]:
        """EXPLAIN QUERY PLAN details for a query of this store."""
        with self._read() as db:
            return [str(r[3]) for r in db.execute(f"EXPLAIN QUERY PLAN {sql}", args).fetchall()]

    def get(self, entry_id: int) -> HistoryRecord | None:
        """The full stored entry, or None when there is none with this id."""
        with self._read() as db:
            row = db.execute(
                f"SELECT {_ROW_COLUMNS}, profile, exchange_json, diagnosis_json FROM exchanges"
                " JOIN payloads USING (id) WHERE id = ?",
                (entry_id,),
            ).fetchone()
        if row is None:
            return None
        try:
            exchange = exchange_from_dict(json.loads(row[8]))
            diagnosis = diagnosis_from_dict(json.loads(row[9])) if row[9] else None
        except (ValueError, TypeError, RecordError) as exc:
            raise HistoryError(
                f"History entry {entry_id} in {self.path} is damaged ({exc}): delete it."
            ) from None
        return HistoryRecord(_row(row[:7]), row[7], exchange.spec, exchange, diagnosis)

    def has_entries_since(self, moment: datetime) -> bool:
        """Whether any entry was sent at or after `moment` (one indexed lookup)."""
        with self._read() as db:
            return db.execute("SELECT 1 FROM exchanges WHERE time >= ? LIMIT 1",
                              (_time_text(moment),)).fetchone() is not None

    def incident_entries(
        self, since: datetime | None = None, verdict: str | None = None, limit: int | None = None
    ) -> list[IncidentEntry]:
        """Entries at or after `since` (all when None), newest first, with what incidents and `history list`
        read: one query over the small columns; rows older than schema 2 are read from their payload."""
        from inspector.core.incidents import entry_from_row, incident_entry

        clauses: list[str] = []
        args: list[str | int] = []
        if since is not None:
            clauses.append("time >= ?")
            args.append(_time_text(since))
        if verdict:
            clauses.append("verdict = ?")
            args.append(verdict)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT {_ENTRY_COLUMNS} FROM exchanges{where} ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(max(0, limit))
        with self._read() as db:
            rows = db.execute(sql, args).fetchall()
        out: list[IncidentEntry] = []
        for r in rows:
            when = time_from_text(r[1]) or datetime.fromtimestamp(0, UTC)
            if r[9] is None:  # written before schema 2
                record = self.get(int(r[0]))
                if record is not None:
                    out.append(incident_entry(record.id, record.exchange, record.diagnosis, when))
                continue
            try:
                facts = json.loads(r[9])
            except ValueError:
                facts = {}
            out.append(entry_from_row(int(r[0]), when, str(r[2]), str(r[3]), r[4], r[5],
                                      tuple((r[8] or "").split()), r[6],
                                      facts if isinstance(facts, dict) else {}))
        return out


def default_history_path(environ: Mapping[str, str] | None = None) -> Path:
    """The history file the window and the CLI share: $INSPECTOR_HISTORY, else history.sqlite3 in the user's
    data folder (a throw-away folder under tests)."""
    from inspector.core.profiles.defaults import default_data_dir

    env = os.environ if environ is None else environ
    chosen = env.get(HISTORY_ENV)
    return Path(chosen).expanduser() if chosen else default_data_dir(env) / HISTORY_FILE


def history_error(exc: sqlite3.Error, path: Path, doing: str) -> HistoryError:
    """A HistoryError naming the real cause of a sqlite error met while `doing` ("opened", "used") the file;
    only real damage gets the move-away advice."""
    primary = _primary(exc)
    where = f"The history file {path}"
    reason: StorageReason
    if primary in _BUSY_CODES:
        reason, text = "locked", (
            f"{where} cannot be {doing}: another program has the history open and holds it locked (a "
            "second copy of the app, or a database tool). Close that program and try again; nothing in "
            "the history was lost."
        )
    elif primary == _SQLITE_FULL:
        reason, text = "disk-full", (
            f"{where} cannot be {doing}: the disk is full. Free some space and try again."
        )
    elif primary == _SQLITE_CANTOPEN and path.is_dir():
        reason, text = "is-a-folder", (
            f"{where} cannot be {doing}: a folder is where the file should be. Rename or move that folder."
        )
    elif primary == _SQLITE_READONLY or (
        primary == _SQLITE_CANTOPEN and not os.access(path.parent, os.W_OK)
    ):
        reason, text = "read-only", (
            f"{where} cannot be {doing}: the file or its folder is read-only. Make them writable, or the "
            "history stays off."
        )
    elif primary in (_SQLITE_PERM, _SQLITE_AUTH):
        reason, text = "permission-denied", (
            f"{where} cannot be {doing}: permission denied. Check the permissions of the file and its "
            "folder."
        )
    elif primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        reason = "damaged"
        if doing == "opened":  # the app has not got it open: nothing to close first
            text = (
                f"{where} is damaged and cannot be opened ({exc}): move it away and a new history will "
                "start."
            )
        else:
            text = (
                f"{where} is damaged ({exc}): close the app, move the file away, and a new history will "
                "start."
            )
    else:
        reason, text = "other", (
            f"{where} cannot be {doing} ({exc}). Try again; if it keeps failing, check the disk."
        )
    return HistoryError(text, path=path, reason=reason)


def _primary(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _statements(script: str) -> Iterator[str]:
    """The statements of a script one by one (a trigger body holds semicolons of its own)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


def _time_text(moment: datetime) -> str:
    # one fixed shape in UTC so the text column sorts in time order
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _row(r: tuple[Any, ...]) -> HistoryRow:
    return HistoryRow(
        id=int(r[0]),
        time=time_from_text(r[1]) or datetime.fromtimestamp(0, UTC),
        method=str(r[2]),
        url=str(r[3]),
        status=r[4],
        verdict=r[5],
        elapsed_ms=r[6],
    )
