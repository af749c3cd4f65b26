"""Files the app writes: one atomic write, one cross-process lock per folder, private modes, stale temp files
cleaned, and an `OSError` turned into a `StorageError` that names the real cause.

Every profile and secret write goes: `folder_lock(folder)` -> read what is there -> compare -> `atomic_write`.
The lock is held for the whole life of the temp file, so a temp file found while holding the lock belongs to a
writer that was killed, and `clean_stale_temps` removes it.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from inspector.core.errors import StorageError, StorageReason

__all__ = [
    "LOCK_TIMEOUT_S",
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "SHARED_FILE",
    "ConflictError",
    "atomic_write",
    "check_unchanged",
    "clean_stale_temps",
    "describe_os_error",
    "ensure_private_dir",
    "folder_lock",
    "is_temp_for",
    "storage_error",
    "tighten",
    "write_keeping_mode",
]

PRIVATE_FILE = 0o600  # secrets, history, personal profiles: readable by the user only
PRIVATE_DIR = 0o700
SHARED_FILE = 0o644  # a new file in a team folder that others read through git
LOCK_TIMEOUT_S = 5.0  # saves hold the lock for milliseconds; longer means another process is stuck
_TEMP_RE = re.compile(r"^\.(?P<target>.+)\.[0-9a-f]{12}\.tmp$")

# --- errors -------------------------------------------------------------------------------------------------

_FULL: tuple[StorageReason, str, str] = ("disk-full", "the disk is full", "free some space and try again")
_LOCKED: tuple[StorageReason, str, str] = (
    "locked", "it is locked by another process", "close the other program and try again"
)
_DENIED: tuple[StorageReason, str, str] = (
    "permission-denied", "permission denied", "check the permissions of the file and its folder"
)
# errno -> (reason, what happened in words, what to do)
_ERRNO_WORDS: dict[int, tuple[StorageReason, str, str]] = {
    errno.ENOSPC: _FULL,
    errno.EROFS: ("read-only", "the file system is read-only", "choose a folder on a writable disk"),
    errno.EACCES: _DENIED,
    errno.EPERM: _DENIED,
    errno.ENOTDIR: ("not-a-folder", "a part of the path is a file, not a folder", "fix the path"),
    errno.EISDIR: ("is-a-folder", "a folder is where the file should be", "rename or move that folder"),
    errno.ENOENT: ("missing", "the file or its folder does not exist", "check the path"),
    errno.EAGAIN: _LOCKED,
    errno.EBUSY: _LOCKED,
    errno.ENAMETOOLONG: ("other", "the file name is too long", "use a shorter name or folder"),
}
if hasattr(errno, "EDQUOT"):
    _ERRNO_WORDS[errno.EDQUOT] = ("disk-full", "your disk quota is used up", "free some space and try again")
# Windows reports some causes only in winerror (errno is then a generic EACCES or EINVAL)
_WINERROR_WORDS: dict[int, tuple[StorageReason, str, str]] = {
    32: _LOCKED,  # sharing violation
    33: _LOCKED,  # lock violation
    39: _FULL,  # handle disk full
    112: _FULL,  # disk full
    19: ("read-only", "the disk is write-protected", "choose a folder on a writable disk"),
}


def describe_os_error(exc: OSError, path: Path | None = None) -> tuple[StorageReason, str, str]:
    """(reason, cause in words, advice) for an OSError; a folder the user may not write to is read-only."""
    winerror = getattr(exc, "winerror", None)
    if winerror in _WINERROR_WORDS:
        return _WINERROR_WORDS[winerror]
    if exc.errno in _ERRNO_WORDS:
        reason, words, advice = _ERRNO_WORDS[exc.errno]
        if reason == "permission-denied" and path is not None:
            folder = path if path.is_dir() else path.parent
            if folder.is_dir() and not os.access(folder, os.W_OK):
                return "read-only", f"the folder {folder} is read-only for you (permission denied)", advice
        return reason, words, advice
    return "other", (exc.strerror or str(exc) or type(exc).__name__).rstrip("."), "try again"


def storage_error(
    exc: OSError, path: Path, doing: str, cls: type[StorageError] = StorageError, *, then: str = ""
) -> StorageError:
    """The StorageError (or subclass) for an OSError met while `doing` ("written", "read") `path`; `then` is a
    sentence added at the end (what was kept)."""
    reason, words, advice = describe_os_error(exc, path)
    advice = advice[:1].upper() + advice[1:]
    tail = f" {then}" if then else ""
    return cls(f"{path} cannot be {doing}: {words}. {advice}.{tail}", path=path, reason=reason)


# --- folders and modes --------------------------------------------------------------------------------------


class FileReadError(Protocol):
    """How a caller's file error is built (ProfileFileError, CollectionFileError)."""

    def __call__(self, message: str, *, path: Path, code: str, line: int | None = None) -> Exception: ...


def read_small_text(path: Path, limit: int, what: str, error: FileReadError) -> tuple[str, bytes, os.stat_result]:
    """A small UTF-8 file's text, bytes and stat, never reading more than `limit` bytes of it.

    Failures are raised as error(message, path=, code=, line=) with code "unreadable" or "broken-file"; the
    message names the file (and the line of a bad byte) and says what to do. `what` is "a profile", ...
    """
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            data = f.read(limit + 1)  # a huge (or endless) file is never read whole
    except OSError as exc:
        raise error(f"{path}: the file cannot be read ({exc.strerror or exc}); check its permissions.",
                    path=path, code="unreadable") from None
    if len(data) > limit:
        raise error(f"{path}: the file is larger than {limit // (1024 * 1024)} MB, far too large for {what}; "
                    "check that it is the right file.", path=path, code="broken-file")
    try:
        return data.decode("utf-8"), data, st
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{path}, line {line}: the file is not UTF-8 text; save it as UTF-8 in an editor.",
                    path=path, code="broken-file", line=line) from None


def ensure_private_dir(folder: Path) -> None:
    """Create the folder and any missing parents 0700 (folders that already exist are left as they are)."""
    folder = Path(folder)
    missing: list[Path] = []
    current = folder
    while not current.exists():  # bounded: a path has finitely many parents
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for item in reversed(missing):
        try:
            os.mkdir(item, PRIVATE_DIR)
        except FileExistsError:
            continue  # created meanwhile by another process: fine, it is not ours to tighten
        os.chmod(item, PRIVATE_DIR)  # the umask can only remove bits; this also undoes an odd one
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))


def tighten(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Give an existing file of ours `mode` when it is more open (an older version wrote it 0644)."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if st.st_mode & 0o777 & ~mode:
        try:
            os.chmod(path, mode)
        except OSError:
            pass  # someone else's file: reading it still works, and the next write replaces it


# --- atomic write -------------------------------------------------------------------------------------------


def _temp_path(target: Path) -> Path:
    return target.parent / f".{target.name}.{os.urandom(6).hex()}.tmp"


def is_temp_for(name: str, target_suffix: str = "") -> bool:
    """Whether a file name is one of atomic_write's temp files (for a target ending in target_suffix)."""
    m = _TEMP_RE.match(name)
    return m is not None and m.group("target").endswith(target_suffix)


def atomic_write(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> os.stat_result:
    """Write a temp file in the same folder (created with `mode`, never more open), fsync it, rename it over
    `path`, fsync the folder. A crash leaves the old file or the new one, never a mix. Raises OSError."""
    path = Path(path)
    tmp = _temp_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode & PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # exactly `mode`: the umask may have removed bits a shared file needs
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return os.stat(path)


class ConflictError(Protocol):
    """How a caller's conflict error is built (ProfileConflict, CollectionConflict)."""

    def __call__(self, message: str, *, path: Path) -> Exception: ...


def check_unchanged(path: Path, now: str | None, loaded: str | None, conflict: ConflictError) -> None:
    """Raise `conflict` when the file's hash `now` (None: gone) is not the `loaded` one (None: never read):
    the file appeared, vanished or changed behind our back. Call it under the folder's lock."""
    if loaded is None:
        if now is not None:
            raise conflict(f"{path} already exists: reload it, choose another name, or overwrite it.", path=path)
        return
    if now is None:
        raise conflict(
            f"{path} was deleted on disk since it was loaded: save again with overwrite to write it back.",
            path=path,
        )
    if now != loaded:
        raise conflict(
            f"{path} changed on disk since it was loaded: reload it to see the other change, or overwrite it "
            "with yours.",
            path=path,
        )


def write_keeping_mode(
    path: Path, data: bytes, error: type[StorageError], mode: int | None = None
) -> os.stat_result:
    """`atomic_write` with `mode`, or else the file's own mode (shared through git: keep what the team chose;
    SHARED_FILE for a new file); an OSError is raised as `error`."""
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = SHARED_FILE
        except OSError as exc:
            raise storage_error(exc, path, "written", error) from None
    try:
        return atomic_write(path, data, mode)
    except OSError as exc:
        raise storage_error(exc, path, "written", error, then="The file on disk was not changed.") from None


def _fsync_folder(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # Windows: a rename is durable without it
        return
    try:
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the data itself was synced
    finally:
        os.close(dfd)


# --- the cross-process lock ---------------------------------------------------------------------------------

# Threads of this process wait on this first, so the file lock is only ever contended between processes.
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(key: str) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(key, threading.Lock())


def _lock_key(folder: Path) -> str:
    try:
        return os.path.normcase(str(folder.resolve()))
    except (OSError, RuntimeError):
        return os.path.normcase(str(folder.absolute()))


def _windows_lock_file(key: str) -> Path:
    # %TEMP% is per user on Windows; a lock file there keeps team folders (git work trees) free of clutter
    folder = Path(tempfile.gettempdir()) / "request-inspector-locks"
    folder.mkdir(exist_ok=True)
    import hashlib  # Windows only; its OpenSSL loading costs milliseconds at import

    return folder / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.lock"


def _open_lock(folder: Path, key: str) -> int:
    if sys.platform != "win32":
        # POSIX: flock on the folder itself, so no lock file appears in a folder shared through git
        return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    return os.open(_windows_lock_file(key), os.O_RDWR | os.O_CREAT, 0o600)


def _try_lock(fd: int) -> bool:
    if sys.platform != "win32":
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt

    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
        return
    import msvcrt

    os.lseek(fd, 0, os.SEEK_SET)
    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


@contextmanager
def folder_lock(
    folder: Path, *, timeout: float = LOCK_TIMEOUT_S, error: type[StorageError] = StorageError
) -> Iterator[None]:
    """Hold the folder's lock, shared by every thread and process of this app, for one read-compare-write.

    The folder must exist. `error` (a StorageError) with reason "locked" when another process holds the lock
    longer than timeout, or naming the cause when the folder cannot be opened.
    """
    folder = Path(folder)
    key = _lock_key(folder)
    thread_lock = _thread_lock(key)
    acquired = thread_lock.acquire(timeout=timeout) if timeout > 0 else thread_lock.acquire(blocking=False)
    if not acquired:
        raise _locked(folder, error)
    try:
        try:
            fd = _open_lock(folder, key)
        except OSError as exc:
            raise storage_error(exc, folder, "locked for writing", error) from None
        try:
            deadline = time.monotonic() + max(timeout, 0.0)
            pause = 0.002
            while not _try_lock(fd):  # bounded by the deadline
                if time.monotonic() >= deadline:
                    raise _locked(folder, error)
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
            try:
                yield
            finally:
                _unlock(fd)
        finally:
            os.close(fd)
    finally:
        thread_lock.release()


def _locked(folder: Path, error: type[StorageError]) -> StorageError:
    return error(
        f"{folder} is locked by another process that is writing there (another copy of the app, or a "
        "command): wait a moment and try again.",
        path=folder,
        reason="locked",
    )


def clean_stale_temps(folder: Path, target_suffix: str = "") -> list[Path]:
    """Remove temp files a killed writer left in folder (for targets ending in target_suffix).

    Done only when the folder's lock is free right now: a live writer holds it while its temp file exists.
    Never raises; returns what was removed.
    """
    folder = Path(folder)
    try:
        names = [n for n in os.listdir(folder) if is_temp_for(n, target_suffix)]
    except OSError:
        return []
    if not names:
        return []
    removed: list[Path] = []
    try:
        with folder_lock(folder, timeout=0):
            for name in names:
                path = folder / name
                try:
                    if path.is_file() and not path.is_symlink():
                        path.unlink()
                        removed.append(path)
                except OSError:
                    continue  # not ours to remove, or gone already
    except StorageError:
        return removed  # a writer is busy there: its temp file is not stale; the next start cleans
    return removed
