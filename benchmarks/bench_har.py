"""Open HAR with a large file: the longest UI-thread stall from opening it until its requests are listed,
against json.loads of the same file on a worker thread measured in the same run (what the window's job did
first, before anything else, until it read the file in pieces).

    python benchmarks/bench_har.py [--mb 30] [--runs 3] [--json]

The file repeats the entries of tests/fixtures/chrome_demo.har (a 401 with a token, a redirect chain, a cached
script, a token request, a request without an answer) until it is --mb megabytes. The stall is the longest gap
between the ticks of a 10 ms timer. Medians of --runs.

--json prints one object per line: {"case": "har", "file_mb", "entries", "worst_stall_ms",
"json_loads_stall_ms", "ratio", "loaded_s"} (ratio = worst_stall_ms / json_loads_stall_ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from benchmarks.stall import StallMeter, wait_until

ROOT = Path(__file__).resolve().parents[1]
GOAL_STALL_MS = 50.0


def write_har(path: Path, megabytes: float) -> None:
    doc = json.loads((ROOT / "tests" / "fixtures" / "chrome_demo.har").read_text(encoding="utf-8"))
    one = json.dumps(doc["log"]["entries"], indent=1)  # indented, as browsers save them
    doc["log"]["entries"] = doc["log"]["entries"] * max(1, round(megabytes * 1024 * 1024 / len(one)))
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def open_once(path: Path) -> tuple[float, float, int]:
    from inspector.ui.har_dialog import HarDialog

    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    dialog = HarDialog(None)
    dialog.resize(1100, 650)
    dialog.show()
    dialog.load(path)
    wait_until(lambda: not dialog.loading, 120)
    wait_until(lambda: False, 0.2)  # the table's first paint
    loaded = time.perf_counter() - started - 0.2
    stall = meter.stop()
    entries = len(dialog.entries())
    dialog.close()
    dialog.deleteLater()
    QApplication.processEvents()
    return stall, loaded, entries


def json_loads_once(path: Path) -> float:
    data = path.read_bytes()
    meter = StallMeter()
    meter.start()
    worker = threading.Thread(target=json.loads, args=(data,))
    worker.start()
    wait_until(lambda: not worker.is_alive(), 120)
    worker.join()
    return meter.stop()


def run(megabytes: float, runs: int) -> dict[str, Any]:
    QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="bench-har-") as tmp:
        path = Path(tmp, "large.har")
        write_har(path, megabytes)
        size = path.stat().st_size / 1024 / 1024
        open_once(path)  # imports what the dialog needs: not counted
        ours: list[tuple[float, float, int]] = []
        baseline: list[float] = []
        for _ in range(runs):  # alternately, so the machine's noise hits both alike
            ours.append(open_once(path))
            baseline.append(json_loads_once(path))
    stall = statistics.median(o[0] for o in ours)
    loads = statistics.median(baseline)
    return {"case": "har", "file_mb": round(size, 1), "entries": ours[0][2], "worst_stall_ms": round(stall, 1),
            "json_loads_stall_ms": round(loads, 1), "ratio": round(stall / loads, 3) if loads else None,
            "loaded_s": round(statistics.median(o[1] for o in ours), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.mb, max(1, args.runs))
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        print(f"{result['file_mb']:.1f} MB HAR, {result['entries']:,} entries: worst stall "
              f"{result['worst_stall_ms']:.1f} ms (json.loads of it on a worker thread: "
              f"{result['json_loads_stall_ms']:.1f} ms), listed after {result['loaded_s']:.2f} s; goal <= "
              f"{GOAL_STALL_MS:.0f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
