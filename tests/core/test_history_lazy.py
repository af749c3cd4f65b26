"""Opening the history and reading its list (the window does both at start-up) imports no exchange, diagnosis
or incidents module: add(), get() and incident_entries() import what they build, when they are called."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("inspector.core.exchange", "inspector.core.incidents", "inspector.core.diagnosis",
         "inspector.core.tokens", "inspector.core.redact.exchange", "inspector.core.bodies")


def _run(code: str) -> dict[str, object]:
    script = (f"import sys, json\nfrom pathlib import Path\nfrom inspector.core.history import HistoryStore\n{code}\n"
              "out['modules'] = sorted(m for m in sys.modules if m.startswith('inspector'))\n"
              "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def test_opening_and_listing_imports_no_exchange_diagnosis_or_incidents(tmp_path: Path) -> None:
    path = tmp_path / "history" / "history.sqlite3"
    out = _run(f"store = HistoryStore(Path({str(path)!r}))\n"
               "out = {'count': store.count(), 'page': len(store.page())}\n"
               "store.close()\n"
               f"store = HistoryStore(Path({str(path)!r}))\n"  # the second open: an up-to-date file
               "out['again'] = store.count()\n")
    assert (out["count"], out["page"], out["again"]) == (0, 0, 0)
    modules = out["modules"]
    assert isinstance(modules, list) and "inspector.core.history" in modules
    assert [m for m in modules if m.startswith(HEAVY)] == []


def test_adding_and_reading_back_import_what_they_need(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    out = _run("from inspector.core.exchange import Exchange\n"
               "from inspector.core.request import RequestSpec\n"
               f"store = HistoryStore(Path({str(path)!r}))\n"
               "new = store.add(Exchange(RequestSpec(url='https://example.test/a')))\n"
               "record = store.get(new)\n"
               "out = {'url': record.spec.url if record else None,\n"
               "       'entries': [e.host for e in store.incident_entries()]}\n"
               "store.close()\n")
    assert out["url"] == "https://example.test/a"
    assert out["entries"] == ["example.test:443"]
    modules = out["modules"]
    assert isinstance(modules, list) and "inspector.core.incidents" in modules
