"""The history store on a real sqlite file: masking, paging, filters, index use, retention, crash safety."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.core.errors import StorageError
from inspector.core.history import SCHEMA_VERSION, HistoryError, HistoryStore, history_error
from inspector.core.redact import Redactor
from tests.support.history import fill_history
from tests.support.samples import SECRETS, SENT_AT, secret_diagnosis, secret_exchange, simple_exchange

REPO = Path(__file__).resolve().parents[2]
BIG = 50_000
STATUSES = (200, 401, 403, 404, 500, None)
VERDICTS = {200: "ok", 401: "authentication", 403: "authorization", 404: "not-credential-related",
            500: "not-credential-related", None: "transport-error"}  # fmt: skip


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> HistoryStore:
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    HistoryStore(path).close()
    fill_history(path, BIG, STATUSES, VERDICTS)
    store = HistoryStore(path, keep=BIG + 100)
    yield store
    store.close()


def _expected(predicate) -> list[int]:
    """Ids (1-based, as inserted) matching a predicate over the row number, newest first."""
    return [i + 1 for i in range(BIG - 1, -1, -1) if predicate(i)]


# --- storing and reading back -------------------------------------------------------------------------------


def test_add_stores_masked_record_that_rebuilds_spec_and_exchange(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    entry_id = store.add(secret_exchange(), secret_diagnosis(), Redactor())
    record = store.get(entry_id)
    assert record is not None and record.id == entry_id
    row = record.row
    assert (row.method, row.status, row.verdict) == ("POST", 401, "authentication")
    assert row.url == "http://localhost:8765/api/things?page=1"  # the final hop's URL
    assert row.elapsed_ms == pytest.approx(9.3)  # request hops only, not the token fetch
    assert row.time == SENT_AT
    assert record.profile == "Billing API (staging)"
    spec = record.spec
    assert spec.method == "POST" and spec.profile == "team/billing-staging"
    assert spec.header("Authorization") == "Bearer eyJhbG…"
    assert spec.header("X-API-Key") == "ak_liv…"
    assert "api_key=ak_liv%E2%80%A6" in spec.url or "api_key=ak_liv…" in spec.url
    assert [h.enabled for h in spec.headers] == [True, True, True, False]
    assert json.loads(spec.body.text)["password"] == "hunter…"
    spec.validate()  # can be reopened in the editor and re-sent (with the profile supplying credentials)
    exchange = record.exchange
    assert [h.role for h in exchange.hops] == ["token", "request", "request"]
    assert exchange.hops[2].credentials_stripped == ("Authorization", "Cookie", "X-API-Key")
    assert exchange.response is not None and exchange.response.status == 401
    assert exchange.hops[1].response.header("Set-Cookie") == "session=newses…; Path=/; HttpOnly"
    token_body = json.loads(exchange.hops[0].response.body)
    assert token_body["access_token"] == "at_fre…" and token_body["expires_in"] == 3600
    assert exchange.token_problem is None and exchange.from_cache is None
    diagnosis = record.diagnosis
    assert diagnosis is not None and diagnosis.verdict == "authentication"
    assert diagnosis.findings[0].id == "token-expired"
    assert diagnosis.token is not None and diagnosis.token.claims["sub"] == "user-42"
    assert diagnosis.token.raw == ""  # the raw token is never stored
    store.close()


def test_nothing_secret_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    redactor = Redactor(["profile-only-secret-value"])
    refused = "the token endpoint refused profile-only-secret-value"
    exchange = replace(secret_exchange(), token_problem=refused)
    entry_id = store.add(exchange, secret_diagnosis(), redactor)
    text = repr(store.get(entry_id)) + repr(store.page())
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # the database, its WAL and shared memory
    for name, secret in [*SECRETS.items(), ("profile", "profile-only-secret-value")]:
        assert secret.encode() not in raw, name
        assert secret not in text, name


def test_the_token_problem_and_the_cache_note_are_kept(tmp_path: Path) -> None:
    from inspector.core.export.records import exchange_from_dict, exchange_to_dict

    exchange = replace(simple_exchange(), token_problem="The token endpoint answered 401.", from_cache="disk")
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        stored = store.get(store.add(exchange)).exchange
    assert (stored.token_problem, stored.from_cache) == ("The token endpoint answered 401.", "disk")
    # a record written before these were fields (an "extra" dict) still reads
    old = exchange_to_dict(simple_exchange())
    old["extra"] = {"token_problem": "The token response has no access_token.", "har_from_cache": "memory"}
    del old["token_problem"], old["from_cache"]
    again = exchange_from_dict(old)
    assert (again.token_problem, again.from_cache) == ("The token response has no access_token.", "memory")


def test_response_body_is_capped(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", body_cap=1000)
    exchange = simple_exchange()
    hop = exchange.hops[0]
    from dataclasses import replace

    big = replace(hop.response, body=b"x" * 50_000, body_bytes=50_000)
    entry_id = store.add(replace(exchange, hops=(replace(hop, response=big),)))
    stored = store.get(entry_id).exchange.response
    assert len(stored.body) == 1000 and stored.body_truncated and stored.body_bytes == 50_000
    store.close()


def test_transport_error_is_stored_without_status(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    entry_id = store.add(simple_exchange(None))
    record = store.get(entry_id)
    assert record.row.status is None and record.exchange.error.kind == "connection"
    assert [r.id for r in store.page(status="none")] == [entry_id]
    store.close()


def test_delete_clear_and_missing_ids(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    ids = [store.add(simple_exchange(s)) for s in (200, 401, 403)]
    assert store.delete(ids[1]) is True
    assert store.delete(ids[1]) is False
    assert store.get(ids[1]) is None
    assert [r.id for r in store.page()] == [ids[2], ids[0]]
    assert store.count() == 2
    store.clear()
    assert store.count() == 0 and store.page() == []
    store.close()


def _filled(tmp_path: Path, entries: int) -> tuple[HistoryStore, list[int]]:
    """A store of `entries` entries and their ids, newest first."""
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    fill_history(path, entries, STATUSES, VERDICTS)
    store = HistoryStore(path)
    ids = [r.id for r in store.page(0, entries)]
    assert len(ids) == entries
    return store, ids


def test_delete_many_goes_in_batches_and_counts_what_went(tmp_path: Path) -> None:
    store, ids = _filled(tmp_path, 1_300)
    gone, kept = ids[:1_100], ids[1_100:]
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    assert store.delete_many([*gone, *gone[:5], 10**9], batch=200) == 1_100  # repeats and unknown ids: nothing
    store._db.set_trace_callback(None)
    deletes = [s for s in statements if s.startswith("DELETE FROM exchanges")]
    assert len(deletes) == 6  # 1,100 ids, 200 per transaction
    assert store.count() == 200 and [r.id for r in store.page(0, 300)] == kept
    assert all(store.get(i) is None for i in gone[:3])
    store.close()


def test_delete_many_stops_between_batches_when_cancelled(tmp_path: Path) -> None:
    store, ids = _filled(tmp_path, 600)
    cancel = threading.Event()
    calls = 0
    original = store._write

    def write(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 2:
            cancel.set()  # during the second batch: it finishes, the third never starts
        return original(*args, **kwargs)

    store._write = write  # type: ignore[method-assign]
    assert store.delete_many(ids, cancel, batch=200) == 400
    assert store.count() == 200
    store.close()


# --- filters and paging on 50,000 entries -------------------------------------------------------------------


def test_counts_and_pages_on_fifty_thousand(big_store: HistoryStore) -> None:
    assert big_store.count() == BIG
    first = big_store.page(0, 3)
    assert [r.id for r in first] == [BIG, BIG - 1, BIG - 2]
    assert first[0].url == f"https://api.test/items/{BIG - 1}?page={(BIG - 1) % 7}"
    assert first[0].time == datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=BIG - 1)
    assert [r.id for r in big_store.page(BIG - 2, 10)] == [2, 1]
    assert big_store.page(BIG + 5, 10) == []


@pytest.mark.parametrize(
    ("filters", "predicate"),
    [
        ({"status": 401}, lambda i: STATUSES[i % 6] == 401),
        ({"status": "4xx"}, lambda i: STATUSES[i % 6] in (401, 403, 404)),
        ({"status": "5XX"}, lambda i: STATUSES[i % 6] == 500),
        ({"status": "none"}, lambda i: STATUSES[i % 6] is None),
        ({"verdict": "authorization"}, lambda i: STATUSES[i % 6] == 403),
        ({"method": "delete"}, lambda i: i % 3 == 2),
        ({"status": "4xx", "method": "POST"}, lambda i: STATUSES[i % 6] in (401, 403, 404) and i % 3 == 1),
        ({"text": "items/4999"}, lambda i: f"items/{i}?".startswith("items/4999")),
        ({"text": "PAGE=3"}, lambda i: i % 7 == 3),
        ({"text": "100%"}, lambda i: False),  # % and _ are matched literally
    ],
    ids=lambda v: json.dumps(v) if isinstance(v, dict) else "",
)
def test_filters(big_store: HistoryStore, filters: dict, predicate) -> None:
    expected = _expected(predicate)
    assert big_store.count(**filters) == len(expected)
    assert [r.id for r in big_store.page(0, 25, **filters)] == expected[:25]
    assert [r.id for r in big_store.page(100, 25, **filters)] == expected[100:125]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": 401},
        {"status": "4xx"},
        {"status": "none"},
        {"verdict": "ok"},
        {"method": "GET"},
        {"status": "4xx", "verdict": "authentication"},
        {"text": "items"},
    ],
    ids=lambda f: json.dumps(f),
)
def test_page_and_count_use_indexes(big_store: HistoryStore, filters: dict) -> None:
    page_plan = " | ".join(big_store.explain(*big_store.page_query(0, 50, **filters)))
    count_plan = " | ".join(big_store.explain(*big_store.count_query(**filters)))
    assert "TEMP B-TREE" not in page_plan, page_plan  # newest-first never sorts the table
    if not filters:
        assert "counts" in count_plan, count_plan  # the total comes from the trigger-kept count
    elif "text" in filters:
        # a substring cannot use a b-tree; the scan reads the small url index, never the payloads
        assert "COVERING INDEX idx_exchanges_url" in count_plan, count_plan
    else:
        assert "USING INDEX" in page_plan, page_plan
        assert "USING COVERING INDEX" in count_plan or "USING INDEX" in count_plan, count_plan
    assert "payloads" not in page_plan + count_plan


def test_bad_status_filter_is_explained(big_store: HistoryStore) -> None:
    with pytest.raises(HistoryError, match="'teapot' is not understood"):
        big_store.count(status="teapot")


# --- retention, modes, migrations, threads, crashes ---------------------------------------------------------


def test_retention_keeps_the_newest(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", keep=5)
    ids = [store.add(simple_exchange(200, url=f"https://api.test/{i}")) for i in range(8)]
    assert store.count() == 5
    assert [r.id for r in store.page()] == ids[:2:-1]
    assert store.get(ids[0]) is None
    store.keep = 2
    store.enforce_retention()
    assert [r.id for r in store.page()] == [ids[7], ids[6]]
    store.close()
    db = sqlite3.connect(tmp_path / "h.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM payloads").fetchone()[0] == 2  # payloads go with their rows
    db.close()


def test_retention_on_a_full_store_drops_one_per_add(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    fill_history(path, 3000, STATUSES, VERDICTS)
    store = HistoryStore(path, keep=3000)
    new_id = store.add(simple_exchange(401))
    assert store.count() == 3000
    assert store.page(0, 1)[0].id == new_id and store.get(1) is None and store.page(2999, 1)[0].id == 2
    store.close()


def test_wal_mode_and_synchronous_normal(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    assert store.journal_mode == "wal"
    store.add(simple_exchange())
    assert (tmp_path / "h.sqlite3-wal").exists()
    other = sqlite3.connect(tmp_path / "h.sqlite3")
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # WAL is a property of the file
    other.close()
    assert store.explain("SELECT 1", []) is not None
    store.close()


def test_schema_is_versioned_and_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path) as store:
        entry_id = store.add(simple_exchange(403))
        assert store.schema_version == SCHEMA_VERSION
    with HistoryStore(path) as again:
        assert again.get(entry_id).row.status == 403


def test_newer_schema_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99);"
    )
    db.close()
    with pytest.raises(HistoryError, match=r"newer version of the app \(schema 99"):
        HistoryStore(path)


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(HistoryError) as info:
        HistoryStore(path)
    assert str(path) in str(info.value) and "move it away" in str(info.value)


def test_adds_from_several_threads(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                store.add(simple_exchange(200))
                store.page(0, 5)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert store.count() == 100 and len({r.id for r in store.page(0, 200)}) == 100
    store.close()


CHILD = """
import sys
from dataclasses import replace
sys.path.insert(0, sys.argv[2])
from tests.support.samples import simple_exchange
from inspector.core.history import HistoryStore

store = HistoryStore(__import__("pathlib").Path(sys.argv[1]))
base = simple_exchange(401)
hop = base.hops[0]
big = replace(hop.response, body=b"y" * 200_000, body_bytes=200_000)
exchange = replace(base, hops=(replace(hop, response=big),))
for _ in range(100_000):
    print(store.add(exchange), flush=True)
"""


def test_killed_writer_leaves_a_readable_database(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(REPO)],
        stdout=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    committed: list[int] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            committed.append(int(line))
            if len(committed) >= 40:
                break
        child.kill()  # SIGKILL: no cleanup, most likely in the middle of the next add()
        child.wait(timeout=30)
        committed += [int(word) for word in child.stdout.read().split()]  # what it printed before dying
    finally:
        child.kill()
        child.wait(timeout=30)
        if child.stdout:
            child.stdout.close()
    assert len(committed) >= 40
    with HistoryStore(path, keep=1_000_000) as store:
        with store._lock:  # a read-only look at the file's health
            assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {r.id for r in store.page(0, 1_000_000)}
        assert set(committed) <= ids
        assert len(ids) <= len(committed) + 1  # at most the one that committed before its id was printed
        assert all(store.get(i).exchange.response.body_bytes == 200_000 for i in committed)
        store.add(simple_exchange())  # and it is still writable


# --- the file itself: private modes, a lock held by another program, failures named by cause (issue 9) -----


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_history_is_0600_in_folders_created_0700(tmp_path: Path) -> None:
    path = tmp_path / "share" / "request-inspector" / "history.sqlite3"
    old = os.umask(0o022)  # the usual umask, which gave 0755 folders and 0644 files before
    try:
        with HistoryStore(path) as store:
            store.add(simple_exchange())
            files = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]
            assert all(f.exists() for f in files)  # WAL mode: all three are there while it is open
            assert [_mode(f) for f in files] == [0o600, 0o600, 0o600]
    finally:
        os.umask(old)
    assert _mode(tmp_path / "share") == 0o700 and _mode(path.parent) == 0o700


def test_an_older_history_written_0644_is_tightened_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    for suffix in ("", "-wal", "-shm"):
        target = Path(f"{path}{suffix}")
        target.touch()
        target.chmod(0o644)
    with HistoryStore(path) as store:
        store.add(simple_exchange())
        assert [_mode(Path(f"{path}{s}")) for s in ("", "-wal", "-shm")] == [0o600, 0o600, 0o600]


def test_a_history_another_program_holds_locked_says_so_and_nothing_about_damage(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path, busy_timeout=0.05, write_attempts=2)
    store.add(simple_exchange())
    other = sqlite3.connect(path, isolation_level=None)  # a second connection, as another program's would be
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError) as info:
            store.add(simple_exchange())
        text = str(info.value)
        assert info.value.reason == "locked" and isinstance(info.value, StorageError)
        assert "another program has the history open" in text and str(path) in text
        assert "damaged" not in text and "move" not in text
        assert store.count() == 1  # reading still works meanwhile (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.add(simple_exchange())  # and writing once it is let go
    assert store.count() == 2
    store.close()


def test_opening_a_history_another_program_holds_exclusively_says_so(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError, match="another program has the history open") as info:
            HistoryStore(path, busy_timeout=0.05)
        assert info.value.reason == "locked" and "damaged" not in str(info.value)
    finally:
        other.close()
    HistoryStore(path).close()


def test_a_write_waits_out_a_short_lock_with_retries(tmp_path: Path) -> None:
    """add() runs on the send's worker thread: it retries a lock that another program lets go of soon."""
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path, busy_timeout=0.05, write_attempts=200)  # up to ~10 s: never reached
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    letting_go = threading.Timer(0.2, lambda: other.execute("ROLLBACK"))
    letting_go.start()
    try:
        assert store.add(simple_exchange()) == 1
    finally:
        letting_go.join(30)
        other.close()
        store.close()


def test_a_history_under_a_regular_file_and_a_folder_in_its_place_are_named(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(HistoryError) as info:
        HistoryStore(tmp_path / "data" / "history.sqlite3")
    assert info.value.reason == "not-a-folder" and str(tmp_path / "data") in str(info.value)
    (tmp_path / "history.sqlite3").mkdir()
    with pytest.raises(HistoryError) as info:
        HistoryStore(tmp_path / "history.sqlite3")
    assert info.value.reason == "is-a-folder" and "move" not in str(info.value).replace("or move that", "")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write a 0400 file")
def test_a_read_only_history_is_named(tmp_path: Path) -> None:
    path = tmp_path / "h" / "history.sqlite3"
    with HistoryStore(path) as store:
        store.add(simple_exchange())
    for f in path.parent.iterdir():
        f.chmod(0o400)
    path.parent.chmod(0o500)
    try:
        with pytest.raises(HistoryError) as info:
            with HistoryStore(path, busy_timeout=0.05) as store:
                store.add(simple_exchange())
    finally:
        path.parent.chmod(0o700)
    assert info.value.reason == "read-only" and "read-only" in str(info.value)


def _sqlite_error(code: int, message: str) -> sqlite3.Error:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code  # what sqlite3 sets on the errors it raises
    return exc


@pytest.mark.parametrize(
    ("code", "reason", "words"),
    [
        (5, "locked", "another program has the history open"),  # SQLITE_BUSY
        (517, "locked", "another program has the history open"),  # SQLITE_BUSY_SNAPSHOT
        (6, "locked", "another program has the history open"),  # SQLITE_LOCKED
        (13, "disk-full", "the disk is full"),  # SQLITE_FULL
        (8, "read-only", "read-only"),  # SQLITE_READONLY
        (1032, "read-only", "read-only"),  # SQLITE_READONLY_DBMOVED
        (3, "permission-denied", "permission denied"),  # SQLITE_PERM
        (11, "damaged", "move the file away"),  # SQLITE_CORRUPT
        (26, "damaged", "move the file away"),  # SQLITE_NOTADB
        (778, "other", "check the disk"),  # SQLITE_IOERR_WRITE
    ],
)
def test_sqlite_errors_name_their_cause_and_only_damage_says_move_it_away(
    tmp_path: Path, code: int, reason: str, words: str
) -> None:
    path = tmp_path / "history.sqlite3"
    error = history_error(_sqlite_error(code, "sqlite's words"), path, "used")
    assert error.reason == reason and words in str(error) and str(path) in str(error)
    assert ("move" in str(error)) is (reason == "damaged")
