"""One ViewState per window: safe mode, the theme and messages reach every pane and dialog from one place."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import QLabel, QWidget

from inspector.core.request import RequestSpec
from inspector.ui.curl_dialog import CurlDialog
from inspector.ui.main_window import MainWindow
from inspector.ui.theme import DARK, LIGHT
from inspector.ui.view_state import (
    ElidedLabel,
    MaskedLabel,
    MaskedStatusBar,
    ViewState,
    plain_label,
    plain_tip,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.VIEW-sig-SECRET-1234"


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat), theme=LIGHT)
    qtbot.addWidget(win)
    win.show()
    win.ensure_panels()
    return win


def test_the_mode_is_announced_once_per_change_and_followers_start_in_step(qtbot) -> None:
    view = ViewState()
    heard: list[bool] = []
    view.follow_safe(heard.append)
    view.set_safe(True)
    view.set_safe(True)
    view.set_safe(False)
    assert heard == [False, True, False]


def test_a_masked_label_is_plain_text_and_masks_again_when_the_mode_changes(qtbot) -> None:
    view = ViewState()
    parent = QWidget()
    qtbot.addWidget(parent)
    label = MaskedLabel(view, parent=parent, known=lambda: (("known-SECRET-42",), ()))
    label.setText(f"<b>server</b> said known-SECRET-42 and echoed the raw {JWT}")
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert "known-SECRET-42" not in label.text() and "<b>server</b>" in label.text()
    assert JWT in label.text()  # normal mode: a bare JWT in prose is not named as a secret
    view.set_safe(True)
    assert JWT not in label.text()  # strict: masked by its shape
    view.set_safe(False)
    assert JWT in label.text()  # the text is kept, only its display changes


def test_the_status_bar_masks_every_message_and_shows_posted_ones(qtbot, caplog) -> None:
    view = ViewState()
    bar = MaskedStatusBar(view)
    qtbot.addWidget(bar)
    bar.showMessage("GET https://api.example.com/x?access_token=AT-SECRET-9999 sent")
    shown = bar.currentMessage()
    assert "AT-SECRET-9999" not in shown and "GET https://api.example.com/x" in shown
    view.remember_secrets(["remembered-SECRET-1"])
    with caplog.at_level(logging.WARNING, logger="inspector.ui"):
        message = view.post("History write failed: remembered-SECRET-1 in row", level="error")
    assert bar.currentMessage() == message.text and "remembered-SECRET-1" not in message.text
    assert any("History write failed" in r.getMessage() for r in caplog.records)
    assert all("remembered-SECRET-1" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("Folder: /home/me/team", False), ("Credentials profile: <img src='file:///etc/passwd'>", True),
     ("<b>bold</b> profile", True), ("a < b and c > d", True), ("1 < 2", False)],
)
def test_plain_tip_keeps_tool_tips_from_being_html(text: str, escaped: bool) -> None:
    tip = plain_tip(text)
    if escaped:
        assert "<img" not in tip and "<b>" not in tip and "&lt;" in tip
    else:
        assert tip == text
    assert not (QtGui.mightBeRichText(tip) and ("<img" in tip or "<b>bold" in tip))


def test_plain_label_is_plain_text(qtbot) -> None:
    label = plain_label("<img src='x'>", name="n", wrap=True, selectable=True)
    qtbot.addWidget(label)
    assert label.textFormat() == Qt.TextFormat.PlainText and label.text() == "<img src='x'>"
    assert label.objectName() == "n" and label.wordWrap()


def test_every_pane_and_dialog_of_a_window_shares_its_view_state(qtbot, window: MainWindow) -> None:
    view = window.view_state
    assert window.editor.view_state is view and window.explainer.view_state is view
    assert window.response_view.view_state is view and window.editor.profile_picker.view_state is view
    dialog = CurlDialog(RequestSpec(url="https://api.example.com/x"), window, view=view)
    qtbot.addWidget(dialog)
    assert dialog.include_box.isEnabled()
    window.safe_action.trigger()  # the window's menu: the open dialog follows at once
    assert not dialog.include_box.isEnabled() and dialog.screen_share_safe()
    assert window.explainer.screen_share_safe() and window.response_view.screen_share_safe
    window.editor.set_screen_share_safe(False)  # any pane's switch is the window's switch
    assert not window.safe_action.isChecked() and "SCREEN-SHARE" not in window.windowTitle()


def test_a_theme_change_reaches_every_pane(qtbot, window: MainWindow) -> None:
    window.editor.show_message("The URL has no host name.")
    window.set_screen_share_safe(True)
    window.view_state.set_theme(DARK)
    assert window.theme is DARK and window.response_view.theme is DARK
    assert window.response_view.body_view.theme is DARK
    assert DARK.error_text in window.editor.message_label.styleSheet()
    badge = window.findChild(QWidget, "safeBadge")
    assert badge is not None and DARK.safe_badge_bg in badge.styleSheet()
    window.view_state.set_theme(LIGHT)
    assert LIGHT.error_text in window.editor.message_label.styleSheet()


def test_the_window_remembers_the_secrets_of_the_last_exchange_for_later_messages(qtbot, window) -> None:
    window.view_state.remember_secrets(["sent-credential-SECRET-77"])
    window.statusBar().showMessage("Reopened: the server said sent-credential-SECRET-77")
    assert "sent-credential-SECRET-77" not in window.statusBar().currentMessage()


LONG = "https://api.example.com/" + "a" * 2000


def test_a_label_with_break_points_wraps_a_long_url_instead_of_widening(qtbot) -> None:
    view = ViewState()
    plain = QLabel()
    plain.setWordWrap(True)
    plain.setText(f"The URL '{LONG}' contains a space.")
    label = MaskedLabel(view, breaks=True)
    label.setWordWrap(True)
    label.set_text(f"The URL '{LONG}' contains a space.")
    qtbot.addWidget(plain)
    qtbot.addWidget(label)
    word = QFontMetricsF(label.font()).horizontalAdvance("m" * 40)
    assert plain.minimumSizeHint().width() > 10 * word  # what it was: as wide as the URL
    assert label.minimumSizeHint().width() < word
    assert label.text() == f"The URL '{LONG}' contains a space."  # the words, without the break points


def test_an_elided_label_keeps_its_text_and_asks_for_little_room(qtbot) -> None:
    label = plain_label(LONG, elide=Qt.TextElideMode.ElideRight)
    qtbot.addWidget(label)
    label.resize(200, 30)
    label.show()
    assert isinstance(label, ElidedLabel)
    assert label.text() == LONG and label.is_elided()
    assert label.minimumSizeHint().width() < QFontMetricsF(label.font()).horizontalAdvance("m" * 5)
    assert label.sizeHint().width() > 200  # it still says how much room would show it whole
    assert LONG in label.toolTip()  # the whole text, on hover
    label.setText("short")
    assert not label.is_elided() and label.toolTip() == ""
    masked = MaskedLabel(ViewState(), elide=Qt.TextElideMode.ElideRight)
    qtbot.addWidget(masked)
    masked.set_text(LONG)
    assert masked.minimumSizeHint().width() < QFontMetricsF(masked.font()).horizontalAdvance("m" * 5)


def test_a_closed_dialog_is_freed_at_once_its_job_cancelled_and_never_waited_for(qtbot) -> None:
    """A dialog whose job cannot stop at once (a secret store's write) is freed on the event loop's next turn:
    the job is cancelled, its late result dropped, and the UI thread does not wait for its thread."""
    import threading

    import shiboken6
    from PySide6.QtWidgets import QDialog

    from inspector.ui.jobs import JobRunner
    from inspector.ui.view_state import free_later

    owner = QWidget()
    qtbot.addWidget(owner)
    dialog = QDialog(owner)
    jobs = JobRunner(dialog, name="Test")
    release = threading.Event()
    got: list[object] = []
    job = jobs.start("write", lambda _job: release.wait(10), on_done=got.append)  # does not look at its cancel
    free_later(dialog)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=1000)
    assert job.cancel.is_set() and job.is_alive()  # the thread was not waited for
    release.set()
    assert job.join(5)
    qtbot.wait(50)
    assert got == []
    free_later(dialog)  # already deleted: let be


def test_a_dialog_whose_parent_goes_while_it_is_open_is_let_be(qtbot) -> None:
    """exec() returns when the dialog is deleted under it (its parent closed): freeing it then is no error."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from inspector.ui.view_state import plain_message_box, run_dialog

    parent = QWidget()
    parent.show()
    box = plain_message_box(parent, QMessageBox.Icon.Question, "Question", "Go on?")
    QTimer.singleShot(100, parent.deleteLater)
    assert run_dialog(box) == 0
