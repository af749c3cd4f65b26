"""Start-up: what the first paint needs and nothing more; the rest (panes, history, profiles, log file, error
dialog, collections) arrives after it, and an error raised before the dialog exists is still shown and logged.

The real app runs in its own process for what it imports (StartupProbe, INSPECTOR_STARTUP_PROBE); the deferred
steps run in-process with qtbot. No wall-clock figure is asserted: bench_startup.py measures those.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog

from inspector.core.logfile import start_log
from inspector.core.request import RequestSpec
from inspector.ui.error_dialog import ErrorDialog
from inspector.ui.gui import STARTUP_PROBE_ENV, DeferredStart, EarlyErrors, start_error_reporting
from inspector.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.EARLY-sig-SECRET-4242"
HEAVY = ("keyring", "pygments.lexers", "requests", "jwt", "cryptography", "logging.handlers", "sqlite3",
         "inspector.core.logfile", "inspector.ui.error_dialog", "inspector.core.diagnosis.explainer")


def run_app(home: Path, probe: Path, *args: str, write_bytecode: bool = False,
            extra_env: dict[str, str] | None = None) -> dict[str, object]:
    """`python main.py` in a throw-away home, offscreen, until the probe has its figures (then it quits).
    write_bytecode: as on a user's machine, whatever PYTHONDONTWRITEBYTECODE says here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INSPECTOR_", "XDG_", "PYTHON_KEYRING"))}
    if write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_STATE_HOME=str(home / "state"), XDG_CACHE_HOME=str(home / "cache"),
               INSPECTOR_SETTINGS=str(home / "settings.ini"), QT_QPA_PLATFORM="offscreen",
               **{STARTUP_PROBE_ENV: str(probe)}, **(extra_env or {}))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=50, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(probe.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def saved_by_a_last_run(qtbot, path: Path, *specs: RequestSpec) -> None:
    """A window of an earlier run that had these tabs open (the first in the tab it opened with) and closed."""
    first = MainWindow(QSettings(str(path), QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.current_tab().set_spec(specs[0])
    for spec in specs[1:]:
        first.new_tab(spec)
    first.save_state()
    first.shutdown()


@pytest.mark.smoke
def test_the_first_paint_imports_none_of_the_heavy_modules(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for run in ("first run", "second run: settings and tabs saved by the first"):
        data = run_app(home, tmp_path / "probe.json")
        at_paint = set(data["modules_at_paint"])  # type: ignore[arg-type]
        assert "inspector.ui.main_window" in at_paint, run  # the probe did see the window's first paint
        assert not [m for m in HEAVY if m in at_paint], run
        # then the window got ready: panes, history and profiles; the keyring was never needed for that
        at_ready = set(data["modules_at_ready"])  # type: ignore[arg-type]
        assert {"inspector.ui.response_view", "inspector.ui.explainer_panel", "inspector.core.history",
                "inspector.ui.profiles_model"} <= at_ready, run
        assert "keyring" not in at_ready, run
        assert isinstance(data["painted_at"], float) and isinstance(data["ready_at"], float)
        assert data["ready_at"] >= data["painted_at"]
    settings = QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value("tabs/open")  # the second run kept the saved tabs (restored after the paint)


# Not needed to paint the window: only its frame is painted first (MainWindow(build_later=True)); the editor,
# the job runner, the request's model and the masking come right after, with the request's transport value and
# its dates later still.
NOT_AT_PAINT = ("inspector.core.exchange", "datetime", "inspector.ui.request_editor", "inspector.ui.tab",
                "inspector.ui.jobs", "inspector.ui.view_state", "inspector.core.request", "inspector.core.redact",
                "dataclasses", "ctypes")
# Not needed to be ready: made on first use (a body to colour: Pygments' lexers, which import importlib.metadata
# and email; an incident report; a {{$uuid}}; a token in a cookie; a cookie's expiry date; a profile name that
# is not found; the Incidents view, whose badge is checked once the window is ready).
NOT_AT_READY = ("pygments.lexer", "pygments.lexers", "importlib.metadata", "email", "socket",
                "inspector.ui.incidents_view",
                "inspector.core.export", "inspector.core.export.incident_report", "uuid", "platform",
                "http.cookies", "difflib")


def test_what_the_paint_and_ready_do_not_need_is_imported_later(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    data = run_app(home, tmp_path / "probe.json")
    at_paint = set(data["modules_at_paint"])  # type: ignore[arg-type]
    at_ready = set(data["modules_at_ready"])  # type: ignore[arg-type]
    assert "inspector.ui.main_window" in at_paint and "inspector.core.history" in at_ready
    assert [m for m in NOT_AT_PAINT if m in at_paint] == []
    assert [m for m in NOT_AT_READY if m in at_ready] == []


def test_the_window_compiles_its_dataclass_methods_once(tmp_path: Path) -> None:
    """The first start writes the dataclass methods' cache (inspector/core/codecache.py) in the user's cache
    folder; the second finds all of them there, so it compiles none and leaves the file as it was."""
    home = tmp_path / "home"
    home.mkdir()
    run_app(home, tmp_path / "probe.json", write_bytecode=True)
    files = list((home / "cache").rglob("dataclass-methods.window.*"))
    assert len(files) == 1
    written = files[0].stat()
    run_app(home, tmp_path / "probe.json", write_bytecode=True)
    again = files[0].stat()
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_the_window_compiles_its_regular_expressions_and_pysides_embedded_code_once(tmp_path: Path) -> None:
    """The first start writes the window's table of compiled patterns (inspector/core/regexcache.py) and the
    code of PySide's embedded Python (ui/qt_compat.py: import_shiboken) where Python keeps bytecode (here under
    a prefix of the test's); the second finds everything there, PySide's signature loader's patterns among
    them, so it leaves both files as they were. A secret in the environment is in neither."""
    home = tmp_path / "home"
    home.mkdir()
    canary = "CANARY" + os.urandom(6).hex()
    env = {"PYTHONPYCACHEPREFIX": str(tmp_path / "pycache"), "HTTPS_PROXY": f"http://user:{canary}@127.0.0.1:9",
           "API_TOKEN": canary}
    run_app(home, tmp_path / "probe.json", write_bytecode=True, extra_env=env)
    files = list((tmp_path / "pycache").rglob("regexes.window.*.marshal"))
    code_files = list((tmp_path / "pycache").rglob("pyside-code.*.marshal"))
    assert len(files) == 1 and len(code_files) == 1
    from inspector.core.regexcache import read_table

    patterns = {pattern for _is_bytes, pattern, _flags in read_table(files[0])}
    assert any(isinstance(p, str) and "typing" in p for p in patterns)  # shiboken's signature loader's
    written = [f.stat() for f in (files[0], code_files[0])]
    run_app(home, tmp_path / "probe.json", write_bytecode=True, extra_env=env)
    again = [f.stat() for f in (files[0], code_files[0])]
    assert [(a.st_ino, a.st_mtime_ns) for a in again] == [(w.st_ino, w.st_mtime_ns) for w in written]
    assert canary.encode() not in files[0].read_bytes() + code_files[0].read_bytes()


def test_no_flags_opens_the_window_the_parser_would_open() -> None:
    """A bare start skips the parser: its defaults must be the window's flags when none is given."""
    import inspect

    from inspector.app import open_window
    from inspector.cli.args import build_gui_parser

    opts = build_gui_parser().parse_args([])
    params = inspect.signature(open_window).parameters
    assert not opts.version and not opts.install_desktop_entry
    assert params["demo"].default == opts.demo
    assert list(params["profiles_dirs"].default) == opts.profiles_dir
    assert list(params["collections_dirs"].default) == opts.collections_dir


@pytest.mark.smoke
def test_the_version_and_the_cli_never_import_qt(tmp_path: Path) -> None:
    code = ("import sys\nfrom inspector.app import main\ncode = main(['--version'])\n"
            "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
            "print(bad); sys.exit(3 if bad else code)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def write_profile(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "team-api.toml").write_text(
        'format = 1\nname = "Team API"\nkind = "bearer"\n[credentials]\ntoken = "${env:TEAM_TOKEN}"\n',
        encoding="utf-8")


def finish(startup: DeferredStart, window: MainWindow, early: EarlyErrors | None = None) -> None:
    """End what a started DeferredStart made: its jobs, the error hook, the window's jobs, log and history."""
    startup.stop()
    if startup.hook is not None:
        startup.hook.uninstall()
    if early is not None:
        early.uninstall()
    window.shutdown()
    if startup.app_log is not None:
        startup.app_log.close()
    if window.history is not None:
        window.history.close()


def test_after_the_first_paint_the_panes_history_and_profiles_arrive(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, restore_tabs_later=True)
    qtbot.addWidget(window)
    team = tmp_path / "team"
    write_profile(team)
    env = {"INSPECTOR_TESTING": "1", "TEAM_TOKEN": "t0ken"}
    early = EarlyErrors()
    startup = DeferredStart(window, env, settings, [team], early=early, log_folder=tmp_path / "logs")
    tab = window.current_tab()
    assert tab._response_view is None and tab._explainer is None  # built after the first paint
    assert window.profiles is None and window.history is None
    window.show()
    try:
        with qtbot.waitSignal(startup.ready, timeout=30_000):
            startup.start()
        assert startup.is_ready
        assert tab._response_view is not None and tab._explainer is not None
        assert window.history is not None
        assert window.profiles is not None and window.profiles.loaded
        assert "Team API" in [p.name for p in window.profiles.profiles]
        assert not window.profiles.secrets.chosen  # no ${secret:...} reference: the keyring was not probed
        qtbot.waitUntil(lambda: window.collections is not None, timeout=10_000)
        qtbot.waitUntil(lambda: startup.hook is not None, timeout=10_000)
    finally:
        finish(startup, window, early)


def test_the_team_folders_kept_in_the_settings_are_read_after_the_paint(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    team = tmp_path / "saved-team"
    write_profile(team)
    settings.setValue("profiles/teamDirs", json.dumps([str(team)]))
    window = MainWindow(settings, restore_tabs_later=True, build_later=True)
    qtbot.addWidget(window)
    startup = DeferredStart(window, {"INSPECTOR_TESTING": "1", "TEAM_TOKEN": "t0ken"}, settings, [],
                            saved_teams=True, log_folder=tmp_path / "logs")
    window.show()
    try:
        with qtbot.waitSignal(startup.ready, timeout=30_000):
            startup.start()
        assert window.built
        assert "Team API" in [p.name for p in window.profiles.profiles]
    finally:
        finish(startup, window)


def test_what_is_typed_at_the_first_paint_is_kept_while_the_rest_fills_in(qtbot, tmp_path: Path) -> None:
    """Once the request bar is up: a URL typed before the panes, the saved tabs, the history and the profiles
    arrive stays in that tab, and is what Send would send (keys typed at the bare frame: see below)."""
    path = tmp_path / "settings.ini"
    saved_by_a_last_run(qtbot, path, RequestSpec(url="https://api.example.com/saved"))
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    window = MainWindow(settings, restore_tabs_later=True)
    qtbot.addWidget(window)
    early = EarlyErrors()
    startup = DeferredStart(window, {"INSPECTOR_TESTING": "1"}, settings, [], early=early,
                            log_folder=tmp_path / "logs")
    window.show()
    typed_tab = window.current_tab()
    assert typed_tab._response_view is None  # the panes are not built yet
    window.editor.url_edit.setFocus()
    qtbot.keyClicks(window.editor.url_edit, "https://typed.example.com/now")
    try:
        with qtbot.waitSignal(startup.ready, timeout=30_000):
            startup.start()
        assert typed_tab._response_view is not None and typed_tab._explainer is not None
        assert window.tabs.indexOf(typed_tab) == 0
        assert typed_tab.editor.url_edit.text() == "https://typed.example.com/now"
        assert typed_tab.editor.to_spec().url == "https://typed.example.com/now"
        assert [window.tabs.widget(i).editor.to_spec().url for i in range(window.tabs.count())] == [
            "https://typed.example.com/now", "https://api.example.com/saved"]
    finally:
        finish(startup, window, early)


def test_a_part_that_never_comes_does_not_hold_back_the_log_the_dialog_and_the_collections(
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import inspector.ui.gui as gui

    release = threading.Event()

    def stuck(env: object, team_dirs: object) -> object:
        release.wait(20)  # a team folder on a network drive that does not answer
        raise OSError("the team folder did not answer")

    monkeypatch.setattr(gui, "profile_sources", stuck)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    startup = DeferredStart(window, {"INSPECTOR_TESTING": "1"}, settings, [], log_folder=tmp_path / "logs")
    startup.LATE_ANYWAY_MS = 50
    try:
        startup.start()
        qtbot.waitUntil(lambda: startup.hook is not None and window.collections is not None, timeout=20_000)
        assert not startup.is_ready and window.profiles is None
        with qtbot.waitSignal(startup.ready, timeout=20_000):
            release.set()
    finally:
        release.set()
        finish(startup, window)


def test_the_frame_comes_first_and_what_is_typed_at_it_reaches_the_url_bar(qtbot, tmp_path: Path) -> None:
    """The app paints the frame (title, place, menu titles) before the editor exists; keys typed at it are
    kept and put in the URL bar once build() has made it. Closing the frame keeps the last run's state."""
    path = tmp_path / "settings.ini"
    saved_by_a_last_run(qtbot, path, RequestSpec(url="https://api.example.com/kept"))
    frame = MainWindow(QSettings(str(path), QSettings.Format.IniFormat), restore_tabs_later=True, build_later=True)
    qtbot.addWidget(frame)
    assert not frame.built and frame.centralWidget() is None
    assert [a.text() for a in frame.menuBar().actions()] == ["&File", "&Request", "&View", "&Help"]
    frame.show()
    qtbot.waitExposed(frame)
    qtbot.keyClicks(frame, "https://early.example.com/")
    frame.build()
    assert frame.built and frame.centralWidget() is frame.tabs
    assert frame.editor.url_edit.text() == "https://early.example.com/"
    assert frame.send_action in frame.actions() and frame.send_action in frame._menus["request"].actions()
    frame.build()  # once only
    assert frame.tabs.count() == 1
    frame.restore_saved_tabs()
    assert [frame.tabs.widget(i).editor.to_spec().url for i in range(frame.tabs.count())] == [
        "https://early.example.com/", "https://api.example.com/kept"]
    frame.shutdown()

    unbuilt = MainWindow(QSettings(str(path), QSettings.Format.IniFormat), restore_tabs_later=True,
                         build_later=True)
    qtbot.addWidget(unbuilt)
    unbuilt.close()  # closed while only the frame was up: nothing of the last run is overwritten
    again = MainWindow(QSettings(str(path), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert again.editor.to_spec().url == "https://api.example.com/kept"
    again.shutdown()


def test_tabs_saved_by_the_last_run_come_back_after_the_first_paint(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    saved_by_a_last_run(qtbot, path, RequestSpec(url="https://api.example.com/orders"),
                        RequestSpec(method="POST", url="https://api.example.com/carts"))

    later = MainWindow(QSettings(str(path), QSettings.Format.IniFormat), restore_tabs_later=True)
    qtbot.addWidget(later)
    assert later.tabs.count() == 1 and later.editor.to_spec().url == ""  # the first paint shows the frame
    later.restore_saved_tabs()
    assert [later.tabs.widget(i).editor.to_spec().url for i in range(later.tabs.count())] == [
        "https://api.example.com/orders", "https://api.example.com/carts"]
    later.restore_saved_tabs()  # once only
    assert later.tabs.count() == 2
    later.shutdown()


def test_closing_before_the_tabs_came_back_keeps_them_saved(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    saved_by_a_last_run(qtbot, path, RequestSpec(url="https://api.example.com/kept"))
    quick = MainWindow(QSettings(str(path), QSettings.Format.IniFormat), restore_tabs_later=True)
    qtbot.addWidget(quick)
    quick.save_state()  # closed at once (the start-up benchmark's window does this)
    quick.shutdown()
    again = MainWindow(QSettings(str(path), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert again.editor.to_spec().url == "https://api.example.com/kept"
    again.shutdown()


def test_a_tab_typed_into_before_the_restore_is_kept(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    saved_by_a_last_run(qtbot, path, RequestSpec(url="https://api.example.com/saved"))
    assert typed_then_restored(qtbot, path) == ["https://typed.example.com/", "https://api.example.com/saved"]


def test_a_tab_typed_into_before_the_restore_is_kept_when_only_the_last_request_was_saved(
        qtbot, tmp_path: Path) -> None:
    """Settings of a version that saved the last request and no tabs: it opens beside the typed tab too."""
    path = tmp_path / "settings.ini"
    saved_by_a_last_run(qtbot, path, RequestSpec(url="https://api.example.com/last"))
    old = QSettings(str(path), QSettings.Format.IniFormat)
    old.remove("tabs/open")
    old.sync()
    assert typed_then_restored(qtbot, path) == ["https://typed.example.com/", "https://api.example.com/last"]


def typed_then_restored(qtbot, path: Path) -> list[str]:
    """A window over these settings, a URL typed before its saved tabs come back: the URLs of its tabs."""
    later = MainWindow(QSettings(str(path), QSettings.Format.IniFormat), restore_tabs_later=True)
    qtbot.addWidget(later)
    qtbot.keyClicks(later.editor.url_edit, "https://typed.example.com/")
    later.restore_saved_tabs()
    urls = [later.tabs.widget(i).editor.to_spec().url for i in range(later.tabs.count())]
    later.shutdown()
    return urls


@pytest.mark.qt_no_exception_capture
def test_an_error_before_the_dialog_exists_is_shown_and_logged_once_it_does(qtbot, tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture[str]
                                                                             ) -> None:
    before = sys.excepthook, threading.excepthook
    early = EarlyErrors()
    early.install()
    try:
        raise RuntimeError(f"the start failed with Authorization: Bearer {TOKEN}")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]

    def work() -> None:
        raise ValueError("a worker failed before the dialog existed")

    worker = threading.Thread(target=work, name="inspector-test-early")
    worker.start()
    worker.join(5)
    assert [type(e[1]) for e in early.caught] == [RuntimeError, ValueError]
    printed = capsys.readouterr().err
    assert "RuntimeError" in printed and "ValueError" in printed and TOKEN not in printed  # masked at once

    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    log = start_log(tmp_path / "logs")
    hook = start_error_reporting(window, log, early=early)
    try:
        assert early.caught == []
        qtbot.waitUntil(lambda: isinstance(window.findChild(QDialog, "errorDialog"), ErrorDialog), timeout=5_000)
        dialog = hook.dialog()
        assert dialog is not None
        qtbot.waitUntil(lambda: "ValueError" in dialog.summary.text(), timeout=5_000)
        assert "(and 1 earlier)" in dialog.summary.text()
        details = dialog.details_text()
        assert "RuntimeError" in details and "ValueError" in details and TOKEN not in details
        assert capsys.readouterr().err.count("RuntimeError") == 0  # printed by the early hook, not again
        log.flush()
        written = log.path.read_text(encoding="utf-8")
        assert written.count("Unexpected error") == 2 and TOKEN not in written
    finally:
        hook.uninstall()
        log.close()
        window.shutdown()
    assert (sys.excepthook, threading.excepthook) == before  # the hooks before the early one are back


def test_ctrl_c_before_the_dialog_still_ends_the_app() -> None:
    seen: list[type[BaseException]] = []
    early = EarlyErrors()
    previous = sys.excepthook
    sys.excepthook = lambda t, e, tb: seen.append(t)
    try:
        early.install()
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
        early.uninstall()
    finally:
        sys.excepthook = previous
    assert seen == [KeyboardInterrupt] and early.caught == []
