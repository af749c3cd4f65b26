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
