"""`--install-desktop-entry`: put the .desktop file and the icon in the user's XDG folders (Linux), so the app
starts from the desktop's application menu. Pure Python; no Qt."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from inspector.assets import APP_ID, ICON_SIZES, icon_png, icon_svg, resource
from inspector.core.errors import InspectorError


class DesktopEntryError(InspectorError):
    """The desktop entry or its icon cannot be installed."""


@dataclass(frozen=True)
class InstalledEntry:
    desktop_file: Path
    icons: tuple[Path, ...]
    exec_line: str


def data_home(environ: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME, or ~/.local/share as the XDG base directory specification says."""
    value = environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path(environ.get("HOME") or Path.home()) / ".local" / "share"


def launcher_command(environ: Mapping[str, str]) -> str:
    """The command the menu entry runs: the installed `request-inspector` script, else this Python with -m."""
    script = shutil.which(APP_ID, path=environ.get("PATH"))
    if script:
        return shlex.quote(script)
    return f"{shlex.quote(sys.executable)} -m inspector"


def _desktop_quote(command: str) -> str:
    # The Exec key reserves %; a path holding one must double it (Desktop Entry Specification, "The Exec key").
    return command.replace("%", "%%")


def install_desktop_entry(environ: Mapping[str, str] | None = None) -> InstalledEntry:
    """Write the .desktop file and the icons under XDG_DATA_HOME; refresh the desktop caches when possible."""
    env = os.environ if environ is None else environ
    home = data_home(env)
    exec_line = launcher_command(env)
    template = resource(f"{APP_ID}.desktop").read_text(encoding="utf-8")
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            line = f"Exec={_desktop_quote(exec_line)} %U"
        elif line.startswith("TryExec="):
            line = f"TryExec={shlex.split(exec_line)[0]}"
        lines.append(line)
    applications = home / "applications"
    desktop_file = applications / f"{APP_ID}.desktop"
    icons: list[Path] = []
    try:
        applications.mkdir(parents=True, exist_ok=True)
        desktop_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for size in ICON_SIZES:
            target = home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(icon_png(size).read_bytes())
            icons.append(target)
        scalable = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
        scalable.parent.mkdir(parents=True, exist_ok=True)
        scalable.write_bytes(icon_svg().read_bytes())
        icons.append(scalable)
    except OSError as exc:
        raise DesktopEntryError(
            f"The desktop entry cannot be written under {home} ({exc.strerror or exc}): "
            "check that the folder is writable, or set XDG_DATA_HOME to one that is."
        ) from None
    _refresh_caches(home)
    return InstalledEntry(desktop_file, tuple(icons), exec_line)


def _refresh_caches(home: Path) -> None:
    """Desktops that cache menus and icons pick the new entry up at once; without the tools, at next login."""
    for command in (["update-desktop-database", str(home / "applications")],
                    ["gtk-update-icon-cache", "-q", "-t", str(home / "icons" / "hicolor")]):
        if shutil.which(command[0]):
            try:
                subprocess.run(command, check=False, capture_output=True, timeout=20)
            except (OSError, subprocess.SubprocessError):
                pass  # a cache that is not refreshed only delays the menu entry
