"""The application's icon as a QIcon: the PNGs, 16 to 512 pixels, each crisp at its size and scaled between
them. The SVG is not added: it would load Qt's SVG icon engine and library at start-up (some 5 MB resident for
as long as the window runs) to draw sizes the PNGs already cover. The desktop entry installs the SVG."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication

from inspector.assets import ICON_SIZES, icon_png

__all__ = ["app_icon", "ensure_app_icon"]

_icon: QIcon | None = None


def app_icon() -> QIcon:
    """The icon from inspector.resources (read from an installed wheel as from the source tree)."""
    global _icon
    if _icon is None:
        icon = QIcon()
        for size in ICON_SIZES:
            png = icon_png(size)
            if isinstance(png, Path):
                icon.addFile(str(png), QSize(size, size))  # read when first drawn at that size
            else:  # inside a zip: no file to name, the bytes are read now
                pixmap = QPixmap()
                if pixmap.loadFromData(png.read_bytes(), "PNG"):
                    icon.addPixmap(pixmap)
        _icon = icon
    return _icon


def ensure_app_icon() -> QIcon:
    """Give the application its icon when it has none yet (every window and dialog without an icon of its
    own shows the application's) and return it."""
    icon = app_icon()
    app = QApplication.instance()
    if isinstance(app, QApplication) and app.windowIcon().isNull():
        app.setWindowIcon(icon)
    return icon
