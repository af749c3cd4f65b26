"""The app's log file, for a support engineer: one rotating file in the user's log folder, masked.

Every record passes a MaskingFilter before it is written: its message, arguments, traceback and stack are run
through core.redact.mask_text with every secret the app has learnt (`learn`), so a token in an
exception's text or a password in a URL never reaches the disk. The folder is created 0700 and the files are
0600. With INSPECTOR_TESTING set the folder is under the temp directory, never the user's own.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from inspector import APP_NAME
from inspector.core.redact import Redactor, mask_text

__all__ = ["LOG_FILE_NAME", "AppLog", "MaskingFilter", "default_log_dir", "start_log"]

LOG_FILE_NAME = "request-inspector.log"
LOGGER_NAME = "inspector"  # every module logs under it: logging.getLogger(__name__)
MAX_BYTES = 1024 * 1024
BACKUP_COUNT = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def default_log_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user's log folder (platformdirs); under INSPECTOR_TESTING a throw-away one in the temp folder."""
    env = os.environ if environ is None else environ
    if env.get("INSPECTOR_TESTING"):
        return Path(tempfile.gettempdir()) / f"{APP_NAME}-testing-{os.getpid()}" / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


class MaskingFilter(logging.Filter):
    """Masks every record in place (message, traceback, stack) before a handler writes it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._redactor = Redactor(secrets)  # add() only grows a set: safe to call from any thread

    def learn(self, secrets: Iterable[str]) -> None:
        """Secret values to scrub from every later record (a profile's secrets, the credentials sent)."""
        for secret in secrets:
            self._redactor.add(secret)

    def mask(self, text: str) -> str:
        return mask_text(text, secrets=self._redactor.values())

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.mask(message), None
        if record.exc_info:
            # formatted here and cached: a formatter uses exc_text when set, so the raw text is never used
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


class _PrivateRotatingFileHandler(logging.FileHandler):
    """A log file that rolls over before it would pass max_bytes (the file becomes .1, .1 becomes .2, ... up to
    `backups` old files); every file is created 0600.

    logging.handlers.RotatingFileHandler does the same, but importing logging.handlers loads socket, pickle
    and queue (some 2 MB of the idle window's memory) for handlers the app never uses."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int, encoding: str = "utf-8") -> None:
        self.max_bytes = max_bytes
        self.backups = backups
        super().__init__(path, mode="a", encoding=encoding)

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        stream = os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
        assert isinstance(stream, io.TextIOWrapper)  # text mode: always one
        return stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._would_pass_the_limit(record):
                self._roll_over()
        except Exception:
            self.handleError(record)
            return
        super().emit(record)

    def _would_pass_the_limit(self, record: logging.LogRecord) -> bool:
        if self.max_bytes <= 0:
            return False
        if self.stream is None:
            self.stream = self._open()
        size = self.stream.seek(0, os.SEEK_END)
        return size > 0 and size + len(self.format(record).encode(self.encoding or "utf-8")) + 1 > self.max_bytes

    def _roll_over(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None  # type: ignore[assignment]  # reopened below, as FileHandler does
        base = self.baseFilename
        for n in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{n}"):
                os.replace(f"{base}.{n}", f"{base}.{n + 1}")
        if self.backups > 0:
            os.replace(base, f"{base}.1")
        else:
            os.remove(base)
        self.stream = self._open()


@dataclass
class AppLog:
    """The open log file; close() detaches it (a test, or the app at exit)."""

    path: Path
    handler: logging.Handler
    filter: MaskingFilter
    logger: logging.Logger

    def learn(self, secrets: Iterable[str]) -> None:
        self.filter.learn(secrets)

    def flush(self) -> None:
        self.handler.flush()

    def close(self) -> None:
        self.logger.removeHandler(self.handler)
        self.handler.close()


def start_log(
    folder: Path | None = None, *, environ: Mapping[str, str] | None = None, level: int = logging.INFO,
    logger_name: str = LOGGER_NAME, max_bytes: int = MAX_BYTES,
) -> AppLog:
    """Open (append to) the log file in folder (default_log_dir() when None) and attach it to the app's
    logger; OSError when the folder cannot be made or written."""
    folder = Path(folder) if folder is not None else default_log_dir(environ)
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / LOG_FILE_NAME
    handler = _PrivateRotatingFileHandler(path, max_bytes=max_bytes, backups=BACKUP_COUNT)
    masking = MaskingFilter()
    handler.addFilter(masking)
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return AppLog(path, handler, masking, logger)


def log_start(log: AppLog, version: str, extra: str = "") -> None:
    """The first line of a run: what runs where, for whoever reads the file later."""
    log.logger.info("Request Inspector %s starting on Python %s (%s)%s", version, sys.version.split()[0],
                    sys.platform, f", {extra}" if extra else "")
