"""Profile and secret files under stress: two processes saving at once, a rewrite that hides behind the old
size and mtime, a lock held by another process, storage failures named by cause, stale temp files, modes.

Real processes and real files throughout (issue 9, items 8, 17, 18, 19).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from inspector.core.errors import ProfileError, ProfileStorageError, StorageError
from inspector.core.profiles.model import new_profile
from inspector.core.profiles.secrets import FileSecretStore, Resolver
from inspector.core.profiles.store import ProfileConflict, ProfileStore

REPO = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
GOOD = textwrap.dedent(
    """\
    format = 1
    name = "Good"
    kind = "bearer"
    [credentials]
    token = "${env:GOOD_TOKEN}"
    """
)
SAVES_PER_PROCESS = 60

SAVER = textwrap.dedent(
    """
    import dataclasses, json, sys, time
    from pathlib import Path
    from inspector.core.profiles.store import ProfileConflict, ProfileStore

    folder, tag, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = ProfileStore(folder, [])
    print("ready", flush=True)
    sys.stdin.readline()  # both start together
    profile = store.load(folder / "shared.toml")
    landed, conflicts = [], 0
    for i in range(n):  # bounded
        edit = f"{tag}{i}"
        try:
            profile = store.save(dataclasses.replace(profile, notes=f"{profile.notes} {edit}".strip()))
            landed.append(edit)
        except ProfileConflict:
            conflicts += 1
            profile = store.reload(profile)
        time.sleep(0.001)  # an editor does not save in a tight loop: let the other process in between
    print(json.dumps({"landed": landed, "conflicts": conflicts}), flush=True)
    """
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=REPO,
    )


# --- item 8: no edit is lost silently -----------------------------------------------------------------------


def test_two_processes_saving_at_once_lose_no_edit_silently(tmp_path: Path) -> None:
    """Every save either lands (and stays in the file) or raises ProfileConflict; none vanishes."""
    (tmp_path / "shared.toml").write_text(GOOD, encoding="utf-8")
    procs = [_spawn(SAVER, str(tmp_path), tag, str(SAVES_PER_PROCESS)) for tag in ("a", "b")]
    results = []
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)

    landed = [edit for r in results for edit in r["landed"]]
    for r in results:
        assert len(r["landed"]) + r["conflicts"] == SAVES_PER_PROCESS  # each save accounted for
    (final,), problems = ProfileStore(tmp_path, []).load_all()
    in_file = final.notes.split()
    lost = sorted(set(landed) - set(in_file))
    assert lost == [], f"{len(lost)} saves landed and were then overwritten without a conflict"
    assert sorted(in_file) == sorted(landed)  # nothing in the file that was reported as a conflict
    assert problems == []
    assert [p.name for p in tmp_path.iterdir()] == ["shared.toml"]  # no temp file left


def test_a_rewrite_with_the_same_size_and_the_old_mtime_is_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text(GOOD, encoding="utf-8")
    store = ProfileStore(tmp_path, [])
    profile = store.load(path)
    before = path.stat()
    path.write_text(GOOD.replace("Good", "Gxod"), encoding="utf-8")  # another editor, same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ...and the old mtime put back
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    with pytest.raises(ProfileConflict, match="changed on disk"):
        store.save(replace(profile, notes="mine"))
    with pytest.raises(ProfileConflict, match="changed on disk"):
        store.delete(profile)
    assert "Gxod" in path.read_text(encoding="utf-8")  # the other edit survived both


def test_a_save_while_another_process_holds_the_lock_says_so(
    tmp_path: Path, hold_lock: Callable[[Path], Callable[[], None]]
) -> None:
    path = tmp_path / "good.toml"
    path.write_text(GOOD, encoding="utf-8")
    store = ProfileStore(tmp_path, [], lock_timeout=0.2)
    profile = store.load(path)
    release = hold_lock(tmp_path)
    with pytest.raises(ProfileStorageError) as info:
        store.save(replace(profile, notes="mine"))
    error = info.value
    assert isinstance(error, ProfileError) and isinstance(error, StorageError)  # the dialog catches either
    assert error.reason == "locked" and "locked by another process" in str(error)
    assert str(tmp_path) in str(error)
    assert path.read_text(encoding="utf-8") == GOOD
    release()
    store.save(replace(profile, notes="mine"))  # free again


# --- item 17: storage failures say their cause --------------------------------------------------------------


def test_a_personal_folder_under_a_regular_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("not a folder")
    personal = tmp_path / "config" / "profiles"
    store = ProfileStore(personal, [])
    with pytest.raises(ProfileStorageError) as info:
        store.save(new_profile("P", "none", personal))
    assert info.value.reason == "not-a-folder"
    assert str(personal) in str(info.value) and "not a folder" in str(info.value)


def test_a_folder_in_the_place_of_the_profile_file_is_named(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path, [])
    profile = store.save(new_profile("P", "none", tmp_path))
    profile.path.unlink()
    profile.path.mkdir()
    for overwrite in (False, True):  # read for the conflict check, or written over
        with pytest.raises(ProfileStorageError) as info:
            store.save(replace(profile, notes="x"), overwrite=overwrite)
        assert info.value.reason == "is-a-folder" and str(profile.path) in str(info.value)
    with pytest.raises(ProfileStorageError, match="a folder is where the file should be"):
        store.delete(profile, force=True)
    assert profile.path.is_dir()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into a 0500 folder")
def test_a_read_only_personal_folder_is_named(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p", [])
    profile = store.save(new_profile("P", "none", tmp_path / "p"))
    (tmp_path / "p").chmod(0o500)
    try:
        with pytest.raises(ProfileStorageError) as info:
            store.save(replace(profile, notes="x"))
    finally:
        (tmp_path / "p").chmod(0o700)
    assert info.value.reason == "read-only" and "read-only" in str(info.value)


def test_a_folder_in_the_place_of_the_secrets_file_is_named(tmp_path: Path) -> None:
    secrets = FileSecretStore(tmp_path / "data")
    secrets.path.mkdir(parents=True)
    for action in (lambda: secrets.get("k"), lambda: secrets.set("k", "v"), lambda: secrets.delete("k")):
        with pytest.raises(ProfileStorageError) as info:
            action()
        assert info.value.reason == "is-a-folder" and str(secrets.path) in str(info.value)
    # at send time the cause reaches the user as a missing secret that says why
    missing = Resolver(secrets, env={}).missing("${secret:k}", profile="P", field="credentials.token")
    assert missing is not None and "a folder is where the file should be" in str(missing)


def test_a_data_folder_under_a_regular_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    secrets = FileSecretStore(tmp_path / "data" / "inspector")
    with pytest.raises(ProfileStorageError) as info:
        secrets.set("k", "v")
    assert info.value.reason == "not-a-folder" and str(tmp_path / "data" / "inspector") in str(info.value)
    with pytest.raises(ProfileStorageError, match="not a folder"):
        secrets.get("k")


def test_a_secret_write_while_another_process_holds_the_lock_says_so(
    tmp_path: Path, hold_lock: Callable[[Path], Callable[[], None]]
) -> None:
    secrets = FileSecretStore(tmp_path, lock_timeout=0.2)
    secrets.set("k", "old")
    release = hold_lock(tmp_path)
    with pytest.raises(ProfileStorageError) as info:
        secrets.set("k", "new")
    assert info.value.reason == "locked"
    assert secrets.get("k") == "old"  # reading needs no lock
    release()
    secrets.set("k", "new")
    assert secrets.get("k") == "new"


SECRET_SETTER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from inspector.core.profiles.secrets import FileSecretStore

    store = FileSecretStore(Path(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(int(sys.argv[3])):  # bounded
        store.set(f"{sys.argv[2]}{i}", f"value-{i}")
    print("done", flush=True)
    """
)


def test_two_processes_storing_secrets_at_once_lose_none(tmp_path: Path) -> None:
    n = 40
    procs = [_spawn(SECRET_SETTER, str(tmp_path), tag, str(n)) for tag in ("a", "b")]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0 and out.strip().endswith("done"), err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    stored = json.loads((tmp_path / "secrets.json").read_text(encoding="utf-8"))["secrets"]
    assert sorted(stored) == sorted(f"{tag}{i}" for tag in "ab" for i in range(n))


# --- item 18: temp files a killed writer left are cleaned at start ------------------------------------------


def test_stale_temp_files_are_gone_when_the_stores_open(tmp_path: Path) -> None:
    personal, team, data = tmp_path / "personal", tmp_path / "team", tmp_path / "data"
    for folder in (personal, team, data):
        folder.mkdir()
    stale = [
        personal / ".p.toml.0123456789ab.tmp",
        team / ".t.toml.a1b2c3d4e5f6.tmp",
        data / ".secrets.json.ffffffffffff.tmp",
    ]
    for path in stale:
        path.write_text("a full copy of a file, left by a writer that was killed")
    (team / "notes.tmp").write_text("someone else's")
    ProfileStore(personal, [team])
    FileSecretStore(data)
    assert [p for p in stale if p.exists()] == []
    assert (team / "notes.tmp").exists()


def test_a_temp_file_of_a_live_writer_is_kept(
    tmp_path: Path, hold_lock: Callable[[Path], Callable[[], None]]
) -> None:
    temp = tmp_path / ".secrets.json.0123456789ab.tmp"
    temp.write_text("being written right now")
    release = hold_lock(tmp_path)
    FileSecretStore(tmp_path)
    assert temp.exists()
    release()
    FileSecretStore(tmp_path)
    assert not temp.exists()


KILLED_SETTER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from inspector.core.profiles.secrets import FileSecretStore

    store = FileSecretStore(Path(sys.argv[1]))
    for i in range(200):  # bounded: the parent kills it long before
        store.set("big", str(i) + ":" + "x" * 2_000_000)
        print(i, flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_secret_writer_killed_mid_write_leaves_no_copy_once_the_store_opens(tmp_path: Path) -> None:
    proc = _spawn(KILLED_SETTER, str(tmp_path))
    try:
        assert proc.stdout is not None
        for _ in range(2):
            assert proc.stdout.readline(), proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    store = FileSecretStore(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.json"]
    value = store.get("big")
    assert value is not None and value.partition(":")[2] == "x" * 2_000_000


# --- item 19: modes -----------------------------------------------------------------------------------------


def test_personal_profiles_are_0600_in_folders_created_0700(tmp_path: Path) -> None:
    personal = tmp_path / "config" / "request-inspector" / "profiles"
    store = ProfileStore(personal, [])
    saved = store.save(new_profile("P", "none", personal))
    assert _mode(saved.path) == 0o600
    for folder in (tmp_path / "config", tmp_path / "config" / "request-inspector", personal):
        assert _mode(folder) == 0o700, folder
    saved.path.chmod(0o644)  # written by an older version
    store.save(replace(store.reload(saved), notes="x"))
    assert _mode(saved.path) == 0o600


@pytest.mark.parametrize("mode", [0o640, 0o664, 0o600])
def test_a_team_file_keeps_its_mode_and_a_new_one_is_readable_by_the_team(tmp_path: Path, mode: int) -> None:
    team = tmp_path / "team"
    team.mkdir()
    team.chmod(0o755)
    store = ProfileStore(tmp_path / "personal", [team])
    fresh = store.save(new_profile("New", "none", team))
    assert _mode(fresh.path) == 0o644
    fresh.path.chmod(mode)
    store.save(replace(fresh, notes="x"))
    assert _mode(fresh.path) == mode
    assert _mode(team) == 0o755  # the team's folder is not ours to change


def test_the_secrets_file_is_0600_in_folders_created_0700(tmp_path: Path) -> None:
    secrets = FileSecretStore(tmp_path / "share" / "request-inspector")
    secrets.set("k", "v")
    assert _mode(secrets.path) == 0o600
    assert _mode(tmp_path / "share") == 0o700 and _mode(secrets.data_dir) == 0o700


@pytest.mark.parametrize("notes", ["line one\r\nline two", "\r\n", "ends with a return\r", "plain\nnewlines"])
def test_notes_with_carriage_returns_survive_a_save_and_a_load(tmp_path: Path, notes: str) -> None:
    """A multi-line TOML string reads \\r\\n back as \\n: notes pasted from Windows must come back as written."""
    store = ProfileStore(tmp_path, [])
    saved = store.save(new_profile("Pasted notes", "none", tmp_path, notes=notes))
    assert store.load(saved.path).notes == notes
