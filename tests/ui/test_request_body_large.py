"""A request body too large to edit smoothly (a megabyte of JSON pasted, loaded from history or a saved
request): held aside and shown in part, read-only, sent whole; the window never lays it out or parses it on
the UI thread."""

from __future__ import annotations

import json
import threading
import time

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QTextCursor

from inspector.core.request import Body, RequestSpec
from inspector.ui import request_editor
from inspector.ui.request_editor import LARGE_EDIT_CHARS, LARGE_PREVIEW_CHARS, RequestEditor

SECRET = "s3cr3t-Value-4242"


def big_json(chars: int = 2 * LARGE_EDIT_CHARS, *, secret: bool = False) -> str:
    records = []
    size = 0
    i = 0
    while size < chars:
        record = {"id": i, "name": f"customer {i}", "note": "x" * 40}
        if secret and i == 7:
            record["password"] = SECRET
        records.append(record)
        size += 70
        i += 1
    return json.dumps(records)  # one line, as a minified body comes


@pytest.fixture
def editor(qtbot) -> RequestEditor:
    widget = RequestEditor()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    widget.tabs.setCurrentIndex(2)  # Body
    return widget


def helper_calls(monkeypatch, before=None) -> list[tuple[str, bool, int]]:  # type: ignore[no-untyped-def]
    """What the editor sends to the helper process: (function, from the UI thread?, length of its first
    argument); before(name), when given, runs first (a slow or stuck helper). Each was worked out by a
    helper process, not in this one (checked as it returns)."""
    from inspector.core.offload import HELPER

    calls: list[tuple[str, bool, int]] = []
    real = HELPER.call

    def call(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = fn.func.__name__  # (a functools.partial: the function and its arguments, as pickled)
        calls.append((name, threading.current_thread() is threading.main_thread(), len(fn.args[0])))
        if before is not None:
            before(name)
        value = real(fn, *args, **kwargs)
        assert HELPER.unavailable is None and HELPER.is_running(), "worked out in this process"
        return value

    monkeypatch.setattr(HELPER, "call", call)
    return calls


def names(calls: list[tuple[str, bool, int]], name: str) -> list[tuple[str, bool, int]]:
    return [c for c in calls if c[0] == name]


def paste(editor: RequestEditor, text: str) -> None:
    data = QMimeData()
    data.setText(text)
    editor.body_text.insertFromMimeData(data)  # what Ctrl+V and a drop do


def shown(editor: RequestEditor) -> str:
    return editor.body_text.toPlainText()


def test_a_large_body_from_a_spec_is_shown_in_part_read_only_and_sent_whole(editor: RequestEditor,
                                                                            qtbot) -> None:
    text = big_json()
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    assert editor.to_spec().body.text == text
    assert shown(editor) == text[:LARGE_PREVIEW_CHARS] and editor.body_text.isReadOnly()
    assert editor.large_body_bar.isVisible()
    label = editor.large_body_label.text()
    assert "MB" in label or "KB" in label
    assert "sent whole" in label and "1 line" in label
    qtbot.waitUntil(lambda: editor.body_status.text() == "Valid JSON", timeout=10_000)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", '{"a": 1}')))  # a small one again
    assert shown(editor) == '{"a": 1}' and not editor.body_text.isReadOnly()
    assert not editor.large_body_bar.isVisible()


def test_a_large_paste_is_held_aside_with_the_text_around_the_cursor(editor: RequestEditor, qtbot) -> None:
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("text", "before 😀 [] after")))
    cursor = editor.body_text.textCursor()
    cursor.setPosition(len("before 😀 [".encode("utf-16-le")) // 2)  # a document counts UTF-16 units
    cursor.setPosition(len("before 😀 []".encode("utf-16-le")) // 2, QTextCursor.MoveMode.KeepAnchor)
    editor.body_text.setTextCursor(cursor)  # the "]" selected: the paste replaces it
    pasted = "y" * (LARGE_EDIT_CHARS + 10)
    with qtbot.waitSignal(editor.spec_changed, timeout=2000):
        paste(editor, pasted)
    assert editor.to_spec().body.text == "before 😀 [" + pasted + " after"
    assert editor.body_text.isReadOnly() and len(shown(editor)) == LARGE_PREVIEW_CHARS


def test_a_small_paste_is_typed_in_as_usual(editor: RequestEditor) -> None:
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("text", "ab")))
    editor.body_text.moveCursor(QTextCursor.MoveOperation.End)
    paste(editor, "cd")
    assert shown(editor) == "abcd" and editor.to_spec().body.text == "abcd"
    assert not editor.large_body_bar.isVisible()


def test_edit_here_anyway_and_clear(editor: RequestEditor, qtbot) -> None:
    text = big_json()
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    editor.edit_large_button.click()
    assert shown(editor) == text and not editor.body_text.isReadOnly()
    assert not editor.large_body_bar.isVisible() and editor.to_spec().body.text == text
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    with qtbot.waitSignal(editor.spec_changed, timeout=2000):
        editor.clear_large_button.click()
    assert editor.to_spec().body.text == "" and shown(editor) == "" and not editor.body_text.isReadOnly()


def test_checking_and_formatting_a_large_body_run_in_the_helper_process(editor: RequestEditor, qtbot,
                                                                       monkeypatch) -> None:
    """json's parser holds the interpreter for all of a megabyte's reading, on a thread too."""
    calls = helper_calls(monkeypatch)
    text = big_json()
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text[:-1])))  # the last ] cut
    qtbot.waitUntil(lambda: editor.body_status.text().startswith("Not valid JSON"), timeout=10_000)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    editor.format_button.click()
    qtbot.waitUntil(lambda: editor.to_spec().body.text.startswith('[\n  {\n    "id": 0'), timeout=10_000)
    assert editor.to_spec().body.text == json.dumps(json.loads(text), indent=2)
    assert shown(editor).startswith('[\n  {\n    "id": 0') and editor.body_text.isReadOnly()
    qtbot.waitUntil(lambda: editor.body_status.text() == "Valid JSON", timeout=10_000)
    assert names(calls, "json_problem") and names(calls, "formatted_json")
    assert not any(ui for _, ui, _ in calls)


def test_screen_share_safe_mode_shows_a_large_body_masked_and_never_whole(editor: RequestEditor, qtbot,
                                                                        monkeypatch) -> None:
    calls = helper_calls(monkeypatch)
    text = big_json(secret=True)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    assert SECRET in shown(editor)  # (within the first 64 KB)
    editor.set_screen_share_safe(True)
    assert shown(editor) == "" and "Masking" in editor.body_text.placeholderText()  # nothing shows meanwhile
    qtbot.waitUntil(lambda: '"password"' in shown(editor), timeout=10_000)
    assert SECRET not in shown(editor) and editor.body_text.isReadOnly()
    assert names(calls, "mask_body_text") == [("mask_body_text", False, len(text))]  # once, in the helper
    assert not editor.edit_large_button.isEnabled()
    editor.edit_large_body()  # refused too when called directly
    assert SECRET not in shown(editor)
    assert editor.to_spec().body.text == text  # what is sent is the real body
    editor.set_screen_share_safe(False)
    assert SECRET in shown(editor) and editor.edit_large_button.isEnabled()
    editor.set_screen_share_safe(True)
    editor.set_screen_share_safe(False)  # before the masking ended: its late answer must not show
    qtbot.wait(300)
    assert SECRET in shown(editor) and shown(editor) == text[:LARGE_PREVIEW_CHARS]
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    editor.set_screen_share_safe(True)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", '{"a": 1}')))  # a small one meanwhile
    qtbot.wait(300)
    assert shown(editor) == '{"a": 1}' and not editor.large_body_bar.isVisible()


def test_a_format_asked_for_right_after_a_paste_is_not_lost_to_the_check_that_follows(editor: RequestEditor,
                                                                                      qtbot, monkeypatch) -> None:
    """The check runs when typing pauses (250 ms after the paste): it must not cancel a Format clicked before."""
    helper_calls(monkeypatch, lambda name: name == "formatted_json" and time.sleep(0.6))  # still formatting
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", "")))
    text = big_json()
    with qtbot.waitSignal(editor.spec_changed, timeout=2000):
        paste(editor, text)
    editor.format_button.click()  # within the 250 ms
    qtbot.waitUntil(lambda: editor.to_spec().body.text.startswith("[\n  {"), timeout=10_000)
    assert editor.to_spec().body.text == json.dumps(json.loads(text), indent=2)


def test_a_body_edited_anyway_is_not_parsed_on_the_ui_thread_past_the_check_limit(editor: RequestEditor,
                                                                                  monkeypatch) -> None:
    monkeypatch.setattr(request_editor, "LARGE_PARSE_CHARS", LARGE_EDIT_CHARS + 100)
    text = big_json()
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    editor.edit_large_button.click()
    parsed: list[str] = []
    monkeypatch.setattr(request_editor, "json_problem", lambda t: parsed.append(t) or None)
    editor._check_body()  # what a pause in typing runs
    assert parsed == [] and editor.body_status.text().startswith("Not checked")


# -- after review -------------------------------------------------------------------------------------------
def test_format_in_safe_mode_never_shows_the_secret(editor: RequestEditor, qtbot) -> None:
    """A held body formatted smaller than the limit comes into the editor: masked, in screen-share-safe mode."""
    records = [{"id": i, "password": SECRET} if i == 3 else {"id": i} for i in range(3000)]
    wide = json.dumps(records, indent=40)  # held aside; small once formatted with an indent of two
    assert len(wide) > LARGE_EDIT_CHARS > len(json.dumps(records, indent=2))
    editor.set_screen_share_safe(True)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", wide)))
    qtbot.waitUntil(lambda: '"password"' in shown(editor), timeout=10_000)
    editor.format_button.click()
    qtbot.waitUntil(lambda: editor.to_spec().body.text.startswith("[\n  {"), timeout=10_000)
    assert SECRET not in shown(editor) and editor.body_text.isReadOnly()
    assert SECRET in editor.to_spec().body.text


def test_a_large_paste_can_be_undone(editor: RequestEditor, qtbot) -> None:
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", '{"keep": 1}')))
    editor.body_text.selectAll()
    paste(editor, big_json())
    assert editor.undo_paste_button.isVisible()
    editor.body_text.undo()  # what Ctrl+Z does in the held body (so does the bar's Undo paste)
    assert editor.to_spec().body.text == '{"keep": 1}' and shown(editor) == '{"keep": 1}'
    assert not editor.large_body_bar.isVisible() and not editor.body_text.isReadOnly()
    paste(editor, big_json())
    qtbot.keyClick(editor.body_text, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.to_spec().body.text == '{"keep": 1}'
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", big_json())))  # not a paste
    assert not editor.undo_paste_button.isVisible()
    editor.body_text.undo()
    assert editor.to_spec().body.text == big_json()


def test_a_small_paste_after_edit_here_anyway_stays_editable(editor: RequestEditor) -> None:
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("text", "y" * (LARGE_EDIT_CHARS + 10))))
    editor.edit_large_button.click()
    editor.body_text.moveCursor(QTextCursor.MoveOperation.End)
    paste(editor, "x")  # the user chose to edit it here: pastes go in
    assert not editor.body_text.isReadOnly() and editor.to_spec().body.text.endswith("yx")


def test_edit_here_anyway_while_formatting_leaves_no_stale_status(editor: RequestEditor, qtbot,
                                                                  monkeypatch) -> None:
    helper_calls(monkeypatch, lambda name: name == "formatted_json" and time.sleep(0.3))
    text = big_json()
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    qtbot.waitUntil(lambda: editor.body_status.text() == "Valid JSON", timeout=10_000)
    editor.format_button.click()
    editor.edit_large_button.click()
    qtbot.wait(600)
    assert editor.body_status.text() == "Valid JSON" and editor.to_spec().body.text == text


def test_format_never_puts_a_large_body_in_the_editor(editor: RequestEditor) -> None:
    text = json.dumps([{"id": i, "a": [1, 2, 3], "b": {"c": i}} for i in range(6000)], separators=(",", ":"))
    assert len(text) < LARGE_EDIT_CHARS < len(json.dumps(json.loads(text), indent=2))
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    editor.format_button.click()
    assert editor.body_text.document().characterCount() <= LARGE_PREVIEW_CHARS + 1
    assert editor.to_spec().body.text == json.dumps(json.loads(text), indent=2)


def test_messages_under_the_url_bar_mask_a_held_bodys_secrets_sought_once_in_the_helper(
        editor: RequestEditor, qtbot, monkeypatch) -> None:
    """Each key typed in the URL bar may bring a message, and each message masks the form's secrets: a held
    body's are sought once, not at every key (a 7 MB body took 0.4 s a key), and in the helper process (0.15
    s on the UI thread the first time, as long on a thread); the message waits for them, then the newest
    shows."""
    calls = helper_calls(monkeypatch)
    text = big_json(secret=True)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    for message in ("nope", "nope again", f"quoting {SECRET}"):  # keys typed in the URL bar, each a message
        editor.show_message(message)
    assert editor.message_label.text() == ""  # waiting for the body's secret values
    qtbot.waitUntil(lambda: editor.message_label.text().startswith("quoting "), timeout=10_000)
    assert SECRET not in editor.message_label.text() and editor.message_label.isVisibleTo(editor)
    assert names(calls, "body_secrets") == [("body_secrets", False, len(text))]  # asked for once, by a job
    editor.show_message("nope")  # known now: at once
    assert editor.message_label.text() == "nope" and len(names(calls, "body_secrets")) == 1
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", big_json(3 * LARGE_EDIT_CHARS))))
    editor.show_message("nope")
    qtbot.waitUntil(lambda: editor.message_label.text() == "nope", timeout=10_000)
    assert len(names(calls, "body_secrets")) == 2  # another body: sought again
    editor.show_message("")
    assert not editor.message_label.isVisibleTo(editor)


def test_a_message_waiting_for_a_body_that_goes_shows_for_what_is_left(editor: RequestEditor, qtbot,
                                                                     monkeypatch) -> None:
    release = threading.Event()
    helper_calls(monkeypatch, lambda name: name == "body_secrets" and release.wait(10))
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", big_json(secret=True))))
    editor.show_message("quoting something")
    assert editor.message_label.text() == ""
    editor.clear_large_button.click()  # the held body goes while its secret values are sought
    qtbot.waitUntil(lambda: editor.message_label.text() == "quoting something", timeout=5_000)
    release.set()


def test_opening_another_request_in_safe_mode_does_not_mask_the_body_that_goes(editor: RequestEditor, qtbot,
                                                                              monkeypatch) -> None:
    calls = helper_calls(monkeypatch)
    editor.set_screen_share_safe(True)
    first, second = big_json(secret=True), big_json(3 * LARGE_EDIT_CHARS, secret=True)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", first)))
    qtbot.waitUntil(lambda: '"password"' in shown(editor), timeout=10_000)
    calls.clear()
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", second)))
    qtbot.waitUntil(lambda: '"password"' in shown(editor), timeout=10_000)
    assert [n for _, _, n in names(calls, "mask_body_text")] == [len(second)]


def test_a_body_too_large_to_mask_shows_nothing_in_safe_mode(editor: RequestEditor, monkeypatch) -> None:
    monkeypatch.setattr(request_editor, "LARGE_PARSE_CHARS", LARGE_EDIT_CHARS + 100)
    editor.set_screen_share_safe(True)
    text = big_json(secret=True)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    assert shown(editor) == "" and "too large to mask" in editor.body_text.placeholderText()
    assert editor.to_spec().body.text == text


def test_a_large_body_waiting_for_its_page_is_looked_at_once_too(qtbot, monkeypatch) -> None:
    """A request opened from history or a collection keeps its body aside until the Body page is shown: the
    messages under the URL bar look for its secrets once, not at every key."""
    widget = RequestEditor()
    qtbot.addWidget(widget)
    calls = helper_calls(monkeypatch)
    text = big_json(secret=True)
    widget.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    assert not widget.pages_built
    for message in ("nope", "nope again", f"quoting {SECRET}"):
        widget.show_message(message)
    qtbot.waitUntil(lambda: widget.message_label.text().startswith("quoting "), timeout=10_000)
    assert [n for _, _, n in names(calls, "body_secrets")] == [len(text)]
    assert SECRET not in widget.message_label.text()


def test_a_closed_editor_starts_no_more_work(editor: RequestEditor, qtbot, monkeypatch) -> None:
    """A closed tab is freed on the event loop's next turn; until then it still hears the window's mode: it
    starts nothing."""
    calls = helper_calls(monkeypatch)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", big_json(secret=True))))
    editor.shutdown()
    editor.set_screen_share_safe(True)
    qtbot.wait(300)
    assert names(calls, "mask_body_text") == [] and not editor._body_timer.isActive()


class _CountingStr(str):
    """A body that counts the searches made in it."""

    searches = 0

    def __contains__(self, needle: object) -> bool:
        type(self).searches += 1
        return super().__contains__(needle)


def test_each_key_does_not_search_a_held_body_again_for_variables(editor: RequestEditor) -> None:
    """Each key typed asks whether the form holds a "{{" (the variable marks): a held body is searched once,
    not at every key (8 ms a search in 7 MB)."""
    text = _CountingStr(big_json())
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", text)))
    assert editor.body_source() is text
    _CountingStr.searches = 0
    for _ in range(5):
        assert not editor.holds("{{")
    assert _CountingStr.searches == 1
    assert editor.holds("customer 9") and _CountingStr.searches == 2  # another needle: searched for
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", _CountingStr("{{x}}" + big_json()))))
    assert editor.holds("{{")  # another body: searched again


def test_a_body_edited_here_anyway_has_its_secrets_sought_at_once_for_a_message(editor: RequestEditor,
                                                                              monkeypatch) -> None:
    """The editor holds it now (a new str at each reading): no waiting for the helper, which would start again
    at every answer."""
    calls = helper_calls(monkeypatch)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", big_json(secret=True))))
    editor.edit_large_button.click()
    editor.show_message(f"quoting {SECRET}")
    assert editor.message_label.text().startswith("quoting ") and SECRET not in editor.message_label.text()
    assert names(calls, "body_secrets") == []


def test_when_the_helper_fails_the_body_page_says_so_and_messages_still_mask(editor: RequestEditor, qtbot,
                                                                          monkeypatch) -> None:
    from inspector.core.offload import HELPER, HelperFailed

    def failed(fn, *_a, **_kw):  # type: ignore[no-untyped-def]
        raise HelperFailed("The helper process ended while it worked (exit code -9)")

    monkeypatch.setattr(HELPER, "call", failed)
    editor.set_spec(RequestSpec("POST", "http://h/x", body=Body("json", big_json(secret=True))))
    qtbot.waitUntil(lambda: editor.body_status.text().startswith("Not checked: "), timeout=5_000)
    assert "exit code -9" in editor.body_status.text()
    editor.show_message(f"quoting {SECRET}")
    qtbot.waitUntil(lambda: editor.message_label.text().startswith("quoting "), timeout=5_000)
    assert SECRET not in editor.message_label.text()  # sought here instead
    editor.format_button.click()
    qtbot.waitUntil(lambda: editor.body_status.text().startswith("Not formatted: "), timeout=5_000)
    editor.set_screen_share_safe(True)
    qtbot.waitUntil(lambda: "could not be masked" in editor.body_text.placeholderText(), timeout=5_000)
    assert shown(editor) == ""
