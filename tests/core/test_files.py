"""core/files.py on real files: atomic writes with exact modes, private folders, the folder lock between
threads, stale temp files, and OSError turned into a StorageError that names the cause."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import pytest

from inspector.core.errors import InspectorError, ProfileStorageError, StorageError
from inspector.core.files import (
    atomic_write,
    clean_stale_temps,
    describe_os_error,
    ensure_private_dir,
    folder_lock,
    is_temp_for,
    storage_error,
    tighten,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_is_private_by_default_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "secrets.json"
    atomic_write(target, b"one")
    st = atomic_write(target, b"two")
    assert target.read_bytes() == b"two" and st.st_size == 3
    assert _mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.json"]


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o664])
def test_atomic_write_gives_exactly_the_mode_asked_for(tmp_path: Path, mode: int) -> None:
    old = os.umask(0o077)  # a strict umask must not take bits a shared file needs
    try:
        atomic_write(tmp_path / "team.toml", b"x", mode)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "team.toml") == mode


def test_atomic_write_into_a_missing_folder_raises_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "f", b"x")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_the_place_of_the_file_is_refused_and_cleaned_up(tmp_path: Path) -> None:
    (tmp_path / "f.toml").mkdir()
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path / "f.toml", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["f.toml"]  # the temp file went away


def test_private_folders_are_created_0700_each_and_existing_ones_kept(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    target = tmp_path / "a" / "b" / "c"
    old = os.umask(0o000)  # even a lax umask gives 0700
    try:
        ensure_private_dir(target)
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert _mode(folder) == 0o700, folder
    assert _mode(tmp_path) == 0o755  # not ours: left as it was
    ensure_private_dir(target)  # again: nothing to do


def test_a_private_folder_under_a_regular_file_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError) as info:
        ensure_private_dir(tmp_path / "file" / "profiles")
    assert describe_os_error(info.value)[0] == "not-a-folder"


def test_tighten_only_narrows(tmp_path: Path) -> None:
    lax, strict = tmp_path / "lax", tmp_path / "strict"
    lax.write_text("x")
    strict.write_text("x")
    lax.chmod(0o644)
    strict.chmod(0o400)
    tighten(lax)
    tighten(strict)
    tighten(tmp_path / "missing")  # no error
    assert _mode(lax) == 0o600 and _mode(strict) == 0o400


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason", "words"),
    [
        (errno.ENOSPC, "disk-full", "the disk is full"),
        (errno.EDQUOT, "disk-full", "quota"),
        (errno.EROFS, "read-only", "read-only"),
        (errno.EACCES, "permission-denied", "permission denied"),
        (errno.EPERM, "permission-denied", "permission denied"),
        (errno.EAGAIN, "locked", "locked by another process"),
        (errno.EBUSY, "locked", "locked by another process"),
        (errno.ENOTDIR, "not-a-folder", "not a folder"),
        (errno.EISDIR, "is-a-folder", "a folder is where the file should be"),
        (errno.ENOENT, "missing", "does not exist"),
        (errno.EIO, "other", os.strerror(errno.EIO)),
    ],
)
def test_os_errors_name_their_cause(tmp_path: Path, code: int, reason: str, words: str) -> None:
    target = tmp_path / "secrets.json"
    exc = OSError(code, os.strerror(code), str(target))  # what the OS raises (a subclass for some codes)
    assert describe_os_error(exc)[0] == reason
    error = storage_error(exc, target, "written", ProfileStorageError, then="Nothing was changed.")
    text = str(error)
    assert text.startswith(f"{target} cannot be written: ") and words in text and text.endswith("changed.")
    assert error.reason == reason and error.path == target
    assert isinstance(error, StorageError) and isinstance(error, InspectorError)


@pytest.mark.parametrize(("winerror", "reason"), [(32, "locked"), (33, "locked"), (112, "disk-full")])
def test_windows_only_causes_are_read_from_winerror(winerror: int, reason: str) -> None:
    exc = OSError(errno.EACCES, "Access is denied")
    exc.winerror = winerror  # type: ignore[attr-defined]  # set by Python on Windows only
    assert describe_os_error(exc)[0] == reason


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into a 0500 folder")
def test_permission_denied_in_a_folder_the_user_may_not_write_is_called_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError) as info:
            atomic_write(folder / "f", b"x")
        error = storage_error(info.value, folder / "f", "written")
    finally:
        folder.chmod(0o700)
    assert error.reason == "read-only" and "read-only" in str(error) and "permission denied" in str(error)


# --- the lock and stale temp files --------------------------------------------------------------------------


def test_the_folder_lock_excludes_other_threads_and_says_locked(tmp_path: Path) -> None:
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with folder_lock(tmp_path):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(30)
        with pytest.raises(StorageError) as info:
            with folder_lock(tmp_path, timeout=0.05):
                pass
        assert info.value.reason == "locked" and str(tmp_path) in str(info.value)
        assert clean_stale_temps(tmp_path) == []  # a writer is busy: nothing is stale
    finally:
        release.set()
        thread.join(30)
    with folder_lock(tmp_path, timeout=1):  # free again
        pass


def test_the_folder_lock_serialises_read_modify_write_between_threads(tmp_path: Path) -> None:
    counter = tmp_path / "n"
    counter.write_text("0")

    def bump() -> None:
        for _ in range(25):
            with folder_lock(tmp_path):
                atomic_write(counter, str(int(counter.read_text()) + 1).encode())

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert counter.read_text() == "100"


def test_a_lock_on_a_missing_folder_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        with folder_lock(tmp_path / "missing"):
            pass
    assert info.value.reason == "missing"


@pytest.mark.parametrize(
    ("name", "suffix", "temp"),
    [
        (".secrets.json.0123456789ab.tmp", "secrets.json", True),
        (".my-api.toml.a1b2c3d4e5f6.tmp", ".toml", True),
        (".my-api.toml.a1b2c3d4e5f6.tmp", "secrets.json", False),
        (".my-api.toml.12345.tmp", ".toml", False),  # not our 12 hex digits
        ("my-api.toml.a1b2c3d4e5f6.tmp", ".toml", False),  # not hidden
        (".my-api.toml.A1B2C3D4E5F6.tmp", ".toml", False),
        ("my-api.toml", ".toml", False),
    ],
)
def test_temp_names_are_recognised_exactly(name: str, suffix: str, temp: bool) -> None:
    assert is_temp_for(name, suffix) is temp


def test_stale_temp_files_are_removed_and_nothing_else(tmp_path: Path) -> None:
    stale = tmp_path / ".secrets.json.0123456789ab.tmp"
    stale.write_text('{"secrets": {"k": "a full copy"}}')
    keep = [tmp_path / "secrets.json", tmp_path / ".other.0123456789ab.tmp", tmp_path / "notes.tmp"]
    for path in keep:
        path.write_text("x")
    (tmp_path / ".dir.json.0123456789ab.tmp").mkdir()  # a folder is never removed
    assert clean_stale_temps(tmp_path, ".json") == [stale]
    assert not stale.exists() and all(p.exists() for p in keep)
    assert clean_stale_temps(tmp_path / "missing") == []
