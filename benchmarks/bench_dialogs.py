"""The support report and the curl command of an exchange with bodies of megabytes: the longest UI-thread stall
while they are built, against the same build on a worker thread measured in the same run (how the window
built them before the helper process, inspector/core/offload.py).

    python benchmarks/bench_dialogs.py [--mb 4] [--runs 3] [--json]

The exchange sends and receives one JSON body of --mb megabytes (records with e-mail addresses, which the
masking's patterns must look at). Each dialog is opened as the window opens it (made, shown, its first build
started at once, while it paints); the stall is the longest gap between the ticks of a 10 ms timer from then
until the build is shown. The helper is started once before (its start, 0.1-0.3 s, happens at the first report
or command of a session, on a worker too), and a first dialog of each kind is opened and not counted (it
imports what dialogs need). Medians of --runs.

--json prints one object per line: {"case": "report"|"curl", "body_mb", "worst_stall_ms",
"thread_worst_stall_ms", "ratio", "built_s", "thread_built_s"} (ratio = worst_stall_ms / thread_worst_stall_ms;
built_s: from the opening until the build is shown).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from benchmarks.stall import StallMeter, wait_until

GOAL_STALL_MS = 50.0


def exchange(megabytes: float) -> Any:
    from inspector.core.exchange import Exchange, Hop, Response
    from inspector.core.request import Body, RequestSpec

    records = []
    size = i = 0
    while size < megabytes * 1024 * 1024:
        records.append({"id": i, "name": f"customer {i}", "email": f"c{i}@example.com"})
        size += 60
        i += 1
    text = json.dumps(records)
    spec = RequestSpec("POST", "https://api.example.com/customers", body=Body("json", text))
    response = Response(401, "Unauthorized", (("Content-Type", "application/json"),), text.encode(), len(text))
    return Exchange(spec=spec, hops=(Hop("POST", spec.url, (), text.encode(), response, 0.1),))


def measure(case: str, ex: Any, runs: int) -> tuple[float, float]:
    """The median worst stall (ms) and build time (s) over `runs` dialogs opened, each until its build shows."""
    from inspector.core.diagnosis import explain
    from inspector.ui.curl_dialog import CurlDialog
    from inspector.ui.report_dialog import ReportDialog

    diagnosis = explain(ex)
    stalls: list[float] = []
    builds: list[float] = []
    for _ in range(runs + 1):  # the first one imports what the dialog needs: not counted
        meter = StallMeter()
        meter.start()
        started = time.perf_counter()
        dialog: Any = ReportDialog(ex, diagnosis) if case == "report" else CurlDialog(ex)
        dialog.show()
        wait_until(lambda d=dialog: not (d.building if case == "report" else d.writing), 60)
        builds.append(time.perf_counter() - started)
        stalls.append(meter.stop())
        dialog.close()
        dialog.deleteLater()
        QApplication.processEvents()
    return statistics.median(stalls[1:]), statistics.median(builds[1:])


def run_case(case: str, megabytes: float, runs: int) -> dict[str, Any]:
    from inspector.core.offload import HELPER

    ex = exchange(megabytes)
    HELPER.call(sum, [0])  # started, as after the first report of a session
    ours, built = measure(case, ex, runs)
    HELPER.unavailable = "the baseline: built on a worker thread"  # (runs in the calling job's thread)
    try:
        thread, thread_built = measure(case, ex, runs)
    finally:
        HELPER.unavailable = None
    size = len(ex.spec.body.text) / 1024 / 1024
    return {"case": case, "body_mb": round(size, 2), "worst_stall_ms": round(ours, 1),
            "thread_worst_stall_ms": round(thread, 1), "ratio": round(ours / thread, 3) if thread else None,
            "built_s": round(built, 3), "thread_built_s": round(thread_built, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=4.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    QApplication.instance() or QApplication(sys.argv[:1])
    for case in ("report", "curl"):
        result = run_case(case, args.mb, max(1, args.runs))
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(f"{case:6s} {result['body_mb']:4.1f} MB: worst stall {result['worst_stall_ms']:6.1f} ms "
                  f"(on a worker thread: {result['thread_worst_stall_ms']:6.1f} ms), built in "
                  f"{result['built_s']:.2f} s ({result['thread_built_s']:.2f} s); goal <= {GOAL_STALL_MS:.0f} ms",
                  flush=True)
    from inspector.core.offload import HELPER

    HELPER.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
