"""Every flag of the command line in one place, the parser that makes a usage error one line, exit statuses.

The window's own flags live here too, so `request-inspector --help` and the subcommands read alike.
Importing this module is cheap (argparse only): `python main.py send URL` must start fast.
"""

from __future__ import annotations

import argparse
import math
from typing import NoReturn

from inspector.core.errors import InspectorError

PROG = "request-inspector"
SUBCOMMANDS = (
    "send", "token", "profiles", "demo-server", "import", "export", "run", "collections", "secrets",
    "history",
)
EXIT_OK, EXIT_TRANSPORT, EXIT_BAD_INPUT = 0, 1, 2
EXIT_FAILED = 3  # run: one or more requests did not get the answer they expect
EXIT_TOKEN_REFUSED = 3  # token: a finding of severity error (expired, bad signature, wrong audience...)
EXIT_INTERRUPTED = 130  # what a shell reports for Ctrl+C


class UsageError(InspectorError):
    """A command line that cannot be carried out as written."""


class OneLineParser(argparse.ArgumentParser):
    """A usage error is one line on stderr (exit 2), never the usage block or a traceback."""

    def error(self, message: str) -> NoReturn:
        from inspector.cli.render import safe_line  # the message may quote what was typed

        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {safe_line(message)}\n")


def seconds(text: str) -> float:
    """A duration flag: a finite number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a usable number of seconds")
    return value


def _profiles_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profiles-dir", action="append", default=[], metavar="DIR",
                        help="a team profiles folder, added to the default ones (repeatable)")


def build_gui_parser() -> argparse.ArgumentParser:
    """The flags of the window (no subcommand)."""
    parser = OneLineParser(
        prog=PROG,
        description="Request Inspector: why did the API say no? With no subcommand, the window opens.",
        epilog="subcommands (no window): send URL, token TOKEN|-, profiles list|show NAME|check, "
        "demo-server, import FILE, export DIR, run DIR, collections list, secrets set|list|delete; see "
        "'request-inspector send --help'.",
    )
    parser.add_argument("--demo", action="store_true",
                        help="also start the demo API and open its demo collection and profiles")
    _profiles_dir(parser)
    _collections_dir(parser)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--install-desktop-entry", action="store_true",
                        help="add the app to your desktop's application menu (Linux: a .desktop file and "
                        "its icon under $XDG_DATA_HOME) and exit")
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The subcommands and their flags (shared/specs/cli.md)."""
    parser = OneLineParser(prog=PROG, description="Send a request and learn why an API said no.")
    sub = parser.add_subparsers(dest="command", parser_class=OneLineParser)
    _send_arguments(sub.add_parser("send", help="send one request, print the response and the explanation"))
    _token_arguments(sub.add_parser("token", help="inspect a token alone (no network unless --jwks)"))

    profiles = sub.add_parser("profiles", help="the profiles the app sees, and what is wrong with them")
    profiles.add_argument("action", choices=["list", "show", "check"])
    profiles.add_argument("name", nargs="?", help="the profile to show (profiles show NAME)")
    _profiles_dir(profiles)

    demo = sub.add_parser("demo-server", help="the demo API alone, in the foreground")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8765)
    _collection_arguments(sub)
    _history_arguments(sub)
    return parser


def _collections_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--collections-dir", action="append", default=[], metavar="DIR",
                        help="a folder of collections (or one collection), added to the default ones "
                        "(repeatable)")


def _collection_arguments(sub: argparse._SubParsersAction[OneLineParser]) -> None:
    """import, export, run, collections, secrets (shared/specs/collections.md)."""
    imp = sub.add_parser("import",
                         help="read a Postman, Insomnia, OpenAPI, curl or HAR file into a collection")
    imp.add_argument("file", help="the file to import")
    imp.add_argument("--into", default=None, metavar="DIR",
                     help="the new collection folder (for a Postman environment: the existing collection)")
    imp.add_argument("--json", action="store_true", help="print the report as one JSON object")

    exp = sub.add_parser("export", help="a collection or folder as a Postman Collection v2.1 file")
    exp.add_argument("dir", help="the collection folder, or a folder inside one")
    exp.add_argument("--format", default="postman-2.1", choices=["postman-2.1"])
    exp.add_argument("-o", "--output", default=None, metavar="FILE", help="write here instead of stdout")
    _profiles_dir(exp)

    run = sub.add_parser("run", help="send a collection's requests in order and explain each refusal")
    run.add_argument("dir", help="the collection folder (or a folder or request file inside one)")
    run.add_argument("--env", default=None, metavar="NAME", help="the environment to use")
    run.add_argument("--folder", default=None, metavar="PATH", help="only the requests under this folder")
    run.add_argument("--request", default=None, metavar="NAME",
                     help="only this request (name or folder/name)")
    _profiles_dir(run)
    run.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                     help="set a variable for this run, over every other value (repeatable)")
    run.add_argument("--bail", action="store_true", help="stop at the first request that fails")
    run.add_argument("--json", action="store_true", help="one JSON object on stdout")
    run.add_argument("--junit", default=None, metavar="FILE", help="write a JUnit XML report for CI")
    run.add_argument("--timeout", type=seconds, default=30.0, metavar="SECONDS",
                     help="per request, default 30")

    collections = sub.add_parser("collections", help="the collections the app sees, or one collection's tree")
    collections.add_argument("action", choices=["list"])
    collections.add_argument("dir", nargs="?", help="a collection folder: show its tree")
    _collections_dir(collections)
    collections.add_argument("--json", action="store_true", help="one JSON object on stdout")

    secrets = sub.add_parser("secrets", help="the values behind ${secret:KEY}")
    secrets.add_argument("action", choices=["set", "list", "delete"])
    secrets.add_argument("key", nargs="?", help="the KEY of ${secret:KEY}")
    secrets.add_argument("--from-env", default=None, metavar="VAR",
                         help="secrets set: take the value from this environment variable, not stdin")
    _profiles_dir(secrets)
    _collections_dir(secrets)


def _send_arguments(send: argparse.ArgumentParser) -> None:
    send.add_argument("url", nargs="?", help="the URL (omit with --curl)")
    send.add_argument("-X", "--method", default=None, help="the HTTP method (default GET, or POST with data)")
    send.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'",
                      help="a request header (repeatable)")
    send.add_argument("-d", "--data", default=None, metavar="TEXT", help="the request body")
    send.add_argument("--data-file", default=None, metavar="PATH", help="read the request body from a file")
    send.add_argument("--profile", default=None, metavar="NAME",
                      help="attach credentials from a saved profile")
    _profiles_dir(send)
    send.add_argument("--expect-audience", default=None, metavar="AUD",
                      help="the audience (aud) the API expects in the token")
    send.add_argument("--expect-issuer", default=None, metavar="ISS",
                      help="the issuer (iss) the API expects in the token")
    send.add_argument("--expect-scope", action="append", default=[], metavar="SCOPE",
                      help="a scope the API needs for this request (repeatable)")
    send.add_argument("--leeway", type=seconds, default=None, metavar="SECONDS",
                      help="clock leeway (default 60)")
    send.add_argument("--jwks", default=None, metavar="URL",
                      help="check the sent token's signature with a JWKS")
    send.add_argument("--key", default=None, metavar="FILE",
                      help="check the sent token's signature with a PEM public key or shared-secret file")
    send.add_argument("--timeout", type=seconds, default=30.0, metavar="SECONDS",
                      help="give up when the whole send (connecting, every redirect, reading the answer) "
                      "takes longer than this; default 30")
    send.add_argument("--auth-timeout", type=seconds, default=120.0, metavar="SECONDS",
                      help="how long a browser or device sign-in may wait for you (default 120), "
                      "apart from --timeout")
    send.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    send.add_argument("--no-follow", action="store_true", help="do not follow redirects")
    send.add_argument("--show-secrets", action="store_true", help="print credentials unmasked")
    send.add_argument("--json", action="store_true", help="one JSON object on stdout")
    send.add_argument("--curl", default=None, metavar="'curl ...'",
                      help="a pasted curl command; options that only change curl itself (-o, --retry, -s, "
                      "-v...) are ignored with a note on stderr")
    send.add_argument("--retry-with", default=None, metavar="FIX",
                      help="after the answer, send the same request again with a fix and say whether it "
                      "confirmed the cause: fresh-token, scope:NAME, profile:NAME, scheme:NAME or csrf")
    send.add_argument("--curl-read-files", action="store_true",
                      help="let --curl read the local files it names (-d @file, -H @file, ...); "
                      "without it such a command is refused and the files are listed")


TOKEN_EPILOG = (
    "exit status: 0 nothing wrong was found (or there is nothing to judge: an opaque or encrypted token), "
    "3 a finding of severity error (expired, not yet valid, unsigned, bad signature, wrong audience or "
    "issuer, not an access token), 2 bad input (no token, an unreadable key file); the same with --json. "
    "Without --key or --jwks the signature is not checked ('not verified'); with one, a signature that does "
    "not match is 'invalid'."
)


def _token_arguments(token: argparse.ArgumentParser) -> None:
    token.epilog = TOKEN_EPILOG
    token.add_argument("token", help="the token, or - to read it from stdin")
    token.add_argument("--audience", default=None, help="the audience (aud) the token should be for")
    token.add_argument("--issuer", default=None, help="the issuer (iss) the token should come from")
    token.add_argument("--leeway", type=seconds, default=60.0, metavar="SECONDS",
                       help="clock leeway (default 60)")
    token.add_argument("--key", default=None, metavar="FILE",
                       help="check the signature with a PEM public key, a JWK or JWKS file, or a file "
                       "holding the shared secret (HS algorithms)")
    token.add_argument("--jwks", default=None, metavar="URL",
                       help="check the signature with the JWKS at this URL (fetched once)")
    token.add_argument("--json", action="store_true", help="one JSON object on stdout")
    token.add_argument("--show-secrets", action="store_true", help="print the token unmasked")


# --- history (shared/specs/incidents.md) ------------------------------------------------------------------


def _history_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history-file", default=None, metavar="FILE",
                        help="the history database (default: the app's, in your data folder)")


def _history_arguments(sub: argparse._SubParsersAction[OneLineParser]) -> None:
    """`history list|incidents`, and `--no-history` for the commands that record (send, run)."""
    history = sub.add_parser("history", help="past exchanges, and the incidents among them")
    history.add_argument("action", choices=["list", "incidents"])
    history.add_argument("--since", default=None, metavar="1h|2026-11-27T14:00Z",
                         help="only entries from this long ago (30m, 1h, 2d) or since this ISO 8601 time")
    history.add_argument("--verdict", default=None, metavar="V", help="history list: only this verdict")
    history.add_argument("--har", default=None, metavar="FILE",
                         help="history incidents: analyse this HAR file (e.g. a customer's) instead of the "
                         "history; nothing is imported")
    history.add_argument("--limit", type=int, default=None, metavar="N",
                         help="history list: at most N entries")
    history.add_argument("--json", action="store_true", help="one JSON object on stdout")
    _history_file(history)
    for name in ("send", "run"):
        recording = sub.choices[name]
        recording.add_argument("--no-history", action="store_true",
                               help="do not record the exchange(s) in the history")
        _history_file(recording)
