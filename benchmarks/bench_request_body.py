"""A large request body pasted into the window's Body page: the longest UI-thread stall, against the same paste
into a bare QPlainTextEdit measured in the same run (what the editor costs by itself).

    python benchmarks/bench_request_body.py [--mb 5] [--json]

One case per shape of JSON: "pretty" (indented, many lines) and "one-line" (minified). The text goes in as a
paste does (insertFromMimeData, what Ctrl+V and a drop call), into a window's request editor with the JSON
body kind; then three keys are typed into the URL bar, each making a message under it (which masks the
form's secrets, the body's included). The window holds a body this large aside and shows its start
(ui/request_editor.py, LARGE_EDIT_CHARS).

--json prints one object per line: {"case", "body_mb", "worst_stall_ms", "bare_editor_stall_ms", "ratio",
"keys_worst_stall_ms"} (worst_stall_ms: from the paste until the window is idle again; keys_worst_stall_ms:
typing in the URL bar after it, each key a message, the first of which has the body's secrets sought once,
in the helper process (inspector/core/offload.py); ratio = worst_stall_ms / bare_editor_stall_ms).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMimeData, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from benchmarks.stall import StallMeter, wait_until

GOAL_STALL_MS = 50.0


def body(megabytes: float, shape: str) -> str:
    records = []
    size = i = 0
    while size < megabytes * 1024 * 1024:
        records.append({"id": i, "name": f"customer {i}", "email": f"user{i}@example.com", "tags": ["a", "b"]})
        size += 90 if shape == "pretty" else 70
        i += 1
    return json.dumps(records, indent=2 if shape == "pretty" else None)


def _idle(seconds: float) -> None:
    wait_until(lambda: False, seconds)


def _paste_stall(editor: QPlainTextEdit, text: str, settle_s: float) -> float:
    data = QMimeData()
    data.setText(text)
    meter = StallMeter()
    meter.start()
    editor.setFocus()
    editor.insertFromMimeData(data)
    _idle(settle_s)
    meter.stop()
    return meter.worst * 1000


def run_case(megabytes: float, shape: str) -> dict[str, Any]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from inspector.ui.main_window import MainWindow

    text = body(megabytes, shape)
    bare = QPlainTextEdit()
    bare.resize(900, 600)
    bare.show()
    _idle(0.2)
    bare_ms = _paste_stall(bare, text, 0.5)
    bare.close()
    bare.deleteLater()

    with tempfile.TemporaryDirectory(prefix="bench-body-") as tmp:
        window = MainWindow(QSettings(str(Path(tmp, "settings.ini")), QSettings.Format.IniFormat))
        window.resize(1200, 800)
        window.show()
        window.ensure_panels()
        editor = window.editor
        editor.tabs.setCurrentIndex(2)  # Body
        editor.body_kind_combo.setCurrentIndex(editor.body_kind_combo.findData("json"))
        _idle(0.3)
        ours_ms = _paste_stall(editor.body_text, text, 1.0)
        sent = editor.to_spec().body.text
        editor.url_edit.setFocus()
        meter = StallMeter()
        meter.start()
        editor.url_edit.setText("http:/")  # the first message: the body's secrets are looked for, once
        for key in "x y":  # "http:/x y": not a URL yet, a message each key
            event = QKeyEvent(QKeyEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, key)
            QApplication.sendEvent(editor.url_edit, event)
            _idle(0.05)
        _idle(0.6)
        meter.stop()
        keys_ms = meter.worst * 1000
        window.shutdown()
        window.close()
    app.processEvents()
    if sent != text:
        raise SystemExit(f"{shape}: the body the window would send is not the text pasted")
    return {"case": shape, "body_mb": round(len(text) / 1024 / 1024, 2), "worst_stall_ms": round(ours_ms, 1),
            "bare_editor_stall_ms": round(bare_ms, 1), "ratio": round(ours_ms / bare_ms, 3) if bare_ms else None,
            "keys_worst_stall_ms": round(keys_ms, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for shape in ("pretty", "one-line"):
        result = run_case(args.mb, shape)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(f"{shape:9s} {result['body_mb']:5.1f} MB: worst stall {result['worst_stall_ms']:7.1f} ms "
                  f"(a bare QPlainTextEdit: {result['bare_editor_stall_ms']:7.1f} ms); typing "
                  f"{result['keys_worst_stall_ms']:.1f} ms; goal <= {GOAL_STALL_MS:.0f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
