"""Memory: the idle window against an empty PySide6 window, and the window after 1,000 sends (no growth after
warm-up), each measured in a fresh process.

    python benchmarks/bench_memory.py [--sends 1000] [--json]

- idle: `python main.py` (the whole app, offscreen, a throwaway data folder) once its deferred start-up work is
  done and its memory has settled, against a script showing an empty `QMainWindow`; both read from the
  process's /proc/PID/status (VmRSS). growth_mb: how much the idle app grew over the following 3 s.
- after-1000-sends: a process with the window (panes built as after the first paint, a history file) sends
  1,000 times through the window's own path (`MainWindow.send()`: the tab's job, the transport, the
  explanation, the history record, the response and explainer panes) to a loopback server in this process.
  growth_mb is the RSS after send 1,000 minus the RSS after send 100 (warm-up); ours_mb is the RSS at the end.

ratio = ours_mb / empty_window_mb (target for idle: <= 1.5); the target for growth_mb is about 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench_startup import run_once, user_env

ROOT = Path(__file__).resolve().parents[1]
SETTLE_S = 1.0  # memory counts as settled when it moved less than SETTLE_MB over this long
SETTLE_MB = 0.5
MAX_WAIT_S = 40.0

EMPTY = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1400, 900)
window.show()
app.exec()
"""

SENDS = r"""
import json, sys, tempfile, time
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from inspector.core.history import HistoryStore
from inspector.core.request import RequestSpec
from inspector.ui.main_window import MainWindow


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


url, sends, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
app = QApplication(sys.argv[:1])
folder = Path(tempfile.mkdtemp())
store = HistoryStore(folder / "history.sqlite3")
window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat), history=store)
window.resize(1400, 900)
window.show()
window.ensure_panels()
window.editor.set_spec(RequestSpec(url=url, timeout_s=30))
state = {"sent": 0, "failed": ""}
samples = {}
started = time.perf_counter()


def send_next():
    # driven by the event loop, as a person clicking Send is: deleteLater() and queued work happen between
    if state["sent"] == sends:
        app.quit()
        return
    state["sent"] += 1
    if not window.send():
        state["failed"] = f"send {state['sent']} was refused"
        app.quit()


def received(*_args):
    QTimer.singleShot(0, after)


def after():
    if window.current_tab().sending:
        QTimer.singleShot(1, after)
        return
    n = state["sent"]
    if n in (warm, sends) or n % 100 == 0:
        samples[n] = rss_mb()
    QTimer.singleShot(0, send_next)


window.exchange_received.connect(received)
QTimer.singleShot(0, send_next)
QTimer.singleShot(600_000, app.quit)  # bounded
app.exec()
if state["failed"] or len(samples) < 2 or sends not in samples:
    raise SystemExit(state["failed"] or f"only {state['sent']} sends came back")
print(json.dumps({"samples": samples, "warm_mb": samples[warm], "end_mb": samples[sends],
                  "entries": store.count(), "seconds": time.perf_counter() - started}))
window.shutdown()
store.close()
"""


class Api(BaseHTTPRequestHandler):
    """A keep-alive JSON API answering 401 with a challenge and a small body, in one write."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"error": "invalid_token", "error_description": "The access token expired",
                           "items": list(range(50))}).encode()
        self.wfile.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                         b"WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def log_message(self, *_args: object) -> None:
        pass


def rss_of(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def settled_rss(cmd: list[str], env: dict[str, str], extra_s: float = 0.0) -> tuple[float, float]:
    """Start cmd, wait until its RSS has settled, then (RSS, growth over the next extra_s seconds); it is
    stopped afterwards."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        history: list[tuple[float, float]] = []
        deadline = time.monotonic() + MAX_WAIT_S
        time.sleep(0.5)
        while time.monotonic() < deadline:
            now, rss = time.monotonic(), rss_of(proc.pid)
            if rss is None or proc.poll() is not None:
                raise SystemExit(f"{cmd[-1]} ended before its memory settled")
            history.append((now, rss))
            window = [r for t, r in history if now - t <= SETTLE_S]
            if now - history[0][0] >= 2 * SETTLE_S and max(window) - min(window) < SETTLE_MB:
                break
            time.sleep(0.1)
        settled = history[-1][1]
        if extra_s:
            time.sleep(extra_s)
        later = rss_of(proc.pid) or settled
        return settled, later - settled
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sends", type=int, default=1000)
    parser.add_argument("--warm-up", type=int, default=100, help="sends before the first measure")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   INSPECTOR_TESTING="1", PYTHONPATH=str(ROOT), HOME=str(folder / "home"),
                   XDG_CONFIG_HOME=str(folder / "config"), XDG_DATA_HOME=str(folder / "data"))
        empty_script = folder / "empty.py"
        empty_script.write_text(EMPTY)
        sends_script = folder / "sends.py"
        sends_script.write_text(SENDS)
        empty_mb, _ = settled_rss([sys.executable, str(empty_script)], env)
        # idle: started as a user starts it (bench_startup's environment: a throw-away home, no test switches),
        # after a first run has left what a second start reads (settings, history, the dataclass methods' cache)
        (folder / "user").mkdir()
        probe = folder / "probe.json"
        user = user_env(folder / "user", probe)
        run_once([sys.executable, "main.py"], user, probe)  # quits by itself once ready: its exit writes
        del user["INSPECTOR_STARTUP_PROBE"]  # the measured one runs until stopped
        idle_mb, idle_growth = settled_rss([sys.executable, "main.py"], user, extra_s=3.0)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/v1/me"
            done = subprocess.run([sys.executable, str(sends_script), url, str(args.sends), str(args.warm_up)],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        finally:
            server.shutdown()
            server.server_close()
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        sent = json.loads(done.stdout.strip().splitlines()[-1])
        if os.environ.get("BENCH_DEBUG"):
            print(sent, file=sys.stderr)
    results: list[dict[str, Any]] = [
        {"case": "idle", "ours_mb": round(idle_mb, 1), "empty_window_mb": round(empty_mb, 1),
         "ratio": round(idle_mb / empty_mb, 3), "growth_mb": round(idle_growth, 1)},
        {"case": "after-1000-sends", "ours_mb": round(sent["end_mb"], 1), "empty_window_mb": round(empty_mb, 1),
         "ratio": round(sent["end_mb"] / empty_mb, 3), "growth_mb": round(sent["end_mb"] - sent["warm_mb"], 1),
         "sends": args.sends, "warm_up": args.warm_up, "seconds": round(sent["seconds"], 1)},
    ]
    for result in results:
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{result['case']:17s} ours {result['ours_mb']:6.1f} MB   empty window "
                  f"{result['empty_window_mb']:6.1f} MB   ratio {result['ratio']:.2f}   growth "
                  f"{result['growth_mb']:+.1f} MB")
    if not args.json:
        print(f"targets: idle ratio <= 1.5; growth from send {args.warm_up} to send {args.sends} about 0")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
