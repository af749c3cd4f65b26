"""The HAR dialog: a browser recording explained offline, re-sent or opened; bad files named; masked export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QToolButton

from inspector.core.errors import ExportError
from inspector.core.export import parse_har
from inspector.core.request import RequestSpec
from inspector.ui.har_dialog import HarDialog, export_har
from tests.support.samples import SECRETS, secret_diagnosis, secret_exchange, simple_exchange
from tests.support.secret_scan import find_secrets

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "chrome_demo.har"
SHOTS = Path("/tmp/ui-shots")


def _token() -> str:
    """The bearer token the browser sent in the fixture's first request."""
    entry = json.loads(FIXTURE.read_text(encoding="utf-8"))["log"]["entries"][0]
    value = next(h["value"] for h in entry["request"]["headers"] if h["name"] == "Authorization")
    return value.split(" ", 1)[1]


def _dialog(qtbot, path: Path | None = FIXTURE, **kw) -> HarDialog:
    dialog = HarDialog(path, **kw)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    return dialog


def test_lists_the_recorded_requests(qtbot) -> None:
    dialog = _dialog(qtbot)
    model = dialog.table.model()
    assert dialog.error_text() == "" and not dialog.error_label.isVisible()
    rows = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]
    assert len(rows) == len(dialog.entries()) == 5  # the redirect and its target are one entry with two hops
    assert rows[0][:1] == ["GET"] and rows[0][2] == "401"
    assert rows[1][2] == "302 → 401" and "2 hops" in rows[1][3]
    cached = next(r for r in rows if "app.js" in r[1])
    assert cached[3] == "from memory cache"
    assert rows[-1][2] == "no response"
    assert not dialog.open_button.isEnabled()


def test_selecting_the_401_explains_it_offline(qtbot) -> None:
    dialog = _dialog(qtbot)
    dialog.select(0)
    assert dialog.explainer.verdict() == "authentication"
    diagnosis = dialog.diagnosis(0)
    assert diagnosis.verdict == "authentication" and diagnosis is dialog.diagnosis(0)  # explained once
    assert dialog.explainer.summary.text() == diagnosis.summary
    assert "nothing was sent" in dialog.notes_label.text()
    assert dialog.open_button.isEnabled() and dialog.resend_button.isEnabled()
    SHOTS.mkdir(exist_ok=True)
    QApplication.processEvents()  # the explainer fits its sections on a zero-delay timer: let it, then look
    dialog.grab().save(str(SHOTS / "har-dialog.png"))


def test_the_cached_entry_says_it_never_reached_the_server(qtbot) -> None:
    dialog = _dialog(qtbot)
    row = next(i for i, e in enumerate(dialog.entries()) if e.from_cache)
    dialog.select(row)
    assert "memory cache" in dialog.notes_label.text()


def test_open_and_resend_hand_over_the_request(qtbot) -> None:
    dialog = _dialog(qtbot)
    dialog.select(0)
    with qtbot.waitSignal(dialog.open_requested) as opened:
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    spec = opened.args[0]
    assert isinstance(spec, RequestSpec) and spec.url == "http://127.0.0.1:8765/api/profile?view=full"
    assert spec.header("Authorization") == f"Bearer {_token()}"  # re-sending needs what the browser sent
    with qtbot.waitSignal(dialog.resend_requested) as resent:
        qtbot.mouseClick(dialog.resend_button, Qt.MouseButton.LeftButton)
    assert resent.args[0] == spec
    rect = dialog.table.visualRect(dialog.table.model().index(1, 0))
    with qtbot.waitSignal(dialog.open_requested) as opened:
        qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args[0].url == "http://127.0.0.1:8765/old/items"


BAD_FILES = [
    ("{not json", "it is not JSON"),
    ('{"entries": []}', "no 'log' object"),
    ('{"log": {"version": "1.2"}}', "no 'entries' list"),
    ('{"log": {"entries": [{"response": {}}]}}', "Entry 1 of the HAR file has no 'request' object"),
    ('{"log": {"entries": [{"request": {"method": "GET"}}]}}', "Entry 1 of the HAR file has no request URL"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "The file is not a HAR file"),
]


@pytest.mark.parametrize(("content", "expected"), BAD_FILES)
def test_a_bad_file_is_explained_not_raised(qtbot, tmp_path: Path, content, expected: str) -> None:
    path = tmp_path / "broken.har"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    dialog = _dialog(qtbot, None)
    with qtbot.waitSignal(dialog.load_failed) as failed:
        assert dialog.load(path) is False
    assert expected in failed.args[0] and str(path) in failed.args[0]
    assert dialog.error_label.isVisible() and dialog.error_label.text() == dialog.error_text() == failed.args[0]
    assert dialog.table.model().rowCount() == 0


def test_a_missing_file_is_named(qtbot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, None)
    assert dialog.load(tmp_path / "nope.har") is False
    assert f"The file {tmp_path / 'nope.har'} cannot be read" in dialog.error_text()


def test_a_good_file_after_a_bad_one_clears_the_error(qtbot, tmp_path: Path) -> None:
    chosen = [str(tmp_path / "missing.har"), str(FIXTURE)]
    dialog = _dialog(qtbot, None, choose_open_path=lambda *a: chosen.pop(0))
    qtbot.mouseClick(dialog.open_file_button, Qt.MouseButton.LeftButton)
    assert dialog.error_text()
    with qtbot.waitSignal(dialog.loaded) as loaded:
        qtbot.mouseClick(dialog.open_file_button, Qt.MouseButton.LeftButton)
    assert loaded.args == [5] and dialog.error_text() == "" and not dialog.error_label.isVisible()


def test_screen_share_safe_hides_the_recorded_token(qtbot) -> None:
    token = _token()
    dialog = _dialog(qtbot)
    dialog.select(0)
    show = dialog.explainer.credential_value.findChild(QToolButton)
    show.click()  # the explainer's own "Show" toggle: the scan must see the token then
    assert find_secrets(dialog, [token]) != []
    dialog.set_screen_share_safe(True)
    assert find_secrets(dialog, [token]) == []
    for row in range(len(dialog.entries())):
        dialog.select(row)
        assert find_secrets(dialog, [token]) == []


def test_export_har_writes_masked_entries_that_read_back(tmp_path: Path) -> None:
    path = tmp_path / "out.har"
    count = export_har([(secret_exchange(), secret_diagnosis()), (simple_exchange(404), None)], path)
    text = path.read_text(encoding="utf-8")
    assert count == 4  # three hops of the first exchange, one of the second
    for secret in SECRETS.values():
        assert secret not in text
    entries = parse_har(text)
    assert [e.exchange.response.status for e in entries] == [401, 404]
    assert entries[0].diagnosis.verdict == "authentication"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_export_har_with_secrets_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "clear.har"
    export_har([(secret_exchange(), None)], path, include_secrets=True)
    assert SECRETS["bearer"] in path.read_text(encoding="utf-8")


def test_export_har_to_a_missing_folder_is_named(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "out.har"
    with pytest.raises(ExportError, match=r"could not be written .*choose another"):
        export_har([(simple_exchange(), None)], target)
    assert str(target) in str(pytest.raises(ExportError, export_har, [(simple_exchange(), None)], target).value)


def test_dialog_explains_our_own_export(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "ours.har"
    export_har([(secret_exchange(), secret_diagnosis())], path)
    dialog = _dialog(qtbot, path)
    assert len(dialog.entries()) == 1
    dialog.select(0)
    assert dialog.explainer.verdict() is not None
    assert find_secrets(dialog, SECRETS.values()) == []


def test_a_huge_har_file_is_refused_with_a_sentence(qtbot, tmp_path, monkeypatch) -> None:
    from inspector.ui import har_dialog

    monkeypatch.setattr(har_dialog, "MAX_HAR_BYTES", 1000)
    big = tmp_path / "big.har"
    big.write_text('{"log": {"version": "1.2", "entries": []}}' + " " * 2000)
    dialog = har_dialog.HarDialog()
    qtbot.addWidget(dialog)
    assert dialog.load(big) is False
    assert "big.har" in dialog.error_text() and "are not opened here" in dialog.error_text()


def _big_har(path: Path, entries: int) -> Path:
    """A real HAR file over the dialog's at-once limit: the fixture's entries, repeated."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data["log"]["entries"] = (data["log"]["entries"] * (entries // len(data["log"]["entries"]) + 1))[:entries]
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_larger_har_file_is_read_on_a_job(qtbot, tmp_path, monkeypatch) -> None:
    import threading

    from inspector.ui import har_dialog

    monkeypatch.setattr(har_dialog, "SYNC_HAR_BYTES", 10_000)
    path = _big_har(tmp_path / "big.har", 60)
    assert path.stat().st_size > 10_000
    threads: list[bool] = []
    real_parse = har_dialog.parse_har

    def parse(text):  # the real parser; notes which thread it ran on
        threads.append(threading.current_thread() is threading.main_thread())
        return real_parse(text)

    rows: list[bool] = []
    real_row = har_dialog._row_of
    monkeypatch.setattr(har_dialog, "parse_har", parse)
    monkeypatch.setattr(har_dialog, "_row_of", lambda e: rows.append(
        threading.current_thread() is threading.main_thread()) or real_row(e))
    dialog = _dialog(qtbot, None)
    with qtbot.waitSignal(dialog.loaded, timeout=20_000) as loaded:
        assert dialog.load(path) is True
        assert dialog.loading and dialog.entries() == [] and "Reading" in dialog.notes_label.text()
    expected = len(real_parse(path.read_bytes()))
    assert expected >= 40
    assert loaded.args == [expected] and len(dialog.entries()) == expected and not dialog.loading
    assert threads == [False]  # parsed off the UI thread
    assert len(rows) == expected and not any(rows)  # the table's rows made there too (24,000 took 0.6 s here)
    assert dialog.table.model().rowCount() == expected and str(path) in dialog.file_label.text()
    model = dialog.table.model()
    assert [model.index(0, c).data() for c in range(model.columnCount())] == list(real_row(dialog.entries()[0])[:4])


def test_a_broken_larger_har_file_is_explained(qtbot, tmp_path, monkeypatch) -> None:
    from inspector.ui import har_dialog

    monkeypatch.setattr(har_dialog, "SYNC_HAR_BYTES", 100)
    broken = tmp_path / "broken.har"
    broken.write_text('{"log": {"entries": [' + "1," * 200, encoding="utf-8")
    dialog = _dialog(qtbot, None)
    with qtbot.waitSignal(dialog.load_failed, timeout=20_000) as failed:
        assert dialog.load(broken) is True
    assert "broken.har" in failed.args[0] and dialog.error_text() == failed.args[0]
    assert dialog.entries() == [] and not dialog.loading


def test_a_reading_stopped_is_not_shown(qtbot, tmp_path, monkeypatch) -> None:
    from inspector.ui import har_dialog

    monkeypatch.setattr(har_dialog, "SYNC_HAR_BYTES", 10_000)
    path = _big_har(tmp_path / "big.har", 60)
    dialog = _dialog(qtbot, None)
    seen: list[int] = []
    dialog.loaded.connect(seen.append)
    assert dialog.load(path) is True
    dialog.cancel_loading()
    assert not dialog.loading and "stopped" in dialog.notes_label.text()
    assert dialog._jobs is not None and dialog._jobs.join(20)
    qtbot.wait(50)  # a late result would be delivered by now
    assert seen == [] and dialog.entries() == []


def test_closing_the_dialog_stops_the_reading(qtbot, tmp_path, monkeypatch) -> None:
    from inspector.ui import har_dialog

    monkeypatch.setattr(har_dialog, "SYNC_HAR_BYTES", 10_000)
    dialog = _dialog(qtbot, None)
    assert dialog.load(_big_har(tmp_path / "big.har", 60)) is True
    dialog.reject()  # Esc, Close
    assert not dialog.loading


def test_a_closed_dialog_lets_go_of_a_large_files_entries_a_piece_at_a_time(qtbot, tmp_path, monkeypatch) -> None:
    """The window frees a closed dialog next: freeing 24,000 entries at once held the UI thread for 70-80 ms.
    They are let go of a piece a turn of the event loop, on the UI thread: on a job, a thread that frees and
    yields competed with the next file's reading for the interpreter, and the UI thread waited 100-550 ms."""
    import threading

    from inspector.ui import har_dialog

    monkeypatch.setattr(har_dialog, "SYNC_HAR_BYTES", 10_000)
    monkeypatch.setattr(har_dialog, "LET_GO_IN_PIECES", 10)
    monkeypatch.setattr(har_dialog, "LET_GO_PER_STEP", 7)
    steps: list[tuple[int, bool]] = []  # (items left, on the UI thread) at each step
    real_step = har_dialog._LetGo._step

    def step(self: har_dialog._LetGo) -> None:
        left = sum(len(items) for items in self._lists)
        steps.append((left, threading.current_thread() is threading.main_thread()))
        real_step(self)

    monkeypatch.setattr(har_dialog._LetGo, "_step", step)
    dialog = _dialog(qtbot, None)
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        dialog.load(_big_har(tmp_path / "big.har", 60))
    entries = dialog._entries
    assert len(entries) > 10
    dialog.select(0)
    dialog.reject()
    count = len(entries)
    assert entries and dialog.entries() == [] and dialog.table.model().rowCount() == 0  # (not yet freed)
    qtbot.waitUntil(lambda: entries == [], timeout=10_000)
    assert len(steps) >= 2 * count // 7 and all(on_ui for _left, on_ui in steps)  # entries and rows, 7 a turn
    assert [left for left, _on_ui in steps] == sorted((left for left, _on_ui in steps), reverse=True)
