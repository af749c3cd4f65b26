"""Helpers for the profile tests: real folders in tmp_path, real secret stores."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.core.profiles.secrets import FileSecretStore
from inspector.core.profiles.store import ProfileStore


@pytest.fixture
def personal(tmp_path: Path) -> Path:
    return tmp_path / "personal"


@pytest.fixture
def team(tmp_path: Path) -> Path:
    d = tmp_path / "team"
    d.mkdir()
    return d


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
