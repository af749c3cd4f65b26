"""The request body's text editor: a QPlainTextEdit that does not take in a paste too large to edit smoothly.

QPlainTextEdit lays out a megabyte of text in about half a second, and a long line again at every key (a
1.8 MB one-line JSON: 0.4-0.8 s a key). A paste or drop that would make the body longer than its limit
(request_editor.LARGE_EDIT_CHARS) is not inserted: `too_large` carries the whole text the body would then
be, and the request editor holds it and shows its start, read-only (RequestEditor._set_body_text).
Imported when the Body page is built.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QPlainTextEdit, QWidget


class BodyEdit(QPlainTextEdit):
    too_large = Signal(object)  # str: the whole body a paste or drop would have made (object: not copied)
    undo_requested = Signal()  # Ctrl+Z (or undo()) while the editor is read-only: a held body's Undo paste

    def __init__(self, limit: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.limit = limit  # characters

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasText() and not self.isReadOnly():
            pasted = source.text()
            cursor = self.textCursor()
            start, end = cursor.selectionStart(), cursor.selectionEnd()
            before = self.document().characterCount() - 1
            size = before - (end - start) + len(pasted)
            if before <= self.limit < size:  # (past it already: the user chose to edit it here anyway)
                # document positions count UTF-16 units: cut the text where the document would
                whole = self.toPlainText().encode("utf-16-le")
                head = whole[: 2 * start].decode("utf-16-le")
                tail = whole[2 * end :].decode("utf-16-le")
                self.too_large.emit(head + pasted + tail)
                return
        super().insertFromMimeData(source)

    def undo(self) -> None:
        if self.isReadOnly():
            self.undo_requested.emit()
        else:
            super().undo()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.isReadOnly() and event.matches(QKeySequence.StandardKey.Undo):
            self.undo_requested.emit()
            return
        super().keyPressEvent(event)
