"""`python main.py send URL` against HTTPie's `http URL`, both against the same loopback server, same run.

Prints the median wall time of each and the ratio (ours / HTTPie). Needs HTTPie (`pip install httpie`, part of
the `bench` extra). Usage: python benchmarks/bench_cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT, env=env)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    http = shutil.which("http")
    if http is None:
        print("HTTPie's `http` is not installed: pip install httpie (or pip install -e '.[bench]')")
        return 2
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    ours_cmd = [sys.executable, "main.py", "send", url]
    theirs_cmd = [http, url]
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as home:
        # both as on a user's machine after an install, in a throw-away home (history, HTTPie's config, our
        # dataclass methods' cache): the warm-up run leaves each program's bytecode and caches for the
        # measured runs, even where this shell turns bytecode writing off
        env = {k: v for k, v in os.environ.items()
               if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith(("INSPECTOR_", "XDG_"))}
        env["HOME"] = home
        timed(ours_cmd, env), timed(theirs_cmd, env)  # warm the file cache; write the bytecode
        ours, theirs = [], []
        for _ in range(args.runs):  # interleaved so machine noise hits both alike
            ours.append(timed(ours_cmd, env))
            theirs.append(timed(theirs_cmd, env))
    server.shutdown()
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"python main.py send URL: median {mo * 1000:.0f} ms over {args.runs} runs")
    print(f"http URL (HTTPie):       median {mt * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio ours/HTTPie: {mo / mt:.2f} (target <= 1.00)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
