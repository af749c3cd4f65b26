"""The editor's Headers, Body and Options pages are built when first needed; until then the request's part they
hold waits in the editor, and nothing about the request changes because of it."""

from __future__ import annotations

import pytest

from inspector.core.request import Body, FormField, Header, RequestSpec
from inspector.ui.lazy import is_built
from inspector.ui.request_editor import RequestEditor

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS0x"

SPECS = [
    RequestSpec(),
    RequestSpec("POST", "https://api.example.com/items?page=2",
                (Header("Accept", "application/json"), Header("", ""), Header("X-Off", "1", enabled=False)),
                Body("json", '{"name": "x"}'), timeout_s=5.5, follow_redirects=False, verify_tls=False),
    RequestSpec("GET", "http://h/", body=Body("none", "text kept for when the kind comes back")),
    RequestSpec("POST", "http://h/form", body=Body("form", fields=(
        FormField("a", "1", is_file=True), FormField("", ""), FormField("b", "2", enabled=False)))),
    RequestSpec("POST", "http://h/upload", body=Body("multipart", fields=(
        FormField("note", "hello"), FormField("file", "/tmp/x.bin", is_file=True)))),
    RequestSpec("GET", "http://h/slow", timeout_s=0.04),
    RequestSpec("GET", "http://h/long", timeout_s=99999.0),
    RequestSpec("GET", "http://h/rounded", timeout_s=2.26),
]


@pytest.fixture
def editor(qtbot) -> RequestEditor:
    widget = RequestEditor()
    qtbot.addWidget(widget)
    return widget


def test_a_new_editor_has_no_page_widgets(editor: RequestEditor) -> None:
    assert not editor.pages_built
    assert not is_built(editor, "headers_table") and not is_built(editor, "body_text")
    assert editor.tabs.count() == 4 and editor.tabs.currentIndex() == 0


@pytest.mark.parametrize("spec", SPECS)
def test_to_spec_is_the_same_before_and_after_the_pages_are_built(qtbot, spec: RequestSpec) -> None:
    waiting, built = RequestEditor(), RequestEditor()
    qtbot.addWidget(waiting)
    qtbot.addWidget(built)
    built.tabs.setCurrentIndex(2)  # the pages are made before the spec comes
    assert built.pages_built
    waiting.set_spec(spec)
    built.set_spec(spec)
    assert not waiting.pages_built
    before = waiting.to_spec()
    assert before == built.to_spec()
    waiting.tabs.setCurrentIndex(1)
    assert waiting.pages_built
    assert waiting.to_spec() == before


def test_showing_a_page_fills_it_with_the_waiting_request(editor: RequestEditor) -> None:
    editor.set_spec(SPECS[1])
    editor.tabs.setCurrentIndex(3)
    assert editor.pages_built
    assert editor.headers_table.rows() == [("Accept", "application/json", True), ("X-Off", "1", False)]
    assert editor.body_kind_combo.currentData() == "json"
    assert editor.body_text.toPlainText() == '{"name": "x"}'
    assert editor.body_status.text() == "Valid JSON"
    assert editor.timeout_spin.value() == 5.5
    assert not editor.follow_check.isChecked() and not editor.verify_check.isChecked()
    assert "application/json" in editor.content_type_hint.text()


def test_a_page_widget_asked_for_builds_the_pages(editor: RequestEditor) -> None:
    editor.set_spec(SPECS[2])
    assert editor.body_text.toPlainText() == "text kept for when the kind comes back"
    assert editor.pages_built
    with pytest.raises(AttributeError):
        _ = editor.no_such_widget  # type: ignore[attr-defined]


def test_pages_built_in_screen_share_mode_show_their_secrets_masked(editor: RequestEditor) -> None:
    spec = RequestSpec("POST", "http://h/login", (Header("Authorization", f"Bearer {TOKEN}"),),
                       Body("json", f'{{"password": "{TOKEN}"}}'))
    editor.set_spec(spec)
    editor.set_screen_share_safe(True)
    assert not editor.pages_built
    editor.tabs.setCurrentIndex(1)
    shown = [editor.headers_table.item(r, c).text() for r in range(editor.headers_table.rowCount())
             for c in range(editor.headers_table.columnCount()) if editor.headers_table.item(r, c) is not None]
    assert shown and not any(TOKEN in text for text in shown)
    assert TOKEN not in editor.body_text.toPlainText() and editor.body_text.isReadOnly()
    assert editor.to_spec() == spec  # the real values are still what is sent
    editor.set_screen_share_safe(False)
    assert TOKEN in editor.body_text.toPlainText()


def test_a_profile_header_is_marked_when_the_headers_page_is_built(editor: RequestEditor, tmp_path) -> None:
    from inspector.core.profiles import new_profile

    profile = new_profile("api", "bearer", tmp_path, credentials={"token": "${env:API_TOKEN}"})
    editor.profile_picker.set_profiles([profile], {})
    editor.set_spec(RequestSpec("GET", "http://h/", (Header("Authorization", "Bearer mine"),),
                                profile=profile.identity))
    assert not editor.pages_built
    editor.tabs.setCurrentIndex(1)
    note = editor.headers_table.item(0, 1).toolTip()
    assert "Replaced by the profile 'api'" in note


@pytest.mark.parametrize("where", ["header", "body", "field", "url"])
def test_holds_looks_at_the_waiting_part_without_building_it(editor: RequestEditor, where: str) -> None:
    spec = {
        "header": RequestSpec(headers=(Header("X-Key", "{{key}}"),)),
        "body": RequestSpec(body=Body("json", '{"a": "{{b}}"}')),
        "field": RequestSpec(body=Body("form", fields=(FormField("{{name}}", "v"),))),
        "url": RequestSpec(url="http://{{host}}/"),
    }[where]
    editor.set_spec(spec)
    assert editor.holds("{{")
    assert not editor.holds("}}}")
    assert not editor.pages_built


def test_building_the_pages_is_no_edit(editor: RequestEditor, qtbot) -> None:
    """Looking at Body or Headers must not mark a saved request as edited."""
    editor.set_spec(SPECS[1])
    changed: list[int] = []
    editor.spec_changed.connect(lambda: changed.append(1))
    editor.tabs.setCurrentIndex(2)
    qtbot.wait(300)  # past the body check's delay
    assert editor.pages_built and changed == []
    editor.body_text.setPlainText('{"name": "y"}')  # a real edit still counts
    assert changed
