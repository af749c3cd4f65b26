"""Composition root: parse argv, then start the window or run a subcommand.

Subcommands never import Qt; the window's modules are imported only on the path that opens it. The command
line (`inspector.cli`) is imported here, lazily, and never imports this module back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from inspector.core import regexcache

    args = list(sys.argv[1:] if argv is None else argv)
    # first: PySide's signature loader and the modules compile their patterns as they are imported (a first
    # word that is not a flag names a subcommand: decided before the parser, whose import compiles some too)
    regexcache.install("cli" if args and not args[0].startswith("-") else "window")
    if args:
        from inspector.cli.args import SUBCOMMANDS  # (it makes no dataclass)

        if args[0] in SUBCOMMANDS:
            from inspector.core import codecache

            codecache.install("cli")  # before the first dataclass (the window's: gui.import_window_modules)
            from inspector.cli import main as cli_main

            return cli_main(args)
    return gui_main(args)


def gui_main(args: list[str]) -> int:
    if not args:  # the usual start (a menu, a bare command): no parser to build (argparse) before the window
        return open_window()
    from inspector.cli.args import build_gui_parser

    opts = build_gui_parser().parse_args(args)
    if opts.version:
        from inspector import __version__

        print(f"request-inspector {__version__}")
        return 0
    if opts.install_desktop_entry:
        return install_desktop_entry()
    return open_window(demo=opts.demo, profiles_dirs=list(opts.profiles_dir),
                       collections_dirs=list(opts.collections_dir))


def open_window(*, demo: bool = False, profiles_dirs: Sequence[str] = (), collections_dirs: Sequence[str] = ()) -> int:
    """The window, until it closes; the defaults are the window's flags when none is given."""
    from inspector.ui.gui import run_gui

    return run_gui(demo=demo, profiles_dirs=list(profiles_dirs), environ=os.environ,
                   collections_dirs=list(collections_dirs))


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
