"""History at scale: how long the UI thread stalls while the window's own code trims or clears a 50,000-entry
history, and while the first send into a history over its limit is recorded and shown.

    python benchmarks/bench_history.py [--entries 50000] [--json]

Each case runs the real code on a real sqlite file (entries shaped like real ones: an add() of a masked 401
exchange, copied), offscreen:

- trim-50k-to-10k: HistoryPane.set_keep(10,000) (the "Keep" box), until the pane says the entries went;
- clear-all: HistoryPane.clear_all(), until the pane says the entries went;
- first-add-over-limit: a MainWindow whose history holds 50,000 entries with its limit at 10,000 sends to a
  loopback server; until the response is shown and the history is back within its limit.

The stall is the worst gap between ticks of a 10 ms QTimer on the UI thread while that runs (target <= 50 ms).
Also printed: how long the work took in all (`work_ms`, off the UI thread) and, for the send, how long until
the response was shown (`response_ms`), with the same figures for the same send into a history within its
limit (`response_within_limit_ms`, `worst_stall_within_limit_ms`: showing a response has a cost of its own).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("INSPECTOR_TESTING", "1")  # no user settings, keyring or data folders
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from benchmarks.stall import StallMeter, wait_until
from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.history import HistoryStore
from inspector.core.request import Header, RequestSpec

TARGET_STALL_MS = 50.0
KEEP = 10_000


def sample_exchange(i: int = 0) -> Exchange:
    body = json.dumps({"error": "invalid_token", "error_description": "The access token expired",
                       "items": [{"id": n, "name": f"item {n}", "owner": "team-a"} for n in range(40)]}).encode()
    response = Response(401, "Unauthorized", (("Content-Type", "application/json"),
                                              ("WWW-Authenticate", 'Bearer error="invalid_token"')), body, len(body))
    spec = RequestSpec(url=f"https://api.example.test/v1/items/{i}?page=2",
                       headers=(Header("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"),))
    hop = Hop("GET", spec.url, (("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"),),
              b"", response, 0.12)
    return Exchange(spec=spec, hops=(hop,))


def build_template(path: Path, entries: int) -> None:
    """`entries` rows like one real add(), written in one transaction with the indexes built after."""
    with HistoryStore(path, keep=entries + 1, clock=lambda: datetime.now(UTC) - timedelta(days=60)) as store:
        store.add(sample_exchange())  # the oldest entry
    db = sqlite3.connect(path, isolation_level=None)
    try:
        row = db.execute("SELECT time, method, url, status, status_class, verdict, elapsed_ms, profile,"
                         " error_kind, host, findings, facts FROM exchanges").fetchone()
        payload = db.execute("SELECT exchange_json, diagnosis_json FROM payloads").fetchone()
        indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'exchanges'"
                             " AND sql IS NOT NULL").fetchall()
        db.execute("BEGIN")
        for name, _sql in indexes:
            db.execute(f'DROP INDEX "{name}"')
        # one entry every 100 s up to now (50,000 span about two months), oldest first, as a history grows
        now = datetime.now(UTC)
        db.executemany("INSERT INTO exchanges (time, method, url, status, status_class, verdict, elapsed_ms,"
                       " profile, error_kind, host, findings, facts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       ((when(now - timedelta(seconds=100 * (entries - i))), row[1],
                         row[2].replace("/items/0", f"/items/{i}"), *row[3:]) for i in range(1, entries)))
        db.execute("INSERT OR IGNORE INTO payloads SELECT id, ?, ? FROM exchanges", payload)
        for _name, sql in indexes:
            db.execute(sql)
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")  # the store's own shape (UTC, sorts as text)


def fresh_copy(template: Path, folder: Path) -> Path:
    target = folder / "history.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)
    return target


def pane_case(case: str, path: Path, entries: int) -> dict[str, Any]:
    from inspector.ui.history_pane import HistoryPane

    store = HistoryStore(path, keep=entries + 1)
    pane = HistoryPane(store, ask=lambda *_a: True, inform=lambda *_a: None)
    pane.resize(500, 700)
    pane.show()
    QApplication.processEvents()
    removed: list[int] = []
    pane.entries_removed.connect(removed.append)
    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    if case == "clear-all":
        pane.clear_all()
    else:
        pane.set_keep(KEEP)
    ok = wait_until(lambda: bool(removed))
    work_ms = (time.perf_counter() - started) * 1000.0
    stall = meter.stop()
    expected = 0 if case == "clear-all" else KEEP
    if not ok or store.count() != expected:
        raise SystemExit(f"{case}: the history holds {store.count()} entries, not {expected}")
    pane.shutdown()
    pane.deleteLater()
    store.close()
    return {"case": case, "worst_stall_ms": round(stall, 1), "work_ms": round(work_ms, 1), "entries": entries}


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b'{"error": "invalid_token"}'
        self.wfile.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                         b"WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def log_message(self, *_args: object) -> None:
        pass


def send_case(path: Path, small: Path, entries: int, folder: Path) -> dict[str, Any]:
    from inspector.ui.main_window import MainWindow

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/me"

    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(1200, 800)
    window.show()
    window.ensure_panels()  # what the app does right after the first paint
    QApplication.processEvents()

    def one_send(history_path: Path) -> tuple[float, float, float, int]:
        store = HistoryStore(history_path, keep=KEEP)
        window.set_history(store)
        window.editor.set_spec(RequestSpec(url=url, timeout_s=30))
        shown: list[float] = []

        def received(*_args: object) -> None:
            shown.append(time.perf_counter())

        window.exchange_received.connect(received)
        meter = StallMeter()
        meter.start()
        started = time.perf_counter()
        window.send()
        ok = wait_until(lambda: bool(shown)) and wait_until(
            lambda: not window.jobs.busy("history-trim") and store.excess() == 0)
        done = time.perf_counter()
        stall = meter.stop()
        window.exchange_received.disconnect(received)
        count = store.count()
        window.set_history(None)
        store.close()
        if not ok:
            raise SystemExit("first-add-over-limit: the send or the trim did not finish")
        return stall, (shown[0] - started) * 1000.0, (done - started) * 1000.0, count

    try:
        one_send(small)  # warm up: the first send builds what a window builds once
        within_stall, within_ms, _work, _count = one_send(small)
        stall, response_ms, work_ms, count = one_send(path)
    finally:
        window.shutdown()
        window.deleteLater()
        server.shutdown()
        server.server_close()
    if count != KEEP:
        raise SystemExit(f"first-add-over-limit: the history holds {count} entries, not {KEEP}")
    return {"case": "first-add-over-limit", "worst_stall_ms": round(stall, 1), "response_ms": round(response_ms, 1),
            "worst_stall_within_limit_ms": round(within_stall, 1), "response_within_limit_ms": round(within_ms, 1),
            "work_ms": round(work_ms, 1), "entries": entries}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--json", action="store_true", help="one JSON object per line per case")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = folder / "template.sqlite3"
        build_template(template, args.entries)
        work = folder / "work"
        work.mkdir()
        for case in ("trim-50k-to-10k", "clear-all"):
            results.append(pane_case(case, fresh_copy(template, work), args.entries))
        small = folder / "small"
        small.mkdir()
        with HistoryStore(small / "history.sqlite3") as store:
            store.add(sample_exchange())
        results.append(send_case(fresh_copy(template, work), small / "history.sqlite3", args.entries, folder))
    app.processEvents()
    for result in results:
        if args.json:
            print(json.dumps(result))
        else:
            extra = (f"\n{'':22s} response shown after {result['response_ms']:.0f} ms; the same send into a "
                     f"history within its limit: {result['response_within_limit_ms']:.0f} ms, worst stall "
                     f"{result['worst_stall_within_limit_ms']:.1f} ms" if "response_ms" in result else "")
            print(f"{result['case']:22s} worst UI stall {result['worst_stall_ms']:6.1f} ms   "
                  f"work {result['work_ms'] / 1000:5.2f} s off the UI thread{extra}")
    if not args.json:
        print(f"target: worst stall <= {TARGET_STALL_MS:.0f} ms ({args.entries:,} entries, limit {KEEP:,})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
