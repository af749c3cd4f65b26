"""qt_types.make: Qt classes made ahead of their first use, on a worker thread."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_first_answers_classes_are_made_on_a_worker() -> None:
    code = """
import json, threading
from PySide6 import QtWidgets
from PySide6.QtWidgets import QApplication
app = QApplication([])
from inspector.ui import qt_types
names = qt_types.FIRST_RESULT[0][1]
before = [n for n in names if n in vars(QtWidgets)]  # PySide adds a class to the module when it makes it
worker = threading.Thread(target=qt_types.make, args=(qt_types.FIRST_RESULT,))
worker.start()
worker.join(30)
after = [n for n in names if n in vars(QtWidgets)]
style = QtWidgets.QStyle.PixelMetric.PM_ButtonMargin  # usable on the UI thread afterwards
print(json.dumps({"names": len(names), "before": len(before), "after": len(after), "style": int(style.value) >= 0}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=False, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["before"] < out["names"] // 2  # not made by importing QtWidgets alone
    assert out["after"] >= out["names"] - 3 and out["style"]  # made (a name another PySide lacks is skipped)
