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
    from inspector.ui.gui import run_gui

    return run_gui(demo=opts.demo, profiles_dirs=list(opts.profiles_dir), environ=os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
