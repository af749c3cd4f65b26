"""The report dialog: options shape the live preview, both formats, copy and save, never a secret."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from itertools import product
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from inspector.core.diagnosis import Diagnosis
from inspector.core.export import ReportOptions
from inspector.core.history import HistoryStore
from inspector.core.redact import Secrets
from inspector.ui.report_dialog import SECTIONS, ReportDialog
from tests.support.samples import SECRETS, secret_diagnosis, secret_exchange
from tests.support.secret_scan import find_secrets

NOW = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
SHOTS = Path("/tmp/ui-shots")


def _dialog(qtbot, exchange=None, diagnosis=None, **kw) -> ReportDialog:
    kw.setdefault("inform", lambda *a: pytest.fail(f"unexpected message: {a[1:]}"))
    dialog = ReportDialog(
        exchange or secret_exchange(), diagnosis if diagnosis is not None else secret_diagnosis(),
        clock=lambda: NOW, **kw,
    )  # fmt: skip
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    return dialog


def _click(qtbot, button) -> None:
    """Click on the indicator: the middle of a wide check box or radio button is outside its hit area."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(6, button.height() // 2))


# what each section adds to the Markdown text: a line only that section writes
SECTION_MARKS = {
    "headers": "Content-Type: application/json",
    "body": '"username": "demo"',
    "claims": "## Token (",
    "timeline": "## Timeline",
    "hops": "(token request)",
}


def test_defaults_show_every_section(qtbot) -> None:
    dialog = _dialog(qtbot)
    dialog.show_source(True)  # the Markdown text itself (the preview renders it by default)
    text = dialog.preview.toPlainText()
    assert dialog.format() == "markdown" and text == dialog.report_text()
    assert text.startswith("# Request Inspector report")
    assert "report written 2024-05-02 09:30:00 UTC" in text
    for mark in SECTION_MARKS.values():
        assert mark in text
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "report-markdown.png"))


@pytest.mark.parametrize("section", [name for name, _label, _tip in SECTIONS])
def test_unticking_a_section_takes_it_out_of_the_preview(qtbot, section: str) -> None:
    dialog = _dialog(qtbot)
    dialog.show_source(True)
    mark = SECTION_MARKS[section]
    box = dialog.section_boxes[section]
    _click(qtbot, box)
    assert not box.isChecked() and getattr(dialog.options(), section) is False
    assert mark not in dialog.preview.toPlainText()
    _click(qtbot, box)
    assert mark in dialog.preview.toPlainText()


def test_body_limit_cuts_the_excerpts(qtbot) -> None:
    dialog = _dialog(qtbot)
    dialog.limit_spin.setValue(100)
    assert dialog.options().body_limit == 100
    assert "only the first 100 characters" in dialog.report_text()


def test_html_format_renders_the_page(qtbot) -> None:
    dialog = _dialog(qtbot)
    _click(qtbot, dialog.html_radio)
    assert dialog.format() == "html"
    assert dialog.report_text().startswith("<!DOCTYPE html>")
    shown = dialog.preview.toPlainText()
    assert "Verdict: authentication" in shown and "<h2>" not in shown  # rendered, not the source
    dialog.grab().save(str(SHOTS / "report-html.png"))
    dialog.set_format("markdown")
    dialog.show_source(True)
    assert dialog.preview.toPlainText().startswith("# Request Inspector report")


def test_markdown_preview_is_rendered_not_escaped_source(qtbot) -> None:
    dialog = _dialog(qtbot)
    source = dialog.report_text()
    assert source.startswith("# Request Inspector report") and "\\_" in source  # escaped, as Markdown must
    shown = dialog.preview.toPlainText()
    assert shown.startswith("Request Inspector report")  # a heading, not "# ..."
    assert "\\_" not in shown and "## " not in shown
    first = dialog.preview.document().firstBlock()
    assert first.blockFormat().headingLevel() == 1
    # the words with underscores read as written (insufficient_scope, not insufficient\_scope)
    underscored = [word for word in source.split() if "\\_" in word]
    assert underscored and underscored[0].replace("\\_", "_").strip("`*") in shown
    # Copy and Save still write the Markdown text; the source view shows exactly it
    dialog.show_source(True)
    assert dialog.preview.toPlainText() == source
    dialog.show_source(False)
    assert dialog.preview.toPlainText() == shown


def test_copy_puts_the_report_on_the_clipboard(qtbot) -> None:
    dialog = _dialog(qtbot)
    clipboard = QApplication.clipboard()
    with qtbot.waitSignal(dialog.copied):
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == dialog.report_text()
    dialog.set_format("html")
    dialog.copy()
    mime = clipboard.mimeData()
    assert mime.hasHtml() and "Verdict: authentication" in mime.html()
    assert clipboard.text() == dialog.report_text()


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_save_writes_the_chosen_format(qtbot, tmp_path: Path, fmt: str) -> None:
    suggested: list[str] = []

    def choose(parent, caption, name, name_filter):
        suggested.append(name)
        return str(tmp_path / name)

    dialog = _dialog(qtbot, choose_save_path=choose)
    dialog.set_format(fmt)
    with qtbot.waitSignal(dialog.saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert suggested == ["request-report.html" if fmt == "html" else "request-report.md"]
    assert Path(saved.args[0]).read_text(encoding="utf-8") == dialog.report_text()


def test_save_cancelled_writes_nothing(qtbot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, choose_save_path=lambda *a: None)
    assert dialog.save() is None and list(tmp_path.iterdir()) == []


def test_a_save_that_fails_is_told_in_words(qtbot, tmp_path: Path) -> None:
    messages: list[str] = []
    dialog = _dialog(qtbot, inform=lambda parent, title, text: messages.append(text))
    assert dialog.save(tmp_path) is None  # a folder, not a file
    assert len(messages) == 1 and str(tmp_path) in messages[0] and "could not be written" in messages[0]


@pytest.mark.parametrize(("fmt", "flags"), list(product(["markdown", "html"], [(True,) * 5, (False,) * 5])))
def test_no_secret_in_any_report_or_on_screen(qtbot, fmt: str, flags: tuple[bool, ...]) -> None:
    dialog = _dialog(qtbot, secrets=Secrets(tuple(SECRETS.values())))
    dialog.set_options(ReportOptions(**dict(zip([s[0] for s in SECTIONS], flags, strict=True))))
    dialog.set_format(fmt)
    for safe in (False, True):
        dialog.set_screen_share_safe(safe)
        for secret in SECRETS.values():
            assert secret not in dialog.report_text()
        assert find_secrets(dialog, SECRETS.values()) == []


def test_a_history_record_with_its_stored_diagnosis(qtbot, tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        record = store.get(store.add(secret_exchange(), secret_diagnosis()))
    assert isinstance(record.diagnosis, Diagnosis)  # as stored: credential masked, no raw token
    dialog = ReportDialog.for_record(record, clock=lambda: NOW)
    qtbot.addWidget(dialog)
    text = dialog.report_text()
    assert "## Verdict: authentication" in text and "token-expired" in text
    for secret in SECRETS.values():
        assert secret not in text


def test_without_a_diagnosis(qtbot) -> None:
    dialog = ReportDialog(secret_exchange(), None, clock=lambda: NOW)
    qtbot.addWidget(dialog)
    assert "not explained" in dialog.report_text()


def test_unknown_format_is_refused(qtbot) -> None:
    dialog = _dialog(qtbot)
    with pytest.raises(ValueError, match="'pdf' is unknown"):
        dialog.set_format("pdf")


def _big_exchange():  # type: ignore[no-untyped-def]
    """secret_exchange() with 300 KB more in its last response body: reported in the helper process."""
    import dataclasses
    import json

    exchange = secret_exchange()
    padding = json.dumps([{"id": i, "note": "x" * 40} for i in range(6000)]).encode()
    last = exchange.hops[-1]
    assert last.response is not None
    big = dataclasses.replace(last, response=dataclasses.replace(last.response, body=padding + last.response.body))
    return dataclasses.replace(exchange, hops=(*exchange.hops[:-1], big))


def _helper_calls(monkeypatch, first_held: float = 0.0) -> tuple[list[tuple[str, bool]], list[int]]:
    """What is sent to the helper process: (function, from the UI thread?), and the most sent at once; the
    first call is held first_held seconds (a newer build asked for meanwhile must wait for it)."""
    import threading

    from inspector.core.offload import HELPER

    calls: list[tuple[str, bool]] = []
    running: list[int] = []
    most = [0]
    real = HELPER.call

    def call(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((getattr(fn, "func", fn).__name__, threading.current_thread() is threading.main_thread()))
        running.append(1)
        most[0] = max(most[0], len(running))
        if len(calls) == 1:
            time.sleep(first_held)
        try:
            value = real(fn, *args, **kwargs)
            assert HELPER.unavailable is None and HELPER.is_running(), "built in this process"
            return value
        finally:
            running.pop()

    monkeypatch.setattr(HELPER, "call", call)
    return calls, most


def test_a_report_of_bodies_of_megabytes_is_built_in_the_helper_process_and_still_masked(qtbot,
                                                                                        monkeypatch) -> None:
    """Masking an exchange reads its bodies whole (a second and a half for two of 4 MB), in long calls that
    hold the interpreter, on a thread too: built in the helper process, one build at a time (one cannot stop
    half-way), the newest options winning; Copy and Save… do nothing until it is there."""
    from inspector.core.export import build_report

    exchange = _big_exchange()
    expected = build_report(exchange, secret_diagnosis(), replace(ReportOptions(), body_limit=3000, headers=False),
                            generated_at=NOW)
    calls, most = _helper_calls(monkeypatch, first_held=0.5)
    dialog = ReportDialog(exchange, secret_diagnosis(), clock=lambda: NOW,
                          inform=lambda *a: pytest.fail(f"unexpected message: {a[1:]}"))
    qtbot.addWidget(dialog)
    assert dialog.building and dialog.report_text() == "" and not dialog.copy_button.isEnabled()
    copied: list[str] = []
    dialog.copied.connect(copied.append)
    dialog.copy()
    assert dialog.save() is None and copied == []
    for value in (1000, 2000, 3000):  # the wheel over the excerpt's size: three builds asked for at once
        dialog.limit_spin.setValue(value)
    dialog.section_boxes["headers"].setChecked(False)
    qtbot.waitUntil(lambda: not dialog.building, timeout=30_000)
    options = dialog.options()
    assert options.body_limit == 3000 and not options.headers
    assert dialog.report_text() == expected
    assert most[0] == 1 and calls and all(name == "build_report" and not ui for name, ui in calls)
    assert not any(secret in dialog.report_text() for secret in SECRETS.values())
    assert dialog.copy_button.isEnabled()
    dialog.copy()
    assert copied == [dialog.report_text()]
    builds = len(calls)
    dialog.show_source(True)  # only shown again: not built again
    assert len(calls) == builds and dialog.preview.toPlainText() == dialog.report_text()


def test_a_report_built_in_the_helper_keeps_the_place_in_the_preview(qtbot) -> None:
    dialog = ReportDialog(_big_exchange(), secret_diagnosis(), clock=lambda: NOW)
    qtbot.addWidget(dialog)
    dialog.resize(700, 300)
    dialog.show()
    dialog.show_source(True)
    dialog.set_options(replace(dialog.options(), body_limit=200_000))  # a long preview
    qtbot.waitUntil(lambda: not dialog.building and dialog.preview.verticalScrollBar().maximum() > 100,
                    timeout=30_000)
    bar = dialog.preview.verticalScrollBar()
    bar.setValue(bar.maximum() // 4)
    where = bar.value()
    dialog.section_boxes["timeline"].setChecked(False)
    qtbot.waitUntil(lambda: not dialog.building, timeout=30_000)
    assert where > 0 and bar.value() == min(where, bar.maximum())  # not back at the top


def test_a_report_that_cannot_be_built_says_so(qtbot, monkeypatch) -> None:
    """The helper process ended while it built (the system ran out of memory and killed it, say)."""
    from inspector.core.offload import HELPER, HelperFailed

    def broken(*_a, **_kw):  # type: ignore[no-untyped-def]
        raise HelperFailed("The helper process ended while it worked (exit code -9)")

    monkeypatch.setattr(HELPER, "call", broken)
    dialog = ReportDialog(_big_exchange(), secret_diagnosis(), clock=lambda: NOW)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.building, timeout=10_000)
    assert "could not be built" in dialog.preview.toPlainText() and "exit code -9" in dialog.preview.toPlainText()
    assert not dialog.copy_button.isEnabled() and dialog.save() is None
