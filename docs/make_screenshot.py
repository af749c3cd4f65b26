"""Render the window with the demo API for the README and docs/: a demo request sent, its explanation shown.

Usage (headless; the screen is simulated at the size asked for):

    python docs/make_screenshot.py                       # docs/screenshot.png (the README's), 1600x1000 light
    python docs/make_screenshot.py --size 1280x720 --theme dark --out /tmp/shot.png [--example 1] [--history]
    python docs/make_screenshot.py --all                 # every screenshot in docs/ (one process each)

The window is sized as on a screen of that size with the window maximized: the whole screen is the window,
the hardest case for the layout. --history opens the history pane as well.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SIZES = ("1280x720", "1600x1000", "1920x1080")
README_SHOT = ("1600x1000", "light")  # docs/screenshot.png


def every_shot() -> list[tuple[str, str, Path, list[str]]]:
    """(size, theme, file, extra arguments) of every screenshot in docs/."""
    shots = [(size, "light", DOCS / f"screenshot-{size}.png", []) for size in SIZES]
    shots += [(size, "dark", DOCS / f"screenshot-{size}-dark.png", []) for size in ("1280x720", "1920x1080")]
    shots.append(("1600x1000", "light", DOCS / "screenshot-history-1600x1000.png", ["--history"]))
    shots.append((*README_SHOT, DOCS / "screenshot.png", []))
    return shots


def _screen_config(width: int, height: int) -> str:
    """An offscreen-platform configuration with one screen of this size (Qt reads it at start-up)."""
    config = {"screens": [{"name": "docs", "x": 0, "y": 0, "width": width, "height": height,
                           "logicalDpi": 96, "dpr": 1}]}
    handle, path = tempfile.mkstemp(prefix="inspector-screen-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(config, out)
    return path


def _dark_palette() -> object:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#17181a"), (QPalette.ColorRole.AlternateBase, "#26282b"),
        (QPalette.ColorRole.Text, "#e8eaed"), (QPalette.ColorRole.Button, "#2b2d30"),
        (QPalette.ColorRole.ButtonText, "#e8eaed"), (QPalette.ColorRole.ToolTipBase, "#2b2d30"),
        (QPalette.ColorRole.ToolTipText, "#e8eaed"), (QPalette.ColorRole.Highlight, "#3d6fb4"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.PlaceholderText, "#9aa0a6"),
        (QPalette.ColorRole.Link, "#8ab4f8"), (QPalette.ColorRole.Mid, "#3c4043"),
    ):
        palette.setColor(role, QColor(color))
    return palette


def shoot(size: str, theme: str, out: Path, example: int, history: bool) -> int:
    width, height = (int(n) for n in size.lower().split("x"))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen_config(width, height)}"
    os.environ.setdefault("INSPECTOR_TESTING", "1")  # throw-away settings, history, log and profile folders
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")  # the same look on every machine that renders the docs
    if theme == "dark":
        app.setPalette(_dark_palette())  # the window's theme follows the palette
    from inspector.demo.requests import demo_requests
    from inspector.demo.server import start_demo_server
    from inspector.ui.gui import make_settings, open_history
    from inspector.ui.main_window import MainWindow

    server = start_demo_server("127.0.0.1", 0)
    window = MainWindow(make_settings(), demo_requests=demo_requests(server.base_url), prefer_demo=True)
    window.setGeometry(app.primaryScreen().availableGeometry())  # maximized on that screen
    window.show()
    window.ensure_panels()
    loop = QEventLoop()
    if history:
        window.set_history(open_history(os.environ))
        for i in (1, 2, 0):  # a few entries, the one shown last
            window.load_example(i if i < len(window.demo_requests) else 0)
            window.send()
            window.exchange_received.connect(loop.quit)
            QTimer.singleShot(20_000, loop.quit)
            loop.exec()
            window.exchange_received.disconnect(loop.quit)
        window.history_action.setChecked(True)
    window.load_example(example)
    window.exchange_received.connect(lambda *_: QTimer.singleShot(1000, loop.quit))
    QTimer.singleShot(100, window.send)
    QTimer.singleShot(20_000, loop.quit)
    loop.exec()
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    window.shutdown()
    server.stop()
    print(f"{out} ({size}, {theme}{', history' if history else ''})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default=README_SHOT[0], help="the screen's size, WIDTHxHEIGHT")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--example", type=int, default=0, help="which demo request to send (0: expired)")
    parser.add_argument("--history", action="store_true", help="open the history pane too")
    parser.add_argument("--out", type=Path, default=DOCS / "screenshot.png")
    parser.add_argument("--all", action="store_true", help="every screenshot in docs/, one process each")
    args = parser.parse_args(argv)
    if not args.all:
        return shoot(args.size, args.theme, args.out, args.example, args.history)
    status = 0
    for size, theme, out, extra in every_shot():  # one process each: the screen's size is fixed at start-up
        command = [sys.executable, __file__, "--size", size, "--theme", theme, "--out", str(out), *extra]
        status |= subprocess.run(command, check=False, timeout=300).returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main())
