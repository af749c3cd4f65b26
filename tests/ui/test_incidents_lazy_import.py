"""Importing the incidents view (the window makes its controller, the status bar's badge, early) imports
neither core.incidents nor the timeline widget: the analysis imports them on its worker, the view when built."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_incidents_view_imports_no_analysis_and_no_timeline() -> None:
    script = ("import sys\nimport inspector.ui.incidents_view\n"
              "later = ('inspector.core.incidents', 'inspector.ui.incident_timeline')\n"
              "print([m for m in later if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=True)
    assert done.stdout.strip() == "[]"
