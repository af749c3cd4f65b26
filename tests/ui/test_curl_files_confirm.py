"""A pasted curl command reads local files only after the user agrees, and the question names each path."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from inspector.ui.request_editor import RequestEditor


@pytest.fixture
def editor(qtbot) -> RequestEditor:
    widget = RequestEditor()
    qtbot.addWidget(widget)
    return widget


def _paste(editor: RequestEditor, qtbot, command: str) -> None:
    QApplication.clipboard().setText(command)
    editor.url_edit.clear()
    editor.url_edit.setFocus()
    editor.url_edit.paste()


@pytest.mark.parametrize("allow", [False, True])
def test_pasted_curl_with_a_data_file_asks_first(editor: RequestEditor, qtbot, tmp_path: Path, allow: bool) -> None:
    key = tmp_path / "id_rsa"
    key.write_text("PRIVATE-KEY-MATERIAL")
    asked: list[tuple[tuple[str, Path], ...]] = []
    editor.confirm_curl_files = lambda paths: asked.append(paths) or allow
    _paste(editor, qtbot, f"curl -X POST https://api.example.com/upload -d @{key}")
    qtbot.waitUntil(lambda: bool(asked))
    assert asked == [(("-d", key),)]
    spec = editor.to_spec()
    if allow:
        assert spec.method == "POST" and spec.body.text == "PRIVATE-KEY-MATERIAL"
    else:
        assert spec.body.text != "PRIVATE-KEY-MATERIAL" and "PRIVATE-KEY" not in (spec.body.text or "")
        assert "did not allow" in editor.message_label.text()
        assert editor.url_edit.text() == ""  # the URL bar holds what it held before the paste


def test_pasted_curl_without_files_does_not_ask(editor: RequestEditor, qtbot) -> None:
    editor.confirm_curl_files = lambda paths: pytest.fail(f"asked about {paths}")
    with qtbot.waitSignal(editor.curl_imported):
        _paste(editor, qtbot, "curl -d 'a=1' https://api.example.com/items")
    assert editor.to_spec().body.kind == "form"
