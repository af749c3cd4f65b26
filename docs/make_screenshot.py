"""Render the README's screenshot: the window with the demo API, the first demo request (an expired token) sent.

Usage: QT_QPA_PLATFORM=offscreen python docs/make_screenshot.py [out.png] [example-index]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("INSPECTOR_TESTING", "1")  # throw-away settings, history and profile folders

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("screenshot.png"))
    index = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    app = QApplication(sys.argv[:1])
    from inspector.demo.requests import demo_requests
    from inspector.demo.server import start_demo_server
    from inspector.ui.gui import make_settings
    from inspector.ui.main_window import MainWindow

    server = start_demo_server("127.0.0.1", 0)
    window = MainWindow(make_settings(), demo_requests=demo_requests(server.base_url), prefer_demo=True)
    window.resize(1500, 920)
    window.show()
    window.ensure_panels()
    window.load_example(index)
    loop = QEventLoop()
    window.exchange_received.connect(lambda *_: QTimer.singleShot(1000, loop.quit))
    QTimer.singleShot(100, window.send)
    QTimer.singleShot(20_000, loop.quit)
    loop.exec()
    window.grab().save(str(out))
    window.shutdown()
    server.stop()
    del app
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
