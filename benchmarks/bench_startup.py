"""Start-up: when Request Inspector's window is on screen and when it is ready, against an empty PySide6
QMainWindow, and the longest UI-thread stall in the first second after the window appears.

    python benchmarks/bench_startup.py [--runs 11] [--json]

Every run is a fresh process (interpreter start included), ours and the empty window alternately, so machine
noise hits both alike; the figures are medians. Times are taken inside the child (wall clock, compared with
the moment the parent started it) and written by the app's start-up probe (INSPECTOR_STARTUP_PROBE, see
inspector/ui/gui.py):

- on-screen: the window's first paint;
- ready: the panes built, the profiles loaded and the history opened (the probe's `ready_at`);
- worst stall: the longest gap between the ticks of a 10 ms QTimer started at the first paint, over the
  first second.

Ours runs `python main.py` as a user would, in a throw-away home folder (its own settings, profiles, history,
log folder; the keyring is looked up as on a real machine), with the bytecode compiled as after an install.
Its first run, not counted, is a user's first start: it also writes what later starts read beside the
bytecode (the compiled patterns, inspector/core/regexcache.py, and PySide's embedded Python,
inspector/ui/qt_compat.py), which cut part of PySide's own start; the empty window has neither.

--json prints one object per line: {"case": "on-screen"|"ready", "ours_s", "empty_window_s", "ratio",
"worst_stall_after_paint_ms"}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_ON_SCREEN = 1.3
GOAL_READY = 2.0
GOAL_STALL_MS = 50.0

# The baseline: an empty QMainWindow the size ours takes on the same screen, quitting after its first paint.
EMPTY = """
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "at"):
            self.at = time.time()
            QTimer.singleShot(0, app.quit)
        return False

app = QApplication(sys.argv[:1])
window = QMainWindow()
available = app.primaryScreen().availableGeometry()
window.resize(max(1, round(available.width() * 0.9)), max(1, round(available.height() * 0.9)))
probe = FirstPaint()
window.installEventFilter(probe)
window.show()
app.exec()
with open(sys.argv[1], "w") as out:
    json.dump({"painted_at": probe.at}, out)
"""


def run_once(cmd: list[str], env: dict[str, str], probe: Path, timeout: float = 60.0) -> dict[str, float]:
    """One fresh process; the probe's figures with times made relative to the moment it was started."""
    probe.unlink(missing_ok=True)
    started = time.time()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=timeout)
    data = json.loads(probe.read_text(encoding="utf-8"))
    out = {"painted_s": data["painted_at"] - started}
    if "ready_at" in data:
        out["ready_s"] = data["ready_at"] - started
        out["worst_stall_ms"] = float(data["worst_stall_ms"])
    return out


def user_env(home: Path, probe: Path) -> dict[str, str]:
    """The environment of a user starting the app, in a throw-away home (nothing of the real user's read)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INSPECTOR_", "XDG_", "PYTHON_KEYRING")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_STATE_HOME=str(home / ".local/state"), XDG_CACHE_HOME=str(home / ".cache"),
               INSPECTOR_SETTINGS=str(home / "settings.ini"), INSPECTOR_STARTUP_PROBE=str(probe),
               QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return env


def measure(runs: int) -> dict[str, list[float]]:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "inspector")], check=True)
    figures: dict[str, list[float]] = {"empty": [], "on-screen": [], "ready": [], "stall": []}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        home = Path(tmp, "home")
        home.mkdir()
        probe = Path(tmp, "probe.json")
        env = user_env(home, probe)
        empty = Path(tmp, "empty.py")
        empty.write_text(EMPTY, encoding="utf-8")
        ours = [sys.executable, "main.py"]
        baseline = [sys.executable, str(empty), str(probe)]
        run_once(ours, env, probe)  # a first start: the settings, folders, history, and the tables it writes
        run_once(baseline, env, probe)
        for _ in range(runs):  # alternate, so machine noise hits both alike
            base = run_once(baseline, env, probe)
            figures["empty"].append(base["painted_s"])
            got = run_once(ours, env, probe)
            figures["on-screen"].append(got["painted_s"])
            figures["ready"].append(got["ready_s"])
            figures["stall"].append(got["worst_stall_ms"])
    return figures


def rows(figures: dict[str, list[float]]) -> list[dict[str, object]]:
    empty = statistics.median(figures["empty"])
    stall = statistics.median(figures["stall"])
    out: list[dict[str, object]] = []
    for case in ("on-screen", "ready"):
        ours = statistics.median(figures[case])
        out.append({"case": case, "ours_s": round(ours, 4), "empty_window_s": round(empty, 4),
                    "ratio": round(ours / empty, 2), "worst_stall_after_paint_ms": round(stall, 1)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each process (default 11)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per case")
    args = parser.parse_args(argv)
    figures = measure(max(1, args.runs))
    results = rows(figures)
    if args.json:
        for row in results:
            print(json.dumps(row))
        return 0
    goals = {"on-screen": GOAL_ON_SCREEN, "ready": GOAL_READY}
    for row in results:
        print(f"{row['case']:10s} ours {float(row['ours_s']) * 1000:6.0f} ms   empty window "
              f"{float(row['empty_window_s']) * 1000:6.0f} ms   ratio {row['ratio']:.2f} "
              f"(goal <= {goals[str(row['case'])]})")
    worst = max(figures["stall"])
    print(f"worst UI-thread stall in the first second after the first paint: median "
          f"{results[0]['worst_stall_after_paint_ms']} ms, worst run {worst:.0f} ms (goal <= {GOAL_STALL_MS:.0f})")
    print(f"({args.runs} runs of each, medians)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
