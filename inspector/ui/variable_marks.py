"""{{variables}} marked in a request editor while the user types, and their values on hover.

    marks = VariableMarks(editor, scope=lambda: scope_or_None, view=view_state)
    marks.refresh()                     # again after the scope changed (another environment, a reload)
    marks.spans("url")                  # the VariableSpans of the URL (also "body", "headers", "params")
    marks.tooltip("url", position)      # what a hover at that character shows
    marks.unresolved()                  # the names set nowhere, in order

Unresolved names are drawn with a wavy underline in the error colour, resolved ones in the accent colour
(the URL through the line edit's text formats, the body through a syntax highlighter, table cells through
their colour and tool tip), and a line under the URL bar names the unresolved ones. A hover shows where the
value comes from and the value: a secret is shown as its reference or masked, and in screen-share-safe mode
every value passes through the view's strict mask. core.variables.find_variables does the resolving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QInputMethodEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import QLineEdit, QToolTip, QWidget

from inspector.core.variables import VariableScope, VariableSpan, find_variables
from inspector.ui.view_state import MaskedLabel, ViewState, plain_tip

__all__ = ["VariableMarks", "describe_span"]

ScopeProvider = Callable[[], "VariableScope | None"]
_UNKNOWN = object()
_SOURCES = {
    "override": "set for this tab",
    "request": "the request's variables",
    "folder": "a folder's variables",
    "environment": "the environment",
    "collection": "the collection's variables",
    "builtin": "built in",
}


def describe_span(span: VariableSpan, scope: VariableScope, mask: Callable[[str], str]) -> str:
    """The hover text of one {{name}}: its value (masked when secret) and where it comes from."""
    name = f"{{{{{span.name}}}}}"
    if span.status == "unresolved" and span.source is None:
        env = f"the environment '{scope.environment_name}'" if scope.environment_name else "no environment"
        return f"{name} is not set ({env} is chosen): the request cannot be sent until it is."
    source = _SOURCES.get(span.source or "", "")
    if span.source == "environment" and scope.environment_name:
        source = f"the environment '{scope.environment_name}'"
    if span.status == "builtin":
        return f"{name}: a new value is made for each send ({source})."
    if span.status == "secret":
        return f"{name} = {mask(span.shown or '')}  (a secret, from {source}; resolved only when sent)"
    if span.status == "unresolved":
        return f"{name} = {mask(span.shown or '')}  (from {source}, but it uses a variable that is not set)"
    return f"{name} = {mask(span.shown or '')}  (from {source})"


class _BodyMarks(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, marks: VariableMarks) -> None:
        super().__init__(document)
        self._marks = marks

    def highlightBlock(self, text: str) -> None:
        if "{{" not in text:  # first: working the scope out reads the whole form
            return
        scope = self._marks.scope()
        if scope is None:
            return
        for span in find_variables(text, scope):
            self.setFormat(span.start, span.end - span.start, self._marks.format_for(span))


class VariableMarks(QObject):
    """See the module text. The editor is a ui.request_editor.RequestEditor."""

    def __init__(self, editor: QWidget, scope: ScopeProvider, *, view: ViewState) -> None:
        super().__init__(editor)
        self.editor = editor
        self._scope = scope
        self.view_state = view
        self.line = MaskedLabel(view, parent=editor, name="variablesLine")
        self.line.setWordWrap(True)
        self.line.hide()
        layout = editor.layout()
        if layout is not None:  # under the URL bar and its message (see RequestEditor._build)
            index = layout.indexOf(editor.message_label)  # type: ignore[attr-defined]
            layout.insertWidget(index + 1 if index >= 0 else 1, self.line)  # type: ignore[attr-defined]
        self._highlighter = _BodyMarks(editor.body_text.document(), self)  # type: ignore[attr-defined]
        editor.url_edit.installEventFilter(self)  # type: ignore[attr-defined]
        editor.body_text.viewport().installEventFilter(self)  # type: ignore[attr-defined]
        editor.spec_changed.connect(self.refresh)  # type: ignore[attr-defined]
        editor.url_edit.textChanged.connect(lambda _t: self._mark_url())  # type: ignore[attr-defined]
        view.safe_changed.connect(lambda _on: self.refresh())
        view.theme_changed.connect(lambda _t: self.refresh())
        self._unresolved: list[str] = []
        self._refreshing = False
        self._scope_now: object = _UNKNOWN  # the scope during a refresh
        self._url_marked = False

    # -- reading ------------------------------------------------------------------------------------------
    def scope(self) -> VariableScope | None:
        """Where the names are looked up now; worked out once per refresh (every line of the body asks)."""
        if self._refreshing:
            if self._scope_now is _UNKNOWN:
                self._scope_now = self._scope()
            return self._scope_now  # type: ignore[return-value]
        return self._scope()

    def _texts(self, part: str) -> list[str]:
        e = self.editor
        if part == "url":
            return [e.url_edit.text()]  # type: ignore[attr-defined]
        if part == "body":  # (a held body of megabytes is not searched again at every refresh when it has none)
            return [e.body_source()] if e.body_holds("{{") else []  # type: ignore[attr-defined]
        table = self._table(part)
        return [f"{n} {v}" for n, v, _ in table.rows()] if table is not None else []

    def _table(self, part: str) -> Any:
        """The editor's KeyValueTable for a part (rows() -> (name, value, enabled))."""
        return {"headers": getattr(self.editor, "headers_table", None),
                "params": getattr(self.editor, "params_table", None),
                "form": getattr(self.editor, "form_table", None),
                "multipart": getattr(self.editor, "multipart_table", None)}.get(part)

    def spans(self, part: str) -> tuple[VariableSpan, ...]:
        """The {{names}} in one part of the form (url, body, headers, params, form, multipart)."""
        scope = self.scope()
        if scope is None:
            return ()
        out: list[VariableSpan] = []
        for text in self._texts(part):
            out += find_variables(text, scope)
        return tuple(out)

    def unresolved(self) -> list[str]:
        return list(self._unresolved)

    def tooltip(self, part: str, position: int) -> str:
        """What a hover over character `position` of the URL or body shows ("" when not on a variable)."""
        scope = self.scope()
        if scope is None:
            return ""
        texts = self._texts(part)
        text = texts[0] if texts else ""
        for span in find_variables(text, scope):
            if span.start <= position < span.end:
                return describe_span(span, scope, self._mask)
        return ""

    def _mask(self, text: str) -> str:
        return self.view_state.mask(text) if self.view_state.safe else text

    def format_for(self, span: VariableSpan) -> QTextCharFormat:
        theme = self.view_state.theme
        fmt = QTextCharFormat()
        if span.status == "unresolved":
            fmt.setForeground(QColor(theme.error_text))
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor(theme.error_text))
        else:
            fmt.setForeground(QColor(theme.ok_text))
        return fmt

    # -- marking ------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Mark every part again (after typing, or when the scope changed)."""
        if self._refreshing:
            return
        self._refreshing = True
        try:
            self._refresh()
        finally:
            self._refreshing = False
            self._scope_now = _UNKNOWN

    def _refresh(self) -> None:
        scope = self.scope()
        self._mark_url()
        self._highlighter.rehighlight()
        names: dict[str, None] = {}
        for part in ("headers", "params", "form", "multipart"):
            self._mark_table(part, scope)
        if scope is not None:
            for part in ("url", "body", "headers", "params", "form", "multipart"):
                for span in self.spans(part):
                    if span.status == "unresolved" and span.source is None:
                        names.setdefault(span.name, None)
        self._unresolved = list(names)
        if self._unresolved:
            listed = ", ".join(f"{{{{{n}}}}}" for n in self._unresolved)
            where = (f"the environment '{scope.environment_name}'" if scope and scope.environment_name
                     else "any environment (none is chosen)" if scope else "")
            self.line.set_text(f"Not set: {listed} — not in {where}, the collection's variables or the "
                               "built-ins. The request cannot be sent until they are.")
            self.line.setStyleSheet(f"color: {self.view_state.theme.error_text};")
            self.line.show()
        else:
            self.line.hide()

    def _mark_url(self) -> None:
        edit: QLineEdit = self.editor.url_edit  # type: ignore[attr-defined]
        scope = self.scope()
        formats = []
        if scope is not None and "{{" in edit.text():
            cursor = edit.cursorPosition()
            for span in find_variables(edit.text(), scope):
                formats.append(QInputMethodEvent.Attribute(
                    QInputMethodEvent.AttributeType.TextFormat, span.start - cursor, span.end - span.start,
                    self.format_for(span)))
        if not formats and not self._url_marked:
            return
        self._url_marked = bool(formats)
        # a line edit draws text formats given as input-method attributes: the one way to colour its text;
        # the event changes no text, and nobody is told it did
        was = edit.blockSignals(True)
        try:
            QCoreApplication.sendEvent(edit, QInputMethodEvent("", formats))
        finally:
            edit.blockSignals(was)

    def _mark_table(self, part: str, scope: VariableScope | None) -> None:
        table = self._table(part)
        if table is None:
            return
        theme = self.view_state.theme
        was = table.blockSignals(True)  # colours and tips are not edits
        try:
            for row in range(table.rowCount()):
                for col in range(table.columnCount()):
                    item = table.item(row, col)
                    if item is None or not (item.flags() & Qt.ItemFlag.ItemIsEditable):
                        continue
                    text = item.text()
                    if scope is None or "{{" not in text:
                        if item.data(Qt.ItemDataRole.UserRole + 7):
                            item.setData(Qt.ItemDataRole.ForegroundRole, None)
                            item.setToolTip("")
                            item.setData(Qt.ItemDataRole.UserRole + 7, None)
                        continue
                    spans = find_variables(text, scope)
                    bad = any(s.status == "unresolved" for s in spans)
                    color = theme.error_text if bad else theme.ok_text
                    item.setForeground(QColor(color))
                    item.setToolTip(plain_tip("\n".join(describe_span(s, scope, self._mask) for s in spans)))
                    item.setData(Qt.ItemDataRole.UserRole + 7, True)  # marked by us: cleared when it is gone
        finally:
            table.blockSignals(was)

    # -- hovering -----------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
            return False
        if watched is self.editor.url_edit:  # type: ignore[attr-defined]
            position = self.editor.url_edit.cursorPositionAt(event.pos())  # type: ignore[attr-defined]
            text = self.tooltip("url", position)
        else:
            cursor = self.editor.body_text.cursorForPosition(event.pos())  # type: ignore[attr-defined]
            block = cursor.block()
            scope = self.scope()
            text = ""
            if scope is not None:
                for span in find_variables(block.text(), scope):
                    if span.start <= cursor.positionInBlock() < span.end:
                        text = describe_span(span, scope, self._mask)
        if not text:
            return False
        widget = watched if isinstance(watched, QWidget) else None
        QToolTip.showText(event.globalPos(), plain_tip(text), widget)
        return True
