"""Colours for the window: status classes and syntax highlighting, in a light and a dark variant."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette, QTextCharFormat
from PySide6.QtWidgets import QApplication

from inspector.core.style_keys import STYLE_KEYS


@dataclass(frozen=True)
class Theme:
    name: str
    status: dict[str, str]  # "2xx".."5xx", "other", "error", "pending" -> colour of the status chip
    status_text: str  # text colour on a status chip
    syntax: dict[str, str]  # style key (core.highlight.STYLE_KEYS) -> foreground colour
    bold_keys: frozenset[str] = frozenset({"key", "tag", "heading"})
    error_text: str = "#c62828"
    ok_text: str = "#2e7d32"
    muted_text: str = "#6b6b6b"
    _formats: dict[int, QTextCharFormat] = field(default_factory=dict, compare=False, repr=False)

    def status_color(self, status: int | None) -> QColor:
        """2xx green, 3xx blue, 4xx orange, 5xx red; grey for anything else."""
        if status is None:
            return QColor(self.status["error"])
        return QColor(self.status.get(f"{status // 100}xx", self.status["other"]))

    def format_for(self, key_index: int) -> QTextCharFormat:
        """A cached QTextCharFormat for a style key index (see core.highlight.STYLE_KEYS)."""
        fmt = self._formats.get(key_index)
        if fmt is None:
            key = STYLE_KEYS[key_index]
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(self.syntax.get(key, self.syntax["name"])))
            if key in self.bold_keys:
                fmt.setFontWeight(QFont.Weight.DemiBold)
            self._formats[key_index] = fmt
        return fmt


LIGHT = Theme(
    name="light",
    status={"2xx": "#2e7d32", "3xx": "#1565c0", "4xx": "#e65100", "5xx": "#c62828", "other": "#616161",
            "error": "#8e24aa", "pending": "#757575"},
    status_text="#ffffff",
    syntax={
        "keyword": "#0033b3", "string": "#067d17", "number": "#1750eb", "key": "#871094", "tag": "#0033b3",
        "attribute": "#174ad4", "name": "#00627a", "builtin": "#00627a", "comment": "#8c8c8c",
        "operator": "#4d4d4d", "error": "#d50000", "heading": "#0033b3",
    },
)

DARK = Theme(
    name="dark",
    status={"2xx": "#43a047", "3xx": "#42a5f5", "4xx": "#fb8c00", "5xx": "#ef5350", "other": "#9e9e9e",
            "error": "#ab47bc", "pending": "#9e9e9e"},
    status_text="#101010",
    syntax={
        "keyword": "#cc7832", "string": "#6a8759", "number": "#6897bb", "key": "#c792ea", "tag": "#e8bf6a",
        "attribute": "#bababa", "name": "#ffc66d", "builtin": "#8888c6", "comment": "#808080",
        "operator": "#a9b7c6", "error": "#ff6b68", "heading": "#82aaff",
    },
    error_text="#ff8a80",
    ok_text="#81c784",
    muted_text="#a0a0a0",
)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def current_theme() -> Theme:
    """The dark theme when the application's palette is dark, otherwise the light one."""
    app = QApplication.instance()
    if isinstance(app, QApplication) and is_dark(app.palette()):
        return DARK
    return LIGHT


def status_chip_style(theme: Theme, status: int | None, pending: bool = False) -> str:
    """A style sheet for the status label: a coloured rounded chip readable in both palettes."""
    color = QColor(theme.status["pending"]) if pending else theme.status_color(status)
    return (
        f"QLabel {{ background-color: {color.name()}; color: {theme.status_text}; border-radius: 4px;"
        " padding: 2px 8px; font-weight: 600; }"
    )


def monospace_font() -> QFont:
    """The system's fixed-width font, for bodies and code."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font
