"""Start-up: the time until Request Inspector's window is on screen, against an empty PySide6 window.

Both are whole processes (interpreter start included), each quitting right after its window's first paint,
run alternately on the same machine in the same run. Prints the medians and the ratio (target <= 1.5).
The deferred panes (response view, explainer) and the profiles/history are built just after that first paint;
the second figure includes them ("ready").

Usage: python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EMPTY = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, app.quit)
        return False

app = QApplication(sys.argv[:1])
window = QWidget()
window.resize(1400, 900)
probe = FirstPaint()
window.installEventFilter(probe)
window.show()
app.exec()
"""

READY = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from inspector.ui.gui import after_first_paint, make_settings, open_history, open_profiles
from inspector.ui.main_window import MainWindow
import os
app = QApplication(sys.argv[:1])
window = MainWindow(make_settings())
def ready():
    window.ensure_panels()
    window.history = open_history(os.environ)
    window.set_profiles(open_profiles(os.environ, []))
    QTimer.singleShot(0, app.quit)
after_first_paint(window, ready)
window.show()
app.exec()
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               INSPECTOR_TESTING="1", INSPECTOR_EXIT_AFTER_SHOW="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's installed app has its bytecode cached
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "inspector")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp, "empty.py")
        empty.write_text(EMPTY)
        ready = Path(tmp, "ready.py")
        ready.write_text(READY)
        commands = {
            "empty PySide6 window": [sys.executable, str(empty)],
            "python main.py (window on screen)": [sys.executable, "main.py"],
            "python main.py (panes, profiles, history ready)": [sys.executable, str(ready)],
        }
        for cmd in commands.values():  # warm the file cache
            timed(cmd, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # alternate, so machine noise hits all alike
            for name, cmd in commands.items():
                times[name].append(timed(cmd, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["empty PySide6 window"]
    for name, value in medians.items():
        print(f"{name:50s} median {value * 1000:6.0f} ms   ratio {value / base:.2f}")
    print(f"target: window on screen within 1.5x the empty window ({args.runs} runs each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
