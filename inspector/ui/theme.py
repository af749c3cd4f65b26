"""Every colour the window uses, in one palette per variant (light and dark).

Widgets never hold colour literals: they read the Theme the window's ViewState holds (view_state.theme), which
follows the application's palette. Syntax colours are keyed by core.style_keys.STYLE_KEYS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

from inspector.core.style_keys import STYLE_KEYS

if TYPE_CHECKING:  # built on first use: its enums are not needed before the first paint
    from PySide6.QtGui import QTextCharFormat

_VERDICT: dict[str, str] = {
    "ok": "#2e7d32",
    "authentication": "#c62828",
    "authorization": "#c25100",
    "step-up": "#6a1b9a",
    "proxy-authentication": "#6d4c41",
    "not-credential-related": "#546e7a",
    "transport-error": "#7f0000",
}
_SEVERITY: dict[str, str] = {"error": "#c62828", "warning": "#c77700", "info": "#1565c0"}
# signature badges: verified, check failed, not checked, nothing to check
_BADGE: dict[str, str] = {"verified": "#2e7d32", "failed": "#c62828", "unchecked": "#607d8b",
                          "none": "#607d8b"}


@dataclass(frozen=True)
class Theme:
    """The colours of one palette (light or dark): status chips, syntax, verdicts, severities, badges."""

    name: str
    status: dict[str, str]  # "2xx".."5xx", "other", "error", "pending" -> colour of the status chip
    status_text: str  # text colour on a status chip
    syntax: dict[str, str]  # style key (core.highlight.STYLE_KEYS) -> foreground colour
    bold_keys: frozenset[str] = frozenset({"key", "tag", "heading"})
    error_text: str = "#c62828"
    ok_text: str = "#2e7d32"
    muted_text: str = "#6b6b6b"
    warn_text: str = "#9a5b00"
    # Verdict banners and signature badges carry white text: each colour keeps a contrast above 4.5:1 with
    # white, so they read the same on a light and a dark window.
    verdict: dict[str, str] = field(default_factory=lambda: dict(_VERDICT))
    verdict_other: str = "#546e7a"
    severity: dict[str, str] = field(default_factory=lambda: dict(_SEVERITY))
    severity_other: str = "#607d8b"
    badge: dict[str, str] = field(default_factory=lambda: dict(_BADGE))  # verified, failed, unchecked, none
    badge_text: str = "#ffffff"
    chip_bg: str = "#e3eaf2"  # a scope or audience word in the claims at a glance
    chip_text: str = "#102a43"
    safe_badge_bg: str = "#1b5e20"  # the status bar's "secrets hidden" badge
    safe_badge_text: str = "#ffffff"
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
            from PySide6.QtGui import QTextCharFormat

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
    warn_text="#ffb74d",
    badge=dict(_BADGE, unchecked="#78909c"),
    chip_bg="#37474f",
    chip_text="#eceff1",
)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def theme_for(palette: QPalette) -> Theme:
    """The dark theme for a dark palette, otherwise the light one."""
    return DARK if is_dark(palette) else LIGHT


def current_theme() -> Theme:
    """The dark theme when the application's palette is dark, otherwise the light one."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return theme_for(app.palette())
    return LIGHT


def verdict_color(theme: Theme, verdict: str | None) -> str:
    """The banner colour of a verdict (a neutral grey for none or an unknown one)."""
    return theme.verdict.get(verdict or "", theme.verdict_other)


def label_color_style(color: str, *, bold: bool = False) -> str:
    """A style sheet that colours a label's text (one spelling for every pane)."""
    return f"color: {color};" + (" font-weight: 600;" if bold else "")


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
