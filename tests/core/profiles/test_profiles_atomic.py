"""A process killed in the middle of saving leaves the old file or the new one, never a torn one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from inspector.core.profiles.store import ProfileStore

REPO = Path(__file__).resolve().parents[3]
SIZE = 1_500_000

CHILD = textwrap.dedent(
    f"""
    import dataclasses, sys
    from pathlib import Path
    from inspector.core.profiles.model import new_profile
    from inspector.core.profiles.store import ProfileStore

    folder = Path(sys.argv[1])
    store = ProfileStore(folder, [])
    profile = store.save(new_profile("Big", "none", folder, stem="big", notes="seed"), overwrite=True)
    for i in range(500):  # bounded: the parent kills it long before
        notes = f"{{i}}:" + "ab"[i % 2] * {SIZE}
        profile = store.save(dataclasses.replace(profile, notes=notes))
        print(i, flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize(("saves_before_kill", "pause_s"), [(1, 0.0), (2, 0.001), (3, 0.003), (5, 0.006)])
def test_killed_mid_save_leaves_a_whole_file(tmp_path: Path, saves_before_kill: int, pause_s: float) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        for _ in range(saves_before_kill):
            line = proc.stdout.readline()
            assert line, f"the child died early: {proc.stderr.read() if proc.stderr else ''}"
        time.sleep(pause_s)  # land the kill at different points of the next save (a naive write is torn here)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    doc = tomllib.loads((tmp_path / "big.toml").read_text(encoding="utf-8"))
    index, _, body = doc["notes"].partition(":")
    i = int(index)
    assert i >= saves_before_kill - 1
    assert body == "ab"[i % 2] * SIZE
    profiles, problems = ProfileStore(tmp_path, []).load_all()  # a leftover temp file is not a profile
    assert [p.name for p in profiles] == ["Big"] and problems == []


def test_save_replaces_the_file_instead_of_writing_into_it(tmp_path: Path) -> None:
    """A reader holding the old file keeps seeing the whole old content: the new file is renamed over it."""
    from dataclasses import replace

    from inspector.core.profiles.model import new_profile

    store = ProfileStore(tmp_path, [])
    first = store.save(new_profile("P", "none", tmp_path, notes="old " * 1000))
    with open(first.path, "rb") as old:
        old_inode = os.fstat(old.fileno()).st_ino
        store.save(replace(first, notes="new"))
        assert b"old old" in old.read()
    assert first.path.stat().st_ino != old_inode
    assert [p.name for p in tmp_path.iterdir()] == ["p.toml"]
