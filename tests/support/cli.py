"""Running the command line in tests: in-process (fast, for logic) or as `python main.py` (smoke tests).

    result = cli("send", url, "--json", env={"NETRC": path}, stdin=b"...")    # the `cli` fixture
    result = run_main_py("send", url, "--json")                              # a real process
    result.returncode, result.stdout, result.stderr

In-process, `inspector.cli.main(argv)` runs with sys.stdin replaced by the given bytes (empty by default,
never a terminal, as under subprocess), environment changes undone after the call, and stdout/stderr captured
by pytest's capsys. A usage error (argparse's SystemExit) becomes its exit status as in a real process. An
unexpected exception is not turned into a status: it fails the test with its traceback.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # where main.py is

Env = Mapping[str, str | None]  # None removes the variable


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def _stdin_bytes(stdin: bytes | str | None) -> bytes:
    return stdin.encode() if isinstance(stdin, str) else (stdin or b"")


class Cli:
    """`inspector.cli.main` called in this process with captured output (the `cli` fixture)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self._capsys = capsys
        self._monkeypatch = monkeypatch

    def __call__(self, *argv: str, stdin: bytes | str | None = None, env: Env | None = None) -> CliResult:
        from inspector.cli import main

        self._capsys.readouterr()  # what came before is not this command's output
        with self._monkeypatch.context() as patch:
            for name, value in (env or {}).items():
                if value is None:
                    patch.delenv(name, raising=False)
                else:
                    patch.setenv(name, value)
            patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(_stdin_bytes(stdin)), encoding="utf-8"))
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse's usage errors, as the interpreter would report them
                if isinstance(exc.code, int):
                    code = exc.code
                elif exc.code is None:
                    code = 0
                else:
                    print(exc.code, file=sys.stderr)
                    code = 1
        out, err = self._capsys.readouterr()
        return CliResult(code, out, err)


def run_main_py(*argv: str, stdin: bytes | str | None = None, env: Env | None = None,
                timeout_s: float = 60) -> CliResult:
    """`python main.py ARGV` as a real process (output decoded as UTF-8, undecodable bytes replaced)."""
    environ = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    done = subprocess.run([sys.executable, "main.py", *argv], check=False, cwd=ROOT, capture_output=True,
                          input=_stdin_bytes(stdin), env=environ, timeout=timeout_s)
    out, err = (stream.decode("utf-8", "replace") for stream in (done.stdout, done.stderr))
    return CliResult(done.returncode, out, err)


__all__ = ["ROOT", "Cli", "CliResult", "Env", "run_main_py"]
