"""ProfilesModel loads, polls and checks on a worker: a slow secret store never blocks the UI thread."""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from shiboken6 import Shiboken

from inspector.core.profiles import ProfileStore, SecretStore
from inspector.ui import profiles_model
from inspector.ui.profile_status import READY, SECRET_MISSING
from inspector.ui.profiles_dialog import ProfilesDialog
from inspector.ui.profiles_model import ProfilesModel
from tests.support.qt import Ticker

GATE_S = 10.0  # a store that is never released gives up after this, so a blocked UI thread fails, not hangs


class SlowStore(SecretStore):
    """A real secret store whose get() waits until the test opens the gate (a keyring behind an unlock prompt)."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = dict(values)
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.calls = 0
        self.threads: set[int] = set()
        self.timed_out = False
        self._lock = threading.Lock()

    def usable(self) -> bool:
        return True

    def backend_name(self) -> str:
        return "a slow test keyring"

    def get(self, key: str) -> str | None:
        with self._lock:
            self.calls += 1
            self.threads.add(threading.get_ident())
        self.entered.set()
        if not self.gate.wait(GATE_S):
            self.timed_out = True
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


def write(folder: Path, stem: str, name: str, token: str = "${secret:tok}") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.toml"
    path.write_text(
        textwrap.dedent(f"""\
            format = 1
            name = "{name}"
            kind = "bearer"
            [credentials]
            token = "{token}"
            """),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def ticker():
    t = Ticker()
    yield t
    t.timer.stop()


@pytest.fixture
def slow() -> SlowStore:
    store = SlowStore({"tok": "s3cret"})
    yield store
    store.gate.set()  # never leave a worker waiting


def emissions(model: ProfilesModel) -> list[list[str]]:
    """The profile names at every profiles_changed."""
    seen: list[list[str]] = []
    model.profiles_changed.connect(lambda: seen.append(sorted(p.name for p in model.profiles)))
    return seen


def test_the_first_load_waits_for_the_store_off_the_ui_thread(qtbot, tmp_path: Path, slow, ticker) -> None:
    write(tmp_path / "personal", "api", "API")
    model = ProfilesModel(ProfileStore(tmp_path / "personal", []), slow, env={})
    seen = emissions(model)
    qtbot.waitUntil(slow.entered.is_set, timeout=5_000)
    ticker.keeps_ticking(qtbot)  # the event loop runs while the store is still asked
    assert not model.loaded and model.profiles == [] and seen == []
    assert threading.get_ident() not in slow.threads

    with qtbot.waitSignal(model.profiles_changed, timeout=5_000):
        slow.gate.set()
    assert model.loaded and [p.name for p in model.profiles] == ["API"]
    assert model.status(model.profiles[0].identity).state == READY
    assert seen == [["API"]] and not slow.timed_out


def test_reload_requests_while_one_runs_coalesce_into_one_more_run(qtbot, tmp_path: Path, slow) -> None:
    personal = tmp_path / "personal"
    write(personal, "a", "A")
    model = ProfilesModel(ProfileStore(personal, []), slow, env={})
    seen = emissions(model)
    qtbot.waitUntil(slow.entered.is_set, timeout=5_000)
    write(personal, "b", "B")  # after the running load read the folder
    for _ in range(3):
        model.reload()
    with qtbot.waitSignal(model.profiles_changed, timeout=5_000):
        slow.gate.set()
    qtbot.wait(100)  # room for a late, stale or repeated result to show up
    # the first run's result is older than the requests: dropped; the three requests ran once (2 more gets)
    assert seen == [["A", "B"]]
    assert slow.calls == 1 + 2


def test_polling_compares_on_the_worker_and_applies_only_a_change(qtbot, tmp_path: Path, slow, ticker) -> None:
    personal = tmp_path / "personal"
    write(personal, "a", "A")
    slow.gate.set()
    model = ProfilesModel(ProfileStore(personal, []), slow, env={}, poll_interval_ms=20)
    qtbot.waitUntil(lambda: model.loaded, timeout=5_000)
    seen = emissions(model)
    model.start_watching()
    qtbot.wait(200)  # about ten polls over an unchanged folder
    assert seen == []

    slow.gate.clear()
    slow.entered.clear()
    write(personal, "b", "B")
    qtbot.waitUntil(slow.entered.is_set, timeout=5_000)  # a poll found the change and asks the store
    ticker.keeps_ticking(qtbot)
    assert seen == []
    with qtbot.waitSignal(model.profiles_changed, timeout=5_000):
        slow.gate.set()
    assert seen[0] == ["A", "B"]
    model.stop_watching()


def test_check_runs_on_the_worker_and_the_dialog_says_checking(qtbot, tmp_path: Path, slow, ticker) -> None:
    personal = tmp_path / "personal"
    write(personal, "a", "A", token="${secret:gone}")
    slow.gate.set()
    model = ProfilesModel(ProfileStore(personal, []), slow, env={})
    qtbot.waitUntil(lambda: model.loaded, timeout=5_000)
    assert model.status(model.profiles[0].identity).state == SECRET_MISSING
    dialog = ProfilesDialog(model)
    qtbot.addWidget(dialog)

    slow.gate.clear()
    slow.entered.clear()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert dialog.problems_label.text() == "Checking…"
    assert not dialog.check_button.isEnabled()
    qtbot.waitUntil(slow.entered.is_set, timeout=5_000)
    ticker.keeps_ticking(qtbot)
    assert dialog.problems_label.text() == "Checking…"

    with qtbot.waitSignal(model.check_finished, timeout=5_000) as done:
        slow.gate.set()
    problems = done.args[0]
    assert [p.code for p in problems] == ["missing-secret"]
    assert dialog.problems_label.text() == "Problems found by the last Check (1)"
    assert dialog.problems_list.item(0).text() == problems[0].message
    assert dialog.check_button.isEnabled()


def test_a_new_team_folder_drops_the_result_of_the_old_folders(qtbot, tmp_path: Path, slow) -> None:
    personal, old, new = tmp_path / "personal", tmp_path / "old", tmp_path / "new"
    write(personal, "mine", "Mine")
    write(old, "a", "Old")
    write(new, "b", "New")
    model = ProfilesModel(ProfileStore(personal, [old]), slow, env={})
    seen = emissions(model)
    qtbot.waitUntil(slow.entered.is_set, timeout=5_000)
    model.set_team_dirs([new])
    with qtbot.waitSignal(model.profiles_changed, timeout=5_000):
        slow.gate.set()
    qtbot.wait(100)
    assert seen == [["Mine", "New"]]


def test_stop_watching_waits_a_bounded_time_and_drops_the_late_result(
    qtbot, tmp_path: Path, slow, monkeypatch
) -> None:
    monkeypatch.setattr(profiles_model, "STOP_WAIT_S", 0.05)
    write(tmp_path / "personal", "a", "A")
    model = ProfilesModel(ProfileStore(tmp_path / "personal", []), slow, env={})
    seen = emissions(model)
    model.start_watching()
    qtbot.waitUntil(slow.entered.is_set, timeout=5_000)
    model.stop_watching()  # returns although the store still has not answered
    [worker] = model.jobs.alive()
    assert worker.is_alive()
    slow.gate.set()
    worker.join(5)
    qtbot.wait(50)
    assert seen == [] and not model.loaded


def test_a_worker_finishing_after_the_model_is_deleted_is_harmless(qtbot, tmp_path: Path, slow) -> None:
    write(tmp_path / "personal", "a", "A")
    model = ProfilesModel(ProfileStore(tmp_path / "personal", []), slow, env={})
    qtbot.waitUntil(slow.entered.is_set, timeout=5_000)
    [worker] = model.jobs.alive()
    Shiboken.delete(model)
    slow.gate.set()
    worker.join(5)
    assert not worker.is_alive()
    qtbot.wait(50)  # the queued result has no receiver any more


def test_reload_now_answers_at_once_and_outdates_a_running_load(qtbot, tmp_path: Path, slow) -> None:
    personal = tmp_path / "personal"
    write(personal, "a", "A", token="${env:TOKEN}")  # no store lookup: reload_now does not wait on the gate
    model = ProfilesModel(ProfileStore(personal, []), slow, env={"TOKEN": "t"})
    seen = emissions(model)
    model.reload_now()
    assert model.loaded and seen == [["A"]]
    qtbot.wait(100)  # the constructor's load finishes: same generation no more, dropped
    assert seen == [["A"]]
