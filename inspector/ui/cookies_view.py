"""The response view's Cookies tab: per hop, the cookies its request carried, those the profile's jar held
back (and why), and those its response set (core/hop_cookies.py reads them from the exchange).

Cookie values are secrets: they are shown masked, and "Show values" reveals them only while the window is
not in screen-share-safe mode (turning that mode on hides them again at once).
"""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.exchange import Exchange
from inspector.core.hop_cookies import CookieLine, HopCookies, hop_cookies
from inspector.core.redact import NO_SECRETS, Secrets, mask, mask_url
from inspector.ui.theme import label_color_style
from inspector.ui.view_state import ViewState, plain_label, plain_tip

__all__ = ["COLUMNS", "CookiesView", "attributes", "expiry_text"]

COLUMNS = ["Cookie", "Value", "Domain", "Path", "Expires", "Attributes", "Note"]
EMPTY_TEXT = ("No cookies: no request of this exchange carried a cookie, no response set one, and none was "
              "held back.")
_KIND_WORDS = {"sent": "sent", "held": "held back", "set": "set"}
_HELD_WORDS = {"secure": "Secure over http", "domain": "Domain does not match", "path": "Path does not match",
               "expired": "expired"}


def expiry_text(line: CookieLine) -> str:
    """When a cookie expires, as a person reads it."""
    if line.kind != "set" or line.refused:
        return ""
    if line.removed:
        return "in the past"
    if line.expires is None:
        return "end of session"
    return line.expires.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def attributes(line: CookieLine) -> str:
    """Secure, HttpOnly, SameSite and host-only, as set."""
    if line.kind != "set" or line.refused:
        return ""
    words = [w for w, on in (("Secure", line.secure), ("HttpOnly", line.http_only)) if on]
    if line.same_site:
        words.append(f"SameSite={line.same_site}")
    if not line.host_only:
        words.append("subdomains too")
    return ", ".join(words)


def _note(line: CookieLine) -> str:
    if line.kind == "held":
        return line.detail or _HELD_WORDS.get(line.reason or "", line.reason or "")
    if line.refused:
        return f"refused: {line.refused}"
    if line.removed:
        return "deleted by the server (an expiry in the past)"
    return ""


class CookiesView(QWidget):
    """A tree of hops and their cookies; see the module text."""

    def __init__(self, view: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cookiesView")
        self.view_state = view
        self.hops: tuple[HopCookies, ...] = ()
        self._secrets: Secrets = NO_SECRETS
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        tools = QHBoxLayout()
        self.reveal = QCheckBox("Show values", self)
        self.reveal.setObjectName("cookiesReveal")
        self.reveal.toggled.connect(lambda _on: self._fill())
        self.summary = plain_label("", self, name="cookiesSummary")
        tools.addWidget(self.summary, 1)
        tools.addWidget(self.reveal)
        layout.addLayout(tools)
        self.stack = QStackedWidget(self)
        self.empty = plain_label(EMPTY_TEXT, self.stack, name="cookiesEmpty", wrap=True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tree = QTreeWidget(self.stack)
        self.tree.setObjectName("cookiesTree")
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setUniformRowHeights(True)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tree)
        layout.addWidget(self.stack, 1)
        view.follow_safe(self._on_safe)
        view.theme_changed.connect(lambda _t: self._style())
        self._style()

    @property
    def count(self) -> int:
        """How many cookie lines are listed (the tab's title shows it)."""
        return sum(len(h.lines) for h in self.hops)

    def clear(self) -> None:
        self.hops = ()
        self._secrets = NO_SECRETS
        self._fill()

    def show_exchange(self, exchange: Exchange, secrets: Secrets = NO_SECRETS) -> None:
        """List the cookies of every hop of exchange; secrets: what else to scrub from what is shown."""
        self.hops = hop_cookies(exchange)
        self._secrets = secrets
        self._fill()

    @property
    def revealed(self) -> bool:
        return self.reveal.isChecked() and not self.view_state.safe

    def _on_safe(self, on: bool) -> None:
        if on:
            self.reveal.setChecked(False)
        self.reveal.setEnabled(not on)
        self.reveal.setToolTip("Cookie values stay hidden in screen-share-safe mode" if on
                               else "Show the cookies' values (they are secrets)")
        self._fill()

    def _style(self) -> None:
        self.empty.setStyleSheet(label_color_style(self.view_state.theme.muted_text))
        self.summary.setStyleSheet(label_color_style(self.view_state.theme.muted_text))
        self._fill()  # the colours of held-back and refused cookies

    def value_text(self, line: CookieLine) -> str:
        """A cookie's value as shown now: masked unless revealed (and never outside the known secrets'
        scrub in safe mode)."""
        if line.value is None:
            return ""
        if not line.value:
            return "(empty)"
        return line.value if self.revealed else mask(line.value)

    def _fill(self) -> None:
        tree = self.tree
        tree.clear()
        self.stack.setCurrentWidget(self.tree if self.hops else self.empty)
        self.reveal.setVisible(any(c.value for h in self.hops for c in h.lines))
        counts = {k: sum(1 for h in self.hops for c in h.lines if c.kind == k) for k in _KIND_WORDS}
        self.summary.setText(", ".join(f"{n} {_KIND_WORDS[k]}" for k, n in counts.items() if n))
        theme = self.view_state.theme
        names = self._secrets.names
        for entry in self.hops:
            hop = entry.hop
            status = f" → {hop.status}" if hop.status is not None else " → no answer"
            role = f" ({hop.role})" if hop.role != "request" else ""
            url = self._secrets.scrub(mask_url(hop.url, names))
            parent = QTreeWidgetItem([f"Hop {entry.number}{role}: {hop.method} {url}{status}"])
            font = parent.font(0)
            font.setBold(True)
            parent.setFont(0, font)
            tree.addTopLevelItem(parent)
            parent.setFirstColumnSpanned(True)  # only once the item is in the tree
            for line in entry.lines:
                note = _note(line)
                item = QTreeWidgetItem([f"{_KIND_WORDS[line.kind]}: {line.name}", self.value_text(line),
                                        line.domain, line.path, expiry_text(line), attributes(line), note])
                if note:
                    item.setToolTip(6, plain_tip(note))
                if line.kind == "held" or line.refused:
                    item.setForeground(0, QColor(theme.error_text))
                    item.setForeground(6, QColor(theme.error_text))
                elif line.removed:
                    item.setForeground(6, QColor(theme.warn_text))
                parent.addChild(item)
            parent.setExpanded(True)
        for col in range(len(COLUMNS) - 1):
            tree.resizeColumnToContents(col)
