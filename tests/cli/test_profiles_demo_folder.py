"""`profiles list` and `send --profile` after a `--demo` run: the demo profiles the window wrote into the data
folder are named (with the folder and how to use them), not silently missing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.cli import main
from inspector.cli.profiles import DEMO_FOLDER_NAME
from inspector.core.profiles.defaults import default_data_dir
from inspector.demo.server import demo_environment, materialize_demo_profiles


@pytest.fixture
def demo_folder(demo_url: str) -> Iterator[Path]:
    """The folder a `--demo` window writes (ui/gui.py), in this test process's data folder; removed after."""
    folder = default_data_dir() / DEMO_FOLDER_NAME
    shutil.rmtree(folder, ignore_errors=True)
    materialize_demo_profiles(demo_url, folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_list_without_a_demo_run_says_nothing_about_it(capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(default_data_dir() / DEMO_FOLDER_NAME, ignore_errors=True)
    assert main(["profiles", "list"]) == 0
    assert "demo profiles" not in capsys.readouterr().out


def test_list_names_the_demo_folder(capsys: pytest.CaptureFixture[str], demo_folder: Path) -> None:
    assert main(["profiles", "list"]) == 0
    out = capsys.readouterr().out
    note = next(line for line in out.splitlines() if line.startswith("demo profiles: "))
    assert "Demo: Basic auth" in note and "Demo: Bearer token" in note
    assert str(demo_folder) in note and "--profiles-dir" in note and "last --demo run" in note


def test_list_with_the_demo_folder_lists_its_profiles(capsys: pytest.CaptureFixture[str],
                                                      demo_folder: Path) -> None:
    assert main(["profiles", "list", "--profiles-dir", str(demo_folder)]) == 0
    out = capsys.readouterr().out
    assert "demo profiles: " not in out  # read already: no note
    rows = [line for line in out.splitlines() if line.startswith("Demo: Basic auth ")]
    assert len(rows) == 1 and str(demo_folder) in rows[0]


def test_send_profile_says_where_a_demo_profile_is(capsys: pytest.CaptureFixture[str], demo_url: str,
                                                   demo_folder: Path) -> None:
    code = main(["send", f"{demo_url}/auth/basic", "--profile", "Demo: Basic auth"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "demo profile from the last --demo run" in err and str(demo_folder) in err
    assert "--profiles-dir" in err


def test_send_profile_not_a_demo_profile_has_no_demo_hint(capsys: pytest.CaptureFixture[str], demo_url: str,
                                                          demo_folder: Path) -> None:
    assert main(["send", f"{demo_url}/json", "--profile", "No such profile at all"]) == 2
    err = capsys.readouterr().err
    assert "No such profile at all" in err and "--demo" not in err


def test_send_with_the_demo_folder_uses_the_profile(capsys: pytest.CaptureFixture[str], demo_url: str,
                                                    demo_folder: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in demo_environment(demo_url).items():  # what the --demo window provides
        monkeypatch.setenv(name, value)
    code = main(["send", f"{demo_url}/auth/basic", "--profile", "Demo: Basic auth",
                 "--profiles-dir", str(demo_folder), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc = json.loads(captured.out)
    assert doc["request"]["profile"] == "Demo: Basic auth" and doc["response"]["status"] == 200
