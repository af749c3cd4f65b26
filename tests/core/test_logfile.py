"""The log file: masked records, private files, rotation, and a throw-away folder under tests."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

import pytest

from inspector.core.logfile import LOG_FILE_NAME, default_log_dir, start_log

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.LOG-sig-SECRET-5150"
KNOWN = "learnt-secret-SECRET-2718"


@pytest.fixture
def app_log(tmp_path: Path):
    log = start_log(tmp_path / "logs", logger_name="inspector.test-logfile")
    yield log
    log.close()


def test_messages_arguments_and_tracebacks_are_masked(app_log) -> None:
    app_log.learn([KNOWN])
    logger = logging.getLogger("inspector.test-logfile.part")
    logger.warning("send failed for %s with %s", f"https://api.example.com/x?api_key={KNOWN}",
                   f"Authorization: Bearer {TOKEN}")
    try:
        raise RuntimeError(f"boom {KNOWN}")
    except RuntimeError:
        logger.exception("while explaining")
    logger.info("stack", stack_info=True)
    app_log.flush()
    text = app_log.path.read_text(encoding="utf-8")
    assert "send failed for https://api.example.com/x?api_key=" in text and "Bearer eyJhbG…" in text
    assert "Traceback" in text and "RuntimeError: boom" in text and "Stack (most recent call last)" in text
    assert KNOWN not in text and TOKEN not in text


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_the_folder_and_every_file_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "logs"
    log = start_log(folder, logger_name="inspector.test-logfile-perm", max_bytes=20_000)
    try:
        logger = logging.getLogger("inspector.test-logfile-perm")
        line = "x" * 1000
        for _ in range(50):  # past max_bytes: at least one rollover
            logger.info(line)
        log.flush()
    finally:
        log.close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(folder.iterdir())
    assert folder / LOG_FILE_NAME in files and len(files) >= 2  # rotated
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_under_tests_the_default_folder_is_in_the_temp_directory() -> None:
    folder = default_log_dir({"INSPECTOR_TESTING": "1"})
    assert folder.is_relative_to(Path(tempfile.gettempdir()))
    assert str(os.getpid()) in str(folder)


def test_closing_detaches_the_file(tmp_path: Path) -> None:
    log = start_log(tmp_path, logger_name="inspector.test-logfile-close")
    log.close()
    logging.getLogger("inspector.test-logfile-close").error("after close")
    assert "after close" not in (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")


def test_the_file_rolls_over_below_its_limit_and_keeps_three_old_files(tmp_path: Path) -> None:
    from inspector.core.logfile import BACKUP_COUNT

    log = start_log(tmp_path, logger_name="inspector.test-logfile-roll", max_bytes=3_000)
    try:
        logger = logging.getLogger("inspector.test-logfile-roll")
        for n in range(100):  # over 100 bytes a line: more than four files' worth
            logger.info("line %03d %s", n, "y" * 40)
        log.flush()
    finally:
        log.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [LOG_FILE_NAME] + [f"{LOG_FILE_NAME}.{n}" for n in range(1, BACKUP_COUNT + 1)]
    for name in names:
        assert 0 < (tmp_path / name).stat().st_size <= 3_000, name
    newest = (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")
    older = (tmp_path / f"{LOG_FILE_NAME}.1").read_text(encoding="utf-8")
    assert "line 099" in newest and "line 099" not in older  # .1 holds what came just before
    last_of_older = int(older.strip().splitlines()[-1].split("line ")[1][:3])
    first_of_newest = int(newest.strip().splitlines()[0].split("line ")[1][:3])
    assert first_of_newest == last_of_older + 1  # nothing lost at the rollover


def test_the_log_file_does_not_import_logging_handlers() -> None:
    import subprocess
    import sys

    code = ("import sys, tempfile\nfrom pathlib import Path\nfrom inspector.core.logfile import start_log\n"
            "log = start_log(Path(tempfile.mkdtemp()), logger_name='x')\nlog.close()\n"
            "print([m for m in ('logging.handlers', 'socket', 'pickle') if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "[]"
