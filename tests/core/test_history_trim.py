"""Trimming and clearing a large history: by id range, in short batches, with no per-row trigger; the count,
the payloads, paging and the URL search stay right, and an add over a much lowered limit deletes little."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from inspector.core.history import _MIGRATIONS, TRIM_BATCH, HistoryStore
from tests.support.history import fill_history
from tests.support.samples import simple_exchange

STATUSES = (200, 401, 403, 404, 500, None)
VERDICTS = {200: "ok", 401: "authentication", 403: "authorization", 404: "not-credential-related",
            500: "not-credential-related", None: "transport-error"}  # fmt: skip
N = 20_000


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """N rows (ids 1..N, row i has url https://api.test/items/{i-1}?page={(i-1) % 7})."""
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    fill_history(path, N, STATUSES, VERDICTS, payload='{"spec": {}}')
    return path


def rows_in(path: Path, table: str) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        db.close()


def test_trim_twenty_thousand_to_one_thousand_keeps_the_newest(big: Path) -> None:
    store = HistoryStore(big, keep=N + 1)
    store.keep = 1_000
    assert store.excess() == N - 1_000
    assert store.trim() == N - 1_000
    assert store.count() == 1_000 and store.excess() == 0
    assert [r.id for r in store.page(0, 3)] == [N, N - 1, N - 2]
    assert store.page(999, 5)[-1].id == N - 999 and store.page(1_000, 5) == []
    # the URL search and the filters see exactly what is left
    kept = range(N - 1_000, N)  # the url numbers of the kept rows
    assert store.count(text="items/1999") == sum(1 for i in kept if f"items/{i}?".startswith("items/1999"))
    assert store.count(status=401) == sum(1 for i in kept if STATUSES[i % 6] == 401)
    assert store.get(N - 1_000) is None and store.get(N - 999) is not None
    store.close()
    assert rows_in(big, "payloads") == 1_000 and rows_in(big, "exchanges") == 1_000


def test_trim_runs_in_batches_and_stops_at_a_cancel(big: Path) -> None:
    store = HistoryStore(big, keep=100)
    cancel = threading.Event()
    batches: list[int] = []

    class Counting(threading.Event):
        def is_set(self) -> bool:  # asked before each batch: cancel after the second
            batches.append(1)
            return len(batches) > 2

    assert store.trim(Counting(), batch=50) == 100  # two batches of 50, then the cancel
    assert store.count() == N - 100 and store.excess() == N - 200
    assert store.trim(cancel) == N - 200 and store.count() == 100
    store.close()
    assert rows_in(big, "payloads") == 100


def test_clear_removes_everything_in_batches(big: Path) -> None:
    store = HistoryStore(big)
    assert store.clear() == N
    assert store.count() == 0 and store.page() == [] and store.excess() == 0
    new_id = store.add(simple_exchange(401))
    assert new_id == N + 1 and store.count() == 1  # ids are never reused (AUTOINCREMENT)
    store.close()
    assert rows_in(big, "payloads") == 1


def test_an_add_over_a_much_lowered_limit_deletes_only_a_batch(big: Path) -> None:
    store = HistoryStore(big, keep=1_000, trim_in_add=TRIM_BATCH)
    store.add(simple_exchange(200))
    assert store.count() == N + 1 - TRIM_BATCH  # the rest is left to trim() on a worker
    assert store.excess() == N + 1 - TRIM_BATCH - 1_000
    store.trim()
    assert store.count() == 1_000 and store.page(0, 1)[0].id == N + 1
    store.close()


def test_without_a_bound_an_add_applies_the_limit_at_once(big: Path) -> None:
    """The CLI's store: no job trims after it, so add() itself drops everything beyond the limit."""
    store = HistoryStore(big, keep=10)
    store.add(simple_exchange(200))
    assert store.count() == 10 and store.excess() == 0
    store.close()


def test_deleting_one_entry_keeps_the_count_and_payloads_right(big: Path) -> None:
    store = HistoryStore(big)
    assert store.delete(5) and not store.delete(5)
    assert store.count() == N - 1 == store.count(text="items")
    store.close()
    assert rows_in(big, "payloads") == N - 1


def test_a_schema_2_history_loses_its_per_row_trigger_and_keeps_its_entries(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for script in _MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("INSERT INTO schema_version VALUES (2)")
    db.close()
    fill_history(path, 500, STATUSES, VERDICTS)
    store = HistoryStore(path, keep=100)
    assert store.schema_version == len(_MIGRATIONS) == 3 and store.count() == 500
    triggers = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert "exchanges_removed" not in triggers and "exchanges_added" in triggers
    assert store.trim() == 400 and store.count() == 100
    store.close()
    assert rows_in(path, "payloads") == 100


def test_clear_all_leaves_no_trace_of_the_cleared_entries_in_the_file(tmp_path: Path) -> None:
    """Clear all means gone: the deletes skip zeroing pages for speed, so the file is rewritten afterwards."""
    path = tmp_path / "history.sqlite"
    store = HistoryStore(path)
    for i in range(300):
        store.add(simple_exchange(401, url=f"https://customer-acme-internal.test/orders/{i}"))
    store.add(simple_exchange(200, url="https://customer-acme-internal.test/kept-after"))
    assert store.clear() == 301
    store.close()
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith("history.sqlite")]
    assert all(b"customer-acme-internal" not in p.read_bytes() for p in leftovers), leftovers
