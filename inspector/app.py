"""Composition root: parse argv, then start the window or run a subcommand.

Subcommands never import Qt; the window's modules are imported only on the path that opens it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

SUBCOMMANDS = ("send", "token", "profiles", "demo-server")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        from inspector.cli import main as cli_main

        return cli_main(args)
    return gui_main(args)


class _Parser(argparse.ArgumentParser):
    """A usage error is one line on stderr (exit 2), never the usage block or a traceback."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def gui_main(args: list[str]) -> int:
    parser = _Parser(
        prog="request-inspector",
        description="Request Inspector: why did the API say no? With no subcommand, the window opens.",
        epilog="subcommands (no window): send URL, token TOKEN|-, profiles list|show NAME|check, demo-server; "
        "see 'request-inspector send --help'.",
    )
    parser.add_argument("--demo", action="store_true", help="also start the demo API and load its profiles")
    parser.add_argument("--profiles-dir", action="append", default=[], metavar="DIR",
                        help="a team profiles folder (repeatable)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    opts = parser.parse_args(args)
    if opts.version:
        from inspector import __version__

        print(f"request-inspector {__version__}")
        return 0
    from inspector.ui.gui import run_gui

    return run_gui(demo=opts.demo, profiles_dirs=list(opts.profiles_dir), environ=os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
