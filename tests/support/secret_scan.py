"""Every piece of text a widget tree can put on screen, for tests that prove a secret is shown nowhere.

Embedding API (a test helper; nothing in the app calls it):

    widget_texts(root, *, visible_only=False, max_rows=5000) -> Iterator[tuple[str, str]]
        (object_path, text) for root and every child widget: window titles, tool tips, status tips, accessible
        names, QLabel / button / group-box / line-edit text (what is displayed: a password field yields its
        bullets) and placeholder text, QPlainTextEdit / QTextEdit plain text, QComboBox items and their tool
        tips, every item view's model (QTableView, QTableWidget, QTreeView, QListView...: DisplayRole and
        ToolTipRole of each loaded cell, children of tree rows, header sections), QTabBar tab texts and tool
        tips, QAction texts and tool tips, spin-box prefixes and suffixes, progress-bar text, status-bar
        messages.
        Texts are given as a reader sees them: zero-width break characters removed, and rich text also as its
        plain words (so '&lt;' or a tag in the middle cannot hide a secret from the comparison).
        A widget that paints text itself may expose `visible_texts() -> Iterable[str]`: it is read too.
        Hidden widgets are walked as well unless visible_only (a hidden label can be shown one click later).
        A lazy model is read as far as it has loaded (no fetchMore), at most max_rows rows per level.

    find_secrets(root, secrets, **kw) -> list[tuple[str, str]]
        The (object_path, text) pairs holding any of the secret values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QStatusBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

__all__ = ["find_secrets", "widget_texts"]

_ROLES = ((Qt.ItemDataRole.DisplayRole, "display"), (Qt.ItemDataRole.ToolTipRole, "tooltip"))


def _name(obj: QObject) -> str:
    name = obj.objectName()
    return f"{type(obj).__name__}[{name}]" if name else type(obj).__name__


def object_path(widget: QObject, root: QObject | None = None) -> str:
    """'Root/Child[name]/Grandchild': class names, with object names where set."""
    parts = []
    obj: QObject | None = widget
    while obj is not None:
        parts.append(_name(obj))
        if obj is root:
            break
        obj = obj.parent()
    return "/".join(reversed(parts))


def _texts(value: object) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text or None


def _count(model: QAbstractItemModel, parent: QModelIndex, columns: bool) -> int:
    """rowCount / columnCount; PySide6 marks columnCount private on list models (they have one column)."""
    try:
        return model.columnCount(parent) if columns else model.rowCount(parent)
    except TypeError:
        return 0 if parent.isValid() else 1


def _model_texts(model: QAbstractItemModel, path: str, max_rows: int) -> Iterator[tuple[str, str]]:
    for orientation, word in ((Qt.Orientation.Horizontal, "column"), (Qt.Orientation.Vertical, "row")):
        count = _count(model, QModelIndex(), orientation == Qt.Orientation.Horizontal)
        for section in range(min(count, max_rows)):
            for role, role_name in _ROLES:
                text = _texts(model.headerData(section, orientation, role))
                if text:
                    yield f"{path}/header-{word}({section})/{role_name}", text
    # depth-first over tree rows; a flat table is a tree of depth one
    stack: list[tuple[QModelIndex, str, int]] = [(QModelIndex(), path, 0)]
    while stack:
        parent, prefix, depth = stack.pop()
        rows = min(_count(model, parent, False), max_rows)
        columns = _count(model, parent, True)
        for row in range(rows):
            for column in range(columns):
                index = model.index(row, column, parent)
                for role, role_name in _ROLES:
                    text = _texts(model.data(index, role))
                    if text:
                        yield f"{prefix}/cell({row},{column})/{role_name}", _visible(text)
                if column == 0 and depth < 32 and _count(model, index, False) > 0:
                    stack.append((index, f"{prefix}/cell({row},0)", depth + 1))


def _own_texts(widget: QWidget, max_rows: int) -> Iterator[tuple[str, str]]:
    """(suffix, text) for what this one widget shows (children are walked by the caller)."""
    if widget.isWindow() and widget.windowTitle():
        yield "windowTitle", widget.windowTitle()
    for attr in ("toolTip", "statusTip", "whatsThis", "accessibleName", "accessibleDescription"):
        text = getattr(widget, attr)()
        if text:
            yield attr, text
    if isinstance(widget, QLabel | QAbstractButton):
        yield "text", widget.text()
    elif isinstance(widget, QGroupBox):
        yield "title", widget.title()
    elif isinstance(widget, QLineEdit):
        yield "text", widget.displayText()
        yield "placeholder", widget.placeholderText()
    elif isinstance(widget, QPlainTextEdit | QTextEdit):
        yield "text", widget.toPlainText()
        yield "placeholder", widget.placeholderText()
    elif isinstance(widget, QComboBox):
        yield "currentText", widget.currentText()
        for i in range(min(widget.count(), max_rows)):
            yield f"item({i})", widget.itemText(i)
            yield f"item({i})/tooltip", _texts(widget.itemData(i, Qt.ItemDataRole.ToolTipRole)) or ""
    elif isinstance(widget, QTabBar):
        for i in range(widget.count()):
            yield f"tab({i})", widget.tabText(i)
            yield f"tab({i})/tooltip", widget.tabToolTip(i)
    elif isinstance(widget, QProgressBar):
        yield "text", widget.text()
    elif isinstance(widget, QStatusBar):
        yield "message", widget.currentMessage()  # painted by the bar itself, not by a child label
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        yield "prefix", widget.prefix()
        yield "suffix", widget.suffix()
    if isinstance(widget, QAbstractSpinBox):
        yield "specialValueText", widget.specialValueText()
    for i, action in enumerate(widget.actions()):
        yield f"action({i})", action.text()
        if action.toolTip() != action.text().replace("&", ""):
            yield f"action({i})/tooltip", action.toolTip()
    painted = getattr(widget, "visible_texts", None)
    if callable(painted):
        for i, text in enumerate(painted()):
            yield f"painted({i})", str(text)


# characters that take no room on screen: a label breaks a long token with them, a secret is still shown
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u00ad\ufeff"))


def _visible(text: str) -> str:
    """The text as a reader sees it: invisible break characters out, rich text as its plain words."""
    plain = text.translate(_INVISIBLE)
    if QtGuiNamespace.mightBeRichText(plain):  # PySide6 keeps this one in QtGui's Qt namespace
        plain = plain + "\n" + QTextDocumentFragment.fromHtml(plain).toPlainText().translate(_INVISIBLE)
    return plain


def widget_texts(
    root: QWidget, *, visible_only: bool = False, max_rows: int = 5000
) -> Iterator[tuple[str, str]]:
    """(object_path, text) for every piece of text root and its children can show; see the module text."""
    widgets = [root, *root.findChildren(QWidget)]
    # Keep each model object alive while scanning: PySide6 hands out fresh wrappers, and a freed wrapper's
    # id() can be reused by another model's, which would skip that model (a secret missed, silently).
    seen_models: dict[int, QAbstractItemModel] = {}
    for widget in widgets:
        if visible_only and not widget.isVisibleTo(root) and widget is not root:
            continue
        path = object_path(widget, root)
        for suffix, text in _own_texts(widget, max_rows):
            if text:
                yield f"{path}/{suffix}", _visible(text)
        # a header view shares its table's model: read each model once, from the view that shows it
        if isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView):
            model = widget.model()
            if model is not None and id(model) not in seen_models:
                seen_models[id(model)] = model
                yield from _model_texts(model, path, max_rows)


def find_secrets(root: QWidget, secrets: Iterable[str], **kw: object) -> list[tuple[str, str]]:
    """Every (object_path, text) under root that contains one of the secret values."""
    wanted = [s for s in secrets if s]
    return [(p, t) for p, t in widget_texts(root, **kw) if any(s in t for s in wanted)]  # type: ignore[arg-type]
