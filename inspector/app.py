"""Composition root: parse argv, then start the window or run a subcommand.

Subcommands never import Qt; the window's modules are imported only on the path that opens it. The command
line (`inspector.cli`) is imported here, lazily, and never imports this module back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from inspector.cli.args import SUBCOMMANDS

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        from inspector.cli import main as cli_main

        return cli_main(args)
    return gui_main(args)


def gui_main(args: list[str]) -> int:
    from inspector.cli.args import build_gui_parser

    opts = build_gui_parser().parse_args(args)
    if opts.version:
        from inspector import __version__

        print(f"request-inspector {__version__}")
        return 0
    if opts.install_desktop_entry:
        return install_desktop_entry()
    from inspector.ui.gui import run_gui

    return run_gui(demo=opts.demo, profiles_dirs=list(opts.profiles_dir), environ=os.environ,
                   collections_dirs=list(opts.collections_dir))


def install_desktop_entry() -> int:
    """--install-desktop-entry: the menu entry and icon in the user's XDG folders; 2 when they cannot be written."""
    from inspector.desktop import DesktopEntryError
    from inspector.desktop import install_desktop_entry as install

    try:
        installed = install()
    except DesktopEntryError as exc:
        print(f"request-inspector: {exc}", file=sys.stderr)
        return 2
    print(f"Installed {installed.desktop_file} (runs: {installed.exec_line}) and {len(installed.icons)} icons.")
    print("Request Inspector is in your desktop's application menu (it may take a moment to appear).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
