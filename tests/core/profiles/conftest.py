"""Helpers for the profile tests: real folders in tmp_path, real secret stores."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inspector.core.profiles.secrets import FileSecretStore
from inspector.core.profiles.store import ProfileStore

REPO = Path(__file__).resolve().parents[3]
_HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from inspector.core.files import folder_lock

    with folder_lock(Path(sys.argv[1])):
        print("held", flush=True)
        sys.stdin.readline()  # until the test lets go (or closes stdin)
    """
)


@pytest.fixture
def store(personal: Path, team: Path) -> ProfileStore:
    return ProfileStore(personal, [team])


@pytest.fixture
def write() -> Callable[[Path, str, str], Path]:
    """write(folder, stem, toml_text) -> path; the text is dedented."""

    def _write(folder: Path, stem: str, text: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stem}.toml"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def file_store(tmp_path: Path) -> FileSecretStore:
    return FileSecretStore(tmp_path / "data")


@pytest.fixture
def hold_lock() -> Iterator[Callable[[Path], Callable[[], None]]]:
    """hold_lock(folder) -> release(): another process holds the folder's write lock until release()."""
    procs: list[subprocess.Popen[str]] = []

    def release(proc: subprocess.Popen[str]) -> None:
        if proc.returncode is None:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()

    def hold(folder: Path) -> Callable[[], None]:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=REPO,
        )
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        return lambda: release(proc)

    yield hold
    for proc in procs:
        release(proc)
