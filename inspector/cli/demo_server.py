"""`demo-server`: the demo API alone, in the foreground, until Ctrl+C."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from inspector.demo.server import run_forever

    return run_forever(args.host, args.port)
