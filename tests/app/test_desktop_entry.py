"""--install-desktop-entry writes a valid .desktop file and the icons into the user's XDG folders."""

from __future__ import annotations

import configparser
import stat
import sys
from pathlib import Path

import pytest

from inspector.assets import APP_ID, ICON_SIZES, icon_png, icon_svg, resource
from inspector.desktop import install_desktop_entry


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_resources_are_found_through_importlib() -> None:
    assert icon_svg().read_text(encoding="utf-8").lstrip().startswith("<svg")
    for size in ICON_SIZES:
        assert icon_png(size).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    entry = resource(f"{APP_ID}.desktop").read_text(encoding="utf-8")
    assert "Icon=request-inspector" in entry and "Categories=Development;" in entry


def test_installs_entry_and_icons_using_the_installed_script(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / APP_ID
    script.write_text("#!/bin/sh\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = {"XDG_DATA_HOME": str(tmp_path / "share"), "PATH": str(bin_dir), "HOME": str(tmp_path)}
    installed = install_desktop_entry(env)
    assert installed.desktop_file == tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    entry = _entry(installed.desktop_file)
    assert entry["Type"] == "Application" and entry["Name"] == "Request Inspector"
    assert entry["Exec"] == f"{script} %U" and entry["TryExec"] == str(script)
    assert entry["Icon"] == APP_ID
    for size in ICON_SIZES:
        png = tmp_path / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png.read_bytes() == icon_png(size).read_bytes()
    assert (tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


def test_without_the_script_the_entry_runs_this_python(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path / "empty")}  # no XDG_DATA_HOME: ~/.local/share
    installed = install_desktop_entry(env)
    assert installed.desktop_file == tmp_path / ".local" / "share" / "applications" / f"{APP_ID}.desktop"
    assert _entry(installed.desktop_file)["Exec"].endswith(" -m inspector %U")
    assert sys.executable in _entry(installed.desktop_file)["Exec"]


def test_an_unwritable_place_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "share"
    blocker.write_text("a file where a folder should be")
    from inspector.desktop import DesktopEntryError

    with pytest.raises(DesktopEntryError) as info:
        install_desktop_entry({"XDG_DATA_HOME": str(blocker), "PATH": "", "HOME": str(tmp_path)})
    assert str(blocker) in str(info.value) and "XDG_DATA_HOME" in str(info.value)


def test_the_command_line_flag_installs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from inspector.app import main

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert main(["--install-desktop-entry"]) == 0
    assert (tmp_path / "share" / "applications" / f"{APP_ID}.desktop").is_file()
    assert "application menu" in capsys.readouterr().out
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share" / "applications" / f"{APP_ID}.desktop"))
    assert main(["--install-desktop-entry"]) == 2
    assert "cannot be written" in capsys.readouterr().err
