"""The command line: send / token / profiles / demo-server / import / export / run / collections / secrets,
over the window's core. Never imports Qt.

`main(argv)` is the whole command line in-process (tests call it with captured output); `inspector.app` calls
it for a subcommand. Each subcommand is a module with `run(...)`; flags live in `args`, terminal text in
`render`. Everything heavy is imported inside the subcommand, so `python main.py send URL` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from inspector.cli.args import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, PROG, build_parser
from inspector.core.errors import InspectorError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand (argv without the program name, e.g. ['send', URL]) and return its exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse's way out (--help, a usage error): a status here, not an exit
        return EXIT_OK if exc.code is None else exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "send":
            from inspector.cli import send
            from inspector.core.transport import shared_session

            with shared_session():  # one session for the process: kept-alive connections, one watcher
                return send.run(args, out, err)
        if args.command == "token":
            from inspector.cli import token

            return token.run(args, out)
        if args.command == "profiles":
            from inspector.cli import profiles

            return profiles.run(args, out)
        if args.command == "demo-server":
            from inspector.cli import demo_server

            return demo_server.run(args)
        if args.command == "import":
            from inspector.cli import imports

            return imports.run(args, out, err)
        if args.command == "export":
            from inspector.cli import export

            return export.run(args, out, err)
        if args.command == "run":
            from inspector.cli import run
            from inspector.core.transport import shared_session

            with shared_session():
                return run.run(args, out, err)
        if args.command == "collections":
            from inspector.cli import collections

            return collections.run(args, out, err)
        if args.command == "secrets":
            from inspector.cli import secrets

            return secrets.run(args, out, err)
        if args.command == "history":
            from inspector.cli import history

            return history.run(args, out, err)
    except InspectorError as exc:
        from inspector.cli.render import safe_line

        err.write(f"{PROG}: {safe_line(exc)}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    parser.print_help(err)
    return EXIT_BAD_INPUT
