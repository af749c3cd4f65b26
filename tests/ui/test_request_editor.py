"""The request form: to_spec()/set_spec(), URL and params in step, header rows, body kinds, validation."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from inspector.core.request import Body, FormField, Header, RequestSpec
from inspector.ui.request_editor import NO_PROFILE, RequestEditor


@pytest.fixture
def editor(qtbot) -> RequestEditor:
    widget = RequestEditor()
    qtbot.addWidget(widget)
    return widget


@pytest.mark.parametrize(
    "spec",
    [
        RequestSpec(),
        RequestSpec("POST", "https://api.example.com/items?page=2&q=a%20b",
                    (Header("Accept", "application/json"), Header("X-Debug", "1", enabled=False)),
                    Body("json", '{"name": "x"}'), timeout_s=5.5, follow_redirects=False, verify_tls=False),
        RequestSpec("PUT", "http://127.0.0.1:8080/t", body=Body("text", "plain words")),
        RequestSpec("POST", "http://h/form", body=Body("form", fields=(FormField("a", "1"),
                                                                       FormField("b", "2", enabled=False)))),
        RequestSpec("POST", "http://h/upload", body=Body("multipart", fields=(
            FormField("note", "hello"), FormField("file", "/tmp/x.bin", is_file=True)))),
        RequestSpec("PROPFIND", "http://h/dav"),
    ],
)
def test_set_spec_then_to_spec_gives_the_same_spec(editor: RequestEditor, spec: RequestSpec) -> None:
    editor.set_spec(spec)
    assert editor.to_spec() == spec


def test_typing_a_url_fills_the_params_table(editor: RequestEditor, qtbot) -> None:
    qtbot.keyClicks(editor.url_edit, "http://127.0.0.1/search?q=cats&page=2")
    assert editor.params_table.rows() == [("q", "cats", True), ("page", "2", True)]


def test_editing_the_params_table_rewrites_the_url(editor: RequestEditor) -> None:
    editor.set_spec(RequestSpec(url="http://127.0.0.1/search?q=cats#top"))
    editor.params_table.item(0, 1).setText("dogs & cats")
    assert editor.url_edit.text() == "http://127.0.0.1/search?q=dogs%20%26%20cats#top"
    last = editor.params_table.rowCount() - 1
    editor.params_table.item(last, 0).setText("page")
    assert editor.url_edit.text() == "http://127.0.0.1/search?q=dogs%20%26%20cats&page=#top"
    assert editor.params_table.rowCount() == 3  # a blank row is kept for the next parameter


def test_a_header_row_can_be_disabled_without_deleting_it(editor: RequestEditor) -> None:
    editor.set_spec(RequestSpec(url="http://h/", headers=(Header("X-Trace", "1"),)))
    editor.headers_table.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
    spec = editor.to_spec()
    assert spec.headers == (Header("X-Trace", "1", enabled=False),)
    assert spec.enabled_headers() == []


@pytest.mark.parametrize(
    ("typed", "message_part"),
    [
        ("ftp://example.com/file", "only http and https are supported"),
        ("example.com/items", "has no scheme"),
        ("http://exa mple.com", "contains a space"),
        ("http://127.0.0.1:99999/", "cannot be parsed"),
    ],
)
def test_url_is_validated_as_you_type(editor: RequestEditor, qtbot, typed: str, message_part: str) -> None:
    editor.show()
    qtbot.keyClicks(editor.url_edit, typed)
    assert editor.message_label.isVisible()
    assert message_part in editor.message_label.text()
    editor.url_edit.setText("http://127.0.0.1/ok")
    assert not editor.message_label.isVisible()


def test_json_body_is_validated_with_line_and_column(editor: RequestEditor, qtbot) -> None:
    editor.set_spec(RequestSpec(method="POST", url="http://h/", body=Body("json", "")))
    qtbot.keyClicks(editor.body_text, '{"a": 1,')
    qtbot.keyClick(editor.body_text, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.body_text, ' "b" 2}')
    qtbot.waitUntil(lambda: "Not valid JSON" in editor.body_status.text())
    assert "line 2" in editor.body_status.text()
    editor.body_text.setPlainText('{"a": 1}')
    qtbot.waitUntil(lambda: editor.body_status.text() == "Valid JSON")


def test_content_type_follows_the_body_kind_unless_the_user_set_one(editor: RequestEditor) -> None:
    editor.set_spec(RequestSpec(method="POST", url="http://h/", body=Body("json", "{}")))
    assert "application/json (from the body kind)" in editor.content_type_hint.text()
    editor.body_kind_combo.setCurrentIndex(editor.body_kind_combo.findData("form"))
    assert "application/x-www-form-urlencoded" in editor.content_type_hint.text()
    editor.set_spec(RequestSpec(method="POST", url="http://h/", headers=(Header("Content-Type", "text/csv"),),
                                body=Body("json", "{}")))
    assert "text/csv (your header" in editor.content_type_hint.text()


def test_switching_body_kind_between_json_and_text_keeps_the_text(editor: RequestEditor) -> None:
    editor.set_spec(RequestSpec(method="POST", url="http://h/", body=Body("json", '{"k": 1}')))
    editor.body_kind_combo.setCurrentIndex(editor.body_kind_combo.findData("text"))
    assert editor.to_spec().body == Body("text", '{"k": 1}')


def test_profile_picker_starts_with_no_profile_and_selects_a_known_one(editor: RequestEditor, tmp_path) -> None:
    from inspector.core.profiles import new_profile

    assert editor.profile_picker.currentText() == NO_PROFILE
    assert editor.to_spec().profile is None
    staging = new_profile("Staging", "bearer", tmp_path, credentials={"token": "${env:STAGING_TOKEN}"})
    editor.profile_picker.set_profiles([staging], {})
    editor.set_spec(RequestSpec(url="http://h/", profile=staging.identity))
    assert editor.profile_picker.currentText().startswith("Staging")
    assert editor.to_spec().profile == staging.identity
    # what the profile adds is shown, with the secret as its reference
    assert editor.credentials_label.isVisibleTo(editor)
    assert "Authorization: Bearer ‹${env:STAGING_TOKEN}›" in editor.credentials_label.text()


def test_busy_state_swaps_send_and_cancel(editor: RequestEditor) -> None:
    assert editor.send_button.isEnabled() and not editor.cancel_button.isEnabled()
    editor.set_busy(True)
    assert not editor.send_button.isEnabled() and editor.cancel_button.isEnabled()


def test_a_curl_command_pasted_into_the_url_bar_becomes_the_request(editor: RequestEditor, qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    command = (
        "curl -X POST 'https://api.example.com/items?page=2' \\\n"
        "  -H 'Accept: application/json' \\\n"
        "  --data-raw '{\"name\": \"x\"}' -H 'Content-Type: application/json' --frobnicate"
    )
    QApplication.clipboard().setText(command)
    editor.url_edit.clear()
    editor.url_edit.setFocus()
    with qtbot.waitSignal(editor.curl_imported) as blocker:
        editor.url_edit.paste()
    spec = editor.to_spec()
    assert spec.method == "POST" and spec.url == "https://api.example.com/items?page=2"
    assert spec.header("Accept") == "application/json"
    assert spec.body.kind == "json" and spec.body.text == '{"name": "x"}'
    assert any("--frobnicate" in w for w in blocker.args[0])
    assert "--frobnicate" in editor.message_label.text()


def test_typing_curl_by_hand_is_not_imported(editor: RequestEditor, qtbot) -> None:
    editor.url_edit.clear()
    qtbot.keyClicks(editor.url_edit, "curl http://h/")
    assert editor.url_edit.text() == "curl http://h/"


@pytest.mark.parametrize(
    ("spec", "tab"),
    [
        (RequestSpec(url="http://h/?q=1", headers=(Header("Authorization", "Bearer x"),)), 0),
        (RequestSpec(url="http://h/", headers=(Header("Authorization", "Bearer x"),)), 1),
        (RequestSpec(method="POST", url="http://h/", body=Body("json", "{}")), 2),
    ],
)
def test_the_tab_that_matters_is_shown(editor: RequestEditor, spec: RequestSpec, tab: int) -> None:
    editor.set_spec(spec)
    editor.show_relevant_tab()
    assert editor.tabs.currentIndex() == tab
